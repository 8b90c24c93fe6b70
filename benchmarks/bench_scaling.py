"""Prediction latency against training-set size N: both classifiers, and tslearn as the peer.

Classifiers: formcheck's DTW kNN with and without its lower bounds
(``use_lower_bounds=False``), the learned classifier, and tslearn's
``KNeighborsTimeSeriesClassifier(metric="dtw")`` with the same Sakoe-Chiba
radius. Reps are T = 64 frames of C = 10 channels (``conftest.synthetic_reps``).
Every model is fitted once per N outside the timing (fit time and model-file
size go into ``extra_info``); only ``predict`` is timed, on one rep per call (a
different query every round) and on a batch per call. Benchmarks are grouped by N.

``FORMCHECK_BENCH`` selects the sizes:

- ``quick`` (default, ``make bench``, about 30 s): N = 50, 200, 800; the CI test
  ``tests/test_benchmarking.py`` runs it too, without the learned-latency
  flatness check (timing noise on a shared 2-core machine);
- ``full`` (``make bench-full``): N = 50, 200, 800, 3200, 12800; tslearn takes
  about 0.3 s per query at 12800, so slow cases get few rounds;
- ``smoke`` (a seconds-long check of the machinery while editing it): N = 20,
  60, batches of 8, no timing assertions.

The tests after the timings use the medians measured in this same run:
predictions identical to tslearn's; at N = 3200 the kNN at least 20x faster
than tslearn; the learned classifier's latency at N = 3200 (800 in quick mode)
within 1.3x of its N = 50 value and under 1 ms, with a fitted log-log slope
within 0.1 of 0 while the kNN's is above 0.1 (timing assertions assume a quiet
machine). The last one writes ``out/bench-<mode>-scaling.json`` and ``.md``
(medians, fit times, model sizes, slopes, crossover) and
``out/bench-<mode>-latency.png`` (``FORMCHECK_BENCH_OUT`` moves ``out/``).

Run::

    make bench          # quick
    make bench-full     # full
    FORMCHECK_BENCH=full .venv/bin/python -m pytest benchmarks/bench_scaling.py -o addopts="" \\
        --benchmark-json=out/bench-full.json
"""

import functools
import itertools
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from formcheck import DTWKNeighborsClassifier, LearnedClassifier
from formcheck.evaluation.benchmark import pivot_table
from formcheck.evaluation.plots import plot_latency
from formcheck.evaluation.scaling import crossover, fit_power_law, format_slope
from formcheck.evaluation.timing import model_bytes

from .conftest import synthetic_reps

pytestmark = pytest.mark.filterwarnings("ignore:h5py not installed:UserWarning")
MODE = os.environ.get("FORMCHECK_BENCH", "quick")
_SETTINGS = {
    "smoke": {"sizes": (20, 60), "tslearn_max": 60, "batch": 8, "budget": 0.2},
    "quick": {"sizes": (50, 200, 800), "tslearn_max": 800, "batch": 64, "budget": 1.0},
    "full": {"sizes": (50, 200, 800, 3200, 12800), "tslearn_max": 12800, "batch": 64,
             "budget": 2.0},
}
if MODE not in _SETTINGS:
    raise ValueError(f"FORMCHECK_BENCH must be one of {sorted(_SETTINGS)}, got {MODE!r}")
SIZES = _SETTINGS[MODE]["sizes"]
TSLEARN_MAX = _SETTINGS[MODE]["tslearn_max"]
BATCH = _SETTINGS[MODE]["batch"]
BUDGET = _SETTINGS[MODE]["budget"]  # seconds of timing per benchmark, at least 2-3 rounds
OUT = Path(os.environ.get("FORMCHECK_BENCH_OUT") or Path(__file__).resolve().parents[1] / "out")

LENGTH, CHANNELS, RADIUS = 64, 10, 6  # radius 6 = floor(0.1 * 64)
N_QUERIES, N_CHECKED = 64, 20
KINDS = ("knn", "knn-no-bounds", "learned", "tslearn")
LABELS = {"knn": "DTW kNN", "knn-no-bounds": "DTW kNN, no lower bounds", "learned": "learned",
          "tslearn": "tslearn kNN-DTW"}
MEDIANS: dict = {}  # (kind, n, "single" | "batch") -> median seconds per call


class Fitted:
    """A model fitted on N reps, its queries and what fitting cost."""

    def __init__(self, kind, n):
        X, y = synthetic_reps(n + N_QUERIES, LENGTH, CHANNELS, seed=n)
        self.model, self.queries = _make(kind), X[n:]
        _make(kind).fit(X[:20], y[:20])  # imports and compilation stay out of the fit time
        started = time.perf_counter()
        self.model.fit(X[:n], y[:n])
        self.fit_seconds = time.perf_counter() - started
        self.model.predict(self.queries[:1])  # compile / warm up outside the timing
        started = time.perf_counter()
        self.model.predict(self.queries[1:2])
        self.call_seconds = time.perf_counter() - started
        self.model_bytes = _model_bytes(self.model)

    def rounds(self, reps_per_call):
        """Rounds that fit in the time budget: 3 to 50 (2 for very slow batches)."""
        low = 3 if reps_per_call == 1 else 2
        return int(np.clip(BUDGET / (self.call_seconds * reps_per_call), low, 50))


def _make(kind):
    if kind == "learned":
        return LearnedClassifier()
    if kind == "tslearn":
        from tslearn.neighbors import KNeighborsTimeSeriesClassifier

        return KNeighborsTimeSeriesClassifier(
            n_neighbors=1, metric="dtw",
            metric_params={"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": RADIUS})
    return DTWKNeighborsClassifier(n_neighbors=1, window=RADIUS, standardize=False,
                                   use_lower_bounds=kind == "knn")


def _model_bytes(model):
    if hasattr(model, "save"):
        return model_bytes(model)
    with tempfile.TemporaryDirectory() as folder:  # tslearn: its own pickle format
        path = Path(folder) / "model.pkl"
        model.to_pickle(str(path))
        return path.stat().st_size


@functools.cache
def _fitted(kind, n) -> Fitted:
    return Fitted(kind, n)


def _skip_slow_peer(kind, n):
    if kind == "tslearn" and n > TSLEARN_MAX:
        pytest.skip(f"tslearn above N={TSLEARN_MAX} runs in full mode only (make bench-full)")


@pytest.mark.parametrize("calls", ["single", "batch"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", SIZES)
def test_latency(benchmark, n, kind, calls):
    _skip_slow_peer(kind, n)
    fitted = _fitted(kind, n)
    per_call = 1 if calls == "single" else BATCH
    order = itertools.cycle(range(len(fitted.queries)))
    if calls == "single":
        def setup():
            return (fitted.queries[[next(order)]],), {}
    else:
        def setup():
            return (fitted.queries[:BATCH],), {}
    benchmark.group = f"N={n:>6}, {per_call} rep(s) per call"
    benchmark.extra_info.update(
        classifier=LABELS[kind], n_train=n, length=LENGTH, channels=CHANNELS, radius=RADIUS,
        reps_per_call=per_call, fit_seconds=fitted.fit_seconds, model_bytes=fitted.model_bytes,
        mode=MODE)
    benchmark.pedantic(fitted.model.predict, setup=setup, rounds=fitted.rounds(per_call))
    MEDIANS[kind, n, calls] = benchmark.stats.stats.median


@pytest.mark.parametrize("n", SIZES)
def test_knn_predictions_equal_tslearn(n):
    _skip_slow_peer("tslearn", n)
    knn, peer = _fitted("knn", n), _fitted("tslearn", n)
    queries = knn.queries[:N_CHECKED]
    np.testing.assert_array_equal(knn.model.predict(queries), peer.model.predict(queries))
    distances, _ = knn.model.kneighbors(queries)
    peer_distances, _ = peer.model.kneighbors(queries)
    np.testing.assert_allclose(np.sqrt(distances[:, 0]), peer_distances[:, 0], rtol=1e-9)


def _median(kind, n, calls="single"):
    if (kind, n, calls) not in MEDIANS:
        pytest.skip("needs the latency medians of this run: run the whole file")
    return MEDIANS[kind, n, calls]


def test_knn_at_least_20x_faster_than_tslearn_at_3200():
    if 3200 not in SIZES or TSLEARN_MAX < 3200:
        pytest.skip("N = 3200 is timed in full mode (make bench-full)")
    speedup = _median("tslearn", 3200) / _median("knn", 3200)
    print(f"\nkNN vs tslearn at N=3200: {speedup:.1f}x faster")
    assert speedup >= 20


@pytest.mark.skipif(MODE == "smoke", reason="timing assertions need quick or full mode")
def test_learned_latency_is_flat_and_under_1ms():
    largest = min(SIZES[-1], 3200)  # 3200 in full mode, 800 in quick mode
    growth = _median("learned", largest) / _median("learned", SIZES[0])
    slope = _slope(_rows(), "learned")
    print(f"\nlearned: {_median('learned', largest) * 1e3:.3f} ms at N={largest}, "
          f"{growth:.2f}x N={SIZES[0]}; fitted slope {slope:.3f}")
    assert growth <= 1.3
    assert _median("learned", largest) < 1e-3
    assert abs(slope) < 0.1 < _slope(_rows(), "DTW kNN")


def _rows():
    return [{"classifier": LABELS[kind], "n": n, "single_seconds": MEDIANS[kind, n, "single"],
             "batch_seconds": MEDIANS[kind, n, "batch"] / BATCH, "batch_size": BATCH,
             "fit_seconds": _fitted(kind, n).fit_seconds,
             "model_bytes": _fitted(kind, n).model_bytes}
            for kind in KINDS for n in SIZES
            if (kind, n, "single") in MEDIANS and (kind, n, "batch") in MEDIANS]


def _line(rows, name, key="single_seconds"):
    """Fitted (slope, intercept) of one classifier's latency on log-log axes."""
    return fit_power_law(*zip(*[(r["n"], r[key]) for r in rows if r["classifier"] == name]))


def _slope(rows, name, key="single_seconds"):
    return _line(rows, name, key)[0]


def test_write_summary():
    rows = _rows()
    names = list(dict.fromkeys(r["classifier"] for r in rows))
    if "learned" not in names or "DTW kNN" not in names:
        pytest.skip("needs the latency medians of this run: run the whole file")
    summary = {"mode": MODE, "length": LENGTH, "channels": CHANNELS, "radius": RADIUS,
               "batch_size": BATCH, "cpus": os.cpu_count(), "machine": platform.platform(),
               "rows": rows,
               "slopes": {name: {"single": _slope(rows, name),
                                 "batch": _slope(rows, name, "batch_seconds")} for name in names},
               "crossover_n": crossover(_line(rows, "DTW kNN"), _line(rows, "learned"))}
    OUT.mkdir(parents=True, exist_ok=True)
    stem = OUT / f"bench-{MODE}"
    paths = [Path(f"{stem}-scaling.json"), Path(f"{stem}-scaling.md"), Path(f"{stem}-latency.png")]
    paths[0].write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    paths[1].write_text(_markdown(rows, summary), encoding="utf-8")
    plot_latency(rows, paths[2], title=f"T={LENGTH}, C={CHANNELS}, {MODE} run")
    assert all(path.stat().st_size > 0 for path in paths)


def _markdown(rows, summary):
    tables = [("One rep per call (ms)", "single_seconds", "{:.3f}", 1e3),
              (f"Batches of {BATCH} (ms per rep)", "batch_seconds", "{:.3f}", 1e3),
              ("Fit time (s)", "fit_seconds", "{:.2f}", 1.0),
              ("Model file (kB)", "model_bytes", "{:,.0f}", 1e-3)]
    parts = [f"{title}:\n\n{pivot_table(rows, key, fmt, scale=scale)}"
             for title, key, fmt, scale in tables]
    slopes = ", ".join(f"{name} {format_slope(s['single'])} (batches {format_slope(s['batch'])})"
                       for name, s in summary["slopes"].items())
    n_cross = summary["crossover_n"]
    parts.append(f"Fitted log-log slopes, one rep per call: {slopes}. " + (
        f"The fitted lines of the DTW kNN and the learned classifier cross at N ≈ {n_cross:,.0f}."
        if n_cross else "The fitted lines of the DTW kNN and the learned classifier do not cross."))
    return "\n\n".join(parts) + "\n"
