"""The foundation on real keypoints from ../shared/datasets (skipped when absent)."""

from collections import Counter

import numpy as np
import pytest

from formcheck import joint_angles, segment_reps
from formcheck.datasets.real import POSE_TRAINER_EXERCISES, default_root, load_pose_trainer, load_pushfit

ROOT = default_root()
pytestmark = pytest.mark.skipif(
    not ROOT.is_dir(), reason=f"shared real datasets not found at {ROOT} (set FORMCHECK_DATASETS)")


def rep_counts(clips, exercise):
    counts = {}
    for clip in clips:
        series = joint_angles(clip.pose, exercise=exercise)
        assert np.isfinite(np.asarray(series)).all(), clip.name
        counts[clip.name] = len(segment_reps(series, exercise))
    return counts


def test_pushfit_keypoints_load_and_segment():
    clips = load_pushfit(ROOT)
    assert len(clips) == 64
    assert Counter(c.label for c in clips) == {"push-up/correct": 34, "push-up/wrong": 30}
    assert all(c.pose.layout == "mediapipe33" and 20 <= c.pose.fps <= 60 for c in clips)
    counts = rep_counts(clips, "push-up")
    with_reps = sum(n >= 1 for n in counts.values()) / len(counts)
    print("PushFit rep counts:", sorted(Counter(counts.values()).items()))
    assert with_reps >= 0.9


@pytest.mark.parametrize("exercise", sorted(POSE_TRAINER_EXERCISES.values()))
def test_pose_trainer_keypoints_load_and_segment(exercise):
    clips = load_pose_trainer(exercise, ROOT)
    assert len(clips) >= 16
    assert all(c.pose.layout == "coco18" and c.pose.units == "pixels" for c in clips)
    assert {c.label.split("/")[1] for c in clips} == {"good", "bad"}
    counts = rep_counts(clips, exercise)
    print(exercise, "rep counts:", sorted(Counter(counts.values()).items()))
    assert sum(n >= 1 for n in counts.values()) / len(counts) >= 0.9
