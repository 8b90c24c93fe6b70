"""One entry point for any recording: a video (MediaPipe) or a keypoint file."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .extract import extract_pose
from .readers import load_keypoints

__all__ = ["VIDEO_SUFFIXES", "is_video_file", "load_pose"]

#: File extensions read as video; anything else is read as keypoints.
VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg"}


def is_video_file(path) -> bool:
    """Whether ``path`` is read as a video (by its extension, see :data:`VIDEO_SUFFIXES`)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def load_pose(path, *, fps=None, layout=None, roi=None):
    """The pose sequence of a video or a keypoint file, chosen by the file extension.

    Parameters
    ----------
    path : str or os.PathLike
        A video (see :data:`VIDEO_SUFFIXES`; needs the ``video`` extra) or a
        file/folder :func:`~formcheck.pose.load_keypoints` reads.
    fps : float, optional
        Resample a video to this rate, or set a keypoint file's rate.
    layout : str, optional
        Keypoint layout of a keypoint file (videos are always ``mediapipe33``).
    roi : tuple of int (x, y, width, height), optional
        A video's region to look for the person in (see
        :func:`~formcheck.pose.extract_pose`).

    Returns
    -------
    PoseSequence

    Raises
    ------
    InputError
        A ``roi`` for a keypoint file, whose person is already chosen.
    """
    if is_video_file(path):
        return extract_pose(path, fps=fps, roi=roi)
    if roi is not None:
        raise InputError(f"{path}: roi applies to videos only; a keypoint file already holds "
                         "one person's landmarks")

    return load_keypoints(path, layout=layout, fps=fps)
