"""The fault standards (StandardsClassifier) next to the DTW kNN and the learned classifier.

1. Synthetic reps, ``make_dataset(exercise, n_subjects=16, seed=1, severity, view,
   world_landmarks)`` for every exercise and view, borderline (severity 0-0.2) and random
   severities, with the angles in 2-D (the image) and in 3-D (the synthetic world landmarks, as
   MediaPipe gives for a video). The kNN and the learned
   classifier: 4-fold cross-validation grouped by subject (as in docs/classifiers.md). The
   standards: with no data at all (every standard of the exercise may fire, so a rep called by
   another fault than the data's counts as wrong), restricted to the faults the data name (no
   calibration), and calibrated in the same 4 folds.
2. PushFit (real MediaPipe keypoints, clips labelled correct / wrong): the standards with no data,
   a rep counting as "wrong" when it breaks any standard; per clip, the majority of its reps.
   Which standard fires on which clips.

Reproduce: ``PYTHONPATH=. FORMCHECK_DATASETS=../shared/datasets .venv/bin/python
docs/experiments/standards_accuracy.py [synthetic|pushfit]`` (prints Markdown tables).
"""

import sys
from collections import Counter

import numpy as np

from formcheck import DTWKNeighborsClassifier, LearnedClassifier
from formcheck.classifiers.standards import StandardsClassifier
from formcheck.datasets import clips_to_reps, load_pushfit
from formcheck.datasets.synthetic import make_dataset
from formcheck.evaluation.validation import grouped_cross_validation

VIEWS = {"squat": ("side", "front", "back"), "pull-up": ("front", "back"), "push-up": ("side",)}
SEVERITIES = {"0-0.2": (0.0, 0.2), "random": None}
GEOMETRIES = ("2-D", "3-D")


def synthetic_rows():
    for exercise, views in VIEWS.items():
        for view in views:
            for geometry in GEOMETRIES:
                for severity_name, severity in SEVERITIES.items():
                    data = make_dataset(exercise, n_subjects=16, seed=1, severity=severity,
                                        view=view, world_landmarks=geometry == "3-D")
                    yield (exercise, view, geometry, severity_name, data,
                           _synthetic_scores(exercise, data))


def _synthetic_scores(exercise, data):
    zero = StandardsClassifier(exercise).fit()
    predicted = zero.predict(data)
    correct = data.labels == get_correct(exercise)
    scores = {
        "standards (no data)": np.mean(predicted == data.labels),
        "standards: fault found": np.mean((predicted != get_correct(exercise)) != correct),
        "standards, the data's faults": np.mean(
            StandardsClassifier(exercise, calibrate=False).fit(data).predict(data) == data.labels),
        "standards, calibrated (CV)": grouped_cross_validation(
            StandardsClassifier(exercise), data, n_splits=4, seed=0).accuracy,
    }
    for name, model in (("DTW kNN", DTWKNeighborsClassifier()), ("learned", LearnedClassifier())):
        scores[name] = grouped_cross_validation(model, data, n_splits=4, seed=0).accuracy
    scores["wrong fault labels"] = dict(Counter(predicted[predicted != data.labels]))
    return scores


def get_correct(exercise):
    return f"{exercise}/correct"


def print_synthetic():
    columns = ["standards (no data)", "standards: fault found", "standards, the data's faults",
               "standards, calibrated (CV)", "DTW kNN", "learned"]
    print("| exercise | view | angles | severity | reps | " + " | ".join(columns)
          + " | zero-data misses |")
    print("|" + "---|" * (len(columns) + 6))
    for exercise, view, geometry, severity, data, scores in synthetic_rows():
        misses = ", ".join(f"{label.split('/')[1]} {n}" for label, n in
                           sorted(scores["wrong fault labels"].items()))
        print(f"| {exercise} | {view} | {geometry} | {severity} | {len(data)} | "
              + " | ".join(f"{100 * scores[c]:.1f}" for c in columns) + f" | {misses} |",
              flush=True)


def print_pushfit():
    data = clips_to_reps(load_pushfit(), "push-up")
    model = StandardsClassifier("push-up").fit()
    predicted = model.predict(data)
    faulty = predicted != "push-up/correct"
    wrong = data.labels == "push-up/wrong"
    clips = sorted(set(data.groups))
    clip_truth = np.array([data.labels[data.groups == c][0] == "push-up/wrong" for c in clips])
    clip_faulty = np.array([faulty[data.groups == c].mean() >= 0.5 for c in clips])
    print(f"PushFit: {len(data)} reps in {len(clips)} clips; every rep gets a verdict: "
          f"{len(predicted) == len(data)}")
    print(f"rep accuracy {np.mean(faulty == wrong):.1%}, clip accuracy (majority of reps) "
          f"{np.mean(clip_faulty == clip_truth):.1%}")
    print(f"wrong clips caught {np.mean(clip_faulty[clip_truth]):.1%} "
          f"({clip_faulty[clip_truth].sum()}/{clip_truth.sum()}); correct clips passed "
          f"{np.mean(~clip_faulty[~clip_truth]):.1%} "
          f"({(~clip_faulty[~clip_truth]).sum()}/{(~clip_truth).sum()})")
    print("labels on reps of wrong clips:", dict(Counter(predicted[wrong])))
    print("labels on reps of correct clips:", dict(Counter(predicted[~wrong])))
    judged = model.judge(data)
    unjudged = sum(all(not np.isfinite(j.score) for j in rep) for rep in judged)
    print(f"reps no standard could judge (not a side view): {unjudged}")
    for title, truth in (("wrong", True), ("correct", False)):
        print(f"{title} clips called faulty, with the standards their reps break:")
        for clip, is_wrong, called in zip(clips, clip_truth, clip_faulty):
            if called and is_wrong == truth:
                print(f"  {clip}: {dict(_fired(judged, data.groups, clip))}")
    print("wrong clips passed as correct: reps no standard could judge / reps judged")
    for clip, is_wrong, called in zip(clips, clip_truth, clip_faulty):
        if is_wrong and not called:
            reps = [r for r, g in zip(judged, data.groups) if g == clip]
            blind = sum(all(not np.isfinite(j.score) for j in rep) for rep in reps)
            print(f"  {clip}: {blind} / {len(reps)}")


def _fired(judged, groups, clip):
    reps = [r for r, g in zip(judged, groups) if g == clip]
    return Counter(j.fault.split("/")[1] for rep in reps for j in rep if j.broken)


if __name__ == "__main__":
    part = sys.argv[1] if len(sys.argv) > 1 else "all"
    if part in ("synthetic", "all"):
        print_synthetic()
    if part in ("pushfit", "all"):
        print_pushfit()
