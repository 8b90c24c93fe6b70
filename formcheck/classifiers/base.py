"""The one interface every rep classifier shares.

:class:`RepClassifier` converts and validates input, keeps the class order,
and reads and writes model files (JSON + NumPy, no pickle); subclasses
implement ``fit``, ``_predict_proba(series)``, ``_novelty(series, training)``
and the pair ``_state()`` / ``_restore(arrays)`` for persistence.
:class:`TrainedRepClassifier`, the base of the classifiers that learn from
labelled reps, adds ``fit`` itself: the per-channel standardisation, the class
profiles used for feedback and the novelty threshold; its subclasses implement
``_fit(series, y_index)``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._archive import read_archive, write_archive
from ..errors import (ChannelMismatchError, InputError, MissingDataError, ModelFileError,
                      NotFittedError, TooFewFramesError)
from ..features.angles import resample

__all__ = ["RepClassifier", "TrainedRepClassifier", "load_model", "as_series_list",
           "class_profiles"]

MODEL_FORMAT = 1
PROFILE_LENGTH = 32
_REGISTRY: dict = {}


def as_series_list(X):
    """Convert classifier input to a list of float64 ``(T_i, C)`` arrays and channel names.

    Accepts a :class:`~formcheck.datasets.rep_dataset.RepDataset`, a list of arrays or
    ``AngleSeries`` of shape ``(T_i, C)``, a 3-D array ``(n, T, C)``, or a 2-D
    array ``(n, T)`` of univariate series (as tslearn does).

    Returns
    -------
    series : list of numpy.ndarray
    channels : tuple of str or None
        Channel names when the input carries them.

    Raises
    ------
    InputError, MissingDataError, ChannelMismatchError, TooFewFramesError
    """
    from ..datasets.rep_dataset import RepDataset
    from ..features.angles import AngleSeries

    channels = None
    if isinstance(X, RepDataset):
        channels, X = X.channels, X.X
    elif isinstance(X, (list, tuple)) and X and isinstance(X[0], AngleSeries):
        channels = X[0].channels
        if any(s.channels != channels for s in X):
            raise ChannelMismatchError("the series do not all have the same channels")
    series = _to_arrays(X)
    _check_series(series)
    return series, channels


def _to_arrays(X) -> list:
    if sparse.issparse(X):
        raise InputError("A sparse matrix was passed, but dense data is required: "
                         "sparse input is not supported")
    if isinstance(X, np.ndarray) or not isinstance(X, (list, tuple)):
        array = _numeric(X, "X")
        if array.ndim == 2:
            return list(array[:, :, None])
        if array.ndim == 3:
            return list(array)
        raise InputError(f"Reshape your data: X must be (n, T, C), (n, T) or a list of (T, C) arrays; "
                         f"got an array of shape {array.shape}")
    out = []
    for i, item in enumerate(X):
        array = _numeric(item, f"X[{i}]")
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise InputError(f"X[{i}] must have shape (T, C); got {array.shape}")
        out.append(array)
    return out


def class_profiles(series, y_index, n_classes, length=PROFILE_LENGTH):
    """Mean and standard deviation of each class's reps on a common time axis.

    Every rep is resampled to ``length`` points (linear time normalisation);
    the profiles are in the series' own units (degrees), for feedback.

    Returns
    -------
    mean, std : numpy.ndarray, shape (n_classes, length, C)
    """
    stacked = np.stack([resample(s, length) for s in series])
    y_index = np.asarray(y_index)
    mean = np.stack([stacked[y_index == k].mean(axis=0) for k in range(n_classes)])
    std = np.stack([stacked[y_index == k].std(axis=0) for k in range(n_classes)])
    return mean, std


def _numeric(data, name) -> np.ndarray:
    try:
        array = np.asarray(data)
        complex_data = np.iscomplexobj(array)
        if not complex_data:
            return array.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} is not numeric: {exc}") from None
    raise InputError(f"{name}: Complex data not supported")


def _check_series(series):
    if not series:
        raise InputError("X holds no series (need at least 1 sample)")
    n_channels = series[0].shape[1]
    for i, s in enumerate(series):
        if s.shape[1] != n_channels:
            raise ChannelMismatchError(
                f"X[{i}] has {s.shape[1]} channels but X[0] has {n_channels}")
        if s.shape[0] < 2:
            raise TooFewFramesError(f"X[{i}] has {s.shape[0]} frame(s); a rep needs at least 2")
        if not np.isfinite(s).all():
            raise MissingDataError(f"X[{i}] contains NaN or infinite values")


class RepClassifier(ClassifierMixin, BaseEstimator):
    """Base class of formcheck's rep classifiers (scikit-learn compatible).

    Subclasses take their hyper-parameters in ``__init__`` and only store
    them there.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    #: A checker calls a rep whose best class is less probable than this "unknown" by default.
    default_min_probability = 0.5

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags

    # -- public API ------------------------------------------------------------------
    def novelty_score(self, X) -> np.ndarray:
        """How unlike the exercise's reps each rep is; above ``novelty_threshold_`` is novel.

        For the classifiers trained on reps the threshold is a margin (2 for the
        kNN, 1.5 for the learned classifier) times the 99th percentile of the
        training reps' own scores (leave-one-out for the kNN), learned in
        ``fit``; the standards compare the rep's movement with the exercise's.
        """
        return self._novelty(self._prepare(X), training=False)

    def novelty_reason(self, score: float) -> str:
        """Why a rep with this novelty score is ``"unknown"``, in words."""
        return f"unlike every training rep (novelty {score:.2f} > {self.novelty_threshold_:.2f})"

    def predict_proba_and_novelty(self, X):
        """``predict_proba(X)`` and ``novelty_score(X)`` from one pass over ``X``.

        The input is checked and standardised once; the kNN answers both from
        one neighbour search.

        Returns
        -------
        proba : numpy.ndarray, shape (n, n_classes)
        novelty : numpy.ndarray, shape (n,)
        """
        return self._proba_and_novelty(self._prepare(X))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape ``(n, n_classes)``, columns in ``classes_`` order."""
        return self._predict_proba(self._prepare(X))

    def predict(self, X) -> np.ndarray:
        """Most probable class label of every rep."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def save(self, path):
        """Save to one file: JSON parameters and metadata + NumPy arrays (no pickle).

        Load it back with :func:`formcheck.load_model`.
        """
        self._check_fitted()
        meta = {"class": type(self).__name__, "params": self.get_params(),
                "classes": self.classes_.tolist(), "n_features_in": int(self.n_features_in_),
                "channels": list(self.channels_) if self.channels_ else None,
                "exercise": self.exercise_, "feature_settings": self.feature_settings_}
        arrays = {"novelty_threshold": np.array(self.novelty_threshold_), **self._arrays()}
        return write_archive(path, "model", MODEL_FORMAT, meta, arrays)

    # -- helpers for subclasses ----------------------------------------------------------
    def _prepare(self, X) -> list:
        """The reps of ``X`` as arrays, checked against the fitted channels."""
        self._check_fitted()
        series, channels = as_series_list(X)
        if series[0].shape[1] != self.n_features_in_:
            raise ChannelMismatchError(
                f"X has {series[0].shape[1]} channels; the model was fitted on "
                f"{self.n_features_in_}")
        if channels and self.channels_ and tuple(channels) != tuple(self.channels_):
            raise ChannelMismatchError(
                f"X has channels {list(channels)}; the model was fitted on {list(self.channels_)}")
        return series

    def _check_fitted(self):
        try:
            check_is_fitted(self, "classes_")
        except Exception:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit first") from None

    @staticmethod
    def _labels(X, y, n) -> np.ndarray:
        from ..datasets.rep_dataset import RepDataset

        if y is None:
            if isinstance(X, RepDataset):
                return X.labels
            raise InputError("this classifier requires y to be passed, but the target y is None "
                             "(y may be omitted only when X is a RepDataset)")
        y = column_or_1d(y, warn=True)
        if len(y) != n:
            raise InputError(f"y must have one label per rep ({n}); got {len(y)}")
        check_classification_targets(y)
        return y

    def _record_metadata(self, X):
        from ..datasets.rep_dataset import RepDataset

        meta = X.metadata if isinstance(X, RepDataset) else {}
        self.exercise_ = meta.get("exercise")
        self.feature_settings_ = dict(meta.get("feature_settings", {}))

    def _arrays(self) -> dict:
        """Every fitted array to save (beyond the novelty threshold)."""
        return self._state()

    def _load_arrays(self, arrays: dict):
        """Restore what :meth:`_arrays` saved."""
        self._restore(arrays)

    # -- to be implemented ---------------------------------------------------------------
    def fit(self, X, y=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_proba(self, series):  # pragma: no cover - abstract
        raise NotImplementedError

    def _novelty(self, series, training):  # pragma: no cover - abstract
        raise NotImplementedError

    def _proba_and_novelty(self, series):
        return self._predict_proba(series), self._novelty(series, training=False)

    def _state(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _restore(self, arrays: dict):  # pragma: no cover - abstract
        raise NotImplementedError


class TrainedRepClassifier(RepClassifier):
    """Base class of the classifiers that learn from labelled reps.

    Subclasses take ``standardize`` plus their own hyper-parameters in
    ``__init__`` and implement ``_fit(series, y_index)`` on standardised reps.
    """

    #: novelty threshold = this margin x the 99th percentile of the training reps' scores
    _novelty_margin = 2.0

    def fit(self, X, y=None):
        """Fit on labelled reps.

        Parameters
        ----------
        X : RepDataset, list of (T_i, C) arrays or AngleSeries, or array (n, T, C)
        y : array-like of shape (n,), optional when X is a RepDataset

        Returns
        -------
        self
        """
        series, channels = as_series_list(X)
        y = self._labels(X, y, len(series))
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError(f"need at least 2 classes to fit, got {len(self.classes_)}: "
                             f"{self.classes_.tolist()}")
        self.n_features_in_ = series[0].shape[1]
        self.channels_ = channels
        self._record_metadata(X)
        self.mean_, self.scale_ = self._standardisation(series)
        scaled = [self._scaled(s) for s in series]
        self._fit(scaled, y_index)
        self.profile_mean_, self.profile_std_ = class_profiles(series, y_index,
                                                               len(self.classes_))
        self.novelty_threshold_ = self._novelty_margin * float(
            np.quantile(self._novelty(scaled, training=True), 0.99))
        return self

    def _prepare(self, X) -> list:
        return [self._scaled(s) for s in super()._prepare(X)]

    def _scaled(self, series: np.ndarray) -> np.ndarray:
        return (series - self.mean_) / self.scale_

    def _standardisation(self, series):
        n_channels = series[0].shape[1]
        if not self.standardize:
            return np.zeros(n_channels), np.ones(n_channels)
        frames = np.concatenate(series)
        scale = frames.std(axis=0)
        return frames.mean(axis=0), np.where(scale > 1e-12, scale, 1.0)

    def _arrays(self) -> dict:
        return {"mean": self.mean_, "scale": self.scale_, "profile_mean": self.profile_mean_,
                "profile_std": self.profile_std_, **self._state()}

    def _load_arrays(self, arrays: dict):
        self.mean_, self.scale_ = arrays.pop("mean"), arrays.pop("scale")
        self.profile_mean_, self.profile_std_ = arrays.pop("profile_mean"), arrays.pop(
            "profile_std")
        self._restore(arrays)

    def _fit(self, series, y_index):  # pragma: no cover - abstract
        raise NotImplementedError


def load_model(path) -> RepClassifier:
    """Load a classifier saved with ``save``.

    Nothing in the file is executed: parameters are JSON and arrays are loaded
    without pickle.

    Raises
    ------
    ModelFileError
        Missing, corrupt, truncated or newer-version file, or an unknown class.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from formcheck import DTWKNeighborsClassifier, load_model
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(6, 20, 2)); y = ["a", "b"] * 3
    >>> path = os.path.join(tempfile.mkdtemp(), "model.fcm")
    >>> _ = DTWKNeighborsClassifier().fit(X, y).save(path)
    >>> load_model(path).predict(X).tolist() == y
    True
    """
    meta, arrays = read_archive(path, "model", MODEL_FORMAT)
    cls = _REGISTRY.get(meta.get("class"))
    if cls is None:
        raise ModelFileError(f"{path}: unknown classifier {meta.get('class')!r}")
    try:
        model = cls(**meta["params"])
        model.classes_ = np.array(meta["classes"])
        model.n_features_in_ = meta["n_features_in"]
        model.channels_ = tuple(meta["channels"]) if meta["channels"] else None
        model.exercise_ = meta.get("exercise")
        model.feature_settings_ = meta.get("feature_settings") or {}
        model.novelty_threshold_ = float(arrays.pop("novelty_threshold"))
        model._load_arrays(arrays)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: incomplete model file ({exc})") from None
    return model
