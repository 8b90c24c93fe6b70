"""Hostile and damaged model files: each one loads and predicts, or is a ModelFileError.

Real saved models of every classifier kind are truncated, bit-flipped and
rewritten with mutated metadata and arrays (hypothesis); zip bombs are refused
from the zip directory before anything is inflated, with the memory measured
in a child process.
"""

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_files import (measure_refusal, model_header, nested_json, npy_bytes,
                       patch_central_directory, pickled_npy, write_zip)
from formcheck import (AngleSeries, DTWKNeighborsClassifier, LearnedClassifier,
                       StandardsClassifier, load_model)
from formcheck._archive import MAX_MEMBERS, read_archive, write_archive
from formcheck.classifiers.base import MODEL_FORMAT
from formcheck.datasets.rep_dataset import RepDataset
from formcheck.errors import ModelFileError

CHANNELS = ["left_knee", "right_knee", "trunk_inclination"]
KINDS = {
    "knn": lambda: DTWKNeighborsClassifier(n_neighbors=3, window=0.2),
    "knn-distance": lambda: DTWKNeighborsClassifier(weights="distance", window=None),
    "mlp": lambda: LearnedClassifier(hidden_units=8),
    "logistic": lambda: LearnedClassifier(model="logistic"),
    "mlp-binary": lambda: LearnedClassifier(hidden_units=4),
}
FUZZ = settings(max_examples=int(os.environ.get("FORMCHECK_FUZZ_EXAMPLES", 60)),
                deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def reps(n_classes, seed=0):
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(n_classes):
        for _ in range(6):
            t = np.linspace(0, 1, int(rng.integers(20, 35)))[:, None]
            values = 150 - (40 + 30 * k) * np.sin(np.pi * t) * np.ones((1, 3))
            X.append(AngleSeries(values + rng.normal(0, 2, values.shape), CHANNELS, 30.0))
            y.append(f"squat/class-{k}")
    return X, y


class SavedModels(dict):
    """Kind -> bytes of a saved model file (with a short repr for hypothesis' reports)."""

    def __repr__(self):
        return f"SavedModels({', '.join(self)})"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Kind -> bytes of a real saved model file."""
    folder = tmp_path_factory.mktemp("models")
    files = SavedModels()
    for kind, make in KINDS.items():
        X, y = reps(2 if kind.endswith("binary") else 3)
        files[kind] = make().fit(X, y).save(folder / f"{kind}.fcm").read_bytes()
    return files


def loads_and_predicts_or_refuses(path) -> bool:
    """True when the file loads and the model answers every query; False when refused."""
    try:
        model = load_model(path)
    except ModelFileError as exc:
        assert str(path) in str(exc)
        return False
    rng = np.random.default_rng(1)
    queries = [rng.normal(120, 20, (n, model.n_features_in_)) for n in (18, 30)]
    with np.errstate(all="ignore"):
        proba, novelty = model.predict_proba_and_novelty(queries)
        assert proba.shape == (2, len(model.classes_)) and novelty.shape == (2,)
        assert len(model.predict(queries)) == 2
        for label in model.classes_:
            rep, reference, frames = model.reference(queries[0], label)
            assert len(rep) == len(reference) == len(frames)
    return True


def test_the_real_files_load_and_predict(saved, tmp_path):
    for kind, data in saved.items():
        (tmp_path / f"{kind}.fcm").write_bytes(data)
        assert loads_and_predicts_or_refuses(tmp_path / f"{kind}.fcm"), kind


def test_a_3d_model_saved_before_heights_could_move_measures_them_in_3d(tmp_path):
    X, y = reps(3)
    dataset = RepDataset(X, y, [str(i % 4) for i in range(len(X))],
                         {"exercise": "squat", "feature_settings": {"geometry": "3d"}})
    model = DTWKNeighborsClassifier(n_neighbors=3).fit(dataset)
    assert model.feature_settings_ == {"geometry": "3d", "heights": "side-image"}
    del model.feature_settings_["heights"]             # as a file written before the setting
    loaded = load_model(model.save(tmp_path / "old.fcm"))
    assert loaded.feature_settings_ == {"geometry": "3d", "heights": "geometry"}


def test_every_recorded_feature_setting_and_the_temperature_load_back(tmp_path):
    X, y = reps(3)
    settings = {"geometry": "3d", "min_visibility": 0.3, "max_missing": 0.4, "smooth": 0.2,
                "target_fps": 15}
    dataset = RepDataset(X, y, [str(i % 4) for i in range(len(X))],
                         {"exercise": "squat", "feature_settings": settings})
    model = DTWKNeighborsClassifier(n_neighbors=3, calibrate=True).fit(dataset)
    loaded = load_model(model.save(tmp_path / "calibrated.fcm"))
    assert loaded.feature_settings_ == {**settings, "heights": "side-image"}   # 3-D records it
    assert loaded.temperature_ == model.temperature_ != 1.0
    assert loaded.predict(X[:4]).tolist() == model.predict(X[:4]).tolist()


@pytest.mark.parametrize("kind", KINDS)
def test_every_truncation_is_refused(saved, tmp_path, kind):
    data = saved[kind]
    path = tmp_path / "cut.fcm"
    for length in sorted({*range(0, len(data), max(1, len(data) // 150)),
                          *range(len(data) - 200, len(data))}):
        path.write_bytes(data[:length])
        assert not loads_and_predicts_or_refuses(path), length


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)),
                      min_size=1, max_size=4),
       near_end=st.booleans())
def test_bit_flips_load_and_predict_or_are_refused(saved, kind, flips, near_end):
    data = bytearray(saved[kind])
    tail = min(len(data), 600)          # the central directory and last local headers
    for where, bit in flips:
        position = int(where * tail) + len(data) - tail if near_end else int(where * len(data))
        data[position] ^= 1 << bit
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flipped.fcm"
        path.write_bytes(bytes(data))
        loads_and_predicts_or_refuses(path)


# -- mutated contents, in well-formed archives -------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=8)


def _array_mutation(array, how, value):
    if how == "transpose":
        return array.T
    if how == "flatten":
        return array.ravel()
    if how == "drop" and array.ndim:
        return array[:-1]
    if how == "grow" and array.ndim:
        return np.concatenate([array, array[:1]])
    if how == "dtype":
        return array.astype(value)
    if how == "value" and array.size:
        out = array.astype(np.float64).copy() if array.dtype.kind not in "U" else array.copy()
        out.flat[0] = 7 if out.dtype.kind == "U" else value
        return out
    return array


@st.composite
def mutated_models(draw, saved_files):
    kind = draw(st.sampled_from(sorted(KINDS)))
    with zipfile.ZipFile(io.BytesIO(saved_files[kind])) as zf:
        meta = json.loads(zf.read("meta.json"))
        arrays = {n[:-4]: np.lib.format.read_array(io.BytesIO(zf.read(n)))
                  for n in zf.namelist() if n.endswith(".npy")}
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(["meta", "params", "feature_settings", "array",
                                       "drop-array", "extra-array"]))
        if target in ("params", "feature_settings") and isinstance(meta.get(target), dict):
            keys = sorted(meta[target]) + ["evil"]
            meta[target][draw(st.sampled_from(keys))] = draw(json_values)
        elif target == "meta":
            key = draw(st.sampled_from(sorted(meta) + ["evil"]))
            if draw(st.booleans()):
                meta.pop(key, None)
            else:
                meta[key] = draw(json_values)
        elif target == "drop-array" and arrays:
            arrays.pop(draw(st.sampled_from(sorted(arrays))))
        elif target == "extra-array":
            arrays[draw(st.sampled_from(["coef_2", "train_y", "x"]))] = np.zeros(3)
        elif arrays:
            name = draw(st.sampled_from(sorted(arrays)))
            how = draw(st.sampled_from(["transpose", "flatten", "drop", "grow", "dtype",
                                        "value"]))
            value = draw(st.sampled_from([np.nan, np.inf, -1.0, 0.0, 1e300, 2**62, "int8",
                                          "float32", "bool", "U3", "uint64", "int16"]))
            if how == "dtype" and not isinstance(value, str):
                value = "float16"
            if how == "value" and isinstance(value, str):
                value = -5.0
            arrays[name] = _array_mutation(arrays[name], how, value)
    members = {"meta.json": json.dumps(meta).encode()}
    members.update({f"{name}.npy": npy_bytes(array) for name, array in arrays.items()})
    return members


@FUZZ
@given(data=st.data())
def test_mutated_contents_load_and_predict_or_are_refused(saved, data):
    members = data.draw(mutated_models(saved))
    with tempfile.TemporaryDirectory() as folder:
        path = write_zip(Path(folder) / "mutated.fcm", members)
        loads_and_predicts_or_refuses(path)


# -- the cases of the QA report, one by one ------------------------------------------------------

def rewrite(saved, kind, path, change):
    """Save ``saved[kind]`` to ``path`` after ``change(meta, arrays)``."""
    path.write_bytes(saved[kind])
    meta, arrays = read_archive(path, "model", MODEL_FORMAT)
    change(meta, arrays)
    write_archive(path, "model", MODEL_FORMAT, meta, arrays)
    return path


@pytest.mark.parametrize("kind,change,message", [
    ("knn", lambda m, a: a.update(train_y=a["train_y"] + 5), "train_y holds class indices"),
    ("knn", lambda m, a: a.update(train_y=a["train_y"].astype(float)), "expected integers"),
    ("knn", lambda m, a: a.update(train_offsets=a["train_offsets"] + 3), "train_offsets"),
    ("knn", lambda m, a: a.update(train_offsets=a["train_offsets"][::-1]), "train_offsets"),
    ("knn", lambda m, a: a.update(train_data=a["train_data"][:, :2]), "train_data"),
    ("mlp", lambda m, a: a.update(coef_0=a["coef_0"].T), "coef_0"),
    ("mlp", lambda m, a: a.update(coef_2=a["coef_1"]), "unexpected arrays"),
    ("mlp", lambda m, a: a.update(feature_mean=a["feature_mean"][:-1]), "feature_mean"),
    ("mlp", lambda m, a: a.update(feature_scale=-a["feature_scale"]), "feature_scale"),
    ("logistic", lambda m, a: a.update(coef=a["coef"].T), "coef"),
    ("logistic", lambda m, a: a.pop("intercept"), "no array 'intercept'"),
    ("knn", lambda m, a: a.update(mean=np.full(3, np.nan)), "NaN"),
    ("knn", lambda m, a: a.update(mean=np.array(["a", "b", "c"])), "dtype"),
    ("mlp", lambda m, a: a.update(profile_std=a["profile_std"][:1]), "profile_std"),
    ("mlp", lambda m, a: m.update(feature_settings={"evil": 1}), "unknown feature setting"),
    ("mlp", lambda m, a: m.update(feature_settings={"target_fps": 1e12}), "target_fps"),
    ("mlp", lambda m, a: m.update(feature_settings=[1]), "must be a dict"),
    ("mlp", lambda m, a: m.update(feature_settings={"geometry": "4d"}), "geometry must be one of"),
    ("mlp", lambda m, a: m.update(feature_settings={"geometry": ["3d"]}), "geometry"),
    ("mlp", lambda m, a: m.update(feature_settings={"channels": ["left_knee"]}),
     "unknown feature setting"),
    ("mlp", lambda m, a: m.update(feature_settings={"min_visibility": 2}), "min_visibility"),
    ("mlp", lambda m, a: m.update(feature_settings={"max_missing": "all"}), "max_missing"),
    ("knn", lambda m, a: a.update(temperature=np.array(-1.0)), "temperature.*<= 0"),
    ("knn", lambda m, a: a.update(temperature=np.array(np.nan)), "temperature.*NaN"),
    ("mlp", lambda m, a: a.update(temperature=np.ones(2)), "temperature.*shape"),
    ("mlp", lambda m, a: a.pop("temperature"), "no array 'temperature'"),
    ("mlp", lambda m, a: m.update(classes=["a"]), "classes"),
    ("mlp", lambda m, a: m.update(classes=["a", "b", 3]), "classes"),
    ("mlp", lambda m, a: m.update(channels=["a", "a", "b"]), "channels"),
    ("mlp", lambda m, a: m.update(n_features_in=True), "n_features_in"),
    ("mlp", lambda m, a: m["params"].update(evil=1), "unknown parameters"),
    ("mlp", lambda m, a: m.update(params=[1]), "params"),
    ("mlp", lambda m, a: m["params"].update(hidden_units=9), "coef_0"),
    ("mlp", lambda m, a: m.update({"class": ["LearnedClassifier"]}), "unknown classifier"),
    ("knn", lambda m, a: m["params"].update(n_neighbors=99), "n_neighbors"),
    ("mlp", lambda m, a: m.update(exercise="pull-up"), "'pull-up' reps.*another exercise's"),
    ("knn", lambda m, a: m.update(exercise=3), "exercise must be a name"),
])
def test_inconsistent_models_are_refused_at_load(saved, tmp_path, kind, change, message):
    path = rewrite(saved, kind, tmp_path / "bad.fcm", change)
    with pytest.raises(ModelFileError, match=message) as caught:
        load_model(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("members,message", [
    ({"meta.json": [1, 2]}, "holds a list"),
    ({"meta.json": b'"text"'}, "holds a str"),
    ({"meta.json": nested_json(100_000)}, "nested too deeply"),
    ({"meta.json": b"\xff\xfe{}"}, "UTF-8"),
    ({"x.npy": b""}, "no meta.json"),
    ({"meta.json": model_header(), "../evil.npy": b""}, "unexpected member"),
    ({"meta.json": model_header(), "a.npy": pickled_npy(print)},
     "dtype"),
    ({"meta.json": model_header(), "a.npy": npy_bytes(np.zeros(4))[:-8]}, "do not match"),
    ({"meta.json": model_header(), "a.npy": npy_bytes(np.zeros(4)) + b"1234"},
     "do not match"),
    ({"meta.json": model_header(), "a.npy": b"\x93NUMPY\x09\x00"}, "version"),
    ({"meta.json": model_header(), "a.npy": b"not numpy"}, "corrupt"),
    ({"meta.json": model_header(), "a.npy": b"\x93NUMPY\x01\x00\x12\x00{'descr': ('<f8',\n"},
     "unreadable .npy header"),
])
def test_malformed_archives_are_refused(tmp_path, members, message):
    path = write_zip(tmp_path / "bad.fcm", members)
    with pytest.raises(ModelFileError, match=message) as caught:
        load_model(path)
    assert str(path) in str(caught.value)


def test_a_header_promising_a_huge_array_is_refused_before_allocating(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12, 10**6)})
    path = write_zip(tmp_path / "huge.fcm", {"meta.json": model_header(),
                                             "mean.npy": header.getvalue() + bytes(64)})
    with pytest.raises(ModelFileError, match="do not match"):
        load_model(path)


def test_too_many_members_duplicates_encryption_and_other_methods_are_refused(tmp_path):
    many = {"meta.json": model_header(),
            **{f"a{i}.npy": npy_bytes(np.zeros(1)) for i in range(MAX_MEMBERS)}}
    with pytest.raises(ModelFileError, match="members; at most"):
        load_model(write_zip(tmp_path / "many.fcm", many))
    with pytest.warns(UserWarning, match="Duplicate name"):
        with zipfile.ZipFile(tmp_path / "twice.fcm", "w") as zf:
            zf.writestr("meta.json", "{}")
            zf.writestr("meta.json", "{}")
    with pytest.raises(ModelFileError, match="appears twice"):
        load_model(tmp_path / "twice.fcm")
    for compression in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        path = write_zip(tmp_path / f"method{compression}.fcm",
                         {"meta.json": model_header()}, compression)
        with pytest.raises(ModelFileError, match=f"compression method {compression}"):
            load_model(path)
    path = patch_central_directory(write_zip(tmp_path / "deflate64.fcm",
                                             {"meta.json": model_header()}), method=9)
    with pytest.raises(ModelFileError, match="compression method 9"):
        load_model(path)
    path = patch_central_directory(write_zip(tmp_path / "locked.fcm",
                                             {"meta.json": model_header()}), flag_bits=1)
    with pytest.raises(ModelFileError, match="encrypted"):
        load_model(path)


@pytest.mark.parametrize("change,message", [
    (lambda m, a: a.update(lengths=a["lengths"] + 1), "values"),
    (lambda m, a: a.update(lengths=-a["lengths"]), "lengths"),
    (lambda m, a: a.update(labels=a["labels"][:-1]), "labels"),
    (lambda m, a: a.update(groups=a["lengths"]), "groups"),
    (lambda m, a: m.update(fps=m["fps"][:-1]), "fps"),
    (lambda m, a: m.update(fps=["30"] * len(m["fps"])), "fps"),
    (lambda m, a: m.update(channels="abc"), "channels"),
    (lambda m, a: m.update(metadata=[]), "metadata"),
    (lambda m, a: m["metadata"].update(feature_settings={"evil": 1}), "unknown feature setting"),
    (lambda m, a: m["metadata"].update(feature_settings={"geometry": 3}), "geometry"),
])
def test_inconsistent_rep_dataset_files_are_refused(tmp_path, change, message):
    X, y = reps(2)
    path = RepDataset(X, y, [str(i % 3) for i in range(len(X))]).save(tmp_path / "reps.fcd")
    meta, arrays = read_archive(path, "rep-dataset", 1)
    change(meta, arrays)
    write_archive(path, "rep-dataset", 1, meta, arrays)
    with pytest.raises(ModelFileError, match=message):
        RepDataset.load(path)


def test_damaged_rep_dataset_files_load_or_are_refused(tmp_path):
    X, y = reps(2)
    data = RepDataset(X, y, ["g"] * len(X)).save(tmp_path / "reps.fcd").read_bytes()
    rng = np.random.default_rng(0)
    path = tmp_path / "damaged.fcd"
    for trial in range(300):
        damaged = bytearray(data[:int(rng.integers(len(data)))] if trial % 3 == 0 else data)
        for position in rng.integers(0, len(damaged), 2) if trial % 3 else ():
            damaged[position] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(damaged))
        try:
            loaded = RepDataset.load(path)
        except ModelFileError as exc:
            assert str(path) in str(exc)
        else:
            assert len(loaded.X) == len(loaded.labels) == len(loaded.groups)


# -- zip bombs: refused from the directory, memory measured in a child process -------------------

def measure_load(path) -> dict:
    """``load_model(path)`` in a fresh interpreter (see :func:`bad_files.measure_refusal`)."""
    return measure_refusal(path, "formcheck.classifiers", "load_model", "ModelFileError")


@pytest.mark.parametrize("bomb,message", [("npy", "inflate to"), ("meta", "meta.json is")])
def test_zip_bombs_are_refused_with_little_memory(zip_bombs, bomb, message):
    path = zip_bombs[bomb]
    assert path.stat().st_size < 1.3e6
    result = measure_load(path)
    assert message in result["message"] and str(path) in result["message"]
    assert result["traced_peak"] < 200e6 and result["rss_growth"] < 200e6


@pytest.mark.parametrize("change,message", [
    (lambda m, a: m.update(exercise="squat-but-not"), "its exercise"),
    (lambda m, a: a.update(faults=a["faults"][:1]), "not the standards of 'squat'"),
    (lambda m, a: a.update(thresholds=np.array(["deep"] * len(a["thresholds"]))), "thresholds"),
    (lambda m, a: a.update(thresholds=a["thresholds"][:1]), "thresholds"),
    (lambda m, a: a.update(output_labels=np.array(["squat/banana"] * len(a["faults"]))),
     "output_labels"),
    (lambda m, a: a.update(calibration=a["calibration"][:, :2]), "calibration"),
])
def test_inconsistent_standards_are_refused_at_load(tmp_path, change, message):
    path = StandardsClassifier("squat").fit().save(tmp_path / "standards.fcm")
    assert load_model(path).thresholds_ == StandardsClassifier("squat").fit().thresholds_
    meta, arrays = read_archive(path, "model", MODEL_FORMAT)
    change(meta, arrays)
    write_archive(path, "model", MODEL_FORMAT, meta, arrays)
    with pytest.raises(ModelFileError, match=message) as caught:
        load_model(path)
    assert str(path) in str(caught.value)
