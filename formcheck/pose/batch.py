"""Poses from many videos: :func:`extract_many` runs :func:`~formcheck.pose.extract.extract_pose`
over a list of videos through joblib, so the work can go to local processes or, with
``joblib.parallel_config(backend="dask")`` or ``"ray"``, to a cluster. A bad file, or one
that kills its worker process, is reported in the :class:`BatchResult` without stopping
the batch.
"""

from __future__ import annotations

import logging
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from joblib import Parallel, delayed
from joblib.externals.loky.process_executor import TerminatedWorkerError

from .._files import cache_dir
from .._progress import manual_bar
from .extract import _extract, _require_video_file, _settings

#: The exceptions by which joblib reports that a worker process died.
_WORKER_DIED = (TerminatedWorkerError, BrokenProcessPool)

__all__ = ["extract_many", "BatchResult"]

logger = logging.getLogger("formcheck")


@dataclass
class BatchResult:
    """What :func:`extract_many` produced.

    Attributes
    ----------
    poses : dict of str to PoseSequence
        Successful extractions, by path, in input order.
    failed : dict of str to str
        Failed paths and the error (``"VideoError: clip.mp4: ..."``).

    Iterating yields ``(path, pose)`` pairs of the successes; ``len`` counts
    every path; :meth:`summary` says how many worked and why others failed.

    Examples
    --------
    >>> result = BatchResult({}, {"a.mp4": "VideoError: a.mp4: video file not found"})
    >>> result
    BatchResult(0 extracted, 1 failed)
    >>> print(result.summary())
    0 of 1 videos extracted, 1 failed:
      a.mp4: VideoError: a.mp4: video file not found
    """
    poses: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.poses.items())

    def __len__(self):
        return len(self.poses) + len(self.failed)

    @property
    def ok(self) -> bool:
        """True when no video failed."""
        return not self.failed

    def summary(self) -> str:
        """One line of counts, then one line per failed video."""
        lines = [f"{len(self.poses)} of {len(self)} videos extracted, {len(self.failed)} failed"
                 + (":" if self.failed else "")]
        lines += [f"  {path}: {message}" for path, message in self.failed.items()]
        return "\n".join(lines)

    def __repr__(self):
        return f"BatchResult({len(self.poses)} extracted, {len(self.failed)} failed)"


def _extract_one(path, settings, cache_root):
    """Worker: never raises for a bad file, so one failure does not stop the batch."""
    try:
        _require_video_file(path)
        return path, _extract(path, settings, cache_root, progress=False), None
    except Exception as exc:  # noqa: BLE001 - reported per file in BatchResult.failed
        return path, None, f"{type(exc).__name__}: {exc}"


def extract_many(paths, *, n_jobs=1, fps=None, max_side=640, roi=None, cache=True,
                 min_detection_confidence=0.5, track_backwards=True, progress=True,
                 backend=None) -> BatchResult:
    """Extract poses from many videos, in parallel, without stopping at a bad file.

    Parameters
    ----------
    paths : iterable of str or os.PathLike
        Video files; duplicates are done once.
    n_jobs : int
        Parallel workers (joblib semantics: -1 = all cores). Each worker uses
        about 1.3 cores (decoding thread + MediaPipe), so on a small machine
        ``n_jobs`` = number of cores / 1.3 is a good start. Worker processes
        import MediaPipe once each (about 1-2 s).
    fps, max_side, roi, cache, min_detection_confidence, track_backwards
        As for :func:`~formcheck.pose.extract.extract_pose` (one ``roi`` for every video).
    progress : bool
        tqdm progress bar over videos.
    backend : str or joblib backend, optional
        joblib backend (``"loky"``, ``"threading"``, ``"dask"``, ``"ray"`` ...).
        None uses joblib's default or the one set by an enclosing
        ``joblib.parallel_config(...)`` / ``parallel_backend(...)`` block.

    Returns
    -------
    BatchResult
        ``.poses`` (path -> PoseSequence) and ``.failed`` (path -> error message).

    Notes
    -----
    A video that kills its worker process (a crash inside MediaPipe or
    FFmpeg, or the memory limit) makes joblib abandon the whole batch
    (loky's ``TerminatedWorkerError`` or a ``BrokenProcessPool``). The videos
    not finished by then are extracted one at a time, in input order, each
    in a worker of its own, until one of them crashes its worker: that one
    is reported as ``"WorkerCrash: ..."`` and the rest go back to running in
    parallel (and so on, if another video crashes). With ``n_jobs=1`` there
    are no workers: such a crash ends the calling process.

    Examples
    --------
    >>> from formcheck.pose import extract_many
    >>> result = extract_many(["a.mp4", "b.mp4"], n_jobs=2)      # doctest: +SKIP
    >>> for path, pose in result:                                 # doctest: +SKIP
    ...     print(path, pose.n_frames)
    >>> print(result.summary())                                   # doctest: +SKIP

    Spread over a Dask cluster:

    >>> import joblib                                             # doctest: +SKIP
    >>> with joblib.parallel_config(backend="dask"):              # doctest: +SKIP
    ...     result = extract_many(paths, n_jobs=-1)
    """
    settings = _settings(fps, max_side, min_detection_confidence, track_backwards, roi)
    paths = list(dict.fromkeys(str(p) for p in paths))
    cache_root = str(cache_dir("poses")) if cache else None   # resolved here, not in workers
    with manual_bar(progress, total=len(paths), unit="video", desc="poses") as bar:
        batch = _Batch(settings, cache_root, n_jobs, backend, bar)
        batch.run(paths)
    result = BatchResult()
    for path in paths:
        pose, error = batch.outcomes[path]
        if error is None:
            result.poses[path] = pose
        else:
            result.failed[path] = error
    return result


class _Batch:
    """Runs :func:`_extract_one` over videos with joblib, surviving workers that die.

    Parameters
    ----------
    settings : dict
        Extraction settings (see :func:`formcheck.pose.extract._settings`).
    cache_root : str or None
        Cache folder, or None for no cache.
    n_jobs : int
        joblib workers.
    backend : str or joblib backend or None
        joblib backend.
    bar : tqdm.tqdm
        Progress bar, advanced once per video.

    Attributes
    ----------
    outcomes : dict of str to tuple
        ``(pose, error)`` of every finished video, by path.
    """

    def __init__(self, settings, cache_root, n_jobs, backend, bar):
        self.settings, self.cache_root = settings, cache_root
        self.n_jobs, self.backend, self.bar = n_jobs, backend, bar
        self.outcomes = {}

    def run(self, paths):
        """Extract every path in parallel; after a worker crash, isolate the crasher, go on."""
        remaining = list(paths)
        while remaining:
            try:
                self._run_parallel(remaining)
                remaining = []
            except _WORKER_DIED as exc:
                remaining = [path for path in remaining if path not in self.outcomes]
                logger.warning("a worker process died (%s); extracting the %d unfinished videos "
                               "one at a time until the one that crashed it is found",
                               type(exc).__name__, len(remaining))
                remaining = self._isolate_until_crash(remaining)

    def _run_parallel(self, paths):

        tasks = [delayed(_extract_one)(path, self.settings, self.cache_root) for path in paths]
        for path, pose, error in _parallel(Parallel, self.n_jobs, self.backend)(tasks):
            self._record(path, pose, error)

    def _isolate_until_crash(self, paths) -> list:
        """Extract ``paths`` one at a time until one crashes its worker; the paths after it."""
        for position, path in enumerate(paths):
            pose, error, crashed = _extract_isolated(path, self.settings, self.cache_root,
                                                     self.backend)
            self._record(path, pose, error)
            if crashed:
                return paths[position + 1:]
        return []

    def _record(self, path, pose, error):
        self.outcomes[path] = (pose, error)
        self.bar.update()




def _extract_isolated(path, settings, cache_root, backend):
    """``(pose, error, crashed)`` for one video in a worker of its own, so a crash names it."""
    try:
        # n_jobs=2, not 1: joblib runs a single task with n_jobs=1 in the calling process,
        # where a crash would end the whole batch instead of one worker.
        [(_, pose, error)] = Parallel(n_jobs=2, backend=backend)(
            [delayed(_extract_one)(path, settings, cache_root)])
    except _WORKER_DIED as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return None, (f"WorkerCrash: the worker process died while extracting {path} "
                      f"({type(exc).__name__}: {first_line})"), True
    return pose, error, False


def _parallel(parallel_cls, n_jobs, backend):
    """A joblib Parallel yielding results as they finish when the backend allows it."""
    for return_as in ("generator_unordered", "generator", "list"):
        try:
            return parallel_cls(n_jobs=n_jobs, backend=backend, return_as=return_as,
                                batch_size=1)
        except ValueError:      # older joblib or a backend without generator support
            continue
    return parallel_cls(n_jobs=n_jobs, backend=backend, batch_size=1)
