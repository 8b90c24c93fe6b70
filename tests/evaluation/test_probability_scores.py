"""Brier score, reliability and calibration error of out-of-sample probabilities."""

import numpy as np
from sklearn.metrics import brier_score_loss

from formcheck.evaluation.plots import plot_reliability
from formcheck.evaluation.validation import EvaluationResult


def result(proba, truth):
    classes = np.array(["a", "b"])
    proba = np.asarray(proba, dtype=float)
    truth = np.asarray(truth)
    return EvaluationResult(classes, truth, classes[proba.argmax(axis=1)], proba,
                            np.arange(len(truth)).astype(str))


def test_brier_score_is_scikit_learns_for_two_classes():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=50)
    truth = np.where(rng.uniform(size=50) < p, "b", "a")
    r = result(np.column_stack([1 - p, p]), truth)
    assert np.isclose(r.brier_score(), brier_score_loss(truth == "b", p))


def test_a_sure_classifier_that_is_often_wrong_is_badly_calibrated():
    truth = ["a"] * 6 + ["b"] * 4
    sure = result([[1.0, 0.0]] * 10, truth)             # always 100 % "a": right 6 times in 10
    confidence, accuracy, counts = sure.reliability()
    assert confidence.tolist() == [1.0] and accuracy.tolist() == [0.6] and counts.tolist() == [10]
    assert np.isclose(sure.calibration_error(), 0.4) and np.isclose(sure.brier_score(), 0.4)
    honest = result([[0.6, 0.4]] * 10, truth)            # says 60 %, right 60 %
    assert np.isclose(honest.calibration_error(), 0.0)
    assert honest.brier_score() < sure.brier_score()


def test_plot_reliability_writes_a_png(tmp_path):
    truth = ["a", "b"] * 10
    rng = np.random.default_rng(1)
    p = rng.uniform(size=20)
    path = plot_reliability({"model": result(np.column_stack([1 - p, p]), truth)},
                            tmp_path / "reliability.png", title="test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
