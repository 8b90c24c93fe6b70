"""Preview videos: the skeleton drawn on every frame, a rep counter and each rep's verdict."""

from __future__ import annotations

import numpy as np

from .check import UNKNOWN
from .pose import PoseSequence
from .video import VideoReader, _cv2, write_video

__all__ = ["write_preview", "draw_frame", "BONES"]

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
    cv2 = _cv2()
    colour = _colour(verdict)
    thickness = max(2, image.shape[1] // 320)
    for a, b in BONES:
        if a in points and b in points and min(points[a][2], points[b][2]) >= min_visibility:
            cv2.line(image, _xy(points[a]), _xy(points[b]), colour, thickness, cv2.LINE_AA)
    for x, y, visibility in points.values():
        if visibility >= min_visibility:
            cv2.circle(image, _xy((x, y)), thickness + 1, _WHITE, -1, cv2.LINE_AA)
    scale = image.shape[1] / 900
    _text(image, f"reps {reps_done}/{total_reps}", (10, int(40 * scale) + 10), scale, _WHITE)
    if verdict is not None:
        text = verdict.label + (f" ({verdict.probability:.0%})" if verdict.label != UNKNOWN else "")
        _text(image, text, (10, int(80 * scale) + 20), scale, colour)
        if verdict.feedback is not None:
            _text(image, verdict.feedback.message, (10, int(115 * scale) + 30), scale * 0.6, colour)


def _xy(point):
    return int(round(point[0])), int(round(point[1]))


def _text(image, text, origin, scale, colour):
    cv2 = _cv2()
    for width, col in ((max(3, int(4 * scale)), (0, 0, 0)), (max(1, int(2 * scale)), colour)):
        cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, col, width, cv2.LINE_AA)


def _pixel_points(pose: PoseSequence, frame: int, size) -> dict:
    scale = np.array(size, dtype=float) if pose.units == "normalized" else np.ones(2)
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
        from tqdm.auto import tqdm

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
