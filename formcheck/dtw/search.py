"""Exact k nearest neighbours under DTW, with lower-bound pruning.

:func:`prepare_training` packs reference series once into a
:class:`TrainingSet`; :func:`knn_search` returns exactly the neighbours and
distances (no square root) a brute-force search returns, found faster by the
numba kernels of :mod:`formcheck.dtw._knn`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _knn
from .distance import in_chunks, pairwise_packed, worth_threads
from .validation import check_collection, check_n_jobs, check_n_neighbors, check_window, concatenate
from ..errors import ChannelMismatchError, InputError

__all__ = ["TrainingSet", "prepare_training", "knn_search"]


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
    data, offsets = concatenate(check_collection(train, "train"))
    check_window(window)
    length_values, length_index = np.unique(np.diff(offsets), return_inverse=True)
    return TrainingSet(data, offsets, length_values.astype(np.int64), length_index.astype(np.int64).ravel(), window)


def knn_search(
    queries, train, n_neighbors=1, window=None, *, use_lower_bounds=True, n_jobs=-1, return_stats=False
):
    """Exact k nearest training series of each query by DTW.

    Returns exactly what brute force returns: all DTW distances, neighbours
    sorted by distance, ties broken by the lower training index. With lower
    bounds, candidates are visited in increasing LB_Kim order, skipped when
    LB_Kim or LB_Keogh (the query's envelope over the band, built for each
    query once per distinct training length, so any lengths work) already
    exceeds the current k-th best, and DTW stops early once it must exceed it; a
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
    qdata, qoff = concatenate(check_collection(queries, "queries"))
    if not isinstance(train, TrainingSet):
        train = prepare_training(train, window)
    elif window is not None and check_window(window) != check_window(train.window):
        raise InputError(
            f"window={window!r} differs from the training set's window={train.window!r}; prepare_training again"
        )
    if qdata.shape[1] != train.n_channels:
        raise ChannelMismatchError(
            f"queries have {qdata.shape[1]} channels but the training series have {train.n_channels}"
        )
    k = check_n_neighbors(n_neighbors, len(train))
    mode, value = check_window(train.window)
    n_threads = check_n_jobs(n_jobs)
    if use_lower_bounds:
        dist, idx, counts = _knn_lower_bounds(qdata, qoff, train, mode, value, k, n_threads)
    else:
        dist, idx, counts = _brute_force(qdata, qoff, train, mode, value, k, n_threads)
    if not return_stats:
        return dist, idx
    names = ("candidates", "pruned_lb_kim", "pruned_lb_keogh", "abandoned", "completed")
    return dist, idx, dict(zip(names, (int(c) for c in counts)))


def _knn_lower_bounds(qdata, qoff, train, mode, value, k, n_threads):
    """Pruned search; threads over queries, a lone query in this thread."""
    n_queries = qoff.shape[0] - 1
    dist = np.empty((n_queries, k))
    idx = np.empty((n_queries, k), dtype=np.int64)
    stats = np.zeros((n_queries, 5), dtype=np.int64)
    threads = n_threads if n_queries > 1 and worth_threads(qoff, train.offsets, n_threads) else 1

    tables = (train.data, train.offsets, train.length_values, train.length_index)

    def kernel(start, stop):
        _knn.knn_range(qdata, qoff, start, stop, *tables, mode, value, dist, idx, stats)

    in_chunks(kernel, n_queries, threads)
    return dist, idx, stats.sum(axis=0)


def _brute_force(qdata, qoff, train, mode, value, k, n_threads):
    """Every DTW in full, then a stable sort: ties go to the lower index."""
    D = pairwise_packed(qdata, qoff, train.data, train.offsets, mode, value, False, n_threads)
    idx = np.argsort(D, axis=1, kind="stable")[:, :k]
    counts = np.array([D.size, 0, 0, 0, D.size])
    return np.take_along_axis(D, idx, axis=1), idx.astype(np.int64), counts
