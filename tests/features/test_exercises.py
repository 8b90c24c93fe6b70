"""Exercise definitions are data: built-ins, user files and their errors."""

import json

import pytest

from formcheck.errors import ExerciseError
from formcheck.features.exercises import (Posture, exercise_names, get_exercise, load_exercises,
                                          register_exercise)


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
    assert get_exercise("pull-up").faults == ["pull-up/chin-below-bar", "pull-up/no-full-hang"]
    assert "push-up/upper-body-first" in get_exercise("push-up").labels


@pytest.mark.parametrize("name", exercise_names())
def test_every_channel_is_listed_once(name):
    """Several standards may read one channel (push-up: body_line_bend for sag and pike);
    listed twice, it would weigh double in the DTW distance and the learned features."""
    channels = get_exercise(name).channels
    assert len(set(channels)) == len(channels), channels


@pytest.mark.parametrize("exercise,faults", [
    ("squat", {"squat/not-low", "squat/forward-lean", "squat/knees-in"}),
    ("pull-up", {"pull-up/chin-below-bar", "pull-up/no-full-hang"}),
    ("push-up", {"push-up/hips-sag", "push-up/hips-pike", "push-up/not-low",
                 "push-up/upper-body-first"}),
])
def test_builtin_faults_carry_standards_with_a_source(exercise, faults):
    definition = get_exercise(exercise)
    assert set(definition.standards) == faults <= set(definition.faults)
    for standard in definition.standards.values():
        assert standard.source and set(standard.channels_read) <= set(definition.channels)
        assert standard.phase in definition.phases + (definition.rest,)


def test_the_depth_standard_is_hips_at_knee_height_at_the_bottom():
    not_low = get_exercise("squat").standards["squat/not-low"]
    assert (not_low.channels, not_low.phase, not_low.statistic) == (
        ("hips_over_knees",), "at the bottom", "min")
    assert not_low.is_broken_by(0.01) and not not_low.is_broken_by(-0.01)
    assert not_low.margin(0.12) == pytest.approx(0.12)
    chin = get_exercise("pull-up").standards["pull-up/chin-below-bar"]
    assert chin.phase == "at the top" and chin.is_broken_by(-0.01) and not chin.is_broken_by(0.01)


def standard_file(tmp_path, **changes):
    """A user exercise file whose one fault carries a standard, with some fields changed."""
    standard = {"channel": "left_hip", "phase": "top", "statistic": "min", "comparison": "<",
                "threshold": 170, "sentence": "hips opened only to {value} at the top"}
    standard.update(changes)
    spec = {"hip-thrust": {
        "channels": ["left_knee"],
        "driving": {"channels": ["left_hip", "right_hip"], "phase": "max"},
        "classes": {"hip-thrust/correct": "Full extension.", "hip-thrust/short": "Partial."},
        "correct": "hip-thrust/correct",
        "phases": ["on the way up", "at the top", "on the way down"],
        "standards": {"hip-thrust/short": {k: v for k, v in standard.items() if v is not None}}}}
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(spec))
    return path


def test_a_user_standard_needs_no_code(tmp_path):
    load_exercises(standard_file(tmp_path))
    definition = get_exercise("hip-thrust")
    short = definition.standards["hip-thrust/short"]
    assert short.phase == "at the top" and short.threshold == 170.0   # "top" names "at the top"
    assert definition.channels == ("left_knee", "left_hip")  # the standard's channel joins
    assert short.is_broken_by(150) and not short.is_broken_by(175)


@pytest.mark.parametrize("changes,field,message", [
    ({"channel": "hip_hight"}, "channel", "must name known channels, got 'hip_hight'"),
    ({"channel": ["left_hip", 3]}, "channel", "must name known channels"),
    ({"phase": "at the bottom"}, "phase", "is not a phase of this exercise"),
    ({"phase": "halfway"}, "phase", "'at the top'"),
    ({"threshold": "170"}, "threshold", "must be a number in the channel's unit, got '170'"),
    ({"threshold": True}, "threshold", "must be a number"),
    ({"threshold": None}, "", "lacks threshold"),
    ({"noise": -1}, "noise", "must be a positive number"),
    ({"statistic": "median"}, "statistic", "must be one of min, max"),
    ({"comparison": ">="}, "comparison", "must be one of >, <"),
    ({"sentence": "hips at {angle}"}, "sentence", "placeholders: {value}"),
    ({"treshold": 3}, "", "unknown fields ['treshold']"),
    ({"applies": {"channel": "ankle_width", "comparison": ">"}}, "applies", "exactly channel"),
    ({"applies": {"channel": "wings", "comparison": ">", "threshold": 1}}, "applies.channel",
     "known channels"),
])
def test_a_bad_standard_is_refused_with_the_file_and_field_named(tmp_path, changes, field,
                                                                 message):
    path = standard_file(tmp_path, **changes)
    with pytest.raises(ExerciseError) as error:
        load_exercises(path)
    text = str(error.value)
    assert str(path) in text and "standards['hip-thrust/short']" in text and message in text
    if field:
        assert f"standards['hip-thrust/short'].{field}" in text


@pytest.mark.parametrize("posture,message", [
    ({"planted": "mid_foot", "moving": "mid_hip"}, "posture.planted must name a joint, e.g. "
     "mid_ankle, got 'mid_foot'"),
    ({"planted": "mid_ankle"}, "posture: planted and moves need moving"),
    ({"moving": "mid_hip", "moves": "sideways"}, "posture.moves must be one of down, up"),
    ({"upright": "yes"}, "posture.upright must be true or false, got 'yes'"),
    ({"upright": True, "still": "mid_ankle"}, "posture must be an object with any of planted, "
     "moving, moves, upright"),
    (["mid_ankle"], "posture must be an object"),
])
def test_a_bad_posture_is_refused_with_the_file_and_field_named(tmp_path, posture, message):
    path = standard_file(tmp_path)
    spec = json.loads(path.read_text())
    spec["hip-thrust"]["posture"] = posture
    path.write_text(json.dumps(spec))
    with pytest.raises(ExerciseError) as error:
        load_exercises(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_a_posture_is_read_from_the_definition(tmp_path):
    path = standard_file(tmp_path)
    spec = json.loads(path.read_text())
    spec["hip-thrust"]["posture"] = {"planted": "mid_shoulder", "moving": "mid_hip"}
    path.write_text(json.dumps(spec))
    load_exercises(path)
    assert get_exercise("hip-thrust").posture == Posture("mid_shoulder", "mid_hip", None, False)
    assert get_exercise("squat").posture == Posture("mid_ankle", "mid_hip", "down", True)


def test_a_standard_must_belong_to_a_fault_class(tmp_path):
    path = standard_file(tmp_path)
    spec = json.loads(path.read_text())
    spec["hip-thrust"]["standards"] = {"hip-thrust/correct": {}}
    path.write_text(json.dumps(spec))
    with pytest.raises(ExerciseError, match="not one of the exercise's fault classes"):
        load_exercises(path)


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
    ({"channels": ["left_knee"], "driving": {"channels": ["left_knee"]}, "classes": {"a": ""},
      "correct": "a", "classifier_settings": {"svm": {"C": 1}}}, "names 'svm'; use knn, learned"),
    ({"channels": ["left_knee"], "driving": {"channels": ["left_knee"]}, "classes": {"a": ""},
      "correct": "a", "classifier_settings": {"knn": {"window": [0.1]}}},
     r"classifier_settings\['knn'\] must be an object of parameter -> number"),
    ({"channels": ["left_knee"], "driving": {"channels": ["left_knee"]}, "classes": {"a": ""},
      "correct": "a", "classifier_settings": [64]}, "must be an object of classifier kind"),
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


@pytest.mark.parametrize("name", ["squat", "pull-up", "push-up"])
def test_channels_read_by_several_standards_are_computed_once(name):
    channels = get_exercise(name).channels
    assert len(channels) == len(set(channels))
