"""Per-frame cost of FormChecker.update over a long stream and a short one, before and after.

A 10-minute synthetic squat stream at 30 fps (18,000 frames, side view, 2 %
of frames without anybody) and a 20-second one. "after" is the checker as it
is (the window is cut only on frames where a rep can be reported); "before"
is :class:`EveryFrameChecker`, the same checker cutting its window after every
frame, as update did before. Its cost per frame stops growing once its window
(16 s) is full, so on the long stream it is timed over the last 3,000 frames
(after filling its window from the 480 before), which keeps the run short.
Each result records mean and p99 per frame in ms and, in the long-stream
results, the ratios long/short and before/after measured in the same run
(``extra_info``).

Run (not part of the unit tests)::

    pytest benchmarks/bench_streaming.py --benchmark-json=bench_streaming.json -s
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from formcheck import FormChecker, LearnedClassifier
from formcheck.datasets.synthetic import make_dataset, make_set

FPS = 30.0
BEFORE_FRAMES = 3_000
RESULTS: dict = {}


class EveryFrameChecker(FormChecker):
    """The reference: the window is cut into reps after every frame."""

    def _may_have_ended(self, frame) -> bool:
        return True


@pytest.fixture(scope="module")
def model():
    return LearnedClassifier().fit(make_dataset("squat", n_subjects=4, seed=0))


def stream_of(seconds):
    tile = make_set("squat", n_reps=10, seed=7, fps=FPS)
    repeats = int(np.ceil(seconds * FPS / tile.n_frames))
    return np.concatenate([tile.landmarks] * repeats)[:int(seconds * FPS)], tile.image_size


def per_frame_ms(checker, frames, timed_from=0):
    """Per-frame times (ms) of update on ``frames``, those from ``timed_from`` on, and verdicts."""
    times, verdicts = [], 0
    for i, frame in enumerate(frames):
        start = time.perf_counter()
        verdicts += checker.update(frame) is not None
        if i >= timed_from:
            times.append((time.perf_counter() - start) * 1e3)
    return np.array(times), verdicts


@pytest.mark.parametrize("seconds", [20, 600])
@pytest.mark.parametrize("version", ["before", "after"])
def test_update_per_frame(benchmark, model, version, seconds):
    frames, image_size = stream_of(seconds)
    kind = EveryFrameChecker if version == "before" else FormChecker
    checker = kind(model, fps=FPS, image_size=image_size)
    timed_from = 0
    if version == "before" and len(frames) > BEFORE_FRAMES + 480:
        frames, timed_from = frames[-(BEFORE_FRAMES + 480):], 480
    times, verdicts = benchmark.pedantic(per_frame_ms, args=(checker, frames, timed_from),
                                         rounds=1, iterations=1)
    result = {"mean_ms": float(times.mean()), "p99_ms": float(np.percentile(times, 99)),
              "frames_timed": len(times), "verdicts": verdicts}
    RESULTS[version, seconds] = result
    if (version, 20) in RESULTS and seconds == 600:
        result["long_over_short_mean"] = result["mean_ms"] / RESULTS[version, 20]["mean_ms"]
    if version == "after" and ("before", seconds) in RESULTS:
        result["before_over_after_mean"] = RESULTS["before", seconds]["mean_ms"] / result["mean_ms"]
    benchmark.extra_info.update(result)
    print(version, seconds, result)
    assert verdicts > 0
