"""What only fitting needs: scikit-learn's estimators and checks, SciPy's optimiser.

The classifiers' ``fit`` methods import this module when they run, so that
loading a saved model and predicting (an app's start, ``formcheck predict``)
imports neither scikit-learn nor ``scipy.optimize``: together about a second of
start-up (``benchmarks/bench_startup.py``).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.neural_network import MLPClassifier
from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d
from threadpoolctl import threadpool_limits

from .base import PROBABILITY_FLOOR, softmax

__all__ = ["classifier_tags", "checked_labels", "fit_temperature", "make_network",
           "fit_on_one_blas_thread"]


def classifier_tags() -> Tags:
    """scikit-learn's tags of a rep classifier: a classifier of 3-D input, deterministic."""
    return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                classifier_tags=ClassifierTags(), non_deterministic=False,
                input_tags=InputTags(three_d_array=True))


def checked_labels(y) -> np.ndarray:
    """``y`` as a 1-D array of class labels (scikit-learn's checks and messages)."""
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    return y


def fit_temperature(model, series, y, groups, *, folds) -> float:
    """The temperature ``T`` minimising the out-of-fold log loss of ``softmax(log p / T)``.

    Copies of ``model`` (``calibrate=False``) are fitted on ``folds`` grouped,
    stratified folds of the reps; see ``TrainedRepClassifier._temperature``.
    """
    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=0)
    log_proba = np.zeros((len(series), len(model.classes_)))
    for train, test in splitter.split(np.zeros(len(series)), y, groups):
        copy = clone(model).set_params(calibrate=False)
        copy.fit([series[i] for i in train], y[train])
        columns = np.searchsorted(model.classes_, copy.classes_)
        proba = np.full((len(test), len(model.classes_)), PROBABILITY_FLOOR)
        proba[:, columns] = copy.predict_proba([series[i] for i in test])
        log_proba[test] = np.log(np.clip(proba, PROBABILITY_FLOOR, 1.0))
    truth = np.searchsorted(model.classes_, y)

    def log_loss(log_t):
        scaled = softmax(log_proba / np.exp(log_t))
        return -np.mean(np.log(scaled[np.arange(len(truth)), truth] + 1e-12))

    return float(np.exp(minimize_scalar(log_loss, bounds=(-3, 5), method="bounded").x))


def make_network(kind, *, C, hidden_units, learning_rate, random_state):
    """An unfitted ``LogisticRegression`` (``kind="logistic"``) or a one-hidden-layer MLP."""
    if kind == "logistic":
        return LogisticRegression(C=C, max_iter=2000)
    return MLPClassifier((hidden_units,), alpha=1.0 / C, max_iter=1000,
                         learning_rate_init=learning_rate, random_state=random_state)


def fit_on_one_blas_thread(estimator, features, y):
    """``estimator.fit(features, y)`` with BLAS held to one thread.

    On small sets more threads only contend: on a busy 2-core machine a
    50-rep fit was 17 times slower with two.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return estimator.fit(features, y)
