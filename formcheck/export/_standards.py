"""The StandardsClassifier inside the graph: smoothing, turning point, phases, statistics, margins.

Each function repeats its counterpart in :mod:`formcheck.classifiers.standards`
(and :func:`formcheck.reps.driving_channels`) in float64 on the rep's angle
series ``(T, C)`` in ``channels_`` order, so the probabilities match
``predict_proba``:

- smoothing: a 5-frame running median (edges repeated, as
  ``scipy.ndimage.median_filter(mode="nearest")``), then the Savitzky-Golay
  filter of order 2 over ``max(5, T // 10 | 1)`` frames with SciPy's ``interp``
  edges, written as the least-squares quadratic through each frame's window
  (orthogonal polynomials on the window, the window shifted inwards at the ends);
- the driving signal and its fallback (5-95 percentile spread, second-difference
  noise), its turning point, the four phases of the rep;
- every standard's statistic over its phase, its condition, its margin in noise
  units, and the softmax over ``1.7 x`` margins.
"""

from __future__ import annotations

import math

import numpy as np

from ..features.channels import measurement_noise
from ..features.exercises import get_exercise
from ._graph import DOUBLE, INT64

__all__ = ["standards_probabilities"]

# the constants of formcheck.classifiers.standards and formcheck.reps
_REST_FRACTION = 0.1
_TURNING_FRACTION = 0.1
_LOGISTIC_SCALE = 1.7
_MEDIAN_FRAMES = 5
_MIN_WINDOW = 5
_FALLBACK_SIGNAL_TO_NOISE = 8.0
_MAD_TO_SIGMA = 1.4826
_PHASE_NAMES = ("first", "turning", "second", "rest")


def standards_probabilities(g, series, model) -> str:
    """Class probabilities ``(n_classes,)`` of the rep ``series`` ``(T, C)``, in ``classes_`` order.

    NaN when ``series`` holds a NaN (a channel formcheck cannot compute).
    """
    definition = get_exercise(model.exercise_)
    channels = list(model.channels_)
    smooth = _smoothed(g, series)
    frames = g.dim(series, 0)
    index = g.op("Range", np.int64(0), frames, np.int64(1))
    turning = _turning(g, smooth, channels, definition)
    phases = _phases(g, index, frames, turning)
    classes = [str(c) for c in model.classes_]
    logits = {c: -math.inf for c in classes}
    logits[definition.correct] = 0.0
    for fault, standard in definition.standards.items():
        label = model.labels_[fault]
        if label is None:
            continue
        score = _score(g, standard, model.thresholds_[fault], series, smooth, channels, phases,
                       definition)
        scaled = g.mul(score, _LOGISTIC_SCALE)
        logits[label] = scaled if logits[label] == -math.inf else g.op("Max", logits[label],
                                                                        scaled)
    row = g.op("Concat", *[g.unsqueeze(_tensor(g, logits[c]), [0]) for c in classes], axis=0)
    shifted = g.sub(row, g.reduce("ReduceMax", row, 0, keepdims=True))
    exp = g.op("Exp", shifted)
    proba = g.div(exp, g.reduce("ReduceSum", exp, 0, keepdims=True))
    has_nan = g.isnan(g.op("ReduceSum", series, np.array([0, 1], np.int64), keepdims=0))
    return g.where(has_nan, math.nan, proba)


def _tensor(g, value):
    return value if isinstance(value, str) else g.const(np.float64(value))


# -- smoothing ------------------------------------------------------------------------------
def _smoothed(g, series) -> str:
    """``standards._smoothed``: running median, then Savitzky-Golay; as is for a short rep."""
    frames = g.dim(series, 0)
    tenth = g.div(frames, np.int64(10))
    odd = g.add(tenth, g.sub(np.int64(1), g.op("Mod", tenth, np.int64(2))))   # tenth | 1
    window = g.op("Max", odd, np.int64(_MIN_WINDOW))
    smoothed = _savgol(g, _running_median(g, series), window)
    return g.where(g.op("Greater", frames, window), smoothed, series)


def _running_median(g, series) -> str:
    """The median of each frame's 5-frame neighbourhood, ends repeated (``mode="nearest"``)."""
    half = _MEDIAN_FRAMES // 2
    padded = g.op("Pad", series, np.array([half, 0, half, 0], np.int64), mode="edge")
    frames = g.unsqueeze(g.dim(series, 0), [0])
    shifted = [g.unsqueeze(g.op("Slice", padded, np.array([k], np.int64),
                                g.add(frames, np.int64(k)), np.array([0], np.int64)), [0])
               for k in range(_MEDIAN_FRAMES)]
    stacked = g.op("Concat", *shifted, axis=0)                              # (5, T, C)
    top = g.op("TopK", stacked, np.array([half + 1], np.int64), outputs=2, axis=0,
               largest=1, sorted=1)[0]
    return g.take(top, half, axis=0)


def _savgol(g, series, window) -> str:
    """``savgol_filter(series, window, 2, axis=0)`` with SciPy's default ``interp`` ends.

    Every frame takes the least-squares quadratic through a window of
    ``window`` frames: centred on it inside the rep, the first or last
    ``window`` frames near the ends (where SciPy fits the edge polynomial).
    The quadratic is written in the window's orthogonal polynomials
    ``1, j, j**2 - m(m+1)/3`` of the offsets ``j = -m .. m``.
    """
    frames = g.dim(series, 0)
    half = g.div(window, np.int64(2))
    index = g.op("Range", np.int64(0), frames, np.int64(1))
    last_start = g.op("Max", g.sub(frames, window), np.int64(0))
    start = g.op("Min", g.op("Max", g.sub(index, half), np.int64(0)), last_start)
    offsets = g.op("Range", np.int64(0), window, np.int64(1))
    rows = g.add(g.unsqueeze(start, [1]), g.unsqueeze(offsets, [0]))       # (T, w)
    rows = g.op("Min", rows, g.sub(frames, np.int64(1)))
    windows = g.take(series, rows, axis=0)                                  # (T, w, C)
    m = g.cast(half, DOUBLE)
    j = g.sub(g.cast(offsets, DOUBLE), m)                                   # (w,)
    at = g.sub(g.cast(g.sub(index, start), DOUBLE), m)                      # (T,)
    centre = g.div(g.mul(m, g.add(m, 1.0)), 3.0)
    weights = None
    for basis in (lambda x: g.add(g.mul(x, 0.0), 1.0), lambda x: x,
                  lambda x: g.sub(g.mul(x, x), centre)):
        on_window, at_frame = basis(j), basis(at)
        norm = g.reduce("ReduceSum", g.mul(on_window, on_window), 0)
        term = g.div(g.mul(g.unsqueeze(at_frame, [1]), g.unsqueeze(on_window, [0])), norm)
        weights = term if weights is None else g.add(weights, term)        # (T, w)
    return g.reduce("ReduceSum", g.mul(windows, g.unsqueeze(weights, [2])), 1)


# -- the driving signal and the phases ---------------------------------------------------------
def _columns_mean(g, smooth, channels, names) -> str:
    return g.reduce("ReduceMean", g.take(smooth, [channels.index(c) for c in names], axis=1), 1)


def _turning(g, smooth, channels, definition) -> str:
    """``StandardsClassifier._turning``: the extreme of the driving signal (or its fallback)."""
    extreme = "ArgMin" if definition.phase == "min" else "ArgMax"
    primary = _columns_mean(g, smooth, channels, definition.driving_channels)
    turning = g.reduce(extreme, primary, 0)
    if not definition.fallback_channels:
        return turning
    fallback = _columns_mean(g, smooth, channels, definition.fallback_channels)
    frames = g.dim(smooth, 0)
    quiet = g.op("Less", _spread(g, primary), float(definition.min_prominence))
    clear = g.op("GreaterOrEqual", _spread(g, fallback),
                 g.mul(_noise(g, fallback), _FALLBACK_SIGNAL_TO_NOISE))
    long_enough = g.op("GreaterOrEqual", frames, np.int64(_MEDIAN_FRAMES))   # _noise: inf below 5
    use_fallback = g.op("And", quiet, g.op("And", clear, long_enough))
    return g.where(use_fallback, g.reduce(extreme, fallback, 0), turning)


def _sorted(g, signal) -> str:
    return g.op("TopK", signal, g.unsqueeze(g.dim(signal, 0), [0]), outputs=2, axis=0,
                largest=0, sorted=1)[0]


def _percentile(g, ordered, q) -> str:
    """``np.percentile(signal, q)`` (linear) of the sorted ``ordered``."""
    last = g.sub(g.dim(ordered, 0), np.int64(1))
    position = g.mul(g.cast(last, DOUBLE), q / 100)
    below = g.op("Floor", position)
    low = g.cast(below, INT64)
    high = g.op("Min", g.add(low, np.int64(1)), last)
    a, b = g.take(ordered, low, axis=0), g.take(ordered, high, axis=0)
    t = g.sub(position, below)
    difference = g.sub(b, a)   # numpy's _lerp: from the nearer end
    return g.where(g.op("GreaterOrEqual", t, 0.5), g.sub(b, g.mul(difference, g.sub(1.0, t))),
                   g.add(a, g.mul(difference, t)))


def _spread(g, signal) -> str:
    """``reps._spread``: 95th minus 5th percentile."""
    ordered = _sorted(g, signal)
    return g.sub(_percentile(g, ordered, 95), _percentile(g, ordered, 5))


def _median(g, signal) -> str:
    """``np.median`` of a 1-D signal: the middle value, or the mean of the two middle ones."""
    ordered = _sorted(g, signal)
    count = g.dim(ordered, 0)
    low = g.div(g.sub(count, np.int64(1)), np.int64(2))
    high = g.div(count, np.int64(2))
    return g.div(g.add(g.take(ordered, low, axis=0), g.take(ordered, high, axis=0)), 2.0)


def _noise(g, signal) -> str:
    """``reps._noise`` for 5 frames or more: robust spread of the second differences.

    A shorter signal (whose noise formcheck takes as infinite, decided by the
    caller) is padded with zeros to 5 frames, so that the graph runs.
    """
    padded = g.op("Concat", signal, np.zeros(_MEDIAN_FRAMES), axis=0)
    frames = g.unsqueeze(g.op("Max", g.dim(signal, 0), np.int64(_MEDIAN_FRAMES)), [0])
    signal = g.op("Slice", padded, np.array([0], np.int64), frames, np.array([0], np.int64))
    one = np.array([1], np.int64)
    axis = np.array([0], np.int64)
    first = g.sub(g.op("Slice", signal, one, frames, axis),
                  g.op("Slice", signal, np.array([0], np.int64), g.sub(frames, one), axis))
    length = g.unsqueeze(g.dim(first, 0), [0])
    second = g.sub(g.op("Slice", first, one, length, axis),
                   g.op("Slice", first, np.array([0], np.int64), g.sub(length, one), axis))
    deviation = g.op("Abs", g.sub(second, _median(g, second)))
    return g.div(g.mul(_median(g, deviation), _MAD_TO_SIGMA), math.sqrt(6))


def _phases(g, index, frames, turning) -> dict:
    """``standards._phases`` as ``(T,)`` masks, with the first frame and length of each range."""
    n = g.cast(frames, DOUBLE)
    edge = g.op("Max", g.cast(g.op("Round", g.mul(n, _REST_FRACTION)), INT64), np.int64(1))
    half = g.op("Max", g.cast(g.op("Round", g.mul(n, _TURNING_FRACTION)), INT64), np.int64(1))
    zero = np.int64(0)

    def span(start, stop, fallback_start, fallback_stop):
        empty = g.op("LessOrEqual", stop, start)
        return (g.where(empty, fallback_start, start), g.where(empty, fallback_stop, stop))

    first = span(edge, g.op("Max", edge, g.sub(turning, half)), zero, g.add(turning, np.int64(1)))
    after = g.op("Min", frames, g.add(g.add(turning, half), np.int64(1)))
    second = span(after, g.sub(frames, edge), turning, frames)
    at_turning = (g.op("Max", zero, g.sub(turning, half)), after)

    def mask(start, stop):
        return g.op("And", g.op("GreaterOrEqual", index, start), g.op("Less", index, stop))

    rest = g.op("Or", mask(zero, edge), mask(g.sub(frames, edge), frames))
    return {"first": (mask(*first), first), "turning": (mask(*at_turning), at_turning),
            "second": (mask(*second), second), "rest": (rest, None), "at": turning}


# -- one standard ------------------------------------------------------------------------------
def _score(g, standard, threshold, series, smooth, channels, phases, definition) -> str:
    """``StandardsClassifier._scores`` for one standard: margin in noise units, -inf where the
    standard does not apply."""
    columns = g.take(smooth, [channels.index(c) for c in standard.channels], axis=1)
    combine = {"mean": "ReduceMean", "min": "ReduceMin", "max": "ReduceMax"}[standard.combine]
    signal = g.reduce(combine, columns, 1)
    value = _statistic(g, signal, standard, phases, definition)
    margin = (g.sub(value, float(threshold)) if standard.comparison == ">"
              else g.sub(float(threshold), value))
    noise = standard.noise or measurement_noise(standard.channels[0])
    score = g.div(margin, float(noise))
    if standard.applies is None:
        return score
    condition = standard.applies
    mean = g.reduce("ReduceMean", g.take(series, channels.index(condition.channel), axis=1), 0)
    holds = g.op("Greater" if condition.comparison == ">" else "Less", mean,
                 float(condition.threshold))
    return g.where(holds, score, -math.inf)


def _masked_mean(g, signal, mask) -> str:
    total = g.reduce("ReduceSum", g.where(mask, signal, 0.0), 0)
    return g.div(total, g.reduce("ReduceSum", g.cast(mask, DOUBLE), 0))


def _statistic(g, signal, standard, phases, definition) -> str:
    """``standards._statistic``: the value of ``standard.statistic`` over its phase."""
    words = definition.phases + (definition.rest,)
    name = _PHASE_NAMES[words.index(standard.phase)]
    mask, span = phases[name]
    statistic = standard.statistic
    if statistic in ("min", "drop", "max", "rise"):
        low = statistic in ("min", "drop")
        neutral = math.inf if low else -math.inf
        extreme = g.reduce("ReduceMin" if low else "ReduceMax", g.where(mask, signal, neutral), 0)
        if statistic in ("min", "max"):
            return extreme
        rest = _masked_mean(g, signal, phases["rest"][0])
        return g.sub(rest, extreme) if low else g.sub(extreme, rest)
    if statistic == "mean":
        return _masked_mean(g, signal, mask)
    if standard.phase == definition.rest:      # "value" at rest: both ends of the rep
        ends = g.add(g.take(signal, 0, axis=0), g.take(signal, -1, axis=0))
        return g.div(ends, 2.0)
    if standard.phase == definition.phases[1]:
        return g.take(signal, phases["at"], axis=0)
    start, stop = span
    middle = g.add(start, g.div(g.sub(stop, start), np.int64(2)))
    return g.take(signal, middle, axis=0)
