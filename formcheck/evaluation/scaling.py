"""How latency grows with N, and which classifier to use.

A power law ``latency = a * N ** slope`` is fitted to every classifier on
log-log axes by a robust line (:func:`fit_power_law`, Theil-Sen: one noisy
size cannot tilt it); the N where two fitted lines cross follows
(:func:`crossover`). When the rows carry the repeated timings behind each
median (``single_samples``, from :func:`~formcheck.evaluation.timing.latency_curve`),
resampling them gives the spread of each slope and of the crossover
(:func:`crossover_estimate`), which says when the measurements cannot place
a crossover at all. :func:`recommend` puts it in plain words.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

__all__ = ["fit_power_law", "crossover", "crossover_estimate", "slope_interval", "recommend",
           "format_slope"]

#: Share of resampled fits an interval covers.
INTERVAL = 0.9
_RESAMPLES = 200
#: A crossover further than this factor outside the measured sizes, or known
#: only to within this factor, is not claimed.
_CLAIM_FACTOR = 10.0


def fit_power_law(sizes, seconds):
    """Robust line through ``(log10 N, log10 seconds)``: the Theil-Sen estimator.

    The slope is the median of the slopes between every pair of sizes, the
    intercept the median of ``log10 seconds - slope * log10 N``; a single
    outlying point moves neither much (least squares would follow it).

    Returns
    -------
    slope : float
        Latency grows as ``N ** slope``: about 1 for a linear scan, 0 when flat.
    intercept : float
        ``log10`` of the fitted latency at ``N = 1``.

    Examples
    --------
    >>> slope, intercept = fit_power_law([10, 100, 1000], [0.01, 0.1, 1.0])
    >>> round(slope, 6), round(intercept, 6)
    (1.0, -3.0)
    >>> round(fit_power_law([10, 100, 1000, 10000], [1.0, 1.0, 9.0, 1.0])[0], 6)  # one outlier
    0.0
    """
    x, y = np.log10(np.asarray(sizes, float)), np.log10(np.asarray(seconds, float))
    pairs = [(y[j] - y[i]) / (x[j] - x[i]) for i, j in combinations(range(len(x)), 2)
             if x[j] != x[i]]
    slope = float(np.median(pairs)) if pairs else 0.0
    return slope, float(np.median(y - slope * x))


def crossover(steep, flat):
    """N where two fitted lines ``(slope, intercept)`` meet, or None if they never do.

    Beyond it the classifier of the ``flat`` line is the faster one.

    Examples
    --------
    >>> round(crossover((1.0, -5.0), (0.0, -3.0)))
    100

    Slopes that differ by a hair meet beyond any float: that is infinity, not an error.

    >>> crossover((1e-9, -5.0), (0.0, -3.0))
    inf
    """
    if steep[0] <= flat[0]:
        return None
    exponent = (flat[1] - steep[1]) / (steep[0] - flat[0])
    return float(np.inf) if exponent > 300 else float(10 ** max(exponent, -300))


def _points(rows, name, key="single_seconds"):
    """Sizes, medians and repeated samples (when recorded) of one classifier, by N."""
    mine = sorted((r for r in rows if r["classifier"] == name), key=lambda r: r["n"])
    samples_key = key.replace("_seconds", "_samples")
    return ([r["n"] for r in mine], [r[key] for r in mine],
            [np.asarray(r.get(samples_key) or [r[key]], float) for r in mine])


def _fits(rows, key="single_seconds") -> dict:
    return {name: fit_power_law(*_points(rows, name, key)[:2])
            for name in dict.fromkeys(r["classifier"] for r in rows)}


def _resampled_fits(rows, name, key="single_seconds", seed=0):
    """Fitted lines of the medians of resampled timings (bootstrap), ``_RESAMPLES`` of them."""
    sizes, _, samples = _points(rows, name, key)
    rng = np.random.default_rng(seed)
    return [fit_power_law(sizes, [np.median(rng.choice(s, len(s))) for s in samples])
            for _ in range(_RESAMPLES)]


def _interval(values):
    tail = (1 - INTERVAL) / 2
    return (float(np.quantile(values, tail, method="lower")),
            float(np.quantile(values, 1 - tail, method="higher")))


def slope_interval(rows, name, key="single_seconds"):
    """Range of the fitted slope of ``name`` over resampled timings (:data:`INTERVAL` of them).

    Rows without repeated samples give the point estimate twice.

    Examples
    --------
    >>> rows = [{"classifier": "a", "n": n, "single_seconds": 1e-6 * n} for n in (10, 100, 1000)]
    >>> [round(s, 6) for s in slope_interval(rows, "a")]
    [1.0, 1.0]
    """
    return _interval([slope for slope, _ in _resampled_fits(rows, name, key)])


def crossover_estimate(rows, key="single_seconds") -> dict:
    """Where the flattest latency line crosses the steepest, and whether the data support it.

    Returns
    -------
    dict
        ``flat`` and ``steep`` (classifier names), ``n`` (the crossover of the
        fitted lines, or None), ``interval`` (its range over resampled
        timings, or None) and ``supported``: False, with a ``reason`` in
        words, when fewer than 3 sizes were measured, the two slopes are not
        distinguishable within the timing noise, the crossover moves by more
        than a factor of 10 between resamples, or it lies more than a factor
        of 10 outside the sizes measured.
    """
    fits = _fits(rows, key)
    steep = max(fits, key=lambda name: fits[name][0])
    flat = min(fits, key=lambda name: fits[name][0])
    result = {"flat": flat, "steep": steep, "n": crossover(fits[steep], fits[flat]),
              "interval": None, "supported": False, "reason": ""}
    sizes = sorted({r["n"] for r in rows})
    if len(sizes) < 3:
        result["reason"] = f"only {len(sizes)} training-set sizes were timed (3 or more needed)"
        return result
    steep_slopes, flat_slopes = slope_interval(rows, steep, key), slope_interval(rows, flat, key)
    if steep_slopes[0] <= flat_slopes[1]:
        result["reason"] = (f"the slopes overlap within the timing noise ({steep} "
                            f"{format_slope(steep_slopes[0])} to {format_slope(steep_slopes[1])}, "
                            f"{flat} {format_slope(flat_slopes[0])} to "
                            f"{format_slope(flat_slopes[1])})")
        return result
    crossings = [crossover(s, f) for s, f in zip(_resampled_fits(rows, steep, key, seed=1),
                                                 _resampled_fits(rows, flat, key, seed=2))]
    crossings = [c if c is not None else np.inf for c in crossings]
    low, high = _interval(crossings)
    result["interval"] = (low, high)
    if not np.isfinite(high) or high > _CLAIM_FACTOR * low:
        result["reason"] = f"it moves between N ≈ {low:,.0f} and {_n(high)} with the timing noise"
    elif result["n"] > _CLAIM_FACTOR * sizes[-1] or result["n"] < sizes[0] / _CLAIM_FACTOR:
        result["reason"] = (f"the fitted lines meet at N ≈ {_n(result['n'])}, more than "
                            f"{_CLAIM_FACTOR:g}x outside the sizes timed ({sizes[0]:,} to "
                            f"{sizes[-1]:,})")
    else:
        result["supported"] = True
    return result


def _n(value):
    return f"{value:,.0f}" if np.isfinite(value) else "never"


def recommend(accuracy, latency, n_reps) -> str:
    """Which classifier to use at this data size, and why, in plain words.

    The most accurate classifier wins when it leads by more than the standard
    error of an accuracy measured on ``n_reps`` reps, ``sqrt(p (1 - p) / n)``;
    otherwise the faster one at ``N = n_reps`` wins. The sentence that follows
    gives the fitted growth of each latency and the N from which the flattest
    curve is the faster (:func:`crossover_estimate`), or says why the
    measurements cannot tell.

    Parameters
    ----------
    accuracy : dict
        Classifier -> :func:`~formcheck.evaluation.benchmark.accuracy_summary`.
    latency : list of dict
        Rows of :func:`~formcheck.evaluation.timing.latency_curve`, including ``n == n_reps``.
    n_reps : int

    Returns
    -------
    str
    """
    at_n = {r["classifier"]: r["single_seconds"] for r in latency if r["n"] == n_reps}
    best, runner_up = sorted(accuracy, key=lambda name: -accuracy[name]["accuracy"])[:2]
    p_best, p_next = accuracy[best]["accuracy"], accuracy[runner_up]["accuracy"]
    noise = np.sqrt((p_best + p_next) / 2 * (1 - (p_best + p_next) / 2) / n_reps)
    scores = f"{p_best:.1%} vs {p_next:.1%} cross-validated"
    if p_best - p_next > noise:
        choice, rival = best, runner_up
        why = f"it is more accurate ({scores}, more than the ±{noise:.1%} noise)"
    else:
        choice, rival = sorted((best, runner_up), key=at_n.get)
        why = (f"both are about as accurate ({scores}, within the ±{noise:.1%} noise of "
               f"{n_reps} reps) and it is the faster at this size")
    return (f"Use the {choice} classifier at this data size ({n_reps} reps): {why}; "
            f"{at_n[choice] * 1e3:.2f} vs {at_n[rival] * 1e3:.2f} ms per rep. "
            f"{_growth_sentence(latency)}")


def _crossing(latency):
    """The flattest classifier and the N where its fitted line crosses the steepest one's.

    None when the measurements do not support a crossover (:func:`crossover_estimate`).
    """
    estimate = crossover_estimate(latency)
    return estimate["flat"], estimate["n"] if estimate["supported"] else None


def _growth_sentence(latency) -> str:
    growth = " and ".join(f"as N^{format_slope(slope)}{_spread(latency, name)} for the {name} "
                          "classifier" for name, (slope, _) in _fits(latency).items())
    estimate = crossover_estimate(latency)
    flat, n_cross = estimate["flat"], estimate["n"]
    measured = [r["n"] for r in latency]
    if n_cross is None:
        return f"Latency grows {growth}; the fitted lines do not cross."
    if not estimate["supported"]:
        return (f"Latency grows {growth}; these timings cannot place the N from which the {flat} "
                f"classifier is the faster: {estimate['reason']}.")
    band = ""
    low, high = estimate["interval"]
    if high > low:
        band = f" (between {low:,.0f} and {high:,.0f} with the timing noise)"
    if n_cross < min(measured):
        where = f"at every N measured (the fitted lines cross at N ≈ {n_cross:,.0f}{band})"
    else:
        extrapolated = " (extrapolated)" if n_cross > max(measured) else ""
        where = f"from N ≈ {n_cross:,.0f} reps{extrapolated}{band}"
    return f"Latency grows {growth}: the {flat} classifier is the faster {where}."


def _spread(latency, name):
    low, high = slope_interval(latency, name)
    return f" ({format_slope(low)} to {format_slope(high)})" if high > low else ""


def format_slope(value) -> str:
    """A fitted slope with two decimals, never ``-0.00``.

    Examples
    --------
    >>> format_slope(-0.004), format_slope(0.756)
    ('0.00', '0.76')
    """
    return f"{round(value, 2) + 0:.2f}"  # + 0 turns -0.0 into 0.0
