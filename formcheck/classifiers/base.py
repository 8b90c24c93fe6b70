"""The one interface every rep classifier shares.

:class:`RepClassifier` converts and validates input, keeps the class order,
and reads and writes model files (JSON + NumPy, no pickle). Subclasses declare
their hyper-parameters in ``_parameter_constraints`` (checked by
:func:`validate_params` when ``fit`` starts and when a model file is loaded)
and implement ``fit``, ``_predict_proba(series)``, ``_novelty(series)`` and
the pair ``_state()`` / ``_restore(arrays)`` for persistence.
:class:`TrainedRepClassifier`, the base of the classifiers that learn from
labelled reps, adds ``fit`` itself: the per-channel standardisation, the class
profiles and the novelty threshold, holding one standardised copy of the
training frames, no more; its subclasses implement ``_fit(frames, offsets,
y_index)``, ``_novelty_quantile(frames, offsets, q)`` and ``reference`` (the
correct-form reference feedback compares a rep with).
"""

from __future__ import annotations

import importlib
import inspect
import numbers

import numpy as np

from .. import errors
from .._archive import read_archive, take_array, write_archive
from ..datasets.rep_dataset import RepDataset
from ..dtw.validation import check_collection, concatenate
from ..errors import ChannelMismatchError, InputError, ModelFileError, ParameterError
from ..features.angles import (AngleSeries, check_feature_settings, recorded_settings,
                               resample_many)
from ..features.exercises import exercise_names, get_exercise

__all__ = ["RepClassifier", "TrainedRepClassifier", "load_model", "as_series_list",
           "class_profiles", "column_mean_std", "without_view_channels"]

MODEL_FORMAT = 3  # 3: a temperature array (calibration); 2: novelty_margin
REP_MIN_FRAMES = 2  # a rep has a start and an end
CALIBRATION_FOLDS = 5
PROBABILITY_FLOOR = 1e-6  # a 1-NN's 0 and 1 become finite log-odds before scaling
PROFILE_LENGTH = 32
_REGISTRY: dict = {}
#: formcheck's classifiers, registered when their module is first imported: class -> module.
_BUILTIN_MODULES = {"DTWKNeighborsClassifier": "formcheck.classifiers.knn",
                    "LearnedClassifier": "formcheck.classifiers.learned",
                    "StandardsClassifier": "formcheck.classifiers.standards"}


def as_series_list(X):
    """Convert classifier input to a list of float64 ``(T_i, C)`` arrays and channel names.

    Accepts a :class:`~formcheck.datasets.rep_dataset.RepDataset`, a list of arrays or
    ``AngleSeries`` of shape ``(T_i, C)``, a 3-D array ``(n, T, C)``, or a 2-D
    array ``(n, T)`` of univariate series (as tslearn does). The arrays are checked
    by :func:`formcheck.dtw.validation.check_collection`, the validator DTW uses too.

    Returns
    -------
    series : list of numpy.ndarray
    channels : tuple of str or None
        Channel names when the input carries them.

    Raises
    ------
    InputError, MissingDataError, ChannelMismatchError, TooFewFramesError
    """
    channels = None
    if isinstance(X, RepDataset):
        channels, X = X.channels, X.X
    elif isinstance(X, (list, tuple)) and X and isinstance(X[0], AngleSeries):
        channels = X[0].channels
        if any(s.channels != channels for s in X):
            raise ChannelMismatchError("the series do not all have the same channels")
    return check_collection(X, "X", min_frames=REP_MIN_FRAMES, univariate=True), channels


def without_view_channels(X):
    """A RepDataset without its exercise's view channels; any other input as it is.

    See :attr:`formcheck.features.exercises.Exercise.view_channels`: the
    channels that tell only from which view a rep was filmed, for the
    standards' conditions, and that the classifiers trained on reps leave out.

    Examples
    --------
    >>> from formcheck.datasets.synthetic import make_dataset
    >>> reps = make_dataset("squat", n_subjects=1, reps_per_class=1)
    >>> "ankle_width" in reps.channels, "ankle_width" in without_view_channels(reps).channels
    (True, False)
    """
    if not isinstance(X, RepDataset) or X.metadata.get("exercise") not in exercise_names():
        return X
    view = get_exercise(X.metadata["exercise"]).view_channels
    if not set(view) & set(X.channels):
        return X
    return X.select_channels([c for c in X.channels if c not in view])


def class_profiles(frames, offsets, y_index, n_classes, length=PROFILE_LENGTH):
    """Mean and standard deviation of each class's reps on a common time axis.

    Every rep (``frames[offsets[i]:offsets[i + 1]]``) is resampled to
    ``length`` points (linear time normalisation); the profiles are in the
    reps' own units (degrees), for feedback.

    Returns
    -------
    mean, std : numpy.ndarray, shape (n_classes, length, C)
    """
    stacked = resample_many(frames, offsets, length)
    y_index = np.asarray(y_index)
    mean = np.stack([stacked[y_index == k].mean(axis=0) for k in range(n_classes)])
    std = np.stack([stacked[y_index == k].std(axis=0) for k in range(n_classes)])
    return mean, std


def softmax(logits) -> np.ndarray:
    """Row-wise softmax of a 2-D array."""
    exponential = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exponential / exponential.sum(axis=1, keepdims=True)


class RepClassifier:
    """Base class of formcheck's rep classifiers (scikit-learn compatible).

    Subclasses take their hyper-parameters in ``__init__`` and only store
    them there; the class-level dict ``_parameter_constraints`` says what each
    accepts (see :func:`validate_params`), checked when ``fit`` starts.
    Everything ``fit`` learns is an attribute ending in ``_``.

    The scikit-learn estimator API (``get_params``, ``set_params``, ``score``,
    tags, so ``clone``, pipelines, searches and ``check_estimator`` work) is
    written here rather than inherited from ``BaseEstimator``: importing
    scikit-learn takes about a second, and predicting with a saved model does
    not need it. It is imported when a model is fitted.

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
    novelty_threshold_ : float
        A rep whose novelty score is above this is ``"unknown"``.
    temperature_ : float
        Divisor of the log-probabilities in ``predict_proba`` (1: none); the
        trained classifiers fit it when ``calibrate=True``.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    #: A checker calls a rep whose best class is less probable than this "unknown" by default.
    default_min_probability = 0.5

    # -- the scikit-learn estimator API ----------------------------------------------------
    @classmethod
    def _get_param_names(cls) -> list:
        """The hyper-parameters: the arguments of ``__init__``, sorted (as scikit-learn)."""
        signature = inspect.signature(cls.__init__)
        return sorted(name for name, p in signature.parameters.items()
                      if name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep=True) -> dict:
        """Hyper-parameters by name (``deep`` is accepted for scikit-learn; none is nested)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set hyper-parameters by name; returns ``self``.

        Raises
        ------
        ValueError
            A name that is not a hyper-parameter of this classifier (scikit-learn's error).
        """
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"Invalid parameter {name!r} for estimator {self}. Valid "
                                 f"parameters are: {valid!r}.")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {name: p.default for name, p in
                    inspect.signature(type(self).__init__).parameters.items()}
        changed = [f"{name}={value!r}" for name, value in self.get_params().items()
                   if repr(value) != repr(defaults.get(name))]  # as scikit-learn's repr
        return f"{type(self).__name__}({', '.join(changed)})"

    def score(self, X, y, sample_weight=None) -> float:
        """Mean accuracy of ``predict(X)`` against ``y`` (weighted by ``sample_weight``)."""
        return float(np.average(self.predict(X) == np.asarray(y), weights=sample_weight))

    def __sklearn_tags__(self):
        from . import _training  # scikit-learn asks for the tags, so it is loaded already

        return _training.classifier_tags()

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "classes_")

    # -- public API ------------------------------------------------------------------
    def novelty_score(self, X) -> np.ndarray:
        """How unlike the exercise's reps each rep is; above ``novelty_threshold_`` is novel.

        For the classifiers trained on reps the threshold is ``novelty_margin``
        times the 99th percentile of the training reps' own scores
        (leave-one-out for the kNN), learned in ``fit``; the standards compare
        the rep's movement with the exercise's.

        Parameters
        ----------
        X : RepDataset, list of (T_i, C) arrays or AngleSeries, or array (n, T, C)
            Reps with the channels of ``fit``.

        Returns
        -------
        numpy.ndarray, shape (n,)
        """
        return self._novelty(self._prepare(X))

    def novelty_reason(self, score: float) -> str:
        """Why a rep with this novelty score is ``"unknown"``, in words."""
        return f"unlike every training rep (novelty {score:.2f} > {self.novelty_threshold_:.2f})"

    def predict_proba_and_novelty(self, X):
        """``predict_proba(X)`` and ``novelty_score(X)`` from one pass over ``X``.

        The input is checked and standardised once; the kNN answers both from
        one neighbour search.

        Parameters
        ----------
        X : RepDataset, list of (T_i, C) arrays or AngleSeries, or array (n, T, C)
            Reps with the channels of ``fit``.

        Returns
        -------
        proba : numpy.ndarray, shape (n, n_classes)
        novelty : numpy.ndarray, shape (n,)
        """
        proba, novelty = self._proba_and_novelty(self._prepare(X))
        return self._calibrated(proba), novelty

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape ``(n, n_classes)``, columns in ``classes_`` order.

        Parameters
        ----------
        X : RepDataset, list of (T_i, C) arrays or AngleSeries, or array (n, T, C)
            Reps with the channels of ``fit``.
        """
        return self._calibrated(self._predict_proba(self._prepare(X)))

    def predict(self, X) -> np.ndarray:
        """Most probable class label of every rep.

        Parameters
        ----------
        X : RepDataset, list of (T_i, C) arrays or AngleSeries, or array (n, T, C)
            Reps with the channels of ``fit``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def save(self, path):
        """Save to one file: JSON parameters and metadata + NumPy arrays (no pickle).

        Load it back with :func:`formcheck.load_model`.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write (replaced atomically).

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        self._check_fitted()
        meta = {"class": type(self).__name__, "params": self.get_params(),
                "classes": self.classes_.tolist(), "n_features_in": int(self.n_features_in_),
                "channels": list(self.channels_) if self.channels_ else None,
                "exercise": self.exercise_, "feature_settings": self.feature_settings_}
        arrays = {"novelty_threshold": np.array(self.novelty_threshold_),
                  "temperature": np.array(self.temperature_), **self._arrays()}
        return write_archive(path, "model", MODEL_FORMAT, meta, arrays)

    def to_onnx(self, path, *, layout="mediapipe33", geometry=None):
        """Export to one ONNX graph: a rep's landmarks in, class probabilities out.

        See :func:`formcheck.export.export_onnx` (needs the ``export`` extra);
        the :class:`~formcheck.LearnedClassifier` and the
        :class:`~formcheck.classifiers.standards.StandardsClassifier` export, a
        kNN raises :class:`~formcheck.errors.ExportError` saying why.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.onnx`` file to write.
        layout : str, default="mediapipe33"
            Keypoint layout of the landmarks the graph will be fed.
        geometry : {"2d", "3d"}, optional
            2-D angles from the image landmarks, or 3-D from a
            ``world_landmarks`` input; default: the model's own, else 2-D.

        Returns
        -------
        pathlib.Path
        """
        from ..export import export_onnx  # the export layer sits above; onnx is an optional extra

        return export_onnx(self, path, layout=layout, geometry=geometry)

    # -- helpers for subclasses ----------------------------------------------------------
    def _prepare(self, X) -> list:
        """The reps of ``X`` as arrays of the fitted channels, in their order.

        Input that names its channels (a RepDataset, AngleSeries) may carry more
        than the model's: the model's are taken by name.
        """
        self._check_fitted()
        series, channels = as_series_list(X)
        if channels and self.channels_:
            if not set(self.channels_) <= set(channels):
                raise ChannelMismatchError(f"X has channels {list(channels)}; the model was "
                                           f"fitted on {list(self.channels_)}")
            index = [channels.index(c) for c in self.channels_]
            return series if index == list(range(series[0].shape[1])) else [
                s[:, index] for s in series]
        if series[0].shape[1] != self.n_features_in_:
            raise ChannelMismatchError(
                f"X has {series[0].shape[1]} channels; the model was fitted on "
                f"{self.n_features_in_}")
        return series

    def _calibrated(self, proba) -> np.ndarray:
        """``proba`` after the temperature scaling learned in ``fit`` (``temperature_``)."""
        if self.temperature_ == 1.0:
            return proba
        return softmax(np.log(np.clip(proba, PROBABILITY_FLOOR, 1.0)) / self.temperature_)

    def _class_index(self, label) -> int:
        """Column of class ``label`` in ``classes_``."""
        self._check_fitted()
        matches = np.nonzero(self.classes_ == label)[0]
        if not len(matches):
            raise InputError(f"{label!r} is not a class of this model: {self.classes_.tolist()}")
        return int(matches[0])

    def _check_fitted(self):
        if not hasattr(self, "classes_"):
            raise errors.NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit first")

    @staticmethod
    def _labels(X, y, n) -> np.ndarray:
        if y is None:
            if isinstance(X, RepDataset):
                return X.labels
            raise InputError("this classifier requires y to be passed, but the target y is None "
                             "(y may be omitted only when X is a RepDataset)")
        from . import _training  # fit-only: scikit-learn loads when a model is trained

        y = _training.checked_labels(y)
        if len(y) != n:
            raise InputError(f"y must have one label per rep ({n}); got {len(y)}")
        return y

    def _record_metadata(self, X):
        meta = X.metadata if isinstance(X, RepDataset) else {}
        self.exercise_ = meta.get("exercise")
        self.feature_settings_ = recorded_settings(meta.get("feature_settings", {}))

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

    def _novelty(self, series):  # pragma: no cover - abstract
        raise NotImplementedError

    def _proba_and_novelty(self, series):
        return self._predict_proba(series), self._novelty(series)

    def _state(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _restore(self, arrays: dict):  # pragma: no cover - abstract
        raise NotImplementedError


class TrainedRepClassifier(RepClassifier):
    """Base class of the classifiers that learn from labelled reps.

    Subclasses take ``standardize``, ``novelty_margin`` and their own
    hyper-parameters in ``__init__`` and implement ``_fit(frames, offsets,
    y_index)`` and ``_novelty_quantile(frames, offsets, q)`` on the standardised
    training frames, packed, and :meth:`reference`. From a RepDataset they learn
    every channel but its exercise's view channels
    (:attr:`~formcheck.features.exercises.Exercise.view_channels`), which only
    the standards' conditions read; reps with named channels may carry them
    (or any other) when predicting.

    Attributes
    ----------
    mean_, scale_ : numpy.ndarray, shape (n_features_in_,)
        Per-channel standardisation (zeros and ones when ``standardize=False``).
    profile_mean_, profile_std_ : numpy.ndarray, shape (n_classes, 32, n_features_in_)
        Mean and spread of each class's reps resampled to 32 points, in the
        reps' own units (for feedback).
    novelty_threshold_ : float
        ``novelty_margin`` times the 99th percentile of the training reps'
        novelty scores.
    """

    #: The key of this classifier in an exercise's ``classifier_settings``.
    settings_kind = ""

    @classmethod
    def for_exercise(cls, exercise, **params):
        """This classifier with the hyper-parameters tuned for ``exercise``.

        The exercise's ``classifier_settings`` under :attr:`settings_kind`
        (``docs/classifiers.md``: chosen on one half of the real data, reported
        on the other), then ``params`` over them; the class defaults for the
        rest. ``formcheck train`` and ``formcheck evaluate`` build their
        classifiers this way.

        Parameters
        ----------
        exercise : str or Exercise
            The exercise (a name or a definition).
        **params
            Hyper-parameters that take precedence over the exercise's.

        Returns
        -------
        TrainedRepClassifier
            Unfitted.

        Raises
        ------
        ExerciseError
            The exercise is unknown, or its settings name a parameter this
            classifier does not take or a value it does not accept.

        Examples
        --------
        >>> from formcheck import DTWKNeighborsClassifier
        >>> DTWKNeighborsClassifier.for_exercise("push-up")
        DTWKNeighborsClassifier(resample_length=64, window=0.3)
        >>> DTWKNeighborsClassifier.for_exercise("push-up", window=0.1)
        DTWKNeighborsClassifier(resample_length=64)
        >>> DTWKNeighborsClassifier.for_exercise("squat")    # none tuned: the class defaults
        DTWKNeighborsClassifier()
        """
        definition = get_exercise(exercise)
        tuned = definition.classifier_settings.get(cls.settings_kind, {})
        model = cls()
        try:
            validate_params(model.set_params(**tuned))
        except (ValueError, ParameterError) as error:
            raise errors.ExerciseError(
                f"exercise {definition.name!r} in {definition.source}: classifier_settings"
                f"[{cls.settings_kind!r}]: {error}") from None
        return model.set_params(**params)

    def fit(self, X, y=None):
        """Fit on labelled reps.

        Parameters
        ----------
        X : RepDataset, list of (T_i, C) arrays or AngleSeries, or array (n, T, C)
            The training reps.
        y : array-like of shape (n,), default=None
            Their labels; may be omitted when ``X`` is a RepDataset.

        Returns
        -------
        self

        Raises
        ------
        ParameterError
            A hyper-parameter has the wrong type or is out of range.
        InputError
            ``X`` or ``y`` is not valid training data.
        """
        validate_params(self)
        X = without_view_channels(X)
        series, channels = as_series_list(X)
        y = self._labels(X, y, len(series))
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError(f"need at least 2 classes to fit, got {len(self.classes_)}: "
                             f"{self.classes_.tolist()}")
        self.n_features_in_ = series[0].shape[1]
        self.channels_ = channels
        self._record_metadata(X)
        frames, offsets = concatenate(series)
        self.mean_, self.scale_ = self._standardisation(frames)
        self.profile_mean_, self.profile_std_ = class_profiles(frames, offsets, y_index,
                                                               len(self.classes_))
        frames -= self.mean_  # in place: exactly (series - mean_) / scale_, without a copy
        frames /= self.scale_
        self._fit(frames, offsets, y_index)
        self.novelty_threshold_ = self.novelty_margin * self._novelty_quantile(frames, offsets, 0.99)
        self.temperature_ = self._temperature(series, y, self._groups(X, len(series)))
        return self

    def _temperature(self, series, y, groups) -> float:
        """Temperature scaling fitted on out-of-fold probabilities (``calibrate=True``).

        Copies of the model are fitted on grouped folds of the training reps
        (no video on both sides, as ``CalibratedClassifierCV`` with a grouped
        splitter); the single temperature ``T`` minimising the log loss of
        ``softmax(log p / T)`` on the held-out reps is kept. Dividing every
        log-probability by one number keeps the most probable class, so
        predictions do not change; only the stated confidence does. 1 when
        not calibrating or when a class has fewer than 2 videos.
        """
        per_class = min(len(set(groups[y == c])) for c in self.classes_)
        if not self.calibrate or per_class < 2:
            return 1.0
        from . import _training  # fit-only: scikit-learn loads when a model is trained

        return _training.fit_temperature(self, series, y, groups,
                                         folds=min(CALIBRATION_FOLDS, per_class))

    @staticmethod
    def _groups(X, n) -> np.ndarray:
        """The video/subject of every rep of a RepDataset; else every rep its own group."""
        from ..datasets.rep_dataset import RepDataset

        return X.groups if isinstance(X, RepDataset) else np.arange(n).astype(str)

    def reference(self, x, label):
        """Rep ``x`` and the correct-form reference of class ``label``, matched step by step.

        Feedback compares the two at every step. The kNN's reference is the
        training rep of ``label`` nearest to ``x`` by DTW, matched along the
        warping path; the learned classifier's is the class's mean profile,
        against ``x`` resampled to the profile's length.

        Parameters
        ----------
        x : array-like of shape (T, C)
            One rep with the model's channels, in its own units.
        label : str
            A class of the model.

        Returns
        -------
        rep : numpy.ndarray, shape (S, C)
            ``x`` at each step.
        reference : numpy.ndarray, shape (S, C)
            The reference at each step, in the same units as ``x``.
        frames : numpy.ndarray of int, shape (S,)
            The frame of ``x`` each step stands for.

        Raises
        ------
        InputError
            ``label`` is not a class of the model, or ``x`` is not a valid rep.
        """
        raise NotImplementedError  # pragma: no cover - abstract

    def _prepare(self, X) -> list:
        return [self._scaled(s) for s in super()._prepare(X)]

    def _scaled(self, series: np.ndarray) -> np.ndarray:
        return (series - self.mean_) / self.scale_

    def _standardisation(self, frames):
        """Per-channel mean and spread of the training frames, without a full-size temporary.

        See :func:`column_mean_std`.
        """
        n_channels = frames.shape[1]
        if not self.standardize:
            return np.zeros(n_channels), np.ones(n_channels)
        mean, scale = column_mean_std(frames)
        return mean, np.where(scale > 1e-12, scale, 1.0)

    def _arrays(self) -> dict:
        return {"mean": self.mean_, "scale": self.scale_, "profile_mean": self.profile_mean_,
                "profile_std": self.profile_std_, **self._state()}

    def _load_arrays(self, arrays: dict):
        n_features, n_classes = self.n_features_in_, len(self.classes_)
        self.mean_ = take_array(arrays, "mean", (n_features,))
        self.scale_ = take_array(arrays, "scale", (n_features,), positive=True)
        self.profile_mean_ = take_array(arrays, "profile_mean", (n_classes, None, n_features))
        self.profile_std_ = take_array(arrays, "profile_std", self.profile_mean_.shape,
                                       non_negative=True)
        if self.profile_mean_.shape[1] < 2:
            raise ModelFileError("profile_mean has fewer than 2 points per class")
        self._restore(arrays)

    def _fit(self, frames, offsets, y_index):  # pragma: no cover - abstract
        """Learn from the standardised training reps ``frames[offsets[i]:offsets[i + 1]]``.

        ``frames`` is the fit's own copy: a subclass may keep it.
        """
        raise NotImplementedError

    def _novelty_quantile(self, frames, offsets, q):  # pragma: no cover - abstract
        """Quantile ``q`` of the training reps' novelty scores (standardised, packed as in ``_fit``)."""
        raise NotImplementedError


def column_mean_std(values):
    """``values.mean(axis=0)`` and ``values.std(axis=0)`` of a 2-D array, without its temporary.

    Sums run row by row in order, as NumPy's own sum them, so the values
    are theirs bit for bit; ``std`` would hold ``values - mean`` whole.

    Examples
    --------
    >>> values = np.random.default_rng(0).normal(size=(1000, 3))
    >>> mean, std = column_mean_std(values)
    >>> bool((mean == values.mean(axis=0)).all() and (std == values.std(axis=0)).all())
    True
    """
    mean = np.add.reduce(values, axis=0) / len(values)
    return mean, np.sqrt(_squared_deviation_sum(values, mean) / len(values))


def _squared_deviation_sum(frames, mean, chunk_values=2**20):
    """Per-column sum of ``(frames - mean) ** 2``, row by row in order, a chunk at a time.

    Row 0 of one buffer carries the running sum and the rows after it the
    next chunk's squared deviations (about ``chunk_values`` values, 8 MB), so
    each reduction continues the sum in the order ``frames.std(axis=0)`` adds
    (without its full-size temporary).
    """
    rows = max(1, chunk_values // frames.shape[1])
    buffer = np.zeros((min(rows, len(frames)) + 1, frames.shape[1]))
    for start in range(0, len(frames), rows):
        chunk = frames[start : start + rows]
        deviation = buffer[1 : len(chunk) + 1]
        np.subtract(chunk, mean, out=deviation)
        np.multiply(deviation, deviation, out=deviation)
        buffer[0] = np.add.reduce(buffer[: len(chunk) + 1], axis=0)
    return buffer[0]


# -- hyper-parameter constraints (scikit-learn's ``_parameter_constraints`` idea, small) -------
class Constraint:
    """One kind of value a hyper-parameter accepts, an entry of ``_parameter_constraints``.

    Parameters
    ----------
    description : str
        What it accepts, in words ("an int >= 1"), for error messages.
    accepts : callable
        ``accepts(value) -> bool``.
    """

    def __init__(self, description, accepts):
        self.description = description
        self.accepts = accepts

    def __str__(self):
        return self.description


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


BOOLEAN = Constraint("a bool", _is_bool)
NONE = Constraint("None", lambda value: value is None)
STRING = Constraint("a str", lambda value: isinstance(value, str))


def interval(kind, low=-np.inf, high=np.inf, closed="both") -> Constraint:
    """Numbers of ``kind`` between ``low`` and ``high`` (booleans never count as numbers).

    Parameters
    ----------
    kind : {numbers.Integral, numbers.Real}
        ``Integral`` accepts Python and NumPy ints, ``Real`` any real number.
    low, high : float, default=-inf, inf
        The bounds; an infinite bound means none (infinity itself is refused).
    closed : {"both", "left", "right", "neither"}, default="both"
        Which finite bounds belong to the interval.

    Examples
    --------
    >>> import numbers
    >>> positive = interval(numbers.Real, 0, closed="neither")
    >>> str(positive), positive.accepts(0.5), positive.accepts(0), positive.accepts(True)
    ('a float > 0', True, False, False)
    """
    with_low = closed in ("both", "left") and low != -np.inf
    with_high = closed in ("both", "right") and high != np.inf

    def accepts(value):
        if _is_bool(value) or not isinstance(value, kind):
            return False
        return bool((value >= low if with_low else value > low)
                    and (value <= high if with_high else value < high))

    noun = "an int" if kind is numbers.Integral else "a float"
    if low == high:
        description = f"{low!r}"
    elif high == np.inf and not with_high:
        description = f"{noun} {'>=' if with_low else '>'} {low}"
    else:
        left, right = "[" if with_low else "(", "]" if with_high else ")"
        description = f"{noun} in {left}{low}, {high}{right}"
    return Constraint(description, accepts)


def options(*values) -> Constraint:
    """One of the strings ``values``.

    Examples
    --------
    >>> str(options("uniform", "distance"))
    "one of 'uniform', 'distance'"
    """
    return Constraint("one of " + ", ".join(map(repr, values)),
                      lambda value: isinstance(value, str) and value in values)


def validate_params(estimator):
    """Check every hyper-parameter of ``estimator`` against its ``_parameter_constraints``.

    A value is valid when one of its parameter's constraints accepts it.

    Raises
    ------
    ParameterError
        For the first invalid parameter, naming it, its value and what it accepts.

    Examples
    --------
    >>> from formcheck import LearnedClassifier
    >>> validate_params(LearnedClassifier(C=0))
    Traceback (most recent call last):
    ...
    formcheck.errors.ParameterError: LearnedClassifier: C must be a float > 0; got 0
    """
    constraints = type(estimator)._parameter_constraints
    for name, value in estimator.get_params(deep=False).items():
        allowed = constraints[name]
        if not any(constraint.accepts(value) for constraint in allowed):
            words = [str(constraint) for constraint in allowed]
            choices = " or ".join(filter(None, [", ".join(words[:-1]), words[-1]]))
            raise ParameterError(f"{type(estimator).__name__}: {name} must be {choices}; "
                                 f"got {value!r}")


def load_model(path) -> RepClassifier:
    """Load a classifier saved with ``save``.

    Nothing in the file is executed: parameters are JSON and arrays are loaded
    without pickle. Every value is checked before the model is built: the
    hyper-parameters, the classes and channels, the feature settings, and the
    shape, dtype and range of every array, so a model that loads also predicts.

    Raises
    ------
    ModelFileError
        Missing, corrupt, truncated or newer-version file, an unknown class,
        invalid hyper-parameters or feature settings, or arrays that do not
        fit together.

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
    try:
        return _model_from_file(meta, arrays)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None


def _model_from_file(meta, arrays) -> RepClassifier:
    name = meta.get("class")
    if isinstance(name, str) and name in _BUILTIN_MODULES and name not in _REGISTRY:
        importlib.import_module(_BUILTIN_MODULES[name])   # the kNN's loads numba: only for it
    cls = _REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ModelFileError(f"unknown classifier {name!r}")
    model = cls(**_file_params(meta.get("params"), cls))
    try:
        validate_params(model)
        model.feature_settings_ = check_feature_settings(meta.get("feature_settings") or {})
    except InputError as exc:
        raise ModelFileError(str(exc)) from None
    model.feature_settings_ = recorded_settings(model.feature_settings_,
                                                saved_before_heights=True)
    if meta["format_version"] == 1:
        arrays.pop("estimator_classes", None)   # format 1 stored the network's classes
    model.classes_ = _file_classes(meta.get("classes"))
    model.n_features_in_ = n_features = _file_count(meta.get("n_features_in"), "n_features_in")
    model.channels_ = _file_channels(meta.get("channels"), n_features)
    model.exercise_ = meta.get("exercise")
    if not isinstance(model.exercise_, (str, type(None))):
        raise ModelFileError(f"exercise must be a name, got {model.exercise_!r}")
    _check_classes_of_exercise(model.classes_, model.exercise_)
    model.novelty_threshold_ = float(take_array(arrays, "novelty_threshold", (),
                                                non_negative=True))
    model.temperature_ = (float(take_array(arrays, "temperature", (), positive=True))
                          if meta["format_version"] >= 3 else 1.0)   # formats 1-2: uncalibrated
    model._load_arrays(arrays)
    if arrays:
        raise ModelFileError(f"unexpected arrays {sorted(arrays)} for a {cls.__name__}")
    return model


def _file_params(params, cls) -> dict:
    if not isinstance(params, dict):
        raise ModelFileError(f"params must be a JSON object, got {type(params).__name__}")
    unknown = sorted(set(params) - set(cls._parameter_constraints))
    if unknown:
        raise ModelFileError(f"unknown parameters {unknown} for a {cls.__name__}")
    return params


def _file_classes(classes) -> np.ndarray:
    if not (isinstance(classes, list) and len(classes) >= 2
            and (all(isinstance(c, str) for c in classes)
                 or all(isinstance(c, int) and not isinstance(c, bool) and -2**63 <= c < 2**63
                        for c in classes))
            and len(set(classes)) == len(classes)):
        raise ModelFileError(f"classes must be a list of at least 2 distinct labels (all text "
                             f"or all 64-bit integers); got {str(classes)[:200]}")
    return np.array(classes)


def _check_classes_of_exercise(classes, exercise):
    """Refuse a class label of another known exercise (``"pull-up/..."`` in a squat model)."""
    known = set(exercise_names())
    if exercise not in known:
        return      # no exercise, or one defined where the model is used
    other = [str(c) for c in classes
             if "/" in str(c) and str(c).split("/")[0] in known - {exercise}]
    if other:
        raise ModelFileError(f"a model of {exercise!r} reps, but its classes {other[:5]} are "
                             "another exercise's")


def _file_count(value, name) -> int:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        raise ModelFileError(f"{name} must be an int >= 1, got {value!r}")
    return value


def _file_channels(channels, n_features):
    if channels is None:
        return None
    if not (isinstance(channels, list) and len(channels) == n_features
            and all(isinstance(c, str) for c in channels) and len(set(channels)) == n_features):
        raise ModelFileError(f"channels must be {n_features} distinct names, got "
                             f"{str(channels)[:200]}")
    return tuple(channels)
