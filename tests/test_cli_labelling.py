"""Labelling your own faults from the CLI: classes, suggestions, order, bounds, hand-off."""

import csv
import json
import re

import pytest
from click.testing import CliRunner

from formcheck.cli import cli
from formcheck.datasets.synthetic import make_set
from formcheck.features.exercises import get_exercise, user_exercise_file


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("FORMCHECK_CONFIG_DIR", str(tmp_path / "config"))


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def read_labels(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# -- 1. your own classes ------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["exercise"], ["exercise", "list"],
                                     ["exercise", "add-fault"], ["exercise", "new"]])
def test_exercise_help_shows_an_example(command):
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Example:" in result.output


def test_exercise_add_fault_new_and_list(tmp_path):
    result = run("exercise", "add-fault", "squat", "heels-up", "Heels leave the floor")
    assert result.exit_code == 0, result.output
    assert "added squat/heels-up to squat" in result.output
    assert "key 5 when labelling" in result.output
    again = run("exercise", "add-fault", "squat", "heels-up", "Heels rise off the floor")
    assert "described squat/heels-up in squat" in again.output
    assert str(tmp_path / "config" / "exercises.json") in result.output
    result = run("exercise", "add-fault", "squat", "trunk-forward", "Trunk forward",
                 "--standard", json.dumps({"channel": "trunk_inclination", "phase": "bottom",
                                           "statistic": "value", "comparison": ">",
                                           "threshold": 30}))
    assert result.exit_code == 0, result.output
    result = run("exercise", "new", "goblet-squat", "--from", "squat")
    assert result.exit_code == 0 and "goblet-squat/heels-up" in result.output
    listing = run("exercise", "list").output
    assert "squat (user file): squat/correct, squat/not-low" in listing
    assert "pull-up (built-in): pull-up/correct" in listing
    assert "goblet-squat (user file): goblet-squat/correct" in listing
    details = run("exercise", "list", "squat").output
    assert "[5] squat/heels-up: Heels rise off the floor" in details
    assert "[6] squat/trunk-forward: Trunk forward" in details
    assert "standard: value of trunk_inclination at the bottom > 30" in details


@pytest.mark.parametrize("args,message", [
    (["add-fault", "squat", "heels up", "x"], "'heels up' is not a class name"),
    (["add-fault", "no-such-exercise", "deep", "x"], "unknown exercise 'no-such-exercise'"),
    (["add-fault", "squat", "x", "y", "--standard", "[1"], "--standard: not JSON"),
    (["add-fault", "squat", "x", "y", "--standard", "[1]"], "expected a JSON object"),
    (["add-fault", "squat", "x", "y", "--standard", '{"channel": "trunk_inclination"}'],
     "standards['squat/x']: lacks phase"),
    (["new", "squat", "--from", "squat"], "exercise 'squat' is already defined"),
])
def test_exercise_errors_are_one_line(args, message):
    result = run("exercise", *args)
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not user_exercise_file().exists()


# -- 5. hand-off to training ---------------------------------------------------------------------

def test_train_warns_of_classes_with_too_few_reps_or_recordings(sets, tmp_path):
    labels = tmp_path / "labels.csv"
    for path in sets[:4]:
        label = "correct" if path.name.startswith("correct") else "not-low"
        assert run("label", path, "-e", "squat", "-a", labels, "--label", label).exit_code == 0
    result = CliRunner().invoke(
        cli, ["train", str(labels), "-e", "squat", "-c", "knn", "-o", str(tmp_path / "m.fcm")])
    assert result.exit_code == 0, result.output
    # correct: 2 files x 3 reps; not-low: 2 files x 3 reps (the count is read from the CSV)
    rows = read_labels(labels)
    for label in ("squat/correct", "squat/not-low"):
        reps = sum(r["label"] == label for r in rows)
        files = len({r["file"] for r in rows if r["label"] == label})
        assert (f"formcheck: warning: {label}: {reps} reps from {files} recordings; label "
                f"{10 - reps} more reps, from {5 - files} more recordings (5-fold grouped "
                "cross-validation needs each class in 5 recordings)") in result.stderr
    assert "warning" not in result.stdout and "trained on" in result.stdout
    result = CliRunner().invoke(
        cli, ["train", str(labels), "-e", "squat", "-c", "knn", "--folds", "2",
              "-o", str(tmp_path / "m.fcm")])
    assert "recordings (" not in result.stderr and "4 more reps" in result.stderr


# -- 1. a class of your own, labelled, trained on and predicted -----------------------------------

def answers_of(path):
    return [(r["label"], r["answer"]) for r in read_labels(path)]


def test_a_new_fault_class_is_labelled_trained_on_and_predicted(sets, tmp_path):
    labels = tmp_path / "labels.csv"
    result = run("exercise", "add-fault", "squat", "too-shallow", "Hips stop well above the knees")
    assert result.exit_code == 0, result.output
    for path in sets:
        keys = "111\n" if path.name.startswith("correct") else "222\n"
        result = run("label", path, "-e", "squat", "-a", labels,
                     "--classes", "correct,too-shallow", input=keys)
        assert result.exit_code == 0, result.output
        assert "[1] squat/correct  [2] squat/too-shallow  [ ] move" in result.output
    rows = read_labels(labels)
    assert {r["label"] for r in rows} == {"squat/correct", "squat/too-shallow"}
    assert {r["answer"] for r in rows} == {"typed"} and len(rows) == 18
    model = tmp_path / "mine.fcm"
    result = run("train", labels, "-e", "squat", "-c", "learned", "--folds", "3", "-o", model)
    assert result.exit_code == 0 and "'squat/too-shallow'" in result.output
    held_out = tmp_path / "held-out.npz"
    make_set("squat", label="not-low", n_reps=2, seed=99, severity=1.0).save(held_out)
    verdicts = json.loads(run("predict", held_out, "--model", model, "--json").output)
    assert [v["label"] for v in verdicts] == ["squat/too-shallow"] * 2, verdicts
    # a typo in --label is an error listing the classes, the new one among them
    result = run("label", held_out, "-e", "squat", "-a", labels, "--label", "too-shalow")
    assert result.exit_code == 2 and "squat/too-shallow" in result.output
    # the model suggests the new class, and one key accepts it
    result = run("label", held_out, "-e", "squat", "-a", labels, "--suggest", model, input="aa\n")
    assert result.exit_code == 0 and "suggestion: squat/too-shallow" in result.output
    accepted = [r for r in read_labels(labels) if r["file"].endswith("held-out.npz")]
    assert [(r["label"], r["answer"]) for r in accepted] == [("squat/too-shallow", "accepted")] * 2
    assert all(r["suggestion"].startswith("squat/too-shallow (") for r in accepted)


def test_classes_the_exercise_lacks_are_added_by_label(sets, tmp_path):
    labels = tmp_path / "labels.csv"
    result = run("label", sets[0], "-e", "squat", "-a", labels,
                 "--classes", "correct,knees-in,heels-up", input="13s\n")
    assert result.exit_code == 0, result.output
    assert "added squat/heels-up to squat" in result.output
    assert "added squat/knees-in" not in result.output          # a built-in class
    assert "[1] squat/correct  [2] squat/knees-in  [3] squat/heels-up" in result.output
    assert [r["label"] for r in read_labels(labels)] == ["squat/correct", "squat/heels-up", ""]
    assert "squat/heels-up" in get_exercise("squat").classes


# -- 2. suggestions and the uncertain first ------------------------------------------------------

def test_suggestions_by_the_standards_are_shown_and_one_key_accepts_them(sets, tmp_path):
    labels = tmp_path / "labels.csv"
    shallow = next(path for path in sets if path.name.startswith("not-low"))
    result = run("label", shallow, "-e", "squat", "-a", labels, "--suggest", "standards",
                 input="a2a\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("suggestion: squat/not-low (") == 3
    assert "[a] accept" in result.output
    rows = read_labels(labels)
    assert [(r["label"], r["answer"]) for r in rows] == [
        ("squat/not-low", "accepted"), ("squat/not-low", "typed"), ("squat/not-low", "accepted")]
    assert all(re.fullmatch(r"squat/not-low \(\d+%\)", r["suggestion"]) for r in rows)


def test_uncertain_order_asks_the_least_probable_first(tmp_path):
    from formcheck.check import FormChecker, builtin_model
    from formcheck.pose import load_pose

    files = []
    for seed in range(4):       # severities drawn per set: the standards unsure to varied degrees
        path = tmp_path / f"set{seed}.npz"
        label = "not-low" if seed % 2 else "correct"
        make_set("squat", label=label, n_reps=2, seed=seed).save(path)
        files.append(path)
    labels = tmp_path / "labels.csv"
    result = run("label", *files, "-e", "squat", "-a", labels, "--suggest", "standards",
                 "--order", "uncertain", input="s" * 8 + "\n")
    assert result.exit_code == 0, result.output
    asked = re.findall(r"^(set\d\.npz) rep (\d):", result.output, re.M)
    model = builtin_model("squat")
    checker = FormChecker(model)
    probability = {}
    for path in files:
        _, reps = checker.cut_recording(load_pose(path))
        proba = model.predict_proba([rep.angles.select(model.channels_) for rep in reps])
        for rep, p in zip(reps, proba):
            probability[path.name, str(rep.index + 1)] = p.max()
    assert sorted(asked) == sorted(probability)
    assert [probability[key] for key in asked] == sorted(probability.values())
    assert len(set(probability.values())) > 2         # an order to check, not ties


@pytest.mark.parametrize("args,message", [
    (["--order", "uncertain"], "--order uncertain needs --suggest"),
    (["--suggest", "no-such.fcm"], "neither a model file nor 'standards'"),
])
def test_suggestion_options_are_checked(sets, tmp_path, args, message):
    result = run("label", sets[0], "-e", "squat", "-a", tmp_path / "labels.csv", *args)
    assert result.exit_code == 2 and message in result.output


# -- 3. reps you can correct ---------------------------------------------------------------------

@pytest.fixture
def standing(tmp_path):
    """A keypoint file of someone standing: no rep in it."""
    pose, [(first, _)] = make_set("squat", n_reps=1, seed=2, idle=4.0, return_bounds=True)
    path = tmp_path / "standing.npz"
    pose.slice(0, first).save(path)
    return path


def test_a_file_with_no_rep_is_reported_and_can_be_labelled_as_one_rep(standing, tmp_path):
    from formcheck.datasets.rep_dataset import RepDataset
    from formcheck.pose import load_pose

    labels = tmp_path / "labels.csv"
    result = run("label", standing, "-e", "squat", "-a", labels, input="1\n")
    assert f"{standing}: no rep: " in result.output and "--whole-files" in result.output
    assert "0 of 0 reps to label" in result.output
    result = run("label", standing, "-e", "squat", "-a", labels, "--whole-files", input="1\n")
    assert result.exit_code == 0, result.output
    assert "offered as one rep, the whole recording" in result.output
    assert "standing.npz the whole recording as one rep (no rep found: " in result.output
    [row] = read_labels(labels)
    n_frames = load_pose(standing).n_frames
    assert (row["start"], row["end"], row["label"]) == ("0", str(n_frames), "squat/correct")
    reps = RepDataset.from_annotations(labels, "squat")
    assert len(reps) == 1 and len(reps.reps[0]) == n_frames


def test_a_reps_bounds_nudged_are_stored_and_not_asked_again(sets, tmp_path):
    from formcheck.apps.labelling import reps_to_label
    from formcheck.features.exercises import get_exercise as exercise_of
    from formcheck.pose import load_pose

    labels = tmp_path / "labels.csv"
    [first, *_] = reps_to_label(sets[0], load_pose(sets[0]), exercise_of("squat"), tmp_path)
    step = round(0.1 * first.fps)
    result = run("label", sets[0], "-e", "squat", "-a", labels, input="]]<1q\n")
    assert result.exit_code == 0, result.output
    [row] = read_labels(labels)
    assert (int(row["start"]), int(row["end"])) == (first.start + 2 * step, first.end - step)
    assert f"{(first.start + 2 * step) / first.fps:.1f}-" in result.output
    again = run("label", sets[0], "-e", "squat", "-a", labels, input="q\n")
    assert "2 of 3 reps to label" in again.output
    # undo forgets the nudged row
    run("label", sets[0], "-e", "squat", "-a", labels, input="2u\n")
    assert len(read_labels(labels)) == 1


# -- 4. scriptable -------------------------------------------------------------------------------

def test_summary_counts_per_class_and_file_and_says_what_training_lacks(sets, tmp_path):
    labels = tmp_path / "labels.csv"
    run("label", sets[0], "-e", "squat", "-a", labels, "--label", "correct")
    run("label", sets[1], "-e", "squat", "-a", labels, input="2s2\n")
    result = run("label", "--summary", "-a", labels, "-e", "squat")
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{labels}: 5 reps labelled, 1 skipped, in 2 files" in out
    assert re.search(r"squat/correct\s+3 reps\s+1 file\s+\(3 given\)", out)
    assert re.search(r"squat/not-low\s+2 reps\s+1 file\s+\(2 typed\)", out)
    assert f"sets/{sets[1].name}: skipped 1, squat/not-low 2" in out
    assert "squat/not-low: 2 reps from 1 recording; label 8 more reps" in out
    with open(labels, "a", newline="") as handle:
        handle.write("sets/other.npz,0,9,squat/banana,,\r\n")
    assert re.search(r"squat/banana\s+1 rep\s+1 file\s+not a class of squat", run(
        "label", "--summary", "-a", labels, "-e", "squat").output)
    result = run("label", "--summary", "-a", tmp_path / "none.csv")
    assert result.exit_code == 2 and "no such annotation CSV" in result.output


# -- the whole loop on the shared squat videos ---------------------------------------------------

@pytest.mark.slow
@pytest.mark.video
def test_the_fault_of_squat_incorrect_002_as_a_class_of_its_own(shared_datasets, tmp_path):
    """squats/truth.csv: its hips reach knee level, and the trunk is about 35 degrees from
    vertical at the bottom; the source names no fault and no built-in class fits it."""
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    videos = shared_datasets / "squats" / "videos"
    faulty = videos / "incorrect" / "squat_incorrect_002.mp4"
    correct = sorted((videos / "correct").glob("*.mp4"))
    labels = tmp_path / "labels.csv"
    result = run("exercise", "add-fault", "squat", "trunk-forward",
                 "Trunk about 35 degrees from vertical at the bottom")
    assert result.exit_code == 0, result.output
    # the correct videos: every rep found is correct; the two with no complete rep are named
    result = run("label", *correct, "-e", "squat", "-a", labels, "--label", "correct")
    assert result.exit_code == 0, result.output
    assert "3 reps labelled 'correct'" in result.output
    for name in ("squat_correct_003", "squat_correct_005"):
        assert re.search(rf"{name}\.mp4: no rep: .*--whole-files", result.output)
    # the faulty one, with the standards' suggestion shown and not taken: key 2 is the new class
    result = run("label", faulty, "-e", "squat", "-a", labels, "--classes",
                 "correct,trunk-forward", "--suggest", "standards", input="2\n")
    assert result.exit_code == 0, result.output
    assert "suggestion: squat/" in result.output
    rows = read_labels(labels)
    assert [(r["label"], r["answer"]) for r in rows if "incorrect" in r["file"]] == [
        ("squat/trunk-forward", "typed")]
    summary = run("label", "--summary", "-a", labels, "-e", "squat").output
    assert re.search(r"squat/trunk-forward\s+1 rep\s+1 file\s", summary)
    result = run("train", labels, "-e", "squat", "-c", "knn", "-o", tmp_path / "mine.fcm")
    assert result.exit_code == 0, result.output
    assert "squat/trunk-forward: 1 rep from 1 recording; label 9 more reps" in result.output
    verdicts = {video.stem: json.loads(run("predict", video, "--model", tmp_path / "mine.fcm",
                                           "--json").stdout)
                for video in [faulty, *correct]}
    # predicted on the reps it was trained on (no other video shows this fault): the loop
    # works end to end; how well it generalises needs more recordings, as the warning says
    assert [v["label"] for v in verdicts["squat_incorrect_002"]] == ["squat/trunk-forward"]
    for name in ("squat_correct_004", "squat_correct_006", "squat_correct_007"):
        assert [v["label"] for v in verdicts[name]] == ["squat/correct"]


def test_a_typo_in_a_csv_label_is_an_error_listing_the_classes(sets, tmp_path):
    run("exercise", "add-fault", "squat", "too-shallow", "Hips stop well above the knees")
    labels = tmp_path / "labels.csv"
    labels.write_text(f"file,start,end,label\nsets/{sets[0].name},0,40,squat/too-shalow\n")
    result = run("train", labels, "-e", "squat", "-o", tmp_path / "m.fcm")
    assert result.exit_code == 2
    assert "'squat/too-shalow' is not a class of squat" in result.output
    assert "squat/too-shallow" in result.output and "formcheck exercise add-fault" in result.output


def test_the_readme_loop_names_only_commands_and_options_that_exist():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = re.search(r"## Labelling your own faults.*?```sh\n(.*?)```", readme, re.S).group(1)
    lines = block.replace("\\\n", " ").splitlines()
    assert len(lines) >= 8
    for line in lines:
        words = line.split("#")[0].split()
        assert words[0] == "formcheck"
        command = cli.commands[words[1]]
        if words[1] == "exercise":
            command = command.commands[words[2]]
        known = {opt for param in command.params for opt in param.opts}
        assert {w for w in words if w.startswith("--")} <= known, line
    for step in ("add-fault", "--suggest", "train", "evaluate", "predict"):
        assert step in block
