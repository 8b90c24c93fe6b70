"""Bad keypoint files: every reader gives a PoseSequence or an InputError naming the file.

Hypothesis writes CSVs (long and wide), OpenPose and MediaPipe JSON and NumPy
files with bad headers, short rows, wrong types and odd shapes; the QA report's
cases are checked one by one; what a tiny file can make the readers allocate is
measured in a child process.
"""

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_files import BAD_KEYPOINT_FILES, measure_refusal, pickled_npy, write_zip
from formcheck import PoseSequence
from formcheck.errors import InputError
from formcheck.pose import load_keypoints
from formcheck.pose.readers import MAX_FRAMES

FUZZ = settings(max_examples=int(os.environ.get("FORMCHECK_FUZZ_EXAMPLES", 150)),
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def reads_or_refuses(path, **options):
    """The pose read from ``path``, checked; None when refused with an InputError naming it."""
    try:
        pose = load_keypoints(path, **options)
    except InputError as exc:
        assert Path(path).name in str(exc), str(exc)
        return None
    assert isinstance(pose, PoseSequence)
    assert pose.landmarks.ndim == 3 and pose.landmarks.shape[2] == 4
    assert pose.landmarks.dtype == np.float32 and not np.isinf(pose.landmarks).any()
    assert np.isfinite(pose.fps) and pose.fps > 0
    assert pose.image_size is None or all(isinstance(v, int) and v >= 1 for v in pose.image_size)
    return pose


def written(data: bytes, suffix) -> Path:
    folder = Path(tempfile.mkdtemp())
    path = folder / f"keypoints{suffix}"
    path.write_bytes(data)
    return path


# -- CSV ---------------------------------------------------------------------------------------

COLUMN_NAMES = ["frame", "joint", "x", "y", "z", "visibility", "class", "x0", "y0", "z0", "v0",
                "x1", "y1", "visibility1", "x16", "y16", "x32", "y32", "x33", "y33",
                "x999999999", "y999999999", "x" + "9" * 5000, "nose_x", "nose_y",
                "left_knee_x", "left_knee_y", "visibility_2", "", "X0", " y0 "]
CELLS = ["", "nan", "None", "1", "0", "0.5", "-3", "1e11", "1e400", "-inf", "inf", "abc",
         "nose", "left_knee", "tail", "3.5", "33", "999999", "1048576", "٣", "²", "0x10",
         "1_000", " 7 "]


@st.composite
def csv_files(draw):
    header = draw(st.lists(st.sampled_from(COLUMN_NAMES) | st.text(max_size=6), min_size=1,
                           max_size=10))
    cell = st.sampled_from(CELLS) | st.text(max_size=5)
    rows = draw(st.lists(st.lists(cell, max_size=len(header) + 2), max_size=12))
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    data = buffer.getvalue().encode(encoding, errors="replace")
    if draw(st.booleans()):
        data = data.replace(b",", b"\x00", 1)
    return data


@FUZZ
@given(data=csv_files(), layout=st.sampled_from([None, None, "mediapipe33", "coco17"]))
def test_any_csv_reads_or_is_refused(data, layout):
    reads_or_refuses(written(data, ".csv"), layout=layout)


# -- JSON ---------------------------------------------------------------------------------------

json_leaves = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
               | st.floats(allow_nan=False) | st.text(max_size=5))
json_values = st.recursive(json_leaves, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                           max_leaves=10)
numbers = st.floats(-1e6, 1e6) | st.integers(-5, 2000)


def landmark(value=numbers):
    return st.fixed_dictionaries({"x": value, "y": value},
                                 optional={"z": value, "visibility": value})


@st.composite
def openpose_documents(draw):
    keypoints = (st.lists(numbers, min_size=0, max_size=80)
                 | st.lists(numbers, min_size=75, max_size=75)
                 | st.lists(numbers, min_size=54, max_size=54) | json_values)
    person = st.fixed_dictionaries({"pose_keypoints_2d": keypoints}) | json_values
    people = st.lists(person, max_size=3) | json_values
    return {"version": 1.3, "people": draw(people)}


@st.composite
def mediapipe_documents(draw):
    frame = (st.none() | st.just([]) | st.lists(landmark(), min_size=33, max_size=33)
             | st.lists(landmark(numbers | json_values), min_size=1, max_size=34)
             | st.fixed_dictionaries({"keypoints": st.lists(landmark(), min_size=17,
                                                            max_size=17)})
             | json_values)
    frames = st.lists(frame, min_size=0, max_size=5)
    return draw(frames | st.fixed_dictionaries(
        {"frames": frames},
        optional={"fps": json_values | numbers, "image_size": json_values
                  | st.lists(numbers, min_size=2, max_size=2)}))


@FUZZ
@given(document=openpose_documents() | mediapipe_documents() | json_values)
def test_any_json_reads_or_is_refused(document):
    reads_or_refuses(written(json.dumps(document).encode(), ".json"))


@FUZZ
@given(documents=st.lists(openpose_documents(), min_size=1, max_size=4))
def test_any_openpose_folder_reads_or_is_refused(documents):
    folder = Path(tempfile.mkdtemp()) / "openpose"
    folder.mkdir()
    for k, document in enumerate(documents):
        (folder / f"clip_{k:012d}_keypoints.json").write_text(json.dumps(document))
    try:
        pose = load_keypoints(folder)
    except InputError as exc:
        assert "openpose" in str(exc)
    else:
        assert pose.landmarks.shape[0] == len(documents)


# -- NumPy -------------------------------------------------------------------------------------

DTYPES = ["float32", "float64", "float16", "int8", "int64", "uint8", "bool", "complex64",
          "<U3", "S2", ">f8"]
SHAPES = st.lists(st.sampled_from([0, 1, 2, 3, 4, 17, 33]), min_size=0, max_size=5)


def arrays_of(dtype, shape):
    values = np.arange(int(np.prod(shape))).reshape(shape) % 7
    return values.astype(dtype)


@st.composite
def npy_files(draw):
    choice = draw(st.sampled_from(["array", "garbage", "pickle", "truncated"]))
    if choice == "garbage":
        return draw(st.binary(max_size=200))
    if choice == "pickle":
        return pickled_npy({"x": 1})
    buffer = io.BytesIO()
    np.save(buffer, arrays_of(draw(st.sampled_from(DTYPES)), draw(SHAPES)))
    data = buffer.getvalue()
    return data[:draw(st.integers(0, len(data)))] if choice == "truncated" else data


@st.composite
def npz_files(draw):
    buffer = io.BytesIO()
    members = {}
    for name in draw(st.lists(st.sampled_from(["landmarks", "clip", "fps", "image_size",
                                               "layout", "units", "world_landmarks",
                                               "arr_0"]),
                              max_size=4, unique=True)):
        dtype = draw(st.sampled_from(DTYPES))
        members[name] = arrays_of(dtype, draw(SHAPES))
    np.savez(buffer, **members)
    data = buffer.getvalue()
    if draw(st.booleans()):
        position = draw(st.integers(0, max(0, len(data) - 1)))
        data = data[:position] + bytes([data[position] ^ 0x10]) + data[position + 1:] \
            if data else data
    return data


@FUZZ
@given(data=npy_files(), person=st.sampled_from(["confident", "largest", 0, 5, -9]))
def test_any_npy_reads_or_is_refused(data, person):
    reads_or_refuses(written(data, ".npy"), person=person)


@FUZZ
@given(data=npz_files())
def test_any_npz_reads_or_is_refused(data):
    reads_or_refuses(written(data, ".npz"))


# -- the QA report's cases ------------------------------------------------------------------------

@pytest.mark.parametrize("name,content,message", BAD_KEYPOINT_FILES)
def test_the_reported_bad_files_are_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=message) as caught:
        load_keypoints(path)
    assert name in str(caught.value)


def test_qa_pass_numpy_files_are_clear_errors(tmp_path):
    """Booleans were read as coordinates 0 and 1 (three 'correct' squats found in them); an
    archive with no keypoint array said 'pass key= one of ' followed by nothing."""
    np.save(tmp_path / "bool.npy", np.ones((40, 33, 4), bool))
    np.savez(tmp_path / "nothing.npz", fps=np.array(30.0))
    for name, message in [("bool.npy", "dtype bool; expected numbers"),
                          ("nothing.npz", r"holds no keypoint array \(frames, joints, values\)$")]:
        with pytest.raises(InputError, match=message) as caught:
            load_keypoints(tmp_path / name)
        assert name in str(caught.value)


@pytest.mark.parametrize("fps", [1e-300, 1e-4, 0.0])
def test_a_vanishing_frame_rate_is_refused_as_such(tmp_path, fps):
    """1e-300 fps passed the check and came out as 'keypoints contain infinite values'."""
    frames = [[{"x": 0.5, "y": 0.1 + 0.02 * j} for j in range(33)]] * 5
    (tmp_path / "slow.json").write_text(json.dumps({"fps": fps, "frames": frames}))
    with pytest.raises(InputError, match=r"fps in .*slow\.json must be a number in \[0\.001, "):
        load_keypoints(tmp_path / "slow.json")


def test_bad_numpy_files_are_clear_errors(tmp_path):
    (tmp_path / "garbage.npz").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "garbage.npy").write_bytes(b"\x93NUMPY\x01\x00 garbage")
    np.save(tmp_path / "text.npy", np.full((4, 17, 3), "abc"))
    np.savez(tmp_path / "textfps.npz", landmarks=np.ones((4, 17, 3)), fps=np.array("fast"))
    np.savez(tmp_path / "complexfps.npz", landmarks=np.ones((4, 17, 3)), fps=np.array(1 + 2j))
    np.save(tmp_path / "nobody.npy", np.ones((4, 0, 17, 3)))
    write_zip(tmp_path / "bomb.npz", {"a.npy": bytes(80 * 2**20)})
    for name, message in [("garbage.npz", "cannot read as a NumPy .npz"),
                          ("garbage.npy", "cannot read as a NumPy array"),
                          ("text.npy", "dtype <U3; expected numbers"),
                          ("textfps.npz", "fps .* must be a number"),
                          ("complexfps.npz", "dtype complex128"),
                          ("nobody.npy", "at least one person"),
                          ("bomb.npz", "inflate to")]:
        with pytest.raises(InputError, match=message) as caught:
            load_keypoints(tmp_path / name)
        assert name in str(caught.value)


@pytest.mark.parametrize("world,message", [
    (np.full((4, 17, 3), "abc"), "world landmarks .* not a numeric array"),
    (np.ones((4, 17, 2)), r"world landmarks .* must have shape \(4, 17, 3\)"),
    (np.ones((3, 17, 3)), r"world landmarks .* got \(3, 17, 3\)"),
    (np.full((4, 17, 3), np.inf), "world landmarks .* infinite"),
    (np.full((4, 17, 3), 1 + 2j), "dtype complex128"),
])
def test_bad_world_landmarks_are_clear_errors(tmp_path, world, message):
    np.savez(tmp_path / "world.npz", landmarks=np.ones((4, 17, 3)), fps=np.array(30.0),
             world_landmarks=world)
    with pytest.raises(InputError, match=message) as caught:
        load_keypoints(tmp_path / "world.npz")
    assert "world.npz" in str(caught.value)


@pytest.mark.parametrize("options,message", [
    ({"fps": "30"}, "fps"), ({"fps": 1 + 2j}, "fps"), ({"fps": -1}, "fps"),
    ({"fps": np.nan}, "fps"), ({"fps": True}, "fps"), ({"image_size": (-5, 0)}, "image_size"),
    ({"image_size": 640}, "image_size"), ({"image_size": ("a", "b")}, "image_size"),
    ({"image_size": (640.5, 480)}, "image_size"),
])
def test_bad_fps_and_image_size_are_clear_errors(tmp_path, options, message):
    np.save(tmp_path / "k.npy", np.random.default_rng(0).uniform(0, 1, (5, 17, 3)))
    with pytest.raises(InputError, match=message):
        load_keypoints(tmp_path / "k.npy", **options)
    with pytest.raises(InputError, match=message):
        PoseSequence.from_array(np.ones((5, 17, 3)), layout="coco17",
                                **{"fps": 30, **options})




@pytest.mark.parametrize("content", [
    "class,x999999999,y999999999,z999999999,v999999999\nsquat,0.1,0.2,0.3,0.9\n",
    f"frame,joint,x,y\n{MAX_FRAMES - 1},32,0.5,0.5\n",
])
def test_tiny_csvs_cannot_make_the_reader_allocate(tmp_path, content):
    path = tmp_path / "tiny.csv"
    path.write_text(content)
    assert path.stat().st_size < 80
    result = measure_refusal(path, "formcheck.pose", "load_keypoints", "InputError")
    assert "tiny.csv" in result["message"]
    assert result["traced_peak"] < 200e6 and result["rss_growth"] < 200e6
