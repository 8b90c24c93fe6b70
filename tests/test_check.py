"""FormChecker verdicts, feedback, unknown reps and streaming on synthetic sets; the built-in
verdict on the shared real videos (skipped when they are absent)."""

import csv
import dataclasses

import numpy as np
import pytest

from formcheck import (DTWKNeighborsClassifier, FormChecker, LearnedClassifier, extract_pose,
                       load_model)
from formcheck.check import UNKNOWN, RepVerdict, builtin_model
from formcheck.datasets.rep_dataset import RepDataset
from formcheck.errors import ExerciseError, MissingDataError, NotFittedError
from formcheck.features.channels import channel_kind, format_value
from formcheck.datasets.synthetic import make_dataset, make_set
from formcheck.pose import load_pose
from formcheck.reps import NOT_PERFORMING, cut_recording

KEY_WORDS = {"squat": ("knee", "hip"), "pull-up": ("elbow", "nose", "shoulder"),
             "push-up": ("body line", "hip")}
_MODELS: dict = {}


def model(kind, exercise):
    if (kind, exercise) not in _MODELS:
        estimator = DTWKNeighborsClassifier() if kind == "knn" else LearnedClassifier()
        _MODELS[kind, exercise] = estimator.fit(make_dataset(exercise, n_subjects=6, seed=0))
    return _MODELS[kind, exercise]


@pytest.mark.parametrize("kind", ["knn", "learned"])
@pytest.mark.parametrize("exercise", ["squat", "pull-up", "push-up"])
def test_faulty_reps_get_the_fault_and_actionable_feedback(kind, exercise):
    checker = FormChecker(model(kind, exercise), detect_novel=False)  # novelty: tested below
    fault = checker.exercise.faults[0]
    verdicts = checker.check_pose(make_set(exercise, label=fault, n_reps=3, seed=42,
                                           severity=1.0))
    assert [v.index for v in verdicts] == [0, 1, 2]
    for verdict in verdicts:
        assert verdict.label == fault and verdict.fault == fault and not verdict.is_correct
        message = verdict.feedback.message
        assert any(word in message for word in KEY_WORDS[exercise]), message
        assert "correct reps" in message and ("°" in message or "torso lengths" in message)
        assert verdict.feedback.phase in checker.exercise.phases
        assert verdict.start_time < verdict.end_time


@pytest.mark.parametrize("kind", ["knn", "learned"])
def test_correct_reps_are_correct_with_no_feedback(kind):
    checker = FormChecker(model(kind, "squat"))
    verdicts = checker.check_pose(make_set("squat", n_reps=4, seed=7))
    assert len(verdicts) == 4
    assert all(v.is_correct and v.feedback is None and v.fault is None for v in verdicts)
    assert all(0.5 <= v.probability <= 1 for v in verdicts)


def test_the_feedback_numbers_come_from_the_rep():
    checker = FormChecker(model("knn", "squat"))
    (verdict,) = checker.check_pose(make_set("squat", "not-low", n_reps=1, seed=3, severity=1.0))
    feedback = verdict.feedback
    # the knee or hip stays far more open, or the hips far higher
    limit = 0.3 if channel_kind(feedback.channel) == "height" else 20
    assert feedback.value - feedback.reference > limit
    assert format_value(feedback.channel, feedback.value) in feedback.message


@pytest.mark.parametrize("kind", ["knn", "learned"])
def test_reps_unlike_the_training_data_are_unknown(kind):
    squat_checker = FormChecker(model(kind, "squat"))
    verdicts = squat_checker.check_pose(make_set("squat", n_reps=3, seed=9, view="front"))
    assert verdicts and all(v.label == UNKNOWN and "unlike" in v.reason for v in verdicts)
    strict = FormChecker(model(kind, "squat"), min_probability=1.01)
    verdicts = strict.check_pose(make_set("squat", n_reps=2, seed=9))
    assert all(v.label == UNKNOWN and "low confidence" in v.reason for v in verdicts)


def test_streaming_emits_each_rep_when_it_ends():
    pose = make_set("push-up", "upper-body-first", n_reps=4, seed=11, severity=1.0)
    checker = FormChecker(model("learned", "push-up"), fps=pose.fps, image_size=pose.image_size)
    offline = checker.check_pose(pose)
    checker.reset()
    emitted = []
    for frame in range(pose.n_frames):
        verdict = checker.update(pose.landmarks[frame])
        if verdict is not None:
            emitted.append((frame, verdict))
    assert len(emitted) == len(offline) == 4
    for (frame, live), done in zip(emitted, offline):
        assert abs(live.start_frame - done.start_frame) <= 10
        assert abs(live.end_frame - done.end_frame) <= 10
        assert frame + 1 <= done.end_frame + 0.75 * pose.fps  # emitted soon after the rep ends
        assert live.label == done.label == "push-up/upper-body-first"
    assert [v.index for _, v in emitted] == [0, 1, 2, 3]


def test_finish_reports_the_rep_a_stream_ended_with():
    pose, bounds = make_set("squat", n_reps=3, seed=5, return_bounds=True)
    last_end = bounds[-1][1]
    checker = FormChecker(model("learned", "squat"), fps=pose.fps, image_size=pose.image_size)
    offline = checker.check_pose(pose.slice(0, last_end + 2))
    checker.reset()
    emitted = [v for frame in range(last_end + 2)
               if (v := checker.update(pose.landmarks[frame])) is not None]
    assert len(emitted) == 2                      # the last rep has not settled yet
    rest = checker.finish()
    assert len(rest) == 1 and len(offline) == 3
    assert rest[0].index == 2 and abs(rest[0].end_frame - offline[2].end_frame) <= 10
    assert checker.finish() == []                 # reported once


def test_a_model_without_the_fallback_channel_still_counts_front_view_squats():
    """Models fitted before hips_over_ankles existed: the checker computes it to segment."""
    data = make_dataset("squat", n_subjects=6, seed=0)
    old_channels = [c for c in data.reps[0].channels if c != "hips_over_ankles"]
    older = RepDataset([r.select(old_channels) for r in data.reps], data.labels, data.groups,
                       metadata=data.metadata)
    checker = FormChecker(LearnedClassifier().fit(older))
    assert "hips_over_ankles" not in checker.model.channels_
    pose = make_set("squat", "not-low", n_reps=4, seed=1, view="front", severity=0.5)
    verdicts = checker.check_pose(pose)
    assert len(verdicts) == 4


def test_a_saved_model_checks_with_nothing_else(tmp_path):
    path = model("knn", "pull-up").save(tmp_path / "pullup.fcm")
    pose = make_set("pull-up", "chin-below-bar", n_reps=2, seed=4, severity=0.8)
    from_file = [v.to_dict() for v in FormChecker(path).check_pose(pose)]
    in_memory = [v.to_dict() for v in FormChecker(model("knn", "pull-up")).check_pose(pose)]
    assert from_file == in_memory and len(from_file) == 2


def test_a_saved_model_cuts_recordings_with_the_feature_settings_it_was_trained_with(
        squat_folder, tmp_path):
    settings = {"smooth": 0.3, "target_fps": 15}  # not the defaults
    root = squat_folder
    data = RepDataset.from_folders(root, "squat", **settings)
    path = LearnedClassifier().fit(data).save(tmp_path / "squat.fcm")
    assert load_model(path).feature_settings_ == {**settings, "geometry": "2d"}

    checker = FormChecker(path)
    recording = root / "not-low" / "set1.npz"
    angles, reps = checker.cut_recording(load_pose(recording))
    trained = data[data.groups == recording.name]
    assert angles.fps == 15.0 and len(reps) == len(trained) == 3
    assert [f"not-low/set1.npz[{r.start}:{r.end}]" for r in reps] == list(trained.sources)
    for rep, training_rep in zip(reps, trained.reps):
        np.testing.assert_array_equal(np.asarray(rep.angles.select(checker.model.channels_)),
                                      np.asarray(training_rep.select(checker.model.channels_)))
    _, with_defaults = cut_recording(load_pose(recording), "squat")
    assert len(with_defaults[0].angles) != len(reps[0].angles)  # the settings do matter
    verdicts = checker.check_file(recording)
    assert [(v.start_frame, v.end_frame) for v in verdicts] == [(r.start, r.end) for r in reps]
    assert verdicts[0].start_time == reps[0].start / 15.0


def test_a_model_fitted_on_selected_channels_checks_recordings(tmp_path):
    dataset = make_dataset("squat", n_subjects=2).select_channels(
        ["left_knee", "right_knee", "left_hip", "right_hip"])
    model = load_model(DTWKNeighborsClassifier().fit(dataset).save(tmp_path / "four.fcm"))
    assert model.channels_ == ("left_knee", "right_knee", "left_hip", "right_hip")
    verdicts = FormChecker(model).check_pose(make_set("squat", n_reps=3, seed=5))
    assert len(verdicts) == 3


def test_checker_errors():
    with pytest.raises(NotFittedError):
        FormChecker(LearnedClassifier())
    rng = np.random.default_rng(0)
    bare = LearnedClassifier(model="logistic").fit(rng.normal(size=(6, 20, 2)), ["a", "b"] * 3)
    with pytest.raises(ExerciseError, match="records no exercise"):
        FormChecker(bare)
    with pytest.raises(ExerciseError, match="trained on 'squat' reps, not 'pull-up'"):
        FormChecker(builtin_model("squat"), exercise="pull-up")
    assert FormChecker(builtin_model("squat"), exercise="squat").exercise.name == "squat"


def spatial_model():
    if "spatial" not in _MODELS:
        data = make_dataset("squat", n_subjects=6, seed=0, world_landmarks=True)   # side views
        _MODELS["spatial"] = LearnedClassifier().fit(data)
    return _MODELS["spatial"]


@pytest.mark.parametrize("view", ["front", "diagonal-left", "back"])
def test_a_3d_model_trained_from_the_side_judges_reps_filmed_from_other_views(view):
    checker = FormChecker(spatial_model())
    assert checker.model.feature_settings_ == {
            "geometry": "3d", "vertical": "body", "heights": "side-image"}
    for label in ("squat/correct", "squat/not-low"):
        pose = make_set("squat", label, n_reps=3, seed=21, view=view, severity=1.0,
                        world_landmarks=True)
        assert [v.label for v in checker.check_pose(pose)] == [label] * 3, (view, label)


def test_the_checker_measures_angles_as_its_model_was_trained():
    flat_checker = FormChecker(model("learned", "squat"))
    assert flat_checker.model.feature_settings_ == {"geometry": "2d"}
    spatial = make_set("squat", "not-low", n_reps=2, seed=8, severity=0.6, world_landmarks=True)
    flat = make_set("squat", "not-low", n_reps=2, seed=8, severity=0.6)
    assert ([v.to_dict() for v in flat_checker.check_pose(spatial)]
            == [v.to_dict() for v in flat_checker.check_pose(flat)])     # world landmarks unused
    with pytest.raises(MissingDataError, match="3-D joint angles need 3-D landmarks"):
        FormChecker(spatial_model()).check_pose(flat)


def test_streaming_with_world_landmarks_for_a_3d_model():
    pose = make_set("squat", "not-low", n_reps=3, seed=13, view="front", severity=1.0,
                    world_landmarks=True)
    checker = FormChecker(spatial_model(), fps=pose.fps, image_size=pose.image_size)
    emitted = [v for frame in range(pose.n_frames)
               if (v := checker.update(pose.landmarks[frame], pose.world_landmarks[frame]))]
    emitted += checker.finish()
    assert [v.label for v in emitted] == ["squat/not-low"] * 3


def test_no_verdict_on_someone_not_doing_the_exercise_and_the_checker_says_why():
    pose, [(first, _)] = make_set("squat", n_reps=1, seed=2, idle=4.0, return_bounds=True)
    standing = pose.slice(0, first)
    checker = FormChecker(model("learned", "squat"))
    assert checker.check_pose(standing) == []
    assert checker.no_rep_reason(standing).startswith(f"{NOT_PERFORMING} squat reps")
    assert checker.no_rep_reason(pose) == ""


# --- the built-in verdict on the shared real videos ----------------------------------------------

SHARED_VIDEOS = {  # video -> (folder, truth.csv row, exercise)
    "squat_correct_003": ("squats", "videos/correct/squat_correct_003.mp4", "squat"),
    "squat_correct_004": ("squats", "videos/correct/squat_correct_004.mp4", "squat"),
    "squat_correct_005": ("squats", "videos/correct/squat_correct_005.mp4", "squat"),
    "squat_correct_006": ("squats", "videos/correct/squat_correct_006.mp4", "squat"),
    "squat_correct_007": ("squats", "videos/correct/squat_correct_007.mp4", "squat"),
    "squat_incorrect_002": ("squats", "videos/incorrect/squat_incorrect_002.mp4", "squat"),
    "pullup_correct_002": ("pullups", "videos/correct/pullup_correct_002.mp4", "pull-up"),
}


# With 3-D angles from MediaPipe's world landmarks (what a video gives by default) the hips read
# higher at the bottom than in the image: seen through a level camera, MediaPipe's world
# landmarks put the hips 2-5 cm higher over the knees at the bottom than its own image landmarks
# in all six squat videos (docs/experiments/hip_height_3d.py). Heights of a body seen from the
# side (the hips' axis more than 65 degrees from the camera's x) are taken from the image, which
# measures them there without depth or perspective: squat_incorrect_002 (83 degrees) is judged
# on the image's 0.00 torso lengths. squat_correct_006 is filmed at 48 degrees, so its heights
# stay in 3-D (from there the image's perspective errs by up to 0.08 torso lengths); in 2-D,
# where all seven are right, it reads -0.01. The depth threshold is not tuned to these files
# (docs/classifiers.md has the numbers).
_WRONG_IN_3D = {
    "squat_correct_006": "3-D, against the body's vertical: filmed at 48 degrees from the side "
                         "(hips' axis to the camera's x), so its heights are measured in 3-D: "
                         "hips 0.04 torso lengths above the knees at the bottom (the image: 0.01 "
                         "below): called not-low (77%); the knees, measured in the image, are "
                         "1.12 of the ankles' width",
}


def _truth(root, folder, file):
    with open(root / folder / "truth.csv", newline="") as handle:
        return next(row for row in csv.DictReader(handle) if row["file"] == file)


def _builtin_verdicts(root, video, geometry="3d"):
    """The built-in checker on a shared video; with ``geometry="2d"`` on its keypoints alone
    (no world landmarks), as from a 2-D keypoint source."""
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    folder, file, exercise = SHARED_VIDEOS[video]
    checker = FormChecker(builtin_model(exercise))
    pose = extract_pose(root / folder / file)
    if geometry == "2d":
        pose = dataclasses.replace(pose, world_landmarks=None)
    _, reps = checker.cut_recording(pose)
    return checker, checker.check_pose(pose), reps, _truth(root, folder, file)


@pytest.mark.slow
@pytest.mark.video
@pytest.mark.parametrize("video", SHARED_VIDEOS)
def test_a_shared_video_has_the_reps_of_its_truth(shared_datasets, video):
    _, verdicts, _, truth = _builtin_verdicts(shared_datasets, video)
    assert len(verdicts) == int(truth["complete_reps"])


@pytest.mark.slow
@pytest.mark.video
@pytest.mark.parametrize("geometry,video", [
    pytest.param("3d", v, marks=pytest.mark.xfail(reason=_WRONG_IN_3D[v], strict=True))
    if v in _WRONG_IN_3D else ("3d", v) for v in SHARED_VIDEOS] + [
    ("2d", v) for v in SHARED_VIDEOS])
def test_the_builtin_verdict_on_a_shared_video_is_its_truth(shared_datasets, geometry, video):
    checker, verdicts, reps, truth = _builtin_verdicts(shared_datasets, video, geometry)
    assert {rep.angles.geometry for rep in reps} <= {geometry}
    judgements = checker.model.judge([rep.angles for rep in reps]) if reps else []
    for verdict, judged in zip(verdicts, judgements):
        print(video, verdict.label, f"{verdict.probability:.0%}",
              "; ".join(j.message for j in judged))
    criterion = "hips_reach_knee_level" if "squat" in video else "chin_clears_bar"
    depth = "squat/not-low" if "squat" in video else "pull-up/chin-below-bar"
    assert truth[criterion] == "yes"
    # every rep found reaches the depth or chin criterion, as the truth says, within one
    # measurement noise (0.05 torso lengths) of the limit
    measured = [j for judged in judgements for j in judged if j.fault == depth]
    assert all(j.score <= 1.0 for j in measured), [j.message for j in measured]
    if video == "squat_incorrect_002":
        # the source names no fault; the standards find the hips right at knee level (a coin
        # flip between correct and not-low), the trunk no further forward than the shins, and
        # cannot judge the knees from the side
        [judged] = judgements
        by_fault = {j.fault: j for j in judged}
        assert abs(by_fault["squat/not-low"].value) < 0.05
        assert not by_fault["squat/forward-lean"].broken
        assert by_fault["squat/knees-in"].score == -np.inf
    else:
        assert all(v.label == checker.exercise.correct for v in verdicts)


@pytest.mark.slow
@pytest.mark.video
@pytest.mark.parametrize("video", [v for v in SHARED_VIDEOS if "squat" in v])
def test_no_shared_squat_has_its_knees_in_in_3d_as_the_image_shows(shared_datasets, video):
    # widths come from the image for 3-D poses too: MediaPipe's world x put squat_correct_006's
    # knees at 0.97 of the ankles' width, the image at 1.12
    checker, _, reps, _ = _builtin_verdicts(shared_datasets, video)
    judged = [j for rep in checker.model.judge([r.angles for r in reps]) for j in rep
              if j.fault == "squat/knees-in"] if reps else []
    assert not any(j.broken for j in judged), [j.message for j in judged]
    assert all(j.value > 1.05 for j in judged if np.isfinite(j.score))


@pytest.mark.slow
@pytest.mark.video
def test_a_pull_up_checked_as_a_squat_is_not_a_squat(shared_datasets):
    """Its legs bend, so the driving signal alone cut two "squats"; the hips rise as they do
    (the ankles are mostly below the image's edge, so whether they stay put is not judged)."""
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    folder, file, _ = SHARED_VIDEOS["pullup_correct_002"]
    pose = extract_pose(shared_datasets / folder / file)
    checker = FormChecker(builtin_model("squat"))
    assert checker.check_pose(pose) == []
    reason = checker.no_rep_reason(pose)
    assert reason.startswith(f"{NOT_PERFORMING} squat reps: ")
    assert reason.count("is not a squat rep: the hips went up as") == 2, reason


@pytest.mark.slow
@pytest.mark.video
def test_a_squat_filmed_down_to_the_shins_is_still_a_squat(shared_datasets, tmp_path):
    """The top 62 % of squat_correct_007's frames: MediaPipe guesses the ankles below the image's
    edge, and the guesses rise with the hips; they are not read as feet leaving the ground."""
    cv2 = pytest.importorskip("cv2", reason="the video extra is not installed")
    folder, file, _ = SHARED_VIDEOS["squat_correct_007"]
    source = cv2.VideoCapture(str(shared_datasets / folder / file))
    fps, (ok, frame) = source.get(cv2.CAP_PROP_FPS), source.read()
    keep = int(frame.shape[0] * 0.62)
    cropped = tmp_path / "cropped.mp4"
    writer = cv2.VideoWriter(str(cropped), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                             (frame.shape[1], keep))
    while ok:
        writer.write(frame[:keep])
        ok, frame = source.read()
    writer.release()
    verdicts = FormChecker(builtin_model("squat")).check_pose(extract_pose(cropped, cache=False))
    assert [v.label for v in verdicts] == ["squat/correct"]


@pytest.mark.slow
@pytest.mark.parametrize("exercise", ["squat", "pull-up"])
def test_push_ups_filmed_from_the_side_are_neither_squats_nor_pull_ups(shared_datasets,
                                                                          exercise):
    """Cut as another exercise, the PushFit clips' reps fall to the posture, most because the
    trunk is horizontal. Of 97 squat and 83 pull-up reps cut on the driving signal alone, 5 and
    1 are left (with the video extra's frame rates)."""
    from formcheck.datasets.real import load_pushfit
    from formcheck.reps import segment_reps

    checker = FormChecker(builtin_model(exercise))
    before = after = 0
    for clip in load_pushfit(shared_datasets):
        angles, reps = checker.cut_recording(clip.pose)
        before, after = before + len(segment_reps(angles, exercise)), after + len(reps)
    assert before > 50 and after <= 0.15 * before, (before, after)


def test_an_unknown_rep_shows_no_confidence_even_at_probability_one():
    novel = RepVerdict(0, 0, 30, 0.0, 1.0, UNKNOWN, 1.0, reason="unlike every training rep")
    sure = RepVerdict(1, 30, 60, 1.0, 2.0, "squat/correct", 0.834)
    assert novel.confidence == "" and sure.confidence == "83%"


@pytest.fixture
def recordings(tmp_path):
    """Four squat sets as keypoint files (faulty and correct), one without a rep, one broken."""
    paths = []
    for seed in range(4):
        label = "correct" if seed % 2 == 0 else "not-low"
        path = tmp_path / f"set{seed}.npz"
        make_set("squat", label=label, n_reps=2, seed=seed, severity=1.0).save(path)
        paths.append(path)
    pose, [(first, _)] = make_set("squat", n_reps=1, seed=2, idle=4.0, return_bounds=True)
    pose.slice(0, first).save(tmp_path / "standing.npz")
    (tmp_path / "broken.npz").write_bytes(b"not an archive")
    return [*paths, tmp_path / "standing.npz", tmp_path / "broken.npz"]


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_check_many_gives_the_verdicts_of_checking_each_file(recordings, backend):
    checker = FormChecker(model("learned", "squat"))
    result = checker.check_many([*recordings, recordings[0]], n_jobs=2, backend=backend)
    names = [str(p) for p in recordings]
    assert list(result.verdicts) == names[:5]             # input order, deduplicated
    for path in recordings[:5]:
        expected = checker.check_pose(load_pose(path))
        assert [v.to_dict() for v in result.verdicts[str(path)]] == [v.to_dict() for v in expected]
    assert [len(result.verdicts[p]) for p in names[:4]] == [2, 2, 2, 2]
    assert [v.label for v in result.verdicts[names[1]]] == ["squat/not-low"] * 2
    assert list(result.no_rep) == [names[4]]
    assert result.no_rep[names[4]].startswith(f"{NOT_PERFORMING} squat reps")
    assert list(result.failed) == [names[5]] and not result.ok
    assert result.failed[names[5]].startswith(f"InputError: {names[5]}: cannot read")
    assert repr(result) == "CheckResult(5 checked, 8 reps, 1 failed)"


def test_check_many_passes_on_the_warnings_of_files_checked_in_worker_processes(tmp_path):
    """A worker process's stderr is nobody's: its warnings come back with the verdicts."""
    from formcheck.errors import FormcheckWarning

    landmarks = make_set("squat", n_reps=2, seed=1).landmarks
    paths = [tmp_path / f"{name}.npz" for name in ("a", "b", "c")]
    for path in paths:
        np.savez(path, keypoints=landmarks)        # no frame rate: 30 fps is assumed, and said
    with pytest.warns(FormcheckWarning) as caught:
        result = FormChecker(builtin_model("squat")).check_many(paths, n_jobs=2, backend="loky")
    said = [str(w.message) for w in caught if issubclass(w.category, FormcheckWarning)]
    assert sorted(m.split(": ")[0] for m in said) == [str(p) for p in paths]
    assert all("stores no frame rate" in m for m in said)
    assert [len(v) for v in result.verdicts.values()] == [2, 2, 2]


def test_check_many_leaves_the_checkers_stream_alone(recordings):
    checker = FormChecker(model("learned", "squat"))
    pose = make_set("squat", n_reps=1, seed=9)
    for frame in pose.landmarks[:20]:
        checker.update(frame)
    buffered = len(checker._frames)
    serial = checker.check_many(recordings[:2])
    assert len(checker._frames) == buffered
    assert all(len(v) == 2 for v in serial.verdicts.values())
