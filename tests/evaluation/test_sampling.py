"""Training sets of any size: stratified sub-samples, and the data grown with jittered copies."""

import numpy as np
import pytest

from formcheck.datasets.synthetic import make_dataset
from formcheck.errors import InputError
from formcheck.evaluation.sampling import stratified_indices, training_sample


@pytest.fixture(scope="module")
def tiny():
    """12 push-up reps: 3 subjects x 2 classes x 2 reps."""
    return make_dataset("push-up", n_subjects=3, reps_per_class=2, seed=0)


@pytest.mark.parametrize("n", [3, 5, 9, 10])
def test_stratified_indices_draw_exactly_n_with_every_class(n):
    labels = np.array(["a"] * 7 + ["b"] * 2 + ["c"])
    picked = stratified_indices(labels, n, np.random.default_rng(0))
    assert len(picked) == len(set(picked)) == n
    assert set(labels[picked]) == {"a", "b", "c"}


def test_stratified_indices_need_room_for_every_class():
    with pytest.raises(InputError, match="all 3 classes"):
        stratified_indices(np.array(["a", "b", "c"]), 2, np.random.default_rng(0))


def test_training_sample_beyond_the_data_adds_jittered_copies(tiny):
    X, y = tiny.X, tiny.labels
    grown, grown_y, resampled = training_sample(X, y, 40, np.random.default_rng(0))
    assert resampled and len(grown) == len(grown_y) == 40
    assert all(np.array_equal(a, b) for a, b in zip(grown, X))
    copies = grown[len(X):]
    assert all(c.shape[1] == X[0].shape[1] for c in copies)
    assert not any(c.shape == x.shape and np.allclose(c, x) for c in copies for x in X)
    assert sorted(set(grown_y)) == tiny.classes
    sub, sub_y, resampled = training_sample(X, y, 6, np.random.default_rng(0))
    assert not resampled and len(sub) == 6 and sorted(set(sub_y)) == tiny.classes
