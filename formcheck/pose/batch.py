"""Poses from many videos: :func:`extract_many` runs :func:`~formcheck.pose.extract.extract_pose`
over a list of videos through joblib (:func:`formcheck._parallel.run_per_file`), so the work
can go to local processes or, with ``backend="dask"``, to a Dask cluster. A bad file, or one
that kills its worker process, is reported in the :class:`BatchResult` without stopping
the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._files import cache_dir
from .._parallel import run_per_file
from .._progress import manual_bar
from .extract import _extract, _require_video_file, _settings

__all__ = ["extract_many", "BatchResult"]


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
                 backend=None, on_done=None) -> BatchResult:
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
        ``"dask"`` runs on the cluster of the current ``distributed.Client``
        (the ``dask`` extra), ``n_jobs=-1`` on all its cores.
    on_done : callable, optional
        Called as ``on_done(path, pose, error)`` (``pose`` None for a failure,
        ``error`` None for a success) as each video finishes, in the order they
        finish: to save each pose at once, so that a Ctrl-C (which ends the batch
        with ``KeyboardInterrupt``) loses only the videos not finished. With
        ``cache=True`` each pose is also in the cache as soon as it is done, so a
        rerun reads the finished videos from there.

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
    parallel (and so on, if another video crashes). On a Dask cluster the
    scheduler first retries the video on other workers
    (``distributed.scheduler.allowed-failures`` times, 3 by default), then
    raises ``KilledWorker``, which is handled the same way. With
    ``n_jobs=1`` there are no workers: such a crash ends the calling process.

    Examples
    --------
    >>> from formcheck.pose import extract_many
    >>> result = extract_many(["a.mp4", "b.mp4"], n_jobs=2)      # doctest: +SKIP
    >>> for path, pose in result:                                 # doctest: +SKIP
    ...     print(path, pose.n_frames)
    >>> print(result.summary())                                   # doctest: +SKIP

    Spread over a Dask cluster:

    >>> from distributed import Client                            # doctest: +SKIP
    >>> with Client("tcp://scheduler:8786"):                      # doctest: +SKIP
    ...     result = extract_many(paths, n_jobs=-1, backend="dask")
    """
    settings = _settings(fps, max_side, min_detection_confidence, track_backwards, roi)
    paths = list(dict.fromkeys(str(p) for p in paths))
    cache_root = str(cache_dir("poses")) if cache else None   # resolved here, not in workers
    with manual_bar(progress, total=len(paths), unit="video", desc="poses") as bar:
        outcomes = run_per_file(_extract_one, paths, (settings, cache_root), n_jobs=n_jobs,
                                backend=backend, bar=bar, doing="extracting",
                                on_done=on_done)
    result = BatchResult()
    for path in paths:
        pose, error = outcomes[path]
        if error is None:
            result.poses[path] = pose
        else:
            result.failed[path] = error
    return result
