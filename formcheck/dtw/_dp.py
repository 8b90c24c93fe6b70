"""Numba kernels: the DTW recurrence and the dynamic programmes built on it.

Every function here trusts its arguments: float64 C-contiguous 2-D series
``(T, C)`` with the same ``C``, no NaN/inf, ``T >= 1``. Validation happens in
:mod:`formcheck.dtw.validation`, called by :mod:`formcheck.dtw.distance` and
:mod:`formcheck.dtw.search`, the only modules that should call these.

Conventions (shared with :mod:`formcheck.dtw._bounds` and :mod:`formcheck.dtw._knn`)
-------------------------------------------------------------------------------------
* A set of series is stored as one concatenated array ``data`` of shape
  ``(sum T_i, C)`` plus ``offsets`` of length ``N + 1``: series ``i`` is
  ``data[offsets[i]:offsets[i + 1]]``.
* The window is passed as ``(mode, value)``: ``mode`` 0 = unconstrained,
  1 = radius ``int(value)`` frames, 2 = fraction, radius
  ``floor(value * max(n, m))``. :func:`radius` turns it into frames.
* Band (tslearn's Sakoe-Chiba band for unequal lengths, written symmetrically):
  with ``a = r + max(0, n - m)`` and ``b = r + max(0, m - n)``, cell ``(i, j)``
  of an ``n x m`` problem is allowed when ``i - a <= j <= i + b``. For
  ``n <= m`` this is ``i - r <= j <= i + (m - n) + r``; transposing the problem
  swaps ``a`` and ``b``, so the band (and the distance) is symmetric.
* Frame cost is the squared Euclidean distance over channels, summed in
  channel order; the DTW value is the sum of costs along the best path, with
  no square root taken.
* The recurrence is written once, in :func:`fill_row`; every DTW here
  (linear-memory, early-abandoning, full matrix) fills its cells with it, so
  they agree bit for bit.

numba's on-disk cache (``cache=True``, in the folder :mod:`formcheck.dtw._jit`
chooses) only notices edits to a kernel's own file: after changing this file or
:mod:`formcheck.dtw._bounds`, delete that folder (``$NUMBA_CACHE_DIR``, by
default ``numba`` in formcheck's cache directory) so that the kernels calling
into them from another module (:mod:`formcheck.dtw._knn`,
:mod:`formcheck.dtw._bounds`) are recompiled too.
"""

import numpy as np
from ._jit import njit
from .validation import MODE_NONE, MODE_RADIUS   # else MODE_FRACTION

INF = np.inf


@njit(cache=True, nogil=True)
def radius(n, m, mode, value):
    """Band radius in frames for an ``n x m`` problem."""
    longer = max(n, m)
    if mode == MODE_NONE:
        return longer  # wide enough to allow every cell
    if mode == MODE_RADIUS:
        return min(int(value), longer)
    return int(np.floor(value * longer))


@njit(cache=True, nogil=True)
def band_extents(n, m, r):
    """``(a, b)``: row ``i`` may use columns ``i - a .. i + b`` (before clipping)."""
    return r + max(0, n - m), r + max(0, m - n)


@njit(cache=True, nogil=True)
def frame_cost(x, i, y, j):
    """Squared Euclidean distance between frames ``x[i]`` and ``y[j]``."""
    s = 0.0
    for ch in range(x.shape[1]):
        d = x[i, ch] - y[j, ch]
        s += d * d
    return s


# ---------------------------------------------------------------- the recurrence


@njit(inline="always")
def fill_row(x, i, y, prev, curr, j_from, j_to, diag, left, lim):
    """The DTW recurrence over cells ``(i, j_from) .. (i, j_to)`` of one row.

    ``prev`` and ``curr`` hold rows ``i - 1`` and ``i``; position ``p`` holds
    column ``p - 1``. Each cell gets
    ``curr[j + 1] = min(diag, up, left) + frame_cost(x, i, y, j)`` with
    ``up = prev[j + 1]``; the diagonal and left neighbours are carried in
    registers (a store-to-load chain through ``curr`` would double the time
    per cell), starting from ``diag`` (``prev[j_from]``) and ``left``
    (``curr[j_from]``).

    Stops after the first cell whose value exceeds ``lim`` (``INF``: never).

    Returns
    -------
    j_last : int
        The last column filled (``j_to`` unless stopped early).
    diag, left : float
        The neighbours the next cell of the row would start from.
    """
    for j in range(j_from, j_to + 1):
        up = prev[j + 1]
        left = min(diag, up, left) + frame_cost(x, i, y, j)
        curr[j + 1] = left
        diag = up
        if left > lim:
            return j, diag, left
    return j_to, diag, left


# ---------------------------------------------------------------- DTW itself


@njit(cache=True, nogil=True)
def dtw_band(x, y, r, prev, curr):
    """Band-limited DTW in linear memory (no abandoning).

    ``prev`` and ``curr`` are scratch rows of length ``>= len(y) + 1``.
    """
    n = x.shape[0]
    m = y.shape[0]
    a, b = band_extents(n, m, r)
    for p in range(m + 1):
        prev[p] = INF
        curr[p] = INF
    prev[0] = 0.0  # virtual cell before (0, 0)
    for i in range(n):
        lo = max(0, i - a)
        hi = min(m - 1, i + b)
        # Left of the band is unreachable. Right of the band, ``curr`` still
        # holds inf: band edges only move right, so no earlier row wrote there.
        curr[lo] = INF
        fill_row(x, i, y, prev, curr, lo, hi, prev[lo], INF, INF)
        prev, curr = curr, prev
    return prev[m]


# Relative slack on an abandoning threshold. The test "partial DTW + lower
# bound of the remaining rows > threshold" compares float sums of the same
# non-negative terms taken in different orders; each is within a relative
# (n + m) * 2**-53 of the exact sum, so inflating the threshold by eight times
# that per term guarantees the test only fires when the computed DTW is really
# larger than ``max_dist`` (ties with ``max_dist`` are never abandoned).
_SLACK_PER_TERM = 8.0 * 2.0**-53


@njit(cache=True, nogil=True)
def dtw_band_ea(x, y, r, max_dist, rest, prev, curr):
    """:func:`dtw_band` with pruning and early abandoning at ``max_dist``.

    Parameters
    ----------
    x, y : (n, C), (m, C) arrays
    r : int
        Band radius (see :func:`band_extents`).
    max_dist : float
        Return ``inf`` if the DTW is larger than this (strictly).
    rest : (>= n + 1,) array
        ``rest[i]`` is a lower bound of the cost that rows ``i .. n - 1`` add
        to any path (suffix sums of LB_Keogh row terms; zeros when unknown),
        ``rest[n] == 0``.
    prev, curr : (>= m + 1,) arrays
        Scratch rows.

    Returns
    -------
    float
        The DTW value, bit-identical to :func:`dtw_band`, if it is
        ``<= max_dist``; otherwise ``inf``.

    Notes
    -----
    A cell ``(i, j)`` is "dead" when ``D[i, j] + rest[i + 1]`` exceeds the
    (slightly inflated) threshold: no path through it can finish within
    ``max_dist``. As in PrunedDTW/EAPrunedDTW (Herrmann & Webb, 2021), a row
    starts at the first live column of the row above, stops once it is past
    the last live column of the row above and its own latest cell died, and a
    row without a live cell abandons. A skipped cell reads as ``inf``; a cell
    is only skipped when each of its predecessors is dead or skipped. Every
    cell of an optimal path of a pair with ``DTW <= max_dist`` is live, so
    that path is computed exactly and the result equals the unpruned one.
    Invariant: outside the span a row wrote, its buffer holds ``inf``.
    """
    n = x.shape[0]
    m = y.shape[0]
    a, b = band_extents(n, m, r)
    thr = max_dist * (1.0 + _SLACK_PER_TERM * (n + m + 2))
    for p in range(m + 1):
        prev[p] = INF
        curr[p] = INF
    prev[0] = 0.0  # virtual cell before (0, 0)
    prev_lo, prev_hi = 0, 0  # span (positions) written in prev
    curr_lo, curr_hi = 1, 0  # span written in curr (empty)
    first_live = 0  # first live column of the row above (row -1: column 0)
    last_live = -1  # last live column of the row above
    for i in range(n):
        j0 = max(i - a, first_live)
        hi = min(m - 1, i + b)
        if j0 > hi:
            return INF
        lim = thr - rest[i + 1]  # a cell is dead when its value > lim
        curr[j0] = INF  # left of the first cell: skipped, so inf
        # Columns up to the last live one above: compute all. Further right
        # only the left neighbour can be live: stop at a dead cell.
        j_mid = min(hi, last_live)
        _, diag, left = fill_row(x, i, y, prev, curr, j0, j_mid, prev[j0], INF, INF)
        j_end, _, _ = fill_row(x, i, y, prev, curr, max(j_mid, j0 - 1) + 1, hi, diag, left, lim)
        new_first = j0
        while new_first <= j_end and curr[new_first + 1] > lim:
            new_first += 1
        if new_first > j_end:
            return INF  # the whole row is dead
        new_last = j_end
        while curr[new_last + 1] > lim:
            new_last -= 1
        # Restore the invariant: clear what the older row left outside the new span.
        for p in range(curr_lo, min(curr_hi, j0) + 1):
            curr[p] = INF
        for p in range(max(curr_lo, j_end + 2), curr_hi + 1):
            curr[p] = INF
        first_live = new_first
        last_live = new_last
        curr_lo, curr_hi, prev_lo, prev_hi = prev_lo, prev_hi, j0 + 1, j_end + 1
        prev, curr = curr, prev
    d = prev[m]
    if d > max_dist:
        return INF
    return d


@njit(cache=True, nogil=True)
def dtw_matrix(x, y, r):
    """Full accumulated-cost matrix ``D`` of shape ``(n + 1, m + 1)``.

    ``D[i + 1, j + 1]`` is the cost of the best path from ``(0, 0)`` to
    ``(i, j)``; cells outside the band are ``inf``. Rows ``i`` and ``i + 1``
    of ``D`` are the ``prev`` and ``curr`` of :func:`fill_row`, so
    ``D[n, m]`` is bit-identical to :func:`dtw_band`.
    """
    n = x.shape[0]
    m = y.shape[0]
    a, b = band_extents(n, m, r)
    D = np.full((n + 1, m + 1), INF)
    D[0, 0] = 0.0
    for i in range(n):
        lo = max(0, i - a)
        fill_row(x, i, y, D[i], D[i + 1], lo, min(m - 1, i + b), D[i, lo], INF, INF)
    return D


@njit(cache=True, nogil=True)
def backtrack(D):
    """Optimal path through ``D`` (from :func:`dtw_matrix`), as an ``(L, 2)`` array.

    On ties the diagonal step is preferred, then the step that decreases ``i``.
    """
    i = D.shape[0] - 1
    j = D.shape[1] - 1
    path = np.empty((i + j, 2), dtype=np.int64)
    k = 0
    while True:
        path[k, 0] = i - 1
        path[k, 1] = j - 1
        k += 1
        if i == 1 and j == 1:
            break
        diag = D[i - 1, j - 1]
        up = D[i - 1, j]
        left = D[i, j - 1]
        if diag <= up and diag <= left:
            i -= 1
            j -= 1
        elif up <= left:
            i -= 1
        else:
            j -= 1
    return path[:k][::-1].copy()


# ------------------------------------------------------------ many series


@njit(cache=True, nogil=True)
def pairwise_range(xdata, xoff, ydata, yoff, mode, value, upper_only, start, stop, out):
    """DTW for the flattened pairs ``start .. stop - 1`` into ``out``.

    Pair ``t`` is ``(t // ny, t % ny)``; with ``upper_only`` pairs ``i > j``
    are skipped (the caller mirrors them).
    """
    ny = yoff.shape[0] - 1
    max_m = np.max(yoff[1:] - yoff[:-1])
    prev = np.empty(max_m + 1)
    curr = np.empty(max_m + 1)
    for t in range(start, stop):
        i = t // ny
        j = t - i * ny
        if upper_only and j < i:
            continue
        x = xdata[xoff[i] : xoff[i + 1]]
        y = ydata[yoff[j] : yoff[j + 1]]
        r = radius(x.shape[0], y.shape[0], mode, value)
        out[i, j] = dtw_band(x, y, r, prev, curr)
