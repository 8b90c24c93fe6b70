"""RepDataset: labelled reps, the input of every classifier.

A dataset holds one :class:`~formcheck.AngleSeries` per rep, its label, and its
*group* (the source video or the subject), so that cross-validation can keep
all reps of one video on the same side of a split. Recordings become a dataset
one way, :meth:`RepDataset.from_recordings`, which cuts labelled recordings with
:func:`~formcheck.reps.cut_recording` and records the exercise and the feature
settings; Create ML's two layouts (labelled folders, an annotation CSV), the
real and synthetic sets all go through it. A dataset is saved as a JSON +
NumPy archive (no pickle).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._archive import is_archive, read_archive, take_array, write_archive
from .._files import read_annotation_text, unescape_formula
from .._progress import progress as progress_bar
from ..errors import (ChannelMismatchError, DatasetError, DependencyError, ExerciseError,
                      InputError, ModelFileError)
from ..features.angles import AngleSeries, check_feature_settings, recorded_settings, resample
from ..features.exercises import get_exercise
from ..pose import PoseSequence
from ..pose.load import load_pose
from ..reps import cut_recording, no_rep_reason

__all__ = ["RepDataset", "Recording", "TIME_SCALE"]

_FORMAT = 1
#: Duration factors (slowest, fastest) of the time-stretched copies :meth:`RepDataset.augment` adds.
TIME_SCALE = (0.8, 1.25)


class RepDataset:
    """Labelled reps with their groups and metadata.

    Parameters
    ----------
    reps : list of AngleSeries
        One series per rep; all with the same channels.
    labels : sequence of str
        Class label per rep, e.g. ``"squat/not-low"``.
    groups : sequence of str
        Source video or subject per rep, for leakage-free splits.
    metadata : dict, optional
        Free JSON-serialisable information (exercise, feature settings...).
        ``metadata["feature_settings"]["geometry"]`` is set to the geometry
        the reps' angles were measured in (``"3d"`` or ``"2d"``, see
        :func:`~formcheck.joint_angles`), and for 3-D ``["vertical"]`` and
        ``["heights"]`` to the vertical and the heights' source they took
        (``"body"`` and ``"side-image"`` unless the feature settings say
        otherwise), so a model trained on them computes angles the same way.
    sources : sequence of str, optional
        Where each rep came from (file and frame range), for the catalog.

    Examples
    --------
    >>> import numpy as np
    >>> from formcheck import AngleSeries
    >>> from formcheck.datasets.rep_dataset import RepDataset
    >>> reps = [AngleSeries(np.random.rand(20 + i, 2), ["left_knee", "right_knee"], 30)
    ...         for i in range(4)]
    >>> ds = RepDataset(reps, ["squat/correct", "squat/not-low"] * 2, ["a", "a", "b", "b"])
    >>> len(ds), ds.classes, ds.class_counts()
    (4, ['squat/correct', 'squat/not-low'], {'squat/correct': 2, 'squat/not-low': 2})
    >>> len(ds[ds.groups == "a"])
    2
    """

    def __init__(self, reps, labels, groups, metadata=None, sources=None):
        reps, labels, groups = list(reps), list(labels), list(groups)
        if not (len(reps) == len(labels) == len(groups)):
            raise DatasetError(
                f"reps, labels and groups differ in length: {len(reps)}, {len(labels)}, "
                f"{len(groups)}")
        _check_channels(reps)
        self.reps = reps
        self.labels = np.array(labels, dtype=str)
        self.groups = np.array(groups, dtype=str)
        self.metadata = _with_geometry(dict(metadata or {}), reps)
        self.sources = np.array(sources if sources is not None else [""] * len(reps), dtype=str)

    # -- basic container behaviour -------------------------------------------------
    def __len__(self):
        return len(self.reps)

    def __getitem__(self, index):
        """A sub-dataset from an integer array, a boolean mask or a slice."""
        positions = np.arange(len(self))[index]
        positions = np.atleast_1d(positions)
        return RepDataset([self.reps[i] for i in positions], self.labels[positions],
                          self.groups[positions], self.metadata, self.sources[positions])

    def __repr__(self):
        return (f"RepDataset(reps={len(self)}, classes={self.class_counts()}, "
                f"groups={len(set(self.groups))})")

    @property
    def X(self) -> list:
        """The reps as a list of ``(T_i, C)`` float arrays."""
        return [np.asarray(rep) for rep in self.reps]

    @property
    def y(self) -> np.ndarray:
        """Labels as an array of str."""
        return self.labels

    @property
    def channels(self) -> tuple:
        return self.reps[0].channels if self.reps else ()

    @property
    def classes(self) -> list:
        return sorted(set(self.labels.tolist()))

    def class_counts(self) -> dict:
        return dict(sorted(Counter(self.labels.tolist()).items()))

    def catalog(self) -> list:
        """One dict per rep: index, label, group, source, frames, duration in seconds."""
        return [{"index": i, "label": str(self.labels[i]), "group": str(self.groups[i]),
                 "source": str(self.sources[i]), "frames": len(rep),
                 "duration": round(rep.duration, 3)} for i, rep in enumerate(self.reps)]

    def to_frame(self):
        """The catalog as a pandas DataFrame (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise DependencyError("RepDataset.to_frame needs pandas: pip install pandas") from None
        return pd.DataFrame(self.catalog())

    def select_channels(self, channels) -> "RepDataset":
        """The same reps with only ``channels``, in that order (for comparing channel sets).

        A model fitted on the result records them in ``channels_``, so a
        checker computes those.

        Raises
        ------
        ChannelMismatchError
            A channel is not in the reps.

        Examples
        --------
        >>> from formcheck.datasets.synthetic import make_dataset
        >>> make_dataset("squat", n_subjects=2).select_channels(["left_knee"]).channels
        ('left_knee',)
        """
        return RepDataset([rep.select(channels) for rep in self.reps], self.labels, self.groups,
                          self.metadata, self.sources)

    # -- combination and augmentation ----------------------------------------------
    def concat(self, other: "RepDataset") -> "RepDataset":
        """Both datasets' reps in one.

        Raises
        ------
        ChannelMismatchError
            The reps have different channels.
        DatasetError
            The two record different exercises or feature settings.
        """
        for key in ("exercise", "feature_settings"):
            if key in self.metadata and key in other.metadata \
                    and self.metadata[key] != other.metadata[key]:
                raise DatasetError(f"cannot concatenate datasets of different {key}: "
                                   f"{self.metadata[key]!r} and {other.metadata[key]!r}")
        return RepDataset(self.reps + other.reps,
                          np.concatenate([self.labels, other.labels]),
                          np.concatenate([self.groups, other.groups]),
                          {**other.metadata, **self.metadata},
                          np.concatenate([self.sources, other.sources]))

    def augment(self, *, mirror=True, time_scale=TIME_SCALE, n_time_scales=2, seed=0):
        """Return the dataset plus mirrored and time-stretched copies of every rep.

        Copies keep their rep's label and group, so grouped cross-validation
        never puts an original in training and its copy in testing.

        Parameters
        ----------
        mirror : bool
            Add a horizontally flipped copy (left and right channels swapped),
            so a model trained on left-side videos works on right-side ones.
        time_scale : tuple (low, high) or None
            Add ``n_time_scales`` copies resampled to a duration factor drawn
            uniformly (log scale) from this range: slower and faster reps.
        n_time_scales : int
        seed : int

        Returns
        -------
        RepDataset
        """
        rng = np.random.default_rng(seed)
        reps, labels, groups, sources = [], [], [], []

        def add(rep, i, tag):
            reps.append(rep)
            labels.append(self.labels[i])
            groups.append(self.groups[i])
            sources.append(f"{self.sources[i]}{tag}")

        for i, rep in enumerate(self.reps):
            add(rep, i, "")
            variants = [(rep, "")] + ([(rep.mirror(), " mirrored")] if mirror else [])
            for base, tag in variants:
                if tag:
                    add(base, i, tag)
                if time_scale:
                    for factor in np.exp(rng.uniform(*np.log(time_scale), n_time_scales)):
                        add(_time_stretch(base, factor), i, f"{tag} x{factor:.2f}")
        return RepDataset(reps, labels, groups, {**self.metadata, "augmented": True}, sources)

    # -- persistence ----------------------------------------------------------------
    def save(self, path) -> Path:
        """Write the dataset to one file (JSON metadata + NumPy arrays, no pickle)."""
        lengths = np.array([len(rep) for rep in self.reps], dtype=np.int64)
        values = (np.concatenate([np.asarray(r) for r in self.reps]) if self.reps
                  else np.zeros((0, 0)))
        meta = {"channels": list(self.channels), "fps": [r.fps for r in self.reps],
                "metadata": self.metadata}
        return write_archive(path, "rep-dataset", _FORMAT, meta,
                             {"values": values, "lengths": lengths, "labels": self.labels,
                              "groups": self.groups, "sources": self.sources})

    @classmethod
    def load(cls, path) -> "RepDataset":
        """Read a file written by :meth:`save`.

        Raises
        ------
        ModelFileError
            Missing, corrupt, truncated or newer-format file.
        """
        meta, arrays = read_archive(path, "rep-dataset", _FORMAT)
        try:
            return cls._from_file(meta, arrays, path)
        except ModelFileError as exc:
            raise ModelFileError(f"{path}: {exc}") from None

    @classmethod
    def _from_file(cls, meta, arrays, path) -> "RepDataset":
        channels, fps, metadata = meta.get("channels"), meta.get("fps"), meta.get("metadata")
        if not (isinstance(channels, list) and all(isinstance(c, str) for c in channels)):
            raise ModelFileError(f"channels must be a list of names, got {str(channels)[:200]}")
        if not isinstance(metadata, dict):
            raise ModelFileError(f"metadata must be a JSON object, got {type(metadata).__name__}")
        try:
            settings = check_feature_settings(metadata.get("feature_settings") or {})
        except InputError as exc:
            raise ModelFileError(str(exc)) from None
        lengths = take_array(arrays, "lengths", (None,), kind="int", positive=True)
        n_reps = len(lengths)
        if not (isinstance(fps, list) and len(fps) == n_reps and all(
                isinstance(f, (int, float)) and not isinstance(f, bool) and 0 < f < np.inf
                for f in fps)):
            raise ModelFileError(f"fps must be {n_reps} positive numbers, one per rep")
        shape = (int(lengths.sum()), len(channels)) if n_reps else (None, None)
        values = take_array(arrays, "values", shape)
        labels, groups, sources = (take_array(arrays, name, (n_reps,), kind="text")
                                   for name in ("labels", "groups", "sources"))
        if arrays:
            raise ModelFileError(f"unexpected arrays {sorted(arrays)}")
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        reps = [AngleSeries(values[a:b], channels, f, source=str(path),
                            geometry=settings.get("geometry"))
                for a, b, f in zip(bounds[:-1], bounds[1:], fps)]
        if settings.get("geometry") == "3d":   # a file saved before 3-D heights could move
            metadata = {**metadata, "feature_settings": recorded_settings(
                settings, saved_before_heights=True)}
        return cls(reps, labels, groups, metadata, sources)

    # -- construction from recordings ------------------------------------------------
    @classmethod
    def from_recordings(cls, recordings, exercise, *, fps=None, layout=None,
                        whole_if_no_rep=False, metadata=None, progress=False,
                        **feature_settings) -> "RepDataset":
        """Cut labelled recordings into reps: the one way recordings become a dataset.

        Every recording is turned into joint angles with ``feature_settings``
        and cut into reps (:func:`~formcheck.reps.cut_recording`), or, when it
        gives ``frames``, sliced to that one labelled rep. Each rep takes its
        recording's label and group; its source is ``"<name>[start:end]"``, in
        the frames of the angle series. The exercise and the feature settings
        are recorded in ``metadata``, so a classifier fitted on the dataset
        remembers them and :class:`~formcheck.FormChecker` computes its angles
        as in training.

        Parameters
        ----------
        recordings : iterable of Recording
        exercise : str or Exercise
        fps, layout : optional
            Passed to :func:`~formcheck.pose.load_pose` for recordings given as files.
        whole_if_no_rep : bool
            Keep a recording in which no rep is found as one rep spanning all of it.
        metadata : dict, optional
            More to record beside ``"exercise"`` and ``"feature_settings"``.
        progress : bool
            Show a progress bar (tqdm).
        **feature_settings
            Passed to :func:`~formcheck.joint_angles` (``smooth``, ``target_fps``,
            ``min_visibility``, ``max_missing``).

        Returns
        -------
        RepDataset
            Reps in the order of the recordings, each recording's in time order.

        Raises
        ------
        DatasetError
            A file is missing, or a recording's ``frames`` are outside it.

        Examples
        --------
        >>> from formcheck.datasets.rep_dataset import Recording, RepDataset
        >>> from formcheck.datasets.synthetic import make_set
        >>> pose = make_set("squat", n_reps=3, seed=1)
        >>> ds = RepDataset.from_recordings(
        ...     [Recording(pose, "squat/correct", "me", "set1")], "squat", target_fps=15)
        >>> len(ds), ds.metadata
        (3, {'exercise': 'squat', 'feature_settings': {'target_fps': 15, 'geometry': '2d'}})
        """
        exercise = get_exercise(exercise)
        cutter = _RecordingCutter(exercise, fps, layout, feature_settings)
        reps, labels, groups, sources, without = [], [], [], [], {}
        for recording in progress_bar(recordings, progress, unit="recording"):
            spans = cutter.spans(recording, whole_if_no_rep)
            if not spans:
                without[recording.name] = cutter.no_rep_reason(recording)
            for start, end, rep in spans:
                reps.append(rep)
                labels.append(recording.label)
                groups.append(recording.group)
                sources.append(f"{recording.name}[{start}:{end}]")
        recorded = {**(metadata or {}), "exercise": exercise.name,
                    "feature_settings": dict(feature_settings)}
        if without:
            recorded["files_without_reps"] = without
        return cls(reps, labels, groups, recorded, sources)

    @classmethod
    def from_folders(cls, root, exercise, *, fps=None, layout=None, progress=False,
                     **feature_settings) -> "RepDataset":
        """Build a dataset from ``root/<label>/<file>``: every rep of a file gets its folder's label.

        Files may be videos (pose is extracted with MediaPipe, needs the
        ``video`` extra) or keypoint files readable by :func:`formcheck.load_keypoints`.
        The label is ``"<exercise>/<folder name>"`` and the group is the file.
        ``feature_settings`` go to :meth:`from_recordings`.
        A file in which no rep is found adds none; it is listed, with the
        reason (see :func:`~formcheck.reps.no_rep_reason`), in
        ``metadata["files_without_reps"]`` (``"<label>/<file>"`` -> reason).

        Raises
        ------
        DatasetError
            ``root`` is missing or holds no labelled files, or no file holds a rep.
        """
        exercise = get_exercise(exercise)
        root = Path(root)
        if not root.is_dir():
            raise DatasetError(f"{root}: not a folder of labelled sub-folders")
        recordings = [Recording(path, _known_label(exercise, folder.name, folder), path.name,
                                f"{folder.name}/{path.name}")
                      for folder in sorted(root.iterdir()) if folder.is_dir()
                      for path in sorted(folder.iterdir())
                      if path.is_file() and not path.name.startswith(".")]
        if not recordings:
            raise DatasetError(f"{root}: no files in labelled sub-folders (root/<label>/<file>)")
        dataset = cls.from_recordings(recordings, exercise, fps=fps, layout=layout,
                                      progress=progress, **feature_settings)
        if not len(dataset):
            listed = "".join(f"\n  {name}: {why}"
                             for name, why in dataset.metadata["files_without_reps"].items())
            raise DatasetError(f"{root}: no reps were found in any file:{listed}")
        return dataset

    @classmethod
    def from_annotations(cls, csv_path, exercise, *, root=None, fps=None, layout=None,
                         progress=False, **feature_settings) -> "RepDataset":
        """Build a dataset from an annotation CSV with columns ``file,start,end,label``.

        ``start`` and ``end`` are frame numbers (end exclusive) in the file's
        pose sequence; ``file`` is relative to ``root`` (default: the CSV's
        folder). Rows with an empty label are skipped. ``feature_settings`` go
        to :meth:`from_recordings`; with ``target_fps`` the frame numbers are
        converted to the resampled frames.

        Raises
        ------
        DatasetError
            Missing columns, bad frame numbers, or a file that cannot be read.
        """
        exercise = get_exercise(exercise)
        csv_path = Path(csv_path)
        root = Path(root) if root is not None else csv_path.parent
        recordings = [Recording(root / row["file"],
                                _known_label(exercise, row["label"], f"{csv_path} ({row['file']})"),
                                row["file"], row["file"], _frame_range(row, csv_path))
                      for row in _read_annotations(csv_path)]
        if not recordings:
            raise DatasetError(f"{csv_path}: no labelled rows")
        try:
            return cls.from_recordings(recordings, exercise, fps=fps, layout=layout,
                                       progress=progress, **feature_settings)
        except DatasetError as exc:
            raise DatasetError(f"{csv_path}: {exc}") from None

    @classmethod
    def from_source(cls, path, exercise=None, *, progress=False,
                    **feature_settings) -> "RepDataset":
        """A dataset from a labelled folder, an annotation CSV or a saved dataset file.

        A folder is read by :meth:`from_folders`, a ``.csv`` file by
        :meth:`from_annotations`, a file written by :meth:`save` by
        :meth:`load`.

        Parameters
        ----------
        path : str or os.PathLike
        exercise : str or Exercise, optional
            Needed for a folder or a CSV; for a saved dataset, checked against
            the exercise it records.
        progress : bool
            Show a progress bar while cutting recordings.
        **feature_settings
            For a folder or a CSV, passed to :meth:`from_recordings`; for a
            saved dataset, checked against the settings it was built with.

        Raises
        ------
        DatasetError
            ``path`` does not exist or is none of these kinds of source, or a
            saved dataset records another exercise or other feature settings.
        ExerciseError
            No exercise for a folder or a CSV.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from formcheck.datasets.rep_dataset import RepDataset
        >>> from formcheck.datasets.synthetic import make_dataset
        >>> path = make_dataset("push-up", n_subjects=2).save(
        ...     pathlib.Path(tempfile.mkdtemp()) / "reps.fcd")
        >>> len(RepDataset.from_source(path, "push-up"))
        16
        """
        path = Path(path)
        if path.is_dir() or (path.suffix.lower() == ".csv" and path.is_file()):
            if exercise is None:
                raise ExerciseError(f"{path}: the exercise is needed to read a labelled folder "
                                    "or an annotation CSV")
            read = cls.from_folders if path.is_dir() else cls.from_annotations
            return read(path, exercise, progress=progress, **feature_settings)
        if is_archive(path):
            return _checked(cls.load(path), path, exercise, feature_settings)
        if path.exists():
            raise DatasetError(f"{path}: not a source of reps; expected a folder of labelled "
                               "sub-folders (root/<label>/<file>), an annotation CSV (.csv) or "
                               "a dataset saved by RepDataset.save")
        raise DatasetError(f"{path}: no such file or folder")


@dataclass(frozen=True)
class Recording:
    """One labelled recording for :meth:`RepDataset.from_recordings`.

    Attributes
    ----------
    pose : PoseSequence or str or os.PathLike
        The pose sequence, or a video or keypoint file to read it from
        (:func:`~formcheck.pose.load_pose`).
    label : str
        Class label of its reps, e.g. ``"squat/correct"``.
    group : str
        The video or subject, for leakage-free splits.
    name : str
        How the reps' sources name it: ``"<name>[start:end]"``.
    frames : (int, int), optional
        The recording holds one labelled rep, from frame ``start`` to ``end``
        (exclusive) of the pose sequence. Default: cut it into reps.
    """

    pose: PoseSequence | str | Path
    label: str
    group: str
    name: str
    frames: tuple | None = None


class _RecordingCutter:
    """The reps of recordings, each recording read and turned into angles once."""

    def __init__(self, exercise, fps, layout, feature_settings):
        self.exercise, self.fps, self.layout = exercise, fps, layout
        self.feature_settings = feature_settings
        self._cut = {}

    def spans(self, recording, whole_if_no_rep) -> list:
        """``(start, end, AngleSeries)`` of every rep, in the frames of the angle series."""
        pose_frames, pose_fps, angles, reps, _ = self._cut_once(recording.pose)
        if recording.frames is not None:
            start, end = _series_frames(recording, pose_frames, angles.fps / pose_fps,
                                        len(angles))
            return [(start, end, angles.slice(start, end))]
        if not reps and whole_if_no_rep:
            return [(0, len(angles), angles)]
        return [(rep.start, rep.end, rep.angles) for rep in reps]

    def no_rep_reason(self, recording) -> str:
        """Why no rep was found in ``recording`` (see :func:`~formcheck.reps.no_rep_reason`)."""
        return self._cut_once(recording.pose)[4]

    def _cut_once(self, pose):
        key = pose if isinstance(pose, PoseSequence) else Path(pose)
        if key not in self._cut:
            if not isinstance(pose, PoseSequence):
                pose = _load_pose(key, self.fps, self.layout)
            angles, reps = cut_recording(pose, self.exercise, **self.feature_settings)
            why = "" if reps else no_rep_reason(angles, self.exercise, pose=pose)
            self._cut[key] = pose.n_frames, pose.fps, angles, reps, why
        return self._cut[key]


def _series_frames(recording, n_frames, scale, length):
    """A recording's labelled frame range, checked, in the frames of its angle series."""
    start, end = recording.frames
    if not 0 <= start < end <= n_frames:
        raise DatasetError(f"frames {start}:{end} are outside {recording.name} "
                           f"({n_frames} frames)")
    first = min(int(round(start * scale)), length - 1)
    return first, min(max(int(round(end * scale)), first + 1), length)


def _checked(dataset, path, exercise, feature_settings):
    """A saved dataset, after checking it records ``exercise`` and ``feature_settings``."""
    recorded = dataset.metadata.get("exercise")
    wanted = get_exercise(exercise).name if exercise is not None else recorded
    if recorded is not None and wanted != recorded:
        raise DatasetError(f"{path}: holds {recorded!r} reps, not {wanted!r}")
    settings = dataset.metadata.get("feature_settings") or {}
    asked = {key: value for key, value in feature_settings.items()
             if not (key == "geometry" and value == "auto")}
    if any(settings.get(key) != value for key, value in asked.items()):
        raise DatasetError(f"{path}: its reps were computed with feature settings {settings}; "
                           f"a saved dataset cannot be recomputed with {feature_settings}")
    return dataset


def _with_geometry(metadata: dict, reps) -> dict:
    """``metadata`` with ``feature_settings["geometry"]`` set from the reps' angles (and for
    3-D the default ``"vertical"`` and ``"heights"``, unless given).

    Raises
    ------
    DatasetError
        The reps mix 3-D and 2-D angles, or the metadata names another geometry.
    """
    found = {rep.geometry for rep in reps} - {None}
    if len(found) > 1:
        raise DatasetError(
            "the reps mix joint angles measured in 3-D (videos, 3-D keypoints) and in 2-D "
            "(image keypoints); measure them all one way, e.g. with geometry='2d'")
    if not found:
        return metadata
    settings = dict(metadata.get("feature_settings") or {})
    recorded, geometry = settings.get("geometry", "auto"), found.pop()
    if recorded not in ("auto", geometry):
        raise DatasetError(f"the metadata says the angles are {recorded} but the reps were "
                           f"measured in {geometry}")
    settings["geometry"] = geometry
    if geometry == "3d":
        settings.setdefault("vertical", "body")
        settings.setdefault("heights", "side-image")
    return {**metadata, "feature_settings": settings}


def _check_channels(reps):
    for rep in reps:
        if not isinstance(rep, AngleSeries):
            raise InputError(f"RepDataset reps must be AngleSeries, got {type(rep).__name__}")
        if rep.channels != reps[0].channels:
            raise ChannelMismatchError(
                f"all reps need the same channels; got {reps[0].channels} and {rep.channels}")


def _time_stretch(rep: AngleSeries, factor: float) -> AngleSeries:
    values = resample(np.asarray(rep), max(2, int(round(len(rep) * factor))))
    return AngleSeries(values, rep.channels, rep.fps, rep.source, rep.geometry)


def _load_pose(path: Path, fps, layout):
    if not path.exists():
        raise DatasetError(f"{path}: no such file")
    return load_pose(path, fps=fps, layout=layout)


def _read_annotations(csv_path: Path) -> list:
    """The labelled rows of an annotation CSV (UTF-8, with or without a BOM; any line ends)."""
    text = read_annotation_text(csv_path).removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=_EXTRA_CELLS)
    try:
        missing = {"file", "start", "end", "label"} - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(f"{csv_path}: missing columns {sorted(missing)} "
                               "(expected file,start,end,label)")
        rows = [_annotation_row(row, csv_path, reader.line_num) for row in reader]
    except csv.Error as exc:
        raise DatasetError(f"{csv_path}: not a readable CSV ({exc})") from None
    return [row for row in rows if row["label"].strip()]


_EXTRA_CELLS = object()


def _annotation_row(row, csv_path, line) -> dict:
    """One row with its cells unescaped (see :func:`formcheck._files.escape_formula`)."""
    if None in row.values() or any(row.get(_EXTRA_CELLS, ())):
        raise DatasetError(f"{csv_path}: line {line} does not have one cell per column")
    return {name: unescape_formula(cell) for name, cell in row.items() if name is not _EXTRA_CELLS}


def _known_label(exercise, label, where) -> str:
    """``label`` with its exercise prefix, when it is one of the exercise's classes."""
    full = exercise.full_label(label.strip())
    if full not in exercise.classes:
        raise DatasetError(
            f"{where}: {label!r} is not a class of {exercise.name}; its classes are "
            f"{', '.join(exercise.labels)}. To train another class, add it to the exercise "
            f"first: formcheck exercise add-fault {exercise.name} NAME \"what it is\"")
    return full


def _frame_range(row, csv_path):
    try:
        return int(row["start"]), int(row["end"])
    except ValueError:
        raise DatasetError(f"{csv_path}: start/end must be frame numbers, got "
                           f"{row['start']!r}, {row['end']!r} for {row['file']}") from None
