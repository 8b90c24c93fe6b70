"""The DTW k-nearest-neighbours rep classifier (exact, with lower-bound pruning)."""

from __future__ import annotations

import numpy as np

from ..dtw.search import dtw_path, knn_search, prepare_training
from ..errors import InputError
from .base import TrainedRepClassifier

__all__ = ["DTWKNeighborsClassifier"]

_NOVELTY_SAMPLE = 200


def _per_frame(distances, series) -> np.ndarray:
    """DTW distances divided by the length of each query rep."""
    return distances / np.array([len(s) for s in series])


class DTWKNeighborsClassifier(TrainedRepClassifier):
    """k-nearest-neighbours vote under dynamic time warping.

    The neighbours are exactly those a brute-force search returns (same
    distances, ties broken by the lower training index), found faster: LB_Kim
    and LB_Keogh lower bounds (envelopes computed once in ``fit``) rank and
    skip candidates, DTW abandons early once it exceeds the current k-th best,
    and queries run in parallel in numba-compiled code. Prediction cost still
    grows with the number of training reps; see ``LearnedClassifier`` for a
    constant-cost alternative.

    DTW is multivariate (dependent): the cost of matching two frames is the
    squared Euclidean distance over all channels, summed along the best warping
    path, with no square root taken (the ranking equals tslearn's ``dtw``).

    Parameters
    ----------
    n_neighbors : int
        Neighbours that vote.
    window : int, float or None
        Sakoe-Chiba band: a radius in frames (int), a fraction of the longer
        series (float in [0, 1]), or None for no band.
    weights : {"uniform", "distance"}
        Equal votes, or votes weighted by 1 / distance (an exact match wins).
    use_lower_bounds : bool
        Prune with lower bounds (same result; False is for benchmarking).
    standardize : bool
        Standardise every angle channel with statistics learned in ``fit``, so
        that degrees and torso-length heights weigh alike.
    n_jobs : int
        Threads for a batch of queries; -1 uses all cores.

    Attributes
    ----------
    classes_ : numpy.ndarray
        Class labels in ``predict_proba`` column order.
    n_features_in_ : int
        Number of angle channels.
    train_set_ : formcheck.dtw.search.TrainingSet
        Standardised training reps with their envelopes.
    train_y_ : numpy.ndarray
        Class index of every training rep.

    Examples
    --------
    >>> import numpy as np
    >>> from formcheck import DTWKNeighborsClassifier
    >>> t = np.linspace(0, np.pi, 30)[:, None]
    >>> X = [np.sin(t) * a for a in (1.0, 1.1, 2.0, 2.1)]
    >>> clf = DTWKNeighborsClassifier(n_neighbors=1, window=0.1).fit(X, ["low", "low", "high", "high"])
    >>> clf.predict([np.sin(t[::2]) * 1.9]).tolist()
    ['high']
    >>> distances, indices = clf.kneighbors([X[0]], n_neighbors=2)
    >>> indices.tolist()
    [[0, 1]]
    """

    def __init__(self, n_neighbors=1, window=0.1, weights="uniform", use_lower_bounds=True,
                 standardize=True, n_jobs=-1):
        self.n_neighbors = n_neighbors
        self.window = window
        self.weights = weights
        self.use_lower_bounds = use_lower_bounds
        self.standardize = standardize
        self.n_jobs = n_jobs

    def _fit(self, series, y_index):
        if self.weights not in ("uniform", "distance"):
            raise InputError(f"weights must be 'uniform' or 'distance', got {self.weights!r}")
        if not isinstance(self.n_neighbors, (int, np.integer)) or self.n_neighbors < 1:
            raise InputError(f"n_neighbors must be a positive int, got {self.n_neighbors!r}")
        self.train_set_ = prepare_training(series, self.window)
        self.train_y_ = np.asarray(y_index, dtype=np.int64)
        self._class_subsets = {}        # class index -> its reps, for nearest_of_class

    def kneighbors(self, X, n_neighbors=None, return_distance=True):
        """The training reps nearest to each rep of ``X`` by DTW.

        Parameters
        ----------
        X : RepDataset, list of (T_i, C) arrays or array (n, T, C)
        n_neighbors : int, optional
            Defaults to the ``n_neighbors`` given at construction.
        return_distance : bool

        Returns
        -------
        distances : numpy.ndarray, shape (n, k)
            DTW distances on standardised channels, increasing along each row
            (only when ``return_distance``).
        indices : numpy.ndarray, shape (n, k)
            Indices of the training reps.
        """
        distances, indices = self._search(self._prepare(X), n_neighbors or self.n_neighbors)
        return (distances, indices) if return_distance else indices

    def alignment(self, x, i):
        """Warping path between rep ``x`` and training rep ``i``, for feedback.

        Returns
        -------
        path : list of (int, int)
            Pairs (frame of ``x``, frame of training rep ``i``).
        distance : float
            Its DTW distance (standardised channels).
        """
        (query,) = self._prepare([x])
        if not 0 <= i < len(self.train_set_):
            raise InputError(f"training rep {i} does not exist (0..{len(self.train_set_) - 1})")
        return dtw_path(query, self.train_set_.series(i), window=self.window)

    def _search(self, series, k):
        k = min(k, len(self.train_set_))
        return knn_search(series, self.train_set_, n_neighbors=k,
                          use_lower_bounds=self.use_lower_bounds, n_jobs=self.n_jobs)

    def _novelty(self, series, training):
        """DTW distance to the nearest training rep per frame of the rep.

        For the training set itself (``training=True``) a sample of up to 200
        reps is scored against the others (leave-one-out).
        """
        if not training:
            distances, _ = self._search(series, 1)
            return _per_frame(distances[:, 0], series)
        sample = np.random.default_rng(0).permutation(len(series))[:_NOVELTY_SAMPLE]
        distances, indices = self._search([series[i] for i in sample], 2)
        own = indices[:, 0] == sample
        nearest_other = np.where(own, distances[:, 1], distances[:, 0])
        return _per_frame(nearest_other, [series[i] for i in sample])

    def nearest_of_class(self, x, label):
        """Index of the training rep of class ``label`` nearest to rep ``x`` by DTW."""
        matches = np.nonzero(self.classes_ == label)[0]
        if not len(matches):
            raise InputError(f"{label!r} is not a class of this model: {self.classes_.tolist()}")
        members, subset = self._class_subset(int(matches[0]))
        _, indices = knn_search(self._prepare([x]), subset, n_neighbors=1, n_jobs=self.n_jobs)
        return int(members[indices[0, 0]])

    def _class_subset(self, class_index):
        """(indices, TrainingSet) of one class's training reps, built once per fit or load."""
        if class_index not in self._class_subsets:
            members = np.nonzero(self.train_y_ == class_index)[0]
            self._class_subsets[class_index] = (members, prepare_training(
                [self.train_set_.series(i) for i in members], self.train_set_.window))
        return self._class_subsets[class_index]

    def _predict_proba(self, series):
        return self._votes(*self._search(series, self.n_neighbors))

    def _proba_and_novelty(self, series):
        distances, indices = self._search(series, self.n_neighbors)
        return self._votes(distances, indices), _per_frame(distances[:, 0], series)

    def _votes(self, distances, indices):
        """Class probabilities from the neighbours' labels and distances."""
        votes = np.zeros((len(distances), len(self.classes_)))
        weights = self._vote_weights(distances)
        labels = self.train_y_[indices]
        for column in range(labels.shape[1]):
            np.add.at(votes, (np.arange(len(distances)), labels[:, column]), weights[:, column])
        return votes / votes.sum(axis=1, keepdims=True)

    def _vote_weights(self, distances):
        if self.weights == "uniform":
            return np.ones_like(distances)
        exact = distances <= 0
        with np.errstate(divide="ignore"):
            inverse = 1.0 / distances
        return np.where(exact.any(axis=1, keepdims=True), exact.astype(float), inverse)

    def _state(self) -> dict:
        return {"train_data": self.train_set_.data, "train_offsets": self.train_set_.offsets,
                "train_y": self.train_y_}

    def _restore(self, arrays):
        data, offsets = arrays["train_data"], arrays["train_offsets"]
        series = [data[a:b] for a, b in zip(offsets[:-1], offsets[1:])]
        self.train_set_ = prepare_training(series, self.window)
        self.train_y_ = arrays["train_y"]
        self._class_subsets = {}
