"""Comparing channel sets: an ablation by grouped cross-validation."""

import numpy as np
import pytest

from formcheck import DTWKNeighborsClassifier
from formcheck.datasets.synthetic import make_dataset
from formcheck.errors import ChannelMismatchError, InputError
from formcheck.evaluation.channels import ablation_table, compare_channel_sets, parse_channel_sets


@pytest.fixture(scope="module")
def squats():
    return make_dataset("squat", n_subjects=6, seed=3)


def test_the_informative_set_ranks_first_and_every_shuffle_is_scored(squats):
    sets = {"ankles": ["left_ankle", "right_ankle"], "knees": ["left_knee", "right_knee"]}
    scores = compare_channel_sets(DTWKNeighborsClassifier(), squats, sets, n_splits=3,
                                  seeds=[0, 1])
    assert [s.name for s in scores] == ["knees", "ankles"]
    assert all(len(s.rep_accuracy) == len(s.clip_accuracy) == 2 for s in scores)
    assert scores[0].score > scores[1].score
    table = ablation_table(scores)
    assert table.splitlines()[2].startswith("| knees | 2 | ")


def test_a_set_with_a_channel_the_reps_lack_is_refused(squats):
    with pytest.raises(ChannelMismatchError, match="lack channels \\['left_elbow'\\]"):
        compare_channel_sets(DTWKNeighborsClassifier(), squats, {"arm": ["left_elbow"]})


@pytest.mark.parametrize("sets,seeds", [({"knee": ["left_knee"]}, []), ({}, [0])])
def test_no_shuffle_or_no_set_is_refused(squats, sets, seeds):
    with pytest.raises(InputError, match="at least one seed .* and one channel set"):
        compare_channel_sets(DTWKNeighborsClassifier(), squats, sets, seeds=seeds)


def test_select_channels_keeps_reps_labels_and_a_model_records_the_channels(squats):
    subset = squats.select_channels(["right_knee"])
    assert subset.channels == ("right_knee",) and len(subset) == len(squats)
    np.testing.assert_array_equal(subset.labels, squats.labels)
    np.testing.assert_array_equal(np.asarray(subset.reps[0])[:, 0], squats.reps[0]["right_knee"])
    assert subset.metadata == squats.metadata
    assert DTWKNeighborsClassifier().fit(subset).channels_ == ("right_knee",)


def test_parse_channel_sets_names_unnamed_sets_and_refuses_unknown_channels():
    sets = parse_channel_sets(" a=x,y ; z ;", ["x", "y", "z"])
    assert sets == {"a": ["x", "y"], "z": ["z"]}
    with pytest.raises(ChannelMismatchError, match="unknown channels \\['w'\\]"):
        parse_channel_sets("x,w", ["x"])
    with pytest.raises(ChannelMismatchError, match="no channel set"):
        parse_channel_sets(" ; ", ["x"])
