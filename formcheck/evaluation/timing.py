"""Fit time, model size and prediction latency against the training-set size N."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone

from .._progress import progress as progress_bar
from .sampling import jitter, training_sample

__all__ = ["BATCH_SIZE", "median_seconds", "interleaved_samples", "model_bytes", "latency_curve"]

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


def interleaved_samples(calls, budget=0.5, min_repeats=5, max_repeats=100) -> dict:
    """Wall times of every call of ``calls``, taken in turn, round after round.

    Each round runs every ``calls[name](i)`` (``i`` is the round), so a load
    spike on a shared machine hits all of them alike. Each timed call follows
    an untimed one of the same call, so none pays for the caches the previous
    one evicted (a large batch of one classifier would otherwise slow the
    next one's single rep). Rounds go on until ``budget`` seconds have passed
    (at least ``min_repeats``, at most ``max_repeats``).

    Returns
    -------
    dict of str to numpy.ndarray
        The samples of each call, in seconds.

    Examples
    --------
    >>> samples = interleaved_samples({"a": lambda i: None, "b": lambda i: sum(range(99))},
    ...                               budget=0.01)
    >>> sorted(samples), len(samples["a"]) == len(samples["b"]) >= 5
    (['a', 'b'], True)
    """
    samples = {name: [] for name in calls}
    deadline = time.perf_counter() + budget
    rounds = 0
    while rounds < min_repeats or (rounds < max_repeats and time.perf_counter() < deadline):
        for name, call in calls.items():
            call(rounds)
            started = time.perf_counter()
            call(rounds)
            samples[name].append(time.perf_counter() - started)
        rounds += 1
    return {name: np.array(times) for name, times in samples.items()}


def _summary(samples, per_call=1) -> dict:
    """Median, quartiles and the samples themselves, per item of a call."""
    values = samples / per_call
    return {"seconds": float(np.median(values)),
            "spread": [float(np.percentile(values, 25)), float(np.percentile(values, 75))],
            "samples": values.tolist()}


def latency_curve(estimators, X, y, sizes, *, seed=0, budget=0.5, batch_size=BATCH_SIZE,
                  progress=False) -> list:
    """Fit time, model size and prediction latency of every estimator at every N.

    Each size gets its own training sample (:func:`~formcheck.evaluation.sampling.training_sample`); the
    queries are ``batch_size`` jittered copies of the data's reps, not in any
    training sample. At each size every estimator is fitted, then only
    prediction is timed, **interleaved**: one round predicts one rep
    (``single``) and ``batch_size`` reps (``batch``, per rep) with every
    estimator in turn (:func:`interleaved_samples`, each timed call after an
    untimed one of the same), and rounds repeat for ``budget`` seconds per
    estimator. Medians are reported, with quartiles and
    the samples, from which :mod:`~formcheck.evaluation.scaling` derives the
    spread of fitted slopes and crossovers.

    Parameters
    ----------
    estimators : dict of str to RepClassifier
    X : list of numpy.ndarray
    y : numpy.ndarray
    sizes : sequence of int
    seed : int
    budget : float
        Seconds of timing per estimator and size (at least 5 rounds).
    batch_size : int
    progress : bool

    Returns
    -------
    list of dict
        One row per (classifier, N): ``classifier``, ``n``, ``resampled``,
        ``fit_seconds``, ``model_bytes``, ``single_seconds`` (median),
        ``single_spread`` (quartiles), ``single_samples``, the same three for
        ``batch`` (per rep), and ``batch_size``.
    """
    rng = np.random.default_rng(seed)
    queries = [jitter(X[i], rng) for i in rng.integers(0, len(X), batch_size)]
    rows = []
    for n in progress_bar(list(sizes), progress, desc="latency"):
        X_n, y_n, resampled = training_sample(X, y, n, np.random.default_rng([seed, n]))
        models, fit_seconds = {}, {}
        for name, estimator in estimators.items():
            models[name] = clone(estimator)
            started = time.perf_counter()
            models[name].fit(X_n, y_n)
            fit_seconds[name] = time.perf_counter() - started
            models[name].predict(queries[:1])  # compile and warm caches outside the timing
        calls = {}
        for name, model in models.items():
            calls[name, "single"] = lambda i, m=model: m.predict([queries[i % len(queries)]])
            calls[name, "batch"] = lambda i, m=model: m.predict(queries)
        samples = interleaved_samples(calls, budget * len(models))
        for name, model in models.items():
            single = _summary(samples[name, "single"])
            batch = _summary(samples[name, "batch"], len(queries))
            rows.append({"classifier": name, "n": int(n), "resampled": resampled,
                         "fit_seconds": fit_seconds[name], "model_bytes": model_bytes(model),
                         "single_seconds": single["seconds"], "single_spread": single["spread"],
                         "single_samples": single["samples"],
                         "batch_seconds": batch["seconds"], "batch_spread": batch["spread"],
                         "batch_samples": batch["samples"], "batch_size": len(queries)})
    return rows
