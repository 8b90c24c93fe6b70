"""Fit time and peak memory of both classifiers on many long reps (pytest-benchmark).

Reps are ``conftest.synthetic_reps`` of T = 100 frames and C = 17 channels
(the size of a long rep of every angle channel), given as one ``(n, T, C)``
float64 array. Each fit runs in a fresh Python process that loads the array
from disk, compiles on a few reps first, then fits on all of them; it reports
the fit's wall and CPU time and the growth of the process's peak resident
memory (``resource.getrusage``) over what it held before the fit, as a
multiple of the data's size. Another process fits under ``tracemalloc`` (not
timed) for the peak of the arrays the fit allocates. For the DTW kNN, fitting
is packing the standardised reps for the search, the class profiles and the
novelty threshold (a leave-one-out search over a 200-rep sample); for the
learned classifier, the class profiles, the features, the MLP and the novelty
threshold.

Speed is also measured against the classifier itself: each round fits on a
quarter of the reps, then on all of them (interleaved), and the median ratio
of the two times is reported with the load average (``os.getloadavg``, as
``uptime`` prints it) before and after each fit.

``FORMCHECK_BENCH``: ``quick`` (default) fits 2,000 reps, ``full`` 20,000,
``smoke`` 300. ``full`` checks the goals at that size: peak memory under twice
the data and the fit under 5 s of CPU time (both cores together, so under 5 s
of wall time on 2 cores; the wall time, also reported, grows with other load on
the machine), for both classifiers. In the smaller modes a fixed overhead of
the process (modules and allocator arenas first used by the fit) weighs more
than the data, so the figures are only reported. The summary goes to
``out/bench-<mode>-fit.json``.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from .bench_scaling import MODE, OUT
from .conftest import synthetic_reps

N_REPS = {"smoke": 300, "quick": 2000, "full": 20000}[MODE]
LENGTH, CHANNELS = 100, 17
ROUNDS = 2 if MODE == "full" else 3
KINDS = {"knn": "DTWKNeighborsClassifier()", "learned": "LearnedClassifier()"}
RESULTS: dict = {}

_CHILD = """
import json, os, resource, sys, time, tracemalloc
import numpy as np
from formcheck import DTWKNeighborsClassifier, LearnedClassifier
X, y = np.load(sys.argv[1])[: int(sys.argv[3])], np.load(sys.argv[2])[: int(sys.argv[3])]
{model}.fit(X[:40], y[:40])  # compile outside the timing
if sys.argv[4] == "tracemalloc":
    tracemalloc.start()
    {model}.fit(X, y)
    print(json.dumps({{"traced_peak": tracemalloc.get_traced_memory()[1], "data": X.nbytes}}))
    sys.exit()
resident = int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize()
load = os.getloadavg()[0]
cpu = time.process_time()
started = time.perf_counter()
{model}.fit(X, y)
seconds = time.perf_counter() - started
cpu = time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"seconds": seconds, "cpu_seconds": cpu, "peak_growth": peak - resident,
                  "data": X.nbytes, "load_before": load, "load_after": os.getloadavg()[0]}}))
"""


@pytest.fixture(scope="module")
def data_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fit-data")
    X, y = synthetic_reps(N_REPS, LENGTH, CHANNELS, seed=1)
    np.save(folder / "X.npy", X)
    np.save(folder / "y.npy", y)
    return str(folder / "X.npy"), str(folder / "y.npy")


def _fit_in_child(kind, files, n_reps, how="timed"):
    run = subprocess.run([sys.executable, "-c", _CHILD.format(model=KINDS[kind]), *files,
                          str(n_reps), how], capture_output=True, text=True, timeout=900,
                         check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def _median(runs, key):
    return float(np.median([r[key] for r in runs]))


@pytest.mark.parametrize("kind", KINDS)
def test_fit_time_and_peak_memory(benchmark, kind, data_files):
    small, full = [], []

    def one_round():  # a quarter of the reps, then all of them
        small.append(_fit_in_child(kind, data_files, N_REPS // 4))
        full.append(_fit_in_child(kind, data_files, N_REPS))

    benchmark.group = f"fit, {N_REPS} reps of {LENGTH} x {CHANNELS} (and a quarter of them)"
    benchmark.pedantic(one_round, rounds=ROUNDS)
    traced = _fit_in_child(kind, data_files, N_REPS, "tracemalloc")
    seconds, cpu = _median(full, "seconds"), _median(full, "cpu_seconds")
    peak = max(r["peak_growth"] for r in full) / full[0]["data"]
    RESULTS[kind] = {
        "n_reps": N_REPS, "length": LENGTH, "channels": CHANNELS, "fit_seconds": seconds,
        "cpu_seconds": cpu, "peak_memory_over_data": peak,
        "traced_peak_over_data": traced["traced_peak"] / traced["data"],
        "quarter_fit_seconds": _median(small, "seconds"),
        "quarter_cpu_seconds": _median(small, "cpu_seconds"),
        "time_ratio_to_quarter": float(np.median([f["seconds"] / s["seconds"]
                                                  for f, s in zip(full, small)])),
        "cpu_ratio_to_quarter": float(np.median([f["cpu_seconds"] / s["cpu_seconds"]
                                                 for f, s in zip(full, small)])),
        "data_bytes": full[0]["data"],
        "load_average": [[r["load_before"], r["load_after"]] for r in small + full]}
    benchmark.extra_info.update(RESULTS[kind])
    loads = [x for pair in RESULTS[kind]["load_average"] for x in pair]
    print(f"\n{kind}: fit {seconds:.2f} s ({cpu:.2f} s of CPU) on {N_REPS} reps, "
          f"{RESULTS[kind]['time_ratio_to_quarter']:.2f}x the time on {N_REPS // 4} "
          f"({RESULTS[kind]['cpu_ratio_to_quarter']:.2f}x its CPU); peak memory "
          f"+{peak:.2f}x the data (arrays traced: {RESULTS[kind]['traced_peak_over_data']:.2f}x); "
          f"load average {min(loads):.1f}-{max(loads):.1f}")
    if MODE == "full":
        assert peak < 2.0
        # The goal is 5 s of wall time on 2 cores; CPU time (both cores together) is the
        # stricter figure that other load on a shared machine does not inflate much.
        assert cpu < 5.0


def test_write_summary():
    if not RESULTS:
        pytest.skip("needs the fits of this run: run the whole file")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"bench-{MODE}-fit.json").write_text(json.dumps(RESULTS, indent=1) + "\n")
