"""The exact DTW k-NN search against its peers and the memory-bandwidth bound (pytest-benchmark).

Workloads (:mod:`benchmarks.workloads`): ``walks`` (the latency table's reps,
T = 64, C = 10, radius 6, independent queries), ``walks-unequal`` (the same
resampled to 40..90 frames) and ``pushfit`` (held-out real PushFit reps as
queries against the other clips' reps jittered up to N, window 0.1; skipped
when the shared datasets are absent). For each workload and N the contenders
run **interleaved**: every query goes through each of them in turn, for a few
rounds, and the medians of that one run are compared, so a load spike on a
shared machine hits them all alike; each timed call follows an untimed one
of the same contender, so none pays for the cache another one left. Contenders:

- ``formcheck``: :func:`formcheck.dtw.knn_search`, 1-NN, one query per call
  (above 100,000 training frames, and when the load average is below the
  CPUs less a half, a lone query's candidates are split over both threads;
  otherwise it runs in the calling thread);
- ``formcheck 1 thread``: the same with ``n_jobs=1``;
- ``bound pass``: :func:`formcheck.dtw.knn_upper_bounds` on one thread, the
  segment-bound pass over every candidate plus the DTW of 9 of them: what a
  query costs before the cascade, so ``formcheck 1 thread`` minus it is the
  cascade's and the DTWs' share;
- ``formcheck batch``: one call for the batch (64 queries; ``pushfit`` has
  only its 31 held-out reps), time per query (2 threads over the queries);
- ``formcheck, batch one by one``: the batch's queries through ``formcheck``,
  one call each, time per query. The ``batch / single`` ratio is the batch
  against this, paired in each round (median over rounds): the same queries
  timed back to back. (Against ``formcheck``, the median over the first few
  queries, it would mislead where queries' costs are skewed: on ``pushfit``
  at N = 3,200 the mean of the 31 was 2.7x the median of the first 12.)
- ``brute force``: the same with ``use_lower_bounds=False`` (every DTW, compiled, threaded);
- ``dtaidistance``: its parallel C ``dtw_ndim.distance_matrix_fast`` over the
  query's row (``block``, ``compact=True``; ``window`` = radius + 1 is the same
  band; for ``pushfit``, the radius of the query's own length), then the
  minimum; ``dtaidistance 1 thread`` is the same with ``parallel=False``, a
  like-for-like peer of a single query (which runs in the calling thread);
- ``memory pass``: ``numpy.sum`` over the training frames the search reads
  (``TrainingSet.data``), the memory-bandwidth reference.

The pruning funnel (share of candidates cut by each stage of the cascade) is
counted on the same queries; each row records the 1-minute load average before
and after its timings. The nearest neighbours are checked against brute
force (and, for equal lengths, against dtaidistance) before timing. The last
test writes ``out/bench-<mode>-dtw.json``, ``.md`` and ``.png`` (latency against
N, log-log, every contender). ``test_first_call_cost``
times a fresh process's import, first search and first fit + predict twice
with one new ``NUMBA_CACHE_DIR``: compiling the kernels, then loading them
from the cache.

``FORMCHECK_BENCH``: ``quick`` (default; N = 800, 3,200), ``full`` (N = 800,
3,200, 12,800) or ``smoke`` (N = 200, seconds). Run::

    FORMCHECK_BENCH=full .venv/bin/python -m pytest benchmarks/bench_dtw_kernels.py -o addopts="" \\
        --benchmark-json=out/bench-full-dtw-pytest.json
"""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from formcheck.dtw import band_radius, knn_search, knn_upper_bounds, prepare_training

from .bench_scaling import MODE, OUT
from .workloads import make_workload, pushfit_available

pytestmark = pytest.mark.filterwarnings("ignore:h5py not installed:UserWarning")
_SETTINGS = {
    "smoke": {"sizes": (200,), "queries": 3, "rounds": 1},
    "quick": {"sizes": (800, 3200), "queries": 6, "rounds": 2},
    "full": {"sizes": (800, 3200, 12800), "queries": 12, "rounds": 3},
}
SIZES = _SETTINGS[MODE]["sizes"]
N_QUERIES, ROUNDS, BATCH = _SETTINGS[MODE]["queries"], _SETTINGS[MODE]["rounds"], 64
WORKLOADS = ("walks", "walks-unequal", "pushfit")
CONTENDERS = ("formcheck", "formcheck 1 thread", "bound pass", "formcheck batch",
              "formcheck, batch one by one", "brute force", "dtaidistance", "dtaidistance 1 thread",
              "memory pass")
FUNNEL = ("pruned_lb_kim", "pruned_lb_keogh", "abandoned", "completed")
RESULTS: dict = {}  # (workload, n) -> medians, ratios, funnel


def _dtaidistance_nearest(query, train, window, parallel=True):
    from dtaidistance import dtw_ndim

    radius = band_radius(len(query), len(query), window)
    row = dtw_ndim.distance_matrix_fast([query, *train], window=radius + 1, parallel=parallel,
                                        block=((0, 1), (1, len(train) + 1)), compact=True)
    return int(np.argmin(row))


class Setting:
    """One workload at one N: the packed training set, the queries and the contenders."""

    def __init__(self, workload, n):
        self.train, queries, self.window = make_workload(workload, n, BATCH)
        self.queries = queries[:N_QUERIES]
        self.batch = queries
        self.training = prepare_training(self.train, self.window)
        self.calls = {
            "formcheck": lambda q: knn_search([q], self.training),
            "formcheck 1 thread": lambda q: knn_search([q], self.training, n_jobs=1),
            "bound pass": lambda q: knn_upper_bounds([q], self.training, n_jobs=1),
            "brute force": lambda q: knn_search([q], self.training, use_lower_bounds=False),
            "dtaidistance": lambda q: _dtaidistance_nearest(q, self.train, self.window),
            "dtaidistance 1 thread": lambda q: _dtaidistance_nearest(q, self.train, self.window,
                                                                     parallel=False),
            "memory pass": lambda q: self.training.data.sum(),
        }

    def check(self, equal_lengths):
        """Exact neighbours (and dtaidistance's, for equal lengths) before timing."""
        distances, indices = knn_search(self.batch, self.training)
        brute_distances, brute_indices = knn_search(self.batch, self.training,
                                                    use_lower_bounds=False)
        np.testing.assert_array_equal(indices, brute_indices)
        np.testing.assert_array_equal(distances, brute_distances)
        if equal_lengths:
            assert [_dtaidistance_nearest(q, self.train, self.window) for q in self.queries] == \
                indices[:len(self.queries), 0].tolist()

    def funnel(self):
        """Share of the candidates cut at each stage (adding up to 1), and by the segment bound."""
        _, _, stats = knn_search(self.queries, self.training, return_stats=True)
        shares = {key: stats[key] / stats["candidates"] for key in FUNNEL}
        return shares, stats["pruned_lb_keogh_segments"] / stats["candidates"]

    def round(self, samples):
        """Every query through every contender in turn, then the batch in one call and one by one.

        Each timed call follows an untimed one of the same contender on the
        same query, so each finds the caches as its own work leaves them (a
        peer that copies the training set would otherwise evict the next
        contender's data from the cache); in the loop over the batch, each
        single call follows the previous one.
        """
        for query in self.queries:
            for name, call in self.calls.items():
                call(query)
                started = time.perf_counter()
                call(query)
                samples[name].append(time.perf_counter() - started)
        knn_search(self.batch, self.training)
        started = time.perf_counter()
        knn_search(self.batch, self.training)
        samples["formcheck batch"].append((time.perf_counter() - started) / len(self.batch))
        single = self.calls["formcheck"]
        single(self.batch[-1])
        started = time.perf_counter()
        for query in self.batch:
            single(query)
        samples["formcheck, batch one by one"].append((time.perf_counter() - started)
                                                      / len(self.batch))


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("workload", WORKLOADS)
def test_search_against_peers(benchmark, workload, n):
    if workload == "pushfit" and not pushfit_available():
        pytest.skip("PushFit keypoints not found in the shared datasets (set FORMCHECK_DATASETS)")
    setting = Setting(workload, n)
    setting.check(equal_lengths=workload == "walks")
    for call in setting.calls.values():  # compile and warm caches outside the timing
        call(setting.queries[0])
    samples = {name: [] for name in CONTENDERS}
    benchmark.group = f"DTW search, {workload}, N={n}"
    load_before = os.getloadavg()[0]
    benchmark.pedantic(setting.round, args=(samples,), rounds=ROUNDS)
    medians = {name: float(np.median(times)) for name, times in samples.items()}
    ours = medians["formcheck"]
    RESULTS[workload, n] = {
        "workload": workload, "n": n, "window": setting.window, "queries": len(setting.queries),
        "rounds": ROUNDS, "median_seconds": medians,
        "load_average": [load_before, os.getloadavg()[0]],  # 1-minute, before and after
        "spread_seconds": {name: [float(np.percentile(t, 25)), float(np.percentile(t, 75))]
                           for name, t in samples.items()},
        "speedup": {name: medians[name] / ours
                    for name in ("brute force", "dtaidistance", "dtaidistance 1 thread")},
        "speedup_1_thread": medians["dtaidistance 1 thread"] / medians["formcheck 1 thread"],
        "bound_pass_share": medians["bound pass"] / medians["formcheck 1 thread"],
        "vs_memory_pass": ours / medians["memory pass"],
        "batch_per_query_vs_single": float(np.median(np.divide(
            samples["formcheck batch"], samples["formcheck, batch one by one"]))),
        "batch_queries": len(setting.batch),
        **dict(zip(("funnel", "cut_by_segments"), setting.funnel())),
        "lengths": [int(min(map(len, setting.train))), int(max(map(len, setting.train)))],
    }
    benchmark.extra_info.update(RESULTS[workload, n])
    print(f"\n{workload} N={n}: " + _summary_line(RESULTS[workload, n]))


def _summary_line(row):
    funnel = ", ".join(f"{key} {share:.1%}" for key, share in row["funnel"].items())
    return (f"{row['median_seconds']['formcheck'] * 1e3:.2f} ms per query; "
            f"{row['speedup']['dtaidistance']:.1f}x dtaidistance "
            f"(1 thread each {row['speedup_1_thread']:.1f}x), "
            f"bound pass {row['bound_pass_share']:.0%} of a 1-thread query, "
            f"{row['speedup']['brute force']:.1f}x brute force, "
            f"{row['vs_memory_pass']:.2f}x the memory pass, batch per query "
            f"{row['batch_per_query_vs_single']:.2f}x the same queries one by one; "
            f"funnel: {funnel}")


_FIRST_CALLS = """
import time
started = time.perf_counter()
import numpy as np
from formcheck import DTWKNeighborsClassifier
from formcheck.dtw import knn_search
imported = time.perf_counter()
rng = np.random.default_rng(0)
reps = [rng.normal(size=(int(rng.integers(20, 40)), 3)) for _ in range(60)]
knn_search(reps[:1], reps[1:], window=0.1)
searched = time.perf_counter()
DTWKNeighborsClassifier().fit(reps, np.arange(60) % 2).predict(reps[:3])
print(imported - started, searched - imported, time.perf_counter() - searched)
"""


def test_first_call_cost(tmp_path):
    """Import, first search and first fit + predict in a fresh process: kernels compiled, then cached."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    runs = {}
    for state in ("compiling", "cached"):
        out = subprocess.run([sys.executable, "-c", _FIRST_CALLS], env=env, capture_output=True,
                             text=True, timeout=900, check=True).stdout.split()
        runs[state] = dict(zip(("import", "first_search", "first_fit_predict"), map(float, out)))
    RESULTS["first calls"] = {"workload": "first calls", "seconds": runs}
    print("\nfirst calls (s): " + "; ".join(
        f"{state}: " + ", ".join(f"{key} {value:.2f}" for key, value in r.items())
        for state, r in runs.items()))
    assert runs["cached"]["first_search"] < runs["compiling"]["first_search"]


def test_write_summary():
    if not RESULTS:
        pytest.skip("needs the timings of this run: run the whole file")
    OUT.mkdir(parents=True, exist_ok=True)
    stem = OUT / f"bench-{MODE}-dtw"
    rows = [row for row in RESULTS.values() if "n" in row]
    stem.with_suffix(".json").write_text(json.dumps(
        {"mode": MODE, "cpus": os.cpu_count(), "rows": rows,
         "first_calls": RESULTS.get("first calls", {}).get("seconds")}, indent=1) + "\n")
    stem.with_suffix(".md").write_text(_markdown(rows))
    plot_search(rows, OUT / f"bench-{MODE}-dtw.png")
    assert stem.with_suffix(".md").stat().st_size > 0


def plot_search(rows, path):
    """Log-log search latency against N, one panel per workload, every contender, quartile bars."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    figure = Figure(figsize=(4.4 * len(workloads), 3.8))
    FigureCanvasAgg(figure)
    for ax, workload in zip(figure.subplots(1, len(workloads), squeeze=False)[0], workloads):
        mine = sorted((r for r in rows if r["workload"] == workload), key=lambda r: r["n"])
        n = [r["n"] for r in mine]
        for name in CONTENDERS:
            ms = np.array([r["median_seconds"][name] for r in mine]) * 1e3
            quartiles = np.array([r["spread_seconds"][name] for r in mine]).T * 1e3
            ax.errorbar(n, ms, yerr=np.abs(quartiles - ms), fmt="o-", capsize=3,
                        label=name + (", per query" if "batch" in name else ""))
        ax.set(xscale="log", yscale="log", xlabel="training reps N", ylabel="ms per query",
               title=workload)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    figure.suptitle("Exact 1-NN DTW search (medians of one interleaved run)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=90)


def _markdown(rows):
    head = ("| workload | N | load | formcheck (ms) | vs dtaidistance | 1 thread each | bound pass share "
            "| vs brute force | vs memory pass | batch / single | cut by LB_Kim | cut by LB_Keogh "
            "(segments) | DTW abandoned | DTW completed |")
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        f = r["funnel"]
        lines.append(
            f"| {r['workload']} | {r['n']:,} | {r['load_average'][0]:.1f}-{r['load_average'][1]:.1f} "
            f"| {r['median_seconds']['formcheck'] * 1e3:.2f} "
            f"| {r['speedup']['dtaidistance']:.1f}x | {r['speedup_1_thread']:.1f}x "
            f"| {r['bound_pass_share']:.0%} | {r['speedup']['brute force']:.1f}x "
            f"| {r['vs_memory_pass']:.2f}x | {r['batch_per_query_vs_single']:.2f} "
            f"| {f['pruned_lb_kim']:.1%} | {f['pruned_lb_keogh']:.1%} "
            f"({r['cut_by_segments']:.1%}) | {f['abandoned']:.1%} "
            f"| {f['completed']:.2%} |")
    return "\n".join(lines) + "\n"
