"""Pre-labels for a labelling session: a model's guess for every rep, and the least sure first.

A fitted classifier (a model file from ``formcheck train``, or the exercise's
fault standards) gives each rep offered for labelling its most probable class
and that probability. The session shows it and one key accepts it; asking
first about the reps the model is least sure of means a few answers teach the
next model the most (uncertainty sampling).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..check import FormChecker
from ..errors import InputError

__all__ = ["Suggestion", "suggest_labels", "uncertain_first"]


@dataclass(frozen=True)
class Suggestion:
    """A model's guess for one rep: its most probable class and that probability."""

    label: str
    probability: float

    def __str__(self) -> str:
        return f"{self.label} ({self.probability:.0%})"


def suggest_labels(model, exercise, pose, reps) -> list:
    """The model's :class:`Suggestion` for each rep of one recording.

    Parameters
    ----------
    model : RepClassifier
        Fitted, for ``exercise``.
    exercise : Exercise
    pose : PoseSequence
        The recording.
    reps : list
        Items with ``start``, ``end`` (frames) and ``fps`` (the frame rate they
        count in), e.g. :class:`~formcheck.apps.labelling.RepToLabel`.

    Returns
    -------
    list of Suggestion
        In the order of ``reps``.

    Raises
    ------
    InputError
        The model was trained for another exercise.

    Examples
    --------
    >>> from formcheck.apps.labelling import reps_to_label
    >>> from formcheck.check import builtin_model
    >>> from formcheck.datasets.synthetic import make_set
    >>> from formcheck.features.exercises import get_exercise
    >>> squat = get_exercise("squat")
    >>> pose = make_set("squat", "not-low", n_reps=2, seed=3, severity=1.0)
    >>> reps = reps_to_label("set.npz", pose, squat, ".")
    >>> [s.label for s in suggest_labels(builtin_model("squat"), squat, pose, reps)]
    ['squat/not-low', 'squat/not-low']
    """
    if not reps:
        return []
    if model.exercise_ not in (None, exercise.name):
        raise InputError(f"the model was trained for {model.exercise_!r}, not {exercise.name!r}: "
                         "suggest with a model of this exercise, or 'standards'")
    angles, _ = FormChecker(model, exercise=exercise.name).cut_recording(pose)
    series = []
    for rep in reps:
        scale = angles.fps / rep.fps
        start = int(round(rep.start * scale))
        end = min(max(int(round(rep.end * scale)), start + 2), len(angles))
        series.append(angles.slice(start, end).select(model.channels_))
    proba = model.predict_proba(series)
    best = np.argmax(proba, axis=1)
    return [Suggestion(str(model.classes_[i]), float(p[i])) for i, p in zip(best, proba)]


def uncertain_first(reps, suggestions) -> list:
    """``reps`` ordered by the probability of their suggestion, the least sure first.

    Reps without a suggestion (None) come last; ties keep their order.

    Examples
    --------
    >>> uncertain_first(["a", "b", "c"], [Suggestion("x", 0.9), Suggestion("y", 0.55), None])
    ['b', 'a', 'c']
    """
    order = sorted(range(len(reps)), key=lambda i: (
        suggestions[i] is None, suggestions[i].probability if suggestions[i] else 0.0))
    return [reps[i] for i in order]
