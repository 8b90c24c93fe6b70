"""Tests for formcheck.dtw: DTW values, band convention, lower bounds, exact k-NN."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from formcheck.dtw import (
    TrainingSet,
    band_radius,
    dtw_distance,
    dtw_path,
    knn_search,
    knn_upper_bounds,
    lb_keogh,
    lb_kim,
    pack_training,
    pairwise_dtw,
    prepare_training,
)
from formcheck.dtw import _bounds, _dp
from formcheck.errors import ChannelMismatchError, InputError, MissingDataError

WINDOWS = [None, 0, 1, 3, 0.1, 0.5]


# ------------------------------------------------------------- reference


def ref_radius(n, m, window):
    if window is None:
        return max(n, m)
    if isinstance(window, int):
        return window
    return math.floor(window * max(n, m))


def ref_allowed(i, j, n, m, r):
    """The band rule, written as in the definition (tslearn's convention)."""
    if n <= m:
        return i - r <= j <= i + (m - n) + r
    return j - r <= i <= j + (n - m) + r


def ref_dtw(x, y, window):
    """Plain O(nm) DTW: squared Euclidean frame cost, summed, no sqrt."""
    n, m = len(x), len(y)
    r = ref_radius(n, m, window)
    D = np.full((n + 1, m + 1), np.inf)
    D[0, 0] = 0.0
    for i in range(n):
        for j in range(m):
            if ref_allowed(i, j, n, m, r):
                cost = float(np.sum((x[i] - y[j]) ** 2))
                D[i + 1, j + 1] = cost + min(D[i, j], D[i, j + 1], D[i + 1, j])
    return D[n, m]


def brute_knn(queries, train, k, window):
    """Every DTW, then a stable sort: ties go to the lower training index."""
    D = np.array([[dtw_distance(q, t, window) for t in train] for q in queries])
    idx = np.argsort(D, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(D, idx, axis=1), idx


def random_walks(rng, n_series, lengths, n_channels):
    lo, hi = lengths
    return [rng.normal(size=(int(rng.integers(lo, hi + 1)), n_channels)).cumsum(axis=0) for _ in range(n_series)]


def class_data(rng, n_series, length=40, n_channels=4, n_classes=3):
    """Noisy shifted sinusoids, a few classes: the kind of data pruning is for."""
    t = np.linspace(0, 1, length)[:, None]
    freq = np.linspace(0.5, 2.0, n_classes * n_channels).reshape(n_classes, n_channels)
    labels = rng.integers(0, n_classes, n_series)
    shift = rng.normal(0, 0.03, (n_series, 1, 1))
    noise = rng.normal(0, 0.05, (n_series, length, n_channels))
    return np.sin(2 * np.pi * freq[labels][:, None, :] * (t + shift)) + noise


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


series_strategy = st.integers(1, 12).flatmap(
    lambda n: arrays(np.float64, (n, 2), elements=st.floats(-1e3, 1e3, allow_nan=False, width=64))
)
window_strategy = st.sampled_from(WINDOWS + [2, 0.25, 1.0])


# ------------------------------------------------------------- DTW values


def tslearn_import(module, name):
    """Import from tslearn without its warning about the optional h5py."""
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return getattr(importlib.import_module(module), name)


def test_band_rule_is_tslearns_mask():
    sakoe_chiba_mask = tslearn_import("tslearn.metrics", "sakoe_chiba_mask")

    for n, m, r in [(5, 9, 0), (5, 9, 2), (9, 5, 1), (7, 7, 3), (1, 6, 0), (6, 1, 2)]:
        ours = np.array([[ref_allowed(i, j, n, m, r) for j in range(m)] for i in range(n)])
        np.testing.assert_array_equal(ours, sakoe_chiba_mask(n, m, r))


@pytest.mark.parametrize("window", WINDOWS)
def test_dtw_distance_matches_reference(rng, window):
    for _ in range(25):
        x, y = random_walks(rng, 2, (1, 18), int(rng.integers(1, 4)))
        expected = ref_dtw(x, y, window)
        assert dtw_distance(x, y, window) == pytest.approx(expected, rel=1e-12, abs=1e-12)
        assert dtw_distance(x, y, window) == dtw_distance(y, x, window)  # exactly symmetric


@pytest.mark.parametrize("window", WINDOWS)
def test_dtw_distance_is_squared_tslearn_dtw(rng, window):
    ts_dtw = tslearn_import("tslearn.metrics", "dtw")

    for _ in range(15):
        x, y = random_walks(rng, 2, (2, 30), 3)
        r = band_radius(len(x), len(y), window)
        kwargs = {} if window is None else {"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": r}
        assert dtw_distance(x, y, window) == pytest.approx(ts_dtw(x, y, **kwargs) ** 2, rel=1e-10)


def test_band_radius():
    assert band_radius(50, 64, 0.1) == 6  # floor(0.1 * 64)
    assert band_radius(64, 50, 0.1) == 6
    assert band_radius(10, 20, 3) == 3
    assert band_radius(10, 20, None) == 20
    assert band_radius(10, 20, 0.0) == 0
    assert band_radius(10, 20, 1.0) == 20


def test_zero_radius_equal_lengths_is_euclidean(rng):
    x, y = random_walks(rng, 2, (12, 12), 3)
    assert dtw_distance(x, y, window=0) == pytest.approx(np.sum((x - y) ** 2))


def test_max_dist_abandons_only_above(rng):
    for window in WINDOWS:
        x, y = random_walks(rng, 2, (1, 25), 2)
        d = dtw_distance(x, y, window)
        assert dtw_distance(x, y, window, max_dist=d) == d
        assert dtw_distance(x, y, window, max_dist=d * 1.5 + 1) == d
        if d > 0:
            assert dtw_distance(x, y, window, max_dist=np.nextafter(d, 0)) == np.inf
            assert dtw_distance(x, y, window, max_dist=d / 3) == np.inf


@pytest.mark.parametrize("window", WINDOWS)
def test_dtw_path(rng, window):
    for _ in range(10):
        x, y = random_walks(rng, 2, (1, 15), 2)
        n, m = len(x), len(y)
        path, d = dtw_path(x, y, window)
        assert d == dtw_distance(x, y, window)  # same recurrence, bit-identical
        assert path[0] == (0, 0) and path[-1] == (n - 1, m - 1)
        steps = {(i1 - i0, j1 - j0) for (i0, j0), (i1, j1) in zip(path, path[1:])}
        assert steps <= {(0, 1), (1, 0), (1, 1)}
        r = ref_radius(n, m, window)
        assert all(ref_allowed(i, j, n, m, r) for i, j in path)
        assert sum(float(np.sum((x[i] - y[j]) ** 2)) for i, j in path) == pytest.approx(d, rel=1e-12, abs=1e-12)


def test_dtw_path_simple():
    path, d = dtw_path(np.array([[0.0], [1.0], [1.0], [2.0]]), np.array([[0.0], [1.0], [2.0]]))
    assert path == [(0, 0), (1, 1), (2, 1), (3, 2)]
    assert d == 0.0


def test_pairwise_dtw(rng):
    X = random_walks(rng, 5, (1, 12), 2)
    Y = random_walks(rng, 3, (1, 12), 2)
    D = pairwise_dtw(X, Y, window=0.5)
    assert D.shape == (5, 3)
    for i, x in enumerate(X):
        for j, y in enumerate(Y):
            assert D[i, j] == dtw_distance(x, y, 0.5)
    S = pairwise_dtw(X, window=1, n_jobs=1)
    np.testing.assert_array_equal(S, S.T)
    assert S[1, 3] == dtw_distance(X[1], X[3], 1)
    assert np.all(np.diag(S) == 0)


def test_accepts_integers_lists_and_3d(rng):
    x = [[0, 1], [2, 3], [4, 5]]
    assert dtw_distance(x, x) == 0.0
    X = rng.normal(size=(4, 6, 2))
    np.testing.assert_array_equal(pairwise_dtw(X), pairwise_dtw(list(X)))


# ----------------------------------------------------------- lower bounds


def keogh_rows_rest(x, y, r):
    """Per-row LB_Keogh terms and their suffix sums, as knn_search uses them."""
    n, m = len(x), len(y)
    upper, lower, rows = np.empty_like(x), np.empty_like(x), np.empty(n)
    lb = _bounds.lb_keogh(x, y, r, np.inf, upper, lower, np.empty((4, m, x.shape[1])), rows)
    rest = np.zeros(n + 1)
    rest[:n] = np.cumsum(rows[::-1])[::-1]
    return lb, rest


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=series_strategy, y=series_strategy, window=window_strategy)
def test_lower_bounds_never_exceed_dtw(x, y, window):
    d = dtw_distance(x, y, window)
    assert lb_kim(x, y) <= d
    assert lb_keogh(x, y, window) <= d
    assert lb_keogh(y, x, window) <= d


@settings(max_examples=200, deadline=None)
@given(x=series_strategy, y=series_strategy, window=window_strategy, frac=st.floats(0.0, 2.0))
def test_abandoning_dtw_with_cumulative_bound_is_exact(x, y, window, frac):
    """The pruned kernel knn_search uses: exact below the threshold, inf above."""
    d = dtw_distance(x, y, window)
    r = band_radius(len(x), len(y), window)
    _, rest = keogh_rows_rest(x, y, r)
    prev, curr = np.empty(len(y) + 1), np.empty(len(y) + 1)
    for max_dist in (d * frac, d, np.inf):
        got = _dp.dtw_band_ea(x, y, r, max_dist, rest, prev, curr)
        assert got == (d if d <= max_dist else np.inf)


@settings(max_examples=200, deadline=None)
@given(
    y=arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 3)), elements=st.floats(-100, 100)),
    n_rows=st.integers(1, 30),
    r=st.integers(0, 12),
)
def test_envelope_is_band_window_extrema(y, n_rows, r):
    m = len(y)
    a, b = _dp.band_extents(n_rows, m, r)
    upper, lower = np.empty((n_rows, y.shape[1])), np.empty((n_rows, y.shape[1]))
    _bounds.envelope(y, n_rows, a, b, upper, lower, np.empty((4, m, y.shape[1])))
    for i in range(n_rows):
        window = y[max(0, i - a) : min(m - 1, i + b) + 1]
        np.testing.assert_array_equal(upper[i], window.max(axis=0))
        np.testing.assert_array_equal(lower[i], window.min(axis=0))


def test_lower_bounds_tight_when_equal():
    x = np.array([[0.0], [4.0], [0.0]])
    assert lb_kim(x, x) == 0.0 and lb_keogh(x, x, 1) == 0.0
    assert lb_kim(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])) == 5.0  # single frames: exact


def test_lb_keogh_unequal_lengths_uses_the_band(rng):
    # For n < m the window of row i is [i - r, i + (m - n) + r]: a query that
    # matches y after stretching must get a zero bound.
    y = rng.normal(size=(20, 2)).cumsum(axis=0)
    x = y[::2]
    assert lb_keogh(x, y, window=0) == 0.0


def streamed_bounds(x, y, window):
    """The k-NN search's streamed bounds of query ``x`` against candidate ``y``.

    Returns the segment-mean bound, the streamed LB_Keogh total, the
    remaining-rows bounds DTW abandons on and the slack-inflation term count.
    """
    n, m, n_ch = len(x), len(y), x.shape[1]
    r = band_radius(n, m, window)
    depth = _bounds.floor_log2(n) + 1
    tmax, tmin = np.empty((depth, n, n_ch)), np.empty((depth, n, n_ch))
    _bounds.range_tables(x, tmax, tmin)
    n_seg = -(-m // _bounds.SEGMENT)
    means, seg_up, seg_lo = (np.empty((n_seg, n_ch)) for _ in range(3))
    _bounds.segment_means(y, means)
    _bounds.segment_envelope(tmax, tmin, n, m, r, _bounds.segment_margins(y), seg_up, seg_lo)
    upper, lower = np.empty((m, n_ch)), np.empty((m, n_ch))
    _bounds.row_envelope(tmax, tmin, n, m, r, upper, lower)
    terms, rest = np.empty(m * n_ch), np.empty(m + 1)
    total = _bounds.keogh_terms(y, upper, lower, np.inf, terms)
    looked_up = np.empty(m * n_ch)  # the same terms, the envelope read from the tables
    _bounds.keogh_from_tables(y, tmax, tmin, n, r, np.inf, looked_up)
    np.testing.assert_array_equal(looked_up, terms)
    _bounds.remaining_rows(terms, m, n_ch, rest)
    segments = np.empty(1)  # a length group of one candidate
    _bounds.lb_segments(means.ravel(), 1, 0, 1, seg_up, seg_lo, m, segments)
    return segments[0], total, rest, m * n_ch + n + m + n_ch + 8


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=series_strategy, y=series_strategy, window=window_strategy,
       scale=st.sampled_from([1.0, 1e-160, 1e150]))
def test_streamed_bounds_never_exceed_the_prune_threshold_of_dtw(x, y, window, scale):
    x, y = x * scale, y * scale
    d = dtw_distance(x, y, window)
    segments, total, rest, n_terms = streamed_bounds(x, y, window)
    threshold = _bounds.prune_threshold(d, n_terms)
    assert segments <= threshold and total <= threshold
    # The rows DTW abandons on are exactly the LB_Keogh row terms, summed as before.
    _, expected_rest = keogh_rows_rest(y, x, band_radius(len(x), len(y), window))
    np.testing.assert_array_equal(rest, expected_rest)


def test_segment_bound_prunes_on_shape_data(rng):
    x, y = class_data(rng, 2, length=64)
    segments, total, _, _ = streamed_bounds(x, y + 1.0, 0.1)
    assert 0 < segments <= total


@settings(max_examples=100, deadline=None)
@given(y=arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 3)),
                elements=st.floats(-1e300, 1e300)), start=st.integers(0, 29), width=st.integers(1, 30))
def test_range_tables_give_window_extrema(y, start, width):
    start = min(start, len(y) - 1)
    stop = min(len(y) - 1, start + width - 1)
    depth = _bounds.floor_log2(len(y)) + 1
    tmax, tmin = np.empty((depth, *y.shape)), np.empty((depth, *y.shape))
    _bounds.range_tables(y, tmax, tmin)
    upper, lower = np.empty((1, y.shape[1])), np.empty((1, y.shape[1]))
    _bounds.window_extrema(tmax, tmin, start, stop, upper, lower, 0)
    np.testing.assert_array_equal(upper[0], y[start : stop + 1].max(axis=0))
    np.testing.assert_array_equal(lower[0], y[start : stop + 1].min(axis=0))


# --------------------------------------------------------------- k-NN


@pytest.mark.parametrize("k", [1, 3, 5])
@pytest.mark.parametrize("window", [None, 0, 2, 0.1, 0.5])
def test_knn_equals_brute_force_random(rng, k, window):
    train = random_walks(rng, 30, (2, 40), 3)
    train += [train[3].copy(), train[7].copy(), train[3].copy()]  # duplicates -> exact ties
    queries = random_walks(rng, 4, (2, 40), 3) + [train[3].copy(), train[10][:5].copy()]
    expected_d, expected_i = brute_knn(queries, train, k, window)
    ts = prepare_training(train, window)
    for use_lb in (True, False):
        for n_jobs in (1, -1):
            d, i = knn_search(queries, ts, k, use_lower_bounds=use_lb, n_jobs=n_jobs)
            np.testing.assert_array_equal(i, expected_i)
            np.testing.assert_array_equal(d, expected_d)
        d, i = knn_search(queries[:1], ts, k, use_lower_bounds=use_lb)  # single query path
        np.testing.assert_array_equal(i, expected_i[:1])


@pytest.mark.parametrize("k", [1, 3, 5])
def test_knn_ties_broken_by_lower_index(rng, k):
    # Values in {0, 1}: many candidates share exactly the same distance.
    train = [rng.integers(0, 2, size=(int(rng.integers(3, 7)), 2)).astype(float) for _ in range(60)]
    queries = [rng.integers(0, 2, size=(int(rng.integers(3, 7)), 2)).astype(float) for _ in range(8)]
    for window in (None, 1, 0.5):
        expected_d, expected_i = brute_knn(queries, train, k, window)
        for use_lb in (True, False):
            d, i = knn_search(queries, train, k, window, use_lower_bounds=use_lb)
            np.testing.assert_array_equal(i, expected_i)
            np.testing.assert_array_equal(d, expected_d)


def test_knn_equals_brute_force_on_class_data_and_prunes(rng):
    train = list(class_data(rng, 300))
    queries = list(class_data(rng, 6))
    expected_d, expected_i = brute_knn(queries, train, 3, 0.1)
    d, i, stats = knn_search(queries, train, 3, 0.1, return_stats=True)
    np.testing.assert_array_equal(i, expected_i)
    np.testing.assert_array_equal(d, expected_d)
    assert stats["candidates"] == 6 * 300
    assert sum(stats[key] for key in ("pruned_lb_kim", "pruned_lb_keogh", "abandoned", "completed")) == 1800
    assert stats["completed"] < 0.2 * stats["candidates"]


def test_knn_equals_brute_force_other_lengths(rng):
    # Queries of lengths absent from the training set use on-the-fly envelopes.
    train = list(class_data(rng, 80, length=40))
    queries = [q[: int(rng.integers(15, 40))] for q in class_data(rng, 5, length=40)]
    queries += [np.repeat(q, 2, axis=0) for q in class_data(rng, 2, length=40)]
    for window in (3, 0.1):
        expected_d, expected_i = brute_knn(queries, train, 2, window)
        d, i = knn_search(queries, train, 2, window)
        np.testing.assert_array_equal(i, expected_i)
        np.testing.assert_array_equal(d, expected_d)


def test_parallel_kernels_agree(rng, monkeypatch):
    import formcheck.dtw.distance

    train = random_walks(rng, 40, (2, 30), 3) + [np.zeros((5, 3))] * 3
    queries = random_walks(rng, 5, (2, 30), 3) + [np.zeros((5, 3))]
    expected = [knn_search(queries, train, 3, 2, use_lower_bounds=lb) for lb in (True, False)]
    expected_pairwise = pairwise_dtw(train, window=0.2)
    monkeypatch.setattr(formcheck.dtw.distance, "_PARALLEL_MIN_CELLS", 0)  # force the threaded kernels
    for lb, (d, i) in zip((True, False), expected):
        got_d, got_i = knn_search(queries, train, 3, 2, use_lower_bounds=lb, n_jobs=2)
        np.testing.assert_array_equal(got_i, i)
        np.testing.assert_array_equal(got_d, d)
    np.testing.assert_array_equal(pairwise_dtw(train, window=0.2, n_jobs=2), expected_pairwise)


@pytest.mark.parametrize("n_jobs", [2, 3])
def test_knn_split_over_threads_equals_brute_force(rng, monkeypatch, n_jobs):
    # A lone query's candidates in chunks taken by threads: exact, ties by index, even when
    # chunks hold fewer candidates than k.
    import formcheck.dtw.search

    search = formcheck.dtw.search
    monkeypatch.setattr(search, "_SPLIT_MIN_FRAMES", 0)
    monkeypatch.setattr(search, "_idle_cores", lambda: True)  # split even on a busy machine
    shared = []
    share_chunks = search._share_chunks
    monkeypatch.setattr(search, "_share_chunks", lambda *args: shared.append(args[1]) or
                        share_chunks(*args))
    ties = [rng.integers(0, 2, size=(int(rng.integers(3, 7)), 3)).astype(float) for _ in range(30)]
    walks = random_walks(rng, 150, (5, 40), 3)
    for train, k in ((ties, 5), (walks, 3), (walks[:6], 6), (walks + walks[:20], 2)):
        ts = prepare_training(train, 0.2)
        for query in ties[:2] + random_walks(rng, 3, (5, 40), 3) + [train[4], walks[7][:9]]:
            expected_d, expected_i = brute_knn([query], train, k, 0.2)
            d, i, stats = knn_search([query], ts, k, n_jobs=n_jobs, return_stats=True)
            np.testing.assert_array_equal(i, expected_i)
            np.testing.assert_array_equal(d, expected_d)
            assert stats["candidates"] == len(train)
            assert sum(stats[key] for key in ("pruned_lb_kim", "pruned_lb_keogh", "abandoned",
                                              "completed")) == len(train)
            assert len(shared.pop()) == min(len(train), 4 * n_jobs)  # chunks, shared out
    monkeypatch.setattr(search, "_idle_cores", lambda: False)  # all cores busy: one thread
    knn_search([walks[0]], prepare_training(walks, 0.2), 3, n_jobs=n_jobs)
    assert not shared


def test_segment_bounds_of_a_part_are_those_of_the_whole(rng):
    # A part of the sweep starting inside a tile, over groups wider than one block of tiles.
    from formcheck.dtw import _knn

    train = random_walks(rng, 700, (30, 30), 16) + random_walks(rng, 300, (60, 64), 16)
    ts = prepare_training(train, 3)
    query = random_walks(rng, 1, (50, 50), 16)[0]
    depth = _bounds.floor_log2(len(query)) + 1
    tmax, tmin = np.empty((1, depth, len(query), 16)), np.empty((1, depth, len(query), 16))
    _bounds.range_tables(query, tmax[0], tmin[0])
    qoff = np.array([0, len(query)])

    def bounds(p_lo, p_hi):
        return _knn._segment_bounds(qoff, 0, 1, ts.group_starts, ts.group_lengths, ts.means,
                                    ts.mean_starts, ts.margins, 1, 3.0, tmax, tmin, p_lo, p_hi)

    whole = bounds(0, len(ts))
    for p_lo, p_hi in ((0, 1000), (37, 950), (130, 131), (699, 701), (5, 64), (64, 1000)):
        np.testing.assert_array_equal(bounds(p_lo, p_hi), whole[:, p_lo:p_hi])


@pytest.mark.parametrize("scale", [1e-160, 1.0, 1e150])
def test_knn_exact_with_near_ties_at_any_scale(rng, scale):
    # Candidates a rounding error apart: the pruning slack must not lose a neighbour.
    base = random_walks(rng, 12, (20, 40), 3)
    train = [s * scale for s in base] + [s * scale * (1 + 1e-15) for s in base]
    train += [s * scale + 1e-14 * scale for s in base]
    queries = [s * scale * (1 - 1e-15) for s in base[:4]] + [base[5][::2] * scale]
    for window in (2, 0.1):
        expected_d, expected_i = brute_knn(queries, train, 3, window)
        d, i = knn_search(queries, train, 3, window)
        np.testing.assert_array_equal(i, expected_i)
        np.testing.assert_array_equal(d, expected_d)


def test_knn_batch_blocks_agree_with_single_queries(rng):
    # More queries than one block of the sweep shares, several lengths.
    train = random_walks(rng, 50, (10, 30), 2)
    queries = random_walks(rng, 70, (8, 35), 2)
    ts = prepare_training(train, 3)
    d, i = knn_search(queries, ts, 2, n_jobs=1)
    for q, (row_d, row_i) in enumerate(zip(d, i)):
        single_d, single_i = knn_search(queries[q : q + 1], ts, 2)
        np.testing.assert_array_equal(single_i[0], row_i)
        np.testing.assert_array_equal(single_d[0], row_d)


def test_knn_with_overflowing_costs(rng):
    # Squared differences overflow to inf: such candidates tie at inf, by index.
    train = [np.full((4, 1), 1e200), np.zeros((4, 1)), np.full((5, 1), -1e200), np.full((3, 1), 1e200)]
    queries = [np.full((4, 1), -1e200), np.ones((4, 1))]
    for use_lb in (True, False):
        d, i = knn_search(queries, train, 4, 1, use_lower_bounds=use_lb)
        expected_d, expected_i = brute_knn(queries, train, 4, 1)
        np.testing.assert_array_equal(i, expected_i)
        np.testing.assert_array_equal(d, expected_d)


def test_knn_k_equals_n_and_3d_input(rng):
    X = rng.normal(size=(6, 10, 2)).cumsum(axis=1)
    d, i = knn_search(X[:2], X, n_neighbors=6, window=2)
    assert sorted(i[0].tolist()) == list(range(6))
    assert i[0, 0] == 0 and d[0, 0] == 0.0
    assert np.all(np.diff(d, axis=1) >= 0)


@pytest.mark.parametrize("window", [None, 2])
def test_knn_matches_tslearn_kneighbors(rng, window):
    KNeighborsTimeSeriesClassifier = tslearn_import("tslearn.neighbors", "KNeighborsTimeSeriesClassifier")
    to_time_series_dataset = tslearn_import("tslearn.utils", "to_time_series_dataset")

    # Unequal lengths: tslearn pads with NaN and strips the padding per pair.
    train = random_walks(rng, 40, (5, 30), 3)
    queries = random_walks(rng, 5, (5, 30), 3)
    params = None if window is None else {"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": window}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = KNeighborsTimeSeriesClassifier(n_neighbors=3, metric="dtw", metric_params=params)
        clf.fit(to_time_series_dataset(train), np.arange(40) % 2)
        ts_d, ts_i = clf.kneighbors(to_time_series_dataset(queries))
    d, i = knn_search(queries, train, 3, window)
    np.testing.assert_allclose(np.sqrt(d), ts_d, rtol=1e-10)
    np.testing.assert_array_equal(i, ts_i)  # continuous data: no ties


def test_training_set(rng):
    train = random_walks(rng, 4, (3, 9), 2)
    ts = prepare_training(train, window=0.5)
    assert isinstance(ts, TrainingSet) and len(ts) == 4 and ts.n_channels == 2
    assert ts.lengths.tolist() == [len(t) for t in train]
    np.testing.assert_array_equal(ts.series(2), train[2])
    with pytest.raises(ValueError):
        ts.series(2)[0, 0] = 1.0  # read-only view
    # Same window again is fine; None means "the training set's own window".
    np.testing.assert_array_equal(knn_search(train, ts, 2, 0.5)[1], knn_search(train, ts, 2)[1])


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "bad, error",
    [
        (np.array([[0.0, np.nan], [1.0, 1.0]]), MissingDataError),
        (np.array([[0.0, np.inf], [1.0, 1.0]]), MissingDataError),
        (np.zeros(5), InputError),
        (np.zeros((2, 3, 2)), InputError),
        (np.zeros((0, 2)), InputError),
        (np.zeros((3, 0)), InputError),
        (np.zeros((4, 3)), ChannelMismatchError),
        ("abc", InputError),
    ],
)
def test_bad_series(bad, error):
    good = np.zeros((4, 2))
    for func in (dtw_distance, dtw_path, lb_kim, lb_keogh):
        with pytest.raises(error):
            func(good, bad)
    with pytest.raises(error):
        knn_search([bad], [good, good])
    with pytest.raises(error):
        knn_search([good], [good, bad])
    with pytest.raises(error):
        pairwise_dtw([good, bad])


@pytest.mark.parametrize("window", [-1, 1.5, -0.1, float("nan"), "3", True, [2]])
def test_bad_window(window):
    x = np.zeros((4, 2))
    with pytest.raises(InputError, match="window"):
        dtw_distance(x, x, window)
    with pytest.raises(InputError, match="window"):
        prepare_training([x], window)


def test_other_bad_arguments():
    x = np.zeros((4, 2))
    with pytest.raises(InputError, match="max_dist"):
        dtw_distance(x, x, max_dist=-1)
    with pytest.raises(InputError, match="n_neighbors"):
        knn_search([x], [x, x], n_neighbors=3)
    with pytest.raises(InputError, match="n_neighbors"):
        knn_search([x], [x, x], n_neighbors=0)
    with pytest.raises(InputError, match="n_jobs"):
        knn_search([x], [x, x], n_jobs=0)
    with pytest.raises(InputError, match="no series"):
        knn_search([], [x])
    with pytest.raises(InputError, match="list of"):
        knn_search(x, [x])  # one 2-D array is not a collection
    with pytest.raises(ChannelMismatchError):
        pairwise_dtw([x], [np.zeros((4, 3))])
    bad_3d = np.zeros((3, 4, 2))
    bad_3d[1, 2, 0] = np.nan
    with pytest.raises(MissingDataError, match=r"train\[1\]"):
        prepare_training(bad_3d)
    with pytest.raises(InputError):
        prepare_training(np.zeros((2, 0, 2)))
    with pytest.raises(InputError, match="differs from the training set"):
        knn_search([x], prepare_training([x], window=2), window=3)


def test_pack_training_keeps_the_array_and_checks_it(rng):
    train = random_walks(rng, 6, (3, 9), 2)
    data = np.concatenate(train)
    offsets = np.cumsum([0] + [len(t) for t in train])
    ts = pack_training(data, offsets, 2)
    assert ts.data is data
    np.testing.assert_array_equal(knn_search(train, ts, 2)[1], knn_search(train, train, 2, 2)[1])
    with pytest.raises(InputError, match="C-contiguous float64"):
        pack_training(data.astype(np.float32), offsets)
    with pytest.raises(InputError, match="offsets must increase"):
        pack_training(data, offsets[::-1])
    with pytest.raises(InputError, match="offsets must increase"):
        pack_training(data, [0, len(data) - 1])
    with pytest.raises(MissingDataError):
        pack_training(np.full((4, 2), np.nan), [0, 4])


def test_knn_upper_bounds_are_distances_to_real_candidates_at_least_the_exact_ones(rng):
    train = random_walks(rng, 80, (10, 30), 2)
    queries = random_walks(rng, 6, (10, 30), 2)
    ts = prepare_training(train, 3)
    bound_d, bound_i = knn_upper_bounds(queries, ts, 2)
    exact_d, _ = knn_search(queries, ts, 2)
    assert (bound_d >= exact_d).all()
    for q, row_d, row_i in zip(queries, bound_d, bound_i):
        assert [dtw_distance(q, train[i], 3) for i in row_i] == row_d.tolist()
