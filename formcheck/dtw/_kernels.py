"""Numba kernels for :mod:`formcheck.dtw.search`. Inputs are assumed clean.

Every function here trusts its arguments: float64 C-contiguous 2-D series
``(T, C)`` with the same ``C``, no NaN/inf, ``T >= 1``. Validation happens in
:mod:`formcheck.dtw.search`, which is the only module that should call these.

Conventions
-----------
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
  no square root.

Floating-point note on the lower bounds: the DTW value is exactly a
left-to-right float sum of non-negative cell costs along one path, and float
addition and multiplication are monotone, so a bound made of the same cost
terms (or smaller ones computed the same way), summed in path order over a
subset of the path's cells, never exceeds the computed DTW. Both bounds below
are built that way, so ``bound <= dtw`` holds bit for bit, not only in exact
arithmetic; the k-NN search relies on this to match brute force exactly.
"""

import numpy as np
from numba import njit

INF = np.inf

MODE_NONE = 0
MODE_RADIUS = 1
MODE_FRACTION = 2


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


# ---------------------------------------------------------------- DTW itself


# Relative slack on an abandoning threshold. The test "partial DTW + lower
# bound of the remaining rows > threshold" compares two float sums of the same
# non-negative terms taken in different orders; each is within a relative
# (n + m) * 2**-53 of the exact sum, so inflating the threshold by four times
# that (plus a margin for rounding the product itself) guarantees the test only
# fires when the computed DTW is really larger than ``max_dist``.
_SLACK_PER_TERM = 8.0 * 2.0**-53


@njit(cache=True, nogil=True)
def dtw_band(x, y, r, prev, curr):
    """Band-limited DTW in linear memory (no abandoning).

    ``prev`` and ``curr`` are scratch rows of length ``>= len(y) + 1``;
    position ``p`` holds column ``p - 1``. Same recurrence and operation
    order as :func:`dtw_matrix`, so the value is bit-identical.
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
        # Neighbours kept in registers: a store-to-load chain through
        # ``curr`` would double the time per cell.
        left = INF
        diag = prev[lo]
        for j in range(lo, hi + 1):
            up = prev[j + 1]
            left = min(diag, up, left) + frame_cost(x, i, y, j)
            curr[j + 1] = left
            diag = up
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
        left = INF
        diag = prev[j0]
        # Columns up to the last live one above: compute all.
        j_mid = min(hi, last_live)
        for j in range(j0, j_mid + 1):
            up = prev[j + 1]
            left = min(diag, up, left) + frame_cost(x, i, y, j)
            curr[j + 1] = left
            diag = up
        # Further right only the left neighbour can be live: stop at a dead cell.
        j_end = max(j_mid, j0 - 1)
        for j in range(j_end + 1, hi + 1):
            up = prev[j + 1]
            left = min(diag, up, left) + frame_cost(x, i, y, j)
            curr[j + 1] = left
            diag = up
            j_end = j
            if left > lim:
                break
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
    ``(i, j)``; cells outside the band are ``inf``. Same recurrence and same
    operation order as :func:`dtw_band`, so ``D[n, m]`` is bit-identical.
    """
    n = x.shape[0]
    m = y.shape[0]
    a, b = band_extents(n, m, r)
    D = np.full((n + 1, m + 1), INF)
    D[0, 0] = 0.0
    for i in range(n):
        lo = max(0, i - a)
        hi = min(m - 1, i + b)
        for j in range(lo, hi + 1):
            best = min(D[i, j], D[i, j + 1], D[i + 1, j])
            D[i + 1, j + 1] = best + frame_cost(x, i, y, j)
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


# ------------------------------------------------------------- lower bounds


@njit(cache=True, nogil=True)
def lb_kim(x, y):
    """LB_Kim from the first two and last two cells of every warping path.

    Every path starts at ``(0, 0)`` and ends at ``(n - 1, m - 1)``, whatever
    the band. Its second cell is one of ``(1, 0), (0, 1), (1, 1)`` and its
    second-to-last one of ``(n - 2, m - 1), (n - 1, m - 2), (n - 2, m - 2)``,
    so the cheapest existing candidate bounds each. A path has at least
    ``max(n, m)`` cells: with ``max(n, m) >= 4`` these four cells are
    distinct; with 2 or 3 only the first and last are used; with 1 the path
    is the single cell and the bound is exact. The terms are summed in path
    order (see the module notes on rounding).
    """
    n = x.shape[0]
    m = y.shape[0]
    first = frame_cost(x, 0, y, 0)
    if n == 1 and m == 1:
        return first
    last = frame_cost(x, n - 1, y, m - 1)
    if max(n, m) < 4:
        return first + last
    second = INF
    before_last = INF
    if n >= 2:
        second = min(second, frame_cost(x, 1, y, 0))
        before_last = min(before_last, frame_cost(x, n - 2, y, m - 1))
    if m >= 2:
        second = min(second, frame_cost(x, 0, y, 1))
        before_last = min(before_last, frame_cost(x, n - 1, y, m - 2))
    if n >= 2 and m >= 2:
        second = min(second, frame_cost(x, 1, y, 1))
        before_last = min(before_last, frame_cost(x, n - 2, y, m - 2))
    return ((first + second) + before_last) + last


@njit(cache=True, nogil=True)
def envelope(y, n_rows, a, b, upper, lower, work):
    """Envelope of ``y`` as seen from the rows of an ``n_rows x len(y)`` problem.

    Row ``i`` of ``upper``/``lower`` gets the per-channel max/min of
    ``y[max(0, i - a) : min(m - 1, i + b) + 1]``, the columns row ``i`` may use
    in the band (``(a, b)`` from :func:`band_extents`). Those windows are never
    empty: ``i - a <= m - 1`` and ``i + b >= 0`` for every row.

    Van Herk / Gil-Werman: with blocks of ``w = a + b + 1`` frames, prefix
    and suffix extrema inside each block answer every window with at most
    two look-ups, in ``O((n_rows + m) C)`` without data-dependent branches;
    the inner loops run over channels. ``work`` is scratch of shape
    ``(4, >= m, C)``.
    """
    m = y.shape[0]
    n_ch = y.shape[1]
    w = a + b + 1
    g_max, g_min, h_max, h_min = work[0], work[1], work[2], work[3]
    for j in range(m):  # prefix extrema within each block
        if j % w == 0:
            for ch in range(n_ch):
                g_max[j, ch] = y[j, ch]
                g_min[j, ch] = y[j, ch]
        else:
            for ch in range(n_ch):
                g_max[j, ch] = max(g_max[j - 1, ch], y[j, ch])
                g_min[j, ch] = min(g_min[j - 1, ch], y[j, ch])
    for j in range(m - 1, -1, -1):  # suffix extrema within each block
        if j % w == w - 1 or j == m - 1:
            for ch in range(n_ch):
                h_max[j, ch] = y[j, ch]
                h_min[j, ch] = y[j, ch]
        else:
            for ch in range(n_ch):
                h_max[j, ch] = max(h_max[j + 1, ch], y[j, ch])
                h_min[j, ch] = min(h_min[j + 1, ch], y[j, ch])
    for i in range(n_rows):
        s = max(0, i - a)
        e = min(m - 1, i + b)
        if s // w != e // w:  # spans two blocks: suffix of one, prefix of the next
            for ch in range(n_ch):
                upper[i, ch] = max(h_max[s, ch], g_max[e, ch])
                lower[i, ch] = min(h_min[s, ch], g_min[e, ch])
        elif s % w == 0:  # starts a block (clipped at 0 or a full block)
            for ch in range(n_ch):
                upper[i, ch] = g_max[e, ch]
                lower[i, ch] = g_min[e, ch]
        else:  # inside one block, not at its start: clipped at m - 1, the block's end
            for ch in range(n_ch):
                upper[i, ch] = h_max[s, ch]
                lower[i, ch] = h_min[s, ch]


@njit(cache=True, nogil=True)
def lb_keogh_env(x, upper, lower, max_dist, rows):
    """LB_Keogh of query ``x`` against an envelope (rows ``0 .. len(x) - 1``).

    Why it is a lower bound: a warping path visits every row ``i`` of ``x``
    at least once, at some column ``j`` inside row ``i``'s band window, and
    envelope row ``i`` spans ``y`` over exactly that window. So per channel
    ``|x[i] - y[j]|`` is at least the distance from ``x[i]`` to
    ``[lower[i], upper[i]]``; the squares summed over channels are at most
    the cost of that cell, and summing over rows counts one distinct path
    cell per row. Costs are non-negative, so the total is at most the DTW.

    ``rows[i]`` receives row ``i``'s term. Stops early and returns the
    partial sum (still a lower bound; ``rows`` then incomplete) once it
    exceeds ``max_dist``.
    """
    s = 0.0
    for i in range(x.shape[0]):
        row = 0.0
        for ch in range(x.shape[1]):
            v = x[i, ch]
            # At most one of the two is positive, since lower <= upper.
            d = max(v - upper[i, ch], 0.0) + max(lower[i, ch] - v, 0.0)
            row += d * d
        rows[i] = row
        s += row
        if s > max_dist:
            return s
    return s


@njit(cache=True, nogil=True)
def lb_keogh(x, y, r, max_dist, upper, lower, work, rows):
    """LB_Keogh of ``x`` against ``y``'s envelope under radius ``r``, any lengths.

    Builds the envelope with :func:`envelope` (scratch ``upper``/``lower`` of
    shape ``>= (len(x), C)``, ``work`` of shape ``(4, >= len(y), C)``) and
    applies :func:`lb_keogh_env`.
    """
    n = x.shape[0]
    a, b = band_extents(n, y.shape[0], r)
    envelope(y, n, a, b, upper, lower, work)
    return lb_keogh_env(x, upper, lower, max_dist, rows)


# ------------------------------------------------------------ many series


@njit(cache=True, nogil=True)
def pairwise_range(xdata, xoff, ydata, yoff, mode, value, upper_only, start, stop, out):
    """DTW for the flattened pairs ``start .. stop - 1`` into ``out``.

    Pair ``t`` is ``(t // ny, t % ny)``; with ``upper_only`` pairs ``i > j``
    are skipped (the caller mirrors them). Releases the GIL, so threads can
    share the pairs of one call.
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


@njit(cache=True, nogil=True)
def _precedes(d1, i1, d2, i2):
    """Order used for neighbours: by distance, then by index."""
    return d1 < d2 or (d1 == d2 and i1 < i2)


@njit(cache=True, nogil=True)
def _insert(best_d, best_i, d, c):
    """Insert ``(d, c)`` into the sorted top-k lists if it precedes the k-th."""
    k = best_d.shape[0]
    if not _precedes(d, c, best_d[k - 1], best_i[k - 1]):
        return
    pos = k - 1
    while pos > 0 and _precedes(d, c, best_d[pos - 1], best_i[pos - 1]):
        best_d[pos] = best_d[pos - 1]
        best_i[pos] = best_i[pos - 1]
        pos -= 1
    best_d[pos] = d
    best_i[pos] = c


@njit(cache=True, nogil=True)
def knn_one(q, data, offsets, length_values, length_index, mode, value, best_d, best_i, stats):
    """Exact k nearest neighbours of ``q`` among all training series.

    ``length_values`` holds the distinct training lengths and
    ``length_index[c]`` the position of series ``c``'s length in it.
    ``best_d``/``best_i`` (length k) come back sorted by (distance, index);
    unfilled slots stay ``(inf, N)``. ``stats`` counts
    ``[candidates, cut by LB_Kim, cut by LB_Keogh, DTW abandoned, DTW completed]``.

    Search: LB_Kim for every candidate, then candidates in increasing LB_Kim
    order. The k-th best so far is ``(dk, ik)``. A candidate ``c`` whose bound
    ``lb`` satisfies ``(lb, c) > (dk, ik)`` cannot enter the top k, because its
    distance is ``>= lb``; when ``lb > dk`` the same holds for every later
    candidate and the loop stops. Otherwise LB_Keogh is tried with the same
    test, then DTW abandoned only when it is strictly above ``dk``; a
    candidate tied with ``dk`` is always computed in full, so ties resolve by
    index exactly as in a brute-force stable sort.

    LB_Keogh here takes the envelope of the *query* over the band, seen from
    each frame of the candidate (the transposed problem: DTW is symmetric,
    bit for bit). That envelope depends only on the candidate's length, so
    it is built once per distinct training length (lazily, when a candidate
    of that length is first reached), holds for any pair of lengths, and each
    bound then costs ``O(m C)``. Its per-frame terms give the DTW, run as
    ``dtw(candidate, query)``, a bound on the rows still to come.
    """
    n_train = offsets.shape[0] - 1
    n = q.shape[0]
    n_ch = q.shape[1]
    k = best_d.shape[0]
    for t in range(k):
        best_d[t] = INF
        best_i[t] = n_train
    lbs = np.empty(n_train)
    for c in range(n_train):
        lbs[c] = lb_kim(q, data[offsets[c] : offsets[c + 1]])
    order = np.argsort(lbs)
    # Query envelopes, one block per distinct training length.
    n_lengths = length_values.shape[0]
    env_off = np.zeros(n_lengths + 1, dtype=np.int64)
    for li in range(n_lengths):
        env_off[li + 1] = env_off[li] + length_values[li]
    env_upper = np.empty((env_off[n_lengths], n_ch))
    env_lower = np.empty((env_off[n_lengths], n_ch))
    env_done = np.zeros(n_lengths, dtype=np.bool_)
    work = np.empty((4, n, n_ch))
    max_m = np.max(length_values)
    rest = np.empty(max_m + 1)
    prev = np.empty(n + 1)
    curr = np.empty(n + 1)
    stats[0] += n_train
    for t in range(n_train):
        c = order[t]
        lb = lbs[c]
        dk = best_d[k - 1]
        ik = best_i[k - 1]
        if lb > dk:
            stats[1] += n_train - t  # this one and all later ones
            break
        if not _precedes(lb, c, dk, ik):
            stats[1] += 1
            continue
        y = data[offsets[c] : offsets[c + 1]]
        m = y.shape[0]
        r = radius(n, m, mode, value)
        li = length_index[c]
        env = slice(env_off[li], env_off[li + 1])
        if not env_done[li]:
            a, b = band_extents(m, n, r)  # rows: candidate frames, columns: query frames
            envelope(q, m, a, b, env_upper[env], env_lower[env], work)
            env_done[li] = True
        lb = lb_keogh_env(y, env_upper[env], env_lower[env], dk, rest)
        if not _precedes(lb, c, dk, ik):
            stats[2] += 1
            continue
        # rest[i] <- lower bound of what candidate rows i.. add (suffix sums)
        rest[m] = 0.0
        for i in range(m - 1, -1, -1):
            rest[i] = rest[i] + rest[i + 1]
        d = dtw_band_ea(y, q, r, dk, rest, prev, curr)
        if d == INF and dk < INF:
            stats[3] += 1
            continue
        stats[4] += 1
        _insert(best_d, best_i, d, c)


@njit(cache=True, nogil=True)
def knn_range(qdata, qoff, start, stop, data, offsets, length_values, length_index, mode, value, out_d, out_i, stats):
    """:func:`knn_one` for queries ``start .. stop - 1`` (rows of the outputs).

    Releases the GIL, so threads can share the queries of one call.
    """
    for qi in range(start, stop):
        q = qdata[qoff[qi] : qoff[qi + 1]]
        knn_one(q, data, offsets, length_values, length_index, mode, value, out_d[qi], out_i[qi], stats[qi])
