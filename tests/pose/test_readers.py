"""load_keypoints: every importer reads a small file written here in its format."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from formcheck import PoseSequence
from formcheck.errors import InputError, LayoutError, PoseShapeError
from formcheck.pose import load_keypoints
from formcheck.pose.readers import DEFAULT_FPS, infer_layout
from formcheck.pose.skeleton import get_layout

RNG = np.random.default_rng(7)


def mediapipe_frames(n_frames=6, missing=(2,)):
    """(T, 33, 4) landmarks in [0, 1] with visibility, NaN rows for frames without a person."""
    data = RNG.uniform(0.05, 0.95, (n_frames, 33, 4)).astype(np.float32)
    data[..., 2] -= 0.5
    data[list(missing)] = np.nan
    return data


def assert_same(pose, expected):
    got = pose.landmarks
    found = np.isfinite(expected[..., 0])
    np.testing.assert_allclose(got[found], expected[found], atol=1e-6)
    assert np.isnan(got[~found][..., :3]).all() and (got[~found][..., 3] == 0).all()


# -- OpenPose ----------------------------------------------------------------------------------

def openpose_person(points, confidence):
    flat = np.concatenate([points, confidence[:, None]], axis=1).ravel()
    return {"person_id": [-1], "pose_keypoints_2d": flat.tolist(),
            "face_keypoints_2d": [], "hand_left_keypoints_2d": []}


def write_openpose(folder, frames):
    """frames: list of lists of (points (J, 2), confidence (J,)) per person."""
    folder.mkdir()
    for k, people in enumerate(frames):
        document = {"version": 1.3, "people": [openpose_person(*p) for p in people]}
        (folder / f"set_{k:012d}_keypoints.json").write_text(json.dumps(document))
    return folder


def test_openpose_body25_folder(tmp_path):
    n = 12                                             # > 10 frames: numeric, not text, order
    points = [RNG.uniform(10, 600, (25, 2)) for _ in range(n)]
    confidence = [RNG.uniform(0.3, 0.9, 25) for _ in range(n)]
    confidence[1][4] = 0.0                             # a joint OpenPose did not find: 0, 0, 0
    points[1][4] = 0.0
    frames = [[(p, c)] for p, c in zip(points, confidence)]
    frames[3] = []                                     # nobody in frame 3
    frames[5] = [(points[5] * 0.2, confidence[5] * 0.3), (points[5], confidence[5])]
    pose = load_keypoints(write_openpose(tmp_path / "openpose", frames))
    assert (pose.layout, pose.units, pose.n_frames, pose.fps) == ("body25", "pixels", n, DEFAULT_FPS)
    np.testing.assert_allclose(pose.landmarks[11, :, :2], points[11], rtol=1e-6)
    np.testing.assert_allclose(pose.landmarks[5, :, :2], points[5], rtol=1e-6)  # most confident
    assert np.isnan(pose.landmarks[1, 4, :3]).all() and pose.landmarks[1, 4, 3] == 0
    assert np.isnan(pose.landmarks[3, :, 0]).all()
    assert pose.source.endswith("openpose")


def test_openpose_coco18_largest_person_and_single_file(tmp_path):
    small = (RNG.uniform(100, 120, (18, 2)), np.full(18, 0.9))
    large = (RNG.uniform(0, 400, (18, 2)), np.full(18, 0.5))
    folder = write_openpose(tmp_path / "op", [[small, large], [small, large]])
    assert load_keypoints(folder).landmarks[0, 0, 0] == pytest.approx(small[0][0, 0])
    largest = load_keypoints(folder, person="largest")
    assert largest.layout == "coco18"
    assert largest.landmarks[0, 0, 0] == pytest.approx(large[0][0, 0])
    one = load_keypoints(next(folder.glob("*.json")), fps=24)
    assert one.n_frames == 1 and one.fps == 24


def test_openpose_unknown_keypoint_count(tmp_path):
    folder = write_openpose(tmp_path / "op", [[(np.ones((15, 2)), np.ones(15))]])
    with pytest.raises(LayoutError, match="15 keypoints per person"):
        load_keypoints(folder)


def test_openpose_empty_folder_and_foreign_json(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="empty: no OpenPose"):
        load_keypoints(tmp_path / "empty")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "a_keypoints.json").write_text('{"frames": 3}')
    with pytest.raises(InputError, match="not an OpenPose keypoint file"):
        load_keypoints(tmp_path / "other")


# -- COCO-17 arrays: MoveNet (y, x, score) and YOLO (x, y, conf) ----------------------------------

def test_movenet_array_is_read_y_first(tmp_path):
    xy = RNG.uniform(0.1, 0.9, (8, 17, 2))
    score = RNG.uniform(0.2, 1.0, (8, 17))
    score[2, 5] = 0.0
    raw = np.concatenate([xy[..., ::-1], score[..., None]], axis=-1)[:, None, None]  # (T,1,1,17,3)
    np.save(tmp_path / "movenet.npy", raw)
    for kwargs in ({"format": "movenet"}, {"columns": "yxv"}):
        pose = load_keypoints(tmp_path / "movenet.npy", **kwargs)
        assert (pose.layout, pose.units) == ("coco17", "normalized")
        found = score > 0
        np.testing.assert_allclose(pose.landmarks[found][:, :2], xy[found], rtol=1e-6)
        assert np.isnan(pose.landmarks[2, 5, 0])


def test_yolo_array_pixels_and_several_people(tmp_path):
    people = RNG.uniform(5, 600, (5, 3, 17, 3)).astype(np.float32)
    people[..., 2] = 0.2
    people[:, 1, :, 2] = 0.8                          # person 1 is the confident one
    np.save(tmp_path / "yolo.npy", people)
    pose = load_keypoints(tmp_path / "yolo.npy", format="yolo", image_size=(640, 480))
    assert (pose.layout, pose.units, pose.image_size) == ("coco17", "pixels", (640, 480))
    np.testing.assert_allclose(pose.landmarks[:, :, :2], people[:, 1, :, :2])
    fixed = load_keypoints(tmp_path / "yolo.npy", person=2)
    np.testing.assert_allclose(fixed.landmarks[:, :, :2], people[:, 2, :, :2])


# -- MediaPipe JSON and CSV ----------------------------------------------------------------------

def landmark_dicts(frame):
    if np.isnan(frame[0, 0]):
        return None
    return [{"x": float(x), "y": float(y), "z": float(z), "visibility": float(v)}
            for x, y, z, v in frame]


def test_mediapipe_json_list_of_frames(tmp_path):
    data = mediapipe_frames(6, missing=(2, 4))
    frames = [landmark_dicts(f) for f in data]
    frames[4] = []                                    # PushFit writes [] for nobody
    (tmp_path / "mp.json").write_text(json.dumps(frames))
    pose = load_keypoints(tmp_path / "mp.json")
    assert (pose.layout, pose.units, pose.n_frames) == ("mediapipe33", "normalized", 6)
    assert_same(pose, data)


def test_mediapipe_json_with_metadata_and_keypoints_wrappers(tmp_path):
    data = mediapipe_frames(3, missing=())
    document = {"fps": 25, "image_size": [1280, 720],
                "frames": [{"keypoints": landmark_dicts(f)} for f in data]}
    (tmp_path / "mp.json").write_text(json.dumps(document))
    pose = load_keypoints(tmp_path / "mp.json")
    assert pose.fps == 25 and pose.image_size == (1280, 720)
    assert_same(pose, data)
    assert load_keypoints(tmp_path / "mp.json", fps=50).fps == 50


def test_mediapipe_long_csv(tmp_path):
    data = mediapipe_frames(4, missing=(1,))
    names = get_layout("mediapipe33").joint_names
    with open(tmp_path / "long.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["frame", "joint", "x", "y", "z", "visibility"])
        for t, frame in enumerate(data):
            if np.isnan(frame[0, 0]):
                continue                              # no rows for a frame without a person
            for j, (x, y, z, v) in enumerate(frame):
                writer.writerow([t, names[j] if j % 2 else j, x, y, z, v])
    pose = load_keypoints(tmp_path / "long.csv", fps=15)
    assert (pose.layout, pose.fps, pose.n_frames) == ("mediapipe33", 15, 4)
    assert_same(pose, data)


@pytest.mark.parametrize("first_index", [0, 1])
def test_mediapipe_wide_csv_as_the_tutorials_write_it(tmp_path, first_index):
    data = mediapipe_frames(5, missing=(3,))
    header = ["class"] + [f"{c}{j + first_index}" for j in range(33) for c in "xyzv"]
    with open(tmp_path / "wide.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for frame in data:
            cells = ["" if np.isnan(v) else repr(float(v)) for v in frame.ravel()]
            writer.writerow(["push-up"] + cells)
    pose = load_keypoints(tmp_path / "wide.csv")
    assert pose.layout == "mediapipe33" and pose.n_frames == 5
    assert_same(pose, data)


def test_wide_csv_with_joint_names_and_no_z(tmp_path):
    names = get_layout("coco17").joint_names[1:]          # no nose column at all
    xy = RNG.uniform(0, 1, (3, 16, 2))
    with open(tmp_path / "named.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"{n}_{c}" for n in names for c in "xy"])
        writer.writerows(xy.reshape(3, -1).tolist())
    pose = load_keypoints(tmp_path / "named.csv", layout="coco17")
    np.testing.assert_allclose(pose.landmarks[:, 1:, :2], xy, rtol=1e-6)
    assert np.isnan(pose.landmarks[:, 0, 0]).all() and (pose.landmarks[:, 1:, 3] == 1).all()


def test_csv_errors(tmp_path):
    (tmp_path / "bad.csv").write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match="no keypoint columns"):
        load_keypoints(tmp_path / "bad.csv")
    (tmp_path / "text.csv").write_text("frame,joint,x,y\n0,nose,abc,1\n")
    with pytest.raises(InputError, match="'abc' is not a number"):
        load_keypoints(tmp_path / "text.csv")
    (tmp_path / "joint.csv").write_text("frame,joint,x,y\n0,tail,1,1\n")
    with pytest.raises(InputError, match="unknown joint 'tail'"):
        load_keypoints(tmp_path / "joint.csv")
    (tmp_path / "frame.csv").write_text("frame,joint,x,y\n,nose,1,1\n")
    with pytest.raises(InputError, match="frame.csv: frame '' is not a frame number"):
        load_keypoints(tmp_path / "frame.csv")


# -- .npy / .npz with a layout ---------------------------------------------------------------------

@pytest.mark.parametrize("n_joints, layout", [(33, "mediapipe33"), (25, "body25"),
                                              (18, "coco18"), (17, "coco17")])
def test_layout_is_inferred_from_the_joint_count(tmp_path, n_joints, layout):
    np.save(tmp_path / "k.npy", RNG.uniform(0, 1, (4, n_joints, 3)))
    assert load_keypoints(tmp_path / "k.npy").layout == layout
    assert infer_layout(n_joints) == layout


def test_npz_single_array_key_and_fps(tmp_path):
    data = mediapipe_frames(5)
    np.savez(tmp_path / "one.npz", landmarks=data, fps=np.array(12.5))
    pose = load_keypoints(tmp_path / "one.npz")
    assert pose.fps == 12.5 and pose.layout == "mediapipe33"
    assert_same(pose, data)
    np.savez(tmp_path / "many.npz", clip_a=data, clip_b=data[:3])
    with pytest.raises(InputError, match=r"holds 2 keypoint arrays \(clip_a, clip_b\); formcheck "
                       "reads one: save each in a file of its own, or pass key="):
        load_keypoints(tmp_path / "many.npz")
    assert load_keypoints(tmp_path / "many.npz", key="clip_b").n_frames == 3
    with pytest.raises(InputError, match="no array 'clip_c'"):
        load_keypoints(tmp_path / "many.npz", key="clip_c")


def test_a_file_without_a_frame_rate_is_read_at_30_fps_with_a_warning_saying_so(tmp_path):
    import warnings

    from formcheck.errors import FormcheckWarning

    data = mediapipe_frames(5)
    np.savez(tmp_path / "bare.npz", landmarks=data)
    with pytest.warns(FormcheckWarning, match=r"bare\.npz: the file stores no frame rate, so 30 "
                      "fps is assumed"):
        assert load_keypoints(tmp_path / "bare.npz").fps == DEFAULT_FPS
    np.savez(tmp_path / "timed.npz", landmarks=data, fps=np.array(25.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FormcheckWarning)
        assert load_keypoints(tmp_path / "bare.npz", fps=50).fps == 50   # said: nothing assumed
        assert load_keypoints(tmp_path / "timed.npz").fps == 25


def test_world_landmarks_are_saved_and_read_back_as_a_3d_pose(tmp_path):
    from formcheck.datasets.synthetic import make_set

    pose = make_set("squat", n_reps=1, seed=4, world_landmarks=True)
    loaded = load_keypoints(pose.save(tmp_path / "set.npz"))
    np.testing.assert_array_equal(loaded.world_landmarks, pose.world_landmarks)
    np.testing.assert_array_equal(loaded.landmarks, pose.landmarks)
    # a 3-D skeleton from elsewhere: image keypoints plus world_landmarks in metres
    np.savez(tmp_path / "skeleton.npz", keypoints=pose.landmarks,
             world_landmarks=pose.world_landmarks)
    assert load_keypoints(tmp_path / "skeleton.npz").world_landmarks is not None
    assert load_keypoints(make_set("squat", n_reps=1).save(tmp_path / "flat.npz")).world_landmarks \
        is None


def test_pickled_arrays_are_refused(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="obj.npy: cannot read as a NumPy array"):
        load_keypoints(tmp_path / "obj.npy")


# -- errors ----------------------------------------------------------------------------------------

def test_unknown_layouts(tmp_path):
    np.save(tmp_path / "k20.npy", np.ones((3, 20, 3)))
    with pytest.raises(LayoutError, match="k20.npy: cannot infer the keypoint layout of 20 joints"):
        load_keypoints(tmp_path / "k20.npy")
    with pytest.raises(LayoutError, match="unknown keypoint layout 'halpe26'"):
        load_keypoints(tmp_path / "k20.npy", layout="halpe26")
    with pytest.raises(PoseShapeError, match="20 joints but layout 'coco17'"):
        load_keypoints(tmp_path / "k20.npy", layout="coco17")


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="nope.json: keypoint file not found"):
        load_keypoints(tmp_path / "nope.json")
    (tmp_path / "broken.json").write_text("[{")
    with pytest.raises(InputError, match="broken.json: not valid JSON"):
        load_keypoints(tmp_path / "broken.json")
    (tmp_path / "keys.txt").write_text("1 2 3")
    with pytest.raises(InputError, match="cannot tell the keypoint format"):
        load_keypoints(tmp_path / "keys.txt")
    with pytest.raises(InputError, match="format must be one of"):
        load_keypoints(tmp_path / "broken.json", format="alphapose")


# -- real files (skipped without ../shared/datasets) ------------------------------------------------

def test_pose_trainer_openpose_arrays(shared_datasets):
    path = shared_datasets / "pose-trainer/poses_compressed/bicep/bicep_good_1.npy"
    raw = np.load(path)
    pose = load_keypoints(path)
    assert (pose.layout, pose.units, pose.n_frames) == ("coco18", "pixels", len(raw))
    zeros = raw[..., 2] == 0
    assert np.isnan(pose.landmarks[zeros][:, 0]).all()                # not the image corner
    assert isinstance(pose, PoseSequence)


def test_pushfit_npz_by_clip_name(shared_datasets):
    path = shared_datasets / "pushfit-pushups/mediapipe_keypoints.npz"
    pose = load_keypoints(path, key="correct1", fps=25)
    assert (pose.layout, pose.n_frames, pose.fps) == ("mediapipe33", 61, 25)
