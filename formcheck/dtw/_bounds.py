"""Numba kernels: lower bounds of DTW (LB_Kim, band envelopes, LB_Keogh).

Inputs are trusted, as in :mod:`formcheck.dtw._dp`, whose conventions (band,
frame cost) these follow.

Floating-point note: the DTW value is exactly a left-to-right float sum of
non-negative cell costs along one path, and float addition and multiplication
are monotone, so a bound made of the same cost terms (or smaller ones computed
the same way), summed in path order over a subset of the path's cells, never
exceeds the computed DTW. Both bounds below are built that way, so
``bound <= dtw`` holds bit for bit, not only in exact arithmetic; the k-NN
search relies on this to match brute force exactly.
"""

from ._jit import njit

from ._dp import INF, band_extents, frame_cost


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
