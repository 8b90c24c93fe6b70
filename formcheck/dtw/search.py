"""Dynamic time warping between multichannel series, and exact k-NN search.

Definition used everywhere in formcheck (the DTW "distance"):

* series are float arrays of shape ``(T, C)``, time first; lengths may differ,
  channel counts may not;
* the cost of matching frame ``x[i]`` with frame ``y[j]`` is the squared
  Euclidean distance over channels (dependent, multivariate DTW);
* the distance is the sum of costs along the cheapest warping path.
  **No square root is taken**: the value is the square of what
  :func:`tslearn.metrics.dtw` returns, so neighbours rank the same;
* ``window`` is a Sakoe-Chiba band: an ``int`` is a radius ``r`` in frames, a
  ``float`` in ``[0, 1]`` is ``r = floor(window * max(n, m))``, ``None`` is no
  constraint. For ``n <= m`` cell ``(i, j)`` is allowed when
  ``i - r <= j <= i + (m - n) + r`` (tslearn's band for unequal lengths); for
  ``n > m`` the roles are swapped, so ``dtw_distance(x, y) ==
  dtw_distance(y, x)`` exactly.

Each public function validates its input and raises
:class:`~formcheck.errors.InputError` (or a subclass) with a clear message;
the numba kernels live in :mod:`formcheck.dtw._kernels`.
"""

from __future__ import annotations

import functools
import numbers
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import joblib
import numpy as np

from . import _kernels as _k
from ..errors import ChannelMismatchError, InputError, MissingDataError, TooFewFramesError

__all__ = [
    "dtw_distance",
    "dtw_path",
    "pairwise_dtw",
    "lb_kim",
    "lb_keogh",
    "TrainingSet",
    "prepare_training",
    "knn_search",
    "band_radius",
]

# ------------------------------------------------------------------ checks


def _check_series(x, name="x"):
    """Return ``x`` as a C-contiguous float64 ``(T, C)`` array, or raise."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric array of shape (T, C): {exc}") from None
    if arr.ndim != 2:
        hint = " (use x.reshape(-1, 1) for a single channel)" if arr.ndim == 1 else ""
        raise InputError(f"{name} must have shape (T, C), got {arr.ndim} dimension(s){hint}")
    if arr.shape[0] == 0:
        raise TooFewFramesError(f"{name} is empty: it has no frames")
    if arr.shape[1] == 0:
        raise InputError(f"{name} has no channels")
    if not np.isfinite(arr).all():
        raise MissingDataError(f"{name} contains NaN or infinite values; fill gaps before DTW")
    return np.ascontiguousarray(arr)


def _check_same_channels(x, y, xname="x", yname="y"):
    if x.shape[1] != y.shape[1]:
        raise ChannelMismatchError(f"{xname} has {x.shape[1]} channels but {yname} has {y.shape[1]}")


def _check_dataset(X, name="X"):
    """Validate a list of ``(T_i, C)`` series or a ``(n, T, C)`` array.

    Returns ``(data, offsets)``: the series concatenated along time, and the
    ``n + 1`` start offsets.
    """
    expected = f"{name} must be a list of (T, C) arrays or an array of shape (n, T, C)"
    if isinstance(X, np.ndarray):
        if X.ndim != 3:
            raise InputError(f"{expected}, got {X.ndim} dimension(s)")
        return _check_array_dataset(X, name)
    if isinstance(X, (list, tuple)):
        series = list(X)
    else:
        raise InputError(f"{expected}, got {type(X).__name__}")
    if not series:
        raise InputError(f"{name} holds no series")
    checked = [_check_series(s, f"{name}[{i}]") for i, s in enumerate(series)]
    n_channels = checked[0].shape[1]
    for i, s in enumerate(checked):
        if s.shape[1] != n_channels:
            raise ChannelMismatchError(
                f"{name}[{i}] has {s.shape[1]} channels but {name}[0] has {n_channels}"
            )
    offsets = np.zeros(len(checked) + 1, dtype=np.int64)
    np.cumsum([s.shape[0] for s in checked], out=offsets[1:])
    return np.ascontiguousarray(np.concatenate(checked, axis=0)), offsets


def _check_array_dataset(X, name):
    """:func:`_check_dataset` for one ``(n, T, C)`` array, checked in one go."""
    if X.shape[0] == 0:
        raise InputError(f"{name} holds no series")
    if X.shape[1] == 0 or X.shape[2] == 0:
        _check_series(X[0], f"{name}[0]")  # raises the right error
    try:
        data = np.array(X, dtype=np.float64, order="C").reshape(-1, X.shape[2])
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numeric: {exc}") from None
    finite = np.isfinite(data).all(axis=1).reshape(X.shape[:2]).all(axis=1)
    if not finite.all():
        _check_series(X[int(np.argmin(finite))], f"{name}[{int(np.argmin(finite))}]")  # raises
    return data, np.arange(X.shape[0] + 1, dtype=np.int64) * X.shape[1]


def _check_window(window):
    """Return the kernels' ``(mode, value)`` for a public ``window``."""
    if window is None:
        return _k.MODE_NONE, 0.0
    if isinstance(window, (bool, np.bool_)):
        raise InputError("window must be None, an int radius or a float fraction in [0, 1], not a bool")
    if isinstance(window, numbers.Integral):
        if window < 0:
            raise InputError(f"window radius must be >= 0, got {window}")
        return _k.MODE_RADIUS, float(min(window, 2**53))  # any radius >= the length is no constraint
    if isinstance(window, numbers.Real):
        window = float(window)
        if not 0.0 <= window <= 1.0:
            raise InputError(
                f"a float window is a fraction of the longer length and must be in [0, 1], got {window}"
            )
        return _k.MODE_FRACTION, window
    raise InputError(f"window must be None, an int or a float, got {type(window).__name__}")


def _check_max_dist(max_dist):
    try:
        value = float(max_dist)
    except (TypeError, ValueError):
        raise InputError(f"max_dist must be a number, got {max_dist!r}") from None
    if np.isnan(value) or value < 0:
        raise InputError(f"max_dist must be >= 0, got {max_dist!r}")
    return value


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


@functools.cache
def _cpu_count():
    return joblib.cpu_count()  # honours cgroup quotas; ~0.1 ms, hence cached


def _n_threads(n_jobs):
    """Threads to use for ``n_jobs`` (-1 = one per CPU available)."""
    if not _is_int(n_jobs) or n_jobs == 0 or n_jobs < -1:
        raise InputError(f"n_jobs must be -1 or a positive int, got {n_jobs!r}")
    return _cpu_count() if n_jobs == -1 else int(n_jobs)


# Below about this many frame pairs (total frames x total frames), threads cost
# more (start-up, and on a busy machine waiting for a descheduled worker) than
# they save; a lone query is searched in the calling thread for the same reason.
_PARALLEL_MIN_CELLS = 2_000_000


def _worth_threads(xoff, yoff, n_threads):
    """Whether comparing every x with every y is enough work for threads."""
    return n_threads > 1 and float(xoff[-1]) * float(yoff[-1]) >= _PARALLEL_MIN_CELLS


def _in_chunks(kernel, n_items, n_threads):
    """Call ``kernel(start, stop)`` over ``range(n_items)`` on ``n_threads`` threads.

    The kernels release the GIL; chunks are small (four per thread) so that
    threads finishing early take more.
    """
    if n_threads <= 1:
        kernel(0, n_items)
        return
    size = -(-n_items // (4 * n_threads))
    bounds = [(start, min(n_items, start + size)) for start in range(0, n_items, size)]
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        for future in [pool.submit(kernel, start, stop) for start, stop in bounds]:
            future.result()


# --------------------------------------------------------------- two series


def band_radius(n, m, window):
    """Band radius in frames that ``window`` gives for lengths ``n`` and ``m``.

    Parameters
    ----------
    n, m : int
        Lengths of the two series.
    window : int, float or None
        See :func:`dtw_distance`.

    Returns
    -------
    int
        ``window`` for an int, ``floor(window * max(n, m))`` for a float,
        ``max(n, m)`` (no constraint) for None.

    Examples
    --------
    >>> band_radius(50, 64, 0.1)
    6
    >>> band_radius(50, 64, 3)
    3
    """
    mode, value = _check_window(window)
    return int(_k.radius(int(n), int(m), mode, value))


def dtw_distance(x, y, window=None, max_dist=np.inf):
    """DTW between two ``(T, C)`` series: squared costs summed, no square root.

    Band-limited, in linear memory, with early abandoning.

    Parameters
    ----------
    x : array-like of shape (n, C)
        First series, time first.
    y : array-like of shape (m, C)
        Second series; ``m`` may differ from ``n``, ``C`` may not.
    window : int, float or None, default=None
        Sakoe-Chiba band. ``int``: radius in frames. ``float`` in ``[0, 1]``:
        radius ``floor(window * max(n, m))``. ``None``: unconstrained. For
        ``n <= m`` cell ``(i, j)`` is allowed when
        ``i - r <= j <= i + (m - n) + r`` (as in tslearn).
    max_dist : float, default=inf
        Return ``inf`` as soon as the distance is known to be larger than
        this (strictly). A distance ``<= max_dist`` is always returned exactly.

    Returns
    -------
    float
        Sum of squared Euclidean frame costs along the best warping path in
        the band, or ``inf`` if that sum exceeds ``max_dist``. This is the
        square of :func:`tslearn.metrics.dtw` with the same band, so it ranks
        neighbours identically.

    Raises
    ------
    InputError
        Wrong shape, empty series, bad ``window`` or ``max_dist``.
    MissingDataError
        NaN or infinite values.
    ChannelMismatchError
        ``x`` and ``y`` have different channel counts.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [2.0]])
    >>> y = np.array([[0.0], [2.0]])
    >>> dtw_distance(x, y)
    1.0
    >>> dtw_distance(x, y, max_dist=0.5)
    inf
    """
    x = _check_series(x, "x")
    y = _check_series(y, "y")
    _check_same_channels(x, y)
    mode, value = _check_window(window)
    max_dist = _check_max_dist(max_dist)
    return _dtw_distance(x, y, mode, value, max_dist)


def _dtw_distance(x, y, mode, value, max_dist):
    r = _k.radius(x.shape[0], y.shape[0], mode, value)
    prev = np.empty(y.shape[0] + 1)
    curr = np.empty(y.shape[0] + 1)
    if max_dist == np.inf:
        return float(_k.dtw_band(x, y, r, prev, curr))
    rest = np.zeros(x.shape[0] + 1)
    return float(_k.dtw_band_ea(x, y, r, max_dist, rest, prev, curr))


def dtw_path(x, y, window=None):
    """Best warping path and its DTW cost (full cost matrix, for alignment).

    Parameters
    ----------
    x : array-like of shape (n, C)
        First series, time first.
    y : array-like of shape (m, C)
        Second series.
    window : int, float or None, default=None
        Sakoe-Chiba band, as in :func:`dtw_distance`.

    Returns
    -------
    path : list of (int, int)
        Matched frame pairs ``(i, j)`` from ``(0, 0)`` to ``(n - 1, m - 1)``;
        each step increases ``i``, ``j`` or both by one. On ties the diagonal
        step is preferred.
    distance : float
        Sum of squared frame costs along ``path``; equal to
        ``dtw_distance(x, y, window)`` (no square root).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [2.0]])
    >>> y = np.array([[0.0], [2.0]])
    >>> dtw_path(x, y)
    ([(0, 0), (1, 0), (2, 1)], 1.0)
    """
    x = _check_series(x, "x")
    y = _check_series(y, "y")
    _check_same_channels(x, y)
    mode, value = _check_window(window)
    return _dtw_path(x, y, mode, value)


def _dtw_path(x, y, mode, value):
    r = _k.radius(x.shape[0], y.shape[0], mode, value)
    D = _k.dtw_matrix(x, y, r)
    path = _k.backtrack(D)
    return [(int(i), int(j)) for i, j in path], float(D[-1, -1])


def lb_kim(x, y):
    """LB_Kim lower bound of :func:`dtw_distance`, valid for any band.

    Every warping path starts with frames ``(0, 0)`` and ends with
    ``(n - 1, m - 1)``; the bound is the sum of those two costs (one cost when
    both series have a single frame). When the longer series has at least 4
    frames, the cheapest possible second cell and second-to-last cell of the
    path are added too.

    Parameters
    ----------
    x : array-like of shape (n, C)
    y : array-like of shape (m, C)

    Returns
    -------
    float
        A value ``<= dtw_distance(x, y, window)`` for every ``window``.

    Examples
    --------
    >>> import numpy as np
    >>> lb_kim(np.array([[0.0], [5.0], [1.0]]), np.array([[1.0], [3.0]]))
    5.0
    """
    x = _check_series(x, "x")
    y = _check_series(y, "y")
    _check_same_channels(x, y)
    return float(_k.lb_kim(x, y))


def lb_keogh(x, y, window=None):
    """LB_Keogh lower bound of :func:`dtw_distance` for the same band.

    The envelope of ``y`` is taken, for each frame ``i`` of ``x``, over the
    frames of ``y`` that row ``i`` may be matched with in the band (so unequal
    lengths need no resampling); the bound sums, over frames and channels,
    the squared amount by which ``x`` leaves that envelope.

    Parameters
    ----------
    x : array-like of shape (n, C)
        Query.
    y : array-like of shape (m, C)
        Candidate whose envelope is taken.
    window : int, float or None, default=None
        Sakoe-Chiba band, as in :func:`dtw_distance`.

    Returns
    -------
    float
        A value ``<= dtw_distance(x, y, window)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [4.0], [0.0]])
    >>> y = np.array([[0.0], [1.0], [0.0]])
    >>> lb_keogh(x, y, window=1), dtw_distance(x, y, window=1)
    (9.0, 9.0)
    """
    x = _check_series(x, "x")
    y = _check_series(y, "y")
    _check_same_channels(x, y)
    mode, value = _check_window(window)
    n, m = x.shape[0], y.shape[0]
    r = _k.radius(n, m, mode, value)
    upper = np.empty_like(x)
    lower = np.empty_like(x)
    work = np.empty((4, m, x.shape[1]))
    rows = np.empty(n)
    return float(_k.lb_keogh(x, y, r, np.inf, upper, lower, work, rows))


# -------------------------------------------------------------- many series


def pairwise_dtw(X, Y=None, window=None, *, n_jobs=-1):
    """DTW between every pair of series of two collections (no square root).

    Parameters
    ----------
    X : list of array-like of shape (T_i, C), or array of shape (n, T, C)
        First collection; lengths may differ.
    Y : same as X, optional
        Second collection, same channel count. ``None`` means ``X`` (the
        symmetric half is computed once).
    window : int, float or None, default=None
        Sakoe-Chiba band, as in :func:`dtw_distance`; a float is applied to
        each pair's own longer length.
    n_jobs : int, default=-1
        Threads; -1 uses one per CPU. Small problems run in the calling
        thread.

    Returns
    -------
    ndarray of shape (len(X), len(Y))
        ``D[i, j] == dtw_distance(X[i], Y[j], window)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = [np.zeros((3, 2)), np.ones((4, 2))]
    >>> pairwise_dtw(X)
    array([[0., 8.],
           [8., 0.]])
    """
    xdata, xoff = _check_dataset(X, "X")
    if Y is None:
        ydata, yoff, symmetric = xdata, xoff, True
    else:
        ydata, yoff = _check_dataset(Y, "Y")
        symmetric = False
        if xdata.shape[1] != ydata.shape[1]:
            raise ChannelMismatchError(f"X has {xdata.shape[1]} channels but Y has {ydata.shape[1]}")
    mode, value = _check_window(window)
    return _pairwise(xdata, xoff, ydata, yoff, mode, value, symmetric, _n_threads(n_jobs))


def _pairwise(xdata, xoff, ydata, yoff, mode, value, symmetric, n_threads):
    """All DTWs; threads over the flattened pairs when there is enough work."""
    nx, ny = xoff.shape[0] - 1, yoff.shape[0] - 1
    out = np.empty((nx, ny))
    threads = n_threads if _worth_threads(xoff, yoff, n_threads) else 1

    def kernel(start, stop):
        _k.pairwise_range(xdata, xoff, ydata, yoff, mode, value, symmetric, start, stop, out)

    _in_chunks(kernel, nx * ny, threads)
    if symmetric:
        lower = np.tril_indices(nx, -1)
        out[lower] = out.T[lower]
    return out


@dataclass(frozen=True, eq=False)
class TrainingSet:
    """Reference series packed for :func:`knn_search` (build with :func:`prepare_training`).

    Attributes
    ----------
    data : ndarray of shape (sum of lengths, C)
        All series concatenated along time (a private copy: do not modify).
    offsets : ndarray of int64, shape (n_series + 1,)
        Series ``i`` is ``data[offsets[i]:offsets[i + 1]]``.
    length_values : ndarray of int64
        The distinct series lengths, sorted.
    length_index : ndarray of int64, shape (n_series,)
        Position of each series' length in ``length_values``.
    window : int, float or None
        The Sakoe-Chiba band searches use.
    """

    data: np.ndarray
    offsets: np.ndarray
    length_values: np.ndarray
    length_index: np.ndarray
    window: int | float | None

    def __len__(self):
        return self.offsets.shape[0] - 1

    @property
    def n_channels(self):
        """Number of channels of every series."""
        return self.data.shape[1]

    @property
    def lengths(self):
        """Length of each series, as an int64 array."""
        return np.diff(self.offsets)

    def series(self, i):
        """Series ``i`` as a read-only ``(T_i, C)`` view."""
        view = self.data[self.offsets[i] : self.offsets[i + 1]]
        view.flags.writeable = False
        return view


def prepare_training(train, window=None):
    """Validate and pack reference series once, for repeated :func:`knn_search`.

    Parameters
    ----------
    train : list of array-like of shape (T_i, C), or array of shape (n, T, C)
        Reference (training) series; lengths may differ.
    window : int, float or None, default=None
        Sakoe-Chiba band the searches will use, as in :func:`dtw_distance`.

    Returns
    -------
    TrainingSet
        Pass it to :func:`knn_search`; it owns a read-only copy of the data.
        To save it, keep ``data``, ``offsets`` and ``window``; rebuild with
        ``prepare_training(np.split(data, offsets[1:-1]), window)``.

    Examples
    --------
    >>> import numpy as np
    >>> ts = prepare_training([np.zeros((5, 3)), np.ones((7, 3))], window=0.1)
    >>> len(ts), ts.n_channels, ts.lengths.tolist()
    (2, 3, [5, 7])
    """
    data, offsets = _check_dataset(train, "train")
    _check_window(window)
    length_values, length_index = np.unique(np.diff(offsets), return_inverse=True)
    return TrainingSet(data, offsets, length_values.astype(np.int64), length_index.astype(np.int64).ravel(), window)


def knn_search(
    queries, train, n_neighbors=1, window=None, *, use_lower_bounds=True, n_jobs=-1, return_stats=False
):
    """Exact k nearest training series of each query by DTW.

    Returns exactly what brute force returns: all DTW distances, neighbours
    sorted by distance, ties broken by the lower training index. With lower
    bounds, candidates are visited in increasing LB_Kim order, skipped when
    LB_Kim or LB_Keogh (the query's envelope over the band, built once per
    distinct training length, so any lengths work) already exceeds the
    current k-th best, and DTW stops early once it must exceed it; a
    candidate whose bound or distance only ties the k-th best is always
    computed in full, so ties resolve as in brute force.

    Parameters
    ----------
    queries : list of array-like of shape (T_i, C), or array of shape (q, T, C)
        Query series; lengths may differ.
    train : TrainingSet, list of array-like or array of shape (n, T, C)
        Reference series. A list or array is packed with
        :func:`prepare_training` on each call; pack once with it and pass the
        :class:`TrainingSet` when searching repeatedly.
    n_neighbors : int, default=1
        Neighbours per query, ``1 <= n_neighbors <= len(train)``.
    window : int, float or None, default=None
        Sakoe-Chiba band, as in :func:`dtw_distance`. When ``train`` is a
        :class:`TrainingSet` its own window is used: leave this ``None`` or
        pass the same value.
    use_lower_bounds : bool, default=True
        ``False`` computes every DTW in full (brute force, still compiled and
        threaded); the result is the same, only slower.
    n_jobs : int, default=-1
        Threads; -1 uses one per CPU. With lower bounds, queries are
        spread over threads and a single query runs in the calling thread
        (lowest latency); brute force spreads query x training pairs. Small
        problems run in the calling thread either way.
    return_stats : bool, default=False
        Also return a dict counting how candidates were handled.

    Returns
    -------
    distances : ndarray of shape (q, n_neighbors)
        DTW distances (no square root), increasing along each row.
    indices : ndarray of int64, shape (q, n_neighbors)
        Indices into ``train`` of the neighbours.
    stats : dict, only when ``return_stats``
        ``candidates`` (query x training pairs), ``pruned_lb_kim``,
        ``pruned_lb_keogh``, ``abandoned`` (DTW stopped early) and
        ``completed`` (DTW computed in full).

    Examples
    --------
    >>> import numpy as np
    >>> train = prepare_training([np.zeros((4, 2)), np.ones((5, 2)), np.zeros((6, 2))], window=1)
    >>> distances, indices = knn_search([np.full((4, 2), 0.9)], train, n_neighbors=2)
    >>> indices.tolist(), np.round(distances, 2).tolist()
    ([[1, 0]], [[0.1, 6.48]])
    """
    qdata, qoff = _check_dataset(queries, "queries")
    if not isinstance(train, TrainingSet):
        train = prepare_training(train, window)
    elif window is not None and _check_window(window) != _check_window(train.window):
        raise InputError(
            f"window={window!r} differs from the training set's window={train.window!r}; prepare_training again"
        )
    if qdata.shape[1] != train.n_channels:
        raise ChannelMismatchError(
            f"queries have {qdata.shape[1]} channels but the training series have {train.n_channels}"
        )
    k = _check_n_neighbors(n_neighbors, len(train))
    mode, value = _check_window(train.window)
    n_threads = _n_threads(n_jobs)
    if use_lower_bounds:
        dist, idx, counts = _knn_lower_bounds(qdata, qoff, train, mode, value, k, n_threads)
    else:
        dist, idx, counts = _brute_force(qdata, qoff, train, mode, value, k, n_threads)
    if not return_stats:
        return dist, idx
    names = ("candidates", "pruned_lb_kim", "pruned_lb_keogh", "abandoned", "completed")
    return dist, idx, dict(zip(names, (int(c) for c in counts)))


def _check_n_neighbors(n_neighbors, n_train):
    if not _is_int(n_neighbors) or n_neighbors < 1:
        raise InputError(f"n_neighbors must be a positive int, got {n_neighbors!r}")
    if n_neighbors > n_train:
        raise InputError(f"n_neighbors={n_neighbors} but the training set holds only {n_train} series")
    return int(n_neighbors)


def _knn_lower_bounds(qdata, qoff, train, mode, value, k, n_threads):
    """Pruned search; threads over queries, a lone query in this thread."""
    n_queries = qoff.shape[0] - 1
    dist = np.empty((n_queries, k))
    idx = np.empty((n_queries, k), dtype=np.int64)
    stats = np.zeros((n_queries, 5), dtype=np.int64)
    threads = n_threads if n_queries > 1 and _worth_threads(qoff, train.offsets, n_threads) else 1

    tables = (train.data, train.offsets, train.length_values, train.length_index)

    def kernel(start, stop):
        _k.knn_range(qdata, qoff, start, stop, *tables, mode, value, dist, idx, stats)

    _in_chunks(kernel, n_queries, threads)
    return dist, idx, stats.sum(axis=0)


def _brute_force(qdata, qoff, train, mode, value, k, n_threads):
    """Every DTW in full, then a stable sort: ties go to the lower index."""
    D = _pairwise(qdata, qoff, train.data, train.offsets, mode, value, False, n_threads)
    idx = np.argsort(D, axis=1, kind="stable")[:, :k]
    counts = np.array([D.size, 0, 0, 0, D.size])
    return np.take_along_axis(D, idx, axis=1), idx.astype(np.int64), counts
