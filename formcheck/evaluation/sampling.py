"""Training sets of any size N: stratified sub-samples of the data, or the data plus jittered copies.

The benchmark times the classifiers against the training-set size N
(:func:`~formcheck.evaluation.timing.latency_curve`); sizes up to the data
size are stratified sub-samples (:func:`stratified_indices`), larger ones add
plausible new reps made from the old (:func:`jitter`).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..features.angles import resample

__all__ = ["stratified_indices", "jitter", "training_sample"]


def stratified_indices(labels, n, rng) -> np.ndarray:
    """Sorted indices of ``n`` items drawn without replacement, every class in proportion.

    Every class keeps at least one item; the rounding remainder goes to the
    classes furthest below their share.

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array(["a"] * 8 + ["b"] * 2)
    >>> picked = stratified_indices(labels, 5, np.random.default_rng(0))
    >>> len(picked), sorted(set(labels[picked].tolist()))
    (5, ['a', 'b'])
    """
    classes, index = np.unique(labels, return_inverse=True)
    if not len(classes) <= n <= len(labels):
        raise InputError(f"cannot draw {n} of {len(labels)} reps with all {len(classes)} classes")
    counts = np.bincount(index)
    share = counts * n / len(labels)
    quota = np.maximum(1, np.floor(share).astype(int))
    while quota.sum() < n:
        quota[np.argmax(np.where(quota < counts, share - quota, -np.inf))] += 1
    while quota.sum() > n:
        quota[np.argmax(quota)] -= 1
    picks = [rng.choice(np.flatnonzero(index == k), q, replace=False) for k, q in enumerate(quota)]
    return np.sort(np.concatenate(picks))


def jitter(series, rng, *, stretch=(0.85, 1.18), amplitude=0.05, noise=0.02) -> np.ndarray:
    """A plausible new rep made from an old one, to grow a training set for timing.

    The rep is resampled to a duration factor drawn log-uniformly from
    ``stretch``, every channel is scaled about its mean by ``1 + N(0, amplitude)``,
    and noise of ``noise`` times the channel's spread is added.

    Parameters
    ----------
    series : numpy.ndarray, shape (T, C)
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (T', C)

    Examples
    --------
    >>> import numpy as np
    >>> rep = np.sin(np.linspace(0, 3, 40))[:, None] * [1.0, 2.0]
    >>> copy = jitter(rep, np.random.default_rng(0))
    >>> copy.shape[1], 34 <= len(copy) <= 47
    (2, True)
    """
    series = np.asarray(series, dtype=float)
    factor = np.exp(rng.uniform(*np.log(stretch)))
    stretched = resample(series, max(2, round(len(series) * factor)))
    mean = stretched.mean(axis=0)
    scale = 1 + rng.normal(0, amplitude, series.shape[1])
    return mean + (stretched - mean) * scale + rng.normal(0, noise, stretched.shape) * series.std(0)


def training_sample(X, y, n, rng):
    """``n`` training reps from ``X``: a stratified sub-sample, or all plus jittered copies.

    Parameters
    ----------
    X : list of numpy.ndarray
    y : numpy.ndarray
    n : int
    rng : numpy.random.Generator

    Returns
    -------
    X_n : list of numpy.ndarray
    y_n : numpy.ndarray
    resampled : bool
        True when ``n`` exceeds the data and jittered copies were added.
    """
    if n <= len(X):
        picked = stratified_indices(y, n, rng)
        return [X[i] for i in picked], y[picked], False
    extra = rng.integers(0, len(X), n - len(X))
    return list(X) + [jitter(X[i], rng) for i in extra], np.concatenate([y, y[extra]]), True
