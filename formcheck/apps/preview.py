"""Previews: the skeleton drawn on a video's frames, with a rep counter and each rep's
verdict (:func:`write_preview`), or one rep played in a window while it is labelled
(:class:`RepPlayer`)."""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ..check import UNKNOWN
from ..errors import DependencyError
from ..pose import PoseSequence
from ..pose.load import is_video_file
from ..pose.video import VideoReader, _cv2, has_screen, resize_max_side, write_video

__all__ = ["write_preview", "draw_frame", "draw_skeleton", "rep_frames", "RepPlayer",
           "VideoCursor", "BONES"]

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


def _colour(verdict):
    if verdict is None or verdict.label == UNKNOWN:
        return _GREY
    return _GREEN if verdict.is_correct else _RED


def draw_frame(image, points, verdict, reps_done, total_reps, min_visibility=0.3):
    """Draw one frame in place (BGR image).

    Parameters
    ----------
    image : numpy.ndarray, shape (H, W, 3), uint8, BGR
    points : dict of str to (x, y, visibility)
        Canonical joints in pixels.
    verdict : RepVerdict or None
        The rep this frame belongs to, if any: the skeleton takes its colour
        (green correct, red faulty, grey unknown) and its label is written.
    reps_done, total_reps : int
        For the counter.
    """
    colour = _colour(verdict)
    draw_skeleton(image, points, colour, min_visibility)
    scale = image.shape[1] / 900
    _text(image, f"reps {reps_done}/{total_reps}", (10, int(40 * scale) + 10), scale, _WHITE)
    if verdict is not None:
        text = verdict.label + (f" ({verdict.probability:.0%})" if verdict.label != UNKNOWN else "")
        _text(image, text, (10, int(80 * scale) + 20), scale, colour)
        if verdict.feedback is not None:
            _text(image, verdict.feedback.message, (10, int(115 * scale) + 30), scale * 0.6, colour)


def draw_skeleton(image, points, colour=_GREEN, min_visibility=0.3):
    """Draw the bones and joints of one person in place (BGR image).

    Parameters
    ----------
    image : numpy.ndarray, shape (H, W, 3), uint8, BGR
    points : dict of str to (x, y, visibility)
        Canonical joints in pixels; joints below ``min_visibility`` are left out.
    colour : tuple of int
        BGR colour of the bones.
    """
    cv2 = _cv2()
    thickness = max(2, image.shape[1] // 320)
    for a, b in BONES:
        if a in points and b in points and min(points[a][2], points[b][2]) >= min_visibility:
            cv2.line(image, _xy(points[a]), _xy(points[b]), colour, thickness, cv2.LINE_AA)
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


def write_preview(video_path, pose: PoseSequence, verdicts, output_path, *, progress=False):
    """Write a copy of a video with the skeleton, a rep counter and the verdicts drawn on it.

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
        The mp4 to write (atomically).

    Returns
    -------
    pathlib.Path
    """
    by_frame = {}
    for verdict in verdicts:
        for frame in range(verdict.start_frame, verdict.end_frame):
            by_frame[frame] = verdict
    ends = sorted(v.end_frame for v in verdicts)

    def frames():

        with VideoReader(video_path, color="bgr") as reader, tqdm(
                total=reader.expected_frames or None, unit="frame", disable=not progress) as bar:
            for frame in reader:
                image = frame.image.copy()
                k = min(frame.index, pose.n_frames - 1)
                done = sum(1 for end in ends if end <= k)
                draw_frame(image, _pixel_points(pose, k, (image.shape[1], image.shape[0])),
                           by_frame.get(k), done, len(verdicts))
                bar.update()
                yield image

    with VideoReader(video_path) as probe:
        fps = probe.fps
    return write_video(output_path, frames(), fps, color="bgr")


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
