"""Which joint angles a classifier should see: comparing channel sets by measurement.

An ablation: the same classifier, cross-validated grouped by video over
several shuffles, on each candidate set of channels of one dataset. The
scores of a selection made this way are optimistic for the set that wins
(it was picked on them); report the winner on data it was not picked on
(``docs/classifiers.md`` does so on a held-out part of the clips).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._progress import progress as progress_bar
from ..errors import ChannelMismatchError, InputError
from .validation import grouped_cross_validation

__all__ = ["ChannelSetScore", "compare_channel_sets", "parse_channel_sets", "ablation_table"]


@dataclass
class ChannelSetScore:
    """Cross-validated accuracy of one channel set, one value per shuffle.

    Attributes
    ----------
    name : str
    channels : tuple of str
    rep_accuracy, clip_accuracy : numpy.ndarray
        Rep-level accuracy and video-level accuracy (the mean probability
        over a video's reps decides) of every shuffle.
    """

    name: str
    channels: tuple
    rep_accuracy: np.ndarray
    clip_accuracy: np.ndarray

    @property
    def score(self) -> float:
        """The selection criterion: the mean of rep and clip accuracy over the shuffles."""
        return float((self.rep_accuracy.mean() + self.clip_accuracy.mean()) / 2)


def compare_channel_sets(estimator, dataset, channel_sets, *, n_splits=5, seeds=(0, 1, 2),
                         progress=False) -> list:
    """Grouped cross-validation of ``estimator`` on every channel set of ``dataset``.

    Parameters
    ----------
    estimator : RepClassifier
        Cloned for every fold.
    dataset : RepDataset
        Reps carrying every channel of every set.
    channel_sets : dict
        Name -> sequence of channel names.
    n_splits : int
        Folds, grouped by video/subject and stratified.
    seeds : sequence of int
        One shuffle of the folds per seed; every set sees the same folds.
    progress : bool

    Returns
    -------
    list of ChannelSetScore
        Best first (highest :attr:`ChannelSetScore.score`; ties keep the
        order of ``channel_sets``).

    Raises
    ------
    ChannelMismatchError
        A set names a channel the reps do not have.
    InputError
        No seed, or no channel set.
    DatasetError
        Too few videos per class for ``n_splits`` folds.

    Examples
    --------
    >>> from formcheck import DTWKNeighborsClassifier
    >>> from formcheck.datasets.synthetic import make_dataset
    >>> data = make_dataset("squat", n_subjects=6, seed=0)
    >>> scores = compare_channel_sets(DTWKNeighborsClassifier(), data,
    ...     {"knees": ["left_knee", "right_knee"], "trunk": ["trunk_inclination"]},
    ...     n_splits=3, seeds=[0])
    >>> [s.name for s in scores][0], len(scores)
    ('knees', 2)
    """
    seeds = list(seeds)
    if not seeds or not channel_sets:
        raise InputError("comparing channel sets needs at least one seed (shuffle of the folds) "
                         f"and one channel set; got {len(seeds)} and {len(channel_sets)}")
    lacking = sorted({c for chans in channel_sets.values() for c in chans} - set(dataset.channels))
    if lacking:
        raise ChannelMismatchError(f"the reps lack channels {lacking}; they have "
                                   f"{', '.join(dataset.channels)}")
    scores = []
    for name, channels in progress_bar(list(channel_sets.items()), progress, unit="set"):
        subset = dataset.select_channels(channels)
        runs = [grouped_cross_validation(estimator, subset, n_splits=n_splits, seed=seed)
                for seed in seeds]
        scores.append(ChannelSetScore(name, tuple(channels),
                                      np.array([r.accuracy for r in runs]),
                                      np.array([r.group_accuracy() for r in runs])))
    return sorted(scores, key=lambda s: -s.score)


def parse_channel_sets(text, known) -> dict:
    """Channel sets from ``"name=a,b;c,d"``: sets split by ``;``, channels by ``,``.

    A set may be named (``name=...``); otherwise its channels name it.

    Raises
    ------
    ChannelMismatchError
        A channel is not in ``known``, or a set is empty.

    Examples
    --------
    >>> parse_channel_sets("arms=left_elbow,right_elbow;x", ["left_elbow", "right_elbow", "x"])
    {'arms': ['left_elbow', 'right_elbow'], 'x': ['x']}
    """
    sets = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        name, _, body = item.rpartition("=")
        channels = [c.strip() for c in body.split(",") if c.strip()]
        unknown = [c for c in channels if c not in known]
        if unknown or not channels:
            raise ChannelMismatchError(f"channel set {item!r}: unknown channels {unknown}; "
                                       f"known: {', '.join(known)}")
        sets[name.strip() or ",".join(channels)] = channels
    if not sets:
        raise ChannelMismatchError(f"no channel set in {text!r}; separate sets with ';'")
    return sets


def ablation_table(scores) -> str:
    """The scores as a Markdown table, in percent (mean ± standard deviation over shuffles)."""
    lines = ["| channel set | channels | rep accuracy | clip accuracy |", "|---|---|---|---|"]
    for s in scores:
        rep, clip = s.rep_accuracy * 100, s.clip_accuracy * 100
        lines.append(f"| {s.name} | {len(s.channels)} | {rep.mean():.1f} ± {rep.std():.1f} | "
                     f"{clip.mean():.1f} ± {clip.std():.1f} |")
    return "\n".join(lines)
