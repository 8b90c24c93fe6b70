"""Numba kernels: exact k nearest neighbours of a batch of queries under DTW.

Inputs are trusted, as in :mod:`formcheck.dtw._dp`. The training set comes as
:class:`formcheck.dtw.search.TrainingSet` packs it: the series themselves
(``data``, ``offsets``), and, in *sweep order* (by length, then index),
``sweep`` (the series index at each position), ``group_starts`` and
``group_lengths`` (where each length starts), the four end frames of each
series (``ends``) and its segment means (``means``, in contiguous tiles per
length from ``mean_starts[g]``; ``margins`` bound their rounding).

The cascade, for each query (:func:`knn_range`):

1. **Compact pass.** The segment-mean LB_Keogh
   (:func:`formcheck.dtw._bounds.lb_segments`) of every candidate, in one
   sequential sweep over ``means``, a quarter of the data.
2. **Best first.** The :data:`_BEST_FIRST` candidates with the smallest such
   bound go through the rest of the cascade (below) first, in increasing
   order of it, so the k-th best distance ``dk`` is soon close to its final
   value; once the next bound exceeds ``dk`` every later candidate is ruled
   out too and the query is done.
3. **Sweep.** Otherwise the others in sweep order, blocked so that a block of
   candidates serves every query of the batch while it is in cache: a
   candidate whose segment bound, then LB_Kim, then full LB_Keogh (the
   query's envelope seen from the candidate's frames, built once per query
   and length from sparse tables) exceeds
   :func:`~formcheck.dtw._bounds.prune_threshold` of ``dk`` is skipped;
   otherwise DTW runs, pruned and abandoned at ``dk``
   (:func:`formcheck.dtw._dp.dtw_band_ea`, the LB_Keogh row terms bounding
   the rows still to come). A candidate tied with ``dk`` is always computed,
   so ties resolve by index exactly as in a brute-force stable sort.

DTW is run as ``dtw(candidate, query)``, candidate frames as rows; it is
symmetric bit for bit, so the distances are those of brute force.
"""

import numpy as np
from ._jit import njit

from ._bounds import (SEGMENT, TILE, floor_log2, keogh_from_tables, keogh_terms, lb_kim, lb_segments,
                      prune_threshold, range_tables, remaining_rows, row_envelope,
                      segment_envelope)
from ._dp import INF, dtw_band_ea, radius

#: ``stats`` columns: candidates, cut by LB_Kim, cut by LB_Keogh (segment
#: means or full), DTW abandoned, DTW completed; then, of those cut by
#: LB_Keogh, the ones the segment means already ruled out.
N_STATS = 6
#: Queries that share one sweep over the training set.
QUERY_BLOCK = 64
#: Candidate frames x channels per block of the sweep (256 kB of float64).
_BLOCK_VALUES = 32_768
#: Candidates visited first, in increasing order of their segment bound.
_BEST_FIRST = 256
#: Segment bound of a candidate already visited (bounds are >= 0).
_DONE = -1.0


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
def _smallest(values, count):
    """Positions of the ``count`` smallest ``values`` (ascending; ties by position)."""
    picked = np.empty(count, dtype=np.int64)
    held = 0
    for p in range(values.shape[0]):
        v = values[p]
        if held == count and v >= values[picked[held - 1]]:
            continue
        slot = min(held, count - 1)
        while slot > 0 and v < values[picked[slot - 1]]:
            picked[slot] = picked[slot - 1]
            slot -= 1
        picked[slot] = p
        held = min(held + 1, count)
    return picked[:held]


@njit(cache=True, nogil=True)
def knn_range(qdata, qoff, start, stop, data, offsets, sweep, group_starts, group_lengths, ends,
              means, mean_starts, margins, mode, value, seeds_only, out_d, out_i, stats,
              p_lo, p_hi):
    """k nearest neighbours of queries ``start .. stop - 1`` into rows of the outputs.

    Only the candidates at sweep positions ``p_lo .. p_hi - 1`` are searched
    (all of them: ``0, len(sweep)``), and the rows of ``out_d``/``out_i``
    are the current top k, sorted by (distance, index), which the search
    continues from: start them at ``inf`` and ``len(sweep)``. So the
    candidates can be searched in chunks, one call each, a chunk benefiting
    from the k-th best the earlier ones found; the rows are then exactly the
    k nearest of all the chunks searched (``inf`` left where they had fewer
    than ``k`` candidates). ``stats`` rows add up each query's candidates
    (columns: see :data:`N_STATS`). Queries go in blocks of
    :data:`QUERY_BLOCK` through :func:`_knn_block`. With
    ``seeds_only`` the search stops after the seeds: the rows are then the
    best among those few candidates, upper bounds of the true neighbours'
    distances. Releases the GIL, so threads can share the queries of one call.
    """
    for first in range(start, stop, QUERY_BLOCK):
        _knn_block(qdata, qoff, first, min(stop, first + QUERY_BLOCK), data, offsets, sweep,
                   group_starts, group_lengths, ends, means, mean_starts, margins, mode, value,
                   seeds_only, out_d, out_i, stats, p_lo, p_hi)


@njit(cache=True, nogil=True)
def _knn_block(qdata, qoff, first, last, data, offsets, sweep, group_starts, group_lengths, ends,
               means, mean_starts, margins, mode, value, seeds_only, out_d, out_i, stats, p_lo,
               p_hi):
    """The cascade (module notes) for queries ``first .. last - 1``, sharing one sweep.

    Candidates at sweep positions ``p_lo .. p_hi - 1``; ``bounds[t, p - p_lo]``
    is the segment bound of the one at position ``p``.
    """
    n_ch = data.shape[1]
    k = out_d.shape[1]
    nq = last - first
    n_max = np.max(qoff[first + 1 : last + 1] - qoff[first:last])
    m_max = group_lengths[-1]
    depth = floor_log2(n_max) + 1
    tmax = np.empty((nq, depth, n_max, n_ch))  # the queries' sparse tables
    tmin = np.empty((nq, depth, n_max, n_ch))
    for t in range(nq):
        range_tables(qdata[qoff[first + t] : qoff[first + t + 1]], tmax[t], tmin[t])
        stats[first + t, 0] += p_hi - p_lo
    bounds = _segment_bounds(qoff, first, last, group_starts, group_lengths, means, mean_starts,
                             margins, mode, value, tmax, tmin, p_lo, p_hi)
    rest = np.zeros(max(n_max, m_max) + 1)
    prev = np.empty(n_max + 1)
    curr = np.empty(n_max + 1)
    terms = np.empty(m_max * n_ch)
    finished = np.zeros(nq, dtype=np.bool_)
    for t in range(nq):
        finished[t] = _best_first(qdata[qoff[first + t] : qoff[first + t + 1]], data, offsets,
                                  sweep[p_lo:p_hi], ends[p_lo:p_hi], mode, value, tmax[t],
                                  tmin[t], bounds[t],
                                  seeds_only, out_d[first + t], out_i[first + t],
                                  stats[first + t], terms, rest, prev, curr)
    if seeds_only:
        return
    upper = np.empty((nq, m_max, n_ch))  # each query's envelope for the current length
    lower = np.empty((nq, m_max, n_ch))
    built = np.zeros(nq, dtype=np.bool_)
    for g in range(group_starts.shape[0] - 1):
        g0, g1, m = max(p_lo, group_starts[g]), min(p_hi, group_starts[g + 1]), group_lengths[g]
        block = max(1, _BLOCK_VALUES // (m * n_ch))
        built[:] = False
        for b0 in range(g0, g1, block):
            for t in range(nq):
                if finished[t]:
                    continue
                q = qdata[qoff[first + t] : qoff[first + t + 1]]
                n = q.shape[0]
                r = radius(n, m, mode, value)
                n_terms = m * n_ch + n + m + n_ch + 8
                best_d, best_i, counts = out_d[first + t], out_i[first + t], stats[first + t]
                for p in range(b0, min(g1, b0 + block)):
                    if bounds[t, p - p_lo] == _DONE:
                        continue
                    threshold = prune_threshold(best_d[k - 1], n_terms)
                    if bounds[t, p - p_lo] > threshold:
                        counts[2] += 1
                        counts[5] += 1
                        continue
                    if lb_kim(q, ends[p], m) > threshold:
                        counts[1] += 1
                        continue
                    if not built[t]:
                        row_envelope(tmax[t], tmin[t], n, m, r, upper[t], lower[t])
                        built[t] = True
                    y = data[offsets[sweep[p]] : offsets[sweep[p] + 1]]
                    if keogh_terms(y, upper[t, :m], lower[t, :m], threshold, terms) > threshold:
                        counts[2] += 1
                        continue
                    remaining_rows(terms, m, n_ch, rest)
                    _compare(y, q, r, sweep[p], best_d, best_i, counts, rest, prev, curr)


@njit(cache=True, nogil=True)
def _segment_bounds(qoff, first, last, group_starts, group_lengths, means, mean_starts, margins,
                    mode, value, tmax, tmin, p_lo, p_hi):
    """The segment-mean bound of candidates ``p_lo .. p_hi - 1`` (sweep order) for every query."""
    nq = last - first
    n_ch = tmax.shape[3]
    bounds = np.empty((nq, p_hi - p_lo))
    for g in range(group_starts.shape[0] - 1):
        g0, g1, m = group_starts[g], group_starts[g + 1], group_lengths[g]
        s0, s1 = max(p_lo, g0) - g0, min(p_hi, g1) - g0  # the part's share of the group
        if s0 >= s1:
            continue
        n_seg = (m + SEGMENT - 1) // SEGMENT
        upper = np.empty((nq, n_seg, n_ch))
        lower = np.empty((nq, n_seg, n_ch))
        for t in range(nq):
            n = qoff[first + t + 1] - qoff[first + t]
            segment_envelope(tmax[t], tmin[t], n, m, radius(n, m, mode, value), margins,
                             upper[t], lower[t])
        block = means[mean_starts[g] : mean_starts[g + 1]]
        width = max(1, _BLOCK_VALUES // (n_seg * n_ch * TILE)) * TILE  # whole tiles
        for a0 in range(s0 - s0 % TILE, s1, width):  # blocks aligned to the tiles
            b0, b1 = max(s0, a0), min(s1, a0 + width)
            for t in range(nq):
                lb_segments(block, g1 - g0, b0, b1, upper[t], lower[t], m,
                            bounds[t, g0 + b0 - p_lo : g0 + b1 - p_lo])
    return bounds


@njit(cache=True, nogil=True)
def _best_first(q, data, offsets, sweep, ends, mode, value, tmax, tmin, bounds, seeds_only,
                best_d, best_i, counts, terms, rest, prev, curr):
    """The cascade for the :data:`_BEST_FIRST` smallest segment bounds, in increasing order.

    Visited candidates are marked :data:`_DONE`. Returns whether the query is
    finished: a bound above the threshold rules out every candidate not yet
    visited, whose bounds are all at least as large. With ``seeds_only`` the
    first ``k + 8`` candidates get their DTW without bounds (``rest`` is all
    zeros then) and the search stops.
    """
    n = q.shape[0]
    n_ch = q.shape[1]
    k = best_d.shape[0]
    visited = 0
    for p in _smallest(bounds, min(sweep.shape[0], k + 8 if seeds_only else _BEST_FIRST)):
        y = data[offsets[sweep[p]] : offsets[sweep[p] + 1]]
        m = y.shape[0]
        r = radius(n, m, mode, value)
        if seeds_only:
            _compare(y, q, r, sweep[p], best_d, best_i, counts, rest, prev, curr)
            continue
        threshold = prune_threshold(best_d[k - 1], m * n_ch + n + m + n_ch + 8)
        if bounds[p] > threshold:
            remaining = sweep.shape[0] - visited
            counts[2] += remaining
            counts[5] += remaining
            return True
        bounds[p] = _DONE
        visited += 1
        if lb_kim(q, ends[p], m) > threshold:
            counts[1] += 1
        elif keogh_from_tables(y, tmax, tmin, n, r, threshold, terms) > threshold:
            counts[2] += 1
        else:
            remaining_rows(terms, m, n_ch, rest)
            _compare(y, q, r, sweep[p], best_d, best_i, counts, rest, prev, curr)
    return False


@njit(cache=True, nogil=True)
def _compare(y, q, r, c, best_d, best_i, counts, rest, prev, curr):
    """DTW of candidate ``c`` (``y``) abandoned at the k-th best; inserted if it enters the top k.

    ``rest[i]`` bounds what candidate rows ``i ..`` still add.
    """
    dk = best_d[best_d.shape[0] - 1]
    d = dtw_band_ea(y, q, r, dk, rest, prev, curr)
    if d == INF and dk < INF:
        counts[3] += 1
        return
    counts[4] += 1
    _insert(best_d, best_i, d, c)
