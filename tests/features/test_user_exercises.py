"""The user exercise file: faults and exercises added without code, found automatically."""

import json
import os

import pytest

from formcheck.errors import ExerciseError
from formcheck.features.exercises import (BUILTIN_FILE, add_fault, derive_exercise,
                                          exercise_names, get_exercise, register_exercise,
                                          user_exercise_file)

TRUNK = {"channel": "trunk_inclination", "phase": "bottom", "statistic": "value",
         "comparison": ">", "threshold": 30}


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    """A config directory of this test's own; returns it."""
    folder = tmp_path / "config"
    monkeypatch.setenv("FORMCHECK_CONFIG_DIR", str(folder))
    return folder


def test_the_user_file_lives_in_the_config_directory_the_variable_names(config):
    assert user_exercise_file() == config / "exercises.json"
    assert not user_exercise_file().exists()          # nothing written until something is added
    assert get_exercise("squat").source == str(BUILTIN_FILE)


def test_a_fault_added_is_written_checked_and_found_again(config):
    squat = add_fault("squat", "trunk-forward", "Trunk well forward at the bottom", TRUNK)
    assert squat.labels[-1] == "squat/trunk-forward"
    assert squat.labels[:4] == ["squat/correct", "squat/not-low", "squat/forward-lean",
                                "squat/knees-in"]
    standard = squat.standards["squat/trunk-forward"]
    assert standard.phase == "at the bottom" and standard.threshold == 30.0
    assert standard.sentence == "Trunk well forward at the bottom"   # the description by default
    written = json.loads(user_exercise_file().read_text())
    assert written["squat"]["classes"]["squat/trunk-forward"] == "Trunk well forward at the bottom"
    # found automatically, from the file, by a lookup that did not make it
    found = get_exercise("squat")
    assert found.source == str(user_exercise_file()) and found.labels == squat.labels


def test_the_file_is_read_again_when_someone_else_changes_it(config):
    add_fault("squat", "heels-up", "Heels leave the floor")
    spec = json.loads(user_exercise_file().read_text())
    spec["squat"]["classes"]["squat/heels-up"] = "Heels rise"
    user_exercise_file().write_text(json.dumps(spec) + " " * 3)
    assert get_exercise("squat").classes["squat/heels-up"] == "Heels rise"
    user_exercise_file().unlink()
    assert "squat/heels-up" not in get_exercise("squat").classes


def test_a_bad_standard_is_refused_and_leaves_the_file_as_it_was(config):
    add_fault("squat", "heels-up", "Heels leave the floor")
    before = user_exercise_file().read_bytes()
    with pytest.raises(ExerciseError, match=r"standards\['squat/knees-wide'\]: lacks phase"):
        add_fault("squat", "knees-wide", "Knees too wide", {"channel": "left_knee"})
    with pytest.raises(ExerciseError, match="names unknown|must name known channels"):
        add_fault("squat", "knees-wide", "Knees too wide", {**TRUNK, "channel": "left_wing"})
    assert user_exercise_file().read_bytes() == before
    assert sorted(os.listdir(user_exercise_file().parent)) == ["exercises.json"]  # no temp file


@pytest.mark.parametrize("fault,message", [
    ("knees in", "not a class name"), ("", "not a class name"),
    ("pull-up/knees-in", "names a class of 'pull-up', not of 'squat'")])
def test_a_fault_name_must_be_a_name_of_this_exercise(fault, message):
    with pytest.raises(ExerciseError, match=message):
        add_fault("squat", fault, "x")
    assert not user_exercise_file().exists()


def test_describing_an_existing_class_again_keeps_one_class():
    add_fault("squat", "knees-in", "Knees cave in, seen from the front")
    squat = get_exercise("squat")
    assert squat.labels.count("squat/knees-in") == 1
    assert squat.classes["squat/knees-in"] == "Knees cave in, seen from the front"
    assert "squat/knees-in" in squat.standards               # its standard is kept


def test_a_new_exercise_from_another_has_its_classes_renamed():
    goblet = derive_exercise("goblet-squat", "squat")
    squat = get_exercise("squat")
    assert goblet.labels == [label.replace("squat/", "goblet-squat/") for label in squat.labels]
    assert goblet.correct == "goblet-squat/correct"
    assert set(goblet.standards) == {f"goblet-squat/{f.split('/')[1]}" for f in squat.standards}
    assert goblet.channels == squat.channels and goblet.driving_channels == squat.driving_channels
    assert "goblet-squat" in exercise_names()
    assert add_fault("goblet-squat", "elbows-out", "Elbows flare").labels[-1] == \
        "goblet-squat/elbows-out"
    with pytest.raises(ExerciseError, match="already defined"):
        derive_exercise("goblet-squat", "squat")
    with pytest.raises(ExerciseError, match="not an exercise name"):
        derive_exercise("goblet squat", "squat")
    with pytest.raises(ExerciseError, match="unknown exercise 'no-such-exercise'"):
        derive_exercise("walking-lunge", "no-such-exercise")


def test_a_broken_user_file_is_an_error_naming_it(config):
    config.mkdir()
    user_exercise_file().write_text("{not json")
    with pytest.raises(ExerciseError, match="cannot read exercise definitions from .*\\.json"):
        get_exercise("squat")
    user_exercise_file().write_text(json.dumps({"squat": {"channels": ["left_knee"]}}))
    with pytest.raises(ExerciseError, match="exercise 'squat' in .*exercises.json lacks"):
        get_exercise("squat")


def test_the_user_file_comes_before_a_registered_definition():
    add_fault("squat", "heels-up", "Heels leave the floor")
    with pytest.raises(ExerciseError, match="already defined"):
        register_exercise("squat", get_exercise("squat").definition)
