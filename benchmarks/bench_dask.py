"""Many recordings on a Dask cluster: videos per minute, serial against a local cluster.

Run (not part of the unit tests)::

    FORMCHECK_BENCH=full pytest benchmarks/bench_dask.py -o addopts="" --benchmark-disable

Two batches, each timed three ways in the same run: serially (``n_jobs=1``),
by joblib's loky processes (``n_jobs=2``), and on a ``distributed.LocalCluster``
of 2 worker processes of 1 thread (``backend="dask"``, ``n_jobs=-1``), the
round trip through the scheduler included:

* **extract**: :func:`~formcheck.pose.extract_many` on PushFit clips (MediaPipe,
  ``cache=False``);
* **check**: :meth:`~formcheck.check.FormChecker.check_many` on keypoint files
  of synthetic squat sets, with a learned model.

The contenders take turns, round after round, after one untimed round (which
starts each pool's and each worker's MediaPipe), so load from other jobs on a
shared machine hits them alike; medians and the ratio to serial are reported.
Results are checked equal to serial before timing. Needs the ``dask`` extra
(and, for extract, the ``video`` extra and ``../shared/datasets``); the
summary goes to ``out/bench-<mode>-dask.json``. ``FORMCHECK_BENCH``: ``quick``
(default) 4 clips / 16 files, 2 rounds; ``full`` 8 clips / 48 files, 3 rounds.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from formcheck import FormChecker, LearnedClassifier
from formcheck.datasets.synthetic import make_dataset, make_set
from formcheck.pose import extract_many

from .bench_scaling import MODE, OUT

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

DATASETS = Path(os.environ.get("FORMCHECK_DATASETS")
                or Path(__file__).resolve().parents[2] / "shared" / "datasets")
N_CLIPS, N_FILES, ROUNDS = {"smoke": (2, 4, 1), "quick": (4, 16, 2), "full": (8, 48, 3)}[MODE]
RESULTS: dict = {}


@pytest.fixture(scope="module")
def cluster():
    local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None)
    with distributed.Client(local) as client:
        yield client
    local.close()


def _contenders(run):
    """Serial, loky on 2 processes, and the Dask cluster: each a call of ``run(n_jobs, backend)``."""
    return {"serial": lambda: run(1, None), "loky, 2 processes": lambda: run(2, "loky"),
            "Dask LocalCluster, 2 workers": lambda: run(-1, "dask")}


def _interleaved(contenders, rounds) -> dict:
    """Wall times of each contender, taking turns, after one untimed round."""
    for call in contenders.values():
        call()
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, call in contenders.items():
            started = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - started)
    return times


def _record(batch, unit, count, times):
    serial = float(np.median(times["serial"]))
    RESULTS[batch] = {
        name: {"seconds": float(np.median(t)), "spread": [float(min(t)), float(max(t))],
               f"{unit} per minute": 60 * count / float(np.median(t)),
               "speed-up over serial": serial / float(np.median(t))}
        for name, t in times.items()}
    RESULTS[batch]["count"] = count
    for name, row in RESULTS[batch].items():
        if isinstance(row, dict):
            print(f"\n{batch} {name}: {row[f'{unit} per minute']:.1f} {unit}/min, "
                  f"{row['speed-up over serial']:.2f}x serial")


def test_extract_many_on_the_cluster(cluster):
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    clips = sorted((DATASETS / "pushfit-pushups" / "videos" / "correct").glob("*.mp4"))[:N_CLIPS]
    if len(clips) < N_CLIPS:
        pytest.skip(f"PushFit clips not found under {DATASETS}")

    def run(n_jobs, backend):
        return extract_many(clips, n_jobs=n_jobs, backend=backend, cache=False, progress=False)

    serial, on_cluster = run(1, None), run(-1, "dask")
    assert list(on_cluster.poses) == list(serial.poses) and on_cluster.ok
    for path, pose in serial:
        np.testing.assert_array_equal(on_cluster.poses[path].landmarks, pose.landmarks)
    _record("extract", "videos", len(clips), _interleaved(_contenders(run), ROUNDS))


def test_check_many_on_the_cluster(cluster, tmp_path):
    checker = FormChecker(LearnedClassifier().fit(make_dataset("squat", n_subjects=4, seed=0)))
    files = []
    for seed in range(N_FILES):
        files.append(tmp_path / f"set{seed}.npz")
        make_set("squat", label="correct" if seed % 2 else "not-low", n_reps=4, seed=seed,
                 severity=1.0).save(files[-1])

    def run(n_jobs, backend):
        return checker.check_many(files, n_jobs=n_jobs, backend=backend)

    def as_dicts(result):
        return {p: [v.to_dict() for v in vs] for p, vs in result.verdicts.items()}

    assert as_dicts(run(-1, "dask")) == as_dicts(run(1, None))
    _record("check", "files", len(files), _interleaved(_contenders(run), ROUNDS))


def test_write_summary():
    if not RESULTS:
        pytest.skip("nothing was timed")
    OUT.mkdir(parents=True, exist_ok=True)
    summary = {"mode": MODE, "rounds": ROUNDS, "load_average": os.getloadavg(),
               "python": sys.version.split()[0], "distributed": distributed.__version__,
               **RESULTS}
    (OUT / f"bench-{MODE}-dask.json").write_text(json.dumps(summary, indent=1))
