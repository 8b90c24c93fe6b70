"""A learned rep classifier whose prediction cost does not grow with the training set."""

from __future__ import annotations

import numbers

import numpy as np

from .._archive import take_array
from ..dtw.validation import concatenate
from ..errors import ModelFileError
from ..features.angles import equal_length_batches, resample
from .base import BOOLEAN, NONE, TrainedRepClassifier, column_mean_std, interval, options

__all__ = ["LearnedClassifier", "rep_features", "stacked_features"]

#: Adam's step size: ten times scikit-learn's default, so training stops (loss change below
#: 1e-4 for 10 epochs; fewer on more than 2,200 reps, ``_training.patience``) after about 150
#: epochs instead of 450, with the same or better cross-validated accuracy on every real and
#: synthetic set measured (docs/classifiers.md).
_LEARNING_RATE = 1e-2
_SUMMARIES = ("min", "max", "range", "mean", "std", "t_min", "t_max",
              "mean_abs_velocity", "max_velocity", "min_velocity")
#: Deciles of every channel's values (10 % ... 90 %): how long the rep spends at each level,
#: whatever the timing; they won the selection on every real set (docs/classifiers.md).
N_QUANTILES = 9


def rep_features(series: np.ndarray, resample_length: int = 16) -> np.ndarray:
    """Fixed-length feature vector of one rep.

    Every channel is resampled to ``resample_length`` points over the rep's
    normalised time (its shape), followed by per-channel summaries: minimum,
    maximum, range, mean, standard deviation, the relative times of the minimum
    and maximum, and the mean absolute, largest and smallest velocity (per unit
    of normalised time), then each channel's deciles (its sorted values
    resampled: ``numpy.quantile`` at 0.1, ..., 0.9), and finally the log of the
    rep's length in frames.

    Parameters
    ----------
    series : numpy.ndarray, shape (T, C)
        One rep, at least 2 frames.
    resample_length : int, default=16
        Points per channel in the resampled shape, at least 2.

    Returns
    -------
    numpy.ndarray, shape (C * (resample_length + 19) + 1,)

    Examples
    --------
    >>> import numpy as np
    >>> rep_features(np.random.rand(40, 3)).shape
    (106,)
    """
    return stacked_features(series[None], resample_length)[0]


def stacked_features(stack: np.ndarray, resample_length: int = 16) -> np.ndarray:
    """:func:`rep_features` of every rep of an ``(n, T, C)`` stack of one length, at once.

    Each row equals :func:`rep_features` of that rep, bit for bit (the same
    operations, along the time axis of the stack).

    Examples
    --------
    >>> import numpy as np
    >>> stack = np.random.rand(5, 40, 3)
    >>> bool((stacked_features(stack)[2] == rep_features(stack[2])).all())
    True
    """
    n_reps, n_frames, _ = stack.shape
    shape = resample(stack, resample_length).transpose(0, 2, 1)
    velocity = np.diff(stack, axis=1) * (n_frames - 1)
    ordered = np.sort(stack, axis=1)
    low, high = ordered[:, 0], ordered[:, -1]  # the minimum and maximum, without two more passes
    summaries = np.stack([
        low, high, high - low, stack.mean(axis=1), stack.std(axis=1),
        stack.argmin(axis=1) / (n_frames - 1), stack.argmax(axis=1) / (n_frames - 1),
        # fmax/fmin: max/min of NaN-free values (finite input), several times faster across frames
        np.abs(velocity).mean(axis=1), np.fmax.reduce(velocity, axis=1),
        np.fmin.reduce(velocity, axis=1),
    ], axis=2)
    deciles = resample(ordered, N_QUANTILES + 2)[:, 1:-1].transpose(0, 2, 1)
    return np.concatenate([shape.reshape(n_reps, -1), summaries.reshape(n_reps, -1),
                           deciles.reshape(n_reps, -1), np.full((n_reps, 1), np.log(n_frames))],
                          axis=1)


def _network_proba(inputs, coefs, intercepts) -> np.ndarray:
    """Class probabilities of a feed-forward network, computed as scikit-learn does.

    Each layer is ``activation @ coef + intercept``; hidden layers are ReLU.
    One output unit is the probability ``p`` of the second class (logistic),
    returned as columns ``1 - p, p``; several are a softmax over the classes.
    These are the operations of ``MLPClassifier.predict_proba`` and, with no
    hidden layer (``coefs == [coef_.T]``), of ``LogisticRegression.predict_proba``.

    Parameters
    ----------
    inputs : numpy.ndarray, shape (n, n_inputs)
    coefs : list of numpy.ndarray
        Weight matrices, ``coefs[i]`` of shape (units of layer i, units of layer i + 1).
    intercepts : list of numpy.ndarray
        Bias vectors, ``intercepts[i]`` of shape (units of layer i + 1,).

    Returns
    -------
    numpy.ndarray, shape (n, n_classes)

    Examples
    --------
    >>> _network_proba(np.array([[1.0, -1.0]]), [np.eye(2)], [np.zeros(2)]).round(3).tolist()
    [[0.881, 0.119]]
    """
    activation = inputs
    for coef, intercept in zip(coefs[:-1], intercepts[:-1]):
        activation = np.maximum(activation @ coef + intercept, 0)
    output = activation @ coefs[-1] + intercepts[-1]
    if output.shape[1] == 1:
        positive = 0.5 * (1.0 + np.tanh(0.5 * output[:, 0]))   # the logistic function
        return np.vstack([1 - positive, positive]).T
    exponential = np.exp(output - output.max(axis=1)[:, np.newaxis])
    return exponential / exponential.sum(axis=1)[:, np.newaxis]


class LearnedClassifier(TrainedRepClassifier):
    """Rep classifier on fixed-length features; prediction cost is constant in N.

    Each rep becomes a fixed-length vector (see :func:`rep_features`): its
    resampled shape, per-channel summaries and deciles. A small neural network (one
    hidden layer, the default) or a multinomial logistic regression classifies
    the standardised vector, so predicting one rep costs the same whatever the
    number of training reps. The default was chosen by measurement on the real
    PushFit push-up clips, selected on one half of the clips and tested on the
    other, and inside the training files of every Pose Trainer exercise:
    MiniRocket and MultiRocket convolution features, augmentation (mirror,
    tempo, 3-D camera rotations), network ensembles and an ensemble with the
    exercise's standards did no better (see ``docs/classifiers.md``).

    Predictions come from the fitted weights alone (``coefs_``,
    ``intercepts_``) by a NumPy forward pass that repeats scikit-learn's
    ``predict_proba``, so a saved model needs no scikit-learn internals to load.

    Training runs with one BLAS thread, the fastest at every size measured
    (the matrices are small), and Adam's step is 0.01, so training stops
    after about 150 epochs: on 50 reps the network trains in about 0.1 s and
    the whole fit takes about 0.3 s on a busy 2-core machine
    (``docs/classifiers.md``). On large sets training stops after about 100
    Adam steps without improvement rather than 10 epochs: 20,000 reps of 100
    frames and 17 channels fit in about 3.6 s of CPU (``docs/benchmarks.md``).

    Parameters
    ----------
    model : {"mlp", "logistic"}, default="mlp"
        The classifier on the features.
    C : float, default=10.0
        Inverse regularisation strength, > 0 (the MLP's L2 penalty is ``1 / C``).
    resample_length : int, default=16
        Points per channel in the resampled shape, at least 2.
    hidden_units : int, default=64
        Width of the MLP's hidden layer (``model="mlp"`` only).
    standardize : bool, default=True
        Standardise every angle channel with statistics learned in ``fit``.
    random_state : int or None, default=0
        Seed of the MLP's initial weights (None: a fresh seed each fit).
    novelty_margin : float, default=1.5
        ``novelty_threshold_`` is this margin times the 99th percentile of the
        training reps' novelty scores; larger flags fewer reps as unlike the
        training set.
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
        reps' own units; ``profile_mean_`` is the reference of feedback.
    novelty_threshold_ : float
        Novelty scores above it mark a rep unlike the training reps.
    temperature_ : float
        Divisor of the log-probabilities (1 without ``calibrate``).
    feature_mean_, feature_scale_ : numpy.ndarray, shape (n_rep_features,)
        Standardisation of the feature vectors.
    coefs_ : list of numpy.ndarray
        Weight matrices of the fitted network, input first: the MLP's two
        layers, or the logistic model's ``coef_.T`` alone.
    intercepts_ : list of numpy.ndarray
        Their bias vectors.

    Examples
    --------
    >>> import numpy as np
    >>> from formcheck import LearnedClassifier
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(0, np.pi, 30)[:, None]
    >>> X = [np.sin(t) * a + rng.normal(0, .05, (30, 1)) for a in [1, 1, 1, 2, 2, 2]]
    >>> clf = LearnedClassifier().fit(X, ["low", "low", "low", "high", "high", "high"])
    >>> clf.predict([np.sin(t) * 2]).tolist()
    ['high']
    """

    settings_kind = "learned"

    _parameter_constraints = {
        "model": [options("mlp", "logistic")],
        "C": [interval(numbers.Real, 0, closed="neither")],
        "resample_length": [interval(numbers.Integral, 2)],
        "hidden_units": [interval(numbers.Integral, 1)],
        "standardize": [BOOLEAN],
        "random_state": [NONE, interval(numbers.Integral, 0, 2**32 - 1)],
        "novelty_margin": [interval(numbers.Real, 0, closed="neither")],
        "calibrate": [BOOLEAN],
    }

    def __init__(self, model="mlp", C=10.0, resample_length=16, hidden_units=64,
                 standardize=True, random_state=0, novelty_margin=1.5, calibrate=False):
        self.model = model
        self.C = C
        self.resample_length = resample_length
        self.hidden_units = hidden_units
        self.standardize = standardize
        self.random_state = random_state
        self.novelty_margin = novelty_margin
        self.calibrate = calibrate

    def _features(self, series) -> np.ndarray:
        """:func:`rep_features` of every rep of a list."""
        return self._packed_features(*concatenate(series))

    def _packed_features(self, frames, offsets) -> np.ndarray:
        """:func:`rep_features` of every rep packed in ``frames``, a stack of one length at a time."""
        per_channel = self.resample_length + len(_SUMMARIES) + N_QUANTILES
        features = np.empty((len(offsets) - 1, frames.shape[1] * per_channel + 1))
        for indices, stack in equal_length_batches(frames, offsets):
            features[indices] = stacked_features(stack, self.resample_length)
        return features

    def _fit(self, frames, offsets, y_index):
        features = self._packed_features(frames, offsets)
        self.feature_mean_, scale = column_mean_std(features)
        self.feature_scale_ = np.where(scale > 1e-12, scale, 1.0)
        features -= self.feature_mean_  # in place: (features - mean) / scale, without two copies
        features /= self.feature_scale_
        from . import _training  # fit-only: scikit-learn loads when a model is trained

        estimator = _training.fit_on_one_blas_thread(self._make_estimator(len(features)),
                                                     features, y_index)
        if self.model == "logistic":
            self.coefs_, self.intercepts_ = [estimator.coef_.T], [estimator.intercept_]
        else:
            self.coefs_, self.intercepts_ = list(estimator.coefs_), list(estimator.intercepts_)

    def _make_estimator(self, n_reps):
        """The unfitted network for ``n_reps`` training reps (its patience depends on it)."""
        from . import _training  # fit-only: scikit-learn loads when a model is trained

        return _training.make_network(self.model, C=self.C, hidden_units=self.hidden_units,
                                      learning_rate=_LEARNING_RATE, random_state=self.random_state,
                                      n_reps=n_reps)

    def _novelty(self, series):
        """Distance to the nearest class profile, in units of that class's spread.

        Each rep (back in degrees) is resampled onto the profiles' time axis and
        compared with every class's mean rep; the root-mean-square z-score to
        the closest class is the score. The cost is constant in N.
        """
        return self._packed_novelty(*concatenate(series))

    def _novelty_quantile(self, frames, offsets, q):
        return float(np.quantile(self._packed_novelty(frames, offsets), q))

    def _packed_novelty(self, frames, offsets):
        """:meth:`_novelty` of the reps packed in ``frames``, a stack of one length at a time."""
        length = self.profile_mean_.shape[1]
        spread = self.profile_std_ + 0.1 * self.scale_
        scores = np.empty(len(offsets) - 1)
        for indices, stack in equal_length_batches(frames, offsets):
            raw = resample(stack * self.scale_ + self.mean_, length)
            z = (raw[:, None] - self.profile_mean_[None]) / spread[None]
            scores[indices] = np.sqrt(np.mean(z ** 2, axis=(2, 3))).min(axis=1)
        return scores

    def _predict_proba(self, series):
        features = (self._features(series) - self.feature_mean_) / self.feature_scale_
        return _network_proba(features, self.coefs_, self.intercepts_)

    def reference(self, x, label):
        """Rep ``x`` resampled to the profile length, and the mean profile of class ``label``.

        See :meth:`TrainedRepClassifier.reference`; both are in ``x``'s own units.
        """
        profile = self.profile_mean_[self._class_index(label)]
        self._prepare([x])  # checks x as predict does
        values = np.asarray(x, dtype=np.float64)
        frames = np.round(np.linspace(0, len(values) - 1, len(profile))).astype(int)
        return resample(values, len(profile)), profile, frames

    def _state(self) -> dict:
        state = {"feature_mean": self.feature_mean_, "feature_scale": self.feature_scale_}
        if self.model == "logistic":
            state.update(coef=self.coefs_[0].T, intercept=self.intercepts_[0])
        else:
            for i, (w, b) in enumerate(zip(self.coefs_, self.intercepts_)):
                state[f"coef_{i}"], state[f"intercept_{i}"] = w, b
        return state

    def _restore(self, arrays):
        per_channel = self.resample_length + len(_SUMMARIES) + N_QUANTILES
        n_inputs = self.n_features_in_ * per_channel + 1
        n_outputs = 1 if len(self.classes_) == 2 else len(self.classes_)
        if "feature_mean" in arrays and arrays["feature_mean"].shape != (n_inputs,):
            raise ModelFileError(f"feature_mean: its network reads {arrays['feature_mean'].size} "
                                 f"features per rep, this formcheck computes {n_inputs} (each "
                                 "channel's deciles were added); train the model again")
        self.feature_mean_ = take_array(arrays, "feature_mean", (n_inputs,))
        self.feature_scale_ = take_array(arrays, "feature_scale", (n_inputs,), positive=True)
        if self.model == "logistic":
            self.coefs_ = [take_array(arrays, "coef", (n_outputs, n_inputs)).T]
            self.intercepts_ = [take_array(arrays, "intercept", (n_outputs,))]
        else:
            units = [n_inputs, self.hidden_units, n_outputs]
            self.coefs_ = [take_array(arrays, f"coef_{i}", (units[i], units[i + 1]))
                           for i in range(2)]
            self.intercepts_ = [take_array(arrays, f"intercept_{i}", (units[i + 1],))
                                for i in range(2)]
