"""Candidates for both trained classifiers (issue 12): chosen on one part of the data, reported
on another.

PushFit: the 64 clips are split once, stratified by label (``train_test_split`` over the clips,
``test_size=0.5``, ``random_state=0``). A candidate is scored on the selection half by 5-fold
cross-validation grouped by clip over 3 shuffles, then trained on the selection half and tested
on the report half, which no choice is made on. Rep accuracy / clip accuracy (the mean
probability over a clip's reps decides). Pose Trainer: 3-fold grouped CV over 5 shuffles inside
the published training files (60 %, ``random_state=42``), then the published test files.

Run: .venv/bin/python docs/experiments/accuracy_candidates.py [section ...]
sections: knn, knn-channels, knn-pose-trainer, learned, rocket, standards, rotations, protocols
(default: all)
"""

import dataclasses
import numbers
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import RidgeClassifierCV
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from formcheck import DTWKNeighborsClassifier, LearnedClassifier, StandardsClassifier
from formcheck import datasets
from formcheck.classifiers.base import STRING, interval
from formcheck.classifiers.learned import N_QUANTILES, rep_features
from formcheck.datasets.real import LabelledPose
from formcheck.evaluation.validation import (EvaluationResult, evaluate_model,
                                             grouped_cross_validation, holdout_groups,
                                             holdout_split)
from formcheck.features.exercises import get_exercise

sys.path.insert(0, str(Path(__file__).parent))
from learned_transfer import MiniRocketFeatures  # a sibling script, found by the line above

PUSH_UP = [c for c in get_exercise("push-up").channels
           if c not in get_exercise("push-up").view_channels]
POSE_TRAINER = ["bicep-curl", "front-raise", "shoulder-press", "shoulder-shrug"]


class LearnedVariant(LearnedClassifier):
    """LearnedClassifier with the deciles left out or other features added (compared here only).

    ``extra``: "none" (the shipped features), "no-deciles" (the features before issue 12),
    "quantiles" (np.quantile at 0.1, 0.25, 0.5, 0.75, 0.9 instead of the deciles), "turn" (every
    channel at the frame farthest from the first, at the first and last frame, and that
    frame's relative time), "bottom" (every channel where the mean of the first two, the
    elbows, is lowest, and at the first and last frame).
    """

    _parameter_constraints = {**LearnedClassifier._parameter_constraints, "extra": [STRING]}

    def __init__(self, extra="none", C=10.0, random_state=0):
        super().__init__(C=C, random_state=random_state)
        self.extra = extra

    def _features(self, series):
        return np.stack([self._one(s) for s in series])

    def _one(self, s):
        features = rep_features(s, self.resample_length)
        n_deciles = s.shape[1] * N_QUANTILES
        plain = np.concatenate([features[:-1 - n_deciles], features[-1:]])
        if self.extra == "none":
            return features
        if self.extra == "no-deciles":
            return plain
        if self.extra == "quantiles":
            return np.concatenate([plain, np.quantile(s, [.1, .25, .5, .75, .9], axis=0).ravel()])
        turn = np.argmax(((s - s[0]) ** 2).sum(axis=1)) if self.extra == "turn" else \
            np.argmin(s[:, :2].mean(axis=1))
        return np.concatenate([features, s[turn], s[0], s[-1], [turn / (len(s) - 1)]])


class RocketClassifier(LearnedClassifier):
    """MiniRocket (or MultiRocket's four poolings on the series and its first difference),
    then a ridge classifier with cross-validated penalty, as the authors recommend."""

    _parameter_constraints = {**LearnedClassifier._parameter_constraints, "kind": [STRING]}

    def __init__(self, kind="mini"):
        super().__init__()
        self.kind = kind

    def _fit(self, series, y_index):
        if self.kind == "mini":
            self.transforms_ = [MiniRocketFeatures().fit(series)]
        else:
            self.transforms_ = [
                MultiRocketFeatures(n_biases=1).fit(series),
                MultiRocketFeatures(n_biases=1, seed=1, difference=True).fit(series)]
        features = self._features(series)
        self.feature_mean_ = features.mean(axis=0)
        scale = features.std(axis=0)
        self.feature_scale_ = np.where(scale > 1e-12, scale, 1.0)
        self.ridge_ = RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)).fit(
            (features - self.feature_mean_) / self.feature_scale_, y_index)

    def _features(self, series):
        return np.hstack([t.transform(series) for t in self.transforms_])

    def _predict_proba(self, series):
        score = self.ridge_.decision_function(
            (self._features(series) - self.feature_mean_) / self.feature_scale_)
        positive = 1 / (1 + np.exp(-score))
        return np.column_stack([1 - positive, positive])


class MultiRocketFeatures(MiniRocketFeatures):
    """MiniRocket's kernels and biases with MultiRocket's poolings: proportion of positive
    values, mean of positive values, mean index of positive values, longest positive stretch."""

    def __init__(self, n_biases=1, seed=0, difference=False):
        super().__init__(n_biases=n_biases, seed=seed)
        self.difference = difference

    def _stack(self, reps):
        stacked = super()._stack(reps)
        return np.diff(stacked, axis=2) if self.difference else stacked

    def transform(self, reps):
        x = self._stack(reps)
        pooled = []
        for weights, dilation, padding, biases in self.layers:
            z = self._conv(x, weights, dilation, padding)[:, :, None, :] - biases[None, :, :, None]
            positive = z > 0
            count = np.maximum(positive.sum(axis=-1), 1)
            pooled += [positive.mean(axis=-1), (z * positive).sum(axis=-1) / count,
                       (positive * np.arange(z.shape[-1])).sum(axis=-1) / count / z.shape[-1],
                       _longest_stretch(positive)]
        return np.concatenate([p.reshape(len(x), -1) for p in pooled], axis=1)


def _longest_stretch(mask):
    """Longest run of True along the last axis, as a fraction of its length."""
    best, current = np.zeros(mask.shape[:-1]), np.zeros(mask.shape[:-1])
    for t in range(mask.shape[-1]):
        current = np.where(mask[..., t], current + 1, 0)
        best = np.maximum(best, current)
    return best / mask.shape[-1]


class WithStandards(LearnedClassifier):
    """The learned classifier's probabilities averaged with the calibrated push-up standards'."""

    _parameter_constraints = {**LearnedClassifier._parameter_constraints,
                              "weight": [interval(numbers.Real, 0, 1)]}

    def __init__(self, weight=0.25):
        super().__init__()
        self.weight = weight

    def fit(self, X, y=None):
        self.standards_ = StandardsClassifier("push-up").fit(X)
        return super().fit(X)

    def predict_proba(self, X):
        theirs = self.standards_.predict_proba(X)
        theirs = theirs[:, [list(self.standards_.classes_).index(c) for c in self.classes_]]
        return (1 - self.weight) * super().predict_proba(X) + self.weight * theirs


class Averaged(BaseEstimator, ClassifierMixin):
    """The mean probability of two classifiers ("knn": the push-up kNN, calibrated as
    ``formcheck train`` does; "learned"; "standards": the calibrated push-up standards),
    ``weight`` on the second."""

    def __init__(self, members="knn+learned", weight=0.5):
        self.members = members
        self.weight = weight

    def fit(self, X, y=None):
        kinds = {"knn": lambda: DTWKNeighborsClassifier.for_exercise("push-up", calibrate=True),
                 "learned": LearnedClassifier, "standards": lambda: StandardsClassifier("push-up")}
        self.fitted_ = [kinds[name]().fit(X) for name in self.members.split("+")]
        self.classes_ = self.fitted_[0].classes_
        return self

    def predict_proba(self, X):
        first, second = (m.predict_proba(X)[:, [list(m.classes_).index(c) for c in self.classes_]]
                         for m in self.fitted_)
        return (1 - self.weight) * first + self.weight * second

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def ensembles():
    data, chosen = pushfit(channels=None)
    header("averaged probabilities: the push-up kNN (calibrated) with the learned classifier "
           "or the standards")
    for members, weight in (("knn+learned", 0.0), ("knn+learned", 1.0), ("knn+learned", 0.5),
                            ("knn+standards", 0.25),
                            ("knn+standards", 0.5)):
        row(f"{members}, weight {weight} on the second", Averaged(members, weight), data, chosen)


def pushfit(channels=PUSH_UP, clips=None):
    """PushFit reps (``channels=None``: the exercise's) and the selection-half mask."""
    clips = clips or datasets.load_pushfit()
    settings = {} if channels is None else {"channels": channels}
    data = datasets.clips_to_reps(clips, "push-up", **settings)
    names = np.array([c.name for c in clips])
    selection, _ = train_test_split(names, test_size=0.5, random_state=0,
                                    stratify=[c.label for c in clips])
    return data, np.isin(data.groups, selection)


def row(name, estimator, data, chosen):
    runs = [grouped_cross_validation(estimator, data[chosen], seed=s) for s in range(3)]
    held = evaluate_model(clone(estimator).fit(data[chosen]), data[~chosen])
    print(f"| {name} | {np.mean([r.accuracy for r in runs]):.1%} / "
          f"{np.mean([r.group_accuracy() for r in runs]):.1%} | {held.accuracy:.1%} / "
          f"{held.group_accuracy():.1%} |", flush=True)


def header(title):
    print(f"\n## {title}\n| candidate | selection half, CV (rep / clip) "
          "| report half (rep / clip) |\n|---|---|---|")


def knn():
    data, chosen = pushfit()
    header("DTW kNN on PushFit")
    for length in (None, 32, 64, 128):
        for window in (0.05, 0.1, 0.3, None):
            for k, weights in ((1, "uniform"), (3, "distance")):
                row(f"resample {length}, window {window}, k={k}",
                    DTWKNeighborsClassifier(k, window, length, weights), data, chosen)


def knn_channels():
    data, chosen = pushfit(channels=None)
    header("DTW kNN on PushFit, resample 64, window 0.3: the push-up channels with one group "
           "left out")
    for left_out in ([], ["body_line_bend"], ["left_knee", "right_knee"],
                     ["left_body_line", "right_body_line"]):
        row(f"without {left_out or 'nothing'}", DTWKNeighborsClassifier(
            window=0.3, resample_length=64), data.select_channels(
                [c for c in PUSH_UP if c not in left_out]), chosen)


def knn_pose_trainer():
    print("\n## DTW kNN on Pose Trainer: selection inside the training files -> test files\n"
          "| candidate | " + " | ".join(POSE_TRAINER) + " |\n|---|---|---|---|---|")
    sets = {e: datasets.whole_clips(datasets.load_pose_trainer(e), e) for e in POSE_TRAINER}
    candidates = {f"resample {length}, window {window}": DTWKNeighborsClassifier(
        window=window, resample_length=length)
        for length in (None, 32, 64) for window in (0.1, 0.3, None)}
    candidates["learned, no deciles"] = LearnedVariant("no-deciles")
    candidates["learned (deciles)"] = LearnedClassifier()
    for name, estimator in candidates.items():
        cells = []
        for data in sets.values():
            train_names, _ = holdout_groups(data.groups)
            train = data[np.isin(data.groups, train_names)]
            selection = np.mean([grouped_cross_validation(estimator, train, n_splits=3, seed=s)
                                 .accuracy for s in range(5)])
            test = holdout_split(estimator, data, test_size=0.4, random_state=42).accuracy
            cells.append(f"{selection:.1%} -> {test:.1%}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def learned():
    data, chosen = pushfit()
    header("learned classifier on PushFit, each row the mean over network seeds 0-2")
    for extra in ("no-deciles", "none", "quantiles", "turn", "bottom"):
        results = []
        for seed in range(3):
            estimator = LearnedVariant(extra, random_state=seed)
            runs = [grouped_cross_validation(estimator, data[chosen], seed=s) for s in range(3)]
            held = evaluate_model(clone(estimator).fit(data[chosen]), data[~chosen])
            results.append([np.mean([r.accuracy for r in runs]),
                            np.mean([r.group_accuracy() for r in runs]),
                            held.accuracy, held.group_accuracy()])
        rep, clip, held_rep, held_clip = np.mean(results, axis=0)
        print(f"| features: {extra} | {rep:.1%} / {clip:.1%} | {held_rep:.1%} / {held_clip:.1%} |",
              flush=True)
    for C in (1.0, 3.0, 30.0):
        row(f"C={C}", LearnedClassifier(C=C), data, chosen)
    for length in (8, 32):
        row(f"resample_length={length}", LearnedClassifier(resample_length=length), data, chosen)
    for units in (16, 256):
        row(f"hidden_units={units}", LearnedClassifier(hidden_units=units), data, chosen)
    for C in (0.1, 1.0):
        row(f"logistic, C={C}", LearnedClassifier(model="logistic", C=C), data, chosen)


def rocket():
    data, chosen = pushfit()
    header("random convolutional kernels on PushFit")
    row("MiniRocket + ridge (CV penalty)", RocketClassifier("mini"), data, chosen)
    row("MultiRocket poolings, series and difference + ridge", RocketClassifier("multi"), data,
        chosen)


def standards():
    data, chosen = pushfit(channels=None)
    header("learned classifier averaged with the calibrated push-up standards")
    for weight in (0.25, 0.5):
        row(f"standards' weight {weight}", WithStandards(weight), data, chosen)


def rotated(clip, yaw, pitch):
    """The clip seen by a camera turned by ``yaw`` about the vertical and ``pitch`` about the
    horizontal axis through the hips' centre (MediaPipe's z is in the x scale; orthographic)."""
    pose = clip.pose
    width, height = pose.image_size or (1, 1)
    points = pose.landmarks.astype(np.float64)
    x, y, z = points[..., 0] * width, points[..., 1] * height, points[..., 2] * width
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames with no hips: NaN stays NaN
        centre = [np.nanmean(v[:, 23:25], axis=1, keepdims=True) for v in (x, y, z)]
    x, y, z = x - centre[0], y - centre[1], z - centre[2]
    a, b = np.radians(yaw), np.radians(pitch)
    x, z = x * np.cos(a) + z * np.sin(a), -x * np.sin(a) + z * np.cos(a)
    y, z = y * np.cos(b) - z * np.sin(b), y * np.sin(b) + z * np.cos(b)
    out = points.copy()
    out[..., 0], out[..., 1], out[..., 2] = ((x + centre[0]) / width, (y + centre[1]) / height,
                                             (z + centre[2]) / width)
    return LabelledPose(clip.name, dataclasses.replace(pose, landmarks=out.astype(np.float32)),
                        clip.label)


def rotations():
    clips = datasets.load_pushfit()
    data, chosen = pushfit(clips=clips)
    angles = [(-15, 0), (15, 0), (0, -10), (0, 10), (-30, 0), (30, 0)]
    turned = {a: datasets.clips_to_reps([rotated(c, *a) for c in clips], "push-up",
                                        channels=PUSH_UP) for a in angles}

    def fit(estimator, groups, views):
        train = data[np.isin(data.groups, groups)]
        for view in views:
            train = train.concat(turned[view][np.isin(turned[view].groups, groups)])
        return clone(estimator).fit(train)

    header("training on the selection clips also seen by turned cameras (3-D rotation)")
    part = data[chosen]
    for name, estimator in (("kNN", DTWKNeighborsClassifier()),
                            ("kNN, resample 64, window 0.3",
                             DTWKNeighborsClassifier(window=0.3, resample_length=64)),
                            ("learned", LearnedClassifier())):
        for views in (angles[:2], angles[:4], angles):
            runs = []
            for seed in range(3):
                proba = np.zeros((len(part), 2))
                folds = StratifiedGroupKFold(5, shuffle=True, random_state=seed)
                for train, test in folds.split(np.zeros(len(part)), part.labels, part.groups):
                    proba[test] = fit(estimator, np.unique(part.groups[train]), views) \
                        .predict_proba(part[test])
                classes = np.array(part.classes)
                runs.append(EvaluationResult(list(classes), part.labels,
                                             classes[proba.argmax(axis=1)], proba, part.groups))
            held = evaluate_model(fit(estimator, np.unique(part.groups), views), data[~chosen])
            print(f"| {name}, turned by {views} | {np.mean([r.accuracy for r in runs]):.1%} / "
                  f"{np.mean([r.group_accuracy() for r in runs]):.1%} | {held.accuracy:.1%} / "
                  f"{held.group_accuracy():.1%} |", flush=True)


def protocols():
    data, chosen = pushfit()
    print("\n## both protocols on PushFit\n| model | 5-fold grouped CV, 64 clips, 5 shuffles: rep"
          " / clip | report half: rep / clip |\n|---|---|---|")
    for name, estimator in (("kNN (defaults)", DTWKNeighborsClassifier()),
                            ("kNN, resample 64, window 0.3",
                             DTWKNeighborsClassifier(window=0.3, resample_length=64)),
                            ("learned (defaults)", LearnedClassifier())):
        runs = [grouped_cross_validation(estimator, data, seed=s) for s in range(5)]
        held = evaluate_model(clone(estimator).fit(data[chosen]), data[~chosen])
        rep = [r.accuracy for r in runs]
        clip = [r.group_accuracy() for r in runs]
        print(f"| {name} | {np.mean(rep):.1%} ± {np.std(rep):.1%} / {np.mean(clip):.1%} ± "
              f"{np.std(clip):.1%} | {held.accuracy:.1%} / {held.group_accuracy():.1%} |",
              flush=True)


SECTIONS = {"knn": knn, "knn-channels": knn_channels, "knn-pose-trainer": knn_pose_trainer,
            "learned": learned, "rocket": rocket, "standards": standards, "rotations": rotations,
            "protocols": protocols, "ensembles": ensembles}

if __name__ == "__main__":
    for section in sys.argv[1:] or SECTIONS:
        SECTIONS[section]()
