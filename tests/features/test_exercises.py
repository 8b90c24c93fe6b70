"""Exercise definitions are data: built-ins, user files and their errors."""

import json

import pytest

from formcheck.errors import ExerciseError
from formcheck.features.exercises import exercise_names, get_exercise, load_exercises, register_exercise


def test_builtin_exercises():
    names = exercise_names()
    for name in ("squat", "pull-up", "push-up", "bicep-curl", "front-raise", "shoulder-press",
                 "shoulder-shrug"):
        assert name in names
    squat = get_exercise("squat")
    assert squat.labels[:2] == ["squat/correct", "squat/not-low"]
    assert squat.driving_channels == ("left_knee", "right_knee") and squat.phase == "min"
    assert squat.fallback_channels == ("hips_over_ankles",) and squat.fallback_min_prominence == 0.1
    assert get_exercise("push-up").fallback_channels == ()
    assert get_exercise("pull-up").faults == ["pull-up/chin-below-bar"]
    assert "push-up/upper-body-first" in get_exercise("push-up").labels


def test_user_exercise_from_a_json_file_needs_no_code(tmp_path, monkeypatch):
    spec = {"hip-thrust": {
        "channels": ["left_hip", "right_hip", "left_knee"],
        "driving": {"channels": ["left_hip", "right_hip"], "phase": "max"},
        "classes": {"hip-thrust/correct": "Full extension.", "hip-thrust/short": "Partial."},
        "correct": "hip-thrust/correct"}}
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(spec))
    assert load_exercises(path) == ["hip-thrust"]
    assert get_exercise("hip-thrust").phase == "max"
    spec2 = {"calf-raise": dict(spec["hip-thrust"], correct="calf-raise/correct",
                                classes={"calf-raise/correct": "", "calf-raise/low": ""})}
    path2 = tmp_path / "env.json"
    path2.write_text(json.dumps(spec2))
    monkeypatch.setenv("FORMCHECK_EXERCISES", str(path2))
    assert "calf-raise" in exercise_names()


@pytest.mark.parametrize("spec,message", [
    ({"channels": ["left_knee"], "driving": {"channels": ["left_knee"]}, "classes": {"a": ""}},
     "lacks correct"),
    ({"channels": ["left_wing"], "driving": {"channels": ["left_knee"]}, "classes": {"a": ""},
      "correct": "a"}, "unknown channels"),
    ({"channels": ["left_knee"], "driving": {"channels": ["left_knee"], "phase": "up"},
      "classes": {"a": ""}, "correct": "a"}, "phase"),
    ({"channels": ["left_knee"], "driving": {"channels": ["left_knee"]}, "classes": {"a": ""},
      "correct": "b"}, "correct class"),
    ({"channels": ["left_knee"], "driving": {"channels": ["left_knee"],
                                             "fallback": {"channels": ["hips_over_ankles"]}},
      "classes": {"a": ""}, "correct": "a"}, "must be among the exercise's channels"),
    ({"channels": ["left_knee"], "driving": {"channels": ["left_knee"], "fallback": {}},
      "classes": {"a": ""}, "correct": "a"}, "fallback must be an object like"),
    ({"channels": ["left_knee"], "driving": {"channels": ["left_knee"],
                                             "fallback": ["left_knee"]},
      "classes": {"a": ""}, "correct": "a"}, "fallback must be an object like"),
    ({"channels": ["left_knee"], "driving": {"channels": ["left_knee"],
                                             "fallback": {"channels": "left_knee"}},
      "classes": {"a": ""}, "correct": "a"}, "fallback must be an object like"),
    ({"channels": ["left_knee"], "driving": {"channels": ["left_knee"], "fallback": {
        "channels": ["left_knee"], "min_prominence": "x"}},
      "classes": {"a": ""}, "correct": "a"}, "fallback must be an object like"),
    ({"channels": ["left_knee"], "driving": {"channels": ["left_knee"],
                                             "fallback": {"channels": ["tail"]}},
      "classes": {"a": ""}, "correct": "a"}, "unknown channels"),
])
def test_invalid_definitions(spec, message):
    with pytest.raises(ExerciseError, match=message):
        register_exercise("broken", spec, overwrite=True)


def test_unknown_and_duplicate():
    with pytest.raises(ExerciseError, match="unknown exercise 'yoga'.*squat"):
        get_exercise("yoga")
    with pytest.raises(ExerciseError, match="already defined"):
        register_exercise("squat", {})
    with pytest.raises(ExerciseError, match="cannot read"):
        load_exercises("/nonexistent/exercises.json")
