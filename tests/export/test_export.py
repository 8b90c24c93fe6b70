"""ONNX export: every exported graph, run in onnxruntime, gives what the Python path gives.

The Python path for one rep is ``model.predict_proba([joint_angles(rep_pose,
channels=model.channels_, **model.feature_settings_)])``: what FormChecker
computes for the rep's landmarks. The graph gets the same landmarks.
"""

from __future__ import annotations

import copy
import dataclasses
import json

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime", reason="the export extra is not installed")
onnx = pytest.importorskip("onnx", reason="the export extra is not installed")

from formcheck import DTWKNeighborsClassifier, LearnedClassifier, joint_angles  # noqa: E402
from formcheck._version import __version__  # noqa: E402
from formcheck.datasets import (clips_to_reps, load_pose_trainer, load_pushfit,  # noqa: E402
                                whole_clips)
from formcheck.datasets.rep_dataset import Recording, RepDataset  # noqa: E402
from formcheck.check import builtin_model  # noqa: E402
from formcheck.classifiers.standards import StandardsClassifier  # noqa: E402
from formcheck.datasets.synthetic import make_dataset, make_set  # noqa: E402
from formcheck.errors import ExportError, MissingDataError  # noqa: E402
from formcheck.features.angles import _joint_points, body_vertical  # noqa: E402
from formcheck.features.exercises import get_exercise  # noqa: E402
from formcheck.reps import cut_recording, driving_channels  # noqa: E402

TOLERANCE = 1e-4
LABELS = {"squat": ["correct", "not-low"], "pull-up": ["correct", "chin-below-bar"],
          "push-up": ["correct", "upper-body-first"]}


def session(model, tmp_path, layout="mediapipe33", geometry=None):
    path = model.to_onnx(tmp_path / "model.onnx", layout=layout, geometry=geometry)
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def graph_inputs(pose, graph=None) -> dict:
    """The graph's inputs for one rep; ``world_landmarks`` when the graph takes them."""
    size = pose.image_size if pose.units == "normalized" and pose.image_size else (1, 1)
    inputs = {"landmarks": pose.landmarks, "image_size": np.array(size, np.float32),
              "fps": np.array([pose.fps], np.float32)}
    if graph is not None and "world_landmarks" in {i.name for i in graph.get_inputs()}:
        inputs["world_landmarks"] = pose.world_landmarks.astype(np.float32)
    return inputs


def python_proba(model, pose):
    """FormChecker's computation for one rep's landmarks; None where it raises MissingDataError."""
    try:
        angles = joint_angles(pose, channels=model.channels_, **model.feature_settings_)
    except MissingDataError:
        return None
    return model.predict_proba([angles])[0]


def assert_same_on_every_rep(model, poses, tmp_path, layout="mediapipe33", geometry=None):
    """Probabilities within TOLERANCE and the same label on every rep; NaN where Python raises."""
    graph = session(model, tmp_path, layout, geometry)
    checked = 0
    for pose in poses:
        expected = python_proba(model, pose)
        (got,) = graph.run(None, graph_inputs(pose, graph))
        if expected is None:
            assert np.isnan(got).all(), pose.source
            continue
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE, err_msg=pose.source)
        assert np.argmax(got) == np.argmax(expected), pose.source
        checked += 1
    return checked


def rep_poses(pose, exercise, **settings) -> list:
    """The landmarks of every rep cut from a recording (the whole recording if none is found)."""
    _, reps = cut_recording(pose, exercise, **settings)
    scale = pose.fps / settings["target_fps"] if settings.get("target_fps") else 1.0
    spans = [(int(round(r.start * scale)), min(int(round(r.end * scale)), pose.n_frames))
             for r in reps]
    return [pose.slice(start, end) for start, end in spans] or [pose]


def with_gaps(pose, rng) -> list:
    """The rep and versions of it with the gaps formcheck fills (and one it cannot)."""
    joints, n = pose.skeleton.canonical, pose.n_frames

    def variant(change):
        landmarks = pose.landmarks.copy()
        change(landmarks)
        return dataclasses.replace(pose, landmarks=landmarks, source=f"{pose.source} {change}")

    def long_gap(x):           # a third of the rep: filled from the other side
        x[3:3 + n // 3, joints["left_knee"], 3] = 0.0

    def dropped_frames(x):     # no person in a fifth of the frames: interpolated
        x[rng.choice(n, n // 5, replace=False)] = np.nan

    def hidden_side(x):        # the far side never visible: its twin's values
        x[:, [joints["left_knee"], joints["left_hip"], joints["left_elbow"]], 3] = 0.05

    def both_sides(x):         # both knees hidden 70% of the time: MissingDataError / NaN
        x[:int(n * 0.7), [joints["left_knee"], joints["right_knee"]], 3] = 0.0

    def edges(x):              # missing at both ends: held constant
        x[:4] = np.nan
        x[-3:] = np.nan

    def flicker(x):            # visibility around the threshold
        x[..., 3] = rng.uniform(0.05, 1.0, x.shape[:2])

    return [pose] + [variant(f) for f in (long_gap, dropped_frames, hidden_side, both_sides,
                                          edges, flicker)]


def synthetic_model(exercise, kind="mlp", **settings):
    recordings = [Recording(make_set(exercise, label=label, n_reps=3, seed=10 * s + k),
                            f"{exercise}/{label}", f"s{s}", f"{label}{s}")
                  for s in range(5) for k, label in enumerate(LABELS[exercise])]
    return LearnedClassifier(model=kind).fit(
        RepDataset.from_recordings(recordings, exercise, **settings))


def synthetic_reps(exercise, rng, **settings):
    poses = []
    for seed, fps in ((100, 30.0), (101, 24.0)):
        pose = make_set(exercise, label=LABELS[exercise][seed % 2], n_reps=2, seed=seed, fps=fps)
        for rep in rep_poses(pose, exercise, **settings):
            poses += with_gaps(rep, rng)
    return poses


@pytest.mark.parametrize("exercise, kind, settings", [
    ("squat", "mlp", {}),                                          # a height channel: torso median
    ("squat", "mlp", {"target_fps": 20, "min_visibility": 0.3, "max_missing": 0.4}),
    ("pull-up", "logistic", {"target_fps": 45}),
    ("push-up", "mlp", {}),
])
def test_synthetic_reps_with_gaps_match_the_python_path(exercise, kind, settings, tmp_path):
    model = synthetic_model(exercise, kind, **settings)
    poses = synthetic_reps(exercise, np.random.default_rng(0), **settings)
    assert assert_same_on_every_rep(model, poses, tmp_path) >= len(poses) // 2


def test_every_channel_kind_of_the_standards_matches(tmp_path):
    """Trunk over shins, widths and their ratio, the body-line bend, and the chin: from the
    nose through the mouth, and below the nose when the mouth is hidden."""
    channels = ["left_knee", "trunk_lean_over_shins", "ankle_width", "knee_ankle_width_ratio",
                "body_line_bend", "chin_over_wrists"]
    poses, X, y = [], [], []
    for seed in range(6):
        label = LABELS["squat"][seed % 2]
        view = "side" if seed % 3 == 0 else "front"
        pose = make_set("squat", label=label, n_reps=2, seed=seed, view=view)
        for rep in rep_poses(pose, "squat"):
            X.append(joint_angles(rep, channels=channels))
            y.append(f"squat/{label}")
            poses.append(rep)
    model = LearnedClassifier().fit(X, y)
    assert model.channels_ == tuple(channels)
    mouth = [poses[0].skeleton.canonical[j] for j in ("left_mouth", "right_mouth")]

    def without_mouth(pose):
        landmarks = pose.landmarks.copy()
        landmarks[:, mouth, 3] = 0.0
        return dataclasses.replace(pose, landmarks=landmarks, source=f"{pose.source} no mouth")

    rng = np.random.default_rng(1)
    checked = [p for pose in poses[:4] for p in (*with_gaps(pose, rng), without_mouth(pose))]
    assert assert_same_on_every_rep(model, checked, tmp_path) >= len(checked) // 2
def test_a_calibrated_model_exports_its_temperature(tmp_path):
    recordings = [Recording(make_set("squat", label=label, n_reps=3, seed=10 * s + k),
                            f"squat/{label}", f"s{s}", f"{label}{s}")
                  for s in range(5) for k, label in enumerate(LABELS["squat"])]
    model = LearnedClassifier(calibrate=True).fit(RepDataset.from_recordings(recordings, "squat"))
    assert model.temperature_ != 1.0
    poses = synthetic_reps("squat", np.random.default_rng(2))
    assert assert_same_on_every_rep(model, poses, tmp_path) >= len(poses) // 2


def test_a_softmax_over_three_classes_matches(tmp_path):
    data = make_dataset("push-up", n_subjects=3, seed=2)
    three = np.array(["a", "b", "c"])[np.arange(len(data)) % 3]
    model = LearnedClassifier().fit(RepDataset(data.reps, three, data.groups, data.metadata))
    poses = synthetic_reps("push-up", np.random.default_rng(1))
    assert assert_same_on_every_rep(model, poses, tmp_path) > 0


@pytest.mark.slow
def test_pushfit_reps_match_the_python_path(shared_datasets, tmp_path):
    pytest.importorskip("cv2", reason="PushFit clips take their frame rate and image size "
                        "from their videos, read with OpenCV (the video extra)")
    clips = load_pushfit(shared_datasets)
    model = LearnedClassifier().fit(clips_to_reps(clips, "push-up"))
    poses = [rep for clip in clips for rep in rep_poses(clip.pose, "push-up")]
    assert assert_same_on_every_rep(model, poses, tmp_path) >= 95


@pytest.mark.slow
@pytest.mark.parametrize("exercise", ["bicep-curl", "front-raise", "shoulder-press",
                                      "shoulder-shrug"])
def test_pose_trainer_reps_match_the_python_path(shared_datasets, exercise, tmp_path):
    clips = load_pose_trainer(exercise, shared_datasets)
    model = LearnedClassifier().fit(whole_clips(clips, exercise))
    assert assert_same_on_every_rep(model, [c.pose for c in clips], tmp_path,
                                    layout="coco18") == len(clips)


@pytest.fixture(scope="module")
def squat_model():
    return LearnedClassifier().fit(make_dataset("squat", n_subjects=4, seed=0))


def test_the_graph_is_standard_onnx_with_its_metadata(squat_model, tmp_path):
    model = onnx.load(squat_model.to_onnx(tmp_path / "squat.onnx"))
    domains = {node.domain for node in model.graph.node}
    assert domains <= {"", "ai.onnx"} and "ZipMap" not in {n.op_type for n in model.graph.node}
    assert [o.domain for o in model.opset_import] == [""]
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["formcheck_version"] == __version__ and meta["exercise"] == "squat"
    assert meta["layout"] == "mediapipe33" and meta["fps"] == "input"
    assert json.loads(meta["classes"]) == squat_model.classes_.tolist()
    assert json.loads(meta["channels"]) == list(squat_model.channels_)
    assert json.loads(meta["feature_settings"])["min_visibility"] == 0.1
    inputs = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
              for i in model.graph.input}
    assert inputs == {"landmarks": ["T", 33, 4], "image_size": [2], "fps": [1]}


def test_the_network_weights_are_stored_in_float32(squat_model, tmp_path):
    """The weight matrices, the bulk of an MLP's file, take half the bytes; everything else,
    the standardisation constants included, stays float64 (the round trips above hold)."""
    from onnx import TensorProto, numpy_helper

    model = onnx.load(squat_model.to_onnx(tmp_path / "squat.onnx"))
    singles = [numpy_helper.to_array(t) for t in model.graph.initializer
               if t.data_type == TensorProto.FLOAT]
    assert sorted(w.shape for w in singles) == sorted(c.shape for c in squat_model.coefs_)
    for weights, coef in zip(sorted(singles, key=np.size), sorted(squat_model.coefs_, key=np.size)):
        np.testing.assert_array_equal(weights, coef.astype(np.float32))
    doubles = {numpy_helper.to_array(t).size for t in model.graph.initializer
               if t.data_type == TensorProto.DOUBLE}
    assert squat_model.feature_mean_.size in doubles


def test_the_knn_is_refused_with_the_reason(tmp_path):
    knn = DTWKNeighborsClassifier().fit(make_dataset("squat", n_subjects=2, seed=0))
    with pytest.raises(ExportError, match="every stored training rep.*LearnedClassifier"):
        knn.to_onnx(tmp_path / "knn.onnx")
    assert not (tmp_path / "knn.onnx").exists()


@pytest.mark.parametrize("settings, message", [
    ({"smooth": 0.2}, "does not smooth"),
    ({"new_setting": 1}, "new_setting"),
])
def test_unsupported_feature_settings_are_refused(squat_model, settings, message, tmp_path):
    model = LearnedClassifier().fit(make_dataset("squat", n_subjects=2, seed=0))
    model.feature_settings_ = {**model.feature_settings_, **settings}
    with pytest.raises(ExportError, match=message):
        model.to_onnx(tmp_path / "model.onnx")


def test_a_2d_model_naming_a_vertical_exports_and_matches(tmp_path):
    """2-D angles take the image's up whatever ``vertical`` says, in both paths."""
    model = synthetic_model("squat", "mlp")
    model.feature_settings_ = {**model.feature_settings_, "vertical": "camera"}
    poses = synthetic_reps("squat", np.random.default_rng(3))
    assert assert_same_on_every_rep(model, poses, tmp_path) >= len(poses) // 2


def test_a_layout_without_the_joints_is_refused(squat_model, tmp_path):
    with pytest.raises(ExportError, match="coco17.*left_ankle"):
        squat_model.to_onnx(tmp_path / "model.onnx", layout="coco17")


def test_the_export_command_writes_the_graph(squat_model, tmp_path):
    from click.testing import CliRunner

    from formcheck.cli import cli

    squat_model.save(tmp_path / "squat.fcm")
    result = CliRunner().invoke(cli, ["export", str(tmp_path / "squat.fcm"),
                                      "-o", str(tmp_path / "squat.onnx")])
    assert result.exit_code == 0, result.output
    assert "squat/not-low" in result.output and (tmp_path / "squat.onnx").is_file()
    knn = DTWKNeighborsClassifier().fit(make_dataset("squat", n_subjects=2, seed=0))
    knn.save(tmp_path / "knn.fcm")
    result = CliRunner().invoke(cli, ["export", str(tmp_path / "knn.fcm"), "-o",
                                      str(tmp_path / "knn.onnx")])
    assert result.exit_code == 2
    assert result.output.startswith("formcheck: error: DTWKNeighborsClassifier cannot be "
                                    "exported to ONNX")
    assert len(result.output.strip().splitlines()) == 1


def test_without_onnx_the_error_says_what_to_install(squat_model, tmp_path, monkeypatch):
    import sys

    import formcheck.export
    from formcheck.errors import DependencyError

    monkeypatch.setitem(sys.modules, "onnx", None)
    monkeypatch.delitem(sys.modules, "formcheck.export._graph", raising=False)
    monkeypatch.delattr(formcheck.export, "_graph", raising=False)
    with pytest.raises(DependencyError, match=r'formcheck\[export\]'):
        squat_model.to_onnx(tmp_path / "model.onnx")


@pytest.mark.parametrize("kind", ["learned", "standards"])
def test_reps_outside_the_frame_limits_give_nan(squat_model, kind, tmp_path):
    graph = session(squat_model if kind == "learned" else builtin_model("squat"), tmp_path)
    pose = make_set("squat", n_reps=1, seed=3)
    for frames, finite in ((1, False), (2, True), (4097, False)):
        inputs = graph_inputs(pose)
        inputs["landmarks"] = np.resize(pose.landmarks, (frames, 33, 4)).astype(np.float32)
        assert np.isfinite(graph.run(None, inputs)[0]).all() == finite


# --- the standards of an exercise -----------------------------------------------------------------

STANDARDS_EXERCISES = ("squat", "pull-up", "push-up")


def faulty_sets(exercise, view=None) -> list:
    """A synthetic set of every class of the exercise (the faults its body model performs)."""
    poses = []
    for k, label in enumerate(get_exercise(exercise).classes):
        try:
            poses.append(make_set(exercise, label=label, n_reps=2, seed=20 + k, severity=0.7,
                                  view=view))
        except Exception:   # a fault the synthetic body model does not perform
            continue
    return poses


def short_reps(pose) -> list:
    """Reps of 2 to 12 frames: unsmoothed (up to 5 frames), shortest windows, no fallback."""
    return [pose.slice(10, 10 + n) for n in (2, 3, 5, 6, 7, 12)]


@pytest.mark.parametrize("exercise", STANDARDS_EXERCISES)
def test_the_standards_match_the_python_path_on_synthetic_reps(exercise, tmp_path):
    model = builtin_model(exercise)
    rng = np.random.default_rng(1)
    poses = []
    for pose in faulty_sets(exercise):
        for rep in rep_poses(pose, exercise):
            poses += with_gaps(rep, rng)
    poses += short_reps(faulty_sets(exercise)[0])
    assert assert_same_on_every_rep(model, poses, tmp_path) >= 20
    correct = list(model.classes_).index(get_exercise(exercise).correct)
    p_correct = [p[correct] for p in map(lambda pose: python_proba(model, pose), poses)
                 if p is not None]
    assert np.ptp(p_correct) > 0.2   # the reps differ: the margins are tested, not a constant


def test_front_view_squats_turn_on_the_fallback_driving_signal_in_the_graph(tmp_path):
    model = builtin_model("squat")
    shallow = make_set("squat", "not-low", 5, seed=7, view="front", severity=1.0)  # hips driven
    poses = [rep for pose in [*faulty_sets("squat", view="front"), shallow]
             for rep in rep_poses(pose, "squat")]
    fallback = get_exercise("squat").fallback_channels
    driven = [driving_channels(joint_angles(p, channels=model.channels_), "squat")
              for p in poses]
    assert fallback in driven
    assert assert_same_on_every_rep(model, poses, tmp_path) == len(poses)


def test_calibrated_standards_export_their_thresholds(tmp_path):
    reps = make_dataset("squat", n_subjects=4, seed=2)
    model = StandardsClassifier().fit(reps)
    assert model.calibration_, "nothing was calibrated: the test would not test it"
    defaults = {f: s.threshold for f, s in get_exercise("squat").standards.items()}
    assert model.thresholds_ != defaults
    poses = [rep for pose in faulty_sets("squat") for rep in rep_poses(pose, "squat")]
    assert assert_same_on_every_rep(model, poses, tmp_path) == len(poses)


@pytest.mark.slow
def test_the_push_up_standards_match_on_pushfit_reps(shared_datasets, tmp_path):
    pytest.importorskip("cv2", reason="PushFit clips take their frame rate and image size "
                        "from their videos, read with OpenCV (the video extra)")
    clips = load_pushfit(shared_datasets)
    poses = [rep for clip in clips for rep in rep_poses(clip.pose, "push-up")]
    assert assert_same_on_every_rep(builtin_model("push-up"), poses, tmp_path) >= 95
    calibrated = StandardsClassifier().fit(clips_to_reps(clips, "push-up"))
    assert calibrated.classes_.tolist() == ["push-up/correct", "push-up/wrong"]
    assert assert_same_on_every_rep(calibrated, poses, tmp_path) >= 95


@pytest.mark.slow
@pytest.mark.video
@pytest.mark.parametrize("folder, exercise, n_reps", [("squats", "squat", 5),
                                                     ("pullups", "pull-up", 1)])
def test_the_standards_match_on_the_shared_videos_keypoints(shared_datasets, folder, exercise,
                                                            n_reps, tmp_path):
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    from formcheck.pose.extract import extract_pose

    poses = []
    for video in sorted((shared_datasets / folder / "videos").rglob("*.mp4")):
        pose = dataclasses.replace(extract_pose(video), world_landmarks=None)   # the landmarks
        poses += rep_poses(pose, exercise)
    assert len(poses) >= n_reps
    assert assert_same_on_every_rep(builtin_model(exercise), poses, tmp_path) == len(poses)


def test_the_export_command_writes_the_builtin_standards(tmp_path):
    from click.testing import CliRunner

    from formcheck.cli import cli

    output = tmp_path / "squat.onnx"
    result = CliRunner().invoke(cli, ["export", "builtin", "-e", "squat", "-o", str(output)])
    assert result.exit_code == 0, result.output
    meta = {p.key: p.value for p in onnx.load(output).metadata_props}
    assert meta["classifier"] == "StandardsClassifier" and meta["exercise"] == "squat"
    assert json.loads(meta["classes"]) == builtin_model("squat").classes_.tolist()
    result = CliRunner().invoke(cli, ["export", "builtin", "-o", str(output)])
    assert result.exit_code == 2 and "--exercise" in result.output


# --- 3-D angles from the world landmarks -------------------------------------------------------

def with_world_gaps(pose, rng) -> list:
    """``with_gaps`` for a pose with world landmarks: missing frames are missing in both."""
    variants = with_gaps(pose, rng)
    return [dataclasses.replace(v, world_landmarks=np.where(np.isnan(v.landmarks[..., :1]),
                                                            np.nan, pose.world_landmarks))
            for v in variants]


def camera_up(model):
    """A copy of ``model`` measuring 3-D heights along the camera's up (``vertical="camera"``)."""
    model = copy.copy(model)
    model.feature_settings_ = {**model.feature_settings_, "vertical": "camera"}
    return model


def pitched(pose, degrees):
    """``pose`` seen by a camera pitched ``degrees`` more (world landmarks turned about x)."""
    t = np.radians(degrees)
    turn = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(t), -np.sin(t)], [0.0, np.sin(t), np.cos(t)]])
    world = (pose.world_landmarks @ turn.T).astype(pose.world_landmarks.dtype)
    return dataclasses.replace(pose, world_landmarks=world,
                               source=f"{pose.source} pitched {degrees}")


def body_vertical_cases(pose, rng) -> list:
    """The rep with gaps, and the cases of the body's vertical: a camera pitched 20 degrees
    more (a clearly tilted vertical) and 40 (beyond 30: the camera's up), the ankles never seen
    (the camera's up), and every frame twice (lengths tied at the tallest fifth's edge, even
    counts in the median)."""
    ankles = [pose.skeleton.canonical[j] for j in ("left_ankle", "right_ankle")]
    hidden = pose.landmarks.copy()
    hidden[:, ankles, 3] = 0.0
    twice = dataclasses.replace(pose, landmarks=np.repeat(pose.landmarks, 2, axis=0),
                                world_landmarks=np.repeat(pose.world_landmarks, 2, axis=0),
                                source=f"{pose.source} twice")
    return [*with_world_gaps(pose, rng), pitched(pose, 20), pitched(pose, 40), twice,
            dataclasses.replace(pose, landmarks=hidden, source=f"{pose.source} no ankles")]


def vertical_tilt(pose) -> float:
    """Degrees between the body's vertical formcheck takes for ``pose`` and the camera's up."""
    up = body_vertical(_joint_points(pose, 0.1, "3d"))
    return float(np.degrees(np.arccos(np.clip(-up[1], -1, 1))))


def test_a_3d_model_with_an_unknown_vertical_is_refused(tmp_path):
    model = LearnedClassifier().fit(make_dataset("squat", n_subjects=2, world_landmarks=True))
    assert model.feature_settings_["vertical"] == "body"
    model.feature_settings_ = {**model.feature_settings_, "vertical": "gravity"}
    with pytest.raises(ExportError, match="vertical must be one of body, camera"):
        model.to_onnx(tmp_path / "3d.onnx")


@pytest.mark.parametrize("vertical", ["body", "camera"])
@pytest.mark.parametrize("exercise", STANDARDS_EXERCISES)
def test_3d_standards_match_the_python_path_on_world_landmarks(exercise, vertical, tmp_path):
    model = builtin_model(exercise) if vertical == "body" else camera_up(builtin_model(exercise))
    rng = np.random.default_rng(2)
    poses = []
    for label in LABELS[exercise]:
        pose = make_set(exercise, label=label, n_reps=2, seed=7, world_landmarks=True)
        for rep in rep_poses(pose, exercise):
            poses += body_vertical_cases(rep, rng)
    assert assert_same_on_every_rep(model, poses, tmp_path, geometry="3d") >= 20
    if vertical == "body":
        tilts = [vertical_tilt(p) for p in poses]
        if exercise == "push-up":   # a body lying down: the camera's up
            assert max(tilts) == 0.0
        else:                       # the graph follows a vertical 20 degrees from the camera's
            assert 15 < max(tilts) < 30 and min(tilts) == 0.0


@pytest.mark.parametrize("vertical", ["body", "camera"])
def test_a_3d_learned_model_exports_with_a_world_landmarks_input(vertical, tmp_path):
    model = LearnedClassifier().fit(make_dataset("squat", n_subjects=4, world_landmarks=True))
    assert model.feature_settings_ == {
            "geometry": "3d", "vertical": "body", "heights": "side-image"}
    model = model if vertical == "body" else camera_up(model)
    rng = np.random.default_rng(3)
    poses = [case for label in LABELS["squat"] for rep in rep_poses(
        make_set("squat", label=label, n_reps=2, seed=8, world_landmarks=True), "squat")
        for case in body_vertical_cases(rep, rng)]
    assert assert_same_on_every_rep(model, poses, tmp_path) >= 30
    graph = session(model, tmp_path)
    assert "world_landmarks" in {i.name for i in graph.get_inputs()}
    with pytest.raises(ExportError, match="trained on '3d' joint angles"):
        model.to_onnx(tmp_path / "2d.onnx", geometry="2d")


def test_a_model_trained_on_3d_keypoint_files_exports_along_the_body_vertical(tmp_path):
    """The common case: ``formcheck train`` on keypoint files with world landmarks records
    3-D angles along the body's vertical, and ``formcheck export`` writes that graph."""
    from click.testing import CliRunner

    from formcheck import load_model
    from formcheck.cli import cli

    for seed in range(6):
        label = LABELS["squat"][seed % 2]
        (tmp_path / "sets" / label).mkdir(parents=True, exist_ok=True)
        make_set("squat", label=label, n_reps=3, seed=seed, severity=1.0,
                 world_landmarks=True).save(tmp_path / "sets" / label / f"set{seed}.npz")
    runner = CliRunner()
    result = runner.invoke(cli, ["train", str(tmp_path / "sets"), "-e", "squat",
                                 "-o", str(tmp_path / "squat.fcm")])
    assert result.exit_code == 0, result.output
    model = load_model(tmp_path / "squat.fcm")
    assert model.feature_settings_ == {
            "geometry": "3d", "vertical": "body", "heights": "side-image"}
    result = runner.invoke(cli, ["export", str(tmp_path / "squat.fcm"),
                                 "-o", str(tmp_path / "squat.onnx")])
    assert result.exit_code == 0 and "world_landmarks (T, J, 3)" in result.output, result.output
    held_out = make_set("squat", label="not-low", n_reps=2, seed=99, severity=1.0,
                        world_landmarks=True)
    poses = [case for rep in rep_poses(held_out, "squat") for case in (rep, pitched(rep, 20))]
    assert assert_same_on_every_rep(model, poses, tmp_path) == len(poses)


def test_the_body_vertical_changes_the_3d_verdicts(tmp_path):
    """The graph of a body-vertical model is not the camera-up one: on reps seen by a pitched
    camera their probabilities differ, and each graph matches its own Python path."""
    model = builtin_model("pull-up")
    poses = [pitched(rep, 20) for label in LABELS["pull-up"] for rep in rep_poses(
        make_set("pull-up", label=label, n_reps=2, seed=7, world_landmarks=True), "pull-up")]
    (tmp_path / "body").mkdir()
    (tmp_path / "camera").mkdir()
    body = session(model, tmp_path / "body", geometry="3d")
    camera = session(camera_up(model), tmp_path / "camera", geometry="3d")
    gaps = [np.abs(body.run(None, graph_inputs(p, body))[0]
                   - camera.run(None, graph_inputs(p, camera))[0]).max() for p in poses]
    assert max(gaps) > 0.05
    assert assert_same_on_every_rep(model, poses, tmp_path, geometry="3d") == len(poses)


@pytest.fixture(scope="module")
def shared_video_reps(shared_datasets):
    """Exercise -> the reps of the shared squat and pull-up videos through MediaPipe, with their
    world landmarks (formcheck's own video path)."""
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    from formcheck.pose.extract import extract_pose

    def reps(folder, exercise):
        videos = sorted((shared_datasets / folder / "videos").rglob("*.mp4"))
        return [rep for video in videos for rep in rep_poses(extract_pose(video), exercise)]

    return {"squat": reps("squats", "squat"), "pull-up": reps("pullups", "pull-up")}


@pytest.mark.slow
@pytest.mark.video
@pytest.mark.parametrize("exercise, n_reps", [("squat", 5), ("pull-up", 1)])
@pytest.mark.parametrize("kind", ["standards", "learned"])
def test_3d_models_match_formcheck_on_the_shared_videos(shared_video_reps, exercise, n_reps, kind,
                                                        tmp_path):
    """From a video formcheck judges 3-D angles from the world landmarks along the body's
    vertical; so does the graph, for the standards and a learned model trained on synthetic
    3-D reps."""
    poses = shared_video_reps[exercise]
    assert all(p.world_landmarks is not None for p in poses) and len(poses) >= n_reps
    model = (builtin_model(exercise) if kind == "standards" else LearnedClassifier().fit(
        make_dataset(exercise, n_subjects=6, seed=0, world_landmarks=True)))
    assert model.feature_settings_.get("vertical", "body") == "body"
    assert max(vertical_tilt(p) for p in poses) > 1.0   # the videos' vertical is not the camera's
    assert assert_same_on_every_rep(model, poses, tmp_path, geometry="3d") == len(poses)


def yawed(pose, degrees):
    """``pose`` with its world landmarks turned ``degrees`` about the vertical (y) axis."""
    turn = np.radians(degrees)
    rotation = np.array([[np.cos(turn), 0, np.sin(turn)], [0, 1, 0],
                         [-np.sin(turn), 0, np.cos(turn)]])
    return dataclasses.replace(pose, world_landmarks=(pose.world_landmarks @ rotation.T).astype(
        np.float32), source=f"{pose.source} yawed {degrees}")


def hips_hidden(pose, share):
    """``pose`` with both hips unseen in the first ``share`` of its frames (the view then
    comes from the shoulders there; the heights lose their hips)."""
    hips = [pose.skeleton.canonical[j] for j in ("left_hip", "right_hip")]
    landmarks = pose.landmarks.copy()
    landmarks[: int(share * pose.n_frames), hips, 3] = 0.0
    return dataclasses.replace(pose, landmarks=landmarks, source=f"{pose.source} no hips")


def seen_from_the_side(pose, vertical, heights) -> bool:
    """Whether formcheck takes the rep's heights from the image (False when it cannot measure)."""
    try:
        return joint_angles(pose, "squat", vertical=vertical, heights=heights).heights_from_image
    except MissingDataError:
        return False


@pytest.mark.parametrize("heights", ["side-image", "geometry"])
@pytest.mark.parametrize("vertical", ["body", "camera"])
def test_3d_heights_by_the_view_match_the_python_path(heights, vertical, tmp_path):
    """The graph computes the heights in space and in the image and takes the image's when the
    rep is seen from the side (the hips' axis over 65 degrees from the camera's x), as
    :func:`formcheck.joint_angles` does: side, front and diagonal views, turned about the
    vertical around that limit, hips hidden, and the body-vertical cases."""
    model = builtin_model("squat")
    model = copy.copy(model)
    model.feature_settings_ = {"vertical": vertical, "heights": heights}
    rng = np.random.default_rng(4)
    poses = []
    for view in ("side-left", "front", "diagonal-left"):
        pose = make_set("squat", "not-low", n_reps=2, seed=5, view=view, severity=0.3,
                        world_landmarks=True)
        for rep in rep_poses(pose, "squat")[:1]:
            poses += [rep, hips_hidden(rep, 0.4), pitched(rep, 20),
                      *[yawed(rep, d) for d in (-20, -10, 10, 20)], *with_world_gaps(rep, rng)]
    side = [seen_from_the_side(p, vertical, heights) for p in poses]
    if heights == "side-image":
        assert 5 < sum(side) < len(poses) - 5      # both branches of the graph's Where are taken
    else:
        assert not any(side)
    assert assert_same_on_every_rep(model, poses, tmp_path, geometry="3d") >= len(poses) - 4
