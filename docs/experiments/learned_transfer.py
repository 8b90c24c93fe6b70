"""Candidates for the learned (constant-cost) classifier, measured on PushFit clips they never saw.

Protocol (the one that picked the channels, docs/experiments/select_channels.py): the 64 clips
are split once, stratified by label (``train_test_split`` over the clips, ``test_size=0.5``,
``random_state=0``). Candidates are compared on the selection half by 5-fold cross-validation
grouped by clip over 3 shuffles; the winner is whichever is best there. Every candidate is then
trained on the selection half and tested on the other half (the report half), which no choice
was made on. Rep accuracy / clip accuracy (the mean probability over a clip's reps decides).

Run: .venv/bin/python docs/experiments/learned_transfer.py [candidate numbers, from 0]
"""

import itertools
import numbers
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from formcheck import DTWKNeighborsClassifier, LearnedClassifier
from formcheck import datasets
from formcheck.classifiers.base import interval, options
from formcheck.classifiers.learned import rep_features
from formcheck.evaluation.validation import evaluate_model, grouped_cross_validation
from formcheck.features.angles import resample
from formcheck.features.channels import mirror_name

#: MiniRocket's 84 kernels of length 9: weight 2 at three positions, -1 at the other six.
KERNELS = np.full((84, 9), -1.0)
for _row, _taps in enumerate(itertools.combinations(range(9), 3)):
    KERNELS[_row, list(_taps)] = 2.0


class MiniRocketFeatures:
    """MiniRocket-style features in NumPy: fixed kernels, random channel subsets, PPV pooling.

    Each rep is resampled to ``length`` points; for each of 4 dilations and both paddings
    (alternating over the kernels, as in MiniRocket), every kernel is applied to the sum of a
    random subset of 1-3 channels (a Conv1d with a sparse weight); biases are quantiles of the
    output on one random training rep (low-discrepancy quantiles); a feature is the proportion
    of positive values of output minus bias (ReduceMean of Greater). Fitted per training set.
    """

    def __init__(self, length=64, n_biases=4, max_channels=3, seed=0):
        self.length, self.n_biases, self.max_channels, self.seed = length, n_biases, max_channels, seed

    def _stack(self, reps):
        return np.stack([resample(r, self.length).T for r in reps])

    @staticmethod
    def _conv(x, weights, dilation, padding):
        if padding:
            x = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
        windows = sliding_window_view(x, 8 * dilation + 1, axis=2)[..., ::dilation]
        return np.einsum("nctk,jck->njt", windows, weights)

    def fit(self, reps):
        rng = np.random.default_rng(self.seed)
        x = self._stack(reps)
        n, n_channels, length = x.shape
        dilations = np.unique(np.floor(2 ** np.linspace(0, np.log2((length - 1) / 8), 4)).astype(int))
        quantiles = (np.arange(1, 1 + 84 * len(dilations) * self.n_biases) * (np.sqrt(5) + 1) / 2) % 1
        self.layers, used = [], 0
        for d_index, dilation in enumerate(dilations):
            for padded in (0, 1):
                kernels = [k for k in range(84) if (k + d_index) % 2 == padded]
                weights = np.zeros((len(kernels), n_channels, 9))
                for j, k in enumerate(kernels):
                    size = rng.integers(1, min(n_channels, self.max_channels) + 1)
                    weights[j, rng.choice(n_channels, size, replace=False)] = KERNELS[k]
                padding = 4 * dilation if padded else 0
                out = self._conv(x, weights, dilation, padding)
                examples = rng.integers(0, n, len(kernels))
                q = quantiles[used:used + len(kernels) * self.n_biases].reshape(len(kernels), -1)
                used += q.size
                biases = np.stack([np.quantile(out[examples[j], j], q[j]) for j in range(len(kernels))])
                self.layers.append((weights, dilation, padding, biases))
        return self

    def transform(self, reps):
        x = self._stack(reps)
        return np.concatenate([
            (self._conv(x, w, d, p)[:, :, None, :] > b[None, :, :, None]).mean(axis=-1).reshape(len(x), -1)
            for w, d, p, b in self.layers], axis=1)


class Candidate(LearnedClassifier):
    """LearnedClassifier with other features or several networks (compared here only)."""

    _parameter_constraints = {"features": [options("summary", "rocket", "both")],
                              "n_networks": [interval(numbers.Integral, 1)],
                              **LearnedClassifier._parameter_constraints}

    def __init__(self, features="summary", n_networks=1, C=3.0, calibrate=False):
        super().__init__(C=C, calibrate=calibrate)
        self.features = features
        self.n_networks = n_networks

    def _features(self, series):
        parts = []
        if self.features in ("summary", "both"):
            parts.append(np.stack([rep_features(s, self.resample_length) for s in series]))
        if self.features in ("rocket", "both"):
            parts.append(self.rocket_.transform(series))
        return np.hstack(parts)

    def _fit(self, series, y_index):
        if self.features != "summary":
            self.rocket_ = MiniRocketFeatures().fit(series)
        features = self._features(series)
        self.feature_mean_ = features.mean(axis=0)
        scale = features.std(axis=0)
        self.feature_scale_ = np.where(scale > 1e-12, scale, 1.0)
        standard = (features - self.feature_mean_) / self.feature_scale_
        self.networks_ = [MLPClassifier((self.hidden_units,), alpha=1.0 / self.C, max_iter=1000,
                                        random_state=seed).fit(standard, y_index)
                          for seed in range(self.n_networks)]

    def _predict_proba(self, series):
        standard = (self._features(series) - self.feature_mean_) / self.feature_scale_
        return np.mean([net.predict_proba(standard) for net in self.networks_], axis=0)


class MirrorInvariant(LearnedClassifier):
    """Every left/right pair of channels as its mean and absolute difference, then as before."""

    def _features(self, series):
        channels = list(self.channels_)
        left = [i for i, c in enumerate(channels) if c.startswith("left_")]
        right = [channels.index(mirror_name(channels[i])) for i in left]
        single = [i for i, c in enumerate(channels) if mirror_name(c) == c]
        return np.stack([rep_features(np.hstack([(s[:, left] + s[:, right]) / 2,
                                                 np.abs(s[:, left] - s[:, right]), s[:, single]]),
                                      self.resample_length) for s in series])


class Augmented(LearnedClassifier):
    """The default learned classifier trained on mirrored and tempo-changed copies too."""

    def fit(self, X, y=None):
        return super().fit(X.augment(mirror=True, time_scale=(0.8, 1.25), n_time_scales=2))


CANDIDATES = {
    "DTW 1-NN (window 0.1), the reference": DTWKNeighborsClassifier(),
    "MLP 64, C=3 on summary features (before)": LearnedClassifier(C=3.0),
    "MLP 64, C=10": LearnedClassifier(C=10.0),
    "MLP 64, C=3 + mirror and tempo augmentation": Augmented(C=3.0),
    "MLP 64, C=10 + mirror and tempo augmentation": Augmented(C=10.0),
    "5 MLPs (seeds 0-4), C=3, mean probability": Candidate(n_networks=5),
    "5 MLPs (seeds 0-4), C=10, mean probability": Candidate(n_networks=5, C=10.0),
    "left/right pairs as mean and difference + MLP 64, C=3": MirrorInvariant(C=3.0),
    "left/right pairs as mean and difference + MLP 64, C=10": MirrorInvariant(C=10.0),
    "MiniRocket features + MLP 64, C=3": Candidate(features="rocket"),
    "MiniRocket + summary features + MLP 64, C=3": Candidate(features="both"),
}


def main():
    clips = datasets.load_pushfit()
    data = datasets.clips_to_reps(clips, "push-up")
    names = np.array([c.name for c in clips])
    labels = np.array([c.label for c in clips])
    selection, _ = train_test_split(names, test_size=0.5, random_state=0, stratify=labels)
    chosen = np.isin(data.groups, selection)
    part, rest = data[chosen], data[~chosen]
    print(f"channels {data.channels}; selection half {chosen.sum()} reps, report half "
          f"{(~chosen).sum()} reps")
    print("| candidate | selection half, CV (rep / clip) | report half (rep / clip) |")
    print("|---|---|---|")
    wanted = [int(i) for i in sys.argv[1:]] or range(len(CANDIDATES))
    for name, estimator in [list(CANDIDATES.items())[i] for i in wanted]:
        runs = [grouped_cross_validation(estimator, part, seed=s) for s in range(3)]
        rep = np.mean([r.accuracy for r in runs]) * 100
        clip = np.mean([r.group_accuracy() for r in runs]) * 100
        held = evaluate_model(clone(estimator).fit(part), rest)
        print(f"| {name} | {rep:.1f} / {clip:.1f} | {held.accuracy * 100:.1f} / "
              f"{held.group_accuracy() * 100:.1f} |", flush=True)


if __name__ == "__main__":
    main()
