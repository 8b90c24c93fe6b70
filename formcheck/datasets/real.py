"""Loaders for the public real-data sets formcheck is evaluated on.

The data are not part of formcheck: they live in a folder beside the project
(``../shared/datasets`` in development; pass ``root`` elsewhere). See
``datasets/README.md`` for their cards and the published accuracy on each.

- PushFit push-ups: MediaPipe keypoints of 64 clips, labelled correct/wrong per clip.
- Pose Trainer: OpenPose COCO-18 keypoints of four dumbbell exercises, good/bad per file.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from ..pose import PoseSequence
from .rep_dataset import Recording, RepDataset

__all__ = ["default_root", "load_pushfit", "load_pose_trainer", "POSE_TRAINER_EXERCISES",
           "LabelledPose"]

#: Pose Trainer folder -> formcheck exercise name.
POSE_TRAINER_EXERCISES = {"bicep": "bicep-curl", "frontraise": "front-raise",
                          "shoulderpress": "shoulder-press", "shouldershrug": "shoulder-shrug"}
#: Pose Trainer does not record frame rates; its clips were filmed at about 30 fps.
POSE_TRAINER_FPS = 30.0


class LabelledPose:
    """A pose sequence with its clip-level label and name."""
    __slots__ = ("name", "pose", "label")

    def __init__(self, name: str, pose: PoseSequence, label: str):
        self.name, self.pose, self.label = name, pose, label

    def __repr__(self):
        return f"LabelledPose({self.name!r}, {self.label!r}, frames={self.pose.n_frames})"


def default_root() -> Path:
    """``$FORMCHECK_DATASETS``, else ``../shared/datasets`` beside the project checkout.

    The folder may not exist; loaders raise :class:`DatasetError` then.
    """
    override = os.environ.get("FORMCHECK_DATASETS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared" / "datasets"


def _folder(root, name) -> Path:
    folder = Path(root if root is not None else default_root()) / name
    if not folder.is_dir():
        raise DatasetError(f"{folder}: dataset folder not found")
    return folder


def load_pushfit(root=None) -> list:
    """The PushFit push-up clips as labelled MediaPipe pose sequences.

    Labels are ``push-up/correct`` and ``push-up/wrong`` (the kind of fault is
    not given). Frame rate and image size come from each clip's video file when
    OpenCV is installed, otherwise 30 fps and unknown size.

    Returns
    -------
    list of LabelledPose
        Sorted by clip name.
    """
    folder = _folder(root, "pushfit-pushups")
    with np.load(folder / "mediapipe_keypoints.npz", allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    out = []
    for name in sorted(arrays):
        kind = "correct" if name.startswith("correct") else "wrong"
        fps, size = _video_info(folder / "videos" / kind / f"{name}.mp4")
        pose = PoseSequence.from_array(arrays[name], fps=fps, layout="mediapipe33",
                                       image_size=size, units="normalized", source=name)
        out.append(LabelledPose(name, pose, f"push-up/{kind}"))
    return out


def load_pose_trainer(exercise: str, root=None) -> list:
    """One Pose Trainer exercise as labelled COCO-18 pose sequences (one rep per file).

    Parameters
    ----------
    exercise : str
        A formcheck name (``"bicep-curl"``) or the set's folder name (``"bicep"``).

    Returns
    -------
    list of LabelledPose
        Labels ``<exercise>/good`` or ``<exercise>/bad``, sorted by file number.
    """
    folders = {v: k for k, v in POSE_TRAINER_EXERCISES.items()}
    folder_name = folders.get(exercise, exercise)
    if folder_name not in POSE_TRAINER_EXERCISES:
        raise DatasetError(f"unknown Pose Trainer exercise {exercise!r}; "
                           f"choose from {sorted(POSE_TRAINER_EXERCISES.values())}")
    name = POSE_TRAINER_EXERCISES[folder_name]
    folder = _folder(root, "pose-trainer") / "poses_compressed" / folder_name
    pattern = re.compile(rf"{folder_name}_?(good|bad)_?(\d+)\.npy$")
    files = sorted((m.group(1), int(m.group(2)), p) for p in folder.iterdir()
                   if (m := pattern.match(p.name)))
    return [LabelledPose(p.stem, PoseSequence.from_array(
                np.load(p, allow_pickle=False), fps=POSE_TRAINER_FPS, layout="coco18",
                units="pixels", source=p.name), f"{name}/{kind}")
            for kind, _, p in files]


def _video_info(path: Path):
    """``(fps, (width, height) or None)`` of a clip's video; 30 fps and no size without OpenCV."""
    try:
        import cv2
    except ImportError:
        warnings.warn(f"{path}: OpenCV (the video extra) is not installed, so the clip's frame "
                      "rate and image size are not read from its video: 30 fps is assumed and "
                      "angles get no aspect-ratio correction", stacklevel=3)
        return 30.0, None
    capture = cv2.VideoCapture(str(path))
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
        size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    finally:
        capture.release()
    if not fps or not np.isfinite(fps) or fps <= 0:
        return 30.0, None
    return float(fps), size if size[0] > 0 else None


def clips_to_reps(clips, exercise, *, whole_clip_if_no_rep=True, **feature_settings):
    """Cut labelled clips into a :class:`~formcheck.datasets.rep_dataset.RepDataset`.

    Every rep inherits its clip's label; the group is the clip, so grouped
    cross-validation never splits a clip.

    Parameters
    ----------
    clips : list of LabelledPose
    exercise : str
    whole_clip_if_no_rep : bool
        Keep a clip in which no rep is found as one rep spanning the whole
        clip, so every clip is evaluated (as the published protocols do).
    **feature_settings
        Passed to :meth:`~formcheck.datasets.rep_dataset.RepDataset.from_recordings`.

    Returns
    -------
    RepDataset
    """
    return RepDataset.from_recordings(_recordings(clips), exercise,
                                      whole_if_no_rep=whole_clip_if_no_rep, **feature_settings)


def whole_clips(clips, exercise, **feature_settings):
    """Every clip as one rep (Pose Trainer files hold one rep each)."""
    return RepDataset.from_recordings(_recordings(clips, whole=True), exercise,
                                      **feature_settings)


def _recordings(clips, whole=False) -> list:
    """The clips as recordings for ``RepDataset.from_recordings``; ``whole``: each one rep."""
    return [Recording(c.pose, c.label, c.name, c.name, (0, c.pose.n_frames) if whole else None)
            for c in clips]
