"""Shared data for the benchmarks: realistic multichannel reps of known classes."""

import numpy as np


def synthetic_reps(n, length=64, n_channels=10, n_classes=4, seed=0):
    """``n`` smooth rep-like series (T, C) in ``n_classes`` classes, with labels.

    Each class is a family of dips with its own depth, timing and per-channel
    mix; each rep gets random amplitude, phase jitter and a smooth random walk,
    so neighbours are close but not identical (as real reps are).
    """
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, length)[:, None]
    depth = rng.uniform(0.5, 1.5, (n_classes, n_channels))
    centre = rng.uniform(0.35, 0.65, n_classes)
    y = rng.integers(0, n_classes, n)
    X = np.empty((n, length, n_channels))
    for i, label in enumerate(y):
        shift = centre[label] + rng.normal(0, 0.04)
        dip = np.exp(-((t - shift) / 0.15) ** 2) * depth[label] * rng.uniform(0.8, 1.2)
        walk = np.cumsum(rng.normal(0, 0.03, (length, n_channels)), axis=0)
        X[i] = dip + walk
    return X, np.array([f"class-{k}" for k in y])
