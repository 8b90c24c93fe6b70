"""Tests for formcheck.dtw.validation: the one validator for series, used by DTW and the classifiers."""

import numpy as np
import pytest
from scipy import sparse

from formcheck import DTWKNeighborsClassifier
from formcheck.dtw import dtw_distance, knn_search
from formcheck.dtw.validation import check_collection, check_series, concatenate
from formcheck.errors import ChannelMismatchError, InputError, MissingDataError, TooFewFramesError


def test_list_and_stacked_array_give_the_same_series():
    X = np.arange(24, dtype=np.int32).reshape(2, 4, 3)
    from_array = check_collection(X)
    from_list = check_collection([X[0].tolist(), X[1]])
    for a, b, original in zip(from_array, from_list, X):
        assert a.dtype == b.dtype == np.float64 and a.flags.c_contiguous and b.flags.c_contiguous
        np.testing.assert_array_equal(a, original)
        np.testing.assert_array_equal(b, original)


def test_univariate_reads_2d_arrays_and_1d_items_as_one_channel():
    assert [s.shape for s in check_collection(np.zeros((3, 5)), univariate=True)] == [(5, 1)] * 3
    assert [s.shape for s in check_collection([np.zeros(4), np.zeros((6, 1))], univariate=True)] == [(4, 1), (6, 1)]
    with pytest.raises(InputError, match="list of"):
        check_collection(np.zeros((3, 5)))  # DTW: one 2-D array is one series, not a collection
    with pytest.raises(InputError, match="reshape"):
        check_series(np.zeros(4))


def test_concatenate_offsets_delimit_the_series():
    series = check_collection([np.zeros((2, 2)), np.ones((5, 2)), np.full((1, 2), 2.0)])
    data, offsets = concatenate(series)
    assert offsets.tolist() == [0, 2, 7, 8]
    for i, s in enumerate(series):
        np.testing.assert_array_equal(data[offsets[i] : offsets[i + 1]], s)


@pytest.mark.parametrize(
    "bad, error, message",
    [
        ([], InputError, "no series"),
        (np.zeros((0, 4, 2)), InputError, "no series"),
        ([np.zeros((4, 2)), np.zeros((4, 3))], ChannelMismatchError, r"X\[1\] has 3 channels"),
        ([np.zeros((4, 2)), np.zeros((1, 2))], TooFewFramesError, r"X\[1\] has 1 frame\(s\); it needs at least 2"),
        (np.zeros((3, 1, 2)), TooFewFramesError, r"X\[0\] has 1 frame"),
        ([np.zeros((4, 2)), np.full((4, 2), np.inf)], MissingDataError, r"X\[1\] contains NaN or infinite"),
        ([np.zeros((4, 2), dtype=complex)], InputError, "Complex data not supported"),
        (sparse.csr_matrix(np.ones((3, 4))), InputError, "sparse input is not supported"),
        ([["a", "b"], ["c", "d"]], InputError, "numeric"),
        (np.zeros((2, 3, 4, 5)), InputError, "Reshape your data"),
        ([np.zeros((4, 0))] * 2, InputError, "no channels"),
    ],
)
def test_bad_collections_name_the_series_and_the_problem(bad, error, message):
    with pytest.raises(error, match=message):
        check_collection(bad, min_frames=2)


def test_dtw_and_classifiers_share_the_checks():
    # Complex values are refused everywhere, not cast to their real part.
    good = np.zeros((5, 2))
    imaginary = np.zeros((5, 2), dtype=complex) + 1j
    with pytest.raises(InputError, match="Complex"):
        dtw_distance(good, imaginary)
    with pytest.raises(InputError, match="Complex"):
        knn_search([imaginary], [good])
    clf = DTWKNeighborsClassifier().fit([good, good + 1], ["a", "b"])
    with pytest.raises(InputError, match="Complex"):
        clf.predict([imaginary])
    # The classifiers only add that a rep needs two frames.
    assert dtw_distance(good[:1], good[:1]) == 0.0
    with pytest.raises(TooFewFramesError, match="at least 2"):
        clf.predict([good[:1]])
