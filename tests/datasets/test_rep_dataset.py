"""RepDataset: container behaviour, augmentation and persistence."""

import json
import zipfile

import numpy as np
import pytest

from formcheck import AngleSeries
from formcheck._archive import write_archive
from formcheck.datasets.rep_dataset import RepDataset
from formcheck.errors import ChannelMismatchError, DatasetError, ModelFileError

CHANNELS = ["left_knee", "right_knee", "trunk_inclination"]


def make_dataset(n=6, seed=0):
    rng = np.random.default_rng(seed)
    reps = [AngleSeries(rng.normal(size=(20 + i, 3)), CHANNELS, 30, source=f"v{i // 2}.mp4")
            for i in range(n)]
    labels = ["squat/correct", "squat/not-low"] * (n // 2)
    groups = [f"v{i // 2}" for i in range(n)]
    return RepDataset(reps, labels, groups, {"exercise": "squat"},
                      [f"v{i // 2}.mp4[{i}:{i + 20}]" for i in range(n)])


def test_container_behaviour():
    ds = make_dataset()
    assert len(ds) == 6 and ds.channels == tuple(CHANNELS)
    assert ds.class_counts() == {"squat/correct": 3, "squat/not-low": 3}
    assert [x.shape for x in ds.X][:2] == [(20, 3), (21, 3)]
    sub = ds[ds.groups == "v1"]
    assert len(sub) == 2 and set(sub.groups) == {"v1"}
    assert len(ds[[0, 5]]) == 2 and len(ds[1:4]) == 3
    assert ds.catalog()[1]["frames"] == 21
    frame = ds.to_frame()
    assert list(frame["label"][:2]) == ["squat/correct", "squat/not-low"]


def test_bad_construction():
    rep = AngleSeries(np.zeros((5, 1)), ["a"], 30)
    with pytest.raises(DatasetError, match="differ in length"):
        RepDataset([rep], ["x", "y"], ["g"])
    with pytest.raises(ChannelMismatchError, match="same channels"):
        RepDataset([rep, AngleSeries(np.zeros((5, 1)), ["b"], 30)], ["x", "y"], ["g", "g"])


def test_augment_adds_mirrored_and_stretched_copies_in_the_same_group():
    ds = make_dataset(2)
    aug = ds.augment(mirror=True, time_scale=(0.8, 1.25), n_time_scales=2, seed=1)
    # per rep: original, mirror, 2 stretches of each
    assert len(aug) == 2 * 6
    assert list(aug.groups[:6]) == ["v0"] * 6 and list(aug.labels[:6]) == ["squat/correct"] * 6
    assert aug.sources[3] == ds.sources[0] + " mirrored" and " x" in aug.sources[1]
    mirrored = aug.reps[3]
    np.testing.assert_array_equal(mirrored["left_knee"], ds.reps[0]["right_knee"])
    lengths = [len(r) for r in aug.reps[:6]]
    assert all(16 <= n <= 25 for n in lengths) and len(set(lengths)) > 1
    assert len(ds.augment(mirror=False, time_scale=None)) == 2


def test_save_load_round_trip(tmp_path):
    ds = make_dataset()
    path = ds.save(tmp_path / "reps.fcd")
    back = RepDataset.load(path)
    assert back.channels == ds.channels and back.metadata == ds.metadata
    assert list(back.labels) == list(ds.labels) and list(back.sources) == list(ds.sources)
    for a, b in zip(ds.reps, back.reps):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_load_refuses_corrupt_truncated_newer_and_foreign_files(tmp_path):
    path = make_dataset().save(tmp_path / "reps.fcd")
    data = path.read_bytes()
    (tmp_path / "trunc.fcd").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="corrupt or truncated"):
        RepDataset.load(tmp_path / "trunc.fcd")
    (tmp_path / "junk.fcd").write_text("not a zip")
    with pytest.raises(ModelFileError, match="junk.fcd"):
        RepDataset.load(tmp_path / "junk.fcd")
    with pytest.raises(ModelFileError, match="no such file"):
        RepDataset.load(tmp_path / "missing.fcd")
    write_archive(tmp_path / "new.fcd", "rep-dataset", 99, {}, {})
    with pytest.raises(ModelFileError, match="format 99.*Upgrade formcheck"):
        RepDataset.load(tmp_path / "new.fcd")
    write_archive(tmp_path / "model.fcm", "model", 1, {}, {})
    with pytest.raises(ModelFileError, match="expected a 'rep-dataset'"):
        RepDataset.load(tmp_path / "model.fcm")


def test_archive_holds_json_and_npy_only(tmp_path):
    path = make_dataset().save(tmp_path / "reps.fcd")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        meta = json.loads(zf.read("meta.json"))
    assert "meta.json" in names and all(n.endswith((".npy", ".json")) for n in names)
    assert meta["kind"] == "rep-dataset" and meta["channels"] == CHANNELS
    with pytest.raises(TypeError, match="no pickles"):
        write_archive(tmp_path / "x", "model", 1, {}, {"bad": np.array([{}], dtype=object)})


def test_an_interrupted_write_leaves_the_previous_file(tmp_path, monkeypatch):
    path = make_dataset().save(tmp_path / "reps.fcd")
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np.lib.format, "write_array", boom)
    with pytest.raises(KeyboardInterrupt):
        make_dataset(4).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["reps.fcd"]


def with_geometry(ds, geometry):
    return RepDataset([AngleSeries(np.asarray(r), r.channels, r.fps, geometry=geometry)
                       for r in ds.reps], ds.labels, ds.groups, ds.metadata, ds.sources)


def test_the_geometry_of_the_reps_is_recorded_and_kept(tmp_path):
    spatial = with_geometry(make_dataset(), "3d")
    assert spatial.metadata["feature_settings"] == {"geometry": "3d"}
    assert spatial[:2].metadata["feature_settings"]["geometry"] == "3d"
    augmented = spatial.augment(n_time_scales=1)
    assert {rep.geometry for rep in augmented.reps} == {"3d"}
    loaded = RepDataset.load(spatial.save(tmp_path / "reps.fcd"))
    assert {rep.geometry for rep in loaded.reps} == {"3d"}
    assert loaded.metadata["feature_settings"]["geometry"] == "3d"
    assert "feature_settings" not in make_dataset().metadata        # plain arrays: unknown


def test_reps_measured_in_2d_and_3d_do_not_mix():
    with pytest.raises(DatasetError, match="mix joint angles measured in 3-D .* and in 2-D"):
        with_geometry(make_dataset(), "3d").concat(with_geometry(make_dataset(), "2d"))
    flat = with_geometry(make_dataset(), "2d")
    with pytest.raises(DatasetError, match="the metadata says the angles are 2d"):
        RepDataset([AngleSeries(np.asarray(r), r.channels, r.fps, geometry="3d")
                    for r in flat.reps], flat.labels, flat.groups, flat.metadata)


def test_a_labelled_file_without_reps_is_listed_with_the_reason(tmp_path):
    from formcheck.datasets.synthetic import make_set

    for label, seed in (("correct", 0), ("not-low", 1)):
        (tmp_path / label).mkdir()
        make_set("squat", label, 2, seed=seed, severity=1.0).save(tmp_path / label / "set.npz")
    pose, [(first, _)] = make_set("squat", n_reps=1, seed=2, idle=4.0, return_bounds=True)
    assert first / pose.fps >= 3
    pose.slice(0, first).save(tmp_path / "correct" / "standing.npz")    # before the rep
    ds = RepDataset.from_folders(tmp_path, "squat")
    assert len(ds) == 4 and ds.metadata["feature_settings"] == {"geometry": "2d"}
    (name, why), = ds.metadata["files_without_reps"].items()
    assert name == "correct/standing.npz" and why.startswith("the tracked person is not doing")
    for path in tmp_path.glob("*/set.npz"):
        path.unlink()
    with pytest.raises(DatasetError, match="no reps were found in any file:\n  correct/standing"):
        RepDataset.from_folders(tmp_path, "squat")
