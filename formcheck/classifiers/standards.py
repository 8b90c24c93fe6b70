"""Judge every rep by the fault standards of its exercise: a classifier that needs no training.

Each fault of an exercise may carry a :class:`~formcheck.features.exercises.Standard`
(a channel, a phase of the rep, a statistic, a comparison and a threshold, all
data in the exercise definition). The classifier measures every standard on
the rep and calls the rep faulty when it breaks one; the most-broken standard,
counted in units of its channel's measurement noise, names the fault.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .._archive import take_array
from ..errors import ChannelMismatchError, ExerciseError, InputError, ModelFileError
from ..features.angles import AngleSeries, recorded_settings
from ..features.channels import (channel_kind, channel_unit, describe_channel, format_value,
                                 measurement_noise)
from ..features.exercises import get_exercise
from ..features.filters import running_median, savgol_filter
from ..reps import driving_channels
from .base import (BOOLEAN, NONE, STRING, RepClassifier, as_series_list, interval,
                   validate_params)

__all__ = ["StandardsClassifier", "Judgement"]

_REST_FRACTION = 0.1      # the first and last 10% of a rep's frames are "at rest"
_TURNING_FRACTION = 0.1   # within 10% of the rep's length of its turning point is "at" it
_LOGISTIC_SCALE = 1.7     # logistic(1.7 z) is within 0.01 of the normal CDF at z
#: A rep whose driving signal moves less than 1/this of the exercise's smallest rep is not
#: the exercise.
_NOVELTY_THRESHOLD = 2.0
_PHASE_NAMES = ("first", "turning", "second", "rest")


@dataclass(frozen=True)
class Judgement:
    """One standard measured on one rep.

    Attributes
    ----------
    fault : str
        The standard's fault class.
    label : str or None
        The class the classifier reports for it: the fault itself, or the one
        fault label of data that do not name their faults (``"push-up/wrong"``);
        None when the fitted classes cannot express it.
    channel : str
        The (first) channel measured.
    phase : str
        When in the rep, in the exercise's words.
    value : float
        The measured statistic, in the channel's unit.
    threshold : float
    score : float
        How far past the threshold, in units of the measurement noise
        (> 0: the standard is broken; -inf when it does not apply to the rep).
    frame : int
        Frame of the rep where the value was measured.
    message : str
        The standard's sentence with the measured number when it is broken;
        otherwise what was measured against which limit.
    """

    fault: str
    label: str | None
    channel: str
    phase: str
    value: float
    threshold: float
    score: float
    frame: int
    message: str

    @property
    def broken(self) -> bool:
        return self.score > 0


class StandardsClassifier(RepClassifier):
    """Rep classifier from the exercise's fault standards; zero training data needed.

    ``fit()`` with no data only records the exercise (the classes are its
    correct form and every fault that has a standard). ``fit(X, y)`` on
    labelled reps also calibrates: for every standard whose fault appears in
    ``y`` next to correct reps, the threshold moves from the definition's
    value towards the cut with the best balanced accuracy between the two,
    by ``n / (n + prior_reps)`` of the way, ``n`` being the reps of the rarer
    of the two classes; :meth:`calibration_report` says what moved.

    A rep breaks a standard when the statistic of its channel over the phase
    lies past the threshold. Its probabilities come from the margins, in units
    of each channel's measurement noise ``z``: a softmax over 0 (correct) and
    ``1.7 z`` for every fault, so that with one standard the probability of the
    fault is about the normal CDF of ``z``; the most-broken standard has the
    largest probability and names the rep, :meth:`judge` lists all of them.

    Parameters
    ----------
    exercise : str, default=None
        The exercise whose standards judge the reps; None: the one recorded
        in the RepDataset given to ``fit``.
    calibrate : bool, default=True
        Calibrate thresholds when ``fit`` gets labelled reps.
    prior_reps : float, default=20.0
        How many reps of each class the definition's threshold is worth (>= 0;
        0 moves every calibrated threshold all the way to the best cut).

    Attributes
    ----------
    classes_ : numpy.ndarray
    channels_ : tuple of str
        The channels a rep must have: the exercise's, its standards' and its
        driving channels.
    n_features_in_ : int
    exercise_ : str
    thresholds_ : dict of str to float
        Fault -> threshold in use.
    labels_ : dict of str to str or None
        Fault -> the class reported when its standard is broken.
    calibration_ : list of dict
        Per calibrated standard: fault, default, optimal cut, threshold,
        reps of each class and balanced accuracy before and after.
    novelty_threshold_ : float

    Examples
    --------
    >>> from formcheck import joint_angles, segment_reps
    >>> from formcheck.classifiers.standards import StandardsClassifier
    >>> from formcheck.datasets.synthetic import make_set
    >>> model = StandardsClassifier("squat").fit()
    >>> angles = joint_angles(make_set("squat", "not-low", n_reps=2, seed=3, severity=1.0),
    ...                       channels=model.channels_)
    >>> reps = [rep.angles for rep in segment_reps(angles, "squat")]
    >>> model.predict(reps).tolist()
    ['squat/not-low', 'squat/not-low']
    >>> model.judge(reps[:1])[0][0].message      # doctest: +ELLIPSIS
    'hips stayed ... torso lengths above the knees at the bottom'
    """

    default_min_probability = 0.0

    _parameter_constraints = {
        "exercise": [NONE, STRING],
        "calibrate": [BOOLEAN],
        "prior_reps": [interval(numbers.Real, 0)],
    }

    def __init__(self, exercise=None, calibrate=True, prior_reps=20.0):
        self.exercise = exercise
        self.calibrate = calibrate
        self.prior_reps = prior_reps

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, X=None, y=None):
        """Record the exercise; with labelled reps, calibrate the thresholds.

        Parameters
        ----------
        X : RepDataset, list of AngleSeries or arrays, or None
            Labelled reps (with the channels of ``channels_``), or None to use
            the definition's thresholds as they are.
        y : array-like, optional
            Labels, unless X is a RepDataset.

        Returns
        -------
        self

        Raises
        ------
        ParameterError
            A hyper-parameter has the wrong type or is out of range.
        InputError
            No exercise, an exercise without standards, or labels without the
            exercise's correct class.
        """
        validate_params(self)
        definition = self._definition(X)
        standards = definition.standards
        self.exercise_ = definition.name
        self.feature_settings_ = recorded_settings(
            getattr(X, "metadata", {}).get("feature_settings", {}))
        self.channels_ = _needed_channels(definition)
        self.n_features_in_ = len(self.channels_)
        self.novelty_threshold_ = _NOVELTY_THRESHOLD
        self.temperature_ = 1.0  # the margins are already in noise units
        self.thresholds_ = {fault: s.threshold for fault, s in standards.items()}
        self.calibration_ = []
        if X is None:
            self.classes_ = np.array(sorted([definition.correct, *standards]))
            self.labels_ = {fault: fault for fault in standards}
            return self
        series, channels = as_series_list(X)
        y = self._labels(X, y, len(series))
        self.classes_ = np.unique(y)
        if definition.correct not in self.classes_:
            raise InputError(f"the labels {self.classes_.tolist()} lack {definition.correct!r}, "
                             f"the correct form of {definition.name!r}")
        self.labels_ = _output_labels(standards, self.classes_, definition.correct)
        if self.calibrate:
            selected = self._selected(series, channels)
            values, _, applies = self._measure(selected, _smoothed_all(selected))
            self._calibrate(values, applies, y, definition)
        return self

    def _definition(self, X):
        name = self.exercise or getattr(X, "metadata", {}).get("exercise")
        if name is None:
            raise InputError("StandardsClassifier needs an exercise: pass exercise=... or fit "
                             "on a RepDataset that records one")
        definition = get_exercise(name)
        if not definition.standards:
            raise InputError(f"exercise {definition.name!r} defines no fault standards; add "
                             "'standards' to its definition or train a classifier on labelled reps")
        return definition

    def _calibrate(self, values, applies, y, definition):
        for k, (fault, standard) in enumerate(definition.standards.items()):
            correct = (y == definition.correct) & applies[:, k]
            faulty = (y == fault) & applies[:, k]
            if self.labels_[fault] != fault or not correct.any() or not faulty.any():
                continue
            cut = _best_cut(values[correct, k], values[faulty, k], standard)
            rarer = min(int(correct.sum()), int(faulty.sum()))
            weight = rarer / (rarer + self.prior_reps)
            threshold = standard.threshold + weight * (cut - standard.threshold)
            self.thresholds_[fault] = float(threshold)
            self.calibration_.append({
                "fault": fault, "default": standard.threshold, "optimal": float(cut),
                "threshold": float(threshold), "n_correct": int(correct.sum()),
                "n_fault": int(faulty.sum()),
                "balanced_accuracy_default": _balanced_accuracy(
                    values[correct, k], values[faulty, k], standard, standard.threshold),
                "balanced_accuracy": _balanced_accuracy(
                    values[correct, k], values[faulty, k], standard, threshold)})

    def calibration_report(self) -> str:
        """What calibration moved, one line per standard.

        Examples
        --------
        >>> StandardsClassifier("squat").fit().calibration_report()
        'no threshold calibrated (no labelled reps of a fault with a standard)'
        """
        self._check_fitted()
        if not self.calibration_:
            return "no threshold calibrated (no labelled reps of a fault with a standard)"
        definition = get_exercise(self.exercise_)
        lines = []
        for row in self.calibration_:
            channel = definition.standards[row["fault"]].channels[0]
            lines.append(
                f"{row['fault']}: {format_value(channel, row['default'])} -> "
                f"{format_value(channel, row['threshold'])} (best cut "
                f"{format_value(channel, row['optimal'])}, "
                f"{row['n_correct']} correct / {row['n_fault']} faulty reps; balanced accuracy "
                f"{row['balanced_accuracy_default']:.1%} -> {row['balanced_accuracy']:.1%})")
        return "\n".join(lines)

    # -- judging -----------------------------------------------------------------------------
    def judge(self, X) -> list:
        """Every standard measured on every rep, the most-broken first.

        Parameters
        ----------
        X : RepDataset, list of AngleSeries or arrays (in ``channels_`` order)

        Returns
        -------
        list of list of Judgement
            One list per rep, sorted by score, highest first.
        """
        series = self._prepare(X)
        values, frames, applies = self._measure(series, _smoothed_all(series))
        definition = get_exercise(self.exercise_)
        scores = self._scores(values, applies, definition)
        out = []
        for i in range(len(values)):
            rep = [self._judgement(standard, values[i, k], scores[i, k], int(frames[i, k]),
                                   definition)
                   for k, standard in enumerate(definition.standards.values())]
            out.append(sorted(rep, key=lambda j: -j.score))
        return out

    def _judgement(self, standard, value, score, frame, definition) -> Judgement:
        channel = standard.channels[0]
        threshold = self.thresholds_[standard.fault]
        # a drop or rise is a size, not a reading of the channel: no sign
        reading = _plain if standard.statistic in ("drop", "rise") else format_value
        if score > 0:
            message = standard.sentence.format(
                value=reading(channel, value), magnitude=_plain(channel, abs(value)),
                threshold=reading(channel, threshold),
                margin=_plain(channel, abs(standard.margin(value, threshold))))
        elif np.isfinite(score):
            message = (f"{standard.fault}: met ({describe_channel(channel)} {standard.phase} "
                       f"{reading(channel, value)}, limit {reading(channel, threshold)})")
        else:
            message = f"{standard.fault}: not judged (the rep does not meet its condition)"
        return Judgement(standard.fault, self.labels_[standard.fault], channel, standard.phase,
                         float(value), threshold, float(score), frame, message)

    def _prepare(self, X) -> list:
        self._check_fitted()
        series, channels = as_series_list(X)
        return self._selected(series, channels)

    def _selected(self, series, channels) -> list:
        """The reps' columns in ``channels_`` order (by name when the input names them)."""
        if channels is None:
            if series[0].shape[1] != self.n_features_in_:
                raise ChannelMismatchError(
                    f"X has {series[0].shape[1]} channels; the standards of "
                    f"{self.exercise_!r} read {self.n_features_in_}: {', '.join(self.channels_)}")
            return series
        missing = [c for c in self.channels_ if c not in channels]
        if missing:
            raise ChannelMismatchError(
                f"the reps lack channels {missing} that the standards of {self.exercise_!r} "
                f"read; compute them with joint_angles(..., exercise={self.exercise_!r})")
        index = [list(channels).index(c) for c in self.channels_]
        return [s[:, index] for s in series]

    def _measure(self, series, smoothed):
        """Statistic of every standard on every rep, the frame it was measured at, and
        whether the standard applies to the rep (see :attr:`Standard.applies`);
        ``smoothed`` holds the reps of ``series`` smoothed (:func:`_smoothed_all`)."""
        definition = get_exercise(self.exercise_)
        standards = list(definition.standards.values())
        values = np.zeros((len(series), len(standards)))
        frames = np.zeros((len(series), len(standards)), dtype=int)
        applies = np.ones((len(series), len(standards)), dtype=bool)
        for i, (rep, smooth) in enumerate(zip(series, smoothed)):
            phases = _phases(self._turning(smooth, definition), len(rep))
            for k, standard in enumerate(standards):
                columns = smooth[:, [self.channels_.index(c) for c in standard.channels]]
                signal = getattr(np, standard.combine)(columns, axis=1)
                values[i, k], frames[i, k] = _statistic(signal, standard, phases, definition)
                if standard.applies is not None:
                    condition = standard.applies
                    applies[i, k] = condition.holds(
                        float(rep[:, self.channels_.index(condition.channel)].mean()))
        return values, frames, applies

    def _turning(self, smooth, definition) -> int:
        signal = self._driving(smooth, definition)[0]
        return int(np.argmin(signal) if definition.phase == "min" else np.argmax(signal))

    def _driving(self, smooth, definition):
        """The rep's driving signal and the excursion a rep of the exercise has at least."""
        series = AngleSeries(smooth, self.channels_, fps=30.0)
        channels = driving_channels(series, definition)
        prominence = (definition.fallback_min_prominence
                      if channels == definition.fallback_channels else definition.min_prominence)
        return np.mean([series[c] for c in channels], axis=0), prominence

    def _scores(self, values, applies, definition) -> np.ndarray:
        """Margins past the thresholds in units of measurement noise (> 0: broken; -inf
        where the standard does not apply)."""
        scores = np.zeros_like(values)
        for k, (fault, standard) in enumerate(definition.standards.items()):
            noise = standard.noise or measurement_noise(standard.channels[0])
            scores[:, k] = standard.margin(values[:, k], self.thresholds_[fault]) / noise
        return np.where(applies, scores, -np.inf)

    def _predict_proba(self, series):
        return self._proba(series, _smoothed_all(series))

    def _novelty(self, series):
        return self._novelty_of(_smoothed_all(series))

    def _proba_and_novelty(self, series):
        smoothed = _smoothed_all(series)    # once for both
        return self._proba(series, smoothed), self._novelty_of(smoothed)

    def _proba(self, series, smoothed):
        definition = get_exercise(self.exercise_)
        values, _, applies = self._measure(series, smoothed)
        scores = self._scores(values, applies, definition)
        logits = np.full((len(series), len(self.classes_)), -np.inf)
        logits[:, list(self.classes_).index(definition.correct)] = 0.0
        for k, fault in enumerate(definition.standards):
            label = self.labels_[fault]
            if label is not None:
                column = list(self.classes_).index(label)
                logits[:, column] = np.maximum(logits[:, column], _LOGISTIC_SCALE * scores[:, k])
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)

    def _novelty_of(self, smoothed):
        """The exercise's smallest rep excursion over the rep's own (> 2: not the exercise)."""
        definition = get_exercise(self.exercise_)
        out = np.zeros(len(smoothed))
        for i, smooth in enumerate(smoothed):
            signal, prominence = self._driving(smooth, definition)
            out[i] = prominence / max(float(np.ptp(signal)), 1e-12)
        return out

    def novelty_reason(self, score: float) -> str:
        return (f"not a {self.exercise_} rep: its driving signal moves {1 / score:.0%} of the "
                "smallest excursion of a rep of the exercise")

    # -- persistence -------------------------------------------------------------------------
    def _state(self) -> dict:
        faults = list(self.thresholds_)
        rows = {row["fault"]: row for row in self.calibration_}
        table = [[rows[f][key] if f in rows else np.nan for key in _CALIBRATION_NUMBERS]
                 for f in faults]
        return {"faults": np.array(faults, dtype=str),
                "thresholds": np.array([self.thresholds_[f] for f in faults]),
                "output_labels": np.array([self.labels_[f] or "" for f in faults], dtype=str),
                "calibration": np.array(table, dtype=float).reshape(len(faults),
                                                                    len(_CALIBRATION_NUMBERS))}

    def _restore(self, arrays):
        try:
            definition = get_exercise(self.exercise_)
        except ExerciseError as exc:
            raise ModelFileError(f"its exercise: {exc}") from None
        faults = take_array(arrays, "faults", (None,), kind="text").tolist()
        if set(faults) != set(definition.standards):
            raise ModelFileError(f"faults {faults} are not the standards of {definition.name!r}: "
                                 f"{sorted(definition.standards)}")
        thresholds = take_array(arrays, "thresholds", (len(faults),)).tolist()
        labels = take_array(arrays, "output_labels", (len(faults),), kind="text").tolist()
        strange = sorted(set(labels) - {""} - set(self.classes_.tolist()))
        if strange:
            raise ModelFileError(f"output_labels {strange} are not classes of the model")
        calibration = arrays.pop("calibration", None)
        if not (isinstance(calibration, np.ndarray) and calibration.dtype.kind == "f"
                and calibration.shape == (len(faults), len(_CALIBRATION_NUMBERS))):
            raise ModelFileError(f"calibration must be a float array of shape "
                                 f"({len(faults)}, {len(_CALIBRATION_NUMBERS)})")
        self.thresholds_ = dict(zip(faults, thresholds))
        self.labels_ = {f: label or None for f, label in zip(faults, labels)}
        self.calibration_ = [
            {"fault": f, **{key: (int(v) if key.startswith("n_") else float(v))
                            for key, v in zip(_CALIBRATION_NUMBERS, row)}}
            for f, row in zip(faults, calibration) if np.isfinite(row).all()]


_CALIBRATION_NUMBERS = ("default", "optimal", "threshold", "n_correct", "n_fault",
                        "balanced_accuracy_default", "balanced_accuracy")


def _needed_channels(definition) -> tuple:
    """The exercise's channels, then its standards' and driving channels that are not among them."""
    channels = list(definition.channels)
    for channel in (*(c for s in definition.standards.values() for c in s.channels_read),
                    *definition.driving_channels, *definition.fallback_channels):
        if channel not in channels:
            channels.append(channel)
    return tuple(channels)


def _output_labels(standards, classes, correct) -> dict:
    """Fault -> the class of ``classes`` that reports it (see :attr:`Judgement.label`)."""
    unnamed = [c for c in classes if c != correct and c not in standards]
    generic = unnamed[0] if len(unnamed) == 1 else None
    return {fault: fault if fault in classes else generic for fault in standards}


def _smoothed_all(series) -> list:
    """:func:`_smoothed` of every rep; the reps of one length are smoothed as one stack.

    Examples
    --------
    >>> reps = [np.random.default_rng(k).normal(size=(n, 2)) for k, n in enumerate([40, 9, 40])]
    >>> all(np.allclose(a, _smoothed(r)) for a, r in zip(_smoothed_all(reps), reps))
    True
    """
    by_length = {}
    for i, rep in enumerate(series):
        by_length.setdefault(len(rep), []).append(i)
    out = [None] * len(series)
    for members in by_length.values():
        stack = _smoothed(np.stack([series[i] for i in members], axis=1))    # (T, n, C)
        for j, i in enumerate(members):
            out[i] = stack[:, j]
    return out


def _smoothed(rep: np.ndarray) -> np.ndarray:
    """Per channel: a 5-frame running median (against one-frame landmark glitches), then
    Savitzky-Golay smoothing over a tenth of the rep (at least 5 frames); time first, any
    further axes (a stack of reps of one length) smoothed alike."""
    window = max(5, len(rep) // 10 | 1)
    if len(rep) <= window:
        return rep
    return savgol_filter(running_median(rep, 5), window, 2, axis=0)


def _phases(turning: int, n: int) -> dict:
    """Frame indices of each phase of a rep of ``n`` frames turning at ``turning``."""
    edge = max(1, int(round(_REST_FRACTION * n)))
    half = max(1, int(round(_TURNING_FRACTION * n)))
    first = np.arange(edge, max(edge, turning - half))
    second = np.arange(min(n, turning + half + 1), n - edge)
    return {
        "first": first if len(first) else np.arange(0, turning + 1),
        "turning": np.arange(max(0, turning - half), min(n, turning + half + 1)),
        "second": second if len(second) else np.arange(turning, n),
        "rest": np.concatenate([np.arange(edge), np.arange(n - edge, n)]),
        "at": turning,
    }


def _statistic(signal, standard, phases, definition):
    """(value, frame) of ``standard.statistic`` over its phase."""
    words = definition.phases + (definition.rest,)
    frames = phases[_PHASE_NAMES[words.index(standard.phase)]]
    part = signal[frames]
    rest = float(signal[phases["rest"]].mean())
    statistic = standard.statistic
    if statistic in ("min", "drop"):
        k = int(np.argmin(part))
        return (part[k] if statistic == "min" else rest - part[k]), int(frames[k])
    if statistic in ("max", "rise"):
        k = int(np.argmax(part))
        return (part[k] if statistic == "max" else part[k] - rest), int(frames[k])
    if statistic == "mean":
        return float(part.mean()), int(frames[len(frames) // 2])
    if standard.phase == definition.rest:      # "value" at rest: both ends of the rep
        return float((signal[0] + signal[-1]) / 2), 0
    frame = phases["at"] if standard.phase == definition.phases[1] else int(
        frames[len(frames) // 2])
    return float(signal[frame]), frame


def _best_cut(correct, faulty, standard) -> float:
    """The threshold with the highest balanced accuracy; the one nearest the default on ties."""
    values = np.unique(np.concatenate([correct, faulty]))
    cuts = np.concatenate([[values[0] - 1e-9], (values[:-1] + values[1:]) / 2,
                           [values[-1] + 1e-9]])
    scores = np.array([_balanced_accuracy(correct, faulty, standard, c) for c in cuts])
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    return float(cuts[best[np.argmin(np.abs(cuts[best] - standard.threshold))]])


def _balanced_accuracy(correct, faulty, standard, threshold) -> float:
    caught = np.mean(standard.margin(faulty, threshold) > 0)
    passed = np.mean(standard.margin(correct, threshold) <= 0)
    return float((caught + passed) / 2)


def _plain(channel, value) -> str:
    """A value with its unit and without a sign (for "0.12 torso lengths above")."""
    if channel_kind(channel) in ("height", "width_ratio"):
        return f"{value:.2f}{channel_unit(channel)}"
    return f"{value:.0f}{channel_unit(channel)}"
