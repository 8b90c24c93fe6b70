"""Why a rep is faulty: which angle, when in the rep, and by how much.

For the standards classifier the feedback is the broken standards themselves,
each with its measured number ("hips stayed 0.12 torso lengths above the knees
at the bottom"). For the classifiers trained on reps, the faulty rep is
compared step by step with the correct reference its model gives
(``TrainedRepClassifier.reference``): for the DTW kNN, the nearest correct
training rep matched along the DTW path; for the learned classifier, the mean
correct rep, with the rep resampled to the same length. The channel and
moment that differ most, measured in units of the channel's spread, become one
sentence a person can act on, e.g. "left knee angle at the bottom was 112°;
correct reps reach 85°".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .classifiers.standards import StandardsClassifier
from .features.exercises import get_exercise
from .features.channels import describe_channel, format_value
from .reps import driving_signal

__all__ = ["Feedback", "explain"]

_TURNING_WINDOW = 0.25  # within 25% of the rep's length of the turning point counts as "at" it


@dataclass(frozen=True)
class Feedback:
    """The largest difference between a rep and correct form.

    Attributes
    ----------
    channel : str
        Angle channel that differs most.
    phase : str
        When in the rep, in the exercise's words ("at the bottom").
    value : float
        The rep's value there (degrees, or torso lengths for heights).
    reference : float
        What correct reps show at the same moment.
    time : float
        Seconds from the start of the rep.
    message : str
        One sentence for the person (one per broken standard, joined by "; ").
    faults : tuple of str
        The faults it explains, the most broken first.
    """

    channel: str
    phase: str
    value: float
    reference: float
    time: float
    message: str
    faults: tuple = ()

    def __str__(self):
        return self.message


def explain(model, rep, exercise=None, fault=None) -> Feedback:
    """Explain how ``rep`` differs from correct form according to ``model``.

    Parameters
    ----------
    model : RepClassifier
        A fitted classifier whose classes include the exercise's correct label.
    rep : AngleSeries
        The rep, with (at least) the model's channels.
    exercise : str, default=None
        The exercise's name; None takes the one the model was trained for.
    fault : str, default=None
        The faulty class the rep was given. Channels that separate this class
        from correct reps in the training data weigh more.

    Returns
    -------
    Feedback
        For the standards classifier: every standard the rep breaks, the most
        broken first; ``reference`` is its threshold.
    """
    exercise = get_exercise(exercise or model.exercise_)
    if isinstance(model, StandardsClassifier):
        return _from_standards(model, rep)
    channels = model.channels_ or rep.channels
    values = np.asarray(rep.select(channels))
    correct = exercise.correct
    own, reference, rep_frames = model.reference(values, correct)
    score = np.abs(own - reference) / model.scale_ * _channel_weights(model, correct, fault)
    step, channel_index = np.unravel_index(np.argmax(_smoothed(score)), score.shape)
    frame = int(rep_frames[step])
    channel = channels[channel_index]
    phase = _phase(rep, exercise, frame)
    return _feedback(channel, phase, own[step, channel_index], reference[step, channel_index],
                     frame / rep.fps, exercise, fault)


def _from_standards(model, rep) -> Feedback:
    """The broken standards of a rep as feedback (the most broken one's numbers)."""
    judgements = model.judge([rep])[0]
    broken = [j for j in judgements if j.broken] or judgements[:1]
    top = broken[0]
    return Feedback(top.channel, top.phase, top.value, top.threshold, top.frame / rep.fps,
                    "; ".join(j.message for j in broken), tuple(j.fault for j in broken))


def _channel_weights(model, correct, fault) -> np.ndarray:
    """How well each channel separates ``fault`` from correct reps (max 1), from the profiles.

    The distance between the two classes' mean profiles, in units of the
    correct reps' spread; uniform when the fault is unknown.
    """
    classes = list(model.classes_)
    if fault not in classes or correct not in classes:
        return np.ones(len(model.scale_))
    good, bad = classes.index(correct), classes.index(fault)
    gap = np.abs(model.profile_mean_[bad] - model.profile_mean_[good]).mean(axis=0)
    spread = model.profile_std_[good].mean(axis=0) + 1e-6 * model.scale_
    separation = gap / spread
    return separation / separation.max() if separation.max() > 0 else np.ones_like(separation)


def _smoothed(score):
    kernel = np.ones(3) / 3
    return np.apply_along_axis(lambda col: np.convolve(col, kernel, mode="same"), 0, score)


def _phase(rep, exercise, frame) -> str:
    try:
        signal = driving_signal(rep, exercise)
    except Exception:
        return exercise.phases[1]
    turning = int(np.argmin(signal) if exercise.phase == "min" else np.argmax(signal))
    if abs(frame - turning) <= _TURNING_WINDOW * len(signal):
        return exercise.phases[1]
    return exercise.phases[0] if frame < turning else exercise.phases[2]


def _feedback(channel, phase, value, reference, time, exercise, fault) -> Feedback:
    verb = "reach" if phase == exercise.phases[1] else "show"
    message = (f"{describe_channel(channel)} {phase} was {format_value(channel, value)}; "
               f"correct reps {verb} {format_value(channel, reference)}")
    return Feedback(channel, phase, float(value), float(reference), float(time), message,
                    (fault,) if fault else ())
