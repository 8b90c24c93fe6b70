"""RepDataset: labelled reps, the input of every classifier.

A dataset holds one :class:`~formcheck.AngleSeries` per rep, its label, and its
*group* (the source video or the subject), so that cross-validation can keep
all reps of one video on the same side of a split. It is built from either of
Create ML's two layouts (labelled folders, or an annotation CSV), or from
synthetic data, and saved as a JSON + NumPy archive (no pickle).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import numpy as np

from .._archive import read_archive, take_array, write_archive
from .._files import unescape_formula
from .._progress import progress as progress_bar
from ..errors import (ChannelMismatchError, DatasetError, DependencyError, InputError,
                      ModelFileError)
from ..features.angles import AngleSeries, joint_angles, resample
from ..pose.load import load_pose
from ..reps import segment_reps

__all__ = ["RepDataset"]

_FORMAT = 1


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
        self.metadata = dict(metadata or {})
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

    # -- combination and augmentation ----------------------------------------------
    def concat(self, other: "RepDataset") -> "RepDataset":
        """Both datasets' reps in one (channels must match)."""
        return RepDataset(self.reps + other.reps,
                          np.concatenate([self.labels, other.labels]),
                          np.concatenate([self.groups, other.groups]),
                          {**other.metadata, **self.metadata},
                          np.concatenate([self.sources, other.sources]))

    def augment(self, *, mirror=True, time_scale=(0.8, 1.25), n_time_scales=2, seed=0):
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
        reps = [AngleSeries(values[a:b], channels, f, source=str(path))
                for a, b, f in zip(bounds[:-1], bounds[1:], fps)]
        return cls(reps, labels, groups, metadata, sources)

    # -- construction from files ------------------------------------------------------
    @classmethod
    def from_folders(cls, root, exercise, *, fps=None, layout=None, progress=False,
                     **angle_options) -> "RepDataset":
        """Build a dataset from ``root/<label>/<file>``: every rep of a file gets its folder's label.

        Files may be videos (pose is extracted with MediaPipe, needs the
        ``video`` extra) or keypoint files readable by :func:`formcheck.load_keypoints`.
        The label is ``"<exercise>/<folder name>"`` and the group is the file.

        Raises
        ------
        DatasetError
            ``root`` is missing or holds no labelled files.
        """
        from ..features.exercises import get_exercise

        exercise = get_exercise(exercise)
        root = Path(root)
        if not root.is_dir():
            raise DatasetError(f"{root}: not a folder of labelled sub-folders")
        files = [(folder.name, path) for folder in sorted(root.iterdir()) if folder.is_dir()
                 for path in sorted(folder.iterdir()) if path.is_file()
                 and not path.name.startswith(".")]
        if not files:
            raise DatasetError(f"{root}: no files in labelled sub-folders (root/<label>/<file>)")
        labels = {label: _known_label(exercise, label, root / label) for label, _ in files}
        parts = [_reps_of_file(path, exercise, labels[label], fps, layout,
                               angle_options) for label, path in progress_bar(files, progress, unit="file")]
        return _merge(parts, exercise, root)

    @classmethod
    def from_annotations(cls, csv_path, exercise, *, root=None, fps=None, layout=None,
                         progress=False, **angle_options) -> "RepDataset":
        """Build a dataset from an annotation CSV with columns ``file,start,end,label``.

        ``start`` and ``end`` are frame numbers (end exclusive) in the file's
        pose sequence; ``file`` is relative to ``root`` (default: the CSV's
        folder). Rows with an empty label are skipped.

        Raises
        ------
        DatasetError
            Missing columns, bad frame numbers, or a file that cannot be read.
        """
        from ..features.exercises import get_exercise

        exercise = get_exercise(exercise)
        csv_path = Path(csv_path)
        root = Path(root) if root is not None else csv_path.parent
        rows = _read_annotations(csv_path)
        for row in rows:
            row["label"] = _known_label(exercise, row["label"], f"{csv_path} ({row['file']})")
        series_cache, reps, labels, groups, sources = {}, [], [], [], []
        for row in progress_bar(rows, progress, unit="file"):
            path = root / row["file"]
            if path not in series_cache:
                pose = _load_pose(path, fps, layout)
                series_cache[path] = joint_angles(pose, exercise=exercise, **angle_options)
            series = series_cache[path]
            start, end = _frame_range(row, len(series), csv_path)
            reps.append(series.slice(start, end))
            labels.append(row["label"])
            groups.append(row["file"])
            sources.append(f"{row['file']}[{start}:{end}]")
        if not reps:
            raise DatasetError(f"{csv_path}: no labelled rows")
        return cls(reps, labels, groups, {"exercise": exercise.name}, sources)


def _check_channels(reps):
    for rep in reps:
        if not isinstance(rep, AngleSeries):
            raise InputError(f"RepDataset reps must be AngleSeries, got {type(rep).__name__}")
        if rep.channels != reps[0].channels:
            raise ChannelMismatchError(
                f"all reps need the same channels; got {reps[0].channels} and {rep.channels}")


def _time_stretch(rep: AngleSeries, factor: float) -> AngleSeries:
    values = resample(np.asarray(rep), max(2, int(round(len(rep) * factor))))
    return AngleSeries(values, rep.channels, rep.fps, rep.source)


def _load_pose(path: Path, fps, layout):
    if not path.exists():
        raise DatasetError(f"{path}: no such file")
    return load_pose(path, fps=fps, layout=layout)


def _reps_of_file(path, exercise, label, fps, layout, angle_options):
    series = joint_angles(_load_pose(path, fps, layout), exercise=exercise, **angle_options)
    reps = segment_reps(series, exercise)
    return ([r.angles for r in reps], [label] * len(reps), [path.name] * len(reps),
            [f"{path.name}[{r.start}:{r.end}]" for r in reps])


def _merge(parts, exercise, root) -> RepDataset:
    reps, labels, groups, sources = ([x for part in parts for x in part[k]] for k in range(4))
    if not reps:
        raise DatasetError(f"{root}: no reps were found in any file")
    return RepDataset(reps, labels, groups, {"exercise": exercise.name}, sources)


def _read_annotations(csv_path: Path) -> list:
    """The labelled rows of an annotation CSV (UTF-8, with or without a BOM; any line ends)."""
    try:
        text = csv_path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError(f"{csv_path}: not UTF-8 text; save it as a UTF-8 CSV") from None
    except OSError as exc:
        raise DatasetError(f"{csv_path}: cannot read annotations: {exc.strerror or exc}") from None
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
            f"{', '.join(exercise.labels)}. To train another class, add it to the exercise's "
            "classes first (register_exercise, or a JSON file named in FORMCHECK_EXERCISES)")
    return full


def _frame_range(row, n_frames, csv_path):
    try:
        start, end = int(row["start"]), int(row["end"])
    except ValueError:
        raise DatasetError(f"{csv_path}: start/end must be frame numbers, got "
                           f"{row['start']!r}, {row['end']!r} for {row['file']}") from None
    if not 0 <= start < end <= n_frames:
        raise DatasetError(f"{csv_path}: frames {start}:{end} are outside {row['file']} "
                           f"({n_frames} frames)")
    return start, end
