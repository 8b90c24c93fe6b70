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

__all__ = ["classifier_tags", "checked_labels", "fit_temperature", "make_network", "patience",
           "fit_on_one_blas_thread"]

#: The MLP's mini-batch (scikit-learn's ``batch_size="auto"``, for more than 200 reps).
BATCH_REPS = 200
#: Adam steps without a loss improvement of 1e-4 after which training stops: scikit-learn's
#: 10 epochs at 2,000 reps (10 batches of 200 each).
PATIENCE_STEPS = 100


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


def patience(n_reps) -> int:
    """Epochs without a loss improvement of 1e-4 after which the MLP stops, for ``n_reps`` reps.

    scikit-learn's rule counts epochs (10), but an epoch is ``ceil(n_reps /
    200)`` Adam steps, so on large sets the network goes on for ten times
    more steps than it needs: 1,000 at 20,000 reps. The patience is about
    :data:`PATIENCE_STEPS` steps instead, from 10 epochs (scikit-learn's, up
    to 2,200 reps: every real set) down to 4 (from 4,801 reps), which at
    20,000 reps trains in about half the epochs, with held-out errors within
    their spread over the network's seeds (``docs/experiments/learned_patience.py``).

    Examples
    --------
    >>> [patience(n) for n in (50, 2000, 2201, 5000, 20000)]
    [10, 10, 9, 4, 4]
    """
    steps_per_epoch = -(-n_reps // BATCH_REPS)
    return int(np.clip(-(-PATIENCE_STEPS // steps_per_epoch), 4, 10))


def make_network(kind, *, C, hidden_units, learning_rate, random_state, n_reps):
    """An unfitted ``LogisticRegression`` (``kind="logistic"``) or a one-hidden-layer MLP.

    The MLP's patience is :func:`patience` of the ``n_reps`` it will be fitted on.
    """
    if kind == "logistic":
        return LogisticRegression(C=C, max_iter=2000)
    return MLPClassifier((hidden_units,), alpha=1.0 / C, max_iter=1000,
                         learning_rate_init=learning_rate, random_state=random_state,
                         n_iter_no_change=patience(n_reps))


def fit_on_one_blas_thread(estimator, features, y):
    """``estimator.fit(features, y)`` with BLAS held to one thread.

    On small sets more threads only contend: on a busy 2-core machine a
    50-rep fit was 17 times slower with two.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return estimator.fit(features, y)
