"""Keypoints written by other pose estimators, read as a :class:`PoseSequence`.

:func:`load_keypoints` reads, by file type:

==========================  ===================================================================
``folder/`` of ``*.json``   OpenPose: one ``*_keypoints.json`` per frame, ``people[i].pose_keypoints_2d``
                            (BODY_25 or COCO-18, told apart by the count 25/18); pixels.
``.json``                   A single OpenPose frame, or MediaPipe landmarks: a list of frames, each
                            a list of 33 ``{"x", "y", "z", "visibility"}`` dicts, or ``null`` / ``[]``
                            when nobody was found (``{"keypoints": [...]}`` per frame also works).
``.csv``                    MediaPipe landmarks, *long*: header ``frame,joint,x,y,z,visibility``
                            (``joint`` an index or a layout joint name), one row per joint and frame;
                            or *wide*, as the MediaPipe tutorials write: ``x0,y0,z0,v0,...`` (or
                            ``x1 ... v33``, ``visibility0``, ``nose_x``), one row per frame, other
                            columns such as ``class`` ignored.
``.npy`` / ``.npz``         An array ``(T, J, C)`` (or ``(T, P, J, C)`` with P people per frame), with
                            C = 2, 3 or 4 columns; ``.npz``: the only array or ``key=``. COCO-17
                            from YOLO-pose (x, y, conf) or MoveNet (**y, x**, score: pass
                            ``format="movenet"`` or ``columns="yxv"``), COCO-18 / BODY_25 from
                            OpenPose, MediaPipe ``(T, 33, 4)``. A ``world_landmarks`` array
                            ``(T, J, 3)`` beside it in an ``.npz`` (metres, x right, y down, z away
                            from the camera: MediaPipe's world landmarks as
                            :meth:`PoseSequence.save` writes them, or any 3-D skeleton) makes the
                            pose 3-D, and joint angles are then measured in space.
==========================  ===================================================================

The layout is inferred from the number of joints when not given (33 ->
``mediapipe33``, 25 -> ``body25``, 18 -> ``coco18``, 17 -> ``coco17``).
A joint with confidence 0, as OpenPose, YOLO and MoveNet write for joints
they did not find, becomes NaN, not a point in the image corner.
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from pathlib import Path

import numpy as np

from .._archive import read_npy, read_npz
from ..errors import FormcheckWarning, InputError, LayoutError
from .skeleton import get_layout
from .sequence import PoseSequence

__all__ = ["load_keypoints", "read_openpose", "read_mediapipe_json", "read_mediapipe_csv",
           "read_array", "infer_layout", "DEFAULT_FPS", "FORMATS", "MAX_FRAMES", "MAX_JOINTS",
           "MAX_RATIO"]

#: Frame rate assumed when the file does not store one (pass ``fps=`` to override).
DEFAULT_FPS = 30.0
#: Layout guessed from the number of joints.
LAYOUT_BY_JOINTS = {33: "mediapipe33", 25: "body25", 18: "coco18", 17: "coco17"}
#: Accepted values of ``format``.
FORMATS = ("openpose", "mediapipe-json", "mediapipe-csv", "array", "movenet", "yolo")
_COLUMNS = ("xy", "xyv", "xyz", "xyzv", "yx", "yxv")
#: Most frames a keypoint file may hold (4.8 hours at 60 fps).
MAX_FRAMES = 2**20
#: Most joints per frame.
MAX_JOINTS = 256
#: Beyond 64 MiB, the landmarks read from a text file may take at most this times its size
#: (a real file takes less than its size; only a file of mostly empty frames takes more).
MAX_RATIO = 16
_MIN_LANDMARK_BYTES = 64 * 2**20
_LANDMARK_BYTES = 16                    # x, y, z, visibility in float32, per joint and frame


def load_keypoints(path, layout=None, *, fps=None, format=None, columns=None, key=None,
                   image_size=None, units=None, person="confident") -> PoseSequence:
    """Read keypoints from a file or folder written by a pose estimator.

    Parameters
    ----------
    path : str or os.PathLike
        File or (for OpenPose) folder; see the module docstring for the formats.
    layout : str, optional
        Keypoint layout; inferred from the number of joints when omitted.
    fps : float, optional
        Frame rate. Default: the ``fps`` stored in the file (a JSON ``"fps"``
        field or an ``fps`` array in an ``.npz``), else :data:`DEFAULT_FPS` (30),
        with a :class:`~formcheck.errors.FormcheckWarning` saying so.
    format : {"openpose", "mediapipe-json", "mediapipe-csv", "array", "movenet", "yolo"}, optional
        Default: from the file type. ``"movenet"`` is an array in MoveNet's
        (y, x, score) order with normalised coordinates; ``"yolo"`` an array
        in (x, y, conf) order (YOLO-pose ``keypoints.data``).
    columns : {"xy", "xyv", "xyz", "xyzv", "yx", "yxv"}, optional
        Meaning of the last axis of an array (default by its length: 2 -> xy,
        3 -> xyv, 4 -> xyzv). ``"yx..."`` swaps MoveNet's order.
    key : str, optional
        Which array of an ``.npz`` holding several.
    image_size : tuple (width, height), optional
        Size of the source images, when known.
    units : {"normalized", "pixels"}, optional
        Default: guessed from the values (OpenPose: pixels; MediaPipe and
        MoveNet: normalized).
    person : {"confident", "largest"} or int
        Which person to keep in frames with several (OpenPose JSON, or arrays
        ``(T, P, J, C)``): the highest summed confidence, the largest bounding
        box of found joints, or a fixed index.

    Returns
    -------
    PoseSequence
        ``source`` is ``str(path)``.

    Raises
    ------
    InputError
        The file or folder does not exist, or cannot be parsed as the format.
    LayoutError
        Unknown layout, or a joint count that matches no layout.
    PoseShapeError
        The array does not have the layout's number of joints.

    Examples
    --------
    A COCO-17 array from YOLO-pose (x, y, confidence in pixels):

    >>> import tempfile, pathlib, numpy as np
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> np.save(folder / "yolo.npy", np.random.rand(50, 17, 3) * 300 + 5)
    >>> load_keypoints(folder / "yolo.npy", fps=25)  # doctest: +ELLIPSIS
    PoseSequence(frames=50, joints=17, fps=25, layout='coco17', source='...yolo.npy')

    MoveNet writes y before x:

    >>> np.save(folder / "movenet.npy", np.random.rand(40, 1, 1, 17, 3))
    >>> load_keypoints(folder / "movenet.npy", format="movenet").units
    'normalized'
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: keypoint file not found")
    format = _check_format(format, path)
    if person not in ("confident", "largest") and not isinstance(person, (int, np.integer)):
        raise InputError(f"person must be 'confident', 'largest' or an index, got {person!r}")
    if format == "openpose":
        data, meta = read_openpose(path, person=person)
    elif format == "mediapipe-json":
        data, meta = read_mediapipe_json(path)
    elif format == "mediapipe-csv":
        data, meta = read_mediapipe_csv(path, layout=layout)
    else:
        data, meta = read_array(path, key=key, person=person,
                                columns=columns or _FORMAT_COLUMNS.get(format))
        if format == "movenet":
            meta.setdefault("units", "normalized")
    layout_name = layout or meta.get("layout") or infer_layout(data.shape[1], path)
    pose = PoseSequence.from_array(
        data, fps=fps if fps is not None else meta.get("fps", DEFAULT_FPS), layout=layout_name,
        columns=meta.get("columns"), image_size=image_size or meta.get("image_size"),
        units=units or meta.get("units"), source=str(path),
        world_landmarks=meta.get("world_landmarks"))
    if fps is None and "fps" not in meta:      # said once the file is known to be readable
        warnings.warn(f"{path}: the file stores no frame rate, so {DEFAULT_FPS:g} fps is assumed "
                      "(rep durations and resampling depend on it: store an 'fps' in the file, or "
                      "pass fps=, formcheck predict --fps)", FormcheckWarning, stacklevel=2)
    return pose


_FORMAT_COLUMNS = {"movenet": "yxv", "yolo": "xyv"}


def _check_format(format, path: Path) -> str:
    if format is not None:
        if format not in FORMATS:
            raise InputError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
        return format
    if path.is_dir():
        return "openpose"
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "openpose" if _is_openpose_frame(_read_json(path)) else "mediapipe-json"
    if suffix == ".csv":
        return "mediapipe-csv"
    if suffix in (".npy", ".npz"):
        return "array"
    raise InputError(f"{path}: cannot tell the keypoint format from the extension {suffix!r}; "
                     "expected a folder of OpenPose JSON, .json, .csv, .npy or .npz "
                     "(or pass format=...)")


def infer_layout(n_joints, source=None) -> str:
    """Layout name for a joint count: 33, 25, 18 or 17.

    Raises
    ------
    LayoutError
        Any other count; pass ``layout=`` (after
        :func:`~formcheck.pose.skeleton.register_layout` for a new one).

    Examples
    --------
    >>> infer_layout(17)
    'coco17'
    """
    try:
        return LAYOUT_BY_JOINTS[int(n_joints)]
    except KeyError:
        where = f"{source}: " if source else ""
        raise LayoutError(
            f"{where}cannot infer the keypoint layout of {n_joints} joints (known counts: "
            + ", ".join(f"{n} -> {name}" for n, name in LAYOUT_BY_JOINTS.items())
            + "); pass layout=...") from None


def _check_size(path, n_frames, n_joints):
    """Refuse, before allocating, a file that would make formcheck hold too many landmarks."""
    if n_frames > MAX_FRAMES:
        raise InputError(f"{path}: {n_frames} frames; at most {MAX_FRAMES} are read")
    if n_joints > MAX_JOINTS:
        raise InputError(f"{path}: {n_joints} joints per frame; at most {MAX_JOINTS} are read")
    needed = n_frames * n_joints * _LANDMARK_BYTES
    file_bytes = Path(path).stat().st_size
    if needed > max(_MIN_LANDMARK_BYTES, MAX_RATIO * file_bytes):
        raise InputError(f"{path}: {n_frames} frames of {n_joints} joints would take {needed} "
                         f"bytes, more than {MAX_RATIO} times the {file_bytes}-byte file "
                         "(frames or joints numbered far beyond the data)")


# -- JSON ------------------------------------------------------------------------------------

def _read_json(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except RecursionError:
        raise InputError(f"{path}: not valid JSON (nested too deeply)") from None
    except (OSError, ValueError) as exc:       # ValueError: also bad UTF-8, too many digits
        raise InputError(f"{path}: not valid JSON ({exc})") from None


def _is_openpose_frame(document) -> bool:
    return isinstance(document, dict) and "people" in document


def read_openpose(path, *, person="confident"):
    """OpenPose JSON: a folder of per-frame files, or one file (one frame).

    Parameters
    ----------
    path : str or os.PathLike
        Folder of ``*_keypoints.json`` (sorted by the frame number in the
        name), or a single JSON file.
    person : {"confident", "largest"} or int
        Which of several people to keep in each frame.

    Returns
    -------
    array : numpy.ndarray, shape (T, J, 3)
        x, y in pixels and confidence; a frame without people is all zeros
        (confidence 0, so it becomes NaN).
    meta : dict
        ``layout`` (``"body25"`` or ``"coco18"``), ``columns``, ``units``.

    Raises
    ------
    InputError
        No JSON files, unreadable JSON, a file that is not OpenPose output.
    LayoutError
        A keypoint count other than 25 or 18.
    """
    path = Path(path)
    files = [path] if path.is_file() else _frame_files(path)
    if len(files) > MAX_FRAMES:
        raise InputError(f"{path}: {len(files)} frame files; at most {MAX_FRAMES} are read")
    frames, n_joints = [], None
    for file in files:
        document = _read_json(file)
        if not _is_openpose_frame(document) or not isinstance(document["people"],
                                                              (list, type(None))):
            raise InputError(f"{file}: not an OpenPose keypoint file (no 'people' list)")
        people = [flat.reshape(-1, 3) for flat in
                  (_openpose_keypoints(entry, file) for entry in document["people"] or [])
                  if flat.size]
        if people:
            count = people[0].shape[0]
            if count not in (25, 18) or any(p.shape[0] != count for p in people):
                raise LayoutError(f"{file}: {count} keypoints per person; OpenPose BODY_25 has "
                                  "25 and COCO has 18")
            if n_joints not in (None, count):
                raise LayoutError(f"{file}: {count} keypoints, earlier frames had {n_joints}")
            n_joints = count
            chosen = _choose_person(np.stack(people), person, file)
            frames.append(None if chosen is None else people[chosen])
        else:
            frames.append(None)
    if n_joints is None:
        raise InputError(f"{path}: no person in any OpenPose frame")
    empty = np.zeros((n_joints, 3), np.float32)
    array = np.stack([empty if frame is None else frame for frame in frames])
    return array, {"layout": "body25" if n_joints == 25 else "coco18", "columns": "xyv",
                   "units": "pixels"}


def _openpose_keypoints(entry, file) -> np.ndarray:
    """The flat ``pose_keypoints_2d`` list of one OpenPose person, checked."""
    flat = entry.get("pose_keypoints_2d") if isinstance(entry, dict) else None
    try:
        flat = np.asarray(flat or [], dtype=np.float32)
    except (TypeError, ValueError):
        flat = None
    if flat is None or flat.ndim != 1 or not isinstance(entry, dict):
        raise InputError(f"{file}: every person must be an object with a flat list "
                         "pose_keypoints_2d of numbers (x, y, confidence, ...)")
    if flat.size % 3:
        raise InputError(f"{file}: pose_keypoints_2d length {flat.size} is not a "
                         "multiple of 3 (x, y, confidence)")
    return flat


def _frame_files(folder: Path) -> list:
    files = sorted(folder.glob("*_keypoints.json")) or sorted(folder.glob("*.json"))
    if not files:
        raise InputError(f"{folder}: no OpenPose *_keypoints.json files in this folder")
    return sorted(files, key=_frame_number)


def _frame_number(file: Path):
    numbers = re.findall(r"\d+", file.name)
    return (int(numbers[-1]) if numbers else -1, file.name)


def _choose_person(people, person, source):
    """Index of the person to keep among ``people`` (P, J, C), last column = confidence.

    None when ``person`` is an index this frame does not have.
    """
    if isinstance(person, (int, np.integer)):
        return int(person) if -len(people) <= person < len(people) else None
    confidence = np.nan_to_num(people[..., -1]) if people.shape[-1] >= 3 \
        else np.isfinite(people[..., 0]).astype(float)
    if person == "largest":
        areas = []
        for xy, found in zip(people[..., :2], confidence > 0):
            points = xy[found & np.isfinite(xy).all(axis=-1)]
            areas.append(np.ptp(points[:, 0]) * np.ptp(points[:, 1]) if len(points) >= 2 else 0.0)
        return int(np.argmax(areas))
    return int(np.argmax(confidence.sum(axis=-1)))


def read_mediapipe_json(path):
    """MediaPipe landmarks saved as JSON.

    Accepted: a list of frames, or ``{"frames": [...], "fps": ..., "image_size": [w, h]}``.
    A frame is a list of 33 ``{"x", "y", "z", "visibility"}`` dicts (``z`` and
    ``visibility`` optional), ``{"keypoints": [...]}`` or ``{"landmarks": [...]}``
    around such a list, or ``null`` / ``[]`` when nobody was found.

    Returns
    -------
    array : numpy.ndarray, shape (T, J, 4)
        x, y, z, visibility; NaN rows for empty frames.
    meta : dict
        ``columns`` and, when stored, ``fps`` and ``image_size``.

    Raises
    ------
    InputError
        Not this structure, or frames with different numbers of landmarks.
    """
    document = _read_json(path)
    meta = {"columns": "xyzv"}
    if isinstance(document, dict):
        if "fps" in document:
            meta["fps"] = document["fps"]
        if "image_size" in document:
            meta["image_size"] = document["image_size"]
        document = document.get("frames")
    if not isinstance(document, list) or not document:
        raise InputError(f"{path}: expected a non-empty list of frames of MediaPipe landmarks")
    _check_size(path, len(document), 0)
    frames = [_json_frame(frame, path, k) for k, frame in enumerate(document)]
    counts = {len(frame) for frame in frames if frame is not None}
    if len(counts) > 1:
        raise InputError(f"{path}: frames have different numbers of landmarks {sorted(counts)}")
    if not counts:
        raise InputError(f"{path}: no landmarks in any frame")
    n_joints = counts.pop()
    _check_size(path, len(frames), n_joints)
    empty = np.full((n_joints, 4), np.nan, np.float32)
    array = np.stack([empty if frame is None else frame for frame in frames])
    array[np.isnan(array[..., 0]), 3] = 0.0
    return array, meta


def _json_frame(frame, path, index):
    if isinstance(frame, dict):
        frame = frame.get("keypoints", frame.get("landmarks"))
    if frame is None or (isinstance(frame, list) and not frame):
        return None
    if not isinstance(frame, list):
        raise InputError(f"{path}: frame {index} is not a list of landmarks")
    try:
        landmarks = np.array([(p["x"], p["y"], p.get("z", 0.0), p.get("visibility", 1.0))
                              for p in frame], dtype=np.float32)
    except (TypeError, KeyError, ValueError, AttributeError):
        landmarks = None
    if landmarks is None or landmarks.shape != (len(frame), 4):
        raise InputError(f"{path}: frame {index} is not a list of {{x, y, z, visibility}} "
                         "landmarks with numbers")
    return landmarks


# -- CSV -------------------------------------------------------------------------------------

_WIDE = re.compile(r"^(x|y|z|v|vis|visibility)_?(\d{1,9})$", re.ASCII)
_VALUE_COLUMNS = {"x": "x", "y": "y", "z": "z", "v": "v", "vis": "v", "visibility": "v"}


def read_mediapipe_csv(path, *, layout=None):
    """MediaPipe landmarks saved as CSV, long or wide.

    Long: a header with ``frame``, ``joint``, ``x``, ``y`` and optionally
    ``z``, ``visibility``; one row per frame and joint; ``joint`` is an index
    or a joint name of the layout (MediaPipe names by default, e.g.
    ``left_knee``). Frames with no rows are NaN.

    Wide (what the MediaPipe tutorials write): one row per frame with
    columns ``x0, y0, z0, v0, x1, ...`` (``x1 ... v33``, ``visibility0`` and
    ``<joint>_x`` names work too); any other column (``class``, ``frame``) is
    ignored, except that rows are sorted by ``frame`` when it is present.
    Empty cells are NaN.

    Returns
    -------
    array : numpy.ndarray, shape (T, J, C)
    meta : dict
        ``columns`` (``"xy"``, ``"xyv"``, ``"xyz"`` or ``"xyzv"``).

    Raises
    ------
    InputError
        No header, unknown columns, non-numeric values, an unknown joint.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read as CSV ({exc})") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise InputError(f"{path}: expected a header row and at least one data row")
    header = [name.strip().lower() for name in rows[0]]
    if "joint" in header:
        return _long_csv(path, header, rows[1:], layout)
    return _wide_csv(path, header, rows[1:], layout)


def _float(cell, path):
    cell = cell.strip()
    if not cell or cell.lower() in ("nan", "none", "null"):
        return np.nan
    try:
        return float(cell)
    except ValueError:
        raise InputError(f"{path}: {cell!r} is not a number") from None


def _long_csv(path, header, rows, layout):
    need = [name for name in ("frame", "joint", "x", "y") if name not in header]
    if need:
        raise InputError(f"{path}: long CSV lacks the column(s) {', '.join(need)}")
    values = [name for name in ("x", "y", "z", "visibility") if name in header]
    columns = "".join("v" if name == "visibility" else name for name in values)
    names = get_layout(layout or "mediapipe33").joint_names
    at = {name: header.index(name) for name in ("frame", "joint", *values)}
    records, by_name = [], layout is not None
    for number, row in enumerate(rows, start=2):
        _check_row_length(path, row, max(at.values()) + 1, number)
        frame = _float(row[at["frame"]], path)
        if not (np.isfinite(frame) and 0 <= frame < MAX_FRAMES and frame == int(frame)):
            raise InputError(f"{path}: frame {row[at['frame']]!r} is not a frame number "
                             f"(0 to {MAX_FRAMES - 1})")
        joint = row[at["joint"]].strip()
        if joint.isdecimal():
            joint_index = int(joint)
            if joint_index >= MAX_JOINTS:
                raise InputError(f"{path}: joint {joint_index}; at most {MAX_JOINTS} are read")
        elif joint.lower() in names:
            joint_index, by_name = names.index(joint.lower()), True
        else:
            raise InputError(f"{path}: unknown joint {joint!r} (an index or one of the "
                             f"{layout or 'mediapipe33'} names)")
        records.append((int(frame), joint_index, [_float(row[at[v]], path) for v in values]))
    n_frames = max(r[0] for r in records) + 1
    n_joints = len(names) if by_name else max(r[1] for r in records) + 1
    _check_size(path, n_frames, n_joints)
    array = np.full((n_frames, n_joints, len(values)), np.nan, np.float32)
    if "v" in columns:
        array[..., columns.index("v")] = 0.0
    for frame, joint, vals in records:
        if joint >= n_joints:
            raise InputError(f"{path}: joint {joint} out of range for {n_joints} joints")
        array[frame, joint] = vals
    return array, {"columns": columns}


def _wide_csv(path, header, rows, layout):
    slots, numbered = _wide_slots(header, layout)
    if not slots:
        raise InputError(f"{path}: no keypoint columns found; expected a long CSV with "
                         "frame,joint,x,y,z,visibility or wide columns x0,y0,z0,v0,...")
    kinds = sorted({kind for kind, _ in slots.values()}, key="xyzv".index)
    if "x" not in kinds or "y" not in kinds:
        raise InputError(f"{path}: wide CSV needs x and y columns")
    columns = "".join(kinds)
    joints = sorted({joint for _, joint in slots.values()})
    base = 1 if numbered and joints[0] == 1 else 0          # x1 ... v33: 1-based
    n_joints = len(get_layout(layout).joint_names) if layout else joints[-1] - base + 1
    if joints[-1] - base >= n_joints:
        raise InputError(f"{path}: a column names joint {joints[-1]}; layout {layout!r} has "
                         f"{n_joints} joints")
    _check_size(path, len(rows), n_joints)
    array = np.full((len(rows), n_joints, len(columns)), np.nan, np.float32)
    width = max(slots) + 1
    for r, row in enumerate(rows):
        _check_row_length(path, row, width, r + 2)
        for col, (kind, joint) in slots.items():
            array[r, joint - base, columns.index(kind)] = _float(row[col], path)
    if "frame" in header:
        frame_col = header.index("frame")
        for number, row in enumerate(rows, start=2):
            _check_row_length(path, row, frame_col + 1, number)
        order = np.argsort([_float(row[frame_col], path) for row in rows], kind="stable")
        array = array[order]
    return array, {"columns": columns}


def _check_row_length(path, row, needed, number):
    if len(row) < needed:
        raise InputError(f"{path}: row {number} has {len(row)} cells; the header needs "
                         f"{needed}")


def _wide_slots(header, layout):
    """Column index -> (kind in xyzv, joint index), and whether joints are numbered (x0) not named."""
    names = get_layout(layout or "mediapipe33").joint_names
    numbered, named = {}, {}
    for col, name in enumerate(header):
        match = _WIDE.match(name)
        if match:
            numbered[col] = (_VALUE_COLUMNS[match.group(1)], int(match.group(2)))
            continue
        joint, _, kind = name.rpartition("_")
        if joint in names and kind in _VALUE_COLUMNS:
            named[col] = (_VALUE_COLUMNS[kind], names.index(joint))
    return (numbered, True) if numbered else (named, False)


# -- arrays ----------------------------------------------------------------------------------

def read_array(path, *, key=None, columns=None, person="confident"):
    """A keypoint array from ``.npy`` or ``.npz`` (loaded without pickle).

    Shapes accepted: ``(T, J, C)``; ``(T, P, J, C)`` with several people per
    frame (one is chosen per frame, see ``person``); and MoveNet's raw
    ``(T, 1, 1, J, C)``, whose singleton axes are dropped.

    Parameters
    ----------
    key : str, optional
        Array to read from an ``.npz``; needed when it holds several
        keypoint arrays. An ``fps`` scalar in the archive is used as the
        frame rate.
    columns : str, optional
        ``"xy"``, ``"xyv"``, ``"xyz"``, ``"xyzv"``, or MoveNet's ``"yx"``/``"yxv"``.
    person : {"confident", "largest"} or int

    Returns
    -------
    array : numpy.ndarray, shape (T, J, C), in x-before-y order
    meta : dict
        ``columns`` and, from an ``.npz``, ``fps``, ``image_size``, ``layout``,
        ``units`` and ``world_landmarks`` when it stores them.

    Raises
    ------
    InputError
        Unreadable file, a missing or ambiguous ``key``, a pickled array.
    """
    path = Path(path)
    meta = {}
    if path.suffix.lower() == ".npz":
        array, meta = _npz_array(path, key)
    else:
        array = read_npy(path, InputError)
    if array.dtype.kind not in "iuf":
        raise InputError(f"{path}: the keypoints have dtype {array.dtype}; expected numbers")
    array = _squeeze_people(array.astype(np.float32), person, path)
    columns = columns or {2: "xy", 3: "xyv", 4: "xyzv"}.get(array.shape[-1] if array.ndim else 0)
    if columns is None:
        raise InputError(f"{path}: {array.shape[-1]} values per joint; expected 2, 3 or 4 "
                         f"(or pass columns= one of {', '.join(_COLUMNS)})")
    if columns not in _COLUMNS:
        raise InputError(f"columns must be one of {', '.join(_COLUMNS)}; got {columns!r}")
    if columns.startswith("yx"):
        array = array.copy()
        array[..., [0, 1]] = array[..., [1, 0]]
        columns = "xy" + columns[2:]
    meta["columns"] = columns
    return array, meta


def _npz_array(path, key):
    archive = read_npz(path, InputError)
    names = list(archive)
    meta = {}
    if "fps" in names and archive["fps"].size == 1:
        meta["fps"] = archive["fps"].item()
    if "image_size" in names and archive["image_size"].size == 2:  # PoseSequence.save
        meta["image_size"] = tuple(archive["image_size"].tolist())
    for text in ("layout", "units"):
        if text in names and archive[text].dtype.kind == "U":
            meta[text] = str(archive[text])
    if "world_landmarks" in names:                  # 3-D coordinates beside the keypoints
        meta["world_landmarks"] = archive["world_landmarks"]
    if key is None:
        candidates = [n for n in names if archive[n].ndim >= 3 and n != "world_landmarks"]
        if not candidates:
            raise InputError(f"{path}: holds no keypoint array (frames, joints, values)")
        if len(candidates) > 1:
            raise InputError(
                f"{path}: holds {len(candidates)} keypoint arrays ("
                + ", ".join(sorted(candidates)[:10]) + ("..." if len(candidates) > 10 else "")
                + "); formcheck reads one: save each in a file of its own, or pass key= to "
                "load_keypoints")
        key = candidates[0]
    if key not in names:
        raise InputError(f"{path}: no array {key!r} (has {', '.join(sorted(names)[:10])}"
                         + ("..." if len(names) > 10 else "") + ")")
    return archive[key], meta


def _squeeze_people(array, person, path):
    while array.ndim > 3 and array.shape[1] == 1:     # MoveNet (T, 1, 1, 17, 3)
        array = array[:, 0]
    if array.ndim == 4:                               # (T, P, J, C): one person per frame
        if 0 in array.shape or array.shape[-1] not in (2, 3, 4):
            raise InputError(f"{path}: keypoints of shape {array.shape} are not (frames, "
                             "people, joints, 2|3|4 values) with at least one person")
        if isinstance(person, (int, np.integer)) and not -array.shape[1] <= person < array.shape[1]:
            raise InputError(f"{path}: person {person} out of range for {array.shape[1]} people")
        return np.stack([frame[_choose_person(frame, person, path)] for frame in array])
    if array.ndim != 3:
        raise InputError(f"{path}: keypoints must have shape (frames, joints, values) or "
                         f"(frames, people, joints, values); got {array.shape}")
    return array
