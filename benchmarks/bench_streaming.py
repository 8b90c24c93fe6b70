"""Per-frame cost of FormChecker.update over a 10-minute stream, and a stream's first verdict.

Per frame: a synthetic side-view squat stream at 30 fps (a 10-rep set, 2 % of
frames without anybody, repeated) fed to one checker for 10 minutes (18,000
frames), in 30 chunks of 20 s; after each chunk a fresh checker is fed the
first 20 s of the same stream (the short stream). Both are timed in the same
run, interleaved, so machine load falls on both alike. Each result records the
median, mean and p99 per frame in ms, the share of frames on which the window
was cut into reps, and, for the long stream, the ratios long/short (median and
mean; flat cost per frame is about 1.0) and last chunk / first chunk of the long
stream (``extra_info``).

First verdict: in a fresh interpreter each (kernels not yet loaded), a saved
kNN-DTW model's checker is made and fed a squat set whose reps are faulty
(feedback needs more kernels than prediction); the time to make the checker
and that of the update returning the first verdict are recorded against the
median update, for the checker as it is (its model's verdict path is warmed
when it is made) and for one that skips the warm-up. Three processes each,
interleaved; medians.

Run (not part of the unit tests)::

    pytest benchmarks/bench_streaming.py --benchmark-json=bench_streaming.json -s
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from formcheck import DTWKNeighborsClassifier, FormChecker, LearnedClassifier
from formcheck.datasets.synthetic import make_dataset, make_set

FPS = 30.0
CHUNK_SECONDS = 20
LONG_SECONDS = 600
PROCESSES = 3


class CountingChecker(FormChecker):
    """The checker as it is, counting the frames on which it cuts its window."""

    cuts = 0

    def _next_finished_rep(self, *args, **kwargs):
        self.cuts += 1
        return super()._next_finished_rep(*args, **kwargs)


@pytest.fixture(scope="module")
def model():
    return LearnedClassifier().fit(make_dataset("squat", n_subjects=4, seed=0))


def stream_of(seconds):
    tile = make_set("squat", n_reps=10, seed=7, fps=FPS)
    repeats = int(np.ceil(seconds * FPS / tile.n_frames))
    return np.concatenate([tile.landmarks] * repeats)[:int(seconds * FPS)], tile.image_size


def per_frame_ms(checker, frames):
    """Per-frame times (ms) of update on ``frames``, and the number of verdicts."""
    times, verdicts = np.empty(len(frames)), 0
    for i, frame in enumerate(frames):
        start = time.perf_counter()
        verdicts += checker.update(frame) is not None
        times[i] = (time.perf_counter() - start) * 1e3
    return times, verdicts


def interleaved(model):
    """(long-stream times per chunk, short-stream times per repeat, verdicts, cut shares)."""
    frames, image_size = stream_of(LONG_SECONDS)
    chunk = int(CHUNK_SECONDS * FPS)
    long_checker = CountingChecker(model, fps=FPS, image_size=image_size)
    long_times, short_times, verdicts, short_cuts = [], [], [0, 0], []
    for start in range(0, len(frames), chunk):
        times, found = per_frame_ms(long_checker, frames[start:start + chunk])
        long_times.append(times)
        verdicts[0] += found
        short_checker = CountingChecker(model, fps=FPS, image_size=image_size)
        times, found = per_frame_ms(short_checker, frames[:chunk])
        short_times.append(times)
        verdicts[1] += found
        short_cuts.append(short_checker.cuts / chunk)
    return long_times, short_times, verdicts, (long_checker.cuts / len(frames),
                                               float(np.mean(short_cuts)))


def summary(times) -> dict:
    return {"median_ms": float(np.median(times)), "mean_ms": float(times.mean()),
            "p99_ms": float(np.percentile(times, 99)), "frames_timed": len(times)}


def test_update_per_frame_over_a_10_minute_stream(benchmark, model):
    long_times, short_times, verdicts, cuts = benchmark.pedantic(
        interleaved, args=(model,), rounds=1, iterations=1)
    long, short = summary(np.concatenate(long_times)), summary(np.concatenate(short_times))
    result = {"long": {**long, "verdicts": verdicts[0], "cut_share": cuts[0]},
              "short": {**short, "verdicts_per_stream": verdicts[1] / len(short_times),
                        "cut_share": cuts[1]},
              "long_over_short_median": long["median_ms"] / short["median_ms"],
              "long_over_short_mean": long["mean_ms"] / short["mean_ms"],
              "last_over_first_chunk_mean": float(long_times[-1].mean() / long_times[0].mean()),
              "load_average": os.getloadavg()}
    benchmark.extra_info.update(result)
    print(json.dumps(result, indent=1))
    assert verdicts[0] > 0 and verdicts[1] > 0


_FIRST_VERDICT = """
import json, sys, time
import numpy as np
from formcheck import FormChecker, load_model
from formcheck.datasets.synthetic import make_set

class Unwarmed(FormChecker):
    def _warm_up(self):
        pass

kind = FormChecker if sys.argv[2] == "warmed" else Unwarmed
pose = make_set("squat", "squat/not-low", n_reps=3, seed=7, severity=1.0)
model = load_model(sys.argv[1])
start = time.perf_counter()
checker = kind(model, fps=pose.fps, image_size=pose.image_size)
made = time.perf_counter() - start
times = []
for frame in pose.landmarks:
    start = time.perf_counter()
    verdict = checker.update(frame)
    times.append(time.perf_counter() - start)
    if verdict is not None:
        break
print(json.dumps({"create_s": made, "first_verdict_s": times[-1],
                  "median_update_s": float(np.median(times[:-1])), "fault": verdict.fault}))
"""


def test_first_verdict_after_the_checker_is_made(benchmark, tmp_path):
    path = DTWKNeighborsClassifier().fit(make_dataset("squat", n_subjects=4, seed=0)) \
        .save(tmp_path / "knn.fcm")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    def run(kind):
        done = subprocess.run([sys.executable, "-c", _FIRST_VERDICT, str(path), kind],
                              capture_output=True, text=True, env=env, timeout=600, check=True)
        return json.loads(done.stdout.splitlines()[-1])

    def all_runs():
        runs = {"warmed": [], "unwarmed": []}
        for _ in range(PROCESSES):
            for kind in runs:
                runs[kind].append(run(kind))
        return runs

    runs = benchmark.pedantic(all_runs, rounds=1, iterations=1)
    result = {kind: {key: float(np.median([r[key] for r in found]))
                     for key in ("create_s", "first_verdict_s", "median_update_s")}
              for kind, found in runs.items()}
    result["load_average"] = os.getloadavg()
    benchmark.extra_info.update(result)
    print(json.dumps(result, indent=1))
    assert all(r["fault"] == "squat/not-low" for found in runs.values() for r in found)
