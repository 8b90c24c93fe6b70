"""The DTW k-nearest-neighbours rep classifier (exact, with lower-bound pruning)."""

from __future__ import annotations

import numbers

import numpy as np

from .._archive import take_array
from ..dtw import dtw_path, knn_search, knn_upper_bounds, pack_training, prepare_training
from ..errors import InputError, ModelFileError, ParameterError
from ..features.angles import resample, resample_many
from .base import BOOLEAN, NONE, TrainedRepClassifier, interval, options

__all__ = ["DTWKNeighborsClassifier"]

_NOVELTY_SAMPLE = 200


def _per_frame(distances, series) -> np.ndarray:
    """DTW distances divided by the length of each query rep (as searched)."""
    return distances / np.array([len(s) for s in series])


def _nearest_other(distances, indices, queries) -> np.ndarray:
    """Distance to the nearest training rep other than the query itself (2 neighbours found).

    ``queries`` are the queries' own training indices; a rep that is not its
    own first neighbour has a duplicate at distance 0 with a lower index.
    """
    own = indices[:, 0] == queries
    return np.where(own, distances[:, 1], distances[:, 0])


class DTWKNeighborsClassifier(TrainedRepClassifier):
    """k-nearest-neighbours vote under dynamic time warping.

    The neighbours are exactly those a brute-force search returns (same
    distances, ties broken by the lower training index), found faster by
    :func:`~formcheck.dtw.knn_search`: a cascade of lower bounds (segment-mean
    LB_Keogh over compact summaries stored at fit, LB_Kim, LB_Keogh on the
    query's envelope over the band) skips candidates, DTW abandons early once
    it exceeds the current k-th best, and a batch of queries shares each pass
    over the training reps and is spread over threads running numba-compiled
    code. Prediction cost still grows with the number of training reps; see
    ``LearnedClassifier`` for a constant-cost alternative.

    DTW is multivariate (dependent): the cost of matching two frames is the
    squared Euclidean distance over all channels, summed along the best warping
    path, with no square root taken (the ranking equals tslearn's ``dtw``).

    Parameters
    ----------
    n_neighbors : int, default=1
        Neighbours that vote, at most the number of training reps.
    window : int, float or None, default=0.1
        Sakoe-Chiba band: a radius in frames (int >= 0), a fraction of the
        longer series (float in [0, 1]), or None for no band.
    resample_length : int or None, default=None
        Resample every rep (training and query) to this many evenly spaced
        frames before DTW, so reps of different durations are compared on
        their shape alone (the band then applies to the resampled reps);
        None compares the frames as recorded. Cut push-up reps gain from 64
        (``docs/classifiers.md``); whole recordings with rests of varying
        length (Pose Trainer) do not.
    weights : {"uniform", "distance"}, default="uniform"
        Equal votes, or votes weighted by 1 / distance (an exact match wins).
    use_lower_bounds : bool, default=True
        Prune with lower bounds (same result; False is for benchmarking).
    standardize : bool, default=True
        Standardise every angle channel with statistics learned in ``fit``, so
        that degrees and torso-length heights weigh alike.
    n_jobs : int, default=-1
        Threads for a batch of queries; -1 uses all cores.
    novelty_margin : float, default=2.0
        ``novelty_threshold_`` is this margin times the 99th percentile of the
        leave-one-out novelty scores of up to 200 training reps (each against
        all the others); larger flags fewer reps as unlike the training set.
    calibrate : bool, default=False
        Fit a temperature on out-of-fold probabilities of grouped folds of the
        training reps (5 more fits), so that the stated probabilities match
        how often the model is right; predictions do not change
        (``temperature_``; ``docs/classifiers.md`` has the reliability curves).

    Attributes
    ----------
    classes_ : numpy.ndarray
        Class labels in ``predict_proba`` column order.
    n_features_in_ : int
        Number of angle channels.
    channels_ : tuple of str or None
        Channel names, when the training input carried them.
    exercise_ : str or None
        The exercise the training RepDataset was recorded for.
    feature_settings_ : dict
        The angle settings the training RepDataset was computed with.
    mean_, scale_ : numpy.ndarray, shape (n_features_in_,)
        Per-channel standardisation (zeros and ones when ``standardize=False``).
    profile_mean_, profile_std_ : numpy.ndarray, shape (n_classes, 32, n_features_in_)
        Mean and spread of each class's reps resampled to 32 points, in the
        reps' own units.
    novelty_threshold_ : float
        Novelty scores above it mark a rep unlike the training reps.
    temperature_ : float
        Divisor of the log-probabilities (1 without ``calibrate``).
    train_set_ : formcheck.dtw.TrainingSet
        The standardised training reps (resampled when ``resample_length`` is
        set) and the band ``window`` had in ``fit`` (``train_set_.window``),
        which every search and ``alignment`` use.
    train_y_ : numpy.ndarray of int
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

    settings_kind = "knn"

    _parameter_constraints = {
        "n_neighbors": [interval(numbers.Integral, 1)],
        "window": [NONE, interval(numbers.Integral, 0), interval(numbers.Real, 0, 1)],
        "resample_length": [NONE, interval(numbers.Integral, 2)],
        "weights": [options("uniform", "distance")],
        "use_lower_bounds": [BOOLEAN],
        "standardize": [BOOLEAN],
        "n_jobs": [interval(numbers.Integral, -1, -1), interval(numbers.Integral, 1)],
        "novelty_margin": [interval(numbers.Real, 0, closed="neither")],
        "calibrate": [BOOLEAN],
    }

    def __init__(self, n_neighbors=1, window=0.1, resample_length=None, weights="uniform",
                 use_lower_bounds=True, standardize=True, n_jobs=-1, novelty_margin=2.0,
                 calibrate=False):
        self.n_neighbors = n_neighbors
        self.window = window
        self.resample_length = resample_length
        self.weights = weights
        self.use_lower_bounds = use_lower_bounds
        self.standardize = standardize
        self.n_jobs = n_jobs
        self.novelty_margin = novelty_margin
        self.calibrate = calibrate

    def _fit(self, frames, offsets, y_index):
        n_reps = len(offsets) - 1
        if self.n_neighbors > n_reps:
            raise ParameterError(
                f"{type(self).__name__}: n_neighbors={self.n_neighbors} is more than the "
                f"{n_reps} training reps; use n_neighbors <= {n_reps}")
        if self.resample_length is not None:
            frames = resample_many(frames, offsets, self.resample_length).reshape(
                -1, frames.shape[1])
            offsets = np.arange(n_reps + 1) * self.resample_length
        self.train_set_ = pack_training(frames, offsets, self.window)
        self.train_y_ = np.asarray(y_index, dtype=np.int64)

    def _resampled(self, series) -> list:
        """``series`` resampled to ``resample_length`` frames (as they are when it is None)."""
        if self.resample_length is None:
            return series
        return [resample(s, self.resample_length) for s in series]

    def kneighbors(self, X, n_neighbors=None, return_distance=True):
        """The training reps nearest to each rep of ``X`` by DTW.

        Parameters
        ----------
        X : RepDataset, list of (T_i, C) arrays or array (n, T, C)
            The query reps.
        n_neighbors : int, default=None
            Neighbours per rep, at most the number of training reps; None
            uses the ``n_neighbors`` given at construction.
        return_distance : bool, default=True
            Also return the distances.

        Returns
        -------
        distances : numpy.ndarray, shape (n, k)
            DTW distances on standardised channels, increasing along each row
            (only when ``return_distance``).
        indices : numpy.ndarray, shape (n, k)
            Indices of the training reps.
        """
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        distances, indices = self._search(self._prepare(X), k)
        return (distances, indices) if return_distance else indices

    def alignment(self, x, i):
        """Warping path between rep ``x`` and training rep ``i``, in the band of ``fit``.

        Parameters
        ----------
        x : array-like of shape (T, C)
            One rep, in its own units (standardised here as in ``predict``).
        i : int
            Index of a training rep.

        Returns
        -------
        path : list of (int, int)
            Pairs (frame of ``x``, frame of training rep ``i``); with
            ``resample_length`` set, frames of both reps resampled.
        distance : float
            Its DTW distance (standardised channels).
        """
        (query,) = self._resampled(self._prepare([x]))
        if not 0 <= i < len(self.train_set_):
            raise InputError(f"training rep {i} does not exist (0..{len(self.train_set_) - 1})")
        return dtw_path(query, self.train_set_.series(i), window=self.train_set_.window)

    def _search(self, series, k):
        return self._search_resampled(self._resampled(series), k)

    def _search_resampled(self, reps, k):
        """The ``k`` nearest training reps of ``reps``, already resampled as the training set."""
        return knn_search(reps, self.train_set_, n_neighbors=k,
                          use_lower_bounds=self.use_lower_bounds, n_jobs=self.n_jobs)

    def _novelty(self, series):
        """DTW distance to the nearest training rep per frame of the rep (resampled)."""
        reps = self._resampled(series)
        distances, _ = self._search_resampled(reps, 1)
        return _per_frame(distances[:, 0], reps)

    def _novelty_quantile(self, frames, offsets, q):
        """Quantile ``q`` of the leave-one-out novelty of a sample of up to 200 training reps.

        Each sampled rep is scored against all the others (its nearest other
        rep). ``np.quantile`` reads only the largest few of those scores, so
        only they are searched in full: every rep first gets a cheap upper
        bound (:func:`~formcheck.dtw.knn_upper_bounds`), and reps are searched
        exactly in decreasing order of it until the next bound cannot reach
        the order statistics the quantile reads. The result equals scoring
        every sampled rep exactly.
        """
        sample = np.random.default_rng(0).permutation(len(offsets) - 1)[:_NOVELTY_SAMPLE]
        reps = [self.train_set_.series(i) for i in sample]  # resampled as the training set
        scores = _per_frame(_nearest_other(*knn_upper_bounds(reps, self.train_set_, 2,
                                                             n_jobs=self.n_jobs), sample), reps)
        needed = len(sample) - int(np.floor(q * (len(sample) - 1)))  # order statistics read
        exact = []
        for i in np.argsort(-scores, kind="stable"):
            if len(exact) >= needed and scores[i] <= np.sort(exact)[-needed]:
                break  # this bound, and all later ones, are below what the quantile reads
            distances, indices = self._search_resampled([reps[i]], 2)
            scores[i] = _per_frame(_nearest_other(distances, indices, sample[i : i + 1]),
                                   reps[i : i + 1])[0]
            exact.append(scores[i])
        return float(np.quantile(scores, q))

    def nearest_of_class(self, x, label):
        """Index of the training rep of class ``label`` nearest to rep ``x`` by DTW.

        The class's reps are packed for the search on each call (a copy of
        that class's training frames; nothing is cached on the model).

        Parameters
        ----------
        x : array-like of shape (T, C)
            One rep, in its own units.
        label : str
            A class of the model.

        Returns
        -------
        int
            An index into the training reps (``train_set_``).
        """
        members = np.nonzero(self.train_y_ == self._class_index(label))[0]
        subset = prepare_training([self.train_set_.series(i) for i in members],
                                  self.train_set_.window)
        query = self._resampled(self._prepare([x]))
        _, indices = knn_search(query, subset, n_neighbors=1, n_jobs=self.n_jobs)
        return int(members[indices[0, 0]])

    def reference(self, x, label):
        """Rep ``x`` and the nearest training rep of class ``label``, matched by DTW.

        See :meth:`TrainedRepClassifier.reference`; both are in ``x``'s own units.
        """
        index = self.nearest_of_class(x, label)
        path, _ = self.alignment(x, index)
        rows, cols = np.array(path).T
        reference = self.train_set_.series(index) * self.scale_ + self.mean_
        values = np.asarray(x, dtype=np.float64)
        if self.resample_length is None:
            return values[rows], reference[cols], rows
        frames = np.round(rows * (len(values) - 1) / (self.resample_length - 1)).astype(int)
        return resample(values, self.resample_length)[rows], reference[cols], frames

    def _predict_proba(self, series):
        return self._votes(*self._search(series, self.n_neighbors))

    def _proba_and_novelty(self, series):
        reps = self._resampled(series)
        distances, indices = self._search_resampled(reps, self.n_neighbors)
        return self._votes(distances, indices), _per_frame(distances[:, 0], reps)

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
        data = take_array(arrays, "train_data", (None, self.n_features_in_))
        offsets = take_array(arrays, "train_offsets", (None,), kind="int")
        lengths = np.diff(offsets)
        if not (len(offsets) >= 2 and offsets[0] == 0 and offsets[-1] == len(data)
                and (lengths >= 2).all()):
            raise ModelFileError(f"train_offsets do not cut the {len(data)} frames of "
                                 "train_data into reps of at least 2 frames")
        if self.resample_length is not None and (lengths != self.resample_length).any():
            raise ModelFileError(f"resample_length is {self.resample_length} but the training "
                                 f"reps have {lengths.min()} to {lengths.max()} frames")
        train_y = take_array(arrays, "train_y", (len(lengths),), kind="int")
        if ((train_y < 0) | (train_y >= len(self.classes_))).any():
            raise ModelFileError(f"train_y holds class indices outside 0..{len(self.classes_) - 1}")
        if self.n_neighbors > len(train_y):
            raise ModelFileError(f"n_neighbors={self.n_neighbors} but the file holds "
                                 f"{len(train_y)} training reps")
        self.train_set_ = pack_training(np.ascontiguousarray(data), offsets, self.window)
        self.train_y_ = train_y
