"""FormChecker.update on a stream with bad frames: each counts as missing and the stream goes on.

A bad frame (None, another shape, inf, text, a ragged list) must give exactly the
verdicts a frame where nobody was found gives; a stream of 40,000 frames with
a bad frame every fourth still gets a verdict on every rep, in flat memory.
The window kept frame by frame is the pose of its frames; a model that
resamples its angles gets verdicts in the stream's own frames; a checker loads
its model's kernels when it is made, not at its first verdict.
"""

import json
import os
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from formcheck import DTWKNeighborsClassifier, FormChecker, LearnedClassifier, PoseSequence
from formcheck.datasets.rep_dataset import Recording, RepDataset
from formcheck.datasets.synthetic import make_dataset, make_set
from formcheck.errors import InputError

BAD_FRAMES = [None, np.ones((5, 3)), np.full((33, 4), np.inf), np.full((33, 3), -np.inf),
              "frame", [[0.5, 0.5], [0.5]], np.float32(3.0), np.ones((33, 4, 1)),
              np.ones((33, 7)), np.full((33, 2), 1 + 2j), [{"x": 1}] * 33, np.ones((0, 4))]


@pytest.fixture(scope="module")
def squat_model():
    return LearnedClassifier().fit(make_dataset("squat", n_subjects=4, seed=0))


def bad_frame(i):
    return BAD_FRAMES[(i // 4) % len(BAD_FRAMES)]


def stream(checker, frames, replace_every_fourth):
    """Verdicts of the stream, every fourth frame replaced by ``replace_every_fourth(i)``."""
    verdicts = []
    for i, frame in enumerate(frames):
        verdict = checker.update(replace_every_fourth(i) if i % 4 == 3 else frame)
        if verdict is not None:
            verdicts.append(verdict)
    return verdicts + checker.finish()


def test_bad_frames_give_the_verdicts_of_frames_where_nobody_was_found(squat_model):
    pose = make_set("squat", n_reps=6, seed=3, fps=10.0, drop_rate=0)
    nobody = np.full((33, 4), np.nan)
    checker = FormChecker(squat_model, fps=pose.fps, image_size=pose.image_size)
    with_bad = stream(checker, pose.landmarks, bad_frame)
    checker.reset()
    with_missing = stream(checker, pose.landmarks, lambda i: nobody)
    assert len(with_bad) == 6
    assert [v.to_dict() for v in with_bad] == [v.to_dict() for v in with_missing]


BAD_WORLD_FRAMES = [None, np.ones((5, 3)), np.full((33, 3), np.inf), "world", np.ones((33, 4)),
                    [[0.1, 0.2], [0.3]], np.full((33, 3), 1 + 2j)]


def test_bad_world_landmarks_give_the_verdicts_of_frames_without_them():
    model = LearnedClassifier().fit(make_dataset("squat", n_subjects=4, seed=0,
                                                 world_landmarks=True))
    pose = make_set("squat", n_reps=4, seed=3, fps=10.0, drop_rate=0, world_landmarks=True)
    checker = FormChecker(model, fps=pose.fps, image_size=pose.image_size)

    def world_stream(replace):
        checker.reset()
        verdicts = [v for i in range(pose.n_frames) if (v := checker.update(
            pose.landmarks[i], replace(i) if i % 4 == 3 else pose.world_landmarks[i]))]
        return verdicts + checker.finish()

    with_bad = world_stream(lambda i: BAD_WORLD_FRAMES[(i // 4) % len(BAD_WORLD_FRAMES)])
    without = world_stream(lambda i: None)
    assert model.feature_settings_ == {
            "geometry": "3d", "vertical": "body", "heights": "side-image"}
    assert len(with_bad) == 4
    assert [v.to_dict() for v in with_bad] == [v.to_dict() for v in without]


@pytest.mark.slow
def test_40000_frames_with_bad_ones_every_rep_gets_a_verdict_in_flat_memory(squat_model):
    """40,000 frames at 5 fps (2.2 hours): a bad frame of a dozen kinds every fourth frame.

    Memory: the peak resident set (getrusage) may not grow between frame 10,000
    and the end, and over the last 5,000 frames tracemalloc (started then, so
    the rest runs at full speed) must see the traced total stay flat.
    """
    tile = make_set("squat", n_reps=6, seed=3, fps=5.0, drop_rate=0)
    frames = tile.landmarks[:len(tile.landmarks) // 4 * 4]   # every tile starts at a multiple of 4
    checker = FormChecker(squat_model, fps=tile.fps, image_size=tile.image_size)
    per_tile = len(stream(checker, frames, bad_frame))
    assert per_tile == 6
    checker.reset()
    n_tiles = -(-40_000 // len(frames))
    verdicts, traced = [], []
    for i in range(n_tiles * len(frames)):
        if i == 10_000:
            rss_at_10000 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if i == n_tiles * len(frames) - 5_000:
            tracemalloc.start()
        if tracemalloc.is_tracing() and i % 1000 == 0:
            traced.append(tracemalloc.get_traced_memory()[0])
        frame = bad_frame(i) if i % 4 == 3 else frames[i % len(frames)]
        if (verdict := checker.update(frame)) is not None:
            verdicts.append(verdict)
    tracemalloc.stop()
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_at_10000) * 1024
    verdicts += checker.finish()
    assert len(verdicts) == per_tile * n_tiles
    assert [v.index for v in verdicts] == list(range(len(verdicts)))
    assert all(a.end_frame <= b.start_frame for a, b in zip(verdicts, verdicts[1:]))
    assert max(traced) - traced[1] < 1e6 and rss_growth < 20e6


@pytest.mark.parametrize("settings,message", [
    ({"fps": "30"}, "fps"), ({"fps": 0}, "fps"), ({"layout": "halpe"}, "halpe"),
    ({"image_size": (-5, 0)}, "image_size"),
])
def test_bad_stream_settings_are_refused_when_the_checker_is_made(squat_model, settings, message):
    with pytest.raises(InputError, match=message):
        FormChecker(squat_model, **settings)


def test_a_model_resampling_its_angles_streams_verdicts_in_the_streams_own_frames():
    """A model trained with ``target_fps`` (15) fed a 30 fps stream longer than its window.

    The window's reps are found in its resampled frames; the verdicts must still
    give the stream's own frames (start_frame / fps = start_time) at the times
    the offline check of the whole set finds them, each rep once.
    """
    recordings = [Recording(make_set("squat", label, n_reps=4, seed=s), label, f"s{s}", f"{s}")
                  for s in range(4) for label in ("squat/correct", "squat/not-low")]
    model = LearnedClassifier().fit(RepDataset.from_recordings(recordings, "squat",
                                                                target_fps=15))
    pose = make_set("squat", n_reps=16, seed=3, drop_rate=0)      # 30 fps, about 40 s
    checker = FormChecker(model, fps=pose.fps, image_size=pose.image_size)
    offline = checker.check_pose(pose)
    live = [v for frame in pose.landmarks if (v := checker.update(frame))] + checker.finish()
    assert pose.duration > 2 * checker._window_frames() / pose.fps
    assert len(live) == len(offline) == 16
    for streamed, done in zip(live, offline):
        assert streamed.start_time == streamed.start_frame / pose.fps
        assert streamed.end_time == streamed.end_frame / pose.fps
        assert abs(streamed.start_time - done.start_time) <= 0.2
        assert abs(streamed.end_time - done.end_time) <= 0.2


@pytest.mark.parametrize("in_pixels", [False, True])
def test_the_window_is_the_pose_of_its_frames(in_pixels):
    """The window kept frame by frame is the pose ``PoseSequence.from_array`` makes of its frames
    (units guessed over them all), also after it slid and with world landmarks in some frames."""
    model = LearnedClassifier().fit(make_dataset("squat", n_subjects=2, seed=0))
    pose = make_set("squat", n_reps=10, seed=2, world_landmarks=True)
    checker = FormChecker(model, fps=pose.fps, image_size=pose.image_size)
    keep = checker._window_frames()
    fed, world = [], []
    for i in range(2 * keep + 50):                   # the buffer of 2 * keep frames moved once
        frame = pose.landmarks[i % pose.n_frames].copy()
        if in_pixels and i == 2 * keep + 20:
            frame[:, :2] *= pose.image_size          # one frame in pixels: the window's units
        fed.append(bad_frame(i) if i % 4 == 3 else frame)
        world.append(pose.world_landmarks[i % pose.n_frames] if i % 3 else None)
        checker.update(fed[-1], world[-1])
    window = checker._window_pose()
    nobody = np.full((33, 4), np.nan)
    frames = [f if isinstance(f, np.ndarray) and f.shape == (33, 4) and np.isfinite(f[:, 3]).all()
              else nobody for f in fed[-keep:]]
    worlds = [w if w is not None and f is not nobody else np.full((33, 3), np.nan)
              for w, f in zip(world[-keep:], frames)]
    expected = PoseSequence.from_array(np.stack(frames), fps=pose.fps, layout="mediapipe33",
                                       image_size=pose.image_size, world_landmarks=np.stack(worlds))
    assert checker._offset == keep + 50
    assert window.units == ("pixels" if in_pixels else "normalized")
    np.testing.assert_array_equal(window.landmarks, expected.landmarks)
    np.testing.assert_array_equal(window.world_landmarks, expected.world_landmarks)
    assert (window.fps, window.layout, window.image_size, window.units) == \
        (expected.fps, expected.layout, expected.image_size, expected.units)


_FIRST_VERDICT = """
import json, sys
from numba.core.dispatcher import Dispatcher
import formcheck
from formcheck.datasets.synthetic import make_set

def compiled():
    return {f"{name}.{attr}": len(value.overloads) for name, module in list(sys.modules.items())
            if name.startswith("formcheck") for attr, value in vars(module).items()
            if isinstance(value, Dispatcher) and value.overloads}

pose = make_set("squat", "squat/not-low", n_reps=2, seed=7, severity=1.0)
checker = formcheck.FormChecker(formcheck.load_model(sys.argv[1]), fps=pose.fps,
                                image_size=pose.image_size)
made = compiled()
verdicts = [v for frame in pose.landmarks if (v := checker.update(frame))] + checker.finish()
print(json.dumps({"made": made, "streamed": compiled(), "faults": [v.fault for v in verdicts]}))
"""


def test_a_knn_checker_loads_its_kernels_when_made_not_at_its_first_verdict(tmp_path):
    """In a fresh interpreter, a saved kNN model's checker: no numba kernel is loaded or
    compiled while the stream runs (the first verdict used to wait for them, about 2 s)."""
    path = DTWKNeighborsClassifier().fit(make_dataset("squat", n_subjects=4, seed=0)) \
        .save(tmp_path / "knn.fcm")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, "-c", _FIRST_VERDICT, str(path)], capture_output=True,
                         text=True, env=env, timeout=600, check=True)
    found = json.loads(run.stdout.splitlines()[-1])
    assert "squat/not-low" in found["faults"]          # the feedback's kernels were needed too
    assert found["made"] and found["streamed"] == found["made"]
