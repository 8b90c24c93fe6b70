"""Numba kernels: exact k nearest neighbours of a query under DTW.

Inputs are trusted, as in :mod:`formcheck.dtw._dp`. The search visits
candidates in LB_Kim order, skips those LB_Kim or LB_Keogh
(:mod:`formcheck.dtw._bounds`) already rule out, and abandons DTW
(:func:`formcheck.dtw._dp.dtw_band_ea`) once it must exceed the k-th best.
"""

import numpy as np
from ._jit import njit

from ._bounds import envelope, lb_keogh_env, lb_kim
from ._dp import INF, band_extents, dtw_band_ea, radius


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
    it is built, for each query, once per distinct training length (lazily,
    when a candidate of that length is first reached), holds for any pair of lengths, and each
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
