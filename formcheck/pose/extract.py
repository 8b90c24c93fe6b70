"""Pose sequences from video files: MediaPipe extraction, a disk cache, batches.

:func:`extract_pose` turns one video into a :class:`PoseSequence`
(layout ``mediapipe33``); :func:`extract_many` does a list of videos through
joblib, so the work can go to local processes or, with
``joblib.parallel_config(backend="dask")`` or ``"ray"``, to a cluster.

Results are cached on disk under ``formcheck._files.cache_dir("poses")``
(``$FORMCHECK_CACHE_DIR/poses`` when that variable is set), keyed by the
SHA-256 of the video's bytes, the extraction settings and the formcheck and
MediaPipe versions: renaming or moving a video keeps its entry, and changing
a setting or upgrading MediaPipe makes a new one. Entries are ``.npz`` files
(arrays plus a JSON metadata string, read without pickle); a corrupt or
truncated entry is deleted and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._files import atomic_write, cache_dir
from .._version import __version__
from ..errors import FormcheckError, InputError, NoPersonError, VideoError
from .video import VideoReader, check_fps, check_max_side, check_roi, prefetch
from .mediapipe_backend import MODEL_COMPLEXITY, N_LANDMARKS, MediaPipePose, mediapipe_version
from .recovery import recover_lost_frames
from .sequence import PoseSequence

__all__ = ["extract_pose", "extract_many", "BatchResult", "pose_cache_key"]

logger = logging.getLogger("formcheck")

#: Bumped whenever the layout of a cache entry changes.
CACHE_FORMAT = 1
#: Decoded frames queued ahead of the pose model (0 decodes in the calling thread).
PREFETCH_FRAMES = 8
#: MediaPipe's tracking threshold. Below MediaPipe's default of 0.5 the tracker
#: holds on through hard frames: on the 64 PushFit clips, frames lost where the
#: published keypoints have a person fell from 28 to 7 with the same median
#: agreement (0.0026); the backlit pull-up clip keeps its person to the end.
TRACKING_CONFIDENCE = 0.3
_CHUNK = 1 << 20


def extract_pose(path, *, fps=None, max_side=640, roi=None, cache=True,
                 min_detection_confidence=0.5, track_backwards=True,
                 progress=False) -> PoseSequence:
    """Run MediaPipe Pose over a video and return the landmarks of the person.

    Parameters
    ----------
    path : str or os.PathLike
        Video file (mp4, mov, avi, mkv, webm: whatever OpenCV's FFmpeg reads).
        Phone rotation flags are applied.
    fps : float, optional
        Resample to this frame rate (frames dropped or repeated by timestamp)
        before inference. None keeps the native rate.
    max_side : int or None
        Shrink frames so the longer side is at most this many pixels before
        inference. Landmarks are normalised to the image, so they are
        comparable across sizes; 640 is as accurate as full resolution
        (median difference 0.001-0.002 of the image size on 720p and 1080p
        clips) and keeps the decoded-frame queue small. None uses full frames.
    roi : tuple of int (x, y, width, height), optional
        Look for the person only in this region of the upright frame, in its
        pixels: the one exercising, when others are in the picture. The
        landmarks still come back in full-frame coordinates.
    cache : bool
        Read and write the on-disk cache (see the module docstring).
    min_detection_confidence : float
        MediaPipe's person-detector threshold in [0, 1].
    track_backwards : bool
        Recover frames the tracker lost before it found the person, by
        tracking backwards in time from where it did (see
        :mod:`formcheck.pose.recovery`). False gives MediaPipe's plain
        forward output.
    progress : bool
        Show a tqdm progress bar over frames.

    Returns
    -------
    PoseSequence
        Layout ``"mediapipe33"``, units ``"normalized"`` (x, y as fractions of
        the frame width and height), ``image_size`` = the original upright
        frame size ``(width, height)``, ``fps`` = the native or requested rate,
        ``world_landmarks`` = MediaPipe's metric 3-D landmarks, ``source`` =
        ``str(path)``. Frames without a detected person are NaN rows with
        visibility 0.

    Raises
    ------
    VideoError
        The file is missing, is not a decodable video, or has no frames.
    NoPersonError
        No person was found in any frame.
    DependencyError
        MediaPipe (or OpenCV) is not installed: ``pip install "formcheck[video]"``.
    InputError
        A setting out of range.

    Notes
    -----
    MediaPipe runs in tracking mode (``static_image_mode=False``,
    ``model_complexity=1``, landmark smoothing on), the settings of the
    MediaPipe tutorials and of the published PushFit keypoints, which this
    function reproduces to a median of 0.002-0.003 of the image size, with a
    tracking threshold of 0.3 (:data:`TRACKING_CONFIDENCE`) instead of 0.5.
    Frames before a track that the detector missed are then tracked again
    backwards (``track_backwards``). Decoding runs in a background thread,
    overlapped with inference.

    Examples
    --------
    >>> import formcheck
    >>> from formcheck.pose import extract_pose
    >>> pose = extract_pose("squat.mp4", fps=30)                  # doctest: +SKIP
    >>> pose                                                       # doctest: +SKIP
    PoseSequence(frames=75, joints=33, fps=30, layout='mediapipe33', image_size=(1280, 720), ...)
    >>> angles = formcheck.joint_angles(pose, exercise="squat")    # doctest: +SKIP
    """
    settings = _settings(fps, max_side, min_detection_confidence, track_backwards, roi)
    _require_video_file(path)
    cache_root = cache_dir("poses") if cache else None
    return _extract(path, settings, cache_root, progress)


def _settings(fps, max_side, min_detection_confidence, track_backwards, roi) -> dict:
    """Validated extraction settings; also the part of the cache key that depends on them."""
    if isinstance(min_detection_confidence, bool) or not isinstance(
            min_detection_confidence, (int, float, np.integer, np.floating)) \
            or not 0.0 <= min_detection_confidence <= 1.0:
        raise InputError(
            f"min_detection_confidence must be in [0, 1], got {min_detection_confidence!r}")
    settings = {"fps": check_fps(fps), "max_side": check_max_side(max_side),
                "min_detection_confidence": float(min_detection_confidence),
                "min_tracking_confidence": TRACKING_CONFIDENCE,
                "model_complexity": MODEL_COMPLEXITY, "static_image_mode": False,
                "smooth_landmarks": True, "track_backwards": bool(track_backwards)}
    if roi is not None:         # only then: entries made without a roi keep their keys
        settings["roi"] = list(check_roi(roi))
    return settings


def _require_video_file(path):
    if not Path(path).is_file():
        raise VideoError(f"{path}: video file not found")


def _extract(path, settings, cache_root, progress) -> PoseSequence:
    if cache_root is None:
        return _run_model(path, settings, progress)
    key = pose_cache_key(path, settings)
    entry = Path(cache_root) / f"{key}.npz"
    pose = _load_entry(entry, key, source=str(path))
    if pose is None:
        pose = _run_model(path, settings, progress)
        _save_entry(entry, key, pose, settings)
    return pose


# -- inference -------------------------------------------------------------------------------

def _make_model(settings) -> MediaPipePose:
    """The pose model for one video (tests replace this with a fake)."""
    return MediaPipePose(min_detection_confidence=settings["min_detection_confidence"],
                         min_tracking_confidence=settings["min_tracking_confidence"],
                         static_image_mode=settings["static_image_mode"],
                         smooth_landmarks=settings["smooth_landmarks"])


def _reader(path, settings) -> VideoReader:
    return VideoReader(path, fps=settings["fps"], max_side=settings["max_side"],
                       roi=settings.get("roi"))


def _run_model(path, settings, progress) -> PoseSequence:
    with _reader(path, settings) as reader:
        with _make_model(settings) as model:
            landmarks, world = _infer_frames(model, reader, progress)
        info, out_fps = reader.info, reader.fps
    if np.isnan(landmarks[..., 0]).all():
        where = f" inside the roi {tuple(settings['roi'])}" if "roi" in settings else ""
        raise NoPersonError(f"{path}: no person found{where} in any of its {len(landmarks)} "
                            "frames")
    if settings["track_backwards"]:
        landmarks, world = _recover(path, settings, landmarks, world, out_fps)
    if "roi" in settings:
        landmarks = _to_full_frame(landmarks, settings["roi"], info.size)
    return PoseSequence.from_array(landmarks, fps=out_fps, layout="mediapipe33", columns="xyzv",
                                   image_size=info.size, units="normalized", source=str(path),
                                   world_landmarks=world)


def _to_full_frame(landmarks, roi, size):
    """Landmarks normalised to the roi, normalised to the whole frame instead."""
    x, y, width, height = roi
    full = landmarks.copy()
    full[..., 0] = (x + landmarks[..., 0] * width) / size[0]
    full[..., 1] = (y + landmarks[..., 1] * height) / size[1]
    full[..., 2] = landmarks[..., 2] * width / size[0]   # z is on the scale of x
    return full


def _recover(path, settings, landmarks, world, fps):
    """Track backwards into the frames the forward pass lost (see :mod:`.recovery`).

    The video is decoded a second time, and only if there is something to
    recover. When that decoding fails, the forward result is kept as it is
    and a warning is logged.
    """
    try:
        with contextlib.ExitStack() as readers:
            def open_frames():
                reader = readers.enter_context(_reader(path, settings))
                return ((frame.index, frame.image) for frame in reader)

            filled, filled_world, recovered = recover_lost_frames(
                landmarks, world, open_frames, lambda: _make_model(settings), fps)
    except (FormcheckError, OSError) as exc:
        logger.warning("%s: tracking backwards failed (%s: %s); keeping the forward pass",
                       path, type(exc).__name__, exc)
        return landmarks, world
    if recovered:
        logger.info("%s: %d frames recovered by tracking backwards", path, recovered)
    return filled, filled_world


def _infer_frames(model, reader, progress):
    """Landmarks ``(T, 33, 4)`` and world landmarks ``(T, 33, 3)`` of every frame, NaN if none."""
    from tqdm.auto import tqdm

    missing = (np.full((N_LANDMARKS, 4), np.nan, np.float32),
               np.full((N_LANDMARKS, 3), np.nan, np.float32))
    rows, worlds, previous_index, result = [], [], None, missing
    bar = tqdm(total=reader.expected_frames or None, unit="frame", disable=not progress,
               desc=Path(reader.path).name, leave=False)
    with bar, contextlib.closing(prefetch(iter(reader), PREFETCH_FRAMES)) as frames:
        for frame in frames:
            if frame.index != previous_index:   # a repeated frame (resampling up) reuses its result
                landmarks, world = model.process(frame.image)
                result = (missing[0] if landmarks is None else landmarks,
                          missing[1] if world is None else world)
                previous_index = frame.index
            rows.append(result[0])
            worlds.append(result[1])
            bar.update()
    return np.stack(rows), np.stack(worlds)


# -- cache -----------------------------------------------------------------------------------

def pose_cache_key(path, settings) -> str:
    """SHA-256 of the file's bytes, the extraction settings and the formcheck/MediaPipe versions.

    Parameters
    ----------
    path : str or os.PathLike
        Video file.
    settings : dict
        JSON-serialisable extraction settings.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    description = {"file_sha256": digest.hexdigest(), "settings": settings,
                   "formcheck": __version__, "mediapipe": mediapipe_version(),
                   "format": CACHE_FORMAT}
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()


def _save_entry(entry, key, pose, settings):
    meta = {"key": key, "format": CACHE_FORMAT, "formcheck": __version__,
            "mediapipe": mediapipe_version(), "settings": settings, "fps": pose.fps,
            "layout": pose.layout, "units": pose.units, "image_size": pose.image_size,
            "n_frames": pose.n_frames, "source": pose.source}
    arrays = {"landmarks": pose.landmarks, "meta": np.array(json.dumps(meta))}
    if pose.world_landmarks is not None:
        arrays["world_landmarks"] = pose.world_landmarks
    try:
        with atomic_write(entry) as handle:
            np.savez(handle, **arrays)
    except OSError as exc:      # a read-only or full cache must not lose the result
        logger.warning("could not write pose cache entry %s: %s", entry, exc)


def _load_entry(entry, key, source):
    """The cached PoseSequence, or None when absent; a broken entry is deleted."""
    if not entry.is_file():
        return None
    try:
        with np.load(entry, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"][()]))
            landmarks = archive["landmarks"]
            world = archive["world_landmarks"] if "world_landmarks" in archive.files else None
        if meta.get("key") != key or meta.get("format") != CACHE_FORMAT \
                or landmarks.shape[0] != meta.get("n_frames"):
            raise ValueError("metadata does not match the entry")
        return PoseSequence.from_array(landmarks, fps=meta["fps"], layout=meta["layout"],
                                       columns="xyzv", image_size=meta["image_size"],
                                       units=meta["units"], source=source,
                                       world_landmarks=world)
    except Exception as exc:  # noqa: BLE001 - any failure to read means: rebuild the entry
        logger.warning("pose cache entry %s is unreadable (%s: %s); extracting again",
                       entry, type(exc).__name__, exc)
        with contextlib.suppress(OSError):
            entry.unlink()
        return None


# -- batches ---------------------------------------------------------------------------------

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
        As for :func:`extract_pose` (one ``roi`` for every video).
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
    from tqdm.auto import tqdm

    settings = _settings(fps, max_side, min_detection_confidence, track_backwards, roi)
    paths = list(dict.fromkeys(str(p) for p in paths))
    cache_root = str(cache_dir("poses")) if cache else None   # resolved here, not in workers
    with tqdm(total=len(paths), unit="video", disable=not progress, desc="poses") as bar:
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
        Extraction settings (see :func:`_settings`).
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
        worker_died = _worker_died_errors()
        remaining = list(paths)
        while remaining:
            try:
                self._run_parallel(remaining)
                remaining = []
            except worker_died as exc:
                remaining = [path for path in remaining if path not in self.outcomes]
                logger.warning("a worker process died (%s); extracting the %d unfinished videos "
                               "one at a time until the one that crashed it is found",
                               type(exc).__name__, len(remaining))
                remaining = self._isolate_until_crash(remaining)

    def _run_parallel(self, paths):
        from joblib import Parallel, delayed

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


def _worker_died_errors() -> tuple:
    """The exceptions by which joblib reports that a worker process died."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        from joblib.externals.loky.process_executor import TerminatedWorkerError
    except ImportError:         # a joblib without its vendored loky
        return (BrokenProcessPool,)
    return (TerminatedWorkerError, BrokenProcessPool)


def _extract_isolated(path, settings, cache_root, backend):
    """``(pose, error, crashed)`` for one video in a worker of its own, so a crash names it."""
    from joblib import Parallel, delayed

    try:
        # n_jobs=2, not 1: joblib runs a single task with n_jobs=1 in the calling process,
        # where a crash would end the whole batch instead of one worker.
        [(_, pose, error)] = Parallel(n_jobs=2, backend=backend)(
            [delayed(_extract_one)(path, settings, cache_root)])
    except _worker_died_errors() as exc:
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
