"""One contract for both rep classifiers, plus scikit-learn's own estimator checks."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from formcheck import AngleSeries, DTWKNeighborsClassifier, LearnedClassifier, load_model
from formcheck.classifiers.learned import _network_proba, rep_features
from formcheck.datasets.rep_dataset import RepDataset
from formcheck.dtw import knn_search
from formcheck.errors import (ChannelMismatchError, FormcheckError, InputError, MissingDataError,
                              ModelFileError, NotFittedError, TooFewFramesError)
from formcheck.features.angles import resample
from formcheck._archive import read_archive, write_archive

CLASSIFIERS = [DTWKNeighborsClassifier(n_neighbors=3, window=0.2),
               DTWKNeighborsClassifier(resample_length=24, window=0.3),
               LearnedClassifier(model="mlp", C=3.0),
               LearnedClassifier(model="logistic")]
IDS = ["dtw-knn", "dtw-knn-resampled", "learned-mlp", "learned-logistic"]


def rep(kind, rng, length=None):
    """A 3-channel rep: 'deep' dips to 0.2, 'shallow' to 0.6, 'late' dips late."""
    n = length or int(rng.integers(25, 45))
    t = np.linspace(0, 1, n)
    depth = {"deep": 0.8, "shallow": 0.4, "late": 0.8}[kind]
    centre = 0.7 if kind == "late" else 0.5
    dip = 1 - depth * np.exp(-((t - centre) / 0.18) ** 2)
    channels = [dip, dip * 0.9 + 0.05, np.sin(np.pi * t) * 0.3]
    return np.column_stack(channels) + rng.normal(0, 0.02, (n, 3))


def make_xy(n_per_class=10, seed=0, kinds=("deep", "shallow", "late")):
    rng = np.random.default_rng(seed)
    X = [rep(k, rng) for k in kinds for _ in range(n_per_class)]
    y = np.array([f"ex/{k}" for k in kinds for _ in range(n_per_class)])
    return X, y


@pytest.fixture(params=CLASSIFIERS, ids=IDS)
def clf(request):
    return clone(request.param)


def test_fit_predict_proba_shapes_and_class_order(clf):
    X, y = make_xy()
    assert clf.fit(X, y) is clf
    assert clf.classes_.tolist() == ["ex/deep", "ex/late", "ex/shallow"]
    assert clf.n_features_in_ == 3
    Xt, yt = make_xy(4, seed=1)
    proba = clf.predict_proba(Xt)
    assert proba.shape == (12, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    predicted = clf.predict(Xt)
    np.testing.assert_array_equal(predicted, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(Xt, yt) >= 0.9


def test_accepts_3d_arrays_datasets_and_angle_series(clf):
    rng = np.random.default_rng(2)
    X3 = np.stack([rep(k, rng, 30) for k in ("deep", "shallow") for _ in range(6)])
    y = ["a"] * 6 + ["b"] * 6
    assert clf.fit(X3, y).predict(X3[:2]).tolist() == ["a", "a"]
    names = ["left_knee", "right_knee", "trunk_inclination"]
    series = [AngleSeries(x, names, 30) for x in X3]
    ds = RepDataset(series, y, [str(i) for i in range(12)], {"exercise": "squat"})
    clf.fit(ds)
    assert clf.channels_ == tuple(names) and clf.exercise_ == "squat"
    assert clf.predict(ds).tolist() == y
    other = [AngleSeries(x, ["a", "b", "c"], 30) for x in X3[:2]]
    with pytest.raises(ChannelMismatchError, match="fitted on"):
        clf.predict(other)


def test_refit_forgets_the_previous_fit(clf):
    X, y = make_xy()
    clf.fit(X, y)
    X2, y2 = make_xy(kinds=("deep", "shallow"))
    clf.fit([x[:, :2] for x in X2], y2)
    assert clf.classes_.tolist() == ["ex/deep", "ex/shallow"] and clf.n_features_in_ == 2
    assert clf.predict_proba([x[:, :2] for x in X2[:3]]).shape == (3, 2)


def test_persistence_round_trip_gives_identical_probabilities(clf, tmp_path):
    X, y = make_xy()
    clf.fit(X, y)
    path = clf.save(tmp_path / "model.fcm")
    loaded = load_model(path)
    assert type(loaded) is type(clf) and loaded.get_params() == clf.get_params()
    Xt, _ = make_xy(3, seed=5)
    np.testing.assert_array_equal(loaded.predict_proba(Xt), clf.predict_proba(Xt))
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)


def test_a_format_1_model_file_loads_with_the_same_probabilities(clf, tmp_path):
    X, y = make_xy()
    path = clf.fit(X, y).save(tmp_path / "model.fcm")
    meta, arrays = read_archive(path, "model", 3)
    del meta["params"]["novelty_margin"], meta["params"]["calibrate"]  # format 1: neither ...
    del arrays["temperature"]                     # ... nor a temperature ...
    if isinstance(clf, LearnedClassifier):        # ... and the network's classes stored
        arrays["estimator_classes"] = np.arange(len(clf.classes_))
    write_archive(tmp_path / "old.fcm", "model", 1, meta, arrays)
    loaded = load_model(tmp_path / "old.fcm")
    assert loaded.novelty_margin == clf.novelty_margin
    Xt, _ = make_xy(3, seed=5)
    np.testing.assert_array_equal(loaded.predict_proba(Xt), clf.predict_proba(Xt))


def test_model_file_errors(clf, tmp_path):
    X, y = make_xy(4)
    path = clf.fit(X, y).save(tmp_path / "model.fcm")
    data = path.read_bytes()
    (tmp_path / "cut.fcm").write_bytes(data[:-200])
    with pytest.raises(ModelFileError, match="cut.fcm"):
        load_model(tmp_path / "cut.fcm")
    write_archive(tmp_path / "future.fcm", "model", 7, {"class": type(clf).__name__}, {})
    with pytest.raises(ModelFileError, match="Upgrade formcheck"):
        load_model(tmp_path / "future.fcm")
    write_archive(tmp_path / "odd.fcm", "model", 1, {"class": "os.system"}, {})
    with pytest.raises(ModelFileError, match="unknown classifier"):
        load_model(tmp_path / "odd.fcm")


@pytest.mark.parametrize("X,y,error,message", [
    ([np.zeros((10, 3))] * 4, ["a"] * 4, InputError, "at least 2 classes"),
    ([np.zeros((10, 3)), np.zeros((10, 2))], ["a", "b"], ChannelMismatchError, "channels"),
    ([np.zeros((10, 3)), np.full((10, 3), np.nan)], ["a", "b"], MissingDataError, "NaN"),
    ([np.zeros((10, 3)), np.zeros((1, 3))], ["a", "b"], TooFewFramesError, "at least 2"),
    ([np.zeros((10, 3))] * 2, ["a"], InputError, "one label per rep"),
    ([np.zeros((10, 3))] * 2, None, InputError, "requires y"),
    ([], [], InputError, "no series"),
    (np.zeros((2, 3, 4, 5)), ["a", "b"], InputError, "shape"),
])
def test_bad_fit_input(clf, X, y, error, message):
    with pytest.raises(error, match=message):
        clf.fit(X, y)


def test_bad_predict_input(clf):
    with pytest.raises(NotFittedError, match="not fitted"):
        clone(clf).predict([np.zeros((10, 3))])
    X, y = make_xy(4)
    clf.fit(X, y)
    with pytest.raises(ChannelMismatchError, match="fitted on 3"):
        clf.predict([np.zeros((10, 2))])
    with pytest.raises(MissingDataError):
        clf.predict([np.full((10, 3), np.inf)])
    with pytest.raises(FormcheckError):
        clf.predict([np.zeros((1, 3))])


def test_standardize_can_be_switched_off(clf):
    X, y = make_xy(5)
    clf.set_params(standardize=False).fit(X, y)
    np.testing.assert_array_equal(clf.mean_, 0)
    np.testing.assert_array_equal(clf.scale_, 1)


def test_knn_alignment_and_distance_weights():
    X, y = make_xy(5)
    knn = DTWKNeighborsClassifier(n_neighbors=3, weights="distance").fit(X, y)
    proba = knn.predict_proba([X[0]])  # an exact training rep: its own class wins outright
    assert proba[0, list(knn.classes_).index(y[0])] == 1.0
    path, distance = knn.alignment(X[1], 2)
    assert path[0] == (0, 0) and path[-1] == (len(X[1]) - 1, len(X[2]) - 1)
    distances, indices = knn.kneighbors([X[1]], n_neighbors=1)
    assert indices[0, 0] == 1 and distances[0, 0] == 0
    assert knn.kneighbors([X[1]], return_distance=False).shape == (1, 3)
    with pytest.raises(InputError, match="does not exist"):
        knn.alignment(X[1], 999)


def test_knn_alignment_keeps_the_band_of_fit_after_set_params():
    X, y = make_xy(5)
    query = rep("late", np.random.default_rng(4), length=40)
    knn = DTWKNeighborsClassifier(window=0).fit(X, y)
    path, distance = knn.alignment(query, 3)
    proba = knn.predict_proba([query])
    knn.set_params(window=None)
    assert knn.alignment(query, 3) == (path, distance)
    np.testing.assert_array_equal(knn.predict_proba([query]), proba)
    _, unbanded = clone(knn).fit(X, y).alignment(query, 3)   # the band matters for this pair
    assert unbanded < distance


def test_knn_nearest_of_class_is_the_nearest_rep_of_that_class_after_every_fit():
    X, y = make_xy(6)
    knn = DTWKNeighborsClassifier().fit(X, y)
    query = rep("shallow", np.random.default_rng(9))
    for label in ("ex/deep", "ex/shallow", "ex/late"):
        members = np.nonzero(y == label)[0]
        distances = [knn.alignment(query, i)[1] for i in members]
        assert knn.nearest_of_class(query, label) == members[int(np.argmin(distances))]
    X2, y2 = make_xy(4, seed=3, kinds=("late", "deep"))
    knn.fit(X2, y2)                                  # the per-class sets are rebuilt, not reused
    members = np.nonzero(y2 == "ex/deep")[0]
    distances = [knn.alignment(query, i)[1] for i in members]
    assert knn.nearest_of_class(query, "ex/deep") == members[int(np.argmin(distances))]
    with pytest.raises(InputError, match="not a class of this model"):
        knn.nearest_of_class(query, "ex/shallow")


def test_knn_reference_is_the_nearest_rep_of_the_class_along_the_dtw_path():
    X, y = make_xy(5)
    knn = DTWKNeighborsClassifier(n_neighbors=3).fit(X, y)
    query = rep("shallow", np.random.default_rng(9))
    own, reference, frames = knn.reference(query, "ex/deep")
    index = knn.nearest_of_class(query, "ex/deep")
    path, _ = knn.alignment(query, index)
    np.testing.assert_array_equal(frames, [i for i, _ in path])
    np.testing.assert_array_equal(own, query[frames])
    np.testing.assert_allclose(reference, X[index][[j for _, j in path]], atol=1e-12)
    with pytest.raises(InputError, match="not a class of this model"):
        knn.reference(query, "ex/sideways")


def test_knn_resample_length_is_the_plain_knn_on_resampled_reps():
    X, y = make_xy(5)
    queries = [rep(k, np.random.default_rng(7)) for k in ("deep", "shallow", "late")]
    # unstandardised: fit standardises with the statistics of the frames as recorded
    resampled = DTWKNeighborsClassifier(n_neighbors=3, resample_length=20,
                                        standardize=False).fit(X, y)
    plain = DTWKNeighborsClassifier(n_neighbors=3, standardize=False).fit(
        [resample(x, 20) for x in X], y)
    for got, want in zip(resampled.kneighbors(queries),
                         plain.kneighbors([resample(q, 20) for q in queries])):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(resampled.novelty_score(queries),
                               plain.novelty_score([resample(q, 20) for q in queries]))
    own, reference, frames = resampled.reference(queries[1], "ex/deep")
    assert len(own) == len(reference) == len(frames) and frames[0] == 0
    assert frames[-1] == len(queries[1]) - 1 and np.all(np.diff(frames) >= 0)
    path, _ = resampled.alignment(queries[1], resampled.nearest_of_class(queries[1], "ex/deep"))
    np.testing.assert_allclose(own, resample(queries[1], 20)[[i for i, _ in path]])


@pytest.mark.parametrize("model", ["mlp", "logistic"])
def test_learned_reference_is_the_class_profile_against_the_resampled_rep(model):
    X, y = make_xy(5)
    clf = LearnedClassifier(model=model).fit(X, y)
    query = rep("late", np.random.default_rng(9), length=41)
    own, reference, frames = clf.reference(query, "ex/late")
    k = list(clf.classes_).index("ex/late")
    np.testing.assert_array_equal(reference, clf.profile_mean_[k])
    np.testing.assert_array_equal(own, resample(query, len(reference)))
    assert frames[0] == 0 and frames[-1] == 40 and np.all(np.diff(frames) >= 0)
    with pytest.raises(ChannelMismatchError):
        clf.reference(query[:, :2], "ex/late")
    with pytest.raises(InputError, match="not a class of this model"):
        clf.reference(query, "ex/sideways")


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("estimator", [MLPClassifier((16,), max_iter=2000, random_state=0),
                                       LogisticRegression(max_iter=2000)],
                         ids=["mlp", "logistic"])
def test_the_numpy_forward_pass_equals_scikit_learn(estimator, n_classes):
    rng = np.random.default_rng(n_classes)
    y = rng.integers(0, n_classes, 80)
    X = rng.normal(size=(80, 6)) + y[:, None]
    fitted = clone(estimator).fit(X, y)
    if isinstance(fitted, MLPClassifier):
        coefs, intercepts = fitted.coefs_, fitted.intercepts_
    else:
        coefs, intercepts = [fitted.coef_.T], [fitted.intercept_]
    Xt = rng.normal(size=(50, 6)) * 3
    expected = fitted.predict_proba(Xt)
    assert 0.01 < expected.max(axis=1).min()                    # not all saturated
    np.testing.assert_allclose(_network_proba(Xt, coefs, intercepts), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("model", ["mlp", "logistic"])
@pytest.mark.parametrize("kinds", [("deep", "shallow"), ("deep", "shallow", "late")])
def test_learned_classifier_predicts_as_its_scikit_learn_model_before_and_after_saving(
        model, kinds, tmp_path):
    X, y = make_xy(8, kinds=kinds)
    clf = LearnedClassifier(model=model).fit(X, y)
    features = (clf._features([clf._scaled(np.asarray(x)) for x in X]) - clf.feature_mean_) \
        / clf.feature_scale_
    reference = clf._make_estimator(len(X)).fit(features, np.unique(y, return_inverse=True)[1])
    Xt, _ = make_xy(4, seed=6, kinds=kinds)
    test_features = (clf._features([clf._scaled(np.asarray(x)) for x in Xt])
                     - clf.feature_mean_) / clf.feature_scale_
    expected = reference.predict_proba(test_features)
    loaded = load_model(clf.save(tmp_path / "model.fcm"))
    for fitted in (clf, loaded):
        np.testing.assert_allclose(fitted.predict_proba(Xt), expected, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(fitted.predict(Xt), clf.classes_[reference.predict(
            test_features)])


# scikit-learn's checks feed 2-D (n_samples, n_features) data; formcheck reads a 2-D array as
# n univariate series of length n_features (as tslearn does). These checks cannot apply:
_SHARED_XFAIL = {
    "check_fit2d_1feature": "a series of 1 frame is too short for a rep (TooFewFramesError)",
    "check_fit2d_1sample": "one series cannot hold two classes; the error says so",
    "check_n_features_in": "n_features_in_ counts channels; a 2-D X is univariate series",
    "check_n_features_in_after_fitting": "n_features_in_ counts channels, not 2-D columns",
    "check_estimators_empty_data_messages": "a series of 0 frames gets formcheck's own message",
    "check_dtype_object": "non-numeric X raises formcheck's InputError (a ValueError), not TypeError",
    "check_classifiers_train": "fewer columns in a 2-D X are shorter series, which are valid input",
}


def _expected_failed(estimator):
    return _SHARED_XFAIL


# The classifiers implement scikit-learn's API themselves, not through BaseEstimator (whose
# import would cost every prediction a second): the checks' note that they do not inherit it
# is expected; the checks themselves run below.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Estimator .* does not inherit from `sklearn.base")
    _SCIKIT_LEARN_CHECKS = parametrize_with_checks(
        [DTWKNeighborsClassifier(), LearnedClassifier(), LearnedClassifier(model="logistic")],
        expected_failed_checks=_expected_failed)


@_SCIKIT_LEARN_CHECKS
def test_scikit_learn_compatible(estimator, check):
    check(estimator)


def test_proba_and_novelty_in_one_pass_equal_the_separate_calls(clf):
    X, y = make_xy(6)
    clf.fit(X, y)
    Xt, _ = make_xy(3, seed=8)
    proba, novelty = clf.predict_proba_and_novelty(Xt)
    np.testing.assert_array_equal(proba, clf.predict_proba(Xt))
    np.testing.assert_array_equal(novelty, clf.novelty_score(Xt))


@pytest.mark.parametrize("n_per_class", [4, 120])
def test_knn_novelty_threshold_is_the_quantile_of_every_sampled_reps_leave_one_out_score(
        n_per_class):
    # Only the top scores are searched in full; the threshold must equal scoring them all.
    X, y = make_xy(n_per_class, seed=3)
    clf = DTWKNeighborsClassifier(window=0.2).fit(X, y)
    scaled = [(x - clf.mean_) / clf.scale_ for x in X]
    sample = np.random.default_rng(0).permutation(len(X))[:200]
    distances, indices = knn_search([scaled[i] for i in sample], clf.train_set_, 2)
    nearest_other = np.where(indices[:, 0] == sample, distances[:, 1], distances[:, 0])
    scores = nearest_other / np.array([len(X[i]) for i in sample])
    assert clf.novelty_threshold_ == clf.novelty_margin * np.quantile(scores, 0.99)


def test_fit_statistics_and_features_equal_the_per_rep_formulas():
    X, y = make_xy(8, seed=4)
    clf = LearnedClassifier(model="logistic").fit(X, y)
    frames = np.concatenate(X)
    np.testing.assert_array_equal(clf.mean_, frames.mean(axis=0))
    np.testing.assert_array_equal(clf.scale_, frames.std(axis=0))
    scaled = [(x - clf.mean_) / clf.scale_ for x in X]
    np.testing.assert_array_equal(clf._features(scaled),
                                  np.stack([rep_features(s) for s in scaled]))
    for k, label in enumerate(clf.classes_):
        members = np.stack([resample(x, 32) for x, lab in zip(X, y) if lab == label])
        np.testing.assert_array_equal(clf.profile_mean_[k], members.mean(axis=0))
        np.testing.assert_array_equal(clf.profile_std_[k], members.std(axis=0))


def _rep_features_by_definition(x, resample_length=16):
    """``rep_features`` spelled out one channel at a time with NumPy's own functions."""
    n = len(x)
    velocity = np.diff(x, axis=0) * (n - 1)
    shape = [np.interp(np.linspace(0, 1, resample_length), np.linspace(0, 1, n), c) for c in x.T]
    summaries = [[c.min(), c.max(), c.max() - c.min(), c.mean(), c.std(), c.argmin() / (n - 1),
                  c.argmax() / (n - 1), np.abs(v).mean(), v.max(), v.min()]
                 for c, v in zip(x.T, velocity.T)]
    deciles = [np.quantile(c, np.arange(1, 10) / 10) for c in x.T]
    return np.concatenate([np.ravel(shape), np.ravel(summaries), np.ravel(deciles), [np.log(n)]])


def test_learned_features_of_packed_reps_equal_their_per_rep_definition():
    # Unequal lengths (stacks of one length, some not side by side), a 2-frame rep, and
    # rounded copies whose ties decide the argmin / argmax and the order statistics.
    rng = np.random.default_rng(11)
    series = [np.cumsum(rng.normal(size=(int(n), 4)), axis=0) for n in rng.integers(2, 60, 150)]
    series += [np.round(s) for s in series[:40]] + [rng.normal(size=(2, 4))]
    batched = LearnedClassifier()._features(series)
    expected = np.stack([_rep_features_by_definition(s) for s in series])
    np.testing.assert_allclose(batched, expected, rtol=1e-12, atol=1e-12)
    # Minimum, maximum, their times and the extreme velocities are picked, not computed: exact.
    picked = [0, 1, 5, 6, 8, 9]
    summaries = slice(4 * 16, 4 * 26)
    np.testing.assert_array_equal(batched[:, summaries].reshape(-1, 4, 10)[..., picked],
                                  expected[:, summaries].reshape(-1, 4, 10)[..., picked])
    np.testing.assert_array_equal(batched, np.stack([rep_features(s) for s in series]))


def test_calibration_keeps_predictions_and_survives_saving(clf, tmp_path):
    """With a quarter of the labels wrong, out-of-fold the models are right less often than
    they claim: the temperature rises above 1 and the stated confidence falls."""
    X, y = make_xy(12, seed=2)
    y = y.copy()
    flipped = np.random.default_rng(0).choice(len(y), len(y) // 4, replace=False)
    y[flipped] = np.roll(y[flipped], 1)
    plain = clone(clf).fit(X, y)
    calibrated = clone(clf).set_params(calibrate=True).fit(X, y)
    assert plain.temperature_ == 1.0 and calibrated.temperature_ > 1.0
    Xt, _ = make_xy(4, seed=6)
    np.testing.assert_array_equal(calibrated.predict(Xt), plain.predict(Xt))
    proba = calibrated.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert proba.max(axis=1).mean() < plain.predict_proba(Xt).max(axis=1).mean()
    loaded = load_model(calibrated.save(tmp_path / "calibrated.fcm"))
    np.testing.assert_allclose(loaded.predict_proba(Xt), proba)


def test_a_learned_model_saved_with_other_features_asks_to_be_trained_again(tmp_path):
    X, y = make_xy()
    path = LearnedClassifier().fit(X, y).save(tmp_path / "model.fcm")
    meta, arrays = read_archive(path, "model", 3)
    for name in ("feature_mean", "feature_scale", "coef_0"):  # 3 * (16 + 10) + 1: no deciles
        arrays[name] = arrays[name][:79]
    write_archive(tmp_path / "old.fcm", "model", 3, meta, arrays)
    with pytest.raises(ModelFileError, match="reads 79 features per rep.*computes 106.*train"):
        load_model(tmp_path / "old.fcm")
