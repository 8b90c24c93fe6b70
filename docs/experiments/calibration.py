"""Reliability and Brier score of both classifiers on PushFit, with and without calibration.

Out-of-sample probabilities: 5-fold cross-validation grouped by clip over 3 shuffles (the
calibrated models fit their temperature on grouped folds of each training part only). Writes
docs/img/reliability-pushfit.png (the 3 shuffles pooled).

Run: .venv/bin/python docs/experiments/calibration.py
"""

from pathlib import Path

import numpy as np

from formcheck import DTWKNeighborsClassifier, LearnedClassifier
from formcheck import datasets
from formcheck.evaluation.plots import plot_reliability
from formcheck.evaluation.validation import EvaluationResult, grouped_cross_validation

MODELS = {
    "DTW kNN": DTWKNeighborsClassifier(),
    "DTW kNN, calibrated": DTWKNeighborsClassifier(calibrate=True),
    "learned": LearnedClassifier(),
    "learned, calibrated": LearnedClassifier(calibrate=True),
}
FIGURE = Path(__file__).resolve().parents[1] / "img" / "reliability-pushfit.png"


def pooled(runs):
    """One result holding the predictions of every shuffle."""
    return EvaluationResult(runs[0].classes, np.concatenate([r.y_true for r in runs]),
                            np.concatenate([r.y_pred for r in runs]),
                            np.concatenate([r.proba for r in runs]),
                            np.concatenate([r.groups for r in runs]))


def main():
    data = datasets.clips_to_reps(datasets.load_pushfit(), "push-up")
    print("| model | rep accuracy | Brier score | calibration error (10 bins) |")
    print("|---|---|---|---|")
    results = {}
    for name, model in MODELS.items():
        runs = [grouped_cross_validation(model, data, seed=s) for s in range(3)]
        brier = np.array([r.brier_score() for r in runs])
        error = np.array([r.calibration_error() for r in runs])
        accuracy = np.array([r.accuracy for r in runs]) * 100
        print(f"| {name} | {accuracy.mean():.1f} | {brier.mean():.3f} ± {brier.std():.3f} | "
              f"{error.mean():.3f} ± {error.std():.3f} |", flush=True)
        results[name] = pooled(runs)
    plot_reliability(results, FIGURE, title="PushFit reps, grouped 5-fold CV, 3 shuffles")
    print(f"-> {FIGURE}")


if __name__ == "__main__":
    main()
