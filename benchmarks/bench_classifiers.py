"""Single-query latency of both classifiers against training-set size, and tslearn as the peer.

Fit happens in setup; only prediction is timed. The last test turns the
medians measured in this same run into the ratios the project promises:
the exact kNN at least 20x faster than tslearn's kNN-DTW at N = 3200 with
identical predictions, and the learned classifier's latency flat in N.

Run: .venv/bin/python -m pytest benchmarks/bench_classifiers.py --benchmark-only
"""

import numpy as np
import pytest

from formcheck import DTWKNeighborsClassifier, LearnedClassifier

from .conftest import synthetic_reps

SIZES = [50, 200, 800, 3200]
LENGTH, CHANNELS, RADIUS = 64, 10, 6  # radius 6 = floor(0.1 * 64)
MEDIANS: dict = {}
_FITTED: dict = {}


def _data(n):
    X, y = synthetic_reps(n + 20, LENGTH, CHANNELS, seed=n)
    return X[:n], y[:n], X[n:]


def _fitted(kind, n):
    key = (kind, n)
    if key not in _FITTED:
        X, y, queries = _data(n)
        if kind == "knn":
            model = DTWKNeighborsClassifier(n_neighbors=1, window=RADIUS, standardize=False)
        elif kind == "knn-no-bounds":
            model = DTWKNeighborsClassifier(n_neighbors=1, window=RADIUS, standardize=False,
                                            use_lower_bounds=False)
        elif kind == "learned":
            model = LearnedClassifier()
        else:
            from tslearn.neighbors import KNeighborsTimeSeriesClassifier

            model = KNeighborsTimeSeriesClassifier(
                n_neighbors=1, metric="dtw",
                metric_params={"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": RADIUS})
        model.fit(X, y)
        model.predict(queries[:1])  # compile / warm up outside the timing
        _FITTED[key] = (model, queries)
    return _FITTED[key]


def _time_single_query(benchmark, kind, n):
    model, queries = _fitted(kind, n)
    query = queries[:1]
    benchmark.group = f"single query, N={n}"
    benchmark.extra_info.update(n_train=n, length=LENGTH, channels=CHANNELS, classifier=kind)
    result = benchmark.pedantic(model.predict, args=(query,), rounds=5 if kind == "tslearn" else 30,
                                warmup_rounds=1)
    MEDIANS[(kind, n)] = benchmark.stats.stats.median
    return result


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("kind", ["knn", "knn-no-bounds", "learned", "tslearn"])
def test_single_query_latency(benchmark, kind, n):
    _time_single_query(benchmark, kind, n)


@pytest.mark.parametrize("n", SIZES)
def test_knn_predictions_equal_tslearn(n):
    knn, queries = _fitted("knn", n)
    peer, _ = _fitted("tslearn", n)
    np.testing.assert_array_equal(knn.predict(queries), peer.predict(queries))
    distances, _ = knn.kneighbors(queries)
    peer_distances, _ = peer.kneighbors(queries)
    np.testing.assert_allclose(np.sqrt(distances[:, 0]), peer_distances[:, 0], rtol=1e-9)


def test_ratios_measured_in_this_run():
    needed = [(k, n) for k in ("knn", "tslearn", "learned") for n in (SIZES[0], SIZES[-1])]
    if any(key not in MEDIANS for key in needed):
        pytest.skip("run the whole file with --benchmark-only to compare medians")
    speedup = MEDIANS[("tslearn", 3200)] / MEDIANS[("knn", 3200)]
    learned_growth = MEDIANS[("learned", 3200)] / MEDIANS[("learned", 50)]
    print(f"\nkNN vs tslearn at N=3200: {speedup:.1f}x faster; learned latency "
          f"{MEDIANS[('learned', 3200)] * 1e3:.3f} ms at N=3200, {learned_growth:.2f}x N=50")
    assert speedup >= 20
    assert learned_growth <= 1.3
    assert MEDIANS[("learned", 3200)] < 1e-3
