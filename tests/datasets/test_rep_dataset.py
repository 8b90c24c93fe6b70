"""RepDataset: construction from recordings and sources, container behaviour, augmentation
and persistence."""

import csv
import json
import zipfile

import numpy as np
import pytest

from formcheck import AngleSeries, DTWKNeighborsClassifier, joint_angles
from formcheck._archive import write_archive
from formcheck.datasets import real
from formcheck.datasets.rep_dataset import TIME_SCALE, Recording, RepDataset
from formcheck.datasets.synthetic import make_dataset as make_synthetic_dataset
from formcheck.datasets.synthetic import make_set
from formcheck.errors import ChannelMismatchError, DatasetError, ExerciseError, ModelFileError
from formcheck.pose import load_pose
from formcheck.reps import cut_recording

CHANNELS = ["left_knee", "right_knee", "trunk_inclination"]
#: Not the defaults, so that a constructor dropping them would show.
SETTINGS = {"smooth": 0.3, "target_fps": 15}
RECORDED = {**SETTINGS, "geometry": "2d"}  # keypoint files without world landmarks


def write_annotations(root, path):
    """An annotation CSV labelling every rep of the folder's files, as the labelling app does."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "start", "end", "label"])
        for file in sorted(root.rglob("*.npz")):
            _, reps = cut_recording(load_pose(file), "squat")
            writer.writerows([file.relative_to(path.parent).as_posix(), r.start, r.end,
                              file.parent.name] for r in reps)
    return path


def clips(root):
    return [real.LabelledPose(f.name, load_pose(f), f"squat/{f.parent.name}")
            for f in sorted(root.rglob("*.npz"))]


def assert_same_reps(a, b):
    assert list(a.labels) == list(b.labels) and list(a.sources) == list(b.sources)
    assert list(a.groups) == list(b.groups) and a.metadata == b.metadata
    for x, y in zip(a.reps, b.reps, strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_from_recordings_cuts_every_recording_with_the_feature_settings():
    pose = make_set("squat", n_reps=3, seed=1)
    ds = RepDataset.from_recordings([Recording(pose, "squat/correct", "me", "set1")], "squat",
                                    **SETTINGS)
    angles, reps = cut_recording(pose, "squat", **SETTINGS)
    assert ds.metadata == {"exercise": "squat", "feature_settings": RECORDED}
    assert len(ds) == len(reps) == 3 and {r.fps for r in ds.reps} == {15.0}
    assert list(ds.sources) == [f"set1[{r.start}:{r.end}]" for r in reps]
    assert set(ds.groups) == {"me"} and set(ds.labels) == {"squat/correct"}
    for got, rep in zip(ds.reps, reps):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(rep.angles))


def test_a_labelled_frame_range_is_one_rep_in_the_resampled_frames():
    pose = make_set("squat", n_reps=2, seed=1)  # 30 fps
    one = [Recording(pose, "squat/correct", "me", "set1", (30, 90))]
    ds = RepDataset.from_recordings(one, "squat", target_fps=15)
    assert list(ds.sources) == ["set1[15:45]"]
    np.testing.assert_array_equal(np.asarray(ds.reps[0]),
                                  joint_angles(pose, "squat", target_fps=15).values[15:45])
    outside = [Recording(pose, "squat/correct", "me", "set1", (0, pose.n_frames + 1))]
    with pytest.raises(DatasetError, match=rf"frames 0:{pose.n_frames + 1} are outside set1"):
        RepDataset.from_recordings(outside, "squat")


def test_a_recording_without_reps_is_kept_whole_only_when_asked():
    still = make_set("squat", n_reps=1, seed=1).slice(0, 20)  # standing before the first rep
    assert cut_recording(still, "squat")[1] == []
    recordings = [Recording(still, "squat/correct", "me", "still")]
    assert len(RepDataset.from_recordings(recordings, "squat")) == 0
    whole = RepDataset.from_recordings(recordings, "squat", whole_if_no_rep=True)
    assert list(whole.sources) == ["still[0:20]"] and len(whole.reps[0]) == 20


def test_from_recordings_reads_files_and_reports_a_missing_one(squat_folder):
    file = squat_folder / "correct" / "set0.npz"
    from_file = RepDataset.from_recordings([Recording(file, "squat/correct", "g", "n")], "squat")
    from_pose = RepDataset.from_recordings(
        [Recording(load_pose(file), "squat/correct", "g", "n")], "squat")
    assert len(from_file) == 3
    assert_same_reps(from_file, from_pose)
    with pytest.raises(DatasetError, match="missing.npz: no such file"):
        RepDataset.from_recordings([Recording(file.with_name("missing.npz"), "a", "g", "n")],
                                   "squat")


@pytest.mark.parametrize("build", [
    lambda root: RepDataset.from_folders(root, "squat", **SETTINGS),
    lambda root: RepDataset.from_annotations(
        write_annotations(root, root.parent / "labels.csv"), "squat", **SETTINGS),
    lambda root: real.clips_to_reps(clips(root), "squat", **SETTINGS),
    lambda root: real.whole_clips(clips(root), "squat", **SETTINGS),
], ids=["folders", "annotations", "clips_to_reps", "whole_clips"])
def test_every_constructor_records_the_exercise_and_feature_settings(build, squat_folder,
                                                                     tmp_path):
    ds = build(squat_folder)
    assert ds.metadata["exercise"] == "squat" and ds.metadata["feature_settings"] == RECORDED
    assert {rep.fps for rep in ds.reps} == {15.0} and len(ds) >= 4
    model = DTWKNeighborsClassifier().fit(ds)
    assert model.exercise_ == "squat" and model.feature_settings_ == RECORDED
    for derived in (ds[ds.groups != ds.groups[0]], ds.augment(),
                    RepDataset.load(ds.save(tmp_path / "reps.fcd"))):
        assert derived.metadata["feature_settings"] == RECORDED


def test_synthetic_datasets_record_default_feature_settings():
    ds = make_synthetic_dataset("push-up", n_subjects=2, reps_per_class=2, seed=0)
    assert ds.metadata["exercise"] == "push-up" and ds.metadata["feature_settings"] == {"geometry": "2d"}


def test_annotation_errors_name_the_csv(squat_folder, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("file,start,end,label\nsets/correct/set0.npz,0,99999,correct\n")
    with pytest.raises(DatasetError, match=r"labels.csv: frames 0:99999 are outside "
                                           r"sets/correct/set0.npz \(\d+ frames\)"):
        RepDataset.from_annotations(labels, "squat")
    labels.write_text("file,start,end,label\nsets/nothing.npz,0,10,correct\n")
    with pytest.raises(DatasetError, match="labels.csv: .*nothing.npz: no such file"):
        RepDataset.from_annotations(labels, "squat")


def test_from_source_reads_a_folder_a_csv_and_a_saved_dataset(squat_folder, tmp_path):
    folder = RepDataset.from_source(squat_folder, "squat", **SETTINGS)
    assert_same_reps(folder, RepDataset.from_folders(squat_folder, "squat", **SETTINGS))
    labels = write_annotations(squat_folder, tmp_path / "labels.csv")
    assert_same_reps(RepDataset.from_source(labels, "squat", **SETTINGS),
                     RepDataset.from_annotations(labels, "squat", **SETTINGS))
    saved = folder.save(tmp_path / "reps.fcd")
    for exercise, settings in ((None, {}), ("squat", {}), ("squat", SETTINGS)):
        assert_same_reps(RepDataset.from_source(saved, exercise, **settings), folder)


def test_from_source_refuses_what_it_cannot_read(squat_folder, tmp_path):
    with pytest.raises(DatasetError, match="nowhere: no such file or folder"):
        RepDataset.from_source(tmp_path / "nowhere", "squat")
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not a dataset")
    with pytest.raises(DatasetError, match="clip.mp4: not a source of reps; expected a folder"):
        RepDataset.from_source(video, "squat")
    with pytest.raises(ExerciseError, match="sets: the exercise is needed"):
        RepDataset.from_source(squat_folder)
    saved = RepDataset.from_folders(squat_folder, "squat", **SETTINGS).save(tmp_path / "r.fcd")
    with pytest.raises(DatasetError, match="holds 'squat' reps, not 'push-up'"):
        RepDataset.from_source(saved, "push-up")
    with pytest.raises(DatasetError, match="cannot be recomputed with {'smooth': 0.2}"):
        RepDataset.from_source(saved, "squat", smooth=0.2)


def test_concat_refuses_reps_computed_differently():
    ds = make_dataset(2)
    assert len(ds.concat(make_dataset(4))) == 6
    other = make_dataset(2)
    other.metadata["feature_settings"] = SETTINGS
    ds.metadata["feature_settings"] = {}
    with pytest.raises(DatasetError, match="different feature_settings"):
        ds.concat(other)


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
    low, high = TIME_SCALE
    stretched = ds.augment(mirror=False).reps[1:3]  # the default time scales
    assert all(low * 20 - 1 <= len(r) <= high * 20 + 1 for r in stretched)


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
    assert spatial.metadata["feature_settings"] == {
            "geometry": "3d", "vertical": "body", "heights": "side-image"}
    assert spatial[:2].metadata["feature_settings"]["geometry"] == "3d"
    augmented = spatial.augment(n_time_scales=1)
    assert {rep.geometry for rep in augmented.reps} == {"3d"}
    loaded = RepDataset.load(spatial.save(tmp_path / "reps.fcd"))
    assert {rep.geometry for rep in loaded.reps} == {"3d"}
    assert loaded.metadata["feature_settings"]["geometry"] == "3d"
    assert "feature_settings" not in make_dataset().metadata        # plain arrays: unknown


def test_reps_measured_in_2d_and_3d_do_not_mix():
    with pytest.raises(DatasetError, match="'geometry': '3d'.* and .*'geometry': '2d'"):
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


def test_a_3d_dataset_saved_before_heights_could_move_keeps_them_in_3d(tmp_path):
    spatial = with_geometry(make_dataset(), "3d")
    assert spatial.metadata["feature_settings"]["heights"] == "side-image"
    assert RepDataset.load(spatial.save(tmp_path / "new.fcd")).metadata == spatial.metadata
    del spatial.metadata["feature_settings"]["heights"]          # as written before the setting
    old = RepDataset.load(spatial.save(tmp_path / "old.fcd"))
    assert old.metadata["feature_settings"] == {"geometry": "3d", "vertical": "body",
                                                "heights": "geometry"}
