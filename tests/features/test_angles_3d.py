"""3-D joint angles: from world landmarks when the pose has them, the same from every view."""

import numpy as np
import pytest

from formcheck import PoseSequence, joint_angles, segment_reps
from formcheck.datasets.synthetic import make_set
from formcheck.errors import InputError, MissingDataError
from formcheck.features.angles import _joint_points, body_vertical, frame_values, view_angle
from formcheck.features.channels import channel_kind
from formcheck.pose.skeleton import get_layout

MP = get_layout("mediapipe33")
VIEWS = ("side-left", "side-right", "front", "back", "diagonal-left", "diagonal-right")
LEGS = ("left_knee", "right_knee", "left_hip", "right_hip")


def pose_in_space(points: dict, frames=3):
    """A pose whose world landmarks put the named joints at fixed 3-D points; the image
    landmarks are the same points seen from the front (z dropped)."""
    world = np.zeros((frames, MP.n_joints, 3))
    for name, xyz in points.items():
        world[:, MP.joint_index(name)] = xyz
    image = np.concatenate([world[..., :2], np.zeros_like(world[..., :1]),
                            np.ones_like(world[..., :1])], axis=-1)
    return PoseSequence.from_array(image, fps=30, layout="mediapipe33", units="pixels",
                                   world_landmarks=world)


def test_a_knee_bent_towards_the_camera_is_bent_in_3d_and_straight_in_2d():
    # hip above the knee, the shin pointing at the camera (z): a right angle seen end-on; the
    # right ankle puts the mid-ankle under the shoulders, so "up" is the camera's up
    pose = pose_in_space({"left_hip": (0, -0.4, 0), "left_knee": (0, 0, 0),
                          "left_ankle": (0, 0, -0.4), "right_ankle": (0, 0.8, 0.4),
                          "left_shoulder": (0, -0.9, 0), "right_shoulder": (0, -0.9, 0),
                          "right_hip": (0, -0.4, 0)})
    spatial = joint_angles(pose, channels=["left_knee", "trunk_inclination"])
    flat = joint_angles(pose, channels=["left_knee", "trunk_inclination"], geometry="2d")
    assert spatial.geometry == "3d" and flat.geometry == "2d"
    np.testing.assert_allclose(spatial["left_knee"], 90)
    np.testing.assert_allclose(flat["left_knee"], 0, atol=1e-9)    # shin hidden behind the knee
    np.testing.assert_allclose(spatial["trunk_inclination"], 0, atol=1e-9)


def test_trunk_leaning_towards_the_camera_inclines_in_3d_and_heights_use_its_true_length():
    lean = np.radians(40)
    shoulder = (0, -0.5 * np.cos(lean), -0.5 * np.sin(lean))    # leaning towards the camera
    pose = pose_in_space({"left_hip": (0.1, 0, 0), "right_hip": (-0.1, 0, 0),
                          "left_shoulder": (0.2, *shoulder[1:]),
                          "right_shoulder": (-0.2, *shoulder[1:]),
                          "left_ankle": (0.1, 0.8, shoulder[2]),     # under the shoulders
                          "right_ankle": (-0.1, 0.8, shoulder[2])})
    spatial = joint_angles(pose, channels=["trunk_inclination", "hips_over_ankles"])
    flat = joint_angles(pose, channels=["trunk_inclination", "hips_over_ankles"], geometry="2d")
    np.testing.assert_allclose(spatial["trunk_inclination"], 40)
    np.testing.assert_allclose(flat["trunk_inclination"], 0, atol=1e-9)
    np.testing.assert_allclose(spatial["hips_over_ankles"], 0.8 / 0.5)     # 1.6 torso lengths
    np.testing.assert_allclose(flat["hips_over_ankles"], 0.8 / (0.5 * np.cos(lean)))


def test_a_2d_source_gets_2d_angles_and_3d_cannot_be_forced_on_it():
    pose = make_set("squat", n_reps=1, seed=0)
    assert pose.world_landmarks is None and joint_angles(pose, "squat").geometry == "2d"
    with pytest.raises(MissingDataError, match="3-D joint angles need 3-D landmarks"):
        joint_angles(pose, "squat", geometry="3d")
    with pytest.raises(InputError, match="geometry must be one of auto, 3d, 2d"):
        joint_angles(pose, "squat", geometry="spatial")


def test_world_landmarks_leave_the_image_landmarks_as_they_were():
    flat = make_set("squat", n_reps=2, seed=3, view="front")
    spatial = make_set("squat", n_reps=2, seed=3, view="front", world_landmarks=True)
    np.testing.assert_array_equal(flat.landmarks, spatial.landmarks)
    world = spatial.world_landmarks
    assert world.shape == (flat.n_frames, 33, 3)
    hips = world[:, [MP.joint_index("left_hip"), MP.joint_index("right_hip")]].mean(axis=1)
    np.testing.assert_allclose(np.nanmedian(hips, axis=0), 0, atol=0.02)     # origin: the hips
    nose_y = world[:, MP.joint_index("nose"), 1]
    assert np.nanmedian(nose_y) < -0.5                                       # y points down
    missing = np.isnan(spatial.landmarks[..., 0])
    assert np.isnan(world[missing]).all() and not np.isnan(world[~missing]).any()


def test_noise_free_angles_are_the_same_from_every_view_frame_by_frame():
    for seed in range(3):
        angles = {view: joint_angles(make_set("squat", "correct", 2, seed=seed, view=view,
                                              noise=0.0, drop_rate=0.0, world_landmarks=True),
                                     "squat", min_visibility=0.0) for view in VIEWS}
        for view in VIEWS[1:]:
            for channel in LEGS:
                np.testing.assert_allclose(angles[view][channel], angles["side-left"][channel],
                                           atol=1.5, err_msg=f"{view} {channel} seed {seed}")


def legs_at_the_bottom(series, deepest):
    """The knee and hip angles (left and right mean) at the given frames."""
    return np.concatenate([(series[f"left_{joint}"] + series[f"right_{joint}"])[deepest] / 2
                           for joint in ("knee", "hip")])


def test_side_front_back_and_45_degree_views_give_the_same_knee_and_hip_at_the_bottom():
    """With MediaPipe-like jitter (three times more in depth), within a few degrees of the truth.

    The truth is the same set without noise; the views film the same movement.
    """
    errors = {view: {"3d": [], "2d": []} for view in VIEWS}
    for seed in range(8):
        label = ("correct", "not-low")[seed % 2]
        truth = joint_angles(make_set("squat", label, 3, seed=seed, view="side-left", severity=0.5,
                                      noise=0.0, drop_rate=0.0, world_landmarks=True),
                             "squat", min_visibility=0.0)
        knee = (truth["left_knee"] + truth["right_knee"]) / 2
        deepest = [rep.start + int(np.argmin(knee[rep.start:rep.end]))
                   for rep in segment_reps(truth, "squat")]
        assert len(deepest) == 3
        expected = legs_at_the_bottom(truth, deepest)
        for view in VIEWS:
            pose = make_set("squat", label, 3, seed=seed, view=view, severity=0.5,
                            world_landmarks=True)
            for geometry in ("3d", "2d"):
                series = joint_angles(pose, "squat", geometry=geometry, smooth=0.2)
                errors[view][geometry].append(np.abs(legs_at_the_bottom(series, deepest)
                                                     - expected))
    for view, by_geometry in errors.items():
        spatial, flat = np.concatenate(by_geometry["3d"]), np.concatenate(by_geometry["2d"])
        print(f"{view}: 3-D mean {spatial.mean():.1f}, 90th percentile "
              f"{np.percentile(spatial, 90):.1f}; 2-D mean {flat.mean():.1f} degrees off")
        assert spatial.mean() < 4 and np.percentile(spatial, 90) < 7, view
        if not view.startswith("side"):
            assert flat.mean() > 3 * spatial.mean(), view       # what 3-D is there for


def test_hips_over_knees_at_the_bottom_are_the_same_from_every_view_whatever_the_cameras_pitch():
    """Measured against the standing body's vertical, a 3-D height does not carry the camera's
    pitch (drawn anew for every view, -3 to 12 degrees); the image's up does, and its perspective
    too: the knees, nearer the camera from the front, look lower. (In 3-D, heights of side
    views come from the image by default: ``heights="geometry"`` keeps them in space.)"""
    spread = {"3d": [], "2d": []}
    for seed in range(6):
        bottoms = {geometry: [] for geometry in spread}
        for view in VIEWS:
            pose = make_set("squat", "correct", 2, seed=seed, view=view, noise=0.0,
                            drop_rate=0.0, world_landmarks=True)
            for geometry in spread:
                series = joint_angles(pose, "squat", geometry=geometry, min_visibility=0.0,
                                      heights="geometry")
                bottoms[geometry].append(series["hips_over_knees"].min())
        for geometry, values in bottoms.items():
            spread[geometry].append(np.ptp(values))
    print({geometry: np.round(values, 3) for geometry, values in spread.items()})
    assert max(spread["3d"]) < 0.03                   # torso lengths, the views of one squat
    assert np.mean(spread["2d"]) > 3 * np.mean(spread["3d"])



def test_the_cameras_up_is_there_on_request_and_2d_ignores_the_vertical():
    pose = make_set("squat", "correct", 2, seed=0, view="front", noise=0.0, drop_rate=0.0,
                    world_landmarks=True)
    body = joint_angles(pose, "squat", min_visibility=0.0)
    camera = joint_angles(pose, "squat", vertical="camera", min_visibility=0.0)
    assert np.abs(body["hips_over_knees"] - camera["hips_over_knees"]).max() > 0.01
    np.testing.assert_array_equal(body["left_knee"], camera["left_knee"])    # angles: no vertical
    np.testing.assert_array_equal(
        np.asarray(joint_angles(pose, "squat", geometry="2d", vertical="camera")),
        np.asarray(joint_angles(pose, "squat", geometry="2d")))
    with pytest.raises(InputError, match="vertical must be one of body, camera; got 'gravity'"):
        joint_angles(pose, "squat", vertical="gravity")


WIDTHS = ["knee_ankle_width_ratio", "ankle_width", "shoulder_width"]


def test_widths_of_a_3d_pose_are_measured_in_the_image_whatever_its_world_x_says():
    pose = make_set("squat", n_reps=2, seed=4, view="front", world_landmarks=True)
    channels = WIDTHS + ["left_knee"]
    spatial = joint_angles(pose, channels=channels)
    flat = joint_angles(pose, channels=channels, geometry="2d")
    for name in WIDTHS:
        np.testing.assert_array_equal(spatial[name], flat[name])
    # a monocular 3-D model's x erring between knees and ankles moves no width, only angles
    world = pose.world_landmarks.copy()
    knees = [MP.joint_index("left_knee"), MP.joint_index("right_knee")]
    world[:, knees, 0] *= 0.7
    squeezed = joint_angles(PoseSequence.from_array(
        pose.landmarks, fps=pose.fps, layout=pose.layout, image_size=pose.image_size,
        world_landmarks=world), channels=channels)
    for name in WIDTHS:
        np.testing.assert_array_equal(squeezed[name], spatial[name])
    assert not np.allclose(squeezed["left_knee"], spatial["left_knee"])
    assert spatial.geometry == squeezed.geometry == "3d"


def test_a_stream_frame_of_a_3d_pose_measures_widths_in_the_image_too():
    pose = make_set("squat", n_reps=1, seed=5, view="front", world_landmarks=True, drop_rate=0)
    frame = pose.slice(10, 11)
    spatial = frame_values(frame, WIDTHS + ["hips_over_knees"])
    flat = frame_values(frame, WIDTHS + ["hips_over_knees"], geometry="2d")
    for name in WIDTHS:
        np.testing.assert_array_equal(spatial[name], flat[name])
    assert not np.allclose(spatial["hips_over_knees"], flat["hips_over_knees"])


# --- heights from the image when the body is seen from the side ----------------------------------

@pytest.mark.parametrize("exercise, view, low, high", [
    ("squat", "side-left", 75, 90), ("squat", "side-right", 75, 90), ("squat", "front", 0, 20),
    ("squat", "back", 0, 20), ("squat", "diagonal-left", 25, 60),
    ("squat", "diagonal-right", 25, 60), ("pull-up", "front", 0, 20), ("pull-up", "back", 0, 20)])
def test_the_view_angle_tells_a_side_view_from_the_others(exercise, view, low, high):
    """The hips' axis against the camera's x, seen from above: the synthetic camera yaws by
    up to 10 degrees from its nominal view (45 degrees for the diagonals, up to 12 here)."""
    for seed in range(4):
        pose = make_set(exercise, n_reps=2, seed=seed, view=view, world_landmarks=True)
        points = _joint_points(pose, 0.1, "3d")
        assert low < view_angle(points, body_vertical(points)) < high, (view, seed)
        series = joint_angles(pose, channels=["hips_over_knees", "left_knee"])
        assert series.heights_from_image == view.startswith("side"), (view, seed)


@pytest.mark.parametrize("view", ["side-left", "front", "diagonal-right"])
def test_a_3d_pose_seen_from_the_side_takes_its_heights_from_the_image_and_only_those(view):
    pose = make_set("squat", "not-low", n_reps=2, seed=3, view=view, severity=0.5,
                    world_landmarks=True)
    chosen = joint_angles(pose, "squat")
    spatial = joint_angles(pose, "squat", heights="geometry")
    flat = joint_angles(pose, "squat", geometry="2d")
    heights = [c for c in chosen.channels if channel_kind(c) == "height"]
    assert heights and chosen.geometry == "3d" and not spatial.heights_from_image
    for channel in chosen.channels:
        source = flat if channel in heights and view.startswith("side") else spatial
        if channel_kind(channel) in ("width", "width_ratio"):
            source = flat                         # from the image in either case
        np.testing.assert_array_equal(chosen[channel], source[channel], err_msg=channel)
    values = frame_values(pose, heights, geometry="3d")
    expected = frame_values(pose, heights, geometry="2d" if view.startswith("side") else "3d")
    for channel in heights:
        np.testing.assert_array_equal(values[channel], expected[channel])


def test_the_view_takes_the_shoulders_where_the_hips_are_missing():
    turned = np.radians(70)
    across = np.tile([np.cos(turned), 0.0, np.sin(turned)], (4, 1))
    hips = np.zeros((4, 3))
    hips[:3] = np.nan                                 # one frame sees the hips, facing the camera
    hips_right = np.where(np.isnan(hips), np.nan, [1.0, 0.0, 0.0])
    points = {"left_hip": hips, "right_hip": hips_right,
              "left_shoulder": np.zeros((4, 3)), "right_shoulder": across}
    assert view_angle(points) == pytest.approx(70.0)              # 70, 70, 70 and 0
    assert np.isnan(view_angle({"nose": np.zeros((4, 3))}))
    tilted = np.array([0.0, -np.cos(0.3), np.sin(0.3)])          # a pitched camera's vertical
    level = {"left_hip": np.zeros((4, 3)), "right_hip": np.tile(np.cross(tilted, [1.0, 0, 0]),
                                                                 (4, 1))}
    assert view_angle(level, tilted) == pytest.approx(90.0)      # the depth, in the horizontal


def test_a_3d_pose_keeps_its_heights_in_space_with_heights_geometry_or_no_height_channel():
    pose = make_set("squat", n_reps=2, seed=1, view="side-left", world_landmarks=True)
    assert not joint_angles(pose, channels=["left_knee"]).heights_from_image
    assert not joint_angles(pose, "squat", heights="geometry").heights_from_image
    assert not joint_angles(pose, "squat", geometry="2d").heights_from_image
    with pytest.raises(InputError, match="heights must be one of side-image, geometry"):
        joint_angles(pose, "squat", heights="image")
