"""Pose sequences from a video file: MediaPipe extraction, then the frames lost before
the first detection tracked backwards.

:func:`extract_pose` turns one video into a :class:`PoseSequence` (layout
``mediapipe33``), through the on-disk cache of :mod:`formcheck.pose.cache`;
:func:`~formcheck.pose.batch.extract_many` does a list of videos.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import numpy as np

from .._files import cache_dir
from .._progress import manual_bar
from ..errors import FormcheckError, InputError, NoPersonError, VideoError
from .cache import _load_entry, _save_entry, pose_cache_key
from .mediapipe_backend import MODEL_COMPLEXITY, N_LANDMARKS, MediaPipePose
from .recovery import recover_lost_frames
from .sequence import PoseSequence
from .video import VideoReader, check_fps, check_max_side, check_roi, prefetch

__all__ = ["extract_pose"]

logger = logging.getLogger("formcheck")

#: Decoded frames queued ahead of the pose model (0 decodes in the calling thread).
PREFETCH_FRAMES = 8
#: MediaPipe's tracking threshold. Below MediaPipe's default of 0.5 the tracker
#: holds on through hard frames: on the 64 PushFit clips, frames lost where the
#: published keypoints have a person fell from 28 to 7 with the same median
#: agreement (0.0026); the backlit pull-up clip keeps its person to the end.
TRACKING_CONFIDENCE = 0.3


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
        Read and write the on-disk cache (see :mod:`formcheck.pose.cache`).
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
    if Path(path).is_dir():
        raise VideoError(f"{path}: is a folder, not a video (name the videos in it: "
                         f"{Path(path) / '*.mp4'})")
    if not Path(path).is_file():
        raise VideoError(f"{path}: video file not found")
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise VideoError(f"{path}: cannot read the video ({exc.strerror or exc})") from None


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
    missing = (np.full((N_LANDMARKS, 4), np.nan, np.float32),
               np.full((N_LANDMARKS, 3), np.nan, np.float32))
    rows, worlds, previous_index, result = [], [], None, missing
    bar = manual_bar(progress, total=reader.expected_frames or None, unit="frame",
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
