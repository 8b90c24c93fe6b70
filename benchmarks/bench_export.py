"""The exported ONNX graph: onnxruntime latency per rep and file size, beside the Python path.

One rep per call, cycling through real reps: the PushFit push-up reps
(MediaPipe landmarks, 33 joints) with a LearnedClassifier trained on all of
them, or, without ``../shared/datasets``, synthetic squat reps. Timed: an
onnxruntime session on one thread (as an app's worker thread would run it) and
on the default threads, and the Python path (``joint_angles`` +
``predict_proba``) on the same landmarks. ``extra_info`` carries the file size,
the number of reps and their mean length.

Run (not part of the unit tests)::

    pytest benchmarks/bench_export.py --benchmark-json=bench_export.json
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from formcheck import LearnedClassifier, joint_angles  # noqa: E402
from formcheck.datasets import clips_to_reps, load_pushfit  # noqa: E402
from formcheck.datasets.synthetic import make_dataset, make_set  # noqa: E402
from formcheck.errors import DatasetError, MissingDataError  # noqa: E402
from formcheck.reps import cut_recording  # noqa: E402

DATASETS = Path(os.environ.get("FORMCHECK_DATASETS")
                or Path(__file__).resolve().parents[2] / "shared" / "datasets")


def reps_and_model():
    try:
        clips = load_pushfit(DATASETS)
    except DatasetError:
        model = LearnedClassifier().fit(make_dataset("squat", n_subjects=8))
        poses = [make_set("squat", n_reps=4, seed=s) for s in range(3)]
        return "synthetic squat", model, _cut(poses, "squat")
    model = LearnedClassifier().fit(clips_to_reps(clips, "push-up"))
    return "PushFit", model, _cut([c.pose for c in clips], "push-up")


def _computable(model, rep) -> bool:
    """Whether the Python path computes this rep (not a MissingDataError)."""
    try:
        joint_angles(rep, channels=model.channels_, **model.feature_settings_)
    except MissingDataError:
        return False
    return True


def _cut(poses, exercise):
    return [pose.slice(r.start, r.end) for pose in poses
            for r in cut_recording(pose, exercise)[1]]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    name, model, reps = reps_and_model()
    reps = [r for r in reps if _computable(model, r)]
    path = model.to_onnx(tmp_path_factory.mktemp("export") / "model.onnx")
    feeds = [{"landmarks": r.landmarks,
              "image_size": np.array(r.image_size or (1, 1), np.float32),
              "fps": np.array([r.fps], np.float32)} for r in reps]
    info = {"data": name, "reps": len(reps), "file_kb": round(path.stat().st_size / 1024, 1),
            "mean_frames": round(float(np.mean([r.n_frames for r in reps])), 1)}
    return model, path, reps, feeds, info


@pytest.mark.parametrize("threads", [1, 0], ids=["one-thread", "default-threads"])
def test_onnxruntime_per_rep(benchmark, exported, threads):
    _, path, _, feeds, info = exported
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    cycle = itertools.cycle(feeds)
    benchmark(lambda: session.run(None, next(cycle)))
    benchmark.extra_info.update(info)


def test_python_path_per_rep(benchmark, exported):
    model, _, reps, _, info = exported
    cycle = itertools.cycle(reps)

    def predict():
        rep = next(cycle)
        angles = joint_angles(rep, channels=model.channels_, **model.feature_settings_)
        return model.predict_proba([angles])

    benchmark(predict)
    benchmark.extra_info.update(info)
