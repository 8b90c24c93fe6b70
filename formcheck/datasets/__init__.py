"""Labelled reps: the :class:`RepDataset` and where its reps come from.

- :mod:`.rep_dataset`: :class:`RepDataset` (reps, labels, groups and the feature
  settings used), built from labelled :class:`Recording` items by
  :meth:`RepDataset.from_recordings`, which labelled folders, an annotation CSV
  (:meth:`RepDataset.from_source` picks by kind) and the loaders below all use.
- :mod:`.real`: loaders for the real sets in ``../shared/datasets`` (PushFit,
  Pose Trainer).
- :mod:`.synthetic`: a 3-D body model filmed by a virtual camera, for tests,
  the demo and the built-in models.
"""

from .real import (POSE_TRAINER_EXERCISES, LabelledPose, clips_to_reps, default_root,
                   load_pose_trainer, load_pushfit, whole_clips)
from .rep_dataset import Recording, RepDataset

__all__ = ["RepDataset", "Recording", "LabelledPose", "default_root", "load_pushfit",
           "load_pose_trainer",
           "clips_to_reps", "whole_clips", "POSE_TRAINER_EXERCISES"]
