"""Previews: the skeleton drawn on a video's frames, with a rep counter and each rep's
verdict (:func:`write_preview`), or one rep played in a window while it is labelled
(:class:`RepPlayer`)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np

from .._progress import manual_bar
from ..check import UNKNOWN
from ..errors import DependencyError, InputError
from ..features.channels import CHANNELS, needed_joints
from ..features.exercises import get_exercise
from ..pose import PoseSequence
from ..pose.load import is_video_file
from ..pose.video import VideoReader, _cv2, has_screen, resize_max_side, write_video

__all__ = ["write_preview", "draw_frame", "draw_panel", "draw_skeleton", "judged_bones",
           "shown_verdicts", "preview_codec", "rep_frames", "RepPlayer", "VideoCursor", "BONES",
           "PREVIEW_CODECS", "CODEC_NAMES"]

#: Canonical joint pairs drawn as bones.
BONES = (
    ("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"),
    ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
    ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
    ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
    ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
    ("left_ankle", "left_toe"), ("right_ankle", "right_toe"),
)
_GREEN, _RED, _GREY, _WHITE = (60, 200, 60), (40, 40, 230), (160, 160, 160), (255, 255, 255)
_NEUTRAL, _PANEL = (200, 200, 200), (30, 30, 30)
#: Codecs tried for a preview, by file extension; the first this OpenCV can write is used.
PREVIEW_CODECS = {".mp4": ("avc1", "mp4v"), ".mov": ("avc1", "mp4v"), ".m4v": ("avc1", "mp4v"),
                  ".webm": ("VP90", "VP80"), ".avi": ("MJPG",)}
#: What each codec is called, for messages.
CODEC_NAMES = {"avc1": "H.264", "mp4v": "MPEG-4 Part 2", "VP90": "VP9", "VP80": "VP8",
               "MJPG": "Motion JPEG"}


def _colour(verdict):
    if verdict is None or verdict.label == UNKNOWN:
        return _GREY
    return _GREEN if verdict.is_correct else _RED


def judged_bones(verdict, exercise=None) -> set:
    """The bones a verdict is about: its feedback's channel, else the exercise's driving ones.

    Parameters
    ----------
    verdict : RepVerdict or None
    exercise : Exercise, optional

    Returns
    -------
    set of (str, str)
        Pairs from :data:`BONES` whose joints the channel(s) are measured on.
    """
    if verdict is None:
        return set()
    if verdict.feedback is not None:
        channels = [verdict.feedback.channel]
    else:
        channels = list(exercise.driving_channels) if exercise is not None else []
    joints = set().union(*(needed_joints(j) for c in channels if c in CHANNELS
                           for j in CHANNELS[c][1])) if channels else set()
    return {bone for bone in BONES if set(bone) <= joints}


def draw_frame(image, points, verdict, reps_done, total_reps, *, judged=frozenset(),
               min_visibility=0.3):
    """Draw one frame in place (BGR image): the skeleton and a panel with the verdict.

    Parameters
    ----------
    image : numpy.ndarray, shape (H, W, 3), uint8, BGR
    points : dict of str to (x, y, visibility)
        Canonical joints in pixels.
    verdict : RepVerdict or None
        The verdict to show (the current or last rep's). Its colour (green
        correct, red faulty, grey unknown) goes to the panel's label and to
        the ``judged`` bones; the other bones are drawn light grey.
    reps_done, total_reps : int
        For the counter.
    judged : set of (str, str)
        Bones drawn in the verdict's colour, thicker (see :func:`judged_bones`).
    """
    colour = _colour(verdict)
    draw_skeleton(image, points, _NEUTRAL, min_visibility)
    draw_skeleton(image, points, colour, min_visibility, bones=judged, weight=2)
    lines = [(f"reps {reps_done}/{total_reps}", _WHITE)]
    if verdict is not None:
        label = verdict.label + (f"  {verdict.confidence}" if verdict.confidence
                                 else f"  ({verdict.reason})" if verdict.reason else "")
        lines = [(f"rep {verdict.index + 1}/{total_reps}: {label}", colour)]
        if verdict.feedback is not None:
            lines.append((verdict.feedback.message, _WHITE))
    draw_panel(image, lines)


def draw_panel(image, lines):
    """A solid panel across the top of the frame with ``lines`` of (text, BGR colour), wrapped.

    The font scales with the frame's width (about 40 characters of the first
    line fit across), later lines are drawn smaller, and the panel is as tall
    as its text.
    """
    cv2 = _cv2()
    width = image.shape[1]
    margin = max(8, width // 60)
    first = width / 1100
    rows = []
    for k, (text, colour) in enumerate(lines):
        text = text.replace("°", " deg")   # OpenCV's Hershey fonts are ASCII only
        scale = first if k == 0 else first * 0.75
        thickness = max(1, int(round(scale * (2.4 if k == 0 else 1.8))))
        for piece in _wrap(text, width - 2 * margin, scale, thickness):
            (_, height), base = cv2.getTextSize(piece, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
            rows.append((piece, colour, scale, thickness, height, base))
    gap = margin // 2
    total = margin + sum(h + b + gap for *_, h, b in rows) + margin // 2
    cv2.rectangle(image, (0, 0), (width, min(total, image.shape[0])), _PANEL, -1)
    y = margin
    for piece, colour, scale, thickness, height, base in rows:
        y += height
        cv2.putText(image, piece, (margin, y), cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness,
                    cv2.LINE_AA)
        y += base + gap


def _wrap(text, width, scale, thickness) -> list:
    """``text`` broken at spaces into lines at most ``width`` pixels wide."""
    cv2 = _cv2()
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        fits = cv2.getTextSize(candidate, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)[0][0] <= width
        if fits or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    return lines + [current] if current else lines


def draw_skeleton(image, points, colour=_GREEN, min_visibility=0.3, *, bones=BONES, weight=1):
    """Draw the bones and joints of one person in place (BGR image).

    Parameters
    ----------
    image : numpy.ndarray, shape (H, W, 3), uint8, BGR
    points : dict of str to (x, y, visibility)
        Canonical joints in pixels; joints below ``min_visibility`` are left out.
    colour : tuple of int
        BGR colour of the bones.
    bones : iterable of (str, str)
        The bones to draw (default: all of :data:`BONES`, with the joints).
    weight : int
        Line thickness, in multiples of the usual (which grows with the frame).
    """
    cv2 = _cv2()
    thickness = max(2, image.shape[1] // 320)
    for a, b in bones:
        if a in points and b in points and min(points[a][2], points[b][2]) >= min_visibility:
            cv2.line(image, _xy(points[a]), _xy(points[b]), colour, thickness * weight,
                     cv2.LINE_AA)
    if bones is BONES:
        for x, y, visibility in points.values():
            if visibility >= min_visibility:
                cv2.circle(image, _xy((x, y)), thickness + 1, _WHITE, -1, cv2.LINE_AA)


def _xy(point):
    return int(round(point[0])), int(round(point[1]))


def _text(image, text, origin, scale, colour):
    cv2 = _cv2()
    for width, col in ((max(3, int(4 * scale)), (0, 0, 0)), (max(1, int(2 * scale)), colour)):
        cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, col, width, cv2.LINE_AA)


def _pixel_points(pose: PoseSequence, frame: int, size, image_size=None) -> dict:
    """Canonical joint -> (x, y, visibility) in the pixels of an image of ``size``.

    Pixel landmarks are scaled from ``image_size`` (the frame they were
    measured on) when it is given; normalised ones need no reference.
    """
    if pose.units == "normalized":
        scale = np.array(size, dtype=float)
    elif image_size:
        scale = np.array(size, dtype=float) / np.array(image_size, dtype=float)
    else:
        scale = np.ones(2)
    out = {}
    for name, index in pose.skeleton.canonical.items():
        x, y, _, visibility = pose.landmarks[frame, index]
        if np.isfinite(x) and np.isfinite(y):
            out[name] = (x * scale[0], y * scale[1], visibility)
    return out


def preview_codec(path) -> str:
    """The codec (four-character code) a preview written to ``path`` gets.

    H.264 (``avc1``) for ``.mp4`` / ``.mov`` when this OpenCV's FFmpeg can
    encode it, else MPEG-4 Part 2 (``mp4v``), which desktop players read but
    browsers and phones mostly do not; VP9 for ``.webm``, which browsers and
    Android play. The choice is probed once per extension.

    Raises
    ------
    InputError
        An extension with no known codec.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in PREVIEW_CODECS:
        raise InputError(f"{path}: a preview is written as {', '.join(PREVIEW_CODECS)}; "
                         f"not {suffix or 'a file without extension'}")
    return _first_writable(suffix)


@functools.cache
def _first_writable(suffix) -> str:
    cv2 = _cv2()
    candidates = PREVIEW_CODECS[suffix]
    with tempfile.TemporaryDirectory() as folder:
        for fourcc in candidates:
            writer = cv2.VideoWriter(str(Path(folder) / f"probe{suffix}"),
                                     cv2.VideoWriter_fourcc(*fourcc), 30.0, (64, 48))
            opened = writer.isOpened()
            writer.release()
            if opened:
                return fourcc
    return candidates[-1]


def shown_verdicts(verdicts, n_frames) -> dict:
    """Frame -> the verdict shown on it: each rep's from its first frame until the next rep starts.

    The last rep's verdict stays up to the end of the video; frames before the
    first rep show none.
    """
    ordered = sorted(verdicts, key=lambda v: v.start_frame)
    shown = {}
    for verdict, following in zip(ordered, ordered[1:] + [None]):
        stop = following.start_frame if following is not None else n_frames
        for frame in range(verdict.start_frame, stop):
            shown[frame] = verdict
    return shown


def write_preview(video_path, pose: PoseSequence, verdicts, output_path, *, exercise=None,
                  progress=False):
    """Write a copy of a video with the skeleton, a rep counter and the verdicts drawn on it.

    Each rep's verdict, with its feedback sentence, is written on a solid
    panel across the top of the frame from the rep's first frame until the
    next rep starts (:func:`shown_verdicts`); the bones the verdict is about
    take its colour (:func:`judged_bones`). The codec is
    :func:`preview_codec`'s choice for the file's extension.

    Parameters
    ----------
    video_path : str or os.PathLike
        The original video.
    pose : PoseSequence
        Its landmarks, one row per decoded frame (as :func:`extract_pose`
        returns at the native frame rate).
    verdicts : list of RepVerdict
        From :meth:`FormChecker.check_pose` on ``pose``.
    output_path : str or os.PathLike
        The video to write (atomically): ``.mp4``, ``.mov``, ``.webm`` or ``.avi``.
    exercise : str or Exercise, optional
        Its driving channels' bones are coloured when a verdict has no feedback.
    progress : bool
        Show a progress bar (on a terminal).

    Returns
    -------
    pathlib.Path
    """
    exercise = get_exercise(exercise) if exercise is not None else None
    fourcc = preview_codec(output_path)
    shown = shown_verdicts(verdicts, pose.n_frames)
    ends = sorted(v.end_frame for v in verdicts)

    def frames():
        with VideoReader(video_path, color="bgr") as reader, manual_bar(
                progress, total=reader.expected_frames or None, unit="frame") as bar:
            for frame in reader:
                image = frame.image.copy()
                k = min(frame.index, pose.n_frames - 1)
                verdict = shown.get(k)
                draw_frame(image, _pixel_points(pose, k, (image.shape[1], image.shape[0])),
                           verdict, sum(1 for end in ends if end <= k), len(verdicts),
                           judged=judged_bones(verdict, exercise))
                bar.update()
                yield image

    with VideoReader(video_path) as probe:
        fps = probe.fps
    return write_video(output_path, frames(), fps, color="bgr", fourcc=fourcc)


# -- playing reps while labelling -------------------------------------------------------------

#: Size of the canvas a rep of a keypoint file (no video) is drawn on, when it states none.
_CANVAS = (640, 480)
_ESCAPE = 27
_WINDOW_VISIBLE = 4     # cv2.WND_PROP_VISIBLE


def rep_frames(path, pose: PoseSequence, start, end, *, max_side=720, caption="",
               cursor=None):
    """The frames ``start`` to ``end`` of a recording, skeleton drawn, ready to show.

    Parameters
    ----------
    path : str or os.PathLike
        The video the pose came from, or a keypoint file (the skeleton is then
        drawn on a grey canvas of the pose's image size).
    pose : PoseSequence
        Its landmarks, one row per frame of the video (native frame rate).
    start, end : int
        Frames of the rep (end exclusive).
    max_side : int
        Longer side of the frames returned, in pixels.
    caption : str
        Text written at the bottom of every frame (e.g. the keys to press).
    cursor : VideoCursor, optional
        An open cursor on the video, so that consecutive reps are read on from
        where the last one ended instead of from the start of the file.

    Returns
    -------
    list of numpy.ndarray
        BGR images, one per frame of the rep.
    """
    if is_video_file(path):
        if cursor is None:
            with VideoCursor(path, max_side) as cursor:
                images = cursor.take(start, end)
        else:
            images = cursor.take(start, end)
    else:
        images = _canvases(pose, end - start, max_side)
    frames = []
    for offset, image in enumerate(images):
        size = (image.shape[1], image.shape[0])
        draw_skeleton(image, _pixel_points(pose, min(start + offset, pose.n_frames - 1), size,
                                           image_size=pose.image_size))
        if caption:
            _text(image, caption, (10, image.shape[0] - 12), _fitting_scale(caption, image),
                  _WHITE)
        frames.append(image)
    return frames


def _fitting_scale(text, image) -> float:
    """Font scale at which ``text`` fits the image's width (at most the usual size)."""
    cv2 = _cv2()
    (width, _), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 1.0, 2)
    return min(image.shape[1] / 1100, (image.shape[1] - 20) / max(width, 1))


class VideoCursor:
    """Read frame ranges of one video in increasing order without decoding it again.

    The video is decoded forwards across calls to :meth:`take`; asking for a
    range that starts before the current position reopens it.

    Parameters
    ----------
    path : str or os.PathLike
    max_side : int
        Longer side of the frames, in pixels.
    """

    def __init__(self, path, max_side=720):
        self.path, self.max_side = path, max_side
        self._reader = self._frames = None
        self._next = None           # the frame read ahead, not yet taken

    def take(self, start, end) -> list:
        """BGR copies of the frames ``start`` to ``end`` (end exclusive)."""
        if self._reader is None or (self._next is not None and self._next.index > start):
            self._open()
        images = []
        while self._next is not None and self._next.index < end:
            if self._next.index >= start:
                images.append(self._next.image.copy())
            self._next = next(self._frames, None)
        return images

    def _open(self):
        self.close()
        self._reader = VideoReader(self.path, max_side=self.max_side, color="bgr")
        self._frames = iter(self._reader)
        self._next = next(self._frames, None)

    def close(self):
        """Release the video."""
        if self._reader is not None:
            self._reader.close()
        self._reader = self._frames = self._next = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _canvases(pose, n_frames, max_side) -> list:
    width, height = pose.image_size or _CANVAS
    blank = resize_max_side(np.full((int(height), int(width), 3), 60, np.uint8), max_side)
    return [blank.copy() for _ in range(n_frames)]


class RepPlayer:
    """Play a rep in a window, over and over, until a key is pressed there.

    For ``formcheck label --play``: :meth:`__call__` takes a
    :class:`~formcheck.apps.labelling.RepToLabel` and returns the key pressed
    (Esc, or closing the window, counts as ``"q"``), so it can stand in for
    the terminal prompt of :meth:`LabelSession.run
    <formcheck.apps.labelling.LabelSession.run>`.

    Parameters
    ----------
    sources : dict of str to (path, PoseSequence)
        For every file name a rep may carry: the recording and its pose.
    caption : str
        Written at the bottom of every frame (the keys to press).
    gui : module, optional
        Provides ``imshow``, ``waitKey`` and ``destroyAllWindows``; default
        OpenCV's, after checking that there is a screen to show on.

    Raises
    ------
    DependencyError
        No screen (no ``DISPLAY`` or ``WAYLAND_DISPLAY`` on Linux), or an
        OpenCV built without a GUI (``opencv-python-headless``).

    Examples
    --------
    What ``formcheck label --play`` does (it needs a screen, so it is not run here)::

        session = LabelSession(store, exercise, reps)
        player = RepPlayer({"squat.mp4": ("squat.mp4", pose)}, session.legend())
        try:
            session.run(ask=None, play=player)
        finally:
            player.close()
    """
    window = "formcheck label"

    def __init__(self, sources, caption="", *, gui=None):
        self.sources, self.caption = dict(sources), caption
        self._gui = gui if gui is not None else _screen_gui()
        self._cursors = {}

    def __call__(self, rep) -> str:
        path, pose = self.sources[rep.file]
        if is_video_file(path) and path not in self._cursors:
            self._cursors[path] = VideoCursor(path)
        frames = rep_frames(path, pose, rep.start, rep.end, caption=self.caption,
                            cursor=self._cursors.get(path))
        delay = max(1, int(round(1000 / rep.fps)))
        while frames:
            for image in frames:
                try:
                    self._gui.imshow(self.window, image)
                except Exception as exc:  # noqa: BLE001 - OpenCV's GUI-less builds raise cv2.error
                    raise DependencyError(_NO_GUI + f" ({exc})") from None
                key = self._gui.waitKey(delay)
                if key != -1:
                    return "q" if key & 0xFF == _ESCAPE else chr(key & 0xFF)
                if self._closed():
                    return "q"
        return "s"      # nothing to show (an empty rep): skip it

    def _closed(self) -> bool:
        """Whether the user closed the window (its X button); imshow would reopen it."""
        try:
            return self._gui.getWindowProperty(self.window, _WINDOW_VISIBLE) < 1
        except Exception:  # noqa: BLE001 - a GUI backend without the property: assume open
            return False

    def close(self):
        """Close the window and the videos."""
        for cursor in self._cursors.values():
            cursor.close()
        self._gui.destroyAllWindows()


_NO_GUI = ("playing reps needs a screen and OpenCV with its GUI (opencv-python or "
           "opencv-contrib-python, not -headless); label in the terminal without --play")


def _screen_gui():
    """OpenCV's GUI functions, once there is a screen for them (else OpenCV aborts the process)."""
    if not has_screen():
        raise DependencyError(_NO_GUI + " (no DISPLAY or WAYLAND_DISPLAY is set)")
    return _cv2()
