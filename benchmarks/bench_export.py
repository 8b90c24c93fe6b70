"""Exported ONNX graphs: onnxruntime latency per rep and file size, beside the Python path.

One rep per call, cycling through real reps where there are some. The model kinds:

- ``learned-mlp`` / ``learned-logistic``: a LearnedClassifier trained on all
  PushFit push-up reps (MediaPipe landmarks, 33 joints), fed those reps;
- ``standards-push-up``: the push-up standards (``formcheck export builtin -e
  push-up``), fed the PushFit reps;
- ``standards-squat`` / ``standards-pull-up``: the built-in standards, fed
  synthetic reps of every class the body model performs;
- ``standards-squat-3d`` / ``learned-mlp-3d``: 3-D graphs measuring along the
  body's vertical (``world_landmarks`` input): the squat standards, and an MLP
  trained on synthetic 3-D squats, fed synthetic squat reps with world
  landmarks.

Without ``../shared/datasets`` the PushFit cases use synthetic squat reps and a
squat model. Timed: an onnxruntime session on one thread (as an app's worker
thread would run it) and on the default threads, and the Python path
(``joint_angles`` + ``predict_proba``) on the same landmarks. ``extra_info``
carries the file size, the number of reps and their mean length.

Run (not part of the unit tests)::

    pytest benchmarks/bench_export.py --benchmark-json=bench_export.json
"""

from __future__ import annotations

import functools
import itertools
import os
from pathlib import Path

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from formcheck import LearnedClassifier, joint_angles  # noqa: E402
from formcheck.check import builtin_model  # noqa: E402
from formcheck.datasets import clips_to_reps, load_pushfit  # noqa: E402
from formcheck.datasets.synthetic import make_dataset, make_set  # noqa: E402
from formcheck.errors import DatasetError, MissingDataError  # noqa: E402
from formcheck.features.exercises import get_exercise  # noqa: E402
from formcheck.reps import cut_recording  # noqa: E402

DATASETS = Path(os.environ.get("FORMCHECK_DATASETS")
                or Path(__file__).resolve().parents[2] / "shared" / "datasets")
KINDS = ("learned-mlp", "learned-logistic", "standards-push-up", "standards-squat",
         "standards-pull-up", "standards-squat-3d", "learned-mlp-3d")


@functools.cache
def pushfit():
    """(data name, exercise, training reps, rep poses): PushFit, or synthetic squats without it."""
    try:
        clips = load_pushfit(DATASETS)
    except DatasetError:
        poses = [make_set("squat", n_reps=4, seed=s) for s in range(3)]
        return "synthetic squat", "squat", make_dataset("squat", n_subjects=8), _cut(poses,
                                                                                    "squat")
    return ("PushFit", "push-up", clips_to_reps(clips, "push-up"),
            _cut([c.pose for c in clips], "push-up"))


def synthetic_poses(exercise, world_landmarks=False):
    poses = []
    for k, label in enumerate(get_exercise(exercise).classes):
        try:
            poses.append(make_set(exercise, label=label, n_reps=3, seed=40 + k, severity=0.7,
                                  world_landmarks=world_landmarks))
        except Exception:   # a fault the synthetic body model does not perform
            continue
    return _cut(poses, exercise)


def model_and_reps(kind):
    if kind == "learned-mlp-3d":
        training = make_dataset("squat", n_subjects=8, world_landmarks=True)
        return "synthetic 3-D", LearnedClassifier().fit(training), synthetic_poses("squat", True)
    if kind == "standards-squat-3d":
        return "synthetic 3-D", builtin_model("squat"), synthetic_poses("squat", True)
    if kind.startswith("learned"):
        name, _, training, reps = pushfit()
        return name, LearnedClassifier(model=kind.split("-")[1]).fit(training), reps
    exercise = kind.removeprefix("standards-")
    if exercise == "push-up":
        name, pushfit_exercise, _, reps = pushfit()
        return name, builtin_model(pushfit_exercise), reps
    return "synthetic", builtin_model(exercise), synthetic_poses(exercise)


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


@pytest.fixture(scope="module", params=KINDS)
def exported(request, tmp_path_factory):
    name, model, reps = model_and_reps(request.param)
    reps = [r for r in reps if _computable(model, r)]
    geometry = "3d" if request.param.endswith("-3d") else None
    path = model.to_onnx(tmp_path_factory.mktemp("export") / f"{request.param}.onnx",
                         geometry=geometry)
    feeds = [{"landmarks": r.landmarks,
              "image_size": np.array(r.image_size or (1, 1), np.float32),
              "fps": np.array([r.fps], np.float32),
              **({"world_landmarks": r.world_landmarks.astype(np.float32)} if geometry else {})}
             for r in reps]
    info = {"kind": request.param, "data": name, "reps": len(reps),
            "channels": len(model.channels_),
            "file_kb": round(path.stat().st_size / 1024, 1),
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
    benchmark.extra_info.update(info, load_average=round(os.getloadavg()[0], 2))


def test_python_path_per_rep(benchmark, exported):
    model, _, reps, _, info = exported
    cycle = itertools.cycle(reps)

    def predict():
        rep = next(cycle)
        angles = joint_angles(rep, channels=model.channels_, **model.feature_settings_)
        return model.predict_proba([angles])

    benchmark(predict)
    benchmark.extra_info.update(info, load_average=round(os.getloadavg()[0], 2))
