"""Hyper-parameters of both rep classifiers: stored by __init__, checked in fit, clear errors."""

import re

import numpy as np
import pytest

from formcheck import DTWKNeighborsClassifier, LearnedClassifier, load_model
from formcheck._archive import read_archive, write_archive
from formcheck.classifiers.base import MODEL_FORMAT
from formcheck.errors import InputError, ModelFileError, ParameterError

CLASSES = (DTWKNeighborsClassifier, LearnedClassifier)

# (class, parameter, bad value): for every parameter a wrong type and values out of range
BAD = [
    (DTWKNeighborsClassifier, "n_neighbors", 0),
    (DTWKNeighborsClassifier, "n_neighbors", -3),
    (DTWKNeighborsClassifier, "n_neighbors", 2.0),
    (DTWKNeighborsClassifier, "n_neighbors", True),
    (DTWKNeighborsClassifier, "n_neighbors", "3"),
    (DTWKNeighborsClassifier, "window", -1),
    (DTWKNeighborsClassifier, "window", -0.1),
    (DTWKNeighborsClassifier, "window", 1.5),
    (DTWKNeighborsClassifier, "window", np.nan),
    (DTWKNeighborsClassifier, "window", True),
    (DTWKNeighborsClassifier, "window", "wide"),
    (DTWKNeighborsClassifier, "resample_length", 1),
    (DTWKNeighborsClassifier, "resample_length", 64.0),
    (DTWKNeighborsClassifier, "resample_length", True),
    (DTWKNeighborsClassifier, "weights", "bogus"),
    (DTWKNeighborsClassifier, "weights", None),
    (DTWKNeighborsClassifier, "weights", 1),
    (DTWKNeighborsClassifier, "use_lower_bounds", 1),
    (DTWKNeighborsClassifier, "use_lower_bounds", "yes"),
    (DTWKNeighborsClassifier, "use_lower_bounds", None),
    (DTWKNeighborsClassifier, "standardize", 0),
    (DTWKNeighborsClassifier, "standardize", "no"),
    (DTWKNeighborsClassifier, "n_jobs", 0),
    (DTWKNeighborsClassifier, "n_jobs", -2),
    (DTWKNeighborsClassifier, "n_jobs", 2.0),
    (DTWKNeighborsClassifier, "n_jobs", None),
    (DTWKNeighborsClassifier, "novelty_margin", 0),
    (DTWKNeighborsClassifier, "novelty_margin", -1.0),
    (DTWKNeighborsClassifier, "novelty_margin", np.inf),
    (DTWKNeighborsClassifier, "novelty_margin", np.nan),
    (DTWKNeighborsClassifier, "novelty_margin", "2"),
    (DTWKNeighborsClassifier, "calibrate", 1),
    (DTWKNeighborsClassifier, "calibrate", None),
    (LearnedClassifier, "calibrate", "yes"),
    (LearnedClassifier, "calibrate", 0),
    (LearnedClassifier, "model", "svm"),
    (LearnedClassifier, "model", None),
    (LearnedClassifier, "C", 0),
    (LearnedClassifier, "C", -1.0),
    (LearnedClassifier, "C", np.inf),
    (LearnedClassifier, "C", np.nan),
    (LearnedClassifier, "C", "3"),
    (LearnedClassifier, "resample_length", 0),
    (LearnedClassifier, "resample_length", 1),
    (LearnedClassifier, "resample_length", 16.0),
    (LearnedClassifier, "resample_length", None),
    (LearnedClassifier, "hidden_units", 0),
    (LearnedClassifier, "hidden_units", 64.0),
    (LearnedClassifier, "hidden_units", (64,)),
    (LearnedClassifier, "standardize", 1),
    (LearnedClassifier, "standardize", "yes"),
    (LearnedClassifier, "random_state", -1),
    (LearnedClassifier, "random_state", 2**32),
    (LearnedClassifier, "random_state", 1.5),
    (LearnedClassifier, "random_state", np.random.RandomState(0)),
    (LearnedClassifier, "novelty_margin", 0.0),
    (LearnedClassifier, "novelty_margin", "1.5"),
]

GOOD = [
    (DTWKNeighborsClassifier, "n_neighbors", np.int64(2)),
    (DTWKNeighborsClassifier, "window", None),
    (DTWKNeighborsClassifier, "window", 0),
    (DTWKNeighborsClassifier, "window", 1000),
    (DTWKNeighborsClassifier, "window", 1.0),
    (DTWKNeighborsClassifier, "window", np.float32(0.5)),
    (DTWKNeighborsClassifier, "weights", "distance"),
    (DTWKNeighborsClassifier, "use_lower_bounds", np.bool_(False)),
    (DTWKNeighborsClassifier, "n_jobs", 1),
    (DTWKNeighborsClassifier, "novelty_margin", 1),
    (LearnedClassifier, "model", "logistic"),
    (LearnedClassifier, "C", np.float64(0.01)),
    (LearnedClassifier, "resample_length", 2),
    (LearnedClassifier, "hidden_units", 1),
    (LearnedClassifier, "random_state", None),
    (LearnedClassifier, "novelty_margin", 3),
]


def training_data(n_per_class=4, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, np.pi, 25)[:, None]
    X = [np.sin(t) * depth + rng.normal(0, 0.05, (25, 2)) for depth in [1, 2] * n_per_class]
    return X, ["shallow", "deep"] * n_per_class


def test_every_parameter_has_constraints_and_bad_values_here():
    for cls in CLASSES:
        assert set(cls._parameter_constraints) == set(cls().get_params())
    tested = {(cls, name) for cls, name, _ in BAD}
    assert tested == {(cls, name) for cls in CLASSES for name in cls().get_params()}


@pytest.mark.parametrize("cls,name,value", BAD,
                         ids=[f"{c.__name__}-{n}={v!r}" for c, n, v in BAD])
def test_a_bad_hyper_parameter_is_stored_by_init_and_refused_by_fit(cls, name, value):
    estimator = cls(**{name: value})
    assert estimator.get_params()[name] is value        # __init__ only stores
    expected = rf"^{cls.__name__}: {name} must be .+; got {re.escape(repr(value))}$"
    with pytest.raises(ParameterError, match=expected):
        estimator.fit(*training_data())
    assert not hasattr(estimator, "classes_")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # hidden_units=1
@pytest.mark.parametrize("cls,name,value", GOOD,
                         ids=[f"{c.__name__}-{n}={v!r}" for c, n, v in GOOD])
def test_values_at_the_edges_of_the_constraints_fit(cls, name, value):
    X, y = training_data()
    estimator = cls(**{name: value}).fit(X, y)
    assert estimator.predict(X[:2]).shape == (2,)


def test_the_message_says_what_is_allowed():
    with pytest.raises(ParameterError, match=r"window must be None, an int >= 0 or "
                                             r"a float in \[0, 1\]; got -1"):
        DTWKNeighborsClassifier(window=-1).fit(*training_data())
    with pytest.raises(ParameterError, match=r"n_jobs must be -1 or an int >= 1; got 0"):
        DTWKNeighborsClassifier(n_jobs=0).fit(*training_data())
    with pytest.raises(ParameterError, match=r"model must be one of 'mlp', 'logistic'"):
        LearnedClassifier(model="svm").fit(*training_data())


def test_n_neighbors_above_the_training_size_raises():
    X, y = training_data(n_per_class=3)
    with pytest.raises(ParameterError, match="n_neighbors=7 is more than the 6 training reps"):
        DTWKNeighborsClassifier(n_neighbors=7).fit(X, y)
    knn = DTWKNeighborsClassifier(n_neighbors=6).fit(X, y)
    assert knn.kneighbors(X[:1])[1].shape == (1, 6)
    with pytest.raises(InputError, match="n_neighbors=7"):
        knn.kneighbors(X[:1], n_neighbors=7)


@pytest.mark.parametrize("cls", CLASSES)
def test_no_state_but_parameters_and_fitted_attributes_after_use(cls):
    X, y = training_data()
    estimator = cls().fit(X, y)
    estimator.predict_proba_and_novelty(X)
    estimator.reference(X[0], "deep")
    state = {name for name in vars(estimator) if not name.endswith("_")}
    assert state == set(estimator.get_params())


@pytest.mark.parametrize("cls", CLASSES)
def test_a_model_file_with_a_bad_hyper_parameter_is_refused(cls, tmp_path):
    path = cls().fit(*training_data()).save(tmp_path / "model.fcm")
    meta, arrays = read_archive(path, "model", MODEL_FORMAT)
    meta["params"]["novelty_margin"] = -1
    write_archive(tmp_path / "bad.fcm", "model", MODEL_FORMAT, meta, arrays)
    with pytest.raises(ModelFileError, match="novelty_margin must be a float > 0"):
        load_model(tmp_path / "bad.fcm")


def test_for_exercise_takes_the_settings_tuned_for_it_and_params_over_them():
    """The push-up kNN setting of docs/classifiers.md (chosen on the PushFit selection half) is
    recorded in exercises.json; exercises with none tuned get the class defaults."""
    from formcheck import get_exercise

    assert get_exercise("push-up").classifier_settings == {
        "knn": {"resample_length": 64, "window": 0.3}}
    knn = DTWKNeighborsClassifier.for_exercise("push-up")
    assert (knn.resample_length, knn.window) == (64, 0.3)
    assert DTWKNeighborsClassifier.for_exercise("push-up", window=None).get_params() == {
        **DTWKNeighborsClassifier().get_params(), "resample_length": 64, "window": None}
    for name in ("squat", "bicep-curl"):
        assert DTWKNeighborsClassifier.for_exercise(name).get_params() == (
            DTWKNeighborsClassifier().get_params())
    assert LearnedClassifier.for_exercise("push-up").get_params() == (
        LearnedClassifier().get_params())


@pytest.mark.parametrize("settings,message", [
    ({"learned": {"hidden": 3}}, r"'tuned'.*classifier_settings\['learned'\].*Invalid parameter "
                                 r"'hidden'"),
    ({"knn": {"window": 2.5}}, r"'tuned'.*classifier_settings\['knn'\].*window must be"),
])
def test_for_exercise_refuses_settings_the_classifier_does_not_take(settings, message):
    from formcheck import get_exercise
    from formcheck.errors import ExerciseError
    from formcheck.features.exercises import register_exercise

    spec = {**get_exercise("squat").definition, "classifier_settings": settings}
    register_exercise("tuned", spec, overwrite=True)
    cls = LearnedClassifier if "learned" in settings else DTWKNeighborsClassifier
    with pytest.raises(ExerciseError, match=message):
        cls.for_exercise("tuned")
