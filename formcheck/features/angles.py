"""Joint-angle features: from a :class:`PoseSequence` to an :class:`AngleSeries`.

Two geometries (:data:`GEOMETRIES`):

- ``"3d"``, when the pose carries 3-D coordinates (``pose.world_landmarks``:
  MediaPipe's metric world landmarks, or any 3-D skeleton): angles between
  the body segments in space, so a knee bending towards the camera measures
  what it bends. The axes are MediaPipe's: x to the image's right, y down,
  z away from the camera. "Up" (for heights, inclinations and the sign of a
  bend) is the standing body's own vertical: the median direction from the
  ankles to the shoulders over the fifth of the frames where they are
  furthest apart (:func:`body_vertical`), so a camera pitched or rolled by up
  to 30 degrees does not tilt the heights; beyond that (a body that is not
  upright, as in a push-up) it is the camera's up.
- ``"2d"``: angles in the image plane, after correcting for the pixel aspect
  ratio when the image size is known; "up" is the image's up (the image
  cannot show the camera's pitch).

Either way they do not change when the person moves in the frame or stands
nearer the camera. The height channels (``nose_over_wrists``,
``hips_over_knees``, ...) are a vertical offset in torso lengths (the median
shoulder-to-hip distance of the recording, measured in the same geometry),
positive when the first point is higher; for a 3-D pose seen from the side
(:func:`view_angle` over 65 degrees) they are taken from the image, which then
measures them directly (``heights="side-image"``, the default). The width
channels (``ankle_width``, ``knee_ankle_width_ratio``, ...) measure across the
camera's view, which the image observes directly: they are taken from the image
landmarks (in the image's torso lengths) in both geometries, so "seen from the
side" means the same in each and a monocular 3-D model's error in x does not
move them (see :mod:`formcheck.features.channels` for every kind).
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from ..errors import ChannelMismatchError, InputError, LayoutError, MissingDataError, TooFewFramesError
from ..pose import PoseSequence
from .channels import (CHANNELS, MIDPOINTS, available_channels, computable_from, mirror_name,
                       needed_joints)
from .exercises import get_exercise
from .filters import savgol_filter

__all__ = ["AngleSeries", "joint_angles", "frame_values", "resample", "resample_many",
           "equal_length_batches", "GEOMETRIES", "VERTICALS", "pose_geometry", "body_vertical",
           "HEIGHTS", "view_angle", "FEATURE_SETTINGS", "check_feature_settings",
           "recorded_settings", "image_positions"]

#: Accepted values of ``joint_angles(geometry=...)``.
GEOMETRIES = ("auto", "3d", "2d")
#: Accepted values of ``joint_angles(vertical=...)``: what "up" is in 3-D.
VERTICALS = ("body", "camera")
#: Accepted values of ``joint_angles(heights=...)``: where a 3-D pose's heights are measured.
HEIGHTS = ("side-image", "geometry")
_LONG_GAP_SECONDS = 0.3  # longer gaps in a sided channel are filled from its twin
_UP = np.array([0.0, -1.0, 0.0])  # image and MediaPipe world y grow downwards
_MAX_TARGET_FPS = 1000.0


def _number(value) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
            and bool(np.isfinite(value)))


#: The settings of :func:`joint_angles` that datasets and models record: name -> (what it
#: accepts, test).
FEATURE_SETTINGS = {
    "min_visibility": ("a number in [0, 1]", lambda v: _number(v) and 0 <= v <= 1),
    "max_missing": ("a number in [0, 1]", lambda v: _number(v) and 0 <= v <= 1),
    "smooth": ("None or a number of seconds in [0, 60]",
               lambda v: v is None or (_number(v) and 0 <= v <= 60)),
    "target_fps": (f"None or a frame rate in (0, {_MAX_TARGET_FPS:g}]",
                   lambda v: v is None or (_number(v) and 0 < v <= _MAX_TARGET_FPS)),
    "geometry": (f"one of {', '.join(GEOMETRIES)}",
                 lambda v: isinstance(v, str) and v in GEOMETRIES),
    "vertical": (f"one of {', '.join(VERTICALS)}",
                 lambda v: isinstance(v, str) and v in VERTICALS),
    "heights": (f"one of {', '.join(HEIGHTS)}", lambda v: isinstance(v, str) and v in HEIGHTS),
}


def check_feature_settings(settings) -> dict:
    """Check settings of :func:`joint_angles` (as a model or dataset file records them).

    Parameters
    ----------
    settings : dict
        Names of :data:`FEATURE_SETTINGS` to values.

    Returns
    -------
    dict
        A copy of ``settings``.

    Raises
    ------
    InputError
        Not a dict, an unknown name, or a value out of its range.

    Examples
    --------
    >>> check_feature_settings({"smooth": 0.2})
    {'smooth': 0.2}
    >>> check_feature_settings({"evil": 1})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    formcheck.errors.InputError: unknown feature setting 'evil'; known: min_visibility, ...
    """
    if not isinstance(settings, dict):
        raise InputError(f"feature settings must be a dict, got {type(settings).__name__}")
    for name, value in settings.items():
        if name not in FEATURE_SETTINGS:
            raise InputError(f"unknown feature setting {name!r}; known: "
                             f"{', '.join(FEATURE_SETTINGS)}")
        description, accepts = FEATURE_SETTINGS[name]
        if not accepts(value):
            raise InputError(f"feature setting {name} must be {description}; got {value!r}")
    return dict(settings)


def recorded_settings(settings, *, saved_before_heights=False) -> dict:
    """The feature settings a model records: for 3-D angles, with the heights' source.

    A model fitted on 3-D angles records ``heights`` (``"side-image"`` unless
    given), so a 3-D model file without it was saved before heights could
    be taken from the image; read back (``saved_before_heights=True``) it
    gets ``"geometry"`` and measures as it was trained.

    Examples
    --------
    >>> recorded_settings({"geometry": "3d"})
    {'geometry': '3d', 'heights': 'side-image'}
    >>> recorded_settings({"geometry": "3d"}, saved_before_heights=True)
    {'geometry': '3d', 'heights': 'geometry'}
    >>> recorded_settings({"geometry": "2d"})
    {'geometry': '2d'}
    """
    settings = dict(settings)
    if settings.get("geometry") == "3d":
        settings.setdefault("heights", "geometry" if saved_before_heights else "side-image")
    return settings


_IMAGE_KINDS = ("width", "width_ratio")  # measured in the image in either geometry
_SIDE_KINDS = ("height",)  # measured in the image in 3-D too when the body is seen from the side
# Degrees between the body's left-right axis and the camera's x (in the horizontal plane)
# beyond which the body counts as seen from the side. The image's perspective error on a
# height grows with the depth between its two joints, the forward offset times cos(view):
# +-0.12 torso lengths from the front or back (synthetic squats, docs/classifiers.md); it is
# within a height's measurement noise (0.05) once cos(view) <= 0.05 / 0.12, beyond 65 degrees.
_SIDE_VIEW = 65.0
_CAMERA_X = np.array([1.0, 0.0, 0.0])
_VIEW_PAIRS = (("left_hip", "right_hip"), ("left_shoulder", "right_shoulder"))
_UPRIGHT_SHARE = 0.2      # the share of frames, ankles and shoulders furthest apart, giving "up"
_MAX_CAMERA_TILT = 30.0   # degrees: a body axis further from the camera's up is not upright


class AngleSeries:
    """A multichannel time series of joint angles, time first.

    Behaves as an array: ``np.asarray(series)`` has shape ``(T, C)``.

    Parameters
    ----------
    values : array_like, shape (T, C)
    channels : sequence of str
        Channel names, one per column.
    fps : float
    source : str, optional
        File the series came from, for messages.
    geometry : {"3d", "2d"}, optional
        How the angles were measured (see :func:`joint_angles`); None when unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from formcheck import AngleSeries
    >>> s = AngleSeries(np.column_stack([np.full(30, 90.0), np.full(30, 170.0)]),
    ...                 ["left_knee", "right_knee"], fps=30)
    >>> np.asarray(s).shape, s.duration
    ((30, 2), 1.0)
    >>> float(s.mirror()["left_knee"][0])
    170.0
    """

    def __init__(self, values, channels, fps, source=None, geometry=None):
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(channels):
            raise ChannelMismatchError(
                f"values of shape {values.shape} do not match {len(channels)} channel names")
        if not (np.isfinite(fps) and fps > 0):
            raise InputError(f"fps must be a positive number, got {fps!r}")
        self.values = values
        self.channels = tuple(channels)
        self.fps = float(fps)
        self.source = source
        self.geometry = geometry

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)

    def __len__(self):
        return self.values.shape[0]

    def __getitem__(self, channel):
        """The 1-D values of one channel, by name."""
        return self.values[:, self._index(channel)]

    def __repr__(self):
        return (f"AngleSeries(frames={len(self)}, channels={len(self.channels)}, "
                f"fps={self.fps:g})")

    @property
    def shape(self):
        return self.values.shape

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self) / self.fps

    def _index(self, channel) -> int:
        try:
            return self.channels.index(channel)
        except ValueError:
            raise ChannelMismatchError(
                f"no channel {channel!r}; channels are {', '.join(self.channels)}") from None

    def _with(self, values, channels=None, fps=None):
        return AngleSeries(values, channels or self.channels, fps or self.fps, self.source,
                           self.geometry)

    def select(self, channels) -> "AngleSeries":
        """Keep only ``channels``, in that order."""
        return self._with(self.values[:, [self._index(c) for c in channels]], list(channels))

    def slice(self, start: int, stop: int) -> "AngleSeries":
        """Frames ``start`` to ``stop`` (exclusive)."""
        if not 0 <= start < stop <= len(self):
            raise TooFewFramesError(f"cannot take frames {start}:{stop} of {len(self)} frames")
        return self._with(self.values[start:stop])

    def mirror(self) -> "AngleSeries":
        """Horizontal flip: every left channel swaps values with its right twin.

        ``s.mirror().mirror()`` equals ``s``. Channel order is kept.
        """
        swapped = [self._index(mirror_name(c)) if mirror_name(c) in self.channels
                   else i for i, c in enumerate(self.channels)]
        return self._with(self.values[:, swapped])

    def smooth(self, window: float = 0.2, polyorder: int = 2) -> "AngleSeries":
        """Savitzky-Golay smoothing with a window of ``window`` seconds."""
        length = int(round(window * self.fps)) | 1
        if length <= polyorder or len(self) < length:
            return self._with(self.values.copy())
        return self._with(savgol_filter(self.values, length, polyorder, axis=0))

    def resample(self, fps: float) -> "AngleSeries":
        """Linear interpolation onto a ``fps`` time grid covering the same duration."""
        if not (np.isfinite(fps) and fps > 0):
            raise InputError(f"target fps must be a positive number, got {fps!r}")
        t_in = np.arange(len(self)) / self.fps
        t_out = np.arange(max(1, int(np.floor(t_in[-1] * fps + 1e-9)) + 1)) / fps
        out = np.column_stack([np.interp(t_out, t_in, col) for col in self.values.T])
        return self._with(out, fps=fps)


def resample(series: np.ndarray, length: int) -> np.ndarray:
    """Linear interpolation of a ``(T, C)`` series onto ``length`` evenly spaced points.

    The rep's own time is normalised: the first and last frames are kept and
    the points in between are evenly spaced (a time stretch or squeeze).
    A stack of series of one length, ``(n, T, C)``, is resampled at once
    (time is the second-to-last axis), each exactly as on its own.

    Examples
    --------
    >>> resample(np.array([[0.0], [10.0]]), 3).ravel().tolist()
    [0.0, 5.0, 10.0]
    """
    frames = series.shape[-2]
    position = np.linspace(0.0, frames - 1, length)
    left = np.minimum(position.astype(int), frames - 2)
    weight = (position - left)[:, None]
    return series[..., left, :] * (1 - weight) + series[..., left + 1, :] * weight


def equal_length_batches(frames, offsets, size=1024):
    """Reps packed in one array, stacked by length, at most ``size`` reps per stack.

    Parameters
    ----------
    frames : numpy.ndarray, shape (sum of lengths, C)
        All reps concatenated along time; rep ``i`` is
        ``frames[offsets[i]:offsets[i + 1]]``.
    offsets : array of int, shape (n + 1,)
    size : int

    Yields
    ------
    indices : numpy.ndarray of int
        Increasing positions of reps with the same number of frames.
    stack : numpy.ndarray, shape (len(indices), T, C)
        Those reps: a view of ``frames`` when they lie side by side (reps
        of one length always do), else a copy of just them.

    Examples
    --------
    >>> frames = np.arange(22.0).reshape(11, 2)
    >>> [(i.tolist(), s.shape) for i, s in equal_length_batches(frames, [0, 3, 8, 11])]
    [([0, 2], (2, 3, 2)), ([1], (1, 5, 2))]
    """
    offsets = np.asarray(offsets)
    lengths = np.diff(offsets)
    for n_frames in np.unique(lengths):
        members = np.flatnonzero(lengths == n_frames)
        for start in range(0, len(members), size):
            part = members[start : start + size]
            first = offsets[part[0]]
            if part[-1] - part[0] == len(part) - 1:  # consecutive reps: one block of frames
                yield part, frames[first : first + len(part) * n_frames].reshape(
                    len(part), n_frames, -1)
            else:
                yield part, frames[offsets[part][:, None] + np.arange(n_frames)]


def resample_many(frames, offsets, length: int) -> np.ndarray:
    """:func:`resample` of every rep packed in ``frames`` (see :func:`equal_length_batches`).

    Returns an ``(n, length, C)`` array, rep ``i`` in row ``i``.

    Examples
    --------
    >>> frames = np.array([[0.0], [10.0], [0.0], [0.0], [0.0]])
    >>> resample_many(frames, [0, 2, 5], 3)[:, :, 0].tolist()
    [[0.0, 5.0, 10.0], [0.0, 0.0, 0.0]]
    """
    out = np.empty((len(offsets) - 1, length, frames.shape[1]))
    for indices, stack in equal_length_batches(frames, offsets):
        out[indices] = resample(stack, length)
    return out


def pose_geometry(pose: PoseSequence) -> str:
    """``"3d"`` when the pose carries 3-D coordinates (``world_landmarks``), else ``"2d"``.

    Examples
    --------
    >>> from formcheck.datasets.synthetic import make_set
    >>> pose_geometry(make_set("squat", n_reps=1)), pose_geometry(make_set("squat", n_reps=1,
    ...                                                                    world_landmarks=True))
    ('2d', '3d')
    """
    return "2d" if pose.world_landmarks is None else "3d"


def joint_angles(pose: PoseSequence, exercise=None, *, channels=None, geometry="auto",
                 vertical="body", heights="side-image", min_visibility=0.1, max_missing=0.5,
                 smooth=None, target_fps=None) -> AngleSeries:
    """Compute the joint-angle series of a pose sequence.

    Parameters
    ----------
    pose : PoseSequence
    exercise : str or Exercise, optional
        Take the channels this exercise uses. Ignored when ``channels`` is given.
    channels : sequence of str, optional
        Channel names (see :data:`CHANNELS`). Default: the exercise's, or every
        channel the layout supports.
    geometry : {"auto", "3d", "2d"}
        ``"3d"`` measures in space from ``pose.world_landmarks``, ``"2d"`` in
        the image plane; ``"auto"`` takes 3-D whenever the pose has it
        (:func:`pose_geometry`); the width channels are measured in the image
        either way. A model records the geometry it was trained with, and
        :class:`~formcheck.FormChecker` computes the same.
    vertical : {"body", "camera"}
        What "up" is in 3-D, for heights, inclinations and the sign of a
        bend: the standing body's own vertical (:func:`body_vertical`), which
        a pitched or rolled camera does not tilt, or the camera's up (the
        world landmarks' y). 2-D always takes the image's up. A model trained
        on 3-D angles records it (``feature_settings["vertical"]``).
    heights : {"side-image", "geometry"}
        Where the height channels of a 3-D pose are measured: ``"side-image"``
        takes them from the image when the camera sees the body from the side
        (:func:`view_angle` over 65 degrees: the sagittal plane, where the
        heights lie, faces the camera, so the image measures them with no
        depth to lift and little perspective, while a monocular 3-D model
        bends the knee less than the image shows at the bottom of a deep
        squat) and in 3-D otherwise; ``"geometry"`` always in 3-D (models
        saved before this setting). 2-D poses are unaffected.
    min_visibility : float
        Landmarks with a lower visibility/confidence count as missing (and
        those at 0 always do), unless a channel can be measured no other way.
    max_missing : float
        Largest fraction of missing frames a channel may have. Within the
        limit, gaps longer than 0.3 s are filled from the channel's twin on
        the other side frame by frame and shorter ones by linear
        interpolation. A left or right channel over the limit takes the values
        of its twin (the side facing the camera in a side view) when that one
        is within the limit, else both sides merged frame by frame; when even
        that misses too much, the same again from the joints wherever they
        were located, whatever their visibility (in a side view the far
        limbs' positions are guesses, but better than no clip).
    smooth : float, optional
        Savitzky-Golay window in seconds; None for no smoothing.
    target_fps : float, optional
        Resample to this frame rate.

    Returns
    -------
    AngleSeries
        Shape ``(T, C)``, degrees (heights in torso lengths), gaps filled by
        linear interpolation; ``series.geometry`` is ``"3d"`` or ``"2d"``;
        ``series.heights_from_image`` says whether a 3-D pose's heights were
        measured in the image (False in 2-D).
        ``series.filled_from_mirror`` lists channels that were copied from
        their other-side twin.

    Raises
    ------
    InputError
        ``geometry`` is not one of :data:`GEOMETRIES`, ``vertical`` not one
        of :data:`VERTICALS`, or ``heights`` not one of :data:`HEIGHTS`.
    LayoutError
        A requested channel needs joints the layout does not have.
    MissingDataError
        A channel cannot be measured from either side in more than
        ``max_missing`` of frames (the message names the joint not located and
        the share of frames), or ``geometry="3d"`` for a pose without 3-D
        coordinates.
    TooFewFramesError
        Fewer than 2 frames.

    Examples
    --------
    >>> from formcheck import joint_angles
    >>> from formcheck.datasets.synthetic import make_set
    >>> series = joint_angles(make_set("squat", n_reps=2, seed=0), exercise="squat")
    >>> series.channels[:2]
    ('left_knee', 'right_knee')
    >>> bool(series["left_knee"].min() < 100 < series["left_knee"].max())
    True
    """
    if not isinstance(pose, PoseSequence):
        raise InputError(f"joint_angles needs a PoseSequence, got {type(pose).__name__}")
    check_feature_settings({"geometry": geometry, "heights": heights,
                            "min_visibility": min_visibility, "max_missing": max_missing,
                            "smooth": smooth, "target_fps": target_fps})
    if pose.n_frames < 2:
        raise TooFewFramesError(f"{_where(pose)}has {pose.n_frames} frame; need at least 2")
    geometry = _resolve_geometry(pose, geometry)
    if vertical not in VERTICALS:
        raise InputError(f"vertical must be one of {', '.join(VERTICALS)}; got {vertical!r}")
    names = _requested_channels(pose, exercise, channels)
    side = _heights_from_image(pose, names, geometry, heights, vertical == "body", min_visibility)
    values, mirrored = {}, []
    for where, group in _by_geometry(names, geometry, side).items():
        measured, from_twin = _measured(pose, group, where, vertical == "body", min_visibility,
                                        max_missing)
        values.update(measured)
        mirrored += from_twin
    series = AngleSeries(np.column_stack([values[n] for n in names]), names, pose.fps, pose.source,
                         geometry)
    if smooth:
        series = series.smooth(smooth)
    if target_fps:
        series = series.resample(target_fps)
    series.filled_from_mirror = mirrored
    series.heights_from_image = side
    return series


def _measured(pose, names, geometry, body_up, min_visibility, max_missing):
    """The channels ``names`` measured in one geometry, gaps filled (see :func:`_fill_missing`)."""
    located = _joint_points(pose, 0.0, geometry)
    points = _joint_points(pose, min_visibility, geometry)
    up = body_vertical(points) if geometry == "3d" and body_up else _UP
    frame = _Frame(_torso_length(points), up)
    supported = available_channels(pose.layout)
    wanted = set(names) | {mirror_name(n) for n in names if mirror_name(n) in supported}
    visible = {name: _channel_values(name, points, frame) for name in wanted}
    return _fill_missing(names, visible, located, frame, max_missing, pose)


def _by_geometry(names, geometry, side=False) -> dict:
    """The geometry each channel is measured in -> those channels, in order.

    The widths are measured in the image even for a 3-D pose: they are defined across the
    camera's view, which the image observes directly, while a monocular 3-D model's x errs
    between knees and ankles (docs/classifiers.md, the shared videos). With ``side`` (a 3-D
    pose seen from the side, :func:`_heights_from_image`) the heights are too.
    """
    in_image = _IMAGE_KINDS + (_SIDE_KINDS if side else ())
    groups = {}
    for name in names:
        where = "2d" if CHANNELS[name][0] in in_image else geometry
        groups.setdefault(where, []).append(name)
    return groups


def _heights_from_image(pose, names, geometry, heights, body_up, min_visibility) -> bool:
    """Whether the height channels of ``names`` are measured in the image: a 3-D pose, with
    ``heights="side-image"``, seen from the side (:func:`view_angle` over 65 degrees)."""
    if (geometry != "3d" or heights != "side-image"
            or not any(CHANNELS[n][0] in _SIDE_KINDS for n in names)):
        return False
    points = _joint_points(pose, min_visibility, "3d")
    return bool(view_angle(points, body_vertical(points) if body_up else _UP) > _SIDE_VIEW)


def view_angle(points, up=_UP) -> float:
    """Degrees (0-90) between the body's left-right axis and the camera's x axis, seen from above.

    The axis is left hip -> right hip (the shoulders in frames where a hip is
    missing), the angle is measured in the horizontal plane (perpendicular to
    ``up``), folded to 0-90, and the median over the frames where it is
    seen: near 0 for a body facing the camera or turned away from it, near 90
    seen from the side; NaN when no frame shows the hips or shoulders.

    Parameters
    ----------
    points : dict
        Joint name -> ``(T, 3)`` points in the camera's axes (x to the right).
    up : array of 3 floats
        The vertical (see :func:`body_vertical`).

    Examples
    --------
    >>> import numpy as np
    >>> turned = np.radians(80)    # the hips' axis turned 80 degrees into the depth
    >>> hips = {"left_hip": np.zeros((4, 3)),
    ...         "right_hip": np.tile([np.cos(turned), 0.0, np.sin(turned)], (4, 1))}
    >>> round(view_angle(hips), 1)
    80.0
    """
    axes = [points[right] - points[left] for left, right in _VIEW_PAIRS
            if left in points and right in points]
    if not axes:
        return float("nan")
    across = _CAMERA_X - (_CAMERA_X @ up) * up
    angles = [_angle_between(axis - np.outer(axis @ up, up), across) for axis in axes]
    per_frame = angles[0] if len(angles) == 1 else np.where(np.isnan(angles[0]), angles[1],
                                                            angles[0])
    per_frame = np.minimum(per_frame, 180.0 - per_frame)
    seen = per_frame[np.isfinite(per_frame)]
    return float(np.median(seen)) if seen.size else float("nan")


def frame_values(pose: PoseSequence, channels, *, geometry="auto", heights="side-image",
                 min_visibility=0.1) -> dict:
    """The channels as :func:`joint_angles` measures them before it looks at the gaps.

    Landmarks below ``min_visibility`` count as missing, and nothing is
    filled: a channel is NaN wherever one of its joints is missing, with no
    twin, interpolation or lenient pass. Cheap enough for one frame of a live
    stream (heights are then in that frame's own torso length, and along the
    camera's up: the body's vertical needs the whole recording; the view,
    for ``heights``, is that of these frames).

    Parameters
    ----------
    pose : PoseSequence
    channels : sequence of str
    geometry, heights, min_visibility
        As for :func:`joint_angles`.

    Returns
    -------
    dict
        Channel name -> values, shape ``(T,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from formcheck.datasets.synthetic import make_set
    >>> pose = make_set("squat", n_reps=1, seed=0, drop_rate=0)
    >>> values = frame_values(pose.slice(0, 1), ["left_knee"])
    >>> bool(np.isclose(values["left_knee"][0], joint_angles(pose, channels=["left_knee"])
    ...                 ["left_knee"][0]))
    True
    """
    geometry = _resolve_geometry(pose, geometry)
    names = _requested_channels(pose, None, channels)
    side = _heights_from_image(pose, names, geometry, heights, False, min_visibility)
    out = {}
    for where, group in _by_geometry(names, geometry, side).items():
        points = _joint_points(pose, min_visibility, where)
        frame = _Frame(_torso_length(points), _UP)
        out.update({name: _channel_values(name, points, frame) for name in group})
    return {name: out[name] for name in names}


def image_positions(pose: PoseSequence, joints, *, min_visibility=0.1, in_frame=False) -> dict:
    """Where joints are in the image, per frame, in the recording's torso lengths.

    The image landmarks (aspect-corrected when the image size is known), x to
    the right and y *up*, divided by the median shoulder-to-hip distance of
    the recording; NaN where a joint is below ``min_visibility``. Positions
    mean nothing alone, but their changes are how far a joint travels across
    the image (e.g. whether the feet stay on the ground).

    Parameters
    ----------
    pose : PoseSequence
    joints : sequence of str
        Canonical joint names or midpoints (``mid_ankle``).
    min_visibility : float
    in_frame : bool
        Also NaN where a landmark lies outside the image (the pose estimator's
        guess of a joint it cannot see; MediaPipe gives such guesses
        visibilities up to 0.8), when the image's bounds are known: normalized
        coordinates, or pixels with an ``image_size``.

    Returns
    -------
    dict
        Joint -> ``(T, 2)`` positions; a joint the layout lacks is left out.

    Examples
    --------
    >>> import numpy as np
    >>> from formcheck.datasets.synthetic import make_set
    >>> pose = make_set("squat", n_reps=1, seed=0, noise=0)
    >>> at = image_positions(pose, ["left_ankle", "mid_hip"])
    >>> {j: round(float(np.nanmax(xy[:, 1]) - np.nanmin(xy[:, 1])), 2) for j, xy in at.items()}
    {'left_ankle': 0.0, 'mid_hip': 1.04}
    """
    if in_frame:
        pose = _outside_the_image_unseen(pose)
    points = _joint_points(pose, min_visibility, "2d")
    torso = _torso_length(points)
    return {j: points[j][:, :2] * np.array([1.0, -1.0]) / torso for j in joints if j in points}


def _outside_the_image_unseen(pose: PoseSequence) -> PoseSequence:
    """The pose with visibility 0 for landmarks outside the image, when its bounds are known."""
    if pose.units == "normalized":
        bounds = np.array([1.0, 1.0])
    elif pose.image_size:
        bounds = np.asarray(pose.image_size, dtype=np.float64)
    else:
        return pose
    xy = pose.landmarks[..., :2]
    outside = ((xy < 0) | (xy > bounds)).any(axis=-1)
    landmarks = pose.landmarks.copy()
    landmarks[..., 3][outside] = 0.0
    return dataclasses.replace(pose, landmarks=landmarks)


def _where(pose) -> str:
    return f"{pose.source}: " if pose.source else ""


def _requested_channels(pose, exercise, channels) -> list:
    if channels is None and exercise is not None:
        channels = get_exercise(exercise).channels
    if channels is None:
        return available_channels(pose.layout)
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise ChannelMismatchError(f"unknown channels {unknown}; known: {', '.join(CHANNELS)}")
    joints = set(pose.skeleton.canonical)
    lacking = [c for c in channels if not computable_from(c, joints)]
    if lacking:
        raise LayoutError(
            f"{_where(pose)}layout {pose.layout!r} lacks the joints for channels {lacking}")
    return list(channels)


def _resolve_geometry(pose, geometry) -> str:
    """``"3d"`` or ``"2d"`` for ``pose``; ``geometry`` is one of :data:`GEOMETRIES`."""
    if geometry == "auto":
        return pose_geometry(pose)
    if geometry == "3d" and pose.world_landmarks is None:
        raise MissingDataError(
            f"{_where(pose)}3-D joint angles need 3-D landmarks (world_landmarks), and this pose "
            "has only image coordinates; a model trained on 3-D angles needs a video or a 3-D "
            "keypoint file")
    return geometry


def _joint_points(pose, min_visibility, geometry) -> "_JointPoints":
    """Canonical joint (and midpoint) -> (T, 3) points, NaN if missing.

    3-D: the world landmarks. 2-D: image-plane points in aspect-corrected
    units, with z = 0, so that one set of formulas serves both.
    """
    if geometry == "3d":
        xyz = pose.world_landmarks.astype(np.float64)
    else:
        xy = pose.landmarks[..., :2].astype(np.float64)
        if pose.units == "normalized" and pose.image_size:
            xy = xy * np.array(pose.image_size, dtype=np.float64)
        xyz = np.concatenate([xy, np.zeros(xy.shape[:-1] + (1,))], axis=-1)
    visibility = pose.landmarks[..., 3]
    xyz[(visibility < min_visibility) | (visibility <= 0)] = np.nan
    return _JointPoints(xyz, pose.skeleton.canonical)


class _JointPoints(Mapping):
    """Joint name -> (T, 3) points of a ``(T, J, 3)`` array; a midpoint is computed when
    first read (a channel needs a few of the 33 joints and 6 midpoints)."""

    def __init__(self, xyz, index):
        self._xyz, self._index, self._midpoints = xyz, index, {}
        self._names = [*index, *(mid for mid, (a, b) in MIDPOINTS.items()
                                 if a in index and b in index)]
        self._known = set(self._names)

    def __getitem__(self, name):
        if name in self._index:
            return self._xyz[:, self._index[name]]
        if name not in self._known:
            raise KeyError(name)
        if name not in self._midpoints:
            a, b = MIDPOINTS[name]
            self._midpoints[name] = _nan_midpoint(self[a], self[b])
        return self._midpoints[name]

    def __contains__(self, name):
        return name in self._known

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)


def _nan_midpoint(a, b) -> np.ndarray:
    """Midpoint of two (T, 3) point tracks; the one that is there where the other is missing."""
    return np.where(np.isnan(a), b, np.where(np.isnan(b), a, (a + b) / 2))


def _torso_length(points) -> float:
    if "mid_shoulder" not in points or "mid_hip" not in points:
        return 1.0
    d = points["mid_shoulder"] - points["mid_hip"]
    lengths = np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] + d[:, 2] * d[:, 2])
    seen = np.sort(lengths[np.isfinite(lengths)])
    if not seen.size:
        return 1.0
    half = seen.size // 2          # the median, as np.median gives it
    median = seen[half] if seen.size % 2 else (seen[half - 1] + seen[half]) / 2
    return float(median) or 1.0


def body_vertical(points) -> np.ndarray:
    """The standing body's "up" in the points' axes: a unit vector (y grows downwards).

    The median direction from the mid-ankle to the mid-shoulder over the fifth
    of the frames where the two are furthest apart (standing or hanging
    straight); gravity runs along it, whatever the camera's pitch and roll.
    Of ``n`` frames where both are seen, those at least as far apart as the
    ``ceil(n / 5)``-th furthest are kept (every tie with it), the frames at or
    above ``np.quantile(lengths, 0.8)``, taken as an order statistic so that
    the ONNX graph keeps the same frames (:mod:`formcheck.export`).
    The camera's up, ``(0, -1, 0)``, when the joints are missing or the axis
    leans more than 30 degrees from it (a body that is not upright, e.g. in a
    push-up). A recording in which the person never stands or hangs straight
    (a squat filmed only at the bottom) gets the lean of its most extended
    frames as its vertical.

    Parameters
    ----------
    points : dict
        Joint name -> ``(T, 3)`` points with ``mid_ankle`` and ``mid_shoulder``.

    Examples
    --------
    >>> import numpy as np
    >>> tilt = np.radians(10)    # a camera pitched 10 degrees: the body leans in depth
    >>> shoulder = np.array([0.0, -np.cos(tilt), np.sin(tilt)]) * np.linspace(1, 1.4, 10)[:, None]
    >>> up = body_vertical({"mid_ankle": np.zeros((10, 3)), "mid_shoulder": shoulder})
    >>> np.round(up, 3).tolist()
    [0.0, -0.985, 0.174]
    >>> body_vertical({"mid_ankle": np.zeros((10, 3)), "mid_shoulder": np.tile([1.0, 0, 0], (10, 1))})
    array([ 0., -1.,  0.])
    """
    if "mid_ankle" not in points or "mid_shoulder" not in points:
        return _UP
    axis = points["mid_shoulder"] - points["mid_ankle"]
    length = np.linalg.norm(axis, axis=1)
    seen = np.isfinite(length)
    if seen.sum() < 2:
        return _UP
    tallest = int(np.ceil(_UPRIGHT_SHARE * seen.sum()))   # as np.quantile(length, 0.8) keeps
    tall = seen & (length >= np.sort(length[seen])[-tallest])
    up = np.median(axis[tall] / length[tall, None], axis=0)
    up = up / np.linalg.norm(up)
    return up if _angle_between(up, _UP) <= _MAX_CAMERA_TILT else _UP


class _Frame(NamedTuple):
    """What every channel of a recording is measured against: its torso length and "up"."""

    torso: float
    up: np.ndarray


def _channel_values(name, points, frame) -> np.ndarray:
    kind, joints = CHANNELS[name]
    p = [points[j] if j in points else _virtual_joint(j, points, frame) for j in joints]
    if kind == "angle":
        return _angle_at(p[0], p[1], p[2])
    if kind == "incline":
        return _angle_between(p[1] - p[0], frame.up)
    if kind in _SHAPE_KINDS:
        return _SHAPE_KINDS[kind](p, frame)
    return ((p[0] - p[1]) @ frame.up) / frame.torso


_CHIN_BELOW_MOUTH = 1.3   # mouth to chin over nose tip to mouth (see channels.VIRTUAL_JOINTS)
_CHIN_BELOW_NOSE = 0.16   # nose tip to chin in torso lengths, for layouts without a mouth
_MIN_OUTER_WIDTH = 0.25   # torso lengths: a width ratio's outer pair counts as this far apart


def _virtual_joint(name, points, frame) -> np.ndarray:
    """The chin: extended from the nose through the mouth, else straight below the nose."""
    nose = points["nose"]
    below_nose = nose - _CHIN_BELOW_NOSE * frame.torso * frame.up
    if "mid_mouth" not in points:
        return below_nose
    chin = points["mid_mouth"] + _CHIN_BELOW_MOUTH * (points["mid_mouth"] - nose)
    return np.where(np.isfinite(chin), chin, below_nose)


def _incline_difference(p, frame) -> np.ndarray:
    return _angle_between(p[1] - p[0], frame.up) - _angle_between(p[3] - p[2], frame.up)


def _pair_width(a, b, torso) -> np.ndarray:
    """Distance across the view (along x) between two joints in torso lengths (NaN where one
    is missing)."""
    return np.abs(a[:, 0] - b[:, 0]) / torso


def _width(p, frame) -> np.ndarray:
    """A pair's width; 0 where a joint is missing (the far side of a side view)."""
    width = _pair_width(p[0], p[1], frame.torso)
    return np.where(np.isfinite(width), width, 0.0)


def _width_ratio(p, frame) -> np.ndarray:
    """The first pair's width over the second's (at least 0.25 torso lengths); 1 if missing."""
    outer = np.maximum(_pair_width(p[2], p[3], frame.torso), _MIN_OUTER_WIDTH)
    ratio = _pair_width(p[0], p[1], frame.torso) / outer
    return np.where(np.isfinite(ratio), ratio, 1.0)


def _bend(p, frame) -> np.ndarray:
    """180 minus the angle at the middle joint, signed + when it lies above the outer joints' line."""
    a, b, c = p
    line = c - a
    along = ((b - a) * line).sum(axis=1) / np.maximum((line * line).sum(axis=1), 1e-12)
    offset = b - (a + along[:, None] * line)
    above = np.where(offset @ frame.up >= 0, 1.0, -1.0)
    return above * (180.0 - _angle_at(a, b, c))


_SHAPE_KINDS = {"incline_difference": _incline_difference, "width": _width,
                "width_ratio": _width_ratio, "bend": _bend}


def _angle_at(a, b, c) -> np.ndarray:
    return _angle_between(a - b, c - b)


def _angle_between(u, v) -> np.ndarray:
    """Angle in degrees between (T, 3) vectors: atan2(|u x v|, u . v), exact near 0 and 180."""
    u, v = np.asarray(u), np.asarray(v)
    ux, uy, uz = u[..., 0], u[..., 1], u[..., 2]
    vx, vy, vz = v[..., 0], v[..., 1], v[..., 2]
    cx, cy, cz = uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx   # u x v
    cross = np.sqrt(cx * cx + cy * cy + cz * cz)
    return np.degrees(np.arctan2(cross, ux * vx + uy * vy + uz * vz))


def _fill_missing(names, visible: dict, located: dict, frame, max_missing, pose):
    """Every channel of ``names`` without gaps, and those that took their twin's values.

    The first of these within ``max_missing`` is kept: the channel itself
    (long gaps filled from its twin), its twin (the side facing the camera),
    the two sides merged frame by frame, and the same three again from the
    joints wherever they were located at all, however low their visibility.
    """
    values, mirrored = {}, []
    for name in names:
        twin = mirror_name(name)
        series, from_twin = _first_within_limit(name, twin, visible, max_missing, pose.fps)
        if series is None:
            lenient = {n: _channel_values(n, located, frame) for n in {name, twin} & set(visible)}
            series, from_twin = _first_within_limit(name, twin, lenient, max_missing, pose.fps)
        if series is None:
            raise MissingDataError(_missing_message(name, located, max_missing, pose))
        if from_twin:
            mirrored.append(name)
        values[name] = _interpolate_gaps(series)
    return values, mirrored


def _first_within_limit(name, twin, raw, max_missing, fps):
    """``(values, from_twin)`` of the first candidate missing at most ``max_missing``, else None."""
    own = raw[name]
    if _missing_share(own) <= max_missing:
        if twin in raw:
            own = _fill_long_gaps(own, raw[twin], int(_LONG_GAP_SECONDS * fps))
        return own, False
    if twin == name or twin not in raw:
        return None, False
    if _missing_share(raw[twin]) <= max_missing:
        return raw[twin], True
    merged = np.where(np.isnan(own), raw[twin], own)
    return (merged, True) if _missing_share(merged) <= max_missing else (None, False)


def _missing_share(values) -> float:
    return float(np.isnan(values).mean())


def _missing_message(channel, located, max_missing, pose) -> str:
    """Which joint a channel lacks on both sides, and in what share of the frames."""
    joints = sorted({j for joint in CHANNELS[channel][1] for j in needed_joints(joint)})
    lacking = {}
    for joint in joints:
        twin = mirror_name(joint)
        absent = np.isnan(located[joint][:, 0])
        if twin in located:
            absent &= np.isnan(located[twin][:, 0])
        lacking[joint] = float(absent.mean())
    joint = max(joints, key=lacking.get)
    sides = joint if mirror_name(joint) == joint else f"{joint} and the {mirror_name(joint)}"
    return (f"{_where(pose)}the {sides} cannot be seen in {lacking[joint]:.0%} of frames "
            f"(limit {max_missing:.0%}), so {channel!r} cannot be measured from either side")


def _fill_long_gaps(values, twin, min_length) -> np.ndarray:
    """Fill runs of at least ``min_length`` missing frames from the other side's channel.

    A far-side joint hidden for a whole rep would otherwise be bridged by a
    straight line, flattening the rep; short gaps are left to interpolation.
    """
    missing = np.isnan(values)
    if not missing.any():
        return values
    edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
    starts, stops = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    long = stops - starts >= min_length
    if not long.any():
        return values
    inside = np.zeros(len(values) + 1, np.int64)     # +1 where a long run starts, -1 after it
    inside[starts[long]] += 1
    inside[stops[long]] -= 1
    out = values.copy()
    fill = np.cumsum(inside[:-1]) > 0
    out[fill] = twin[fill]
    return out


def _interpolate_gaps(values: np.ndarray) -> np.ndarray:
    good = np.isfinite(values)
    if good.all():
        return values
    index = np.arange(len(values))
    return np.interp(index, index[good], values[good])
