"""Numba kernels: lower bounds of DTW (LB_Kim, band envelopes, LB_Keogh, segment means).

Inputs are trusted, as in :mod:`formcheck.dtw._dp`, whose conventions (band,
frame cost) these follow.

Floating-point note: the DTW value is exactly a left-to-right float sum of
non-negative cell costs along one path, and float addition and multiplication
are monotone, so a bound made of the same cost terms (or smaller ones computed
the same way), summed in path order over a subset of the path's cells, never
exceeds the computed DTW. :func:`lb_kim`, :func:`lb_keogh_env` and the row
terms of :func:`keogh_terms` are built that way, so ``bound <= dtw`` holds bit
for bit, not only in exact arithmetic.

The bounds the k-NN search streams through (:func:`keogh_terms`'s total,
:func:`lb_segments`) are instead summed in whatever order vectorises
(``fastmath`` reassociation, no other fast-math licence: inf stays inf) and
are compared with :func:`prune_threshold`, which inflates the k-th best
distance by a relative slack covering every rounding on both sides (see
there); a candidate is only skipped when its computed DTW is certainly larger.
"""

import numpy as np

from ._jit import njit

from ._dp import INF, band_extents, frame_cost

#: Frames per segment of the segment-mean bound (:func:`lb_segments`).
SEGMENT = 4
#: Candidates per tile of the segment means (:func:`lb_segments`): a tile's
#: accumulators stay in registers.
TILE = 64

# Relative slack per rounded operation in :func:`prune_threshold`, and an
# absolute one far above the rounding error of subnormal numbers.
_SLACK_PER_OP = 4.0 * 2.0**-53
_SLACK_ABSOLUTE = 2.0**-1000
# fastmath flags of the streamed bounds: reassociation (so sums vectorise) only.
_REASSOCIATE = {"reassoc"}


@njit(cache=True, nogil=True)
def prune_threshold(dk, n_terms):
    """Threshold above which a streamed bound rules a candidate out against ``dk``.

    ``n_terms`` bounds the rounded operations on either side: for a query of
    ``n`` frames, a candidate of ``m`` and ``C`` channels, ``m * C + n + m + C
    + 8``. Why it is safe: a streamed bound is a sum of ``K <= m * C``
    non-negative terms, each within a relative ``3 * 2**-53`` of its exact
    value and summed in any order, so it exceeds the exact LB_Keogh by at most
    a relative ``(K + 2) * 2**-53``; the computed DTW sums a path's ``<= n + m``
    costs of ``C`` channels left to right and is at least the exact DTW less a
    relative ``(n + m + C) * 2**-53``. Inflating ``dk`` by twice the sum of
    both (plus an absolute ``2**-1000`` for subnormal costs) means a bound
    above the threshold implies a DTW strictly above ``dk``. Ties with ``dk``
    are never ruled out, so they resolve by index as in brute force.
    """
    return dk * (1.0 + n_terms * _SLACK_PER_OP) + _SLACK_ABSOLUTE


@njit(cache=True, nogil=True)
def series_ends(y, out):
    """Frames ``0, 1, m - 2, m - 1`` of ``y`` into ``out`` (4, C), clipped to ``0 .. m - 1``."""
    m = y.shape[0]
    for slot, frame in enumerate((0, min(1, m - 1), max(m - 2, 0), m - 1)):
        for ch in range(y.shape[1]):
            out[slot, ch] = y[frame, ch]


@njit(cache=True, nogil=True)
def lb_kim(x, ends, m):
    """LB_Kim from the first two and last two cells of every warping path.

    ``ends`` holds frames ``0, 1, m - 2, m - 1`` of the other series (length
    ``m``), as :func:`series_ends` stores them. Every path starts at ``(0, 0)``
    and ends at ``(n - 1, m - 1)``, whatever the band. Its second cell is one
    of ``(1, 0), (0, 1), (1, 1)`` and its second-to-last one of
    ``(n - 2, m - 1), (n - 1, m - 2), (n - 2, m - 2)``, so the cheapest
    existing candidate bounds each. A path has at least ``max(n, m)`` cells:
    with ``max(n, m) >= 4`` these four cells are distinct; with 2 or 3 only the
    first and last are used; with 1 the path is the single cell and the bound
    is exact. The terms are summed in path order (see the module notes on
    rounding).
    """
    n = x.shape[0]
    first = frame_cost(x, 0, ends, 0)
    if n == 1 and m == 1:
        return first
    last = frame_cost(x, n - 1, ends, 3)
    if max(n, m) < 4:
        return first + last
    second = INF
    before_last = INF
    if n >= 2:
        second = min(second, frame_cost(x, 1, ends, 0))
        before_last = min(before_last, frame_cost(x, n - 2, ends, 3))
    if m >= 2:
        second = min(second, frame_cost(x, 0, ends, 1))
        before_last = min(before_last, frame_cost(x, n - 1, ends, 2))
    if n >= 2 and m >= 2:
        second = min(second, frame_cost(x, 1, ends, 1))
        before_last = min(before_last, frame_cost(x, n - 2, ends, 2))
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


# ------------------------------------------------------------ streamed bounds


@njit(cache=True, nogil=True)
def range_tables(q, tmax, tmin):
    """Sparse tables of ``q``: ``tmax[k, i]`` is the per-channel max of ``q[i : i + 2**k]``.

    Filled for ``i <= n - 2**k`` on every level ``k < tmax.shape[0]``; with
    them the extrema of any window of ``q`` take two look-ups
    (:func:`window_extrema`).
    """
    n = q.shape[0]
    for i in range(n):
        for ch in range(q.shape[1]):
            tmax[0, i, ch] = q[i, ch]
            tmin[0, i, ch] = q[i, ch]
    half = 1
    for k in range(1, tmax.shape[0]):
        for i in range(n - 2 * half + 1):
            for ch in range(q.shape[1]):
                tmax[k, i, ch] = max(tmax[k - 1, i, ch], tmax[k - 1, i + half, ch])
                tmin[k, i, ch] = min(tmin[k - 1, i, ch], tmin[k - 1, i + half, ch])
        half *= 2


@njit(cache=True, nogil=True)
def floor_log2(length):
    """``floor(log2(length))`` for ``length >= 1``."""
    k = 0
    while (2 << k) <= length:
        k += 1
    return k


@njit(cache=True, nogil=True)
def window_extrema(tmax, tmin, start, stop, upper, lower, row):
    """Per-channel max and min of ``q[start : stop + 1]`` into ``upper[row]``, ``lower[row]``."""
    k = floor_log2(stop - start + 1)
    tail = stop - (1 << k) + 1
    for ch in range(upper.shape[1]):
        upper[row, ch] = max(tmax[k, start, ch], tmax[k, tail, ch])
        lower[row, ch] = min(tmin[k, start, ch], tmin[k, tail, ch])


@njit(cache=True, nogil=True)
def row_envelope(tmax, tmin, n, m, r, upper, lower):
    """Envelope of the query (``n`` frames) seen from each frame of a candidate of ``m``.

    Row ``j`` spans the query frames that candidate frame ``j`` may be matched
    with (the transposed problem, candidate rows: :func:`envelope` with
    ``n_rows = m``), read from the query's :func:`range_tables`.
    """
    a, b = band_extents(m, n, r)
    for j in range(m):
        window_extrema(tmax, tmin, max(0, j - a), min(n - 1, j + b), upper, lower, j)


@njit(cache=True, nogil=True)
def segment_envelope(tmax, tmin, n, m, r, margins, upper, lower):
    """Query envelope over each :data:`SEGMENT` of candidate rows, widened by ``margins``.

    Segment ``h`` covers candidate frames ``h * SEGMENT ..`` (the last one
    may be shorter); its window is the union of its rows' windows (they
    overlap, so it is one range). Each side moves out by ``margins[ch]``, the
    largest rounding error of a stored segment mean, and one more ulp, so the
    widened interval contains the true one shifted by any such error.
    """
    a, b = band_extents(m, n, r)
    for h in range((m + SEGMENT - 1) // SEGMENT):
        first = h * SEGMENT
        last = min(m - 1, first + SEGMENT - 1)
        window_extrema(tmax, tmin, max(0, first - a), min(n - 1, last + b), upper, lower, h)
        for ch in range(upper.shape[1]):
            upper[h, ch] = np.nextafter(upper[h, ch] + margins[ch], INF)
            lower[h, ch] = np.nextafter(lower[h, ch] - margins[ch], -INF)


@njit(cache=True, nogil=True)
def segment_means(y, out):
    """Mean of each :data:`SEGMENT` of frames of ``y`` into ``out`` rows (the last may be shorter).

    Summed as ``y[j] / w`` frame by frame, so it never overflows; the result
    is within ``(SEGMENT + 2) * 2**-52 * max|y|`` (plus a subnormal ulp) of the
    exact mean, which :func:`segment_margins` covers.
    """
    m = y.shape[0]
    for h in range((m + SEGMENT - 1) // SEGMENT):
        first = h * SEGMENT
        width = min(m, first + SEGMENT) - first
        for ch in range(y.shape[1]):
            total = 0.0
            for j in range(first, first + width):
                total += y[j, ch] / width
            out[h, ch] = total


def segment_margins(data):
    """Per-channel bound of the rounding error of :func:`segment_means` over ``data`` (finite)."""
    # max |data| without a copy; fmax/fmin (NaN-ignoring, equal on finite data) reduce across
    # rows about 3x faster than max/min: 0.2 s against 0.6 s each on 2 million rows of 17
    largest = np.maximum(np.fmax.reduce(data, axis=0), -np.fmin.reduce(data, axis=0))
    return 4.0 * (SEGMENT + 2) * 2.0**-53 * largest + 2.0**-1060


@njit(cache=True, nogil=True, fastmath=_REASSOCIATE)
def lb_segments(block, count, start, stop, upper, lower, m, out):
    """Segment-mean LB_Keogh of candidates ``start .. stop - 1`` of a length group, into ``out``.

    ``block`` holds the :func:`segment_means` of the group's ``count``
    candidates (``m`` frames each) in tiles of :data:`TILE` candidates
    (:func:`tile_position`): tile ``h`` is one contiguous ``(values, width)``
    matrix, value ``t`` (segment ``t // C``, channel ``t % C``) of its
    candidates in row ``t``. So a pass over a group reads one sequential
    stream, and the inner loop runs over a tile's candidates with the
    accumulators in registers. Against the :func:`segment_envelope` of the
    query: for the frames of a segment, the squared distance to their rows'
    envelopes is at least that to the segment's (wider) interval, and by
    convexity their sum is at least ``width`` times the squared distance of
    their mean. So each bound is at most LB_Keogh (candidate rows), hence at
    most the DTW, up to rounding (compare with :func:`prune_threshold`).
    Reads ``1 / SEGMENT`` of the data.
    """
    n_values = upper.shape[0] * upper.shape[1]
    full = (m // SEGMENT) * upper.shape[1]
    up = upper.ravel()
    lo = lower.ravel()
    weight = m - (m // SEGMENT) * SEGMENT  # a shorter last segment weighs less
    total = np.empty(TILE)
    last = np.empty(TILE)
    for tile in range(start - start % TILE, stop, TILE):
        width = min(TILE, count - tile)
        p0, p1 = max(start, tile) - tile, min(stop, tile + width) - tile
        values = block[tile * n_values : tile * n_values + n_values * width]
        total[:] = 0.0
        last[:] = 0.0
        for t in range(full):
            _add_distances(values[t * width + p0 : t * width + p1], up[t], lo[t], total)
        for t in range(full, n_values):
            _add_distances(values[t * width + p0 : t * width + p1], up[t], lo[t], last)
        for p in range(p1 - p0):
            out[tile + p0 + p - start] = SEGMENT * total[p] + weight * last[p]


@njit(cache=True, nogil=True, fastmath=_REASSOCIATE, inline="always")
def _add_distances(values, u, w, acc):
    """``acc[p] += max(values[p] - u, w - values[p], 0)**2`` for every ``p`` of ``values``."""
    for p in range(values.shape[0]):
        v = values[p]
        d = max(v - u, w - v, 0.0)
        acc[p] += d * d


@njit(cache=True, nogil=True)
def tile_position(local, count, n_values, t):
    """Where value ``t`` of the group's ``local``-th candidate is, in :func:`lb_segments`' tiles."""
    tile = local - local % TILE
    width = min(TILE, count - tile)
    return tile * n_values + t * width + local - tile


@njit(cache=True, nogil=True, fastmath=_REASSOCIATE)
def keogh_terms(y, upper, lower, threshold, terms):
    """LB_Keogh of candidate ``y`` against an envelope, streamed; abandons above ``threshold``.

    ``terms`` (flat, ``>= y.size``) receives every squared channel distance
    ``max(y - upper, lower - y, 0)**2`` (computed exactly as in
    :func:`lb_keogh_env`); the total is summed in vectorised order and
    checked every eight frames. Returns the total, or a partial sum above
    ``threshold`` (``terms`` then incomplete).
    """
    n_ch = y.shape[1]
    flat = y.ravel()
    up = upper.ravel()
    lo = lower.ravel()
    size = y.shape[0] * n_ch
    block = 8 * n_ch
    total = 0.0
    for start in range(0, size, block):
        part = 0.0
        for t in range(start, min(size, start + block)):
            v = flat[t]
            d = max(v - up[t], lo[t] - v, 0.0)
            terms[t] = d * d
            part += terms[t]
        total += part
        if total > threshold:
            return total
    return total


@njit(cache=True, nogil=True)
def remaining_rows(terms, m, n_ch, rest):
    """``rest[i]``: the LB_Keogh terms of rows ``i .. m - 1``, row sums in channel order.

    Each row's sum is the :func:`lb_keogh_env` row term bit for bit (channel
    order), and the suffix sums are taken in path order, as the abandoning DTW
    (:func:`formcheck.dtw._dp.dtw_band_ea`) needs them. ``rest[m] = 0``.
    """
    rest[m] = 0.0
    for i in range(m - 1, -1, -1):
        row = 0.0
        for ch in range(n_ch):
            row += terms[i * n_ch + ch]
        rest[i] = row + rest[i + 1]


@njit(cache=True, nogil=True)
def summarise(data, offsets, sweep, group_starts, group_lengths, ends, means, mean_starts):
    """:func:`series_ends` of every series and its :func:`segment_means`, in ``sweep`` order.

    The means of length group ``g`` go to ``means[mean_starts[g]:]`` in the
    tiles :func:`lb_segments` reads (:func:`tile_position`).
    """
    n_ch = data.shape[1]
    for g in range(group_starts.shape[0] - 1):
        count = group_starts[g + 1] - group_starts[g]
        n_seg = (group_lengths[g] + SEGMENT - 1) // SEGMENT
        own = np.empty((n_seg, n_ch))
        flat = own.ravel()
        for local in range(count):
            p = group_starts[g] + local
            y = data[offsets[sweep[p]] : offsets[sweep[p] + 1]]
            series_ends(y, ends[p])
            segment_means(y, own)
            for t in range(n_seg * n_ch):
                means[mean_starts[g] + tile_position(local, count, n_seg * n_ch, t)] = flat[t]


@njit(cache=True, nogil=True, fastmath=_REASSOCIATE)
def keogh_from_tables(y, tmax, tmin, n, r, threshold, terms):
    """:func:`keogh_terms` of candidate ``y`` with the query envelope read from its sparse tables.

    Row ``j``'s envelope (the query frames candidate frame ``j`` may be
    matched with, as :func:`row_envelope` builds it) is looked up on the fly,
    so candidates of any length need no envelope built first; the terms are
    the same numbers.
    """
    m = y.shape[0]
    n_ch = y.shape[1]
    a, b = band_extents(m, n, r)
    total = 0.0
    part = 0.0
    for j in range(m):
        start = max(0, j - a)
        stop = min(n - 1, j + b)
        k = floor_log2(stop - start + 1)
        tail = stop - (1 << k) + 1
        for ch in range(n_ch):
            v = y[j, ch]
            d = max(v - max(tmax[k, start, ch], tmax[k, tail, ch]),
                    min(tmin[k, start, ch], tmin[k, tail, ch]) - v, 0.0)
            terms[j * n_ch + ch] = d * d
            part += terms[j * n_ch + ch]
        if j % 8 == 7:
            total += part
            part = 0.0
            if total > threshold:
                return total
    return total + part
