"""Joint-angle features: geometry, invariances, gaps and errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck import AngleSeries, PoseSequence, joint_angles
from formcheck.errors import ChannelMismatchError, LayoutError, MissingDataError, TooFewFramesError
from formcheck.features.channels import CHANNELS, available_channels
from formcheck.pose.skeleton import get_layout

MP = get_layout("mediapipe33")


def random_pose(seed=0, frames=12, units="pixels", layout="mediapipe33"):
    rng = np.random.default_rng(seed)
    n_joints = get_layout(layout).n_joints
    xy = rng.uniform(100, 500, (frames, n_joints, 2))
    vis = np.ones((frames, n_joints, 1))
    data = np.concatenate([xy, np.zeros_like(vis), vis], axis=-1)
    return PoseSequence.from_array(data, fps=30, layout=layout, units=units)


def pose_with(points: dict, frames=4, layout="mediapipe33", **kwargs):
    """A pose whose named canonical joints sit at fixed points; the rest at (1, 1)."""
    skeleton = get_layout(layout)
    data = np.ones((frames, skeleton.n_joints, 4))
    for name, (x, y) in points.items():
        data[:, skeleton.joint_index(name), :2] = (x, y)
    return PoseSequence.from_array(data, fps=30, layout=layout, **kwargs)


def test_right_angle_at_the_knee_and_a_vertical_trunk():
    pose = pose_with({"left_hip": (0, 0), "left_knee": (0, 10), "left_ankle": (10, 10),
                      "right_hip": (0, 0), "right_knee": (0, 10), "right_ankle": (0, 20),
                      "left_shoulder": (0, -10), "right_shoulder": (0, -10)}, units="pixels")
    series = joint_angles(pose, channels=["left_knee", "right_knee", "trunk_inclination"])
    np.testing.assert_allclose(series["left_knee"], 90)
    np.testing.assert_allclose(series["right_knee"], 180)
    np.testing.assert_allclose(series["trunk_inclination"], 0, atol=1e-9)


def test_aspect_ratio_is_corrected_when_image_size_is_known():
    # In a 200x100 image, normalised (0.1, 0) -> (0, 0) -> (0, 0.2) is a right angle in
    # pixels only after scaling x by 200 and y by 100; the 45-degree segment checks it.
    points = {"left_hip": (0.0, 0.0), "left_knee": (0.1, 0.2), "left_ankle": (0.2, 0.2),
              "left_shoulder": (0.1, 0.0), "right_shoulder": (0.1, 0.0), "right_hip": (0.0, 0.0)}
    corrected = joint_angles(pose_with(points, units="normalized", image_size=(200, 100)),
                             channels=["left_knee"])
    raw = joint_angles(pose_with(points, units="normalized"), channels=["left_knee"])
    # pixels: hip (0,0), knee (20,20), ankle (40,20): angle 135; unscaled: 116.57
    np.testing.assert_allclose(corrected["left_knee"], 135.0)
    np.testing.assert_allclose(raw["left_knee"], 180 - np.degrees(np.arctan2(0.2, 0.1)))


@settings(max_examples=40, deadline=None)
@given(dx=st.floats(-300, 300), dy=st.floats(-300, 300), scale=st.floats(0.2, 5.0),
       seed=st.integers(0, 1000))
def test_angles_are_invariant_to_translation_and_scale(dx, dy, scale, seed):
    pose = random_pose(seed)
    moved = pose.landmarks.astype(np.float64)    # rounding of float32 input is not the point
    moved[..., 0] = moved[..., 0] * scale + dx
    moved[..., 1] = moved[..., 1] * scale + dy
    other = PoseSequence.from_array(moved, fps=30, layout="mediapipe33", units="pixels")
    a, b = joint_angles(pose), joint_angles(other)
    # landmarks are float32: the moved copy is rounded to ~3e-5 px, which turns a short
    # segment by up to ~1e-3 degrees (seed 276, dy=108, scale 0.5 gives 1.1e-3)
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-2)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), frames=st.integers(2, 40))
def test_mirror_twice_is_identity_and_swaps_sides(seed, frames):
    series = joint_angles(random_pose(seed, frames))
    twice = series.mirror().mirror()
    assert twice.channels == series.channels
    np.testing.assert_array_equal(np.asarray(twice), np.asarray(series))
    once = series.mirror()
    np.testing.assert_array_equal(once["left_knee"], series["right_knee"])
    np.testing.assert_array_equal(once["trunk_inclination"], series["trunk_inclination"])


def test_mirrored_pose_gives_mirrored_angles():
    pose = random_pose(3)
    np.testing.assert_allclose(np.asarray(joint_angles(pose.mirror())),
                               np.asarray(joint_angles(pose).mirror()), atol=1e-3)


def test_gaps_are_interpolated_linearly():
    pose = pose_with({"left_hip": (0, 0), "left_knee": (0, 10), "left_ankle": (10, 10),
                      "left_shoulder": (0, -10), "right_shoulder": (0, -10), "right_hip": (0, 0),
                      "right_knee": (0, 10), "right_ankle": (10, 10)}, frames=5, units="pixels")
    landmarks = pose.landmarks.copy()
    landmarks[1:3, MP.joint_index("left_ankle"), 3] = 0.05  # below min_visibility
    landmarks[4, MP.joint_index("left_ankle"), :2] = (0, 20)  # straight leg at the end
    pose = PoseSequence.from_array(landmarks, fps=30, layout="mediapipe33", units="pixels")
    knee = joint_angles(pose, channels=["left_knee"])["left_knee"]
    np.testing.assert_allclose(knee, [90, 90, 90, 90, 180])  # frames 1-2 interpolated from 0, 3
    frames13 = joint_angles(pose, channels=["left_knee"], min_visibility=0.0)["left_knee"]
    np.testing.assert_allclose(frames13[1:3], 90)


def test_hidden_side_takes_the_visible_sides_values():
    pose = random_pose(5)
    landmarks = pose.landmarks.copy()
    landmarks[:, MP.joint_index("left_elbow"), 3] = 0.0
    pose = PoseSequence.from_array(landmarks, fps=30, layout="mediapipe33", units="pixels")
    series = joint_angles(pose, channels=["left_elbow"])
    assert series.filled_from_mirror == ["left_elbow"]
    np.testing.assert_allclose(series["left_elbow"],
                               joint_angles(pose, channels=["right_elbow"])["right_elbow"])


def with_visibility(pose, frames, joints, visibility, source=None):
    landmarks = pose.landmarks.copy()
    landmarks[frames, [MP.joint_index(j) for j in joints], 3] = visibility
    return PoseSequence.from_array(landmarks, fps=30, layout="mediapipe33", source=source)


def test_too_much_missing_data_raises_naming_the_joint_and_the_share():
    pose = with_visibility(random_pose(6), slice(0, 8), ["left_knee", "right_knee"], 0.0,
                           source="clip7.mp4")
    with pytest.raises(MissingDataError, match=r"clip7.mp4: the left_knee and the right_knee "
                                               r"cannot be seen in 67% of frames"):
        joint_angles(pose, channels=["left_hip"])


def test_both_sides_hidden_in_turn_are_merged_frame_by_frame():
    pose = with_visibility(random_pose(7), slice(0, 7), ["left_knee"], 0.0)
    pose = with_visibility(pose, slice(5, 12), ["right_knee"], 0.0)
    series = joint_angles(pose, channels=["left_knee"])
    own = joint_angles(random_pose(7), channels=["left_knee", "right_knee"])
    np.testing.assert_allclose(series["left_knee"][7:], own["left_knee"][7:])
    np.testing.assert_allclose(series["left_knee"][:5], own["right_knee"][:5])
    assert series.filled_from_mirror == ["left_knee"]


def test_joints_of_low_visibility_on_both_sides_are_used_rather_than_failing():
    pose = with_visibility(random_pose(8), slice(None), ["left_knee", "right_knee"], 0.05)
    series = joint_angles(pose, channels=["left_knee", "right_knee"])
    np.testing.assert_allclose(np.asarray(series),
                               np.asarray(joint_angles(pose, channels=["left_knee", "right_knee"],
                                                       min_visibility=0.0)))


def test_channel_errors():
    with pytest.raises(LayoutError, match="lacks the joints"):
        joint_angles(random_pose(layout="coco17"), channels=["left_ankle"])
    with pytest.raises(ChannelMismatchError, match="unknown channels"):
        joint_angles(random_pose(), channels=["left_wing"])
    with pytest.raises(TooFewFramesError):
        joint_angles(random_pose(frames=1))


def test_available_channels_follow_the_layout():
    assert set(available_channels("mediapipe33")) == set(CHANNELS)
    coco = available_channels("coco17")
    assert "left_knee" in coco and "left_ankle" not in coco


def test_series_behaves_as_an_array_and_resamples():
    series = AngleSeries(np.column_stack([np.arange(31.0), np.zeros(31)]), ["a", "b"], fps=30)
    assert np.asarray(series).shape == (31, 2)
    resampled = series.resample(60)
    assert resampled.fps == 60 and len(resampled) == 61
    np.testing.assert_allclose(resampled["a"], np.arange(61) / 2)
    smooth = series.smooth(0.2)
    np.testing.assert_allclose(smooth["a"], series["a"], atol=1e-9)  # a line stays a line
    with pytest.raises(ChannelMismatchError, match="no channel 'c'"):
        series["c"]


def test_joint_angles_with_smoothing_and_target_fps():
    series = joint_angles(random_pose(frames=30), smooth=0.2, target_fps=15)
    assert series.fps == 15 and len(series) == 15


# --- the channels the fault standards read ---------------------------------------------------

# a person standing, in pixels: shoulders y=0, hips y=100 (torso length 100), knees y=150
STANDING = {"left_shoulder": (-20, 0), "right_shoulder": (20, 0), "left_hip": (-10, 100),
            "right_hip": (10, 100), "left_knee": (-12, 150), "right_knee": (12, 150),
            "left_ankle": (-20, 200), "right_ankle": (20, 200), "left_wrist": (-30, -40),
            "right_wrist": (30, -40), "nose": (0, -60), "left_mouth": (-3, -50),
            "right_mouth": (3, -50)}
STANDARD_CHANNELS = ["hips_over_knees", "chin_over_wrists", "knee_ankle_width_ratio",
                     "ankle_width", "shoulder_width", "body_line_bend", "trunk_lean_over_shins"]


def test_hips_over_knees_chin_and_widths_in_torso_lengths():
    series = joint_angles(pose_with(STANDING, units="pixels"), channels=STANDARD_CHANNELS)
    np.testing.assert_allclose(series["hips_over_knees"], 0.5)          # 50 px over a 100 px torso
    # the chin: 1.3 nose-to-mouth distances (10 px) below the mouth, y = -37: 3 px under the wrists
    np.testing.assert_allclose(series["chin_over_wrists"], -0.03)
    np.testing.assert_allclose(series["knee_ankle_width_ratio"], 24 / 40)
    np.testing.assert_allclose(series["ankle_width"], 0.4)
    np.testing.assert_allclose(series["shoulder_width"], 0.4)


def test_without_mouth_landmarks_the_chin_is_under_the_nose():
    coco = {k: v for k, v in STANDING.items() if "mouth" not in k}
    series = joint_angles(pose_with(coco, layout="coco17", units="pixels"),
                          channels=["chin_over_wrists"])
    # the chin 16 px (0.16 torso lengths) under the nose: y = -44, 4 px over the wrists
    np.testing.assert_allclose(series["chin_over_wrists"], 0.04)


def test_a_side_view_reads_the_knees_neither_in_nor_out():
    side = {**STANDING, "left_knee": (0, 150), "right_knee": (8, 150), "left_ankle": (0, 200),
            "right_ankle": (5, 200)}
    ratio = joint_angles(pose_with(side, units="pixels"), channels=["knee_ankle_width_ratio"])
    np.testing.assert_allclose(ratio["knee_ankle_width_ratio"], 8 / 25)  # floor: 0.25 torso
    hidden = pose_with(side, units="pixels")
    hidden.landmarks[:, MP.joint_index("right_ankle"), 3] = 0.0           # the far ankle unseen
    both = joint_angles(hidden, channels=["knee_ankle_width_ratio", "ankle_width"],
                        max_missing=1.0)
    np.testing.assert_allclose(both["knee_ankle_width_ratio"], 1.0)
    np.testing.assert_allclose(both["ankle_width"], 0.0)


@pytest.mark.parametrize("hip_y,sign", [(-10, 1.0), (10, -1.0)])
def test_the_body_line_bend_is_positive_for_a_pike_and_negative_for_a_sag(hip_y, sign):
    # a push-up plank from the side: shoulders at x=0, ankles at x=200, both at y=0
    plank = {"left_shoulder": (0, 0), "right_shoulder": (0, 0), "left_hip": (100, hip_y),
             "right_hip": (100, hip_y), "left_ankle": (200, 0), "right_ankle": (200, 0)}
    series = joint_angles(pose_with(plank, units="pixels"), channels=["body_line_bend"])
    np.testing.assert_allclose(series["body_line_bend"], sign * 2 * np.degrees(np.arctan(0.1)))


def test_the_trunk_lean_over_the_shins():
    # trunk 45 degrees forward, shins 30 degrees: the trunk leans 15 degrees beyond them
    lean = {**STANDING, "left_shoulder": (100, 0), "right_shoulder": (100, 0),
            "left_hip": (0, 100), "right_hip": (0, 100),
            "left_ankle": (0, 200), "right_ankle": (0, 200),
            "left_knee": (100 * np.tan(np.radians(30)), 100),
            "right_knee": (100 * np.tan(np.radians(30)), 100)}
    series = joint_angles(pose_with(lean, units="pixels"), channels=["trunk_lean_over_shins"])
    np.testing.assert_allclose(series["trunk_lean_over_shins"], 15.0)
@pytest.mark.parametrize("min_visibility", [0.1, 0.9])
def test_every_shared_pushfit_clip_yields_push_up_angles(shared_datasets, min_visibility):
    """At 0.9 most far-side joints of these side views count as hidden: still no clip lost."""
    from formcheck.datasets import load_pushfit

    for clip in load_pushfit(shared_datasets):
        for channels in (None, available_channels("mediapipe33")):
            series = joint_angles(clip.pose, "push-up", channels=channels,
                                  min_visibility=min_visibility)
            assert np.isfinite(np.asarray(series)).all(), clip.name


def test_a_clip_with_no_person_in_most_frames_names_the_joint_and_the_share(shared_datasets):
    from formcheck.datasets import load_pushfit

    clip = load_pushfit(shared_datasets)[0]
    landmarks = clip.pose.landmarks.copy()
    landmarks[: int(0.8 * len(landmarks))] = np.nan
    pose = PoseSequence.from_array(landmarks, fps=clip.pose.fps, layout="mediapipe33",
                                   source=clip.name)
    nobody = np.isnan(landmarks[..., 0]).all(axis=1).mean()
    assert nobody >= 0.75
    with pytest.raises(MissingDataError, match=rf"{clip.name}: the (left|right)_\w+ and the "
                                               rf"(left|right)_\w+ cannot be seen in {nobody:.0%} "
                                               "of frames"):
        joint_angles(pose, "push-up")
