"""Exercise definitions, kept as data.

An exercise names the angle channels that matter for it, the channel(s) whose
excursions mark the reps, the size and duration of a real rep, and its classes
(the first is the correct form). The built-in ones live in ``exercises.json``
beside this file. Add your own without code, either from Python with
:func:`register_exercise`, or with a JSON file of the same shape named in the
``FORMCHECK_EXERCISES`` environment variable (several files separated by
``os.pathsep``) or loaded with :func:`load_exercises`.

The shape of one entry (the built-in squat, shortened)::

    "squat": {
      "channels": ["left_knee", "right_knee", "left_hip", "right_hip", "hips_over_ankles"],
      "driving": {"channels": ["left_knee", "right_knee"], "phase": "min",
                  "fallback": {"channels": ["hips_over_ankles"], "min_prominence": 0.1}},
      "min_prominence": 30.0, "min_duration": 0.4, "max_duration": 8.0,
      "classes": {"squat/correct": "...", "squat/not-low": "..."},
      "correct": "squat/correct",
      "phases": ["on the way down", "at the bottom", "on the way up"]
    }

``channels``, ``driving``, ``classes`` and ``correct`` are required; the
``fallback`` is optional (see :class:`Exercise` for every field).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ExerciseError
from .channels import CHANNELS

__all__ = ["Exercise", "get_exercise", "exercise_names", "register_exercise", "load_exercises"]

_BUILTIN_FILE = Path(__file__).with_name("exercises.json")
_REQUIRED = ("channels", "driving", "classes", "correct")


@dataclass(frozen=True)
class Exercise:
    """One exercise definition.

    Attributes
    ----------
    name : str
    channels : tuple of str
        Angle channels used to classify its reps.
    driving_channels : tuple of str
        Channels averaged into the signal that segments reps.
    phase : {"min", "max"}
        Whether a rep is a dip ("min", e.g. the knee angle in a squat) or a
        rise ("max", e.g. the shoulder angle in a front raise) of that signal.
    min_prominence : float
        Smallest excursion of the driving signal that counts as a rep (degrees,
        or torso lengths for height channels).
    fallback_channels : tuple of str
        Channels that drive segmentation instead when the driving channels
        move less than ``min_prominence`` over the series being cut, and these
        move clearly more than their own noise (see
        :func:`formcheck.reps.driving_channels`); e.g. the hips' height for a
        squat filmed from the front, where the knee bends towards the camera
        and its 2-D angle hardly changes. They must dip or rise with the same
        ``phase`` as the driving channels. Empty: no fallback.
    fallback_min_prominence : float
        ``min_prominence`` of the fallback signal.
    min_duration, max_duration : float
        Shortest and longest plausible rep in seconds: sanity bounds only,
        since reps are judged against the set's own reps (see
        :mod:`formcheck.reps`).
    classes : dict of str to str
        Class label -> what it means, for messages and feedback.
    correct : str
        The label of correct form.
    description : str
    phases : tuple of str
        Words for the three phases of a rep, before, at and after the turning
        point of the driving signal (e.g. "on the way down", "at the bottom",
        "on the way up"), used in feedback.
    """

    name: str
    channels: tuple
    driving_channels: tuple
    phase: str
    min_prominence: float
    min_duration: float
    max_duration: float
    classes: dict
    correct: str
    description: str = ""
    phases: tuple = ("in the first half", "at the turning point", "in the second half")
    fallback_channels: tuple = ()
    fallback_min_prominence: float = 0.0

    @property
    def labels(self) -> list:
        """Class labels, the correct one first."""
        return [self.correct] + [c for c in self.classes if c != self.correct]

    def full_label(self, label: str) -> str:
        """A class label with its exercise prefix: ``"not-low"`` -> ``"squat/not-low"``.

        Labels that already contain ``/`` are returned unchanged.
        """
        return label if "/" in label else f"{self.name}/{label}"

    @property
    def faults(self) -> list:
        """Class labels other than the correct one."""
        return self.labels[1:]


_REGISTRY: dict = {}
_ENV_LOADED: set = set()


def _parse(name: str, spec: dict, source: str) -> Exercise:
    missing = [key for key in _REQUIRED if key not in spec]
    if missing:
        raise ExerciseError(f"exercise {name!r} in {source} lacks {', '.join(missing)}")
    driving = spec["driving"]
    phase = driving.get("phase", "min")
    if phase not in ("min", "max"):
        raise ExerciseError(f"exercise {name!r} in {source}: driving phase must be 'min' or 'max'")
    fallback = _fallback(name, driving.get("fallback"), source)
    fallback_channels = tuple(fallback["channels"]) if fallback is not None else ()
    unknown = [c for c in list(spec["channels"]) + list(driving["channels"])
               + list(fallback_channels) if c not in CHANNELS]
    if unknown:
        raise ExerciseError(
            f"exercise {name!r} in {source} names unknown channels {unknown}; "
            f"known channels: {', '.join(CHANNELS)}")
    if not set(fallback_channels) <= set(spec["channels"]):
        raise ExerciseError(f"exercise {name!r} in {source}: the driving fallback's channels "
                            "must be among the exercise's channels")
    if len(spec.get("phases", Exercise.phases)) != 3:
        raise ExerciseError(f"exercise {name!r} in {source}: phases must name 3 phases")
    if spec["correct"] not in spec["classes"]:
        raise ExerciseError(f"exercise {name!r} in {source}: correct class is not in classes")
    return Exercise(
        name=name,
        channels=tuple(spec["channels"]),
        driving_channels=tuple(driving["channels"]),
        phase=phase,
        min_prominence=float(spec.get("min_prominence", 30.0)),
        min_duration=float(spec.get("min_duration", 0.5)),
        max_duration=float(spec.get("max_duration", 10.0)),
        classes=dict(spec["classes"]),
        correct=spec["correct"],
        description=spec.get("description", ""),
        phases=tuple(spec.get("phases", Exercise.phases)),
        fallback_channels=fallback_channels,
        fallback_min_prominence=fallback["min_prominence"] if fallback is not None else 0.0,
    )


def _fallback(name, spec, source):
    """A validated ``driving.fallback`` entry as {"channels": [...], "min_prominence": x}."""
    if spec is None:
        return None
    channels = spec.get("channels") if isinstance(spec, dict) else None
    prominence = spec.get("min_prominence", 0.0) if isinstance(spec, dict) else None
    if not (isinstance(channels, list) and channels and all(isinstance(c, str) for c in channels)
            and isinstance(prominence, (int, float)) and not isinstance(prominence, bool)):
        raise ExerciseError(
            f"exercise {name!r} in {source}: the driving fallback must be an object like "
            '{"channels": ["hips_over_ankles"], "min_prominence": 0.1}, got ' + repr(spec))
    return {"channels": channels, "min_prominence": float(prominence)}


def register_exercise(name: str, spec: dict, *, overwrite: bool = False, source: str = "Python"):
    """Add an exercise from a definition dictionary (the shape of ``exercises.json``).

    Examples
    --------
    >>> from formcheck.features.exercises import register_exercise
    >>> ex = register_exercise("lunge", {
    ...     "channels": ["left_knee", "right_knee", "trunk_inclination"],
    ...     "driving": {"channels": ["left_knee", "right_knee"], "phase": "min"},
    ...     "classes": {"lunge/correct": "Back knee near the floor.",
    ...                 "lunge/shallow": "Back knee stays high."},
    ...     "correct": "lunge/correct"}, overwrite=True)
    >>> ex.labels
    ['lunge/correct', 'lunge/shallow']
    """
    _load_builtin()
    if name in _REGISTRY and not overwrite:
        raise ExerciseError(f"exercise {name!r} is already defined (pass overwrite=True)")
    exercise = _parse(name, spec, source)
    _REGISTRY[name] = exercise
    return exercise


def load_exercises(path, *, overwrite: bool = True) -> list:
    """Register every exercise in a JSON file; return their names."""
    path = Path(path)
    try:
        specs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ExerciseError(f"cannot read exercise definitions from {path}: {exc}") from None
    if not isinstance(specs, dict):
        raise ExerciseError(f"{path} must hold a JSON object of exercise name -> definition")
    return [register_exercise(n, s, overwrite=overwrite, source=str(path)).name
            for n, s in specs.items()]


def _load_builtin():
    if not _REGISTRY:
        specs = json.loads(_BUILTIN_FILE.read_text(encoding="utf-8"))
        for name, spec in specs.items():
            _REGISTRY[name] = _parse(name, spec, str(_BUILTIN_FILE))
    for path in filter(None, os.environ.get("FORMCHECK_EXERCISES", "").split(os.pathsep)):
        if path not in _ENV_LOADED:
            _ENV_LOADED.add(path)
            load_exercises(path)


def get_exercise(name) -> Exercise:
    """Return an :class:`Exercise` by name (an ``Exercise`` is returned as is).

    Raises
    ------
    ExerciseError
        If no exercise of that name is defined.
    """
    if isinstance(name, Exercise):
        return name
    _load_builtin()
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ExerciseError(
            f"unknown exercise {name!r}; known exercises: {', '.join(sorted(_REGISTRY))}"
        ) from None


def exercise_names() -> list:
    """Names of all defined exercises."""
    _load_builtin()
    return sorted(_REGISTRY)
