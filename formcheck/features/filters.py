"""The signal filters formcheck uses, in NumPy: smoothing, running medians, peaks, AR(1) noise.

They compute what ``scipy.signal.savgol_filter`` (default ``mode="interp"``),
``scipy.ndimage.median_filter`` (``mode="nearest"``), ``scipy.signal.find_peaks``
(with ``prominence`` and ``distance``) and a one-pole ``scipy.signal.lfilter``
compute, without importing ``scipy.signal``, whose import (it loads
``scipy.stats``) costs more than half a second of every start-up: every
command and an app's first prediction cut reps. ``tests/features/test_filters.py``
compares them with SciPy.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["savgol_filter", "running_median", "find_peaks", "one_pole_filter",
           "percentile_of_sorted", "spread_of_sorted"]


def savgol_filter(x, window_length: int, polyorder: int, axis: int = -1) -> np.ndarray:
    """Savitzky-Golay smoothing with SciPy's default ``interp`` ends.

    Every sample becomes the value at its position of the least-squares
    polynomial of degree ``polyorder`` through the ``window_length`` samples
    centred on it; within half a window of either end, the polynomial through
    the first (last) ``window_length`` samples.

    Parameters
    ----------
    x : array-like
    window_length : int
        Odd, at most the length of ``x`` along ``axis``.
    polyorder : int
        Less than ``window_length``.
    axis : int, default=-1

    Returns
    -------
    numpy.ndarray
        ``x`` smoothed, float64, same shape.

    Examples
    --------
    >>> parabola = np.arange(8.0) ** 2                      # kept by a quadratic fit
    >>> np.allclose(savgol_filter(parabola, 5, 2), parabola)
    True
    """
    values = np.moveaxis(np.asarray(x, dtype=np.float64), axis, 0)
    half = window_length // 2
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    design = np.vander(offsets, polyorder + 1, increasing=True)
    projection = design @ np.linalg.pinv(design)           # fitted values from window samples
    flat = np.ascontiguousarray(values.reshape(len(values), -1))
    windows = np.lib.stride_tricks.sliding_window_view(flat, window_length, axis=0)
    out = np.empty_like(flat)
    out[half:len(flat) - half] = windows @ projection[half]
    out[:half] = projection[:half] @ flat[:window_length]
    out[len(flat) - half:] = projection[half + 1:] @ flat[len(flat) - window_length:]
    return np.moveaxis(out.reshape(values.shape), 0, axis)


def running_median(x, size: int) -> np.ndarray:
    """The median of each row's ``size``-row neighbourhood (odd ``size``), ends repeated.

    As ``scipy.ndimage.median_filter(x, size=(size, 1, ...), mode="nearest")``.

    Examples
    --------
    >>> running_median(np.array([[1.0], [9.0], [2.0], [3.0], [4.0]]), 3).ravel().tolist()
    [1.0, 2.0, 3.0, 3.0, 4.0]
    """
    values = np.asarray(x, dtype=np.float64)
    half = size // 2
    padded = np.pad(values, [(half, half)] + [(0, 0)] * (values.ndim - 1), mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, size, axis=0), axis=-1)


def find_peaks(x, *, prominence: float, distance: float = 1) -> np.ndarray:
    """Indices of the peaks of a 1-D signal at least ``distance`` apart and ``prominence`` high.

    As ``scipy.signal.find_peaks(x, prominence=prominence, distance=distance)``:
    local maxima (the middle of a flat top), then the highest peaks first
    keep their neighbourhood of ``distance`` samples, then the peaks whose
    prominence (height above the higher of the lowest points on either side
    before the signal rises above the peak) is at least ``prominence``.

    Examples
    --------
    >>> find_peaks(np.array([0.0, 2.0, 1.0, 5.0, 0.0, 1.0, 0.5]), prominence=0.9).tolist()
    [1, 3]
    """
    x = np.asarray(x, dtype=np.float64)
    peaks = _local_maxima(x)
    if distance > 1 and len(peaks) > 1:
        peaks = peaks[_apart(peaks, x[peaks], math.ceil(distance))]
    return peaks[[_prominence(x, peak) >= prominence for peak in peaks]].astype(np.intp)


def _local_maxima(x) -> np.ndarray:
    """Samples higher than both neighbours; the left-middle sample of a flat top."""
    peaks, i, last = [], 1, len(x) - 1
    while i < last:
        if x[i - 1] < x[i]:
            ahead = i + 1
            while ahead < last and x[ahead] == x[i]:
                ahead += 1
            if x[ahead] < x[i]:
                peaks.append((i + ahead - 1) // 2)
                i = ahead
        i += 1
    return np.array(peaks, dtype=np.intp)


def _apart(peaks, heights, distance) -> np.ndarray:
    """Which peaks stay when each, highest first, removes the others within ``distance``."""
    keep = np.ones(len(peaks), dtype=bool)
    for j in np.argsort(heights)[::-1]:
        if not keep[j]:
            continue
        near = np.abs(peaks - peaks[j]) < distance
        near[j] = False
        keep[near] = False
    return keep


def _prominence(x, peak) -> float:
    """Height of ``x[peak]`` above the higher of the lowest points before a higher sample."""
    higher_left = np.flatnonzero(x[:peak] > x[peak])
    higher_right = np.flatnonzero(x[peak + 1:] > x[peak])
    start = higher_left[-1] + 1 if len(higher_left) else 0
    stop = peak + 1 + higher_right[0] if len(higher_right) else len(x)
    return float(x[peak] - max(x[start:peak + 1].min(), x[peak:stop].min()))


def one_pole_filter(gain: float, pole: float, x, axis: int = -1) -> np.ndarray:
    """``y[n] = gain * x[n] + pole * y[n - 1]`` along ``axis`` (``lfilter([gain], [1, -pole], x)``).

    Examples
    --------
    >>> one_pole_filter(1.0, 0.5, np.array([1.0, 0.0, 0.0])).tolist()
    [1.0, 0.5, 0.25]
    """
    values = np.moveaxis(np.asarray(x, dtype=np.float64), axis, 0)
    out = np.empty_like(values)
    previous = np.zeros(values.shape[1:])
    for n, sample in enumerate(values):
        previous = gain * sample + pole * previous
        out[n] = previous
    return np.moveaxis(out, 0, axis)


def percentile_of_sorted(ordered, q) -> float:
    """The ``q``-th percentile of sorted values, interpolated as :func:`numpy.percentile` does.

    Examples
    --------
    >>> values = [3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0]
    >>> bool(percentile_of_sorted(sorted(values), 95) == np.percentile(values, 95))
    True
    """
    position = q / 100 * (len(ordered) - 1)
    below = int(position)
    if below + 1 >= len(ordered):
        return float(ordered[-1])
    a, b, t = ordered[below], ordered[below + 1], position - below
    return float(a + (b - a) * t if t < 0.5 else b - (b - a) * (1 - t))


def spread_of_sorted(ordered) -> float:
    """The 5-95 percentile range of sorted values, as :func:`numpy.percentile` gives it.

    Examples
    --------
    >>> values = [3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0]
    >>> bool(spread_of_sorted(sorted(values)) == np.ptp(np.percentile(values, [5, 95])))
    True
    """
    return percentile_of_sorted(ordered, 95) - percentile_of_sorted(ordered, 5)
