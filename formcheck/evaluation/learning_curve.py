"""Cross-validated accuracy against the number of training reps."""

from __future__ import annotations

from itertools import product

import numpy as np
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold

from .._progress import progress as progress_bar
from .sampling import stratified_indices

__all__ = ["learning_curve"]


def learning_curve(estimators, dataset, *, n_splits=5, points=5, seed=0, progress=False) -> list:
    """Cross-validated accuracy against the number of training reps.

    The folds are stratified and grouped by video/subject; at each point every
    fold's training part is sub-sampled (stratified) to the same fraction, and
    the predictions of all folds are scored together.

    Returns
    -------
    list of dict
        ``classifier``, ``n_train`` (mean over folds), ``accuracy``, ``macro_f1``.
    """
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    folds = list(splitter.split(np.zeros(len(dataset)), dataset.labels, dataset.groups))
    smallest = min(len(train) for train, _ in folds)
    start = min(smallest, max(2 * len(dataset.classes), smallest // 8))
    fractions = np.unique(np.round(np.geomspace(start, smallest, points))) / smallest
    rows = []
    for name, fraction in progress_bar(list(product(estimators, fractions)), progress,
                                       desc="learning curve"):
        rng = np.random.default_rng(seed)
        rows.append({"classifier": name,
                     **_curve_point(estimators[name], dataset, folds, fraction, rng)})
    return rows


def _curve_point(estimator, dataset, folds, fraction, rng) -> dict:
    sizes, y_true, y_pred = [], [], []
    for train, test in folds:
        n = max(len(dataset.classes), round(fraction * len(train)))
        subset = train[stratified_indices(dataset.labels[train], n, rng)]
        y_pred.append(clone(estimator).fit(dataset[subset]).predict(dataset[test]))
        y_true.append(dataset.labels[test])
        sizes.append(n)
    y_true, y_pred = np.concatenate(y_true), np.concatenate(y_pred)
    return {"n_train": float(np.mean(sizes)), "accuracy": float(np.mean(y_true == y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0))}
