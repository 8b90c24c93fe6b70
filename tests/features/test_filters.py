"""formcheck's NumPy filters give what SciPy's give, on signals shaped like reps and on noise."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage, signal

from formcheck.datasets.synthetic import make_set
from formcheck.features.angles import joint_angles
from formcheck.features.filters import find_peaks, one_pole_filter, running_median, savgol_filter
from formcheck.reps import driving_signal


def signals() -> list:
    """Driving signals of synthetic sets (smooth dips, flat tops, noise) and random walks."""
    rng = np.random.default_rng(0)
    out = [driving_signal(joint_angles(make_set(exercise, n_reps=4, seed=seed), exercise=exercise),
                          exercise)
           for exercise in ("squat", "push-up", "pull-up") for seed in range(3)]
    out += [np.cumsum(rng.normal(size=n)) for n in (7, 40, 300)]
    out += [np.round(rng.normal(size=200), 1),                     # ties and flat tops
            np.repeat(rng.normal(size=30), rng.integers(1, 5, 30))]
    return out


@pytest.mark.parametrize("window, polyorder", [(5, 2), (7, 2), (9, 3), (31, 2), (5, 0)])
def test_savgol_filter_matches_scipy(window, polyorder):
    for x in signals():
        if len(x) < window:
            continue
        np.testing.assert_allclose(savgol_filter(x, window, polyorder),
                                   signal.savgol_filter(x, window, polyorder), atol=1e-9)


def test_savgol_filter_smooths_each_column_along_the_axis():
    x = np.random.default_rng(1).normal(size=(50, 3))
    np.testing.assert_allclose(savgol_filter(x, 11, 2, axis=0),
                               signal.savgol_filter(x, 11, 2, axis=0), atol=1e-12)
    np.testing.assert_allclose(savgol_filter(x.T, 11, 2), signal.savgol_filter(x.T, 11, 2),
                               atol=1e-12)


@pytest.mark.parametrize("size", [3, 5])
def test_running_median_matches_scipy(size):
    x = np.random.default_rng(2).normal(size=(60, 4))
    np.testing.assert_array_equal(running_median(x, size),
                                  ndimage.median_filter(x, size=(size, 1), mode="nearest"))


@pytest.mark.parametrize("distance", [1, 3, 12.5])
def test_find_peaks_matches_scipy(distance):
    found = 0
    for x in signals():
        for prominence in (0.0, 0.5, 5.0, 30.0):
            expected, _ = signal.find_peaks(x, prominence=prominence, distance=distance)
            np.testing.assert_array_equal(find_peaks(x, prominence=prominence,
                                                     distance=distance), expected)
            found += len(expected)
    assert found > 50


def test_one_pole_filter_matches_lfilter():
    x = np.random.default_rng(3).normal(size=(2, 80, 5))
    for axis in (0, 1, 2):
        np.testing.assert_allclose(one_pole_filter(0.5, 0.85, x, axis=axis),
                                   signal.lfilter([0.5], [1, -0.85], x, axis=axis), atol=1e-12)
