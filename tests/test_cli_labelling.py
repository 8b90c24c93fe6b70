"""Labelling your own faults from the command line: classes, suggestions, order, bounds, hand-off."""

import csv
import json

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


@pytest.fixture
def sets(tmp_path):
    """Six squat keypoint files of three reps: three correct sets and three shallow ones."""
    folder = tmp_path / "sets"
    folder.mkdir()
    files = []
    for seed in range(6):
        label = "correct" if seed % 2 == 0 else "not-low"
        path = folder / f"{label}-{seed}.npz"
        make_set("squat", label=label, n_reps=3, seed=seed, severity=1.0).save(path)
        files.append(path)
    return files


# -- 1. your own classes ------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["exercise"], ["exercise", "list"],
                                     ["exercise", "add-fault"], ["exercise", "new"]])
def test_exercise_help_shows_an_example(command):
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Example:" in result.output


def test_exercise_add_fault_new_and_list(tmp_path):
    result = run("exercise", "add-fault", "squat", "heels-up", "Heels leave the floor")
    assert result.exit_code == 0, result.output
    assert "added squat/heels-up in squat" in result.output and "key 5 when labelling" in result.output
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
    assert "[5] squat/heels-up: Heels leave the floor" in details
    assert "[6] squat/trunk-forward: Trunk forward" in details
    assert "standard: value of trunk_inclination at the bottom > 30" in details


@pytest.mark.parametrize("args,message", [
    (["add-fault", "squat", "heels up", "x"], "'heels up' is not a class name"),
    (["add-fault", "lunge", "deep", "x"], "unknown exercise 'lunge'"),
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
