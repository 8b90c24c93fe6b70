"""Rep segmentation: cut a continuous set into repetitions.

The exercise definition names a *driving* signal (for a squat, the knee angle)
and whether a rep is a dip or a rise of it. A rep is one excursion from the rest
level to the turning point and back. Reps only partly filmed (the recording
starts at the bottom, or ends on the way up), small wobbles while resting, and
one-off movements that do not look like the other reps of the set (stepping
off, dropping from the bar) are left out. A rep smaller than the others is kept
when it has a rep's shape (down and back up by similar amounts, not much quicker
than the others): a shallow squat among deep ones is exactly the fault a form
checker is there to catch.

Durations are judged against the set's own reps (a rep lasts 0.4 to 2.5 times
the set's median), within the exercise's ``min_duration`` and ``max_duration``,
which are only sanity bounds: fast real squats take 0.55 s. When nothing is
counted, :func:`no_rep_reason` says why (too little movement, only partly
filmed, too short...), and says when a long recording shows someone who is not
doing the exercise at all (a bystander the pose estimator followed).

Given the recording's pose (as :func:`cut_recording` has it), a movement is a rep
only if the body holds itself as the exercise's :class:`~formcheck.features.
exercises.Posture` says, read in the image over the rep, from the landmarks
inside it (a pose estimator's guess of a hidden joint moves with the body):

- the moving joint goes the exercise's way as the driving signal turns (the
  sign of their correlation: a squat's hips go down as the knees bend, +0.90 to
  +1.00 on the shared squat videos; a pull-up's shoulders up, -0.98; the shared
  pull-up cut as squats gives -0.05 and -0.52);
- the planted joint follows less than half of the moving joint's up-and-down
  movement (the slope of its height on the moving joint's: a squat's ankles,
  -0.08 to 0.00 on the shared squat videos; a pull-up's wrists, 0.02; a camera
  that tilts to follow the hips gives a negative slope, not a refusal);
- an upright exercise's trunk is within 60 degrees of vertical over the rep
  (median; 1-35 degrees on the shared squat and pull-up videos, 64 and more on
  push-ups filmed from the side).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ChannelMismatchError, InputError
from .features.angles import AngleSeries, image_positions, joint_angles
from .features.channels import MIDPOINTS, channel_unit, describe_channel, mirror_name
from .features.exercises import get_exercise
from .features.filters import find_peaks, savgol_filter, spread_of_sorted

__all__ = ["Rep", "cut_recording", "segment_reps", "no_rep_reason", "driving_signal",
           "driving_channels", "NOT_PERFORMING"]

_TOP_FRACTION = 0.9      # a rep starts/ends where the signal is 90% of the way back to rest
_MIN_SIDE_FRACTION = 0.6  # both sides of a rep must span 60% of the set's typical amplitude
_MIN_DEPTH_FRACTION = 0.5  # a rep's depth must reach half the typical depth
# A smaller rep (a shallow squat among deep ones: the fault to catch) still counts when it
# has the shape of a rep: both sides at least 30% of the typical amplitude, depth 25%, it comes
# back up about as far as it went down, and it lasts at least 60% of a typical rep.
_SMALL_SIDE_FRACTION = 0.3
_SMALL_DEPTH_FRACTION = 0.25
_SMALL_SYMMETRY = 0.6
_SMALL_DURATION_FRACTION = 0.6
# Every rep lasts between these fractions of the median duration of the set's reps.
_MIN_DURATION_FRACTION = 0.4
_MAX_DURATION_FRACTION = 2.5
# A rep that runs into the start or end of the recording must have come back (or started) within
# 15% of its other side's level there; otherwise only part of it was filmed.
_EDGE_RETURN = 0.85
_EDGE_FRAMES = 2
# A recording at least this long in which the driving signal never moves like a rep shows
# someone who is not doing the exercise (a bystander the pose estimator followed).
_NOT_PERFORMING_SECONDS = 3.0
#: How :func:`no_rep_reason` begins when the tracked person does not do the exercise at all.
NOT_PERFORMING = "the tracked person is not doing"
_RELATIVE_PROMINENCE = 0.35
# Posture (see the module's docstring): a planted joint follows less than this share of the
# moving joint's up-and-down movement (0: it stays put; 1: it moves with it), judged when the
# moving joint travels (5-95 percentile range of its height) at least a quarter torso length.
_MAX_PLANTED_SHARE = 0.5
_MIN_MOVING_TRAVEL = 0.25
_MAX_UPRIGHT_INCLINE = 60.0
_POSTURE_SMOOTH_SECONDS = 0.25   # heights smoothed as the driving signal is, before the range
# A posture is judged only on reps where its joints are seen in at least half of the frames:
# inside the image, with a visibility of 0.5 or more (a guess of a hidden joint may move with
# the body: the ankles of a squat filmed down to the knees, guessed below the image's edge).
_MIN_SEEN_SHARE = 0.5
_POSTURE_MIN_VISIBILITY = 0.1
_TRUNK = ("mid_hip", "mid_shoulder")    # the upright rule's median needs no smoothing
# The fallback drives only when its movement (5-95 percentile range) is at least this many
# times its frame-to-frame noise: a side view's hip height, half of it from the far side's
# hallucinated joints, is mostly noise while the person stands still.
_FALLBACK_SIGNAL_TO_NOISE = 8.0


@dataclass(frozen=True)
class Rep:
    """One repetition.

    Attributes
    ----------
    index : int
        Position in the set, from 0.
    start, end : int
        First frame and one past the last frame, in the frames of the series it
        was cut from.
    angles : AngleSeries
        The rep's own frames.
    exercise : str
    driving : tuple of str
        The channels it was cut on (see :func:`driving_channels`).
    """

    index: int
    start: int
    end: int
    angles: AngleSeries
    exercise: str
    driving: tuple = ()

    @property
    def driving_signal(self) -> np.ndarray:
        """The mean of the channels it was cut on, frame by frame."""
        return _mean_of(self.angles, self.driving)

    @property
    def n_frames(self) -> int:
        return self.end - self.start

    @property
    def start_time(self) -> float:
        """Start in seconds from the beginning of the series."""
        return self.start / self.angles.fps

    @property
    def end_time(self) -> float:
        """End in seconds from the beginning of the series."""
        return self.end / self.angles.fps

    @property
    def duration(self) -> float:
        return self.n_frames / self.angles.fps


def driving_signal(angles: AngleSeries, exercise) -> np.ndarray:
    """The mean of the channels that drive rep segmentation, frame by frame.

    Those are the exercise's driving channels, or its fallback ones (see
    :func:`driving_channels`).

    Raises
    ------
    ChannelMismatchError
        The series lacks a driving channel.
    """
    return _mean_of(angles, driving_channels(angles, exercise))


def _mean_of(angles, channels) -> np.ndarray:
    """The frame-by-frame mean of some channels of a series."""
    return np.mean([angles[c] for c in channels], axis=0)


def driving_channels(angles: AngleSeries, exercise) -> tuple:
    """The channels whose mean cuts this series into reps.

    The exercise's driving channels, unless they move less than its
    ``min_prominence`` over the series (5th to 95th percentile) while its
    fallback channels (:attr:`Exercise.fallback_channels`) are in the series
    and move clearly more than their own frame-to-frame noise. A squat filmed
    from the front is then driven by the hips' height rather than the knee
    angle, while a person standing still stays with the knee angle (and no reps).

    Raises
    ------
    ChannelMismatchError
        The series lacks a driving channel.

    Examples
    --------
    >>> from formcheck import joint_angles
    >>> from formcheck.datasets.synthetic import make_set
    >>> side = make_set("squat", "not-low", n_reps=3, seed=7, view="side", severity=1.0)
    >>> driving_channels(joint_angles(side, exercise="squat"), "squat")
    ('left_knee', 'right_knee')
    >>> front = make_set("squat", "not-low", n_reps=3, seed=7, view="front", severity=1.0)
    >>> driving_channels(joint_angles(front, exercise="squat"), "squat")
    ('hips_over_ankles',)
    """
    return _driving(angles, get_exercise(exercise))[0]


def _driving(angles, exercise):
    """(driving channels, their min_prominence): the exercise's own, or its fallback."""
    missing = [c for c in exercise.driving_channels if c not in angles.channels]
    if missing:
        raise ChannelMismatchError(
            f"{angles.source + ': ' if angles.source else ''}segmenting {exercise.name!r} reps "
            f"needs channels {missing}; compute the series with exercise={exercise.name!r}")
    primary = _mean_of(angles, exercise.driving_channels)
    fallback = exercise.fallback_channels
    if fallback and all(c in angles.channels for c in fallback) and len(primary) \
            and _spread(primary) < exercise.min_prominence:
        fallback_signal = _mean_of(angles, fallback)
        if _spread(fallback_signal) >= _FALLBACK_SIGNAL_TO_NOISE * _noise(fallback_signal):
            return fallback, exercise.fallback_min_prominence
    return exercise.driving_channels, exercise.min_prominence


def _spread(signal) -> float:
    """Range of a signal without its extreme 5% at either end."""
    low, high = np.percentile(signal, [5, 95])
    return float(high - low)


def segment_reps(angles: AngleSeries, exercise, *, min_prominence=None, smooth=0.25,
                 pose=None) -> list:
    """Cut a joint-angle series into reps.

    Parameters
    ----------
    angles : AngleSeries
        A continuous recording containing the exercise's driving channels.
    exercise : str or Exercise
    min_prominence : float, optional
        Smallest excursion that counts as a rep, in the driving channel's unit;
        default: the exercise's ``min_prominence`` (or its fallback's, see
        :func:`driving_signal`) or 35% of the signal's 5-95 percentile range,
        whichever is larger.
    smooth : float
        Savitzky-Golay window (seconds) applied to the driving signal only.
    pose : PoseSequence, optional
        The recording ``angles`` were computed from; with it, a movement in
        which the body does not hold the exercise's posture (its feet leave
        the ground in a squat) is not a rep.

    Returns
    -------
    list of Rep
        In time order; empty when the series holds no complete rep
        (:func:`no_rep_reason` says why).

    Examples
    --------
    >>> from formcheck import joint_angles, segment_reps
    >>> from formcheck.datasets.synthetic import make_set
    >>> pose = make_set("push-up", n_reps=4, seed=1)
    >>> reps = segment_reps(joint_angles(pose, exercise="push-up"), "push-up")
    >>> len(reps)
    4
    """
    return _segment(angles, exercise, min_prominence, smooth, pose)[0]


def no_rep_reason(angles: AngleSeries, exercise, *, min_prominence=None, smooth=0.25,
                  pose=None) -> str:
    """Why :func:`segment_reps` finds no rep in a series; ``""`` when it finds some.

    Parameters
    ----------
    angles, exercise, min_prominence, smooth, pose
        As for :func:`segment_reps`.

    Returns
    -------
    str
        One sentence: the recording is too short, the driving signal moves
        too little, the movement is only partly filmed, or the movements found
        are not reps (with their times and why). A recording of at least 3 s
        in which the driving signal never moves like a rep gives a sentence
        starting with :data:`NOT_PERFORMING`: whoever the pose estimator
        followed is not doing the exercise.

    Examples
    --------
    >>> import numpy as np
    >>> from formcheck import AngleSeries
    >>> still = AngleSeries(np.full((150, 2), 172.0), ["left_knee", "right_knee"], fps=30)
    >>> reason = no_rep_reason(still, "squat")
    >>> reason.startswith(NOT_PERFORMING), reason.split(": ", 1)[1]
    (True, 'their knee angle moves 0° in 5.0 s, a rep moves it at least 30°')
    """
    return _segment(angles, exercise, min_prominence, smooth, pose)[1]


def _segment(angles, exercise, min_prominence, smooth, pose=None):
    """(reps, why there are none: "" when there are some)."""
    if not isinstance(angles, AngleSeries):
        raise InputError(f"segment_reps needs an AngleSeries, got {type(angles).__name__}")
    exercise = get_exercise(exercise)
    channels, signal, floor = _prepared_signal(angles, exercise, smooth)
    if len(signal) < 3:
        return [], f"the recording is too short ({len(signal)} frames)"
    threshold = min_prominence or max(floor, _RELATIVE_PROMINENCE * _spread(signal))
    distance = max(1, int(exercise.min_duration * angles.fps * 0.5))
    valleys = find_peaks(-signal, prominence=threshold, distance=distance)
    if not len(valleys):
        return [], _why_no_movement(signal, threshold, channels, angles.fps, exercise)
    candidates = [_candidate(signal, valleys, k) for k in range(len(valleys))]
    judged = _judge(signal, valleys, candidates, angles.fps, exercise)
    seen = _posture_positions(pose, exercise) if any(not why for why in judged) else None
    posture = [_posture_problem(seen, pose, c, angles.fps, exercise, (signal, channels))
               if not why else "" for c, why in zip(candidates, judged)]
    judged = [why or other for why, other in zip(judged, posture)]
    kept = [(c.start, c.end) for c, why in zip(candidates, judged) if not why]
    reps = [Rep(i, start, end, angles.slice(start, end), exercise.name, channels)
            for i, (start, end) in enumerate(kept)]
    if reps:
        return reps, ""
    found = "; ".join(f"{c.start / angles.fps:.1f}-{c.end / angles.fps:.1f} s {why}"
                      for c, why in zip(candidates, judged))
    if any(posture):
        return [], f"{NOT_PERFORMING} {exercise.name} reps: {found}"
    return [], f"no complete rep: {found}"


def _posture_positions(pose, exercise):
    """The image positions the exercise's posture is read from; None when there is none."""
    posture = exercise.posture
    if pose is None or posture is None:
        return None
    joints = [j for j in (posture.planted, posture.moving) if j]
    joints = [side for j in joints for side in _sides(j)] + list(_TRUNK)
    return image_positions(pose, joints, min_visibility=_POSTURE_MIN_VISIBILITY, in_frame=True)


def _posture_problem(seen, pose, candidate, fps, exercise, driving) -> str:
    """Why the body does not hold the exercise's posture over a candidate rep; "" if it does.

    ``seen`` are the recording's :func:`_posture_positions` (None: nothing to
    judge). ``candidate`` is in frames at ``fps`` (the angles'), as is the
    driving signal (reps as dips) of ``driving = (signal, channels)``; the
    pose may have another rate.
    """
    if seen is None:
        return ""
    posture = exercise.posture
    scale = pose.fps / fps
    frames = slice(int(round(candidate.start * scale)), int(round(candidate.end * scale)))
    at = {j: xy[frames] if j in _TRUNK else _smoothed_heights(xy[frames], pose.fps)
          for j, xy in seen.items()}
    if posture.moves:
        signal, channels = driving
        along = _moves_with_the_signal(at, posture.moving, signal[candidate.start:candidate.end])
        if along * (1 if posture.moves == "down" else -1) < 0:
            other = "up" if posture.moves == "down" else "down"
            turned = "fell" if exercise.phase == "min" else "rose"
            return (f"is not a {exercise.name} rep: the {_joint_words(posture.moving)} went "
                    f"{other} as the {_signal_name(channels)} {turned} (correlation "
                    f"{along:+.2f}; in a {exercise.name} they go {posture.moves})")
    if posture.planted:
        share = _share_moved_along(at, posture.planted, posture.moving)
        if share >= _MAX_PLANTED_SHARE:
            return (f"is not a {exercise.name} rep: the {_joint_words(posture.planted)} rose and "
                    f"fell with the {_joint_words(posture.moving)}, by {share:.0%} of their "
                    f"movement (they stay put in a {exercise.name})")
    if posture.upright and set(_TRUNK) <= set(at):
        incline = _median_incline(at["mid_shoulder"] - at["mid_hip"])
        if incline > _MAX_UPRIGHT_INCLINE:
            return (f"is not a {exercise.name} rep: the trunk was {incline:.0f}° from vertical "
                    f"(a {exercise.name} is done upright)")
    return ""


def _sides(joint) -> tuple:
    """``mid_ankle`` -> ``("left_ankle", "right_ankle")``; any other joint alone."""
    return MIDPOINTS.get(joint, (joint,))


def _smoothed_heights(positions, fps) -> np.ndarray:
    """Image positions with the heights smoothed as the driving signal is (gaps kept)."""
    out = positions.copy()
    seen = np.isfinite(out[:, 1])
    window = int(round(_POSTURE_SMOOTH_SECONDS * fps)) | 1
    if seen.sum() > window > 3:
        out[seen, 1] = savgol_filter(out[seen, 1], window, 2)
    return out


def _share_moved_along(at, planted, moving) -> float:
    """How much of the moving joint's up-and-down movement the planted joint follows.

    The slope of the planted joint's height on the moving joint's over the
    frames where both are seen: 0 when it stays put (or only jitters), 1 when
    it moves with it, negative when the camera follows the moving joint. Of a
    midpoint's sides, the stiller one counts as planted (a far side the pose
    estimator guesses does not move it; a pistol squat's raised leg neither) and
    the one that moves more as moving. 0 when the moving joint travels less
    than a quarter of a torso length, or the joints are seen in fewer than
    half of the frames: nothing to judge.
    """
    mover = _moving_heights(at, moving)
    if mover is None:
        return 0.0
    slopes = []
    for side in (s for s in _sides(planted) if s in at):
        both = np.isfinite(at[side][:, 1]) & np.isfinite(mover)
        if both.mean() >= _MIN_SEEN_SHARE:
            m, p = mover[both] - mover[both].mean(), at[side][both, 1]
            slopes.append(float(m @ (p - p.mean()) / (m @ m)))
    return min(slopes) if slopes else 0.0


def _moving_heights(at, moving):
    """The heights of the side of ``moving`` that travels most; None if it travels less than a
    quarter of a torso length or no side is seen in half the frames (nothing to judge)."""
    movers = [at[s][:, 1] for s in _sides(moving) if s in at]
    movers = [m for m in movers if np.isfinite(m).mean() >= _MIN_SEEN_SHARE]
    mover = max(movers, key=_travel) if movers else None
    return mover if mover is not None and _travel(mover) >= _MIN_MOVING_TRAVEL else None


def _moves_with_the_signal(at, moving, signal) -> float:
    """Correlation of the moving joint's height with the driving signal over a rep.

    Positive when the joint goes down as the signal dips to the rep's turning
    point; 0 when the joint is seen in fewer than half of the frames or
    travels less than a quarter of a torso length (nothing to judge).
    """
    mover = _moving_heights(at, moving)
    if mover is None or len(signal) < 3:
        return 0.0
    frames = np.linspace(0, len(signal) - 1, len(mover))
    driving = np.interp(frames, np.arange(len(signal)), signal)
    seen = np.isfinite(mover)
    if np.ptp(driving[seen]) == 0:
        return 0.0
    return float(np.corrcoef(driving[seen], mover[seen])[0, 1])


def _travel(heights) -> float:
    """How far a joint goes up and down: the 5-95 percentile range of its seen heights.

    As ``np.percentile`` (linear interpolation) computes it, without its
    overhead on short arrays.
    """
    seen = np.sort(heights[np.isfinite(heights)])
    return spread_of_sorted(seen) if len(seen) else 0.0


def _median_incline(axis) -> float:
    """Median angle of the image vectors ``axis`` from the image's up, degrees (0 if unseen)."""
    seen = axis[np.isfinite(axis).all(axis=1)]
    if len(seen) < _MIN_SEEN_SHARE * len(axis) or not len(seen):
        return 0.0
    return float(np.median(np.degrees(np.arctan2(np.abs(seen[:, 0]), seen[:, 1]))))


def _joint_words(joint) -> str:
    """``mid_ankle`` -> ``ankles``, ``left_wrist`` -> ``left wrist``."""
    return f"{joint[4:]}s" if joint.startswith("mid_") else joint.replace("_", " ")


def _why_no_movement(signal, threshold, channels, fps, exercise) -> str:
    """The reason when the driving signal has no dip as deep as a rep's."""
    span = float(signal.max() - signal.min())
    lowest = int(np.argmin(signal))
    if span >= threshold and lowest < _EDGE_FRAMES:
        return f"only partly filmed: the recording starts {exercise.phases[1]}"
    if span >= threshold and lowest >= len(signal) - _EDGE_FRAMES:
        return f"only partly filmed: the recording ends {exercise.phases[1]}"
    seconds = len(signal) / fps
    moved = (f"{_signal_name(channels)} moves {_amount(channels, _spread(signal))} in "
             f"{seconds:.1f} s, a rep moves it at least {_amount(channels, threshold)}")
    if seconds >= _NOT_PERFORMING_SECONDS:
        return f"{NOT_PERFORMING} {exercise.name} reps: their {moved}"
    return f"too little movement: the {moved}"


def _signal_name(channels) -> str:
    """The driving signal in words: ``("left_knee", "right_knee")`` -> ``"knee angle"``."""
    words = describe_channel(channels[0])
    if len(channels) == 2 and mirror_name(channels[0]) == channels[1]:
        words = words.replace("left ", "").replace("right ", "")
    return words


def _amount(channels, value) -> str:
    unit = channel_unit(channels[0])
    return f"{value:.0f}{unit}" if unit == "°" else f"{value:.2f}{unit}"


def cut_recording(pose, exercise, *, channels=None, **feature_settings):
    """Cut a recording into reps: its joint angles, then the reps found in them.

    The one path from a recording to reps: datasets, the labelling session and
    :class:`~formcheck.FormChecker` all cut recordings with it, so a model
    sees its reps computed as its training reps were.

    Parameters
    ----------
    pose : PoseSequence
    exercise : str or Exercise
    channels : sequence of str, optional
        Angle channels to compute; default: the exercise's. They must include
        its driving channels.
    **feature_settings
        Passed to :func:`~formcheck.joint_angles` (``smooth``, ``target_fps``,
        ``min_visibility``, ``max_missing``).

    Returns
    -------
    angles : AngleSeries
        The whole recording; the reps' frame numbers are in its frames.
    reps : list of Rep
        In time order; empty when the recording holds no complete rep. A
        movement in which the body does not hold the exercise's posture is
        none (:func:`segment_reps` with ``pose``).

    Examples
    --------
    >>> from formcheck.reps import cut_recording
    >>> from formcheck.datasets.synthetic import make_set
    >>> angles, reps = cut_recording(make_set("squat", n_reps=3, seed=1), "squat",
    ...                              target_fps=15)
    >>> angles.fps, len(reps)
    (15.0, 3)
    """
    angles = joint_angles(pose, exercise, channels=channels, **feature_settings)
    return angles, segment_reps(angles, exercise, pose=pose)


def _prepared_signal(angles, exercise, smooth):
    """(driving channels, smoothed driving signal with reps as dips, its min_prominence)."""
    channels, floor = _driving(angles, exercise)
    signal = _mean_of(angles, channels)
    if exercise.phase == "max":
        signal = -signal
    window = int(round(smooth * angles.fps)) | 1 if smooth else 0
    if window > 3 and len(signal) > window:
        signal = savgol_filter(signal, window, 2)
    return channels, signal, floor


def _noise(signal) -> float:
    """Frame-to-frame noise (standard deviation) of a signal, at any frame rate.

    From second differences, which cancel smooth movement: for white noise of
    standard deviation s they have standard deviation s * sqrt(6); the median
    absolute deviation (x 1.4826) makes the estimate robust to the reps.
    Infinite for fewer than 5 frames: too short to tell noise from movement.
    """
    if len(signal) < 5:
        return np.inf
    second = np.diff(signal, 2)
    return float(1.4826 * np.median(np.abs(second - np.median(second))) / np.sqrt(6))


@dataclass(frozen=True)
class _Candidate:
    """A dip of the driving signal: its frames and how far it rises on either side."""

    valley: int
    start: int
    end: int
    left_amp: float
    right_amp: float
    left_top: int
    right_top: int


def _candidate(signal, valleys, k) -> _Candidate:
    """The rep around valley ``k``: from 90% of the way up on the left to 90% on the right."""
    v = valleys[k]
    lo = valleys[k - 1] if k > 0 else 0
    hi = valleys[k + 1] if k + 1 < len(valleys) else len(signal) - 1
    left, right = signal[lo:v + 1], signal[v:hi + 1]
    left_amp, right_amp = left.max() - signal[v], right.max() - signal[v]
    start = lo + int(np.nonzero(left >= signal[v] + _TOP_FRACTION * left_amp)[0][-1])
    end = v + int(np.nonzero(right >= signal[v] + _TOP_FRACTION * right_amp)[0][0]) + 1
    return _Candidate(int(v), start, end, float(left_amp), float(right_amp),
                      lo + int(np.argmax(left)), v + int(np.argmax(right)))


def _judge(signal, valleys, candidates, fps, exercise) -> list:
    """Per candidate, why it is not a rep; ``""`` for the reps.

    A rep must be whole (not cut by the recording's start or end), have the
    size, depth and shape of the set's typical rep (or the shape of a whole
    smaller rep), and last a plausible time: within the exercise's sanity
    bounds and 0.4-2.5 times the median duration of the set's other reps.
    """
    amplitude = np.median([max(c.left_amp, c.right_amp) for c in candidates])
    rest = np.median([signal[v] + max(c.left_amp, c.right_amp)
                      for v, c in zip(valleys, candidates)])
    duration = np.median([c.end - c.start for c in candidates]) / fps
    reasons = [_shape_problem(signal, c, amplitude, rest, duration, fps, exercise)
               or _sanity_problem((c.end - c.start) / fps, exercise) for c in candidates]
    typical = [(c.end - c.start) / fps for c, why in zip(candidates, reasons) if not why]
    if typical:
        median = float(np.median(typical))
        reasons = [why or _relative_problem((c.end - c.start) / fps, median)
                   for c, why in zip(candidates, reasons)]
    return reasons


def _shape_problem(signal, c, amplitude, rest, duration, fps, exercise) -> str:
    if c.left_top < _EDGE_FRAMES and c.left_amp < _EDGE_RETURN * c.right_amp:
        return f"is only partly filmed (the recording starts {exercise.phases[0]})"
    if c.right_top >= len(signal) - _EDGE_FRAMES and c.right_amp < _EDGE_RETURN * c.left_amp:
        return f"is only partly filmed (the recording ends {exercise.phases[2]})"
    seconds = (c.end - c.start) / fps
    sides, depth = sorted((c.left_amp, c.right_amp)), rest - signal[c.valley]
    typical = sides[0] >= _MIN_SIDE_FRACTION * amplitude \
        and depth >= _MIN_DEPTH_FRACTION * amplitude
    small_but_whole = sides[0] >= _SMALL_SIDE_FRACTION * amplitude \
        and depth >= _SMALL_DEPTH_FRACTION * amplitude \
        and sides[0] >= _SMALL_SYMMETRY * sides[1] \
        and seconds >= _SMALL_DURATION_FRACTION * duration
    return "" if typical or small_but_whole else "is unlike the set's reps (smaller or one-sided)"


def _sanity_problem(seconds, exercise) -> str:
    if seconds < exercise.min_duration:
        return f"is too quick for a rep ({seconds:.2f} s < {exercise.min_duration:g} s)"
    if seconds > exercise.max_duration:
        return f"is too slow for a rep ({seconds:.1f} s > {exercise.max_duration:g} s)"
    return ""


def _relative_problem(seconds, median) -> str:
    if seconds < _MIN_DURATION_FRACTION * median:
        return f"is much quicker than the set's reps ({seconds:.2f} s, typical {median:.2f} s)"
    if seconds > _MAX_DURATION_FRACTION * median:
        return f"is much slower than the set's reps ({seconds:.1f} s, typical {median:.1f} s)"
    return ""
