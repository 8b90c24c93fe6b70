"""Fit time, model size and prediction latency against the training-set size N."""

from __future__ import annotations

import tempfile
import time
from itertools import product
from pathlib import Path

import numpy as np
from sklearn.base import clone

from .._progress import progress as progress_bar
from .sampling import jitter, training_sample

__all__ = ["BATCH_SIZE", "median_seconds", "model_bytes", "latency_curve"]

#: Reps per call when timing batch prediction.
BATCH_SIZE = 64


def median_seconds(call, budget=0.5, min_repeats=3, max_repeats=100) -> float:
    """Median wall time of ``call(i)`` for ``i = 0, 1, ...``, repeated until ``budget`` seconds.

    Examples
    --------
    >>> median_seconds(lambda i: sum(range(1000)), budget=0.01) < 0.01
    True
    """
    times = []
    deadline = time.perf_counter() + budget
    while len(times) < min_repeats or (len(times) < max_repeats
                                       and time.perf_counter() < deadline):
        started = time.perf_counter()
        call(len(times))
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def model_bytes(model) -> int:
    """Size in bytes of the file ``model.save`` writes."""
    with tempfile.TemporaryDirectory() as folder:
        return model.save(Path(folder) / "model.fcm").stat().st_size


def _time_one(estimator, X, y, queries, budget) -> dict:
    model = clone(estimator)
    started = time.perf_counter()
    model.fit(X, y)
    fit_seconds = time.perf_counter() - started
    model.predict(queries[:1])  # compile and warm caches outside the timing
    single = median_seconds(lambda i: model.predict([queries[i % len(queries)]]), budget)
    batch = median_seconds(lambda i: model.predict(queries), budget)
    return {"fit_seconds": fit_seconds, "model_bytes": model_bytes(model),
            "single_seconds": single, "batch_seconds": batch / len(queries),
            "batch_size": len(queries)}


def latency_curve(estimators, X, y, sizes, *, seed=0, budget=0.5, batch_size=BATCH_SIZE,
                  progress=False) -> list:
    """Fit time, model size and prediction latency of every estimator at every N.

    Each size gets its own training sample (:func:`~formcheck.evaluation.sampling.training_sample`); the
    queries are ``batch_size`` jittered copies of the data's reps, not in any
    training sample. Only prediction is timed: one rep per call
    (``single_seconds``) and ``batch_size`` reps per call (``batch_seconds``
    is per rep).

    Parameters
    ----------
    estimators : dict of str to RepClassifier
    X : list of numpy.ndarray
    y : numpy.ndarray
    sizes : sequence of int
    seed : int
    budget : float
        Seconds spent repeating each measurement (at least 3 calls).
    batch_size : int
    progress : bool

    Returns
    -------
    list of dict
        One row per (classifier, N): ``classifier``, ``n``, ``resampled``,
        ``fit_seconds``, ``model_bytes``, ``single_seconds``, ``batch_seconds``,
        ``batch_size``.
    """
    rng = np.random.default_rng(seed)
    queries = [jitter(X[i], rng) for i in rng.integers(0, len(X), batch_size)]
    samples = {n: training_sample(X, y, n, np.random.default_rng([seed, n])) for n in sizes}
    rows = []
    for name, n in progress_bar(list(product(estimators, sizes)), progress, desc="latency"):
        X_n, y_n, resampled = samples[n]
        rows.append({"classifier": name, "n": int(n), "resampled": resampled,
                     **_time_one(estimators[name], X_n, y_n, queries, budget)})
    return rows
