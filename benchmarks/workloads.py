"""Search workloads for the DTW benchmarks: synthetic random walks and held-out real reps.

Each workload is a training set of N reps, queries that are not in it, and the
band. ``walks`` are the latency table's reps (``conftest.synthetic_reps``: a
dip per class plus a smooth random walk, T = 64, C = 10, radius 6);
``walks-unequal`` resamples each of them to its own length in 40..90 frames;
``pushfit`` takes the real PushFit reps, holds out a quarter of the clips
(people the training set never saw) as queries and grows the rest to N with
jittered copies, which is where lower bounds are weakest.
"""

from __future__ import annotations

import functools

import numpy as np

from formcheck.datasets.real import clips_to_reps, default_root, load_pushfit
from formcheck.evaluation.sampling import jitter
from formcheck.features.angles import resample

from .conftest import synthetic_reps

LENGTH, CHANNELS, RADIUS = 64, 10, 6
#: Workload -> Sakoe-Chiba window (an int radius, or the classifier's default fraction).
WINDOWS = {"walks": RADIUS, "walks-unequal": RADIUS, "pushfit": 0.1}


def make_workload(name, n, n_queries, seed=0):
    """``(train, queries, window)`` of workload ``name`` with ``n`` training reps."""
    if name == "pushfit":
        return (*_pushfit(n, n_queries, seed), WINDOWS[name])
    X, _ = synthetic_reps(n + n_queries, LENGTH, CHANNELS, seed=seed + n)
    series = list(X)
    if name == "walks-unequal":
        rng = np.random.default_rng(seed + 1)
        series = [resample(s, int(rng.integers(40, 91))) for s in series]
    return series[:n], series[n:], WINDOWS[name]


def pushfit_available() -> bool:
    """Whether the PushFit keypoints are in the shared datasets folder."""
    return (default_root() / "pushfit-pushups" / "mediapipe_keypoints.npz").is_file()


@functools.cache
def _pushfit_split(seed):
    dataset = clips_to_reps(load_pushfit(), "push-up")
    groups = np.asarray(dataset.groups)
    clips = np.unique(groups)
    held_out = np.random.default_rng(seed).choice(clips, len(clips) // 4, replace=False)
    test = np.isin(groups, held_out)
    reps = [np.asarray(x, dtype=np.float64) for x in dataset.X]
    return [r for r, t in zip(reps, test) if not t], [r for r, t in zip(reps, test) if t]


def _pushfit(n, n_queries, seed):
    """Training reps jittered up to ``n`` and held-out queries, standardised on the training reps."""
    train, queries = _pushfit_split(seed)
    rng = np.random.default_rng([seed, n])
    extra = rng.integers(0, len(train), max(0, n - len(train)))
    train = train[:n] + [jitter(train[i], rng) for i in extra]
    frames = np.concatenate(train)
    mean, scale = frames.mean(axis=0), frames.std(axis=0)
    picked = rng.permutation(len(queries))[:n_queries]
    return [(s - mean) / scale for s in train], [(queries[i] - mean) / scale for i in picked]
