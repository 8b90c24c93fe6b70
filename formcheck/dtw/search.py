"""Exact k nearest neighbours under DTW, with lower-bound pruning.

:func:`prepare_training` packs reference series once into a
:class:`TrainingSet`; :func:`knn_search` returns exactly the neighbours and
distances (no square root) a brute-force search returns, found faster by the
numba kernels of :mod:`formcheck.dtw._knn`.
"""

from __future__ import annotations

import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import _bounds, _knn
from .distance import in_chunks, pairwise_packed, worth_threads
from .validation import (_cpu_count, check_collection, check_n_jobs, check_n_neighbors,
                         check_series, check_window, concatenate)
from ..errors import ChannelMismatchError, InputError

__all__ = ["TrainingSet", "prepare_training", "pack_training", "knn_search", "knn_upper_bounds"]

#: Training frames from which a lone query's candidates are split over threads (1,600 reps
#: of 64 frames; below, starting threads costs more than they save).
_SPLIT_MIN_FRAMES = 100_000
#: Chunks of the candidates per thread when a query's candidates are split.
_CHUNKS_PER_THREAD = 4


@dataclass(frozen=True, eq=False)
class TrainingSet:
    """Reference series packed for :func:`knn_search` (build with :func:`prepare_training`).

    Attributes
    ----------
    data : ndarray of shape (sum of lengths, C)
        All series concatenated along time (a private copy: do not modify).
    offsets : ndarray of int64, shape (n_series + 1,)
        Series ``i`` is ``data[offsets[i]:offsets[i + 1]]``.
    window : int, float or None
        The Sakoe-Chiba band searches use.
    sweep : ndarray of int64, shape (n_series,)
        The order a search visits the series in: by length, then by index.
    group_starts : ndarray of int64
        Position in ``sweep`` where each distinct length starts (and the end).
    group_lengths : ndarray of int64
        The distinct lengths, increasing (one per group).
    ends : ndarray of shape (n_series, 4, C)
        Frames ``0, 1, T - 2, T - 1`` of each series in sweep order, for LB_Kim.
    means : ndarray of float64, 1-D
        Means of every 4 frames of each series, for the segment-mean LB_Keogh
        the search streams through first: length group ``g`` starts at
        ``mean_starts[g]``, in tiles of 64 series, each tile a contiguous
        (values, series) matrix (:func:`formcheck.dtw._bounds.tile_position`),
        so the pass is one sequential read.
    mean_starts : ndarray of int64, shape (n_groups + 1,)
    margins : ndarray of shape (C,)
        Bound of the rounding error of ``means``, per channel.
    """

    data: np.ndarray
    offsets: np.ndarray
    window: int | float | None
    sweep: np.ndarray
    group_starts: np.ndarray
    group_lengths: np.ndarray
    ends: np.ndarray
    means: np.ndarray
    mean_starts: np.ndarray
    margins: np.ndarray

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

    def kernel_tables(self):
        """The arrays :func:`formcheck.dtw._knn.knn_range` reads, in its argument order."""
        return (self.data, self.offsets, self.sweep, self.group_starts, self.group_lengths,
                self.ends, self.means, self.mean_starts, self.margins)


def prepare_training(train, window=None):
    """Validate and pack reference series once, for repeated :func:`knn_search`.

    Besides a copy of the series this stores, for the search, their order by
    length, their end frames and their means over every 4 frames (together
    about a third of the data for 64-frame series, a sixteenth more for each
    doubling of the length).

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
    return pack_training(data, offsets, window)


def pack_training(data, offsets, window=None):
    """:func:`prepare_training` for series already concatenated: ``data`` is kept, not copied.

    Parameters
    ----------
    data : ndarray of shape (sum of lengths, C)
        C-contiguous float64 frames of all series, which the training set
        then owns (do not modify it afterwards).
    offsets : array of int, shape (n_series + 1,)
        Series ``i`` is ``data[offsets[i]:offsets[i + 1]]``: increasing from
        0 to ``len(data)``.
    window : int, float or None, default=None
        Sakoe-Chiba band, as in :func:`dtw_distance`.

    Returns
    -------
    TrainingSet

    Raises
    ------
    InputError
        ``data`` is not a C-contiguous float64 2-D array, ``offsets`` do not
        split it into series of at least one frame, or a bad ``window``.
    MissingDataError
        NaN or infinite values.

    Examples
    --------
    >>> import numpy as np
    >>> ts = pack_training(np.zeros((12, 3)), [0, 5, 12], window=0.1)
    >>> len(ts), ts.lengths.tolist()
    (2, [5, 7])
    """
    check_window(window)
    if not (isinstance(data, np.ndarray) and data.dtype == np.float64 and data.ndim == 2
            and data.flags.c_contiguous):
        raise InputError("data must be a C-contiguous float64 array of shape (frames, channels)")
    check_series(data, "data")
    offsets = np.asarray(offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    if offsets.ndim != 1 or len(offsets) < 2 or offsets[0] != 0 or offsets[-1] != len(data) \
            or (lengths < 1).any():
        raise InputError(f"offsets must increase from 0 to len(data) = {len(data)} in steps of at "
                         "least 1 (one per series)")
    sweep = np.argsort(lengths, kind="stable").astype(np.int64)
    group_lengths, counts = np.unique(lengths, return_counts=True)
    group_starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    group_lengths = group_lengths.astype(np.int64)
    mean_starts = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(-(-group_lengths // _bounds.SEGMENT) * data.shape[1] * counts, out=mean_starts[1:])
    ends = np.empty((len(lengths), 4, data.shape[1]))
    means = np.empty(mean_starts[-1])
    _bounds.summarise(data, offsets, sweep, group_starts, group_lengths, ends, means, mean_starts)
    return TrainingSet(data, offsets, window, sweep, group_starts, group_lengths, ends, means,
                       mean_starts, _bounds.segment_margins(data))


def knn_search(
    queries, train, n_neighbors=1, window=None, *, use_lower_bounds=True, n_jobs=-1, return_stats=False
):
    """Exact k nearest training series of each query by DTW.

    Returns exactly what brute force returns: all DTW distances, neighbours
    sorted by distance, ties broken by the lower training index. With lower
    bounds, a cascade rules candidates out: a segment-mean LB_Keogh for every
    candidate in one sweep over compact summaries; then, for the few hundred
    with the smallest such bound in increasing order and for the rest in one
    sweep in length order, the segment bound, LB_Kim and the full LB_Keogh
    (the query's envelope over the band seen from each candidate frame, so
    any lengths work) skip what certainly exceeds the current k-th best, and
    DTW stops early once it must exceed it. A candidate
    whose bound or distance only ties the k-th best is always computed in
    full, so ties resolve as in brute force. A batch of queries shares each
    block of the sweep while it is in cache.

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
        spread over threads; fewer queries than threads split the
        candidates instead (each thread finds the exact k nearest of the
        chunks it takes, then they are merged), but only on a large training
        set and when the load average shows an idle CPU; brute force spreads
        query x training pairs. Small problems run in the calling thread
        either way.
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
        ``completed`` (DTW computed in full), which add up to ``candidates``;
        and ``pruned_lb_keogh_segments``, the part of ``pruned_lb_keogh`` the
        segment-mean bound (the first stage) already ruled out.

    Examples
    --------
    >>> import numpy as np
    >>> train = prepare_training([np.zeros((4, 2)), np.ones((5, 2)), np.zeros((6, 2))], window=1)
    >>> distances, indices = knn_search([np.full((4, 2), 0.9)], train, n_neighbors=2)
    >>> indices.tolist(), np.round(distances, 2).tolist()
    ([[1, 0]], [[0.1, 6.48]])
    """
    qdata, qoff, train, k, mode, value, n_threads = _search_arguments(queries, train, n_neighbors,
                                                                      window, n_jobs)
    if use_lower_bounds:
        dist, idx, counts = _knn_lower_bounds(qdata, qoff, train, mode, value, k, n_threads)
    else:
        dist, idx, counts = _brute_force(qdata, qoff, train, mode, value, k, n_threads)
    if not return_stats:
        return dist, idx
    names = ("candidates", "pruned_lb_kim", "pruned_lb_keogh", "abandoned", "completed",
             "pruned_lb_keogh_segments")
    return dist, idx, dict(zip(names, (int(c) for c in counts)))


def knn_upper_bounds(queries, train, n_neighbors=1, window=None, *, n_jobs=-1):
    """Cheap upper bounds of the k-NN distances: the best of a few likely candidates.

    The first step of :func:`knn_search`: for each query, DTW to the ``n_neighbors
    + 8`` training series with the smallest segment-mean lower bound. The
    k-th distance returned is at least the true k-th neighbour's distance,
    and often equal to it; it costs about a third of a full search.

    Parameters and returns are those of :func:`knn_search` (without stats):
    ``distances`` (sorted, no square root) and ``indices`` of the best
    ``n_neighbors`` among the candidates tried.

    Examples
    --------
    >>> import numpy as np
    >>> train = prepare_training([np.zeros((4, 2)), np.ones((5, 2)), np.zeros((6, 2))], window=1)
    >>> knn_upper_bounds([np.full((4, 2), 0.9)], train)[0] >= knn_search([np.full((4, 2), 0.9)], train)[0]
    array([[ True]])
    """
    qdata, qoff, train, k, mode, value, n_threads = _search_arguments(queries, train, n_neighbors,
                                                                      window, n_jobs)
    dist, idx, _ = _knn_lower_bounds(qdata, qoff, train, mode, value, k, n_threads,
                                     seeds_only=True)
    return dist, idx


def _search_arguments(queries, train, n_neighbors, window, n_jobs):
    """Checked queries (packed), training set, k, window and threads of a search."""
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
    return qdata, qoff, train, k, mode, value, check_n_jobs(n_jobs)


def _knn_lower_bounds(qdata, qoff, train, mode, value, k, n_threads, seeds_only=False):
    """Pruned search: threads over queries, or over the candidates of fewer queries than threads."""
    n_queries = qoff.shape[0] - 1
    tables = train.kernel_tables()
    chunks = _candidate_chunks(train, n_queries, n_threads, seeds_only)
    workers = min(n_threads, len(chunks))
    dist = np.full((workers, n_queries, k), np.inf)
    idx = np.full((workers, n_queries, k), len(train), dtype=np.int64)
    stats = np.zeros((workers, n_queries, _knn.N_STATS), dtype=np.int64)

    def kernel(worker, start, stop, chunk=(0, len(train))):
        _knn.knn_range(qdata, qoff, start, stop, *tables, mode, value, seeds_only, dist[worker],
                       idx[worker], stats[worker], *chunk)

    if workers > 1:
        _share_chunks(kernel, chunks, n_queries, workers)
        dist, idx = _merge_parts(dist, idx, k)
        return dist, idx, stats.sum(axis=(0, 1))
    threads = n_threads if n_queries > 1 and worth_threads(qoff, train.offsets, n_threads) else 1
    in_chunks(functools.partial(kernel, 0), n_queries, threads)
    return dist[0], idx[0], stats[0].sum(axis=0)


def _candidate_chunks(train, n_queries, n_threads, seeds_only):
    """Sweep ranges ``(p_lo, p_hi)`` of about equal frames that threads take in turn.

    :data:`_CHUNKS_PER_THREAD` per thread when there are fewer queries than
    threads, enough training frames (:data:`_SPLIT_MIN_FRAMES`) to pay for
    them and idle cores (:func:`_idle_cores`); otherwise one, every candidate.
    """
    n_train = len(train)
    if (seeds_only or n_threads <= n_queries or len(train.data) < _SPLIT_MIN_FRAMES
            or not _idle_cores()):
        return [(0, n_train)]
    frames = np.cumsum(train.lengths[train.sweep])
    n_chunks = n_threads * _CHUNKS_PER_THREAD
    cuts = np.searchsorted(frames, frames[-1] * np.arange(1, n_chunks) / n_chunks)
    edges = np.unique(np.concatenate([[0], cuts, [n_train]]))
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def _idle_cores():
    """Whether a CPU besides the caller's is about idle (unknown: yes).

    That is, the 1-minute load average, which counts the calling thread
    itself while it searches, is below the CPUs less a half. On a machine
    whose cores are all busy a second thread mostly adds the wait for a time
    slice: measured on a shared 2-core machine at load 4, a split query took
    0.75-2.1x as long as one thread (docs/benchmarks.md).
    """
    try:
        return os.getloadavg()[0] < _cpu_count() - 0.5
    except (AttributeError, OSError):  # no load average (Windows)
        return True


def _share_chunks(kernel, chunks, n_queries, workers):
    """Each worker takes the next chunk until none is left, carrying its own top k.

    The calling thread is worker 0, the others run on a kept pool. Only
    chunks a worker has taken are waited for: on a busy machine a pool
    thread that has not started by the time the chunks run out finds none
    and writes nothing, so the call does not wait for it to be scheduled.
    """
    queue = iter(chunks)
    lock = threading.Lock()
    taken = []  # one event per chunk a pool thread is searching
    errors = []

    def work(worker):
        while True:
            with lock:
                chunk = next(queue, None)
                if chunk is None:
                    return
                done = threading.Event()
                taken.append(done)
            try:
                kernel(worker, 0, n_queries, chunk)
            except BaseException as error:  # noqa: BLE001  (re-raised in the calling thread)
                errors.append(error)
            finally:
                done.set()

    for worker in range(1, workers):
        _pool(workers - 1).submit(work, worker)
    work(0)
    for done in taken:  # complete: the queue is empty, so no chunk is taken after this
        done.wait()
    if errors:
        raise errors[0]


def _merge_parts(dist, idx, k):
    """The k best of the parts' sorted rows, by distance then index (as brute force sorts)."""
    dist = np.concatenate(list(dist), axis=1)
    idx = np.concatenate(list(idx), axis=1)
    order = np.lexsort((idx, dist), axis=1)[:, :k]
    return np.take_along_axis(dist, order, axis=1), np.take_along_axis(idx, order, axis=1)


@functools.cache
def _pool(size):
    """Threads for :func:`_share_chunks`, made once per size (kept: starting them costs ~0.1 ms)."""
    return ThreadPoolExecutor(max_workers=size)


def _brute_force(qdata, qoff, train, mode, value, k, n_threads):
    """Every DTW in full, then a stable sort: ties go to the lower index."""
    D = pairwise_packed(qdata, qoff, train.data, train.offsets, mode, value, False, n_threads)
    idx = np.argsort(D, axis=1, kind="stable")[:, :k]
    counts = np.array([D.size, 0, 0, 0, D.size, 0])
    return np.take_along_axis(D, idx, axis=1), idx.astype(np.int64), counts
