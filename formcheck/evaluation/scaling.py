"""How latency grows with N, and which classifier to use.

A power law ``latency = a * N ** slope`` is fitted to every classifier on
log-log axes (:func:`fit_power_law`), the N where two fitted lines cross
follows (:func:`crossover`), and :func:`recommend` says in plain words which
classifier to use at the data size.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fit_power_law", "crossover", "recommend", "format_slope"]


def fit_power_law(sizes, seconds):
    """Least-squares line through ``(log10 N, log10 seconds)``.

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
    """
    slope, intercept = np.polyfit(np.log10(sizes), np.log10(seconds), 1)
    return float(slope), float(intercept)


def crossover(steep, flat):
    """N where two fitted lines ``(slope, intercept)`` meet, or None if they never do.

    Beyond it the classifier of the ``flat`` line is the faster one.

    Examples
    --------
    >>> round(crossover((1.0, -5.0), (0.0, -3.0)))
    100
    """
    if steep[0] <= flat[0]:
        return None
    return float(10 ** ((flat[1] - steep[1]) / (steep[0] - flat[0])))


def _fits(rows, key="single_seconds") -> dict:
    return {name: fit_power_law([r["n"] for r in rows if r["classifier"] == name],
                                [r[key] for r in rows if r["classifier"] == name])
            for name in dict.fromkeys(r["classifier"] for r in rows)}


def recommend(accuracy, latency, n_reps) -> str:
    """Which classifier to use at this data size, and why, in plain words.

    The most accurate classifier wins when it leads by more than the standard
    error of an accuracy measured on ``n_reps`` reps, ``sqrt(p (1 - p) / n)``;
    otherwise the faster one at ``N = n_reps`` wins. The sentence that follows
    gives the fitted growth of each latency and the N from which the flattest
    curve is the faster (:func:`crossover`).

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
    """The flattest classifier and the N where its fitted line crosses the steepest one's."""
    fits = _fits(latency)
    steep = max(fits, key=lambda name: fits[name][0])
    flat = min(fits, key=lambda name: fits[name][0])
    return flat, crossover(fits[steep], fits[flat])


def _growth_sentence(latency) -> str:
    growth = " and ".join(f"as N^{format_slope(slope)} for the {name} classifier"
                          for name, (slope, _) in _fits(latency).items())
    flat, n_cross = _crossing(latency)
    measured = [r["n"] for r in latency]
    if n_cross is None:
        return f"Latency grows {growth}; the fitted lines do not cross."
    if n_cross < min(measured):
        where = f"at every N measured (the fitted lines cross at N ≈ {n_cross:,.0f})"
    else:
        extrapolated = " (extrapolated)" if n_cross > max(measured) else ""
        where = f"from N ≈ {n_cross:,.0f} reps{extrapolated}"
    return f"Latency grows {growth}: the {flat} classifier is the faster {where}."


def format_slope(value) -> str:
    """A fitted slope with two decimals, never ``-0.00``.

    Examples
    --------
    >>> format_slope(-0.004), format_slope(0.756)
    ('0.00', '0.76')
    """
    return f"{round(value, 2) + 0:.2f}"  # + 0 turns -0.0 into 0.0
