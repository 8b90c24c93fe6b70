"""PoseSequence construction, layouts and their errors."""

import numpy as np
import pytest

from formcheck import PoseSequence
from formcheck.errors import (FormcheckError, InputError, LayoutError, MissingDataError,
                              PoseShapeError, TooFewFramesError)
from formcheck.pose.skeleton import CANONICAL_JOINTS, get_layout, layout_names, register_layout


@pytest.mark.parametrize("layout,n_joints", [("mediapipe33", 33), ("coco17", 17),
                                              ("coco18", 18), ("body25", 25)])
def test_builtin_layouts_map_the_core_joints(layout, n_joints):
    skeleton = get_layout(layout)
    assert skeleton.n_joints == n_joints
    for joint in ("nose", "left_shoulder", "right_elbow", "left_wrist", "right_hip",
                  "left_knee", "right_ankle"):
        assert joint in skeleton.canonical
    assert set(skeleton.canonical) <= set(CANONICAL_JOINTS)


@pytest.mark.parametrize("layout", ["mediapipe33", "coco17", "coco18", "body25"])
def test_mirror_index_swaps_sides_and_is_an_involution(layout):
    skeleton = get_layout(layout)
    mirror = skeleton.mirror_index
    assert np.array_equal(mirror[mirror], np.arange(skeleton.n_joints))
    names = skeleton.joint_names
    for i, name in enumerate(names):
        if name.startswith("left_"):
            assert names[mirror[i]] == "right_" + name[5:]


def test_toes_are_aliased_where_the_layout_has_feet():
    assert get_layout("mediapipe33").canonical["left_toe"] == 31
    assert get_layout("body25").canonical["right_toe"] == 22
    assert "left_toe" not in get_layout("coco17").canonical


def test_register_layout_and_duplicate_names():
    register_layout("test-arms", ["left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
                                  "left_wrist", "right_wrist"], overwrite=True)
    assert "test-arms" in layout_names()
    with pytest.raises(LayoutError, match="already registered"):
        register_layout("test-arms", ["nose"])
    with pytest.raises(LayoutError, match="duplicate"):
        register_layout("test-dup", ["nose", "nose"])


@pytest.mark.parametrize("columns,width", [("xy", 2), ("xyv", 3), ("xyz", 3), ("xyzv", 4)])
def test_from_array_fills_all_four_columns(columns, width):
    data = np.random.default_rng(0).uniform(0.1, 0.9, (5, 17, width))
    pose = PoseSequence.from_array(data, fps=30, layout="coco17", columns=columns)
    assert pose.landmarks.shape == (5, 17, 4) and pose.landmarks.dtype == np.float32
    np.testing.assert_allclose(pose.landmarks[..., 0], data[..., 0], rtol=1e-6)
    if "v" not in columns:
        assert (pose.landmarks[..., 3] == 1).all()


def test_zero_confidence_joints_become_nan_not_the_image_corner():
    data = np.full((3, 18, 3), 100.0)
    data[1, 4] = 0.0  # OpenPose: missing right wrist written as 0, 0, 0
    pose = PoseSequence.from_array(data, fps=30, layout="coco18")
    assert pose.units == "pixels"
    assert np.isnan(pose.landmarks[1, 4, :3]).all() and pose.landmarks[1, 4, 3] == 0
    assert np.isfinite(pose.landmarks[0, 4, :3]).all()


def test_slice_and_mirror():
    data = np.random.default_rng(1).uniform(0.2, 0.8, (10, 33, 4))
    pose = PoseSequence.from_array(data, fps=25, layout="mediapipe33")
    assert pose.slice(2, 5).n_frames == 3
    mirrored = pose.mirror()
    np.testing.assert_allclose(mirrored.landmarks[:, 12, 0], 1 - pose.landmarks[:, 11, 0],
                               rtol=1e-6)
    np.testing.assert_allclose(mirrored.mirror().landmarks, pose.landmarks, rtol=1e-6)


@pytest.mark.parametrize("array,kwargs,error,message", [
    (np.zeros((5, 17)), {}, PoseShapeError, "shape"),
    (np.zeros((0, 17, 3)), {}, TooFewFramesError, "no frames"),
    (np.zeros((5, 16, 3)), {}, PoseShapeError, "16 joints"),
    (np.zeros((5, 17, 5)), {}, PoseShapeError, "5 values"),
    (np.zeros((5, 17, 3)), {"fps": 0}, InputError, "fps"),
    (np.zeros((5, 17, 3)), {"fps": float("nan")}, InputError, "fps"),
    (np.zeros((5, 17, 3)), {"layout": "openpose99"}, LayoutError, "unknown keypoint layout"),
    (np.full((5, 17, 3), np.inf), {}, MissingDataError, "infinite"),
    ([["a"]], {}, PoseShapeError, "numeric"),
])
def test_bad_input_raises_a_specific_error_naming_the_source(array, kwargs, error, message):
    options = {"fps": 30, "layout": "coco17", "source": "clip.json", **kwargs}
    with pytest.raises(error, match=message) as info:
        PoseSequence.from_array(array, **options)
    assert isinstance(info.value, FormcheckError)
    if error is not LayoutError:
        assert "clip.json" in str(info.value)
