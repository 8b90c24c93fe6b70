"""The command line, through click's CliRunner, on synthetic keypoint files."""

import csv
import re
import json

import pytest
from click.testing import CliRunner

from formcheck import get_exercise, load_keypoints, load_model
from formcheck.cli import cli
from formcheck.apps.labelling import AnnotationStore, LabelSession, reps_to_label
from formcheck.datasets.synthetic import make_set


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "cache"))


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def read_labels(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_demo_runs_the_whole_pipeline():
    result = run("demo", "--exercise", "push-up", "--subjects", "4")
    assert result.exit_code == 0, result.output
    assert "-> 5 reps" in result.output
    assert result.output.count("accuracy") == 2
    assert "push-up/upper-body-first" in result.output
    verdicts = [line.split() for line in result.output.splitlines() if line.startswith("      ")]
    assert [v[0] for v in verdicts[:3]] == ["standards", "DTW", "learned"]   # per rep, all three
    assert "(a vote of 1 neighbour)" in result.output        # a 1-NN's "100%" is not a confidence


def test_errors_become_one_line_and_exit_code_2(tmp_path):
    result = run("demo", "--subjects", "1")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "formcheck: error: the demo needs at least 4 synthetic people, got 1")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not numpy")
    result = run("predict", bad, "--exercise", "squat")
    assert result.exit_code == 2 and "bad.npz" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_ctrl_c_in_any_command_is_one_line_and_exit_130(monkeypatch):
    def interrupted(**kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("formcheck.apps.demo.run_demo", interrupted)
    result = run("demo")
    assert (result.exit_code, result.output) == (130, "formcheck: interrupted\n")


@pytest.mark.parametrize("command", ["demo", "extract", "label", "train", "evaluate", "predict",
                                     "preview", "live", "bench"])
def test_help_shows_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example:" in result.output


def test_label_interrupted_and_resumed_loses_no_answer(sets, tmp_path):
    labels = tmp_path / "labels.csv"
    files = sets[:2]
    # first session: two answers, then Ctrl-C while the third question waits
    keys = iter("12")

    def ask_then_interrupt(prompt):
        key = next(keys, None)
        if key is None:
            raise KeyboardInterrupt
        return key

    exercise = get_exercise("squat")
    reps = [r for path in files
            for r in reps_to_label(path, load_keypoints(path), exercise, labels.parent)]
    with pytest.raises(KeyboardInterrupt):
        LabelSession(AnnotationStore(labels), exercise, reps).run(ask_then_interrupt, say=str)
    rows = read_labels(labels)
    assert [r["label"] for r in rows] == ["squat/correct", "squat/not-low"]
    # second session resumes: skip one, undo the skip, label it, then quit
    second = run("label", *files, "-e", "squat", "-a", labels, input="sxu2q")
    assert second.exit_code == 0, second.output
    assert "4 of 6 reps to label" in second.output
    assert "unknown key 'x'" in second.output and "undone" in second.output
    rows = read_labels(labels)
    assert len(rows) == 3 and rows[2]["label"] == "squat/not-low"
    # third session: answer the rest; nothing already answered is asked again
    third = run("label", *files, "-e", "squat", "-a", labels, input="111")
    assert "3 of 6 reps to label" in third.output and third.exit_code == 0
    assert len(read_labels(labels)) == 6
    assert all(r["file"].startswith("sets/") for r in read_labels(labels))


def test_label_all_train_evaluate_predict(sets, tmp_path):
    labels = tmp_path / "labels.csv"
    for path in sets:
        label = "correct" if path.name.startswith("correct") else "not-low"
        result = run("label", path, "-e", "squat", "-a", labels, "--label", label)
        assert result.exit_code == 0 and "3 reps labelled" in result.output
    assert len(read_labels(labels)) == 18

    for classifier in ("knn", "learned"):
        model = tmp_path / f"{classifier}.fcm"
        result = run("train", labels, "-e", "squat", "-c", classifier, "-o", model)
        assert result.exit_code == 0, result.output
        assert model.is_file() and "trained on 108 reps" in result.output  # 18 x 6 augmented

    result = run("evaluate", labels, "-e", "squat", "-c", "knn", "--folds", "3",
                 "--plot", tmp_path / "confusion.png")
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "confusion matrix" in result.output
    assert (tmp_path / "confusion.png").stat().st_size > 1000

    result = run("evaluate", labels, "-e", "squat", "--model", tmp_path / "knn.fcm")
    assert result.exit_code == 0 and "accuracy: 100.0%" in result.output
    assert load_model(tmp_path / "knn.fcm").temperature_ != 1.0       # calibrated by default
    assert load_model(tmp_path / "learned.fcm").temperature_ == 1.0   # not: it did not help
    knn = load_model(tmp_path / "knn.fcm")
    assert (knn.resample_length, knn.window) == (None, 0.1)           # none tuned for squats

    result = run("evaluate", labels, "-e", "squat", "-c", "knn", "--folds", "3", "--shuffles",
                 "1", "--compare-channels", "knees=left_knee,right_knee;trunk_inclination")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.startswith("| knees")
            or line.startswith("| trunk_inclination")]
    assert len(rows) == 2 and "over 1 shuffles" in result.output
    result = run("evaluate", labels, "-e", "squat", "--compare-channels", "left_wing")
    assert result.exit_code == 2 and "unknown channels ['left_wing']" in result.output

    # the standards need no training; on these labels calibration raises the depth threshold
    # (synthetic correct squats stop with the hips a little above the knees)
    result = run("train", labels, "-e", "squat", "-c", "standards", "-o", tmp_path / "std.fcm")
    assert result.exit_code == 0, result.output
    assert re.search(r"squat/not-low: \+0\.00 torso lengths -> \+0\.\d\d torso lengths",
                     result.output)
    result = run("evaluate", labels, "-e", "squat", "--model", "builtin")
    assert result.exit_code == 0 and "accuracy:" in result.output, result.output

    held_out = tmp_path / "held-out.npz"
    make_set("squat", label="not-low", n_reps=2, seed=99, severity=1.0).save(held_out)
    result = run("predict", held_out, "--model", tmp_path / "learned.fcm", "--json")
    assert result.exit_code == 0, result.output
    verdicts = json.loads(result.output)
    assert [v["label"] for v in verdicts] == ["squat/not-low"] * 2
    assert all("correct reps" in v["feedback"] for v in verdicts)


def test_train_uses_the_exercises_tuned_classifier_settings(tmp_path):
    """push-up's kNN (64 frames, band 0.3, exercises.json) whatever the command; squat has none
    tuned, so its kNN keeps the class defaults (test_label_all_train_evaluate_predict)."""
    root = tmp_path / "pushups"
    for seed, label in enumerate(["correct", "upper-body-first"] * 2):
        (root / label).mkdir(parents=True, exist_ok=True)
        make_set("push-up", label=label, n_reps=3, seed=seed, severity=1.0).save(
            root / label / f"set{seed}.npz")
    result = run("train", root, "-e", "push-up", "-c", "knn", "-o", tmp_path / "knn.fcm",
                 "--no-mirror", "--no-time-scale")
    assert result.exit_code == 0, result.output
    model = load_model(tmp_path / "knn.fcm")
    assert (model.resample_length, model.window) == (64, 0.3)
    assert model.train_set_.series(0).shape[0] == 64        # the reps were resampled in fit


def test_train_reads_its_data_through_the_library_and_names_a_bad_source(sets, tmp_path):
    folder = sets[0].parent
    result = run("train", folder, "-e", "squat", "-c", "knn", "-o", tmp_path / "m.fcm")
    assert result.exit_code == 2 and "no files in labelled sub-folders" in result.output
    result = run("train", sets[0], "-e", "squat", "-o", tmp_path / "m.fcm")
    assert result.exit_code == 2
    assert result.output.strip() == (f"formcheck: error: {sets[0]}: not a source of reps; "
                                     "expected a folder of labelled sub-folders "
                                     "(root/<label>/<file>), an annotation CSV (.csv) or a "
                                     "dataset saved by RepDataset.save")


def test_predict_with_the_builtin_model_judges_by_the_standards_with_no_training(tmp_path):
    path = tmp_path / "pushups.npz"
    make_set("push-up", label="upper-body-first", n_reps=3, seed=5, severity=1.0).save(path)
    result = run("predict", path, "--exercise", "push-up")
    assert result.exit_code == 0, result.output
    lines = re.findall(r"rep +\d+ .*", result.output)
    assert len(lines) == 3 and all("push-up/upper-body-first" in line for line in lines)
    assert all("the shoulders rose first" in line for line in lines)
    assert not (tmp_path / "cache" / "models").exists()          # nothing was trained
    verdicts = json.loads(run("predict", path, "-e", "push-up", "--model", "builtin",
                              "--json").output)
    assert [v["faults"][0] for v in verdicts] == ["push-up/upper-body-first"] * 3
    result = run("predict", path, "--exercise", "bicep-curl")
    assert result.exit_code == 2 and "defines no fault standards" in result.output
    result = run("predict", path)
    assert result.exit_code == 2 and "--model" in result.output


def test_the_learned_builtin_model_stays_available_by_name(tmp_path):
    path = tmp_path / "pushups.npz"
    make_set("push-up", label="upper-body-first", n_reps=3, seed=5, severity=1.0).save(path)
    result = run("predict", path, "--exercise", "push-up", "--model", "builtin-learned")
    assert result.exit_code == 0, result.output
    lines = re.findall(r"rep +\d+ .*", result.output)  # progress bars share the stream
    assert len(lines) == 3 and all("push-up/upper-body-first" in line for line in lines)
    assert list((tmp_path / "cache" / "models").glob("push-up-synthetic-*.fcm"))
    result = run("predict", path, "--model", "builtin-learned")
    assert result.exit_code == 2 and "needs --exercise" in result.output
    result = run("predict", path, "--model", "no-such-model")
    assert result.exit_code == 2 and "neither a model file nor one of builtin" in result.output


@pytest.mark.video
def test_live_without_a_camera_is_a_clear_error():
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    result = run("live", "--camera", "7", "--exercise", "squat")
    assert result.exit_code == 2
    assert "camera 7: cannot be opened" in result.output


@pytest.mark.video
def test_extract_keeps_going_past_a_bad_file_and_reports_it(tmp_path):
    pytest.importorskip("cv2", reason="the video extra is not installed")
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is not a video")
    result = run("extract", bad, "-o", tmp_path / "poses")
    assert result.exit_code == 2
    assert "formcheck: error:" in result.output and "notes.mp4" in result.output
    assert not list((tmp_path / "poses").glob("*.npz"))


@pytest.fixture
def standing(tmp_path):
    """A keypoint file of someone standing still for several seconds (no rep)."""
    pose, [(first, _)] = make_set("squat", n_reps=1, seed=2, idle=4.0, return_bounds=True)
    path = tmp_path / "standing.npz"
    pose.slice(0, first).save(path)
    return path


def test_every_command_says_why_a_file_gave_no_rep(sets, standing, tmp_path):
    labels = tmp_path / "labels.csv"
    result = run("label", sets[0], standing, "-e", "squat", "-a", labels, "--label", "correct")
    assert result.exit_code == 0, result.output
    assert f"{standing}: no rep: the tracked person is not doing squat reps" in result.output
    assert "3 reps labelled" in result.output

    folder = tmp_path / "folders"
    for path in sets[:4]:
        label = "correct" if path.name.startswith("correct") else "not-low"
        (folder / label).mkdir(parents=True, exist_ok=True)
        (folder / label / path.name).write_bytes(path.read_bytes())
    (folder / "correct" / "standing.npz").write_bytes(standing.read_bytes())
    for command in (["train", folder, "-e", "squat", "-o", tmp_path / "m.fcm"],
                    ["evaluate", folder, "-e", "squat", "-c", "knn", "--folds", "2"]):
        result = run(*command)
        assert result.exit_code == 0, result.output
        lines = [line for line in result.stdout.splitlines() if "no rep" in line]
        assert len(lines) == 1 and lines[0].startswith(
            f"{folder / 'correct' / 'standing.npz'}: no rep, left out: the tracked person is "
            "not doing squat reps: their knee angle moves "), result.output

    result = run("predict", standing, "--model", tmp_path / "m.fcm")
    assert result.exit_code == 0
    assert result.output.startswith(f"{standing}: no rep: the tracked person is not doing squat")
    result = CliRunner().invoke(cli, ["predict", str(standing), "--model", str(tmp_path / "m.fcm"),
                                      "--json"])
    assert json.loads(result.stdout) == [] and "not doing squat reps" in result.stderr


def test_roi_is_checked_and_only_for_videos(standing):
    result = run("predict", standing, "--exercise", "squat", "--roi", "10,10,300")
    assert result.exit_code == 2 and "expected x,y,width,height" in result.output
    result = run("predict", standing, "--exercise", "squat", "--roi", "0,0,320,240")
    assert result.exit_code == 2 and "roi applies to videos only" in result.output


def test_predict_a_folder_checks_every_file_in_parallel_and_lists_failures(sets, tmp_path):
    folder = sets[0].parent
    (folder / "broken.npz").write_bytes(b"not numpy")
    serial = run("predict", folder, "--exercise", "squat", "--json")
    assert serial.exit_code == 2
    assert f"formcheck: error: {folder / 'broken.npz'}: cannot read" in serial.stderr
    verdicts = json.loads(serial.stdout)
    assert list(verdicts) == [str(p) for p in sorted(sets)]
    for path in sets:
        single = json.loads(run("predict", path, "--exercise", "squat", "--json").stdout)
        assert verdicts[str(path)] == single
    parallel = run("predict", folder, "--exercise", "squat", "--json", "--jobs", "2",
                   "--backend", "loky")
    assert json.loads(parallel.stdout) == verdicts
    table = run("predict", folder, "--exercise", "squat", "-j", "2")
    rows = [line for line in table.stdout.splitlines() if " rep " in line]
    assert len(rows) == 18 and all(line.startswith(str(folder)) for line in rows)


def test_a_scheduler_goes_with_the_dask_backend_only(sets):
    result = run("predict", sets[0].parent, "--exercise", "squat", "--backend", "loky",
                 "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2
    assert "--scheduler runs on Dask; it does not go with --backend loky" in result.output
