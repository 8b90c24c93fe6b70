"""Exercise definitions, kept as data.

An exercise names the angle channels that matter for it, the channel(s) whose
excursions mark the reps, the size and duration of a real rep, its classes
(the first is the correct form) and, for any fault, the *standard* a coach
measures it by (:class:`Standard`). The built-in ones live in ``exercises.json``
beside this file. Add your own without code:

- from the command line, ``formcheck exercise add-fault squat knees-in "Knees cave
  inwards"`` or ``formcheck exercise new goblet-squat --from squat``; from Python,
  :func:`add_fault` and :func:`derive_exercise`. Both write the *user exercise
  file*, ``exercises.json`` in formcheck's config directory
  (:func:`user_exercise_file`; ``$FORMCHECK_CONFIG_DIR`` moves it), which is read
  automatically and whose definitions take precedence over the others (an
  exercise changed there is a whole copy of its definition);
- with a JSON file of the same shape named in the ``FORMCHECK_EXERCISES``
  environment variable (several files separated by ``os.pathsep``) or loaded
  with :func:`load_exercises`;
- from Python with :func:`register_exercise`.

The shape of one entry (the built-in squat, shortened)::

    "squat": {
      "channels": ["left_knee", "right_knee", "left_hip", "right_hip", "hips_over_ankles"],
      "driving": {"channels": ["left_knee", "right_knee"], "phase": "min",
                  "fallback": {"channels": ["hips_over_ankles"], "min_prominence": 0.1}},
      "min_prominence": 30.0, "min_duration": 0.4, "max_duration": 8.0,
      "classes": {"squat/correct": "...", "squat/not-low": "..."},
      "correct": "squat/correct",
      "phases": ["on the way down", "at the bottom", "on the way up"],
      "rest": "at the top",
      "standards": {
        "squat/not-low": {"channel": "hips_over_knees", "phase": "at the bottom",
                          "statistic": "min", "comparison": ">", "threshold": 0.0,
                          "sentence": "hips stayed {magnitude} above the knees at the bottom",
                          "source": "IPF Technical Rules: hip crease below the top of the knee"}
      }
    }

``channels``, ``driving``, ``classes`` and ``correct`` are required; the
``fallback``, ``phases``, ``rest``, ``standards``, ``posture`` (how a body doing
the exercise holds itself, :class:`Posture`) and ``classifier_settings``
(the hyper-parameters tuned for the exercise, e.g. the push-up's
``{"knn": {"resample_length": 64, "window": 0.3}}``) are optional (see
:class:`Exercise` and :class:`Standard` for every field). A standard's channels
join the exercise's channels when they are not listed there; a channel only
its condition reads (from which view the rep was filmed) is computed with them
but is not learned from (:attr:`Exercise.view_channels`).
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .._files import atomic_write, config_dir
from ..errors import ExerciseError
from .channels import CHANNELS, MIDPOINTS

__all__ = ["Exercise", "Standard", "Condition", "Posture", "STATISTICS", "BUILTIN_FILE",
           "get_exercise", "exercise_names", "register_exercise", "load_exercises",
           "user_exercise_file", "save_user_exercise", "add_fault", "derive_exercise"]

#: The built-in definitions.
BUILTIN_FILE = Path(__file__).with_name("exercises.json")
_REQUIRED = ("channels", "driving", "classes", "correct")
_STANDARD_REQUIRED = ("channel", "phase", "statistic", "comparison", "threshold", "sentence")
_STANDARD_OPTIONAL = ("combine", "noise", "source", "applies")
#: The classifiers trained on reps whose hyper-parameters an exercise may tune
#: (``classifier_settings``; the names of ``formcheck train -c``).
CLASSIFIER_KINDS = ("knn", "learned")
_COMBINE = ("mean", "min", "max")
_CONDITION_FIELDS = ("channel", "comparison", "threshold")
_POSTURE_FIELDS = ("planted", "moving", "moves", "upright")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_SENTENCE_FIELDS = {"value": "+0.12 torso lengths", "magnitude": "0.12 torso lengths",
                    "threshold": "+0.00 torso lengths", "margin": "0.12 torso lengths"}

#: Statistic of a standard's channel over its phase -> what it is.
STATISTICS = {
    "min": "the smallest value in the phase",
    "max": "the largest value in the phase",
    "mean": "the mean over the phase",
    "value": "the value at the middle of the phase (at the turning point for its phase)",
    "drop": "how far the channel falls in the phase below its value at rest",
    "rise": "how far the channel rises in the phase above its value at rest",
}


@dataclass(frozen=True)
class Posture:
    """How a body doing the exercise holds itself: what tells it from another movement.

    Read in the image over each rep by :func:`formcheck.reps.cut_recording`
    (a movement that breaks it is not a rep of the exercise; see
    :mod:`formcheck.reps` for the limits). E.g. the squat's
    ``{"planted": "mid_ankle", "moving": "mid_hip", "moves": "down", "upright":
    true}``: the feet stay on the ground while the hips go down as the knees
    bend, the trunk upright; a pull-up, whose ankles rise with the hips, and
    whose hips rise as the knees bend, is no squat.

    Attributes
    ----------
    planted, moving : str or None
        A joint (or midpoint, e.g. ``mid_ankle``) that stays put while the other
        moves up and down; a planted joint needs a moving one.
    moves : {"down", "up"} or None
        Which way the moving joint goes as the driving signal goes to its
        turning point: a squat's hips go down as the knees bend, a pull-up's
        shoulders up as the elbows do.
    upright : bool
        The trunk is nearer vertical than horizontal over the rep (a squat or a
        pull-up, not a push-up).
    """

    planted: str | None = None
    moving: str | None = None
    moves: str | None = None
    upright: bool = False


@dataclass(frozen=True)
class Condition:
    """When a standard applies: the mean of a channel over the rep compared with a threshold.

    E.g. ``{"channel": "ankle_width", "comparison": ">", "threshold": 0.4}``: only
    when the ankles are seen apart (a front or back view).
    """

    channel: str
    comparison: str
    threshold: float

    def holds(self, value: float) -> bool:
        """Whether a rep whose mean of ``channel`` is ``value`` meets the condition."""
        return value > self.threshold if self.comparison == ">" else value < self.threshold


@dataclass(frozen=True)
class Standard:
    """The measurable criterion of one fault: a number, when in the rep, and a limit.

    A rep breaks the standard when ``statistic`` of ``channels`` (combined
    frame by frame) over ``phase`` compares with ``threshold`` as
    ``comparison`` says: ``">"`` means the fault is a value above the
    threshold, ``"<"`` one below it.

    Attributes
    ----------
    fault : str
        The class label of the fault.
    channels : tuple of str
        Channel(s) measured (``"channel"`` in JSON, a name or a list).
    combine : {"mean", "min", "max"}
        How several channels make one value per frame: their mean, or the
        smallest or largest (e.g. the more bent of two elbows, when the far
        arm of a side view is half hidden and reads open).
    phase : str
        One of the exercise's :attr:`Exercise.phases` or its :attr:`Exercise.rest`
        (e.g. "at the bottom"); written with or without its leading words
        ("bottom" for "at the bottom").
    statistic : str
        A key of :data:`STATISTICS`.
    comparison : {">", "<"}
    threshold : float
        In the channel's own unit (degrees, torso lengths, a ratio).
    sentence : str
        What the user reads when the rep breaks it. Placeholders: ``{value}``
        (the measured statistic, signed for heights), ``{magnitude}`` (its
        size without sign), ``{threshold}`` and ``{margin}`` (how far past the
        threshold), each with its unit.
    noise : float or None
        Measurement noise of the statistic in the channel's unit; None: the
        channel kind's default (:data:`~formcheck.features.channels.MEASUREMENT_NOISE`).
        Margins to the threshold are counted in units of it.
    source : str
        Where the threshold comes from (a rule book, a paper).
    applies : Condition or None
        The standard judges only reps that meet this condition (None: all).
    """

    fault: str
    channels: tuple
    phase: str
    statistic: str
    comparison: str
    threshold: float
    sentence: str
    noise: float | None = None
    source: str = ""
    applies: Condition | None = None
    combine: str = "mean"

    @property
    def channels_read(self) -> tuple:
        """Every channel the standard reads, its condition's included."""
        extra = (self.applies.channel,) if self.applies and self.applies.channel not in \
            self.channels else ()
        return self.channels + extra

    def is_broken_by(self, value: float) -> bool:
        """Whether a measured statistic breaks the standard.

        Examples
        --------
        >>> from formcheck.features.exercises import get_exercise
        >>> not_low = get_exercise("squat").standards["squat/not-low"]
        >>> not_low.is_broken_by(0.12), not_low.is_broken_by(-0.05)
        (True, False)
        """
        return self.margin(value) > 0

    def margin(self, value: float, threshold: float | None = None) -> float:
        """How far ``value`` lies past the threshold, in the channel's unit (> 0: broken)."""
        limit = self.threshold if threshold is None else threshold
        return value - limit if self.comparison == ">" else limit - value


@dataclass(frozen=True)
class Exercise:
    """One exercise definition.

    Attributes
    ----------
    name : str
    channels : tuple of str
        Angle channels computed for its reps (those its standards read
        included).
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
    rest : str
        Words for where a rep starts and ends (the rest position: "at the top"
        of a squat, "at the bottom" of a pull-up).
    standards : dict of str to Standard
        Fault label -> the standard it is measured by (faults may have none).
    posture : Posture or None
        How a body doing it holds itself; None: any movement of the driving
        signal that has a rep's shape is a rep.
    view_channels : tuple of str
        The channels of ``channels`` that only the standards' conditions read,
        telling from which view a rep was filmed (e.g. ``ankle_width``: the
        ankles are seen apart from the front or back). The classifiers trained
        on reps leave them out: within one view they vary only from person to
        person, so they would draw the nearest reps towards people of the same
        build rather than the same form.
    classifier_settings : dict of str to dict
        Hyper-parameters tuned on this exercise's data, by classifier (``"knn"``:
        :class:`~formcheck.classifiers.knn.DTWKNeighborsClassifier`, ``"learned"``:
        :class:`~formcheck.classifiers.learned.LearnedClassifier`), which
        ``for_exercise`` and ``formcheck train`` use; a classifier missing here
        takes its class defaults (``docs/classifiers.md`` has the table and how
        each was chosen).
    source : str
        Where the definition comes from: a JSON file's path, or "Python".
    definition : dict
        The definition it was made from (the shape of ``exercises.json``).
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
    rest: str = "at the start and end"
    standards: dict = field(default_factory=dict)
    posture: Posture | None = None
    view_channels: tuple = ()
    classifier_settings: dict = field(default_factory=dict)
    source: str = field(default="", compare=False)
    definition: dict = field(default_factory=dict, compare=False, repr=False)

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
_USER = {"stamp": None, "exercises": {}}   # the user exercise file as last read


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
    phases = tuple(spec.get("phases", Exercise.phases))
    rest = spec.get("rest", Exercise.rest)
    if not isinstance(rest, str) or rest in phases:
        raise ExerciseError(f"exercise {name!r} in {source}: rest must name where a rep starts "
                            f"and ends, in words other than its phases; got {rest!r}")
    standards = _standards(name, spec, phases + (rest,), source)
    channels = list(spec["channels"])
    channels += dict.fromkeys(c for s in standards.values() for c in s.channels
                              if c not in channels)
    view_channels = tuple(dict.fromkeys(c for s in standards.values() for c in s.channels_read
                                        if c not in channels))
    channels += view_channels
    return Exercise(
        name=name,
        channels=tuple(channels),
        driving_channels=tuple(driving["channels"]),
        phase=phase,
        min_prominence=float(spec.get("min_prominence", 30.0)),
        min_duration=float(spec.get("min_duration", 0.5)),
        max_duration=float(spec.get("max_duration", 10.0)),
        classes=dict(spec["classes"]),
        correct=spec["correct"],
        description=spec.get("description", ""),
        phases=phases,
        fallback_channels=fallback_channels,
        fallback_min_prominence=fallback["min_prominence"] if fallback is not None else 0.0,
        rest=rest,
        standards=standards,
        posture=_posture(spec.get("posture"), f"exercise {name!r} in {source}: posture"),
        view_channels=view_channels,
        classifier_settings=_classifier_settings(name, spec.get("classifier_settings", {}),
                                                 source),
        source=source,
        definition=copy.deepcopy(spec),
    )


def _classifier_settings(name, settings, source) -> dict:
    """The validated ``classifier_settings``: classifier kind -> {parameter: JSON scalar}.

    The parameters' names and values are checked by the classifier that takes
    them (``for_exercise``), which this layer does not import.
    """
    where = f"exercise {name!r} in {source}: classifier_settings"
    if not isinstance(settings, dict):
        raise ExerciseError(f"{where} must be an object of classifier kind -> parameters")
    for kind, params in settings.items():
        if kind not in CLASSIFIER_KINDS:
            raise ExerciseError(f"{where} names {kind!r}; use {', '.join(CLASSIFIER_KINDS)}")
        if not isinstance(params, dict) or not all(
                isinstance(v, (str, int, float, bool, type(None))) for v in params.values()):
            raise ExerciseError(f"{where}[{kind!r}] must be an object of parameter -> number, "
                                f"text, true/false or null; got {params!r}")
    return copy.deepcopy(settings)


def _standards(name, spec, phases, source) -> dict:
    """The exercise's validated ``standards``: fault label -> :class:`Standard`."""
    specs = spec.get("standards", {})
    if not isinstance(specs, dict):
        raise ExerciseError(f"exercise {name!r} in {source}: standards must be an object of "
                            "fault label -> standard")
    return {fault: _standard(fault, entry, spec, phases, f"exercise {name!r} in {source}: "
                                                       f"standards[{fault!r}]")
            for fault, entry in specs.items()}


def _standard(fault, entry, spec, phases, where) -> Standard:
    if fault not in spec["classes"] or fault == spec["correct"]:
        raise ExerciseError(f"{where}: {fault!r} is not one of the exercise's fault classes "
                            f"({', '.join(c for c in spec['classes'] if c != spec['correct'])})")
    if not isinstance(entry, dict):
        raise ExerciseError(f"{where} must be an object with {', '.join(_STANDARD_REQUIRED)}")
    missing = [key for key in _STANDARD_REQUIRED if key not in entry]
    unknown = [key for key in entry if key not in _STANDARD_REQUIRED + _STANDARD_OPTIONAL]
    if missing or unknown:
        raise ExerciseError(f"{where}: " + "; ".join(
            ([f"lacks {', '.join(missing)}"] if missing else [])
            + ([f"has unknown fields {unknown} (allowed: "
                f"{', '.join(_STANDARD_REQUIRED + _STANDARD_OPTIONAL)})"] if unknown else [])))
    channels = [entry["channel"]] if isinstance(entry["channel"], str) else entry["channel"]
    _check_channels(channels, entry["channel"], f"{where}.channel")
    return Standard(
        fault=fault, channels=tuple(channels),
        phase=_phase_of(entry["phase"], phases, where),
        statistic=_choice(entry, "statistic", tuple(STATISTICS), where),
        comparison=_choice(entry, "comparison", (">", "<"), where),
        threshold=_number(entry, "threshold", where),
        sentence=_sentence(entry["sentence"], where),
        noise=_number(entry, "noise", where, positive=True) if "noise" in entry else None,
        source=str(entry.get("source", "")),
        applies=_condition(entry["applies"], f"{where}.applies") if "applies" in entry else None,
        combine=_choice(entry, "combine", _COMBINE, where) if "combine" in entry else "mean",
    )


def _check_channels(channels, given, where):
    if not (isinstance(channels, list) and channels
            and all(isinstance(c, str) and c in CHANNELS for c in channels)):
        raise ExerciseError(f"{where} must name known channels, got {given!r}; "
                            f"known channels: {', '.join(CHANNELS)}")


def _condition(entry, where) -> Condition:
    if not isinstance(entry, dict) or sorted(entry) != sorted(_CONDITION_FIELDS):
        raise ExerciseError(f"{where} must be an object with exactly "
                            f"{', '.join(_CONDITION_FIELDS)}, got {entry!r}")
    _check_channels([entry["channel"]], entry["channel"], f"{where}.channel")
    return Condition(entry["channel"], _choice(entry, "comparison", (">", "<"), where),
                     _number(entry, "threshold", where))


def _posture(entry, where) -> Posture | None:
    """A validated ``posture`` entry; None when the exercise has none."""
    if entry is None:
        return None
    unknown = sorted(set(entry) - set(_POSTURE_FIELDS)) if isinstance(entry, dict) else None
    if unknown is None or unknown:
        raise ExerciseError(f"{where} must be an object with any of {', '.join(_POSTURE_FIELDS)}"
                            f", got {entry!r}")
    joints = {j for _, names in CHANNELS.values() for j in names} | set(MIDPOINTS)
    for key in ("planted", "moving"):
        if key in entry and entry[key] not in joints:
            raise ExerciseError(f"{where}.{key} must name a joint, e.g. mid_ankle, got "
                                f"{entry[key]!r}; joints: {', '.join(sorted(joints))}")
    if ("planted" in entry or "moves" in entry) and "moving" not in entry:
        raise ExerciseError(f"{where}: planted and moves need moving (the joint that moves)")
    if "moves" in entry:
        _choice(entry, "moves", ("down", "up"), where)
    if not isinstance(entry.get("upright", False), bool):
        raise ExerciseError(f"{where}.upright must be true or false, got {entry['upright']!r}")
    return Posture(entry.get("planted"), entry.get("moving"), entry.get("moves"),
                   entry.get("upright", False))


def _phase_of(phase, phases, where) -> str:
    """The exercise's phase words that ``phase`` names, with or without its leading words."""
    for words in phases:
        if isinstance(phase, str) and phase.strip().lower() in (
                words, words.split(" ", 2)[-1] if words.count(" ") >= 2 else words):
            return words
    raise ExerciseError(f"{where}.phase {phase!r} is not a phase of this exercise; "
                        f"use one of {', '.join(repr(p) for p in phases)}")


def _choice(entry, key, allowed, where):
    if entry[key] not in allowed:
        raise ExerciseError(f"{where}.{key} must be one of {', '.join(allowed)}; "
                            f"got {entry[key]!r}")
    return entry[key]


def _number(entry, key, where, positive=False) -> float:
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or (positive and value <= 0):
        kind = "a positive number" if positive else "a number"
        raise ExerciseError(f"{where}.{key} must be {kind} in the channel's unit, "
                            f"got {value!r}")
    return float(value)


def _sentence(template, where) -> str:
    try:
        template.format(**_SENTENCE_FIELDS)
    except (AttributeError, KeyError, IndexError, ValueError) as exc:
        raise ExerciseError(f"{where}.sentence {template!r} is not a sentence template "
                            f"({type(exc).__name__}: {exc}); placeholders: "
                            f"{', '.join('{' + k + '}' for k in _SENTENCE_FIELDS)}") from None
    return template


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

    A definition of the same name in the user exercise file still takes
    precedence over it.

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
    if (name in _REGISTRY or name in _user_exercises()) and not overwrite:
        raise ExerciseError(f"exercise {name!r} is already defined (pass overwrite=True)")
    exercise = _parse(name, spec, source)
    _REGISTRY[name] = exercise
    return exercise


def load_exercises(path, *, overwrite: bool = True) -> list:
    """Register every exercise in a JSON file; return their names."""
    return [register_exercise(n, s, overwrite=overwrite, source=str(path)).name
            for n, s in _read_definitions(Path(path)).items()]


def _read_definitions(path: Path) -> dict:
    """The JSON object of exercise name -> definition in ``path``."""
    try:
        specs = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExerciseError(f"cannot read exercise definitions from {path}: {exc}") from None
    if not isinstance(specs, dict):
        raise ExerciseError(f"{path} must hold a JSON object of exercise name -> definition")
    return specs


def _load_builtin():
    if not _REGISTRY:
        specs = json.loads(BUILTIN_FILE.read_text(encoding="utf-8"))
        for name, spec in specs.items():
            _REGISTRY[name] = _parse(name, spec, str(BUILTIN_FILE))
    for path in filter(None, os.environ.get("FORMCHECK_EXERCISES", "").split(os.pathsep)):
        if path not in _ENV_LOADED:
            _ENV_LOADED.add(path)
            load_exercises(path)


def user_exercise_file() -> Path:
    """The user exercise file: ``exercises.json`` in formcheck's config directory.

    The directory is ``$FORMCHECK_CONFIG_DIR`` when set, else the platform's
    (``~/.config/formcheck`` on Linux; see :func:`formcheck._files.config_dir`).
    The file need not exist; :func:`save_user_exercise` creates it.
    """
    return config_dir() / "exercises.json"


def _user_exercises() -> dict:
    """The exercises of the user exercise file, read again whenever the file changed."""
    path = user_exercise_file()
    try:
        status = path.stat()
        stamp = (str(path), status.st_ino, status.st_mtime_ns, status.st_size)
    except FileNotFoundError:
        stamp = (str(path),)
    if stamp != _USER["stamp"]:
        specs = _read_definitions(path) if len(stamp) > 1 else {}
        _USER["exercises"] = {name: _parse(name, spec, str(path)) for name, spec in specs.items()}
        _USER["stamp"] = stamp
    return _USER["exercises"]


def save_user_exercise(name: str, spec: dict) -> Exercise:
    """Check a definition as the built-in ones are and write it into the user exercise file.

    The file is replaced atomically, with its other exercises kept; the
    definition takes precedence over any other of the same name from then on.

    Raises
    ------
    ExerciseError
        The definition is not valid, or the file holds something other than
        exercise definitions.
    """
    path = user_exercise_file()
    exercise = _parse(name, spec, str(path))
    specs = _read_definitions(path) if path.exists() else {}
    specs[name] = spec
    with atomic_write(path, "w") as handle:
        handle.write(json.dumps(specs, indent=2, ensure_ascii=False) + "\n")
    _USER["stamp"] = None
    return exercise


def add_fault(exercise, fault: str, description: str, standard: dict | None = None) -> Exercise:
    """Add a fault class to an exercise (or describe one anew), in the user exercise file.

    Parameters
    ----------
    exercise : str or Exercise
    fault : str
        The class, with or without the exercise prefix (``"knees-in"`` or
        ``"squat/knees-in"``): letters, digits, ``-``, ``_`` and ``.``.
    description : str
        One line saying what the fault is.
    standard : dict, optional
        How to measure it (see :class:`Standard`; the fields of a standard in
        ``exercises.json``); its ``sentence`` defaults to ``description``.

    Returns
    -------
    Exercise
        The exercise with the class; its definition is now in the user file.

    Raises
    ------
    ExerciseError
        ``fault`` is not a class name, or the standard is not valid.
    """
    base = _with_definition(get_exercise(exercise))
    label = _class_label(base, fault)
    spec = copy.deepcopy(base.definition)
    spec["classes"][label] = str(description)
    if standard is not None:
        if not isinstance(standard, dict):
            raise ExerciseError(f"the standard of {label} must be an object of its fields "
                                f"({', '.join(_STANDARD_REQUIRED)}), got {standard!r}")
        spec.setdefault("standards", {})[label] = {"sentence": str(description), **standard}
    return save_user_exercise(base.name, spec)


def derive_exercise(name: str, base) -> Exercise:
    """A new exercise copied from ``base``, written to the user exercise file.

    Its classes (and their standards) are those of ``base`` renamed
    ``<name>/...``; change them with :func:`add_fault` or by editing the file.

    Raises
    ------
    ExerciseError
        ``name`` is already an exercise, or not a name (letters, digits, ``-``,
        ``_`` and ``.``).
    """
    if not _NAME.fullmatch(name):
        raise ExerciseError(f"{name!r} is not an exercise name: use letters, digits, '-', '_' "
                            "and '.', e.g. goblet-squat")
    if name in exercise_names():
        raise ExerciseError(f"exercise {name!r} is already defined (in "
                            f"{get_exercise(name).source}); add classes to it with add-fault")
    base = _with_definition(get_exercise(base))

    def renamed(label):
        return f"{name}/{label.split('/', 1)[-1]}"

    spec = copy.deepcopy(base.definition)
    spec["classes"] = {renamed(label): text for label, text in spec["classes"].items()}
    spec["correct"] = renamed(spec["correct"])
    if "standards" in spec:
        spec["standards"] = {renamed(label): entry for label, entry in spec["standards"].items()}
    spec["description"] = spec.get("description") or f"like {base.name}"
    return save_user_exercise(name, spec)


def _with_definition(exercise) -> Exercise:
    if not exercise.definition:
        raise ExerciseError(f"exercise {exercise.name!r} was made without a definition to copy; "
                            "register it with register_exercise first")
    return exercise


def _class_label(exercise, fault) -> str:
    """``fault`` as a class label of ``exercise``, checked to be a name."""
    label = exercise.full_label(str(fault).strip())
    prefix, short = label.split("/", 1)
    if prefix != exercise.name:
        raise ExerciseError(f"{fault!r} names a class of {prefix!r}, not of {exercise.name!r}")
    if not _NAME.fullmatch(short):
        raise ExerciseError(f"{fault!r} is not a class name: use letters, digits, '-', '_' and "
                            "'.', e.g. knees-in")
    return label


def get_exercise(name) -> Exercise:
    """Return an :class:`Exercise` by name (an ``Exercise`` is returned as is).

    The user exercise file's definition comes first, then those registered or
    read from ``FORMCHECK_EXERCISES``, then the built-in ones.

    Raises
    ------
    ExerciseError
        If no exercise of that name is defined.
    """
    if isinstance(name, Exercise):
        return name
    _load_builtin()
    user = _user_exercises()
    try:
        return user[name] if name in user else _REGISTRY[name]
    except (KeyError, TypeError):
        raise ExerciseError(
            f"unknown exercise {name!r}; known exercises: {', '.join(exercise_names())}"
        ) from None


def exercise_names() -> list:
    """Names of all defined exercises."""
    _load_builtin()
    return sorted(set(_REGISTRY) | set(_user_exercises()))
