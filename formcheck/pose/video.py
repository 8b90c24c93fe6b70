"""Video input and output with OpenCV: frames, frame rate, rotation.

:class:`VideoReader` decodes a file frame by frame, honouring the rotation
flag phone cameras write (OpenCV 4.x ignores it unless asked), optionally
resampling to a target frame rate and shrinking frames so that their longer
side is at most ``max_side`` pixels. :func:`read_video` decodes a whole file
into memory, :func:`write_video` writes frames to an ``.mp4`` file, and
:func:`prefetch` overlaps decoding with the work done on each frame.

OpenCV (``opencv-python`` or ``opencv-contrib-python``) comes with the
``video`` extra: ``pip install "formcheck[video]"``. Importing this module
does not need it; opening a video does.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import secrets
import stat
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DependencyError, InputError, OutputError, VideoError

__all__ = [
    "VideoInfo",
    "Frame",
    "VideoReader",
    "read_video",
    "write_video",
    "resample_indices",
    "resize_max_side",
    "prefetch",
    "check_fps",
    "check_max_side",
    "check_roi",
    "has_screen",
    "INSTALL_HINT",
]

#: Examples that write or decode a video, skipped by the doctest run where OpenCV is absent.
__doctest_requires__ = {("VideoReader", "read_video", "resize_max_side", "write_video"): ("cv2",)}

#: How to install the optional video dependencies.
INSTALL_HINT = 'pip install "formcheck[video]"'

#: Frame rate assumed when a container does not state one.
FALLBACK_FPS = 30.0


def has_screen() -> bool:
    """Whether OpenCV can open a window here (on Linux it aborts the process when it cannot).

    True on macOS and Windows; on Linux and other Unixes when ``DISPLAY``
    (X11) or ``WAYLAND_DISPLAY`` is set.
    """
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _cv2():
    """Import OpenCV or raise :class:`DependencyError` with the install command."""
    try:
        import cv2
    except ImportError as exc:
        raise DependencyError(
            f"reading and writing video needs OpenCV, which is not installed ({exc}); "
            f"install it with: {INSTALL_HINT}") from None
    return cv2


@dataclass(frozen=True)
class VideoInfo:
    """What a video file says about itself.

    Attributes
    ----------
    path : str
        The file.
    width, height : int
        Size of the upright frames (after the rotation flag is applied),
        before any downscaling.
    fps : float
        Native frame rate (:data:`FALLBACK_FPS` when the file states none).
    frame_count : int
        Number of frames the container declares; can be off by a few frames
        or 0 for streams that do not record it.
    rotation : int
        Rotation flag in degrees (0, 90, 180 or 270), already applied to the
        decoded frames.
    """

    path: str
    width: int
    height: int
    fps: float
    frame_count: int
    rotation: int = 0

    @property
    def size(self) -> tuple:
        """``(width, height)`` of the upright frames."""
        return (self.width, self.height)

    @property
    def duration(self) -> float:
        """Declared length in seconds (``frame_count / fps``)."""
        return self.frame_count / self.fps


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes
    ----------
    index : int
        Position of the frame in the file (0-based). With resampling, a
        duplicated frame keeps the index of its source frame.
    time : float
        Presentation time in seconds, from the start of the video.
    image : numpy.ndarray, shape (H, W, 3), uint8
        Pixels, RGB or BGR as requested. Shared between duplicates: do not
        modify it in place.
    """

    index: int
    time: float
    image: np.ndarray


class VideoReader:
    """Decode a video file frame by frame.

    Opening checks the file at once: a missing file, a file that is not a
    video and a video without frames raise :class:`VideoError` here, not on
    the first iteration.

    Parameters
    ----------
    path : str or os.PathLike
        Video file (anything FFmpeg reads: mp4, mov, avi, mkv, webm ...).
    fps : float, optional
        Target frame rate. Frames are dropped or repeated by timestamp so that
        output frame ``k`` is the source frame nearest to time ``k / fps``.
        None keeps every frame at the native rate.
    max_side : int, optional
        Shrink frames (never enlarge) so that the longer side is at most this
        many pixels. None keeps the original size.
    color : {"rgb", "bgr"}
        Channel order of the frames (OpenCV decodes BGR; pose models want RGB).
    roi : tuple of int (x, y, width, height), optional
        Yield only this region of the upright frames, in their pixels (cut
        before ``max_side`` shrinks it).

    Attributes
    ----------
    info : VideoInfo
        Size, frame rate, frame count and rotation of the file (the full
        frames, whatever the ``roi``).
    fps : float
        Frame rate of the frames this reader yields (``fps`` or the native one).

    Raises
    ------
    VideoError
        Missing file, not a video / undecodable, or no frames.
    DependencyError
        OpenCV is not installed.
    InputError
        A setting out of range, or a ``roi`` not inside the frame.

    Notes
    -----
    The rotation flag of phone videos is honoured with
    ``cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)``; without it OpenCV 4.x
    returns sideways frames. Timestamps come from the container
    (``CAP_PROP_POS_MSEC``), so variable-frame-rate phone videos resample
    correctly; when they are missing or not increasing, ``index / fps`` is used.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "grey.mp4"
    >>> _ = write_video(path, [np.full((48, 64, 3), 128, np.uint8)] * 10, fps=10)
    >>> with VideoReader(path, fps=5) as reader:
    ...     print(reader.info.size, reader.info.fps, [f.index for f in reader])
    (64, 48) 10.0 [0, 2, 4, 6, 8]
    """

    def __init__(self, path, *, fps=None, max_side=None, color="rgb", roi=None):
        self.path = str(path)
        self._max_side = check_max_side(max_side)
        self._target_fps = check_fps(fps)
        self._roi = check_roi(roi)
        if color not in ("rgb", "bgr"):
            raise InputError(f"color must be 'rgb' or 'bgr', got {color!r}")
        self._color = color
        self._cv2 = _cv2()
        self._cap = self._open()
        try:
            self._first = self._read_raw()
            if self._first is None:
                raise VideoError(f"{self.path}: the video has no frames")
            self.info = self._probe(self._first[1])
            self._check_roi_inside()
        except BaseException:
            self.close()
            raise
        self.fps = self._target_fps or self.info.fps
        self._used = False

    # -- opening -----------------------------------------------------------------------------
    def _open(self):
        if not Path(self.path).is_file():
            raise VideoError(f"{self.path}: video file not found")
        cv2 = self._cv2
        cap = cv2.VideoCapture(self.path)
        if not cap.isOpened():
            cap.release()
            raise VideoError(
                f"{self.path}: cannot open as a video (not a video file, truncated, or a codec "
                "OpenCV's FFmpeg cannot decode)")
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        return cap

    def _probe(self, first_image) -> VideoInfo:
        cv2 = self._cv2
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        if not (math.isfinite(fps) and 0 < fps < 1000):
            fps = FALLBACK_FPS
        rotation = self._cap.get(cv2.CAP_PROP_ORIENTATION_META)
        rotation = int(round(rotation)) % 360 if math.isfinite(rotation) else 0
        height, width = first_image.shape[:2]
        count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        count = int(count) if math.isfinite(count) and count > 0 else 0
        return VideoInfo(self.path, int(width), int(height), float(fps), count, rotation)

    def _check_roi_inside(self):
        if self._roi is None:
            return
        x, y, width, height = self._roi
        if x + width > self.info.width or y + height > self.info.height:
            raise InputError(f"{self.path}: roi {self._roi} (x, y, width, height) reaches outside "
                             f"the {self.info.width}x{self.info.height} frame")

    # -- reading -----------------------------------------------------------------------------
    def _read_raw(self):
        """Next (timestamp in s or None, BGR image) from the file, or None at the end."""
        ok, image = self._cap.read()
        if not ok or image is None:
            return None
        msec = self._cap.get(self._cv2.CAP_PROP_POS_MSEC)
        return (msec / 1000.0 if math.isfinite(msec) and msec >= 0 else None), image

    def _timed_frames(self):
        """Yield ``(time, index, image)`` for every decoded frame, with sane timestamps."""
        item, index, last_time = self._first, 0, -math.inf
        self._first = None
        while item is not None:
            stamp, image = item
            fallback = index / self.info.fps
            time = stamp if stamp is not None and stamp > last_time else fallback
            if time <= last_time:           # a broken timestamp sequence: trust the frame count
                time = last_time + 1.0 / self.info.fps
            last_time = time
            yield time, index, image
            index += 1
            item = self._read_raw()

    def _convert(self, image):
        if self._roi is not None:
            x, y, width, height = self._roi
            image = image[y:y + height, x:x + width]
        image = resize_max_side(image, self._max_side)
        if self._color == "rgb":
            image = self._cv2.cvtColor(image, self._cv2.COLOR_BGR2RGB)
        return image

    def __iter__(self):
        if self._used:
            raise VideoError(f"{self.path}: a VideoReader can be iterated only once")
        self._used = True
        return self._frames()

    def _frames(self):
        timed = self._timed_frames()
        if self._target_fps is None:
            for time, index, image in timed:
                yield Frame(index, time, self._convert(image))
            return
        converted = {}
        for out_time, (time, index, image) in _resample_stream(timed, self._target_fps):
            if index not in converted:      # a repeated frame is converted once
                converted.clear()
                converted[index] = self._convert(image)
            yield Frame(index, out_time, converted[index])

    @property
    def expected_frames(self) -> int:
        """Number of frames iteration will yield, from the declared frame count (approximate)."""
        count = self.info.frame_count
        if self._target_fps is None:
            return count
        return int(math.ceil(count * self._target_fps / self.info.fps - 1e-9))

    def close(self):
        """Release the file."""
        cap = getattr(self, "_cap", None)
        if cap is not None:
            cap.release()
            self._cap = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        with contextlib.suppress(Exception):
            self.close()

    def __repr__(self):
        info = getattr(self, "info", None)
        detail = (f", size={info.size}, fps={info.fps:g}, rotation={info.rotation}"
                  if info else "")
        return f"VideoReader({self.path!r}{detail})"


def check_fps(fps):
    """``fps`` as a float, or None; :class:`InputError` unless a positive finite number or None."""
    if fps is None:
        return None
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)) \
            or not math.isfinite(fps) or fps <= 0:
        raise InputError(f"fps must be a positive number or None, got {fps!r}")
    return float(fps)


def check_max_side(max_side):
    """``max_side`` as an int, or None; :class:`InputError` unless an integer >= 16 or None."""
    if max_side is None:
        return None
    if isinstance(max_side, bool) or not isinstance(max_side, (int, np.integer)) or max_side < 16:
        raise InputError(f"max_side must be an integer >= 16 or None, got {max_side!r}")
    return int(max_side)


def check_roi(roi):
    """``roi`` as a tuple of 4 ints ``(x, y, width, height)``, or None.

    Raises
    ------
    InputError
        Not 4 whole numbers, a negative corner, or a side under 16 pixels.

    Examples
    --------
    >>> check_roi([10, 20, 300, 400])
    (10, 20, 300, 400)
    """
    if roi is None:
        return None
    try:
        values = [int(v) for v in roi]
        whole = all(float(v) == int(v) for v in roi) and not any(isinstance(v, bool) for v in roi)
    except (TypeError, ValueError):
        values, whole = [], False
    if len(values) != 4 or not whole or min(values[:2]) < 0 or min(values[2:]) < 16:
        raise InputError(f"roi must be (x, y, width, height) in whole pixels, corner >= 0, "
                         f"sides >= 16; got {roi!r}")
    return tuple(values)


def _resample_stream(timed, target_fps):
    """Pick, for each output time ``k / target_fps``, the source frame nearest in time.

    ``timed`` yields ``(time, *rest)`` with increasing times; yields
    ``(output_time, (time, *rest))``. Output covers the display interval of
    the source frames: the last frame is shown until ``t_last + 1 / src_fps``,
    estimated from the mean spacing of the frames.
    """
    step = 1.0 / target_fps
    eps = 1e-6 * step
    k, previous, start, n_seen = 0, None, None, 0
    for item in timed:
        time = item[0]
        if previous is None:
            previous, start, n_seen = item, time, 1
            continue
        midpoint = (previous[0] + time) / 2.0
        while start + k * step <= midpoint + eps:
            yield k * step, previous
            k += 1
        previous, n_seen = item, n_seen + 1
    if previous is None:
        return
    spacing = (previous[0] - start) / (n_seen - 1) if n_seen > 1 else step
    end = previous[0] + spacing
    while start + k * step < end - eps:
        yield k * step, previous
        k += 1


def resample_indices(times, fps) -> np.ndarray:
    """Which source frames make a sequence at ``fps`` frames per second.

    Output frame ``k`` (at time ``k / fps`` after the first frame) is the
    source frame whose timestamp is nearest; frames are dropped when ``fps``
    is below the source rate and repeated when above. This is the rule
    :class:`VideoReader` applies while decoding.

    Parameters
    ----------
    times : array_like of float
        Increasing timestamps of the source frames, in seconds.
    fps : float
        Target frame rate.

    Returns
    -------
    numpy.ndarray of int
        Index of the source frame for each output frame.

    Examples
    --------
    >>> resample_indices([0.0, 0.1, 0.2, 0.3], fps=5).tolist()
    [0, 2]
    >>> resample_indices([0.0, 0.1, 0.2, 0.3], fps=20).tolist()
    [0, 0, 1, 1, 2, 2, 3, 3]
    """
    fps = check_fps(fps)
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or (np.diff(times) <= 0).any():
        raise InputError("times must be a 1-D increasing sequence")
    stream = ((t, i) for i, t in enumerate(times))
    return np.array([item[1] for _, item in _resample_stream(stream, fps)], dtype=int)


def resize_max_side(image, max_side):
    """Shrink an image so its longer side is at most ``max_side`` pixels.

    The aspect ratio is kept; an image already small enough is returned as
    is (never enlarged). Halving and larger reductions use area averaging
    (``INTER_AREA``, which avoids aliasing and is fast for integer factors);
    smaller reductions use bilinear interpolation, several times faster for
    non-integer factors and as accurate for pose estimation.

    Parameters
    ----------
    image : numpy.ndarray, shape (H, W) or (H, W, C)
    max_side : int or None
        None returns the image unchanged.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> resize_max_side(np.zeros((720, 1280, 3), np.uint8), 640).shape
    (360, 640, 3)
    >>> resize_max_side(np.zeros((240, 320, 3), np.uint8), 640).shape
    (240, 320, 3)
    """
    if max_side is None:
        return image
    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return image
    cv2 = _cv2()
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale <= 0.5 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interpolation)


def read_video(path, *, fps=None, max_side=None, color="rgb"):
    """Decode a whole video into memory.

    Parameters
    ----------
    path : str or os.PathLike
    fps, max_side, color
        As for :class:`VideoReader`.

    Returns
    -------
    frames : numpy.ndarray, shape (T, H, W, 3), uint8
    info : VideoInfo

    Raises
    ------
    VideoError
        Missing file, not a video, or no frames.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "clip.mp4"
    >>> _ = write_video(path, [np.zeros((48, 64, 3), np.uint8)] * 6, fps=30)
    >>> frames, info = read_video(path)
    >>> frames.shape, info.fps
    ((6, 48, 64, 3), 30.0)
    """
    with VideoReader(path, fps=fps, max_side=max_side, color=color) as reader:
        frames = [frame.image for frame in reader]
        return np.stack(frames), reader.info


def write_video(path, frames, fps, *, color="bgr", fourcc="mp4v"):
    """Write frames to a video file (``.mp4`` with the MPEG-4 Part 2 codec by default).

    The file appears only when complete: frames go to a temporary file beside
    ``path`` that is moved into place at the end.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; the extension chooses the container (``.mp4``, ``.avi``).
    frames : iterable of numpy.ndarray, shape (H, W, 3) uint8
        All frames must have the size of the first one. Grey (H, W) frames
        are accepted too.
    fps : float
        Frame rate to record.
    color : {"bgr", "rgb"}
        Channel order of ``frames`` (OpenCV's own drawing functions work in BGR).
    fourcc : str
        Four-character codec code understood by ``cv2.VideoWriter``; ``"mp4v"``
        is available in every OpenCV wheel.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    VideoError
        No frames, frames of different sizes, or OpenCV cannot write the file.
    OutputError
        The folder cannot be written (read-only, a file in the way); ``path`` is unchanged.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "preview.mp4"
    >>> write_video(out, [np.zeros((48, 64, 3), np.uint8)] * 3, fps=30).name
    'preview.mp4'
    """
    cv2 = _cv2()
    path = Path(path)
    fps = check_fps(fps)
    if color not in ("rgb", "bgr"):
        raise InputError(f"color must be 'rgb' or 'bgr', got {color!r}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temporary_video(path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    writer, size, count = None, None, 0
    try:
        for image in frames:
            image = _as_bgr(np.asarray(image), color, cv2)
            if writer is None:
                size = (image.shape[1], image.shape[0])
                writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*fourcc), fps, size)
                if not writer.isOpened():
                    raise VideoError(f"{path}: OpenCV cannot write this file with codec {fourcc!r}")
            elif (image.shape[1], image.shape[0]) != size:
                raise VideoError(f"{path}: frame {count} is {image.shape[1]}x{image.shape[0]}, "
                                 f"the first frame was {size[0]}x{size[1]}")
            writer.write(image)
            count += 1
        if count == 0:
            raise VideoError(f"{path}: no frames to write")
        writer.release()
        writer = None
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    finally:
        if writer is not None:
            writer.release()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return path


def _temporary_video(path: Path) -> str:
    """A new empty file beside ``path``, with its extension (OpenCV picks the container by it).

    It gets the permissions of the file it will replace, else a new file's (0666 less the
    umask), as :func:`formcheck._files.atomic_write` does.
    """
    while True:
        name = path.parent / f".{path.stem}.{secrets.token_hex(4)}{path.suffix or '.mp4'}"
        try:
            os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        with contextlib.suppress(FileNotFoundError):
            os.chmod(name, stat.S_IMODE(path.stat().st_mode))
        return str(name)


def _as_bgr(image, color, cv2):
    if image.dtype != np.uint8:
        raise VideoError(f"frames must be uint8 images, got dtype {image.dtype}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim != 3 or image.shape[2] != 3:
        raise VideoError(f"frames must have shape (H, W, 3) or (H, W), got {image.shape}")
    if color == "rgb":
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    return np.ascontiguousarray(image)


_END = object()


class _Failure:
    __slots__ = ("exc",)

    def __init__(self, exc):
        self.exc = exc


def prefetch(iterable, maxsize=8):
    """Iterate ``iterable`` in a background thread, ``maxsize`` items ahead.

    Used to decode video while the pose model works on the previous frame:
    OpenCV and MediaPipe both release the GIL, so on two cores the two run in
    parallel. An exception in the producer is raised in the consumer;
    closing the returned generator (or leaving a ``for`` loop early) stops the
    producer thread.

    Parameters
    ----------
    iterable : iterable
        Consumed only by the background thread.
    maxsize : int
        Queue length; bounds the memory held by decoded frames. ``0`` turns
        prefetching off and iterates in the calling thread.

    Yields
    ------
    object
        The items of ``iterable``, in order.

    Examples
    --------
    >>> list(prefetch(range(5), maxsize=2))
    [0, 1, 2, 3, 4]
    """
    if maxsize <= 0:
        yield from iterable
        return
    items = queue.Queue(maxsize)
    stop = threading.Event()

    def put(item):
        while not stop.is_set():
            try:
                items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in iterable:
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:  # handed over to the consumer
            put(_Failure(exc))

    thread = threading.Thread(target=produce, name="formcheck-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join()
