"""Power-law fits of latency against N, where the lines cross, and the recommendation."""

import numpy as np
import pytest

from formcheck.evaluation.scaling import crossover, fit_power_law, recommend


def test_power_law_slope_and_crossover():
    n = np.array([50, 200, 800, 3200])
    knn = fit_power_law(n, 1e-6 * n)            # linear scan
    learned = fit_power_law(n, np.full(4, 3e-4))  # flat
    assert knn[0] == pytest.approx(1) and learned[0] == pytest.approx(0, abs=1e-9)
    assert crossover(knn, learned) == pytest.approx(300)
    assert crossover(learned, knn) is None


def _latency_rows(sizes=(50, 100, 800, 3200)):
    return ([{"classifier": "DTW kNN", "n": n, "single_seconds": 1e-6 * n} for n in sizes]
            + [{"classifier": "learned", "n": n, "single_seconds": 3e-4} for n in sizes])


@pytest.mark.parametrize("accuracies, n_reps, choice, reason", [
    ((0.90, 0.70), 100, "DTW kNN", "more accurate"),
    ((0.80, 0.81), 100, "DTW kNN", "about as accurate"),
    ((0.80, 0.81), 800, "learned", "about as accurate"),
])
def test_recommendation_names_the_choice_the_reason_and_the_crossover(accuracies, n_reps,
                                                                      choice, reason):
    accuracy = {name: {"accuracy": a} for name, a in zip(("DTW kNN", "learned"), accuracies)}
    text = recommend(accuracy, _latency_rows(), n_reps)
    assert text.startswith(f"Use the {choice} classifier at this data size ({n_reps} reps)")
    assert reason in text
    assert "the learned classifier is the faster from N ≈ 300 reps" in text
