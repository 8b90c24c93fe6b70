"""Measuring a classifier's accuracy without leakage between videos or subjects."""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from .._progress import progress as progress_bar
from ..errors import DatasetError, InputError

__all__ = ["EvaluationResult", "grouped_cross_validation", "holdout_groups", "holdout_split",
           "evaluate_model", "training_shortfalls", "MIN_REPS_PER_CLASS"]

#: Reps of a class below which :func:`training_shortfalls` warns: with fewer, a classifier
#: has few examples of the class to learn from, and its recall is measured in steps of
#: more than 10 %.
MIN_REPS_PER_CLASS = 10


@dataclass
class EvaluationResult:
    """Out-of-sample predictions and the scores computed from them.

    Attributes
    ----------
    classes : list of str
    y_true, y_pred : numpy.ndarray
        Per rep.
    proba : numpy.ndarray, shape (n_reps, n_classes)
    groups : numpy.ndarray
        Per rep (video or subject).
    fit_seconds : list of float
        Fit time of every fold.
    """

    classes: list
    y_true: np.ndarray
    y_pred: np.ndarray
    proba: np.ndarray
    groups: np.ndarray
    fit_seconds: list = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Fraction of reps labelled correctly."""
        return float(np.mean(self.y_true == self.y_pred))

    @property
    def macro_f1(self) -> float:
        return float(f1_score(self.y_true, self.y_pred, labels=self.classes, average="macro",
                              zero_division=0))

    def group_accuracy(self) -> float:
        """Accuracy per video/subject: the mean probability over its reps decides."""
        correct = []
        for group in np.unique(self.groups):
            rows = self.groups == group
            predicted = self.classes[int(np.argmax(self.proba[rows].mean(axis=0)))]
            correct.append(predicted == self.y_true[rows][0])
        return float(np.mean(correct))

    def brier_score(self) -> float:
        """Mean over reps of half the squared distance between ``proba`` and the true class.

        0 is perfect; for two classes it equals scikit-learn's ``brier_score_loss``
        of either class. A classifier stating 0 % or 100 % pays the whole
        error on every rep it gets wrong.
        """
        truth = (self.y_true[:, None] == np.asarray(self.classes)[None, :]).astype(float)
        return float(np.mean(np.sum((self.proba - truth) ** 2, axis=1) / 2))

    def reliability(self, n_bins=10):
        """How often the predicted class is right, by its stated probability.

        Parameters
        ----------
        n_bins : int
            Equal-width bins of the probability of the predicted class over [0, 1].

        Returns
        -------
        confidence, accuracy : numpy.ndarray
            Mean stated probability and fraction right in every non-empty bin.
        counts : numpy.ndarray of int
            Reps in those bins.
        """
        confidence = self.proba.max(axis=1)
        right = (self.y_true == self.y_pred).astype(float)
        bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
        counts = np.bincount(bins, minlength=n_bins)
        filled = counts > 0
        mean_confidence = np.bincount(bins, confidence, n_bins)[filled] / counts[filled]
        accuracy = np.bincount(bins, right, n_bins)[filled] / counts[filled]
        return mean_confidence, accuracy, counts[filled]

    def calibration_error(self, n_bins=10) -> float:
        """Expected calibration error: the count-weighted mean gap of :meth:`reliability`."""
        confidence, accuracy, counts = self.reliability(n_bins)
        return float(np.sum(counts * np.abs(confidence - accuracy)) / counts.sum())

    def per_class(self) -> dict:
        """Class -> precision, recall, F1 and support."""
        p, r, f, s = precision_recall_fscore_support(self.y_true, self.y_pred,
                                                     labels=self.classes, zero_division=0)
        return {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                    "support": int(s[i])} for i, c in enumerate(self.classes)}

    def confusion(self) -> np.ndarray:
        """Confusion matrix, rows true and columns predicted, in ``classes`` order."""
        return confusion_matrix(self.y_true, self.y_pred, labels=self.classes)

    def report(self) -> str:
        """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix as text."""
        width = max(len(c) for c in self.classes) + 2
        lines = [f"reps: {len(self.y_true)}   accuracy: {self.accuracy:.1%}   "
                 f"macro-F1: {self.macro_f1:.3f}   per video/subject: {self.group_accuracy():.1%}",
                 f"Brier score: {self.brier_score():.3f}   "
                 f"calibration error: {self.calibration_error():.3f}",
                 "", f"{'class':{width}s}precision  recall     F1  support"]
        for name, row in self.per_class().items():
            lines.append(f"{name:{width}s}{row['precision']:9.2f}{row['recall']:8.2f}"
                         f"{row['f1']:7.2f}{row['support']:9d}")
        lines += ["", "confusion matrix (rows: true, columns: predicted)"]
        lines.append(" " * (width + 2) + " ".join(f"{i:>6d}" for i in range(len(self.classes))))
        for i, (name, row) in enumerate(zip(self.classes, self.confusion())):
            lines.append(f"{name:{width - 2}s}{i:>3d} " + " ".join(f"{n:6d}" for n in row))
        return "\n".join(lines)


def _check(dataset, n_splits):
    if not isinstance(n_splits, numbers.Integral) or isinstance(n_splits, bool) or n_splits < 2:
        raise InputError(f"cross-validation needs at least 2 folds, got {n_splits!r}")
    counts = dataset.class_counts()
    if len(counts) < 2:
        raise DatasetError(f"need at least 2 classes to evaluate; the data have {counts}")
    groups_per_class = {c: len(set(dataset.groups[dataset.labels == c])) for c in counts}
    short = {c: n for c, n in groups_per_class.items() if n < n_splits}
    if short:
        raise DatasetError(f"every class needs at least {n_splits} videos/subjects for "
                           f"{n_splits}-fold cross-validation; too few: {short}")


def training_shortfalls(labels, groups, *, n_splits=5, min_reps=MIN_REPS_PER_CLASS) -> list:
    """What each class lacks to be trained on and measured: one sentence per short class.

    A class needs ``min_reps`` reps, and reps from ``n_splits`` distinct
    recordings (groups) for ``n_splits``-fold grouped cross-validation (each
    fold tests on recordings it did not train on).

    Parameters
    ----------
    labels, groups : sequence of str
        Per labelled rep (before augmentation): its class and its recording,
        e.g. a :class:`~formcheck.datasets.rep_dataset.RepDataset`'s
        ``labels`` and ``groups``.
    n_splits : int
    min_reps : int

    Returns
    -------
    list of str
        Empty when every class has enough.

    Examples
    --------
    >>> labels = ["squat/correct"] * 11 + ["squat/not-low"]
    >>> groups = [f"video{i % 6}" for i in range(11)] + ["video9"]
    >>> for line in training_shortfalls(labels, groups):
    ...     print(line)
    squat/not-low: 1 rep from 1 recording; label 9 more reps, from 4 more recordings (5-fold grouped cross-validation needs each class in 5 recordings)
    """
    labels, groups, lines = np.asarray(labels, dtype=str), np.asarray(groups, dtype=str), []
    for label, count in zip(*np.unique(labels, return_counts=True)):
        count, recordings = int(count), len(set(groups[labels == label]))
        reps_short, recordings_short = min_reps - count, n_splits - recordings
        if reps_short <= 0 and recordings_short <= 0:
            continue
        what = f"{reps_short} more {_plural(reps_short, 'rep')}" if reps_short > 0 else "reps"
        where = (f" from {recordings_short} more {_plural(recordings_short, 'recording')} "
                 f"({n_splits}-fold grouped cross-validation needs each class in "
                 f"{n_splits} recordings)") if recordings_short > 0 else ""
        lines.append(f"{label}: {count} {_plural(count, 'rep')} from {recordings} "
                     f"{_plural(recordings, 'recording')}; label {what}"
                     f"{',' if reps_short > 0 and where else ''}{where}")
    return lines


def _plural(count, word) -> str:
    return word if count == 1 else f"{word}s"


def grouped_cross_validation(estimator, dataset, *, n_splits=5, seed=0, augment=None,
                             progress=False) -> EvaluationResult:
    """Stratified k-fold cross-validation that keeps each group in one fold.

    Parameters
    ----------
    estimator : RepClassifier
        Cloned for every fold.
    dataset : RepDataset
    n_splits : int
    seed : int
    augment : dict, optional
        Keyword arguments for :meth:`RepDataset.augment`, applied to the
        training part of every fold only.
    progress : bool

    Returns
    -------
    EvaluationResult

    Raises
    ------
    DatasetError
        Fewer than 2 classes, or a class with fewer groups than folds.
    """
    _check(dataset, n_splits)
    classes = np.array(dataset.classes)
    proba = np.zeros((len(dataset), len(classes)))
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    folds = list(splitter.split(np.zeros(len(dataset)), dataset.labels, dataset.groups))
    fit_seconds = []
    for train, test in progress_bar(folds, progress, unit="fold"):
        train_set = dataset[train].augment(**augment) if augment else dataset[train]
        model, seconds = _fit_timed(estimator, train_set)
        fit_seconds.append(seconds)
        proba[test] = _proba_over(classes, model, dataset[test])
    y_pred = classes[np.argmax(proba, axis=1)]
    return EvaluationResult(classes, dataset.labels, y_pred, proba, dataset.groups, fit_seconds)


def _numbered_name(name) -> tuple:
    """``"bicep_bad_10"`` -> ``("bicep_bad_", 10)``: a name's stem and trailing number (-1: none)."""
    stem = str(name).rstrip("0123456789")
    tail = str(name)[len(stem):]
    return stem, int(tail) if tail else -1


def holdout_groups(groups, *, test_size=0.4, random_state=42) -> tuple:
    """The training and test groups of the Pose Trainer protocol.

    scikit-learn's ``train_test_split`` over the unique groups in Pose
    Trainer's order (its ``utils.files_in_order``: by the name without its
    trailing number, then by that number, so ``bicep_bad_2`` comes before
    ``bicep_bad_10``). Sorting the names as text instead gives another split
    of the same files, not the published one.

    Examples
    --------
    >>> names = [f"bicep_{kind}_{i}" for kind, n in (("bad", 10), ("good", 6))
    ...          for i in range(1, n + 1)]
    >>> sorted(holdout_groups(names)[1], key=_numbered_name)     # the published test files
    ['bicep_bad_1', 'bicep_bad_2', 'bicep_bad_6', 'bicep_bad_9', 'bicep_good_2', 'bicep_good_4', 'bicep_good_5']
    """
    ordered = sorted(np.unique(np.asarray(groups)).tolist(), key=_numbered_name)
    train, test = train_test_split(ordered, test_size=test_size, random_state=random_state)
    return list(train), list(test)


def holdout_split(estimator, dataset, *, test_size=0.4, random_state=42) -> EvaluationResult:
    """Train on one part of the groups and test on the rest (the Pose Trainer protocol).

    The groups are split by :func:`holdout_groups`, as published for Pose
    Trainer.
    """
    train_groups, _ = holdout_groups(dataset.groups, test_size=test_size,
                                     random_state=random_state)
    train = np.isin(dataset.groups, train_groups)
    model, seconds = _fit_timed(estimator, dataset[train])
    test = dataset[~train]
    classes = np.array(dataset.classes)
    proba = _proba_over(classes, model, test)
    return EvaluationResult(classes, test.labels, classes[np.argmax(proba, axis=1)], proba,
                            test.groups, [seconds])


def evaluate_model(model, dataset) -> EvaluationResult:
    """Score an already fitted model on a test set (its classes may be a subset)."""
    classes = np.array(sorted(set(dataset.classes) | set(model.classes_.tolist())))
    proba = _proba_over(classes, model, dataset)
    return EvaluationResult(classes, dataset.labels, classes[np.argmax(proba, axis=1)], proba,
                            dataset.groups)


def _fit_timed(estimator, dataset):
    """A fresh clone of ``estimator`` fitted on ``dataset``, and the seconds the fit took."""
    model = clone(estimator)
    started = time.perf_counter()
    model.fit(dataset)
    return model, time.perf_counter() - started


def _proba_over(classes, model, dataset) -> np.ndarray:
    """``model.predict_proba(dataset)`` with one column per entry of ``classes`` (0 if unseen)."""
    proba = np.zeros((len(dataset), len(classes)))
    proba[:, np.searchsorted(classes, model.classes_)] = model.predict_proba(dataset)
    return proba
