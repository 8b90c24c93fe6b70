"""The LearnedClassifier inside the graph: standardisation, ``rep_features``, the network.

Each function repeats its NumPy counterpart in
:mod:`formcheck.classifiers.learned` (and the base class's per-channel
standardisation) in float64, so the probabilities match ``predict_proba``.
"""

from __future__ import annotations

import numpy as np

from ..classifiers.base import PROBABILITY_FLOOR
from ..classifiers.learned import N_QUANTILES
from ._graph import DOUBLE, INT64

__all__ = ["learned_probabilities"]


def learned_probabilities(g, series, model) -> str:
    """Class probabilities ``(n_classes,)`` of the rep ``series`` ``(T, C)``, in ``classes_`` order."""
    scaled = g.div(g.sub(series, model.mean_), model.scale_)
    features = _rep_features(g, scaled, model.resample_length)
    standardised = g.div(g.sub(features, model.feature_mean_), model.feature_scale_)
    proba = _network(g, g.unsqueeze(standardised, [0]), model.coefs_, model.intercepts_)
    return _calibrated(g, proba, model.temperature_)


def _calibrated(g, proba, temperature) -> str:
    """``RepClassifier._calibrated``: ``softmax(log(clip(p, floor, 1)) / T)``; as is when T = 1."""
    if temperature == 1.0:
        return proba
    clipped = g.op("Clip", proba, np.float64(PROBABILITY_FLOOR), np.float64(1.0))
    return g.op("Softmax", g.div(g.op("Log", clipped), float(temperature)), axis=0)


def _resample(g, series, length) -> str:
    """``features.angles.resample``: ``length`` evenly spaced points over the rep, ``(length, C)``."""
    frames = g.dim(series, 0)
    last = g.cast(g.sub(frames, np.int64(1)), DOUBLE)
    steps = np.arange(length, dtype=np.float64)
    position = g.mul(steps, g.div(last, float(length - 1)))          # np.linspace(0, T - 1, L)
    position = g.where(steps == length - 1, last, position)          # linspace's exact endpoint
    left = g.op("Min", g.cast(g.op("Floor", position), INT64), g.sub(frames, np.int64(2)))
    weight = g.unsqueeze(g.sub(position, g.cast(left, DOUBLE)), [1])
    below = g.take(series, left, axis=0)
    above = g.take(series, g.add(left, np.int64(1)), axis=0)
    return g.add(g.mul(below, g.sub(1.0, weight)), g.mul(above, weight))


def _rep_features(g, series, resample_length) -> str:
    """``classifiers.learned.rep_features``: shape, ten summaries and the deciles per channel,
    log length."""
    frames = g.dim(series, 0)
    span = g.cast(g.sub(frames, np.int64(1)), DOUBLE)
    shape = g.op("Transpose", _resample(g, series, resample_length), perm=[1, 0])
    velocity = g.mul(g.sub(_rows(g, series, 1, None), _rows(g, series, 0, -1)), span)
    low, high = g.reduce("ReduceMin", series, 0), g.reduce("ReduceMax", series, 0)
    mean = g.reduce("ReduceMean", series, 0)
    deviation = g.sub(series, mean)
    std = g.op("Sqrt", g.reduce("ReduceMean", g.mul(deviation, deviation), 0))
    summaries = [
        low, high, g.sub(high, low), mean, std,
        g.div(g.cast(g.reduce("ArgMin", series, 0), DOUBLE), span),
        g.div(g.cast(g.reduce("ArgMax", series, 0), DOUBLE), span),
        g.reduce("ReduceMean", g.op("Abs", velocity), 0),
        g.reduce("ReduceMax", velocity, 0), g.reduce("ReduceMin", velocity, 0),
    ]
    table = g.op("Concat", *[g.unsqueeze(s, [1]) for s in summaries], axis=1)   # (C, 10)
    ascending, _ = g.op("TopK", series, g.unsqueeze(frames, [0]), axis=0, largest=0, sorted=1,
                        outputs=2)                                            # np.sort(axis=0)
    deciles = g.op("Transpose", _rows(g, _resample(g, ascending, N_QUANTILES + 2), 1, -1),
                   perm=[1, 0])                                               # (C, 9)
    log_length = g.unsqueeze(g.op("Log", g.cast(frames, DOUBLE)), [0])
    return g.op("Concat", _flat(g, shape), _flat(g, table), _flat(g, deciles), log_length,
                axis=0)


def _rows(g, x, start, stop):
    """``x[start:stop]`` along the first axis (``stop`` None: to the end)."""
    end = np.iinfo(np.int64).max if stop is None else stop
    return g.op("Slice", x, np.array([start], np.int64), np.array([end], np.int64),
                np.array([0], np.int64))


def _flat(g, x):
    return g.op("Reshape", x, np.array([-1], np.int64))


def _network(g, inputs, coefs, intercepts) -> str:
    """``classifiers.learned._network_proba`` for one row, as a 1-D ``(n_classes,)`` tensor.

    ReLU hidden layers; one output unit is the logistic probability ``p`` of
    the second class (returned as ``1 - p, p``), several are a softmax. The
    weight matrices are stored in float32 (:meth:`Graph.weights`), the rest in
    float64.
    """
    activation = inputs
    for coef, intercept in zip(coefs[:-1], intercepts[:-1]):
        activation = g.op("Relu", g.add(g.op("MatMul", activation, g.weights(coef)), intercept))
    output = g.add(g.op("MatMul", activation, g.weights(coefs[-1])), intercepts[-1])
    if coefs[-1].shape[1] == 1:
        positive = g.op("Sigmoid", output)
        output = g.op("Concat", g.sub(1.0, positive), positive, axis=1)
    else:
        output = g.op("Softmax", output, axis=1)
    return _flat(g, output)
