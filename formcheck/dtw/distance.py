"""DTW between two series, its lower bounds, and DTW between every pair of two collections.

Each public function validates its input (:mod:`formcheck.dtw.validation`)
and runs numba kernels (:mod:`formcheck.dtw._dp`, :mod:`formcheck.dtw._bounds`).
The definition of the distance is in :mod:`formcheck.dtw`; in short, frame
costs are squared Euclidean distances, summed along the best warping path in a
Sakoe-Chiba band, and **no square root is taken**.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _bounds, _dp
from .validation import (check_collection, check_max_dist, check_n_jobs, check_same_channels,
                         check_series, check_window, concatenate)
from ..errors import ChannelMismatchError

__all__ = ["band_radius", "dtw_distance", "dtw_path", "lb_kim", "lb_keogh", "pairwise_dtw"]


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
    mode, value = check_window(window)
    return int(_dp.radius(int(n), int(m), mode, value))


def _two_series(x, y):
    x = check_series(x, "x")
    y = check_series(y, "y")
    check_same_channels(x, y)
    return x, y


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
        the band, or ``inf`` if that sum exceeds ``max_dist``. No square root
        is taken: this is the square of :func:`tslearn.metrics.dtw` with the
        same band, so it ranks neighbours identically.

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
    x, y = _two_series(x, y)
    mode, value = check_window(window)
    max_dist = check_max_dist(max_dist)
    r = _dp.radius(x.shape[0], y.shape[0], mode, value)
    prev = np.empty(y.shape[0] + 1)
    curr = np.empty(y.shape[0] + 1)
    if max_dist == np.inf:
        return float(_dp.dtw_band(x, y, r, prev, curr))
    rest = np.zeros(x.shape[0] + 1)
    return float(_dp.dtw_band_ea(x, y, r, max_dist, rest, prev, curr))


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
        Sum of squared frame costs along ``path`` (no square root); equal to
        ``dtw_distance(x, y, window)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [2.0]])
    >>> y = np.array([[0.0], [2.0]])
    >>> dtw_path(x, y)
    ([(0, 0), (1, 0), (2, 1)], 1.0)
    """
    x, y = _two_series(x, y)
    mode, value = check_window(window)
    D = _dp.dtw_matrix(x, y, _dp.radius(x.shape[0], y.shape[0], mode, value))
    path = _dp.backtrack(D)
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
        A value ``<= dtw_distance(x, y, window)`` for every ``window``
        (squared costs, no square root).

    Examples
    --------
    >>> import numpy as np
    >>> lb_kim(np.array([[0.0], [5.0], [1.0]]), np.array([[1.0], [3.0]]))
    5.0
    """
    x, y = _two_series(x, y)
    return float(_bounds.lb_kim(x, y))


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
        A value ``<= dtw_distance(x, y, window)`` (squared, no square root).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [4.0], [0.0]])
    >>> y = np.array([[0.0], [1.0], [0.0]])
    >>> lb_keogh(x, y, window=1), dtw_distance(x, y, window=1)
    (9.0, 9.0)
    """
    x, y = _two_series(x, y)
    mode, value = check_window(window)
    n, m = x.shape[0], y.shape[0]
    r = _dp.radius(n, m, mode, value)
    upper = np.empty_like(x)
    lower = np.empty_like(x)
    work = np.empty((4, m, x.shape[1]))
    rows = np.empty(n)
    return float(_bounds.lb_keogh(x, y, r, np.inf, upper, lower, work, rows))


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
    xdata, xoff = concatenate(check_collection(X, "X"))
    if Y is None:
        ydata, yoff, symmetric = xdata, xoff, True
    else:
        ydata, yoff = concatenate(check_collection(Y, "Y"))
        symmetric = False
        if xdata.shape[1] != ydata.shape[1]:
            raise ChannelMismatchError(f"X has {xdata.shape[1]} channels but Y has {ydata.shape[1]}")
    mode, value = check_window(window)
    return pairwise_packed(xdata, xoff, ydata, yoff, mode, value, symmetric, check_n_jobs(n_jobs))


# Below about this many frame pairs (total frames x total frames), threads cost
# more (start-up, and on a busy machine waiting for a descheduled worker) than
# they save; a lone query is searched in the calling thread for the same reason.
_PARALLEL_MIN_CELLS = 2_000_000


def worth_threads(xoff, yoff, n_threads):
    """Whether comparing every x with every y (packed offsets) is enough work for threads."""
    return n_threads > 1 and float(xoff[-1]) * float(yoff[-1]) >= _PARALLEL_MIN_CELLS


def in_chunks(kernel, n_items, n_threads):
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


def pairwise_packed(xdata, xoff, ydata, yoff, mode, value, symmetric, n_threads):
    """:func:`pairwise_dtw` on checked, packed input; threads when there is enough work."""
    nx, ny = xoff.shape[0] - 1, yoff.shape[0] - 1
    out = np.empty((nx, ny))
    threads = n_threads if worth_threads(xoff, yoff, n_threads) else 1

    def kernel(start, stop):
        _dp.pairwise_range(xdata, xoff, ydata, yoff, mode, value, symmetric, start, stop, out)

    in_chunks(kernel, nx * ny, threads)
    if symmetric:
        lower = np.tril_indices(nx, -1)
        out[lower] = out.T[lower]
    return out
