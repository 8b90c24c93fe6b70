"""Micro-benchmarks of the DTW k-NN search (pytest-benchmark).

Single-query latency of a 1-NN search over N training series (T = 64 frames,
C = 10 channels, window = 0.1), for formcheck with lower bounds, formcheck
brute force (every DTW in full, compiled and parallel) and tslearn's
``KNeighborsTimeSeriesClassifier(metric="dtw")`` with the same band. The
training set is built once per N (outside the timing); only the search for one
query is timed. Predictions are checked to agree before timing.

Run (the project's pytest options ignore ``benchmarks/`` by default)::

    .venv/bin/pytest benchmarks/bench_dtw_kernels.py -o addopts="" \\
        --benchmark-group-by=param:n_train --benchmark-json=dtw-knn.json

Compare two saved runs with ``pytest-benchmark compare``.
"""

import warnings

import numpy as np
import pytest

from formcheck.dtw import band_radius, knn_search, prepare_training

N_TRAIN = [50, 200, 800, 3200]
T, C, WINDOW, N_CLASSES = 64, 10, 0.1, 6


def make_reps(n, seed, length=T, n_channels=C, n_classes=N_CLASSES):
    """Rep-like series: per class and channel a sinusoid (frequency, phase,
    amplitude, offset), per rep a small time shift, amplitude jitter, a slow
    random-walk drift and sensor noise. Smooth, as joint angles are."""
    rng = np.random.default_rng(seed)
    shape_rng = np.random.default_rng(12345)  # classes are the same in every call
    freq = shape_rng.uniform(0.5, 2.0, (n_classes, n_channels))
    phase = shape_rng.uniform(0, 2 * np.pi, (n_classes, n_channels))
    amp = shape_rng.uniform(0.5, 2.0, (n_classes, n_channels))
    offset = shape_rng.normal(0, 1, (n_classes, n_channels))
    labels = rng.integers(0, n_classes, n)
    t = np.linspace(0, 1, length)[:, None]
    X = np.empty((n, length, n_channels))
    for s, c in enumerate(labels):
        shift = rng.normal(0, 0.03)
        scale = 1 + rng.normal(0, 0.1, n_channels)
        drift = np.cumsum(rng.normal(0, 0.03, (length, n_channels)), axis=0)
        noise = rng.normal(0, 0.05, (length, n_channels))
        X[s] = offset[c] + scale * amp[c] * np.sin(2 * np.pi * freq[c] * (t + shift) + phase[c]) + drift + noise
    return X, labels


@pytest.fixture(scope="module")
def queries():
    return make_reps(16, seed=99)[0]


_cache = {}


def _training(n_train):
    if n_train not in _cache:
        X, y = make_reps(n_train, seed=n_train)
        _cache[n_train] = X, y, prepare_training(X, WINDOW)
    return _cache[n_train]


def _tslearn_classifier(X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from tslearn.neighbors import KNeighborsTimeSeriesClassifier

        radius = band_radius(T, T, WINDOW)
        params = {"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": radius}
        return KNeighborsTimeSeriesClassifier(n_neighbors=1, metric="dtw", metric_params=params).fit(X, y)


@pytest.mark.parametrize("method", ["formcheck-lower-bounds", "formcheck-brute-force", "tslearn"])
@pytest.mark.parametrize("n_train", N_TRAIN)
def test_single_query_latency(benchmark, queries, n_train, method):
    X, y, training = _training(n_train)
    query = queries[:1]
    _, reference = knn_search(query, training, 1, use_lower_bounds=False)
    if method == "tslearn":
        clf = _tslearn_classifier(X, y)
        assert clf.predict(query)[0] == y[reference[0, 0]]
        run = lambda: clf.predict(query)  # noqa: E731
    else:
        use_lb = method == "formcheck-lower-bounds"
        run = lambda: knn_search(query, training, 1, use_lower_bounds=use_lb)  # noqa: E731
        np.testing.assert_array_equal(run()[1], reference)
    benchmark.group = f"knn single query, N={n_train}"
    benchmark.extra_info.update(n_train=n_train, length=T, n_channels=C, window=WINDOW, method=method)
    if method == "formcheck-lower-bounds":
        stats = knn_search(query, training, 1, return_stats=True)[2]
        benchmark.extra_info["pruned_fraction"] = 1 - stats["completed"] / stats["candidates"]
    benchmark.pedantic(run, rounds=5 if method == "tslearn" else 30, warmup_rounds=1)
