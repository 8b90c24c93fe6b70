"""Rep segmentation on hand-built driving signals (synthetic bodies: test_synthetic.py), cutting
a recording into reps, and the rep counts of the shared real videos."""

import csv
import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formcheck import AngleSeries, PoseSequence, joint_angles, segment_reps
from formcheck.datasets.synthetic import make_set
from formcheck.errors import ChannelMismatchError, ExerciseError
from formcheck.reps import NOT_PERFORMING, cut_recording, no_rep_reason

FPS = 30.0
REST, BOTTOM = 170.0, 80.0


def dip(seconds, depth=BOTTOM, rest=REST):
    t = np.linspace(0, 2 * np.pi, int(seconds * FPS))
    return rest - (rest - depth) * (1 - np.cos(t)) / 2


def knee_series(signal, seed=0, noise=0.0):
    rng = np.random.default_rng(seed)
    signal = np.asarray(signal) + rng.normal(0, noise, len(signal)) if noise else signal
    return AngleSeries(np.column_stack([signal, signal]), ["left_knee", "right_knee"], FPS)


def idle(seconds, level=REST):
    return np.full(int(seconds * FPS), level)


@settings(max_examples=40, deadline=None)
@given(n_reps=st.integers(1, 12), seed=st.integers(0, 10_000))
def test_counts_reps_with_idle_stretches_and_noise(n_reps, seed):
    rng = np.random.default_rng(seed)
    parts = [idle(rng.uniform(0.3, 2))]
    for _ in range(n_reps):
        parts += [dip(rng.uniform(1.2, 3.5), depth=rng.uniform(60, 100)), idle(rng.uniform(0, 1.5))]
    reps = segment_reps(knee_series(np.concatenate(parts), seed, noise=2.0), "squat")
    assert len(reps) == n_reps
    assert all(r.end <= s.start for r, s in zip(reps, reps[1:]))
    assert [r.index for r in reps] == list(range(n_reps))


def test_rep_bounds_enclose_the_movement():
    signal = np.concatenate([idle(1), dip(2), idle(1)])
    (rep,) = segment_reps(knee_series(signal), "squat")
    assert 25 <= rep.start <= 36 and 84 <= rep.end <= 96
    assert rep.angles["left_knee"].min() == pytest.approx(BOTTOM, abs=1)
    assert rep.start_time == rep.start / FPS and rep.duration == pytest.approx(rep.n_frames / FPS)


def test_partial_reps_at_the_edges_are_left_out():
    full = dip(2)
    signal = np.concatenate([full[25:], idle(0.5), full, idle(0.5), full, full[:35]])
    reps = segment_reps(knee_series(signal), "squat")
    assert len(reps) == 2


def test_small_wobbles_and_no_movement_give_no_reps():
    assert segment_reps(knee_series(idle(5)), "squat") == []
    assert segment_reps(knee_series(np.concatenate([idle(1), dip(1.5, depth=155), idle(1)])),
                        "squat") == []


def test_a_one_off_movement_unlike_the_set_is_not_a_rep():
    # three deep reps then a shallow, quick bob (stepping away): not a fourth rep
    signal = np.concatenate([idle(1), dip(2), dip(2), dip(2), idle(1), dip(0.7, depth=125),
                             idle(1)])
    assert len(segment_reps(knee_series(signal), "squat")) == 3


def test_a_shallow_rep_among_deep_ones_is_a_rep():
    # the fault a form checker must see: half the depth of the others, but a whole rep
    signal = np.concatenate([idle(1), dip(2), dip(2), dip(1.8, depth=125), dip(2), idle(1)])
    reps = segment_reps(knee_series(signal, noise=1.0), "squat")
    assert len(reps) == 4 and reps[2].angles["left_knee"].min() > 115


def test_a_one_way_movement_at_the_end_is_not_a_rep():
    # two reps, then down by half the depth and not back (stepping off, dropping from the bar)
    half_down = dip(2, depth=125)[:30]
    signal = np.concatenate([idle(1), dip(2), dip(2), idle(0.5), half_down,
                             idle(1, level=half_down[-1])])
    assert len(segment_reps(knee_series(signal), "squat")) == 2


def test_phase_max_exercise_counts_rises():
    rise = 2 * REST - dip(2.0, depth=BOTTOM)  # shoulder angle going up and back
    signal = np.concatenate([idle(1, 20), rise - 150, idle(1, 20), rise - 150, idle(1, 20)])
    series = AngleSeries(np.column_stack([signal, signal]), ["left_shoulder", "right_shoulder"],
                         FPS)
    assert len(segment_reps(series, "front-raise")) == 2


def test_errors():
    series = AngleSeries(np.zeros((10, 1)), ["left_elbow"], FPS)
    with pytest.raises(ChannelMismatchError, match="needs channels"):
        segment_reps(series, "squat")
    with pytest.raises(ExerciseError, match="unknown exercise 'burpee'"):
        segment_reps(series, "burpee")


def test_cut_recording_is_joint_angles_with_the_settings_then_segmentation():
    pose = make_set("squat", n_reps=3, seed=1)
    angles, reps = cut_recording(pose, "squat", smooth=0.3, target_fps=15)
    expected = joint_angles(pose, "squat", smooth=0.3, target_fps=15)
    assert angles.fps == 15.0 and angles.channels == expected.channels
    np.testing.assert_array_equal(np.asarray(angles), np.asarray(expected))
    assert [(r.start, r.end) for r in reps] == [
        (r.start, r.end) for r in segment_reps(expected, "squat")]
    assert len(reps) == 3
    knees, _ = cut_recording(pose, "squat", channels=["left_knee", "right_knee"])
    assert knees.channels == ("left_knee", "right_knee")


def test_fast_reps_count_when_the_whole_set_is_fast():
    # real fast squats take 0.53-0.57 s; a fixed 0.6 s minimum dropped them
    signal = np.concatenate([idle(0.5), dip(0.55, depth=40), idle(0.3), dip(0.55, depth=45),
                             idle(0.5)])
    assert len(segment_reps(knee_series(signal), "squat")) == 2
    (rep,) = segment_reps(knee_series(np.concatenate([idle(0.5), dip(0.6, 30), idle(0.5)])),
                          "squat")
    assert rep.duration < 0.6


def test_durations_are_judged_against_the_sets_own_reps():
    # a twitch a third as long as the set's reps is not one of them, a deep one of 0.2 s no rep
    slow = [dip(2.4), idle(0.3)]
    signal = np.concatenate([idle(1), *slow, *slow, dip(0.45, depth=90), idle(0.3), *slow])
    reps = segment_reps(knee_series(signal), "squat")
    assert len(reps) == 3 and min(rep.duration for rep in reps) > 1.5
    quick = knee_series(np.concatenate([idle(1), dip(0.2), idle(1)]))
    assert segment_reps(quick, "squat", smooth=0) == []
    assert "is too quick for a rep (0.20 s < 0.4 s)" in no_rep_reason(quick, "squat", smooth=0)


def test_a_rep_cut_by_the_end_or_the_start_of_the_recording_is_not_counted():
    full = dip(2)
    ends_on_the_way_up = np.concatenate([idle(0.5), full[:48]])      # 75% of the way back up
    assert segment_reps(knee_series(ends_on_the_way_up), "squat") == []
    assert no_rep_reason(knee_series(ends_on_the_way_up), "squat").endswith(
        "is only partly filmed (the recording ends on the way up)")
    starts_on_the_way_down = np.concatenate([full[14:], idle(0.5)])
    assert "the recording starts on the way down" in no_rep_reason(
        knee_series(starts_on_the_way_down), "squat")
    starts_at_the_bottom = np.concatenate([full[30:], idle(0.5)])
    assert no_rep_reason(knee_series(starts_at_the_bottom), "squat") == (
        "only partly filmed: the recording starts at the bottom")
    # back at rest on the very last frame: whole
    assert len(segment_reps(knee_series(np.concatenate([idle(0.5), full])), "squat")) == 1


def test_no_rep_reasons_say_what_is_missing():
    assert no_rep_reason(knee_series(np.concatenate([idle(1), dip(2), idle(1)])), "squat") == ""
    assert no_rep_reason(knee_series(idle(0.05)), "squat").startswith("the recording is too short")
    shallow = np.concatenate([idle(0.5), dip(1.5, depth=155), idle(0.5)])
    assert re.fullmatch(r"too little movement: the knee angle moves 1\d° in 2\.5 s, a rep moves "
                        r"it at least 30°", no_rep_reason(knee_series(shallow), "squat"))


def test_someone_standing_still_for_long_is_not_doing_the_exercise():
    reason = no_rep_reason(knee_series(idle(6), noise=1.0), "squat")
    assert reason.startswith(f"{NOT_PERFORMING} squat reps: their knee angle moves")
    assert "in 6.0 s" in reason


def truth_rows(root, folder):
    with open(root / folder / "truth.csv", newline="") as handle:
        return [(root / folder / row["file"], int(row["complete_reps"]))
                for row in csv.DictReader(handle)]


@pytest.mark.slow
@pytest.mark.parametrize("geometry", ["auto", "2d"])
def test_every_shared_squat_and_pull_up_video_gives_its_true_rep_count(shared_datasets, geometry):
    """truth.csv counts complete reps only (003 starts at the bottom, 005 ends on the way up)."""
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    from formcheck.pose import extract_pose

    rows = [(path, n, "squat") for path, n in truth_rows(shared_datasets, "squats")]
    rows += [(path, n, "pull-up") for path, n in truth_rows(shared_datasets, "pullups")]
    assert len(rows) == 7
    for path, expected, exercise in rows:
        series = joint_angles(extract_pose(path), exercise, geometry=geometry)
        reps = segment_reps(series, exercise)
        assert len(reps) == expected, (path.name, [(r.start, r.end) for r in reps])
        assert (no_rep_reason(series, exercise) == "") == (expected > 0), path.name


_HIPS, _FEET = [23, 24], slice(27, 33)      # MediaPipe's hips; ankles, heels and toes


def _with_landmarks(pose, landmarks):
    return PoseSequence(landmarks, pose.fps, pose.layout, pose.image_size, pose.units)


def test_a_body_whose_feet_rise_and_fall_with_its_hips_does_no_squats():
    """A pull-up's ankles go up with the hips: the knees bend, but nobody stands on them."""
    pose = make_set("squat", n_reps=3, seed=2, view="side")
    landmarks = pose.landmarks.copy()
    hip = landmarks[:, _HIPS, 1].mean(axis=1)
    landmarks[:, _FEET, 1] += np.nan_to_num(hip - np.nanmedian(hip))[:, None]
    hanging = _with_landmarks(pose, landmarks)
    angles = joint_angles(hanging, "squat")
    assert len(segment_reps(angles, "squat")) == 3                 # the knee angle alone
    assert cut_recording(hanging, "squat")[1] == []
    reason = no_rep_reason(angles, "squat", pose=hanging)
    assert reason.startswith(f"{NOT_PERFORMING} squat reps: ")
    assert re.search(r"the ankles rose and fell with the hips, by \d+% of their movement \(they "
                     r"stay put in a squat\)", reason)
    assert len(cut_recording(pose, "squat")[1]) == 3               # the squat itself


def test_hips_that_rise_as_the_knees_bend_do_no_squats():
    """Feet planted and trunk upright, but the upper body goes up, not down, as the knees bend."""
    pose = make_set("squat", n_reps=3, seed=2, view="side")
    landmarks = pose.landmarks.copy()
    hip = landmarks[:, _HIPS, 1].mean(axis=1)
    landmarks[:, :25, 1] -= 2 * np.nan_to_num(hip - np.nanmedian(hip))[:, None]
    rising = _with_landmarks(pose, landmarks)
    angles = joint_angles(rising, "squat")
    assert len(segment_reps(angles, "squat")) == 3
    reason = no_rep_reason(angles, "squat", pose=rising)
    assert reason.count("is not a squat rep: the hips went up as the knee angle fell "
                        "(correlation -") == 3, reason


def test_a_camera_that_tilts_to_follow_the_hips_does_not_lift_the_feet():
    """The image moves against the body: the hips travel a third as far and the feet move the
    other way. Travelling more than the hips, the feet still do not move *with* them."""
    pose = make_set("squat", n_reps=3, seed=2, view="side")
    landmarks = pose.landmarks.copy()
    hip = landmarks[:, _HIPS, 1].mean(axis=1)
    landmarks[..., 1] -= 0.7 * np.nan_to_num(hip - np.nanmedian(hip))[:, None]
    followed = _with_landmarks(pose, landmarks)
    assert len(cut_recording(followed, "squat")[1]) == 3


def test_a_body_lying_down_does_no_pull_ups():
    """The same pull-ups turned through 90 degrees in the image: the trunk is horizontal."""
    pose = make_set("pull-up", n_reps=2, seed=1)
    width, height = pose.image_size
    pixels = pose.landmarks.copy()
    pixels[..., 0], pixels[..., 1] = pose.landmarks[..., 1] * height, pose.landmarks[..., 0] * width
    lying = PoseSequence(pixels, pose.fps, pose.layout, (height, width), "pixels")
    assert len(segment_reps(joint_angles(lying, "pull-up"), "pull-up")) == 2
    assert cut_recording(lying, "pull-up")[1] == []
    reason = no_rep_reason(joint_angles(lying, "pull-up"), "pull-up", pose=lying)
    assert re.search(r"the trunk was \d+° from vertical \(a pull-up is done upright\)", reason)
    assert len(cut_recording(pose, "pull-up")[1]) == 2


@pytest.mark.parametrize("exercise,labels,views", [
    ("squat", ["correct", "not-low"], ["side", "front", "back", "any"]),
    ("pull-up", ["correct", "chin-below-bar"], ["front", "back", "any"]),
])
def test_the_posture_keeps_every_rep_of_the_exercise_from_every_view(exercise, labels, views):
    for label, view, seed in itertools.product(labels, views, range(3)):
        pose = make_set(exercise, label, n_reps=3, seed=40 + seed, view=view)
        angles = joint_angles(pose, exercise)
        assert len(segment_reps(angles, exercise, pose=pose)) == \
            len(segment_reps(angles, exercise)) == 3, (label, view, seed)
