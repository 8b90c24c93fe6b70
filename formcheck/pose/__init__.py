"""Pose data: the :class:`PoseSequence` and the ways to obtain one.

- :func:`extract_pose` / :func:`extract_many`: MediaPipe landmarks from video
  (needs the ``video`` extra: ``pip install "formcheck[video]"``); one video in
  :mod:`.extract`, many in :mod:`.batch`, both through the disk cache of
  :mod:`.cache`.
- :func:`load_keypoints`: keypoints written by OpenPose, MoveNet, YOLO-pose or
  MediaPipe (JSON, CSV, NumPy).
"""

from .batch import BatchResult, extract_many
from .extract import extract_pose
from .load import VIDEO_SUFFIXES, load_pose
from .readers import load_keypoints
from .sequence import PoseSequence

__all__ = ["PoseSequence", "extract_pose", "extract_many", "BatchResult", "load_keypoints",
           "load_pose", "VIDEO_SUFFIXES"]
