"""The pose sequence: landmarks of one person over time."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, replace

import numpy as np

from .._files import atomic_write
from ..errors import InputError, LayoutError, MissingDataError, PoseShapeError, TooFewFramesError
from .skeleton import Layout, get_layout

__all__ = ["PoseSequence"]

_COLUMN_ORDERS = {2: "xy", 3: "xyv", 4: "xyzv"}
#: Lowest and highest frame rates a sequence may have (below the lowest, frame times
#: 1 / fps overflow to infinity: 1e-300 fps was reported as infinite keypoints).
MIN_FPS, MAX_FPS = 1e-3, 10_000.0
#: Largest image width or height, in pixels.
MAX_IMAGE_SIDE = 100_000


@dataclass(frozen=True, eq=False)
class PoseSequence:
    """Landmarks of one person, frame by frame.

    Build one with :meth:`from_array`; the constructor expects validated data.

    Parameters
    ----------
    landmarks : numpy.ndarray, shape (T, J, 4), float32
        x, y, z and visibility of every joint in every frame. A missing joint
        is NaN in x, y and z.
    fps : float
        Frames per second.
    layout : str
        Name of the keypoint layout (see :mod:`formcheck.pose.skeleton`).
    image_size : tuple of int (width, height), optional
        Size of the source image, used to correct for the pixel aspect ratio
        when coordinates are normalised.
    units : {"normalized", "pixels"}
        Whether x, y are fractions of the image size or pixels.
    source : str, optional
        Where the landmarks came from (a file name), for messages.
    world_landmarks : numpy.ndarray, shape (T, J, 3), optional
        Metric 3-D landmarks when the estimator provides them (MediaPipe's
        axes: x to the image's right, y down, z away from the camera; origin
        between the hips), or those of any 3-D skeleton source. Joint angles
        are measured in 3-D when present (see :func:`formcheck.joint_angles`).
    """
    landmarks: np.ndarray
    fps: float
    layout: str
    image_size: tuple | None = None
    units: str = "normalized"
    source: str | None = None
    world_landmarks: np.ndarray | None = None

    @classmethod
    def from_array(cls, array, *, fps, layout, columns=None, image_size=None, units=None,
                   source=None, world_landmarks=None):
        """Validate a keypoint array and wrap it as a ``PoseSequence``.

        Parameters
        ----------
        array : array_like, shape (T, J, 2), (T, J, 3) or (T, J, 4)
            Keypoints per frame. The columns are given by ``columns``.
        fps : float
            Frames per second, > 0.
        layout : str or Layout
            Keypoint layout; ``J`` must equal its number of joints.
        columns : {"xy", "xyv", "xyz", "xyzv"}, optional
            Meaning of the last axis. Defaults: 2 -> ``"xy"``, 3 -> ``"xyv"``
            (x, y and a confidence, as OpenPose, MoveNet and YOLO write), 4 ->
            ``"xyzv"`` (MediaPipe). Missing z is 0, missing visibility is 1.
        image_size : tuple (width, height), optional
            Source image size.
        units : {"normalized", "pixels"}, optional
            Coordinate units; guessed from the values when omitted (any |x| or
            |y| above 2 means pixels).
        source : str, optional
            File name for error messages.
        world_landmarks : array_like, shape (T, J, 3), optional
            Metric 3-D landmarks, as the class attribute.

        Returns
        -------
        PoseSequence

        Raises
        ------
        PoseShapeError
            Wrong number of dimensions, joints or columns.
        TooFewFramesError
            No frames.
        InputError
            ``fps`` not a positive number, or bad ``units``/``columns``.
        LayoutError
            Unknown layout.
        MissingDataError
            Infinite coordinates.

        Notes
        -----
        A joint with confidence/visibility exactly 0, as OpenPose writes for
        joints it did not find (at pixel 0, 0), becomes NaN rather than a point
        in the image corner.

        Examples
        --------
        >>> import numpy as np
        >>> from formcheck import PoseSequence
        >>> pose = PoseSequence.from_array(np.random.rand(10, 17, 3), fps=30, layout="coco17")
        >>> pose.landmarks.shape, pose.n_frames, pose.duration
        ((10, 17, 4), 10, 0.3333333333333333)
        """
        where = f" in {source}" if source else ""
        try:
            layout_obj = get_layout(layout)
        except LayoutError as exc:
            raise LayoutError(f"{exc}{where}") from None
        try:
            data = np.asarray(array)
            if data.dtype.kind not in "biuf":
                raise TypeError(f"dtype {data.dtype}")
            data = data.astype(np.float32)
        except (TypeError, ValueError) as exc:
            raise PoseShapeError(f"keypoints{where} are not a numeric array: {exc}") from None
        if data.ndim != 3:
            raise PoseShapeError(
                f"keypoints{where} must have shape (frames, joints, 2|3|4); got {data.shape}")
        if data.shape[0] == 0:
            raise TooFewFramesError(f"keypoints{where} have no frames")
        if data.shape[1] != layout_obj.n_joints:
            raise PoseShapeError(
                f"keypoints{where} have {data.shape[1]} joints but layout {layout_obj.name!r} "
                f"has {layout_obj.n_joints}")
        columns = columns or _COLUMN_ORDERS.get(data.shape[2])
        if columns not in ("xy", "xyv", "xyz", "xyzv") or len(columns) != data.shape[2]:
            raise PoseShapeError(
                f"keypoints{where} have {data.shape[2]} values per joint; cannot read them as "
                f"{columns!r} (use 2 = x,y; 3 = x,y,confidence or x,y,z; 4 = x,y,z,visibility)")
        if not (_is_real(fps) and MIN_FPS <= fps <= MAX_FPS):
            raise InputError(f"fps{where} must be a number in [{MIN_FPS:g}, {MAX_FPS:g}], "
                             f"got {fps!r}")
        landmarks = _to_xyzv(data, columns)
        if np.isinf(landmarks).any():
            raise MissingDataError(f"keypoints{where} contain infinite values")
        units = units or _guess_units(landmarks)
        if units not in ("normalized", "pixels"):
            raise InputError(f"units{where} must be 'normalized' or 'pixels', got {units!r}")
        if world_landmarks is not None:
            world_landmarks = _world_landmarks(world_landmarks, landmarks.shape[:2], where)
        if image_size is not None:
            image_size = _image_size(image_size, where)
        return cls(landmarks, float(fps), layout_obj.name, image_size, units, source,
                   world_landmarks)

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return self.landmarks.shape[0]

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.n_frames / self.fps

    @property
    def skeleton(self) -> Layout:
        """The :class:`~formcheck.pose.skeleton.Layout` object of this sequence."""
        return get_layout(self.layout)

    def joint(self, name: str) -> np.ndarray:
        """Landmarks ``(T, 4)`` of one canonical joint (e.g. ``"left_knee"``)."""
        return self.landmarks[:, self.skeleton.joint_index(name)]

    def has_joint(self, name: str) -> bool:
        """Whether the layout has the canonical joint ``name``."""
        return name in self.skeleton.canonical

    def detected_fraction(self) -> float:
        """Fraction of frames in which at least one joint was found."""
        found = ~np.isnan(self.landmarks[..., 0]).all(axis=1)
        return float(found.mean())

    def slice(self, start: int, stop: int) -> "PoseSequence":
        """Frames ``start`` to ``stop`` (exclusive) as a new sequence."""
        if not 0 <= start < stop <= self.n_frames:
            raise TooFewFramesError(
                f"cannot take frames {start}:{stop} of a {self.n_frames}-frame sequence")
        world = None if self.world_landmarks is None else self.world_landmarks[start:stop]
        return replace(self, landmarks=self.landmarks[start:stop], world_landmarks=world)

    def mirror(self) -> "PoseSequence":
        """Flip horizontally: x -> -x (about the image centre) and left/right joints swapped."""
        index = self.skeleton.mirror_index
        flipped = self.landmarks[:, index].copy()
        flipped[..., 0] = (1.0 if self.units == "normalized" else
                           (self.image_size[0] if self.image_size else 0.0)) - flipped[..., 0]
        world = None
        if self.world_landmarks is not None:
            world = self.world_landmarks[:, index].copy()
            world[..., 0] *= -1
        return replace(self, landmarks=flipped, world_landmarks=world)

    def save(self, path):
        """Write the landmarks to an ``.npz`` that :func:`formcheck.load_keypoints` reads.

        The archive holds ``landmarks`` (T, J, 4), ``fps``, ``layout``,
        ``units`` and, when known, ``image_size`` and ``world_landmarks``
        (T, J, 3); no pickles. Written atomically.
        """
        arrays = {"landmarks": self.landmarks, "fps": np.float64(self.fps),
                  "layout": np.str_(self.layout), "units": np.str_(self.units)}
        if self.image_size:
            arrays["image_size"] = np.array(self.image_size, dtype=np.int64)
        if self.world_landmarks is not None:
            arrays["world_landmarks"] = self.world_landmarks
        with atomic_write(path, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        return path

    def __len__(self):
        return self.n_frames

    def __repr__(self):
        size = f", image_size={self.image_size}" if self.image_size else ""
        src = f", source={self.source!r}" if self.source else ""
        return (f"PoseSequence(frames={self.n_frames}, joints={self.landmarks.shape[1]}, "
                f"fps={self.fps:g}, layout={self.layout!r}{size}{src})")


def _world_landmarks(array, frames_joints, where) -> np.ndarray:
    """``array`` as float32 ``(T, J, 3)`` world landmarks, checked like the keypoints."""
    data = np.asarray(array)
    if data.dtype.kind not in "biuf":
        raise PoseShapeError(f"world landmarks{where} are not a numeric array: dtype {data.dtype}")
    if data.shape != frames_joints + (3,):
        raise PoseShapeError(f"world landmarks{where} must have shape {frames_joints + (3,)} "
                             f"(frames, joints, 3); got {data.shape}")
    data = data.astype(np.float32)
    if np.isinf(data).any():
        raise MissingDataError(f"world landmarks{where} contain infinite values")
    return data


def _is_real(value) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
            and bool(np.isfinite(value)))


def _image_size(image_size, where) -> tuple:
    """``image_size`` as (width, height) in whole pixels, both at least 1."""
    try:
        width, height = image_size
    except (TypeError, ValueError):
        width = height = None
    if not all(_is_real(v) and v >= 1 and v == int(v) and v <= MAX_IMAGE_SIDE
               for v in (width, height)):
        raise InputError(f"image_size{where} must be (width, height) in whole pixels, "
                         f"each 1 to {MAX_IMAGE_SIDE}; got {image_size!r}")
    return int(width), int(height)


def _to_xyzv(data: np.ndarray, columns: str) -> np.ndarray:
    n_frames, n_joints, _ = data.shape
    out = np.zeros((n_frames, n_joints, 4), dtype=np.float32)
    out[..., 3] = 1.0
    for k, column in enumerate(columns):
        out[..., "xyzv".index(column)] = data[..., k]
    missing = np.isnan(out[..., :2]).any(axis=-1)
    if "v" in columns:
        missing |= out[..., 3] <= 0
    out[missing, :3] = np.nan
    out[missing, 3] = 0.0
    return out


def _guess_units(landmarks: np.ndarray) -> str:
    with np.errstate(invalid="ignore"):
        largest = np.nanmax(np.abs(landmarks[..., :2])) if np.isfinite(landmarks[..., :2]).any() else 0
    return "pixels" if largest > 2 else "normalized"
