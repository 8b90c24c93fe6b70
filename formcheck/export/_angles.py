"""One rep's joint angles inside the graph, computed as :func:`formcheck.joint_angles` does.

Landmarks ``(T, J, 4)`` -> points (aspect-corrected image coordinates, NaN
where a joint is missing) -> midpoints and the chin -> channels (every kind of
:mod:`formcheck.features.channels`: angles, inclinations and their differences,
heights, widths and width ratios in torso lengths, body-line bends) -> the
visible side (a channel missing in too many frames takes its twin's values,
long gaps are filled from the twin, short ones interpolated) -> optional
resampling to the model's frame rate. Every step
mirrors its NumPy counterpart in :mod:`formcheck.features.angles`, operation
for operation, in float64.

Points are 3-D: in the 2-D geometry z is 0, so the angle formulas are those of
3-D angles between segments (``atan2(|u x v|, u . v)``); in the 3-D geometry the
points are the world landmarks, as :func:`formcheck.joint_angles` takes them,
except for the widths, measured in the image in either geometry, and the heights,
computed both ways in 3-D and taken from the image when the rep is seen from the side (the
hips' axis more than 65 degrees from the camera's x, as :func:`formcheck.joint_angles` with
``heights="side-image"``).
"Up" (heights, inclinations, the sign of a bend, the chin below the nose) is
the image's up in 2-D and, in 3-D, the camera's up or the standing body's
vertical estimated from the rep's own frames, as
:func:`formcheck.features.angles.body_vertical` does.
"""

from __future__ import annotations

import math

import numpy as np

from ..features.channels import CHANNELS, MIDPOINTS, available_channels, mirror_name
from ..pose.skeleton import get_layout
from ._graph import DOUBLE, INT64, MAX_FRAMES

__all__ = ["angle_series"]

_UP = [0.0, -1.0, 0.0]   # image y grows downwards
_UPRIGHT_SHARE = 0.2     # as formcheck.features.angles
_MAX_CAMERA_TILT = 30.0  # as formcheck.features.angles
_LONG_GAP_SECONDS = 0.3  # as formcheck.features.angles
_CHIN_BELOW_MOUTH = 1.3  # as formcheck.features.angles
_CHIN_BELOW_NOSE = 0.16  # as formcheck.features.angles
_MIN_OUTER_WIDTH = 0.25  # as formcheck.features.angles
_KINDS = ("angle", "incline", "height", "incline_difference", "width", "width_ratio", "bend")
_TORSO_KINDS = ("height", "width", "width_ratio")   # the kinds measured in torso lengths
_UP_KINDS = ("incline", "height", "incline_difference", "bend")   # the kinds measured along "up"
_IMAGE_KINDS = ("width", "width_ratio")   # measured in the image in either geometry
_SIDE_VIEW = 65.0        # as formcheck.features.angles: heights from the image beyond it
_VIEW_PAIRS = (("left_hip", "right_hip"), ("left_shoulder", "right_shoulder"))


def angle_series(g, landmarks, image_size, fps, *, layout, channels, settings,
                 world=None) -> str:
    """The rep's angle series ``(T', len(channels))``, float64, in ``channels`` order.

    Parameters
    ----------
    g : Graph
    landmarks, image_size, fps : str
        Graph inputs: float32 ``(T, J, 4)``, ``(2,)`` and ``(1,)``.
    world : str, optional
        Graph input float32 ``(T, J, 3)``: the world landmarks, for 3-D angles
        (visibility still comes from ``landmarks``); None: 2-D angles in the image.
    layout : str
    channels : list of str
        The model's channels.
    settings : dict
        ``min_visibility``, ``max_missing``, ``target_fps`` (None: no resampling) and
        ``vertical`` (``"body"`` or ``"camera"``) and ``heights`` (``"side-image"``, the
        default, or ``"geometry"``), used in 3-D only.
    """
    wanted, visible, lenient = [], [], []
    for source, group in _by_geometry(_wanted_channels(channels, layout), world):
        measured = _measured(g, landmarks, image_size, source, layout, group, settings)
        if source is not None and settings.get("heights", "side-image") == "side-image":
            measured = _heights_by_view(g, landmarks, image_size, world, layout, group, settings,
                                        measured)
        wanted += group
        visible.append(measured[0])
        lenient.append(measured[1])
    visible, lenient = (parts[0] if len(parts) == 1 else g.op("Concat", *parts, axis=1)
                        for parts in (visible, lenient))
    fps = g.cast(fps, DOUBLE)
    series = _fill_missing(g, visible, lenient, channels, wanted, settings["max_missing"], fps)
    if settings["target_fps"]:
        series = _resample_fps(g, series, fps, float(settings["target_fps"]))
    return series


def _by_geometry(wanted, world) -> list:
    """``(world or None, channels)`` pairs: the width channels are measured in the image even
    in 3-D, as :func:`formcheck.joint_angles` does (``angles._by_geometry``)."""
    if world is None:
        return [(None, wanted)]
    image = [c for c in wanted if CHANNELS[c][0] in _IMAGE_KINDS]
    space = [c for c in wanted if c not in image]
    return [(source, group) for source, group in ((world, space), (None, image)) if group]


def _heights_by_view(g, landmarks, image_size, world, layout, group, settings, measured):
    """``measured``, the world's ``(visible, located)`` values of ``group``, with its height
    columns taken from the image when the rep is seen from the side (:func:`_side_view`), as
    ``joint_angles(heights="side-image")`` measures them."""
    heights = [c for c in group if CHANNELS[c][0] == "height"]
    side = _side_view(g, landmarks, image_size, world, layout, heights, settings)
    if side is None:
        return measured
    image = _measured(g, landmarks, image_size, None, layout, heights, settings)
    at = [len(group) + heights.index(c) if c in heights else k for k, c in enumerate(group)]
    return tuple(g.where(side, g.take(g.op("Concat", space, flat, axis=1), at, axis=1), space)
                 for space, flat in zip(measured, image))


def _side_view(g, landmarks, image_size, world, layout, heights, settings):
    """Boolean scalar: the rep is seen from the side, its :func:`_view_angle` over 65 degrees
    (``angles._heights_from_image``); None when there is no height or no hip or shoulder pair."""
    canonical = get_layout(layout).canonical
    pairs = [pair for pair in _VIEW_PAIRS if set(pair) <= set(canonical)]
    if not heights or not pairs:
        return None
    points = _points(g, landmarks, image_size, world, settings["min_visibility"])
    body = settings["vertical"] == "body"
    up = _body_vertical(g, *_joint_table(g, points, layout, heights, body)) if body else _UP
    angle, count = _view_angle(g, points, [[canonical[j] for j in pair] for pair in pairs], up)
    return g.op("And", g.op("Greater", count, np.int64(0)), g.op("Greater", angle, _SIDE_VIEW))


def _view_angle(g, points, pairs, up):
    """``(degrees, frames seen)``: :func:`formcheck.features.angles.view_angle` of the rep.

    ``pairs``: the left and right point indices of the hips, then of the shoulders (each
    frame takes the first pair it sees)."""
    up = np.asarray(up, np.float64) if isinstance(up, list) else up
    across = g.sub(np.array([1.0, 0.0, 0.0]), g.mul(g.take(up, 0, axis=0), up))
    angles = []
    for left, right in pairs:
        axis = g.sub(g.take(points, right, axis=1), g.take(points, left, axis=1))
        flat = g.sub(axis, g.mul(g.unsqueeze(_along(g, axis, up), [1]), up))
        angles.append(_angle_between(g, flat, across))
    angle = angles[0] if len(angles) == 1 else g.where(g.isnan(angles[0]), angles[1], angles[0])
    angle = g.op("Min", angle, g.sub(180.0, angle))
    return _median(g, angle, g.op("Not", g.isnan(angle)))


def _measured(g, landmarks, image_size, world, layout, wanted, settings):
    """``((T, W) visible, (T, W) located)`` values of the ``wanted`` channels in one geometry:
    joints under ``min_visibility`` missing, or only those never located."""
    body = world is not None and settings["vertical"] == "body" and _needs_up(wanted)
    points, column = _joint_table(g, _points(g, landmarks, image_size, world,
                                             settings["min_visibility"]), layout, wanted, body)
    located, _ = _joint_table(g, _points(g, landmarks, image_size, world, 0.0), layout, wanted,
                              body)
    torso = _torso_length(g, points, column)
    up = _body_vertical(g, points, column) if body else _UP
    if _needs_chin(wanted):
        points, located = (_with_chin(g, table, column, torso, up) for table in (points, located))
        column = {**column, "chin": len(column)}
    return (_channel_values(g, points, column, wanted, torso, up),
            _channel_values(g, located, column, wanted, torso, up))


def _wanted_channels(channels, layout) -> list:
    """The model's channels and their other-side twins, grouped by kind."""
    supported = available_channels(layout)
    wanted = set(channels) | {mirror_name(c) for c in channels if mirror_name(c) in supported}
    return [c for kind in _KINDS for c in CHANNELS if c in wanted and CHANNELS[c][0] == kind]


def _points(g, landmarks, image_size, world, min_visibility) -> str:
    """``(T, J, 3)`` points, NaN where missing: the world landmarks (3-D), or x and y times the
    image size with z = 0 (2-D).

    A joint is missing when its visibility is under ``min_visibility``, or 0,
    or its coordinates are NaN.
    """
    data = g.cast(landmarks, DOUBLE)
    visibility = g.take(data, 3, axis=2)
    hidden = g.op("Or", g.op("Less", visibility, float(min_visibility)),
                  g.op("LessOrEqual", visibility, 0.0))
    if world is not None:
        points = g.cast(world, DOUBLE)
    else:
        xy = g.op("Slice", data, np.array([0], np.int64), np.array([2], np.int64),
                  np.array([2], np.int64))
        shape = g.op("Concat", g.op("Shape", visibility), np.array([1], np.int64), axis=0)
        points = g.op("Concat", g.mul(xy, g.cast(image_size, DOUBLE)), g.full(shape, 0.0),
                      axis=2)
    missing = g.op("Or", hidden, g.isnan(g.reduce("ReduceSum", points, 2)))
    return g.where(g.unsqueeze(missing, [2]), math.nan, points)


def _joint_table(g, points, layout, wanted, body=False):
    """``(T, K, 3)`` of the joints the channels use, midpoints included, and name -> column;
    with ``body``, also the mid-ankle and mid-shoulder (the body's vertical) where the layout
    has them."""
    canonical = get_layout(layout).canonical
    joints = {j for c in wanted for j in CHANNELS[c][1]}
    if _needs_chin(wanted):   # from the nose through the mouth, when the layout has one
        joints = (joints - {"chin"}) | {"nose"} | (
            {"mid_mouth"} if set(MIDPOINTS["mid_mouth"]) <= set(canonical) else set())
    if _needs_torso(wanted):
        joints |= {m for m in ("mid_shoulder", "mid_hip") if set(MIDPOINTS[m]) <= set(canonical)}
    if body:
        joints |= {m for m in ("mid_ankle", "mid_shoulder") if set(MIDPOINTS[m]) <= set(canonical)}
    mids = sorted(j for j in joints if j in MIDPOINTS)
    real = sorted({j for j in joints if j not in MIDPOINTS}
                  | {side for m in mids for side in MIDPOINTS[m]})
    column = {name: k for k, name in enumerate(real + mids)}
    table = g.take(points, [canonical[j] for j in real], axis=1)
    if mids:
        sides = [g.take(table, [column[MIDPOINTS[m][k]] for m in mids], axis=1) for k in (0, 1)]
        table = g.op("Concat", table, _nanmean(g, *sides), axis=1)
    return table, column


def _needs_chin(wanted) -> bool:
    return any("chin" in CHANNELS[c][1] for c in wanted)


def _needs_up(wanted) -> bool:
    """Whether a wanted channel is measured along "up" (or needs the chin, placed along it)."""
    return _needs_chin(wanted) or any(CHANNELS[c][0] in _UP_KINDS for c in wanted)


def _needs_torso(wanted) -> bool:
    """Whether a wanted channel is measured in torso lengths, or needs the chin (placed by it)."""
    return _needs_chin(wanted) or any(CHANNELS[c][0] in _TORSO_KINDS for c in wanted)


def _nanmean(g, a, b):
    """``np.nanmean(np.stack([a, b]), axis=0)``: the mean of the values present, NaN if none."""
    present = [g.op("Not", g.isnan(x)) for x in (a, b)]
    total = g.add(*[g.where(p, x, 0.0) for p, x in zip(present, (a, b))])
    count = g.add(*[g.cast(p, DOUBLE) for p in present])
    return g.div(total, count)


def _with_chin(g, table, column, torso, up) -> str:
    """``table`` with the chin (:func:`_chin`) as one more joint column."""
    return g.op("Concat", table, g.unsqueeze(_chin(g, table, column, torso, up), [1]), axis=1)


def _chin(g, table, column, torso, up) -> str:
    """``(T, 3)``: the chin, extended from the nose through the mouth, else below the nose."""
    nose = g.take(table, column["nose"], axis=1)
    below_nose = g.sub(nose, g.mul(g.mul(_CHIN_BELOW_NOSE, torso), up))
    if "mid_mouth" not in column:
        return below_nose
    mouth = g.take(table, column["mid_mouth"], axis=1)
    chin = g.add(mouth, g.mul(g.sub(mouth, nose), _CHIN_BELOW_MOUTH))
    return g.where(g.isnan(chin), below_nose, chin)


def _channel_values(g, table, column, wanted, torso, up) -> str:
    """``(T, W)``: every wanted channel, in ``wanted`` order, NaN where a joint is missing
    (widths 0 and width ratios 1 there, as :func:`formcheck.joint_angles` gives); ``up`` is
    the unit vector ``(3,)`` heights and inclinations are measured along."""
    def joints(kind, k):
        return g.take(table, [column[CHANNELS[c][1][k]] for c in wanted
                              if CHANNELS[c][0] == kind], axis=1)

    def coordinate(points, axis):
        return g.take(points, axis, axis=2)

    def pair_width(kind, first):
        distance = g.sub(coordinate(joints(kind, first), 0), coordinate(joints(kind, first + 1), 0))
        return g.div(g.op("Abs", distance), torso)

    def incline(kind, first):
        return _angle_between(g, g.sub(joints(kind, first + 1), joints(kind, first)), up)

    parts = []
    kinds = {CHANNELS[c][0] for c in wanted}
    if "angle" in kinds:
        parts.append(_angle_at(g, joints("angle", 0), joints("angle", 1), joints("angle", 2)))
    if "incline" in kinds:
        parts.append(incline("incline", 0))
    if "height" in kinds:
        offset = g.sub(joints("height", 0), joints("height", 1))
        parts.append(g.div(_along(g, offset, up), torso))
    if "incline_difference" in kinds:
        parts.append(g.sub(incline("incline_difference", 0), incline("incline_difference", 2)))
    if "width" in kinds:
        width = pair_width("width", 0)
        parts.append(g.where(g.isnan(width), 0.0, width))
    if "width_ratio" in kinds:
        outer = pair_width("width_ratio", 2)
        outer = g.where(g.op("Less", outer, _MIN_OUTER_WIDTH), _MIN_OUTER_WIDTH, outer)
        ratio = g.div(pair_width("width_ratio", 0), outer)
        parts.append(g.where(g.op("Or", g.isnan(ratio), g.op("IsInf", ratio)), 1.0, ratio))
    if "bend" in kinds:
        parts.append(_bend(g, joints("bend", 0), joints("bend", 1), joints("bend", 2), up))
    return parts[0] if len(parts) == 1 else g.op("Concat", *parts, axis=1)


def _angle_at(g, a, b, c) -> str:
    """Degrees of the angle at ``b`` between ``a`` and ``c``."""
    return _angle_between(g, g.sub(a, b), g.sub(c, b))


def _along(g, vectors, up) -> str:
    """``vectors @ up``: the component of ``(..., 3)`` vectors along ``up``."""
    return g.reduce("ReduceSum", g.mul(vectors, up), -1)


def _bend(g, a, b, c, up) -> str:
    """180 minus the angle at ``b``, + when ``b`` lies above the line from ``a`` to ``c``."""
    line, towards = g.sub(c, a), g.sub(b, a)
    length = g.reduce("ReduceSum", g.mul(line, line), 2)
    length = g.where(g.op("Less", length, 1e-12), 1e-12, length)
    along = g.div(g.reduce("ReduceSum", g.mul(towards, line), 2), length)
    offset = g.sub(towards, g.mul(g.unsqueeze(along, [2]), line))
    above = g.where(g.op("GreaterOrEqual", _along(g, offset, up), 0.0), 1.0, -1.0)
    return g.mul(above, g.sub(180.0, _angle_at(g, a, b, c)))


def _angle_between(g, u, v) -> str:
    """Degrees between vectors ``(..., 3)``: ``atan2(|u x v|, u . v)``, NaN if either is."""
    uc = [g.take(u, k, axis=-1) for k in range(3)]
    vc = [g.take(v, k, axis=-1) for k in range(3)]
    cross = [g.sub(g.mul(uc[i], vc[j]), g.mul(uc[j], vc[i])) for i, j in ((1, 2), (2, 0), (0, 1))]
    norm = g.op("Sqrt", g.add(g.add(g.mul(cross[0], cross[0]), g.mul(cross[1], cross[1])),
                              g.mul(cross[2], cross[2])))
    dot = g.add(g.add(g.mul(uc[0], vc[0]), g.mul(uc[1], vc[1])), g.mul(uc[2], vc[2]))
    degrees = g.mul(g.atan2_nonnegative(norm, dot), 180.0 / math.pi)
    return g.where(g.isnan(g.add(norm, dot)), math.nan, degrees)


def _torso_length(g, table, column) -> str:
    """The median shoulder-to-hip distance over the frames where both are seen (1 if none, or 0)."""
    if "mid_shoulder" not in column or "mid_hip" not in column:
        return g.const(1.0)
    segment = g.sub(g.take(table, column["mid_shoulder"], axis=1),
                    g.take(table, column["mid_hip"], axis=1))
    lengths = _norm(g, segment)
    seen = g.op("Not", g.isnan(lengths))
    median, count = _median(g, lengths, seen)
    usable = g.op("And", g.op("Greater", count, np.int64(0)), g.op("Not", g.op("Equal", median,
                                                                             0.0)))
    return g.where(usable, median, 1.0)


def _body_vertical(g, table, column) -> str:
    """``(3,)``: :func:`formcheck.features.angles.body_vertical` of the rep's frames.

    The median direction from the mid-ankle to the mid-shoulder over the
    frames at least as far apart as the ``ceil(n / 5)``-th furthest of the
    ``n`` frames where both are seen; the camera's up when fewer than 2 are
    seen, or when that direction leans more than 30 degrees from it.
    """
    if "mid_ankle" not in column or "mid_shoulder" not in column:
        return _UP
    axis = g.sub(g.take(table, column["mid_shoulder"], axis=1),
                 g.take(table, column["mid_ankle"], axis=1))
    length = _norm(g, axis)
    seen = g.op("Not", g.op("Or", g.isnan(length), g.op("IsInf", length)))
    count = g.reduce("ReduceSum", g.cast(seen, INT64), 0)
    tallest = g.op("Max", g.cast(g.op("Ceil", g.mul(_UPRIGHT_SHARE, g.cast(count, DOUBLE))),
                                 INT64), np.int64(1))
    longest = g.op("TopK", g.where(seen, length, -math.inf), g.unsqueeze(tallest, [0]),
                   outputs=2, largest=1, sorted=1)[0]
    threshold = g.take(longest, g.sub(tallest, np.int64(1)), axis=0)
    tall = g.op("And", seen, g.op("GreaterOrEqual", length, threshold))
    direction, _ = _median(g, g.div(axis, g.unsqueeze(length, [1])), tall, vectors=True)
    up = g.div(direction, _norm(g, direction))
    upright = g.op("And", g.op("GreaterOrEqual", count, np.int64(2)),
                   g.op("LessOrEqual", _angle_between(g, up, np.array(_UP)), _MAX_CAMERA_TILT))
    return g.where(upright, up, _UP)


def _norm(g, vectors) -> str:
    """Euclidean length of ``(..., 3)`` vectors."""
    return g.op("Sqrt", g.reduce("ReduceSum", g.mul(vectors, vectors), -1))


def _median(g, values, present, vectors=False):
    """``np.median`` over the frames where ``present`` (``(T,)``) of ``values``, ``(T,)``, or
    ``(T, 3)`` column by column with ``vectors``; and that number of frames.

    The middle value of an odd count, the mean of the two middle ones of an even count.
    """
    count = g.reduce("ReduceSum", g.cast(present, INT64), 0)
    mask = g.unsqueeze(present, [1]) if vectors else present
    ordered = g.op("TopK", g.where(mask, values, math.inf),
                   g.unsqueeze(g.dim(values, 0), [0]), outputs=2, largest=0, sorted=1, axis=0)[0]
    low = g.op("Max", g.div(g.sub(count, np.int64(1)), np.int64(2)), np.int64(0))
    high = g.div(count, np.int64(2))
    return g.div(g.add(g.take(ordered, low, axis=0), g.take(ordered, high, axis=0)), 2.0), count


def _fill_missing(g, visible, lenient, channels, wanted, max_missing, fps) -> str:
    """``(T, C)``: the model's channels with the visible side chosen and gaps filled.

    As ``formcheck.features.angles._fill_missing``: the first candidate missing
    at most ``max_missing`` of the frames is kept: the channel itself (runs of
    at least ``int(0.3 * fps)`` missing frames taken from its twin), its twin,
    the two sides merged frame by frame; then the same three from the joints
    wherever they were located (``lenient``); none: NaN, where formcheck
    raises MissingDataError. The remaining gaps are interpolated linearly
    (held constant at the ends).
    """
    own = [wanted.index(c) for c in channels]
    twin = [wanted.index(mirror_name(c)) if mirror_name(c) in wanted else wanted.index(c)
            for c in channels]
    has_twin = np.array([mirror_name(c) != c and mirror_name(c) in wanted for c in channels])
    frames = g.unsqueeze(g.op("Range", np.int64(0), g.dim(visible, 0), np.int64(1)), [1])
    shortest = g.cast(g.op("Floor", g.mul(_LONG_GAP_SECONDS, fps)), INT64)
    strict, strict_ok = _first_within_limit(g, visible, own, twin, has_twin, max_missing,
                                            frames, shortest)
    loose, loose_ok = _first_within_limit(g, lenient, own, twin, has_twin, max_missing,
                                          frames, shortest)
    values = g.where(strict_ok, strict, g.where(loose_ok, loose, math.nan))
    return _interpolate_gaps(g, values, frames)


def _first_within_limit(g, raw, own, twin, has_twin, max_missing, frames, shortest):
    """``((T, C) values, (C,) found)``: ``angles._first_within_limit`` for every channel."""
    values, twin_values = g.take(raw, own, axis=1), g.take(raw, twin, axis=1)
    merged = g.where(g.isnan(values), twin_values, values)
    own_ok, twin_ok, merged_ok = (g.op("LessOrEqual", _missing_share(g, x), float(max_missing))
                                  for x in (values, twin_values, merged))
    twin_ok = g.op("And", has_twin, twin_ok)
    merged_ok = g.op("And", has_twin, merged_ok)
    gaps = g.isnan(values)
    previous, following = _neighbours(g, g.op("Not", gaps), frames)
    run = g.sub(g.sub(following, previous), np.int64(1))
    long_gap = g.op("And", gaps, g.op("GreaterOrEqual", run, shortest))
    own_filled = g.where(g.op("And", long_gap, has_twin), twin_values, values)
    chosen = g.where(own_ok, own_filled, g.where(twin_ok, twin_values, merged))
    found = g.op("Or", own_ok, g.op("Or", twin_ok, merged_ok))
    return chosen, found


def _missing_share(g, values) -> str:
    """``(C,)``: the share of frames in which each column is NaN."""
    return g.reduce("ReduceMean", g.cast(g.isnan(values), DOUBLE), 0)


def _neighbours(g, good, frames):
    """Per frame and column: the last good frame at or before it (-1 if none) and the first
    good frame at or after it (T if none)."""
    length = g.dim(good, 0)
    previous = g.running_extreme(g.where(good, frames, np.int64(-1)), -1)
    following = g.running_extreme(g.where(good, frames, np.int64(MAX_FRAMES)), MAX_FRAMES,
                                  reverse=True)
    return previous, g.op("Min", following, length)


def _interpolate_gaps(g, values, frames) -> str:
    """``np.interp`` over each column's good frames, as ``_interpolate_gaps`` (ends held)."""
    good = g.op("Not", g.isnan(values))
    previous, following = _neighbours(g, good, frames)
    last = g.sub(g.dim(values, 0), np.int64(1))
    before = g.op("GatherElements", values, g.op("Max", previous, np.int64(0)), axis=0)
    after = g.op("GatherElements", values, g.op("Min", following, last), axis=0)
    slope = g.div(g.sub(after, before), g.cast(g.sub(following, previous), DOUBLE))
    inside = g.add(g.mul(slope, g.cast(g.sub(frames, previous), DOUBLE)), before)
    at_end = g.where(g.op("Greater", following, last), before, inside)
    return g.where(good, values, g.where(g.op("Less", previous, np.int64(0)), after, at_end))


def _resample_fps(g, series, fps, target) -> str:
    """``AngleSeries.resample(target)``: ``np.interp`` onto a ``target`` fps grid, same duration."""
    length = g.dim(series, 0)
    last = g.sub(length, np.int64(1))
    t_in = g.div(g.arange(length), fps)
    duration = g.div(g.cast(last, DOUBLE), fps)
    steps = g.op("Floor", g.add(g.mul(duration, target), 1e-9))
    count = g.cast(g.add(g.op("Max", steps, 1.0), 1.0), INT64)
    t_out = g.div(g.arange(count), target)
    earlier = g.op("LessOrEqual", g.unsqueeze(t_in, [0]), g.unsqueeze(t_out, [1]))
    left = g.sub(g.reduce("ReduceSum", g.cast(earlier, INT64), 1), np.int64(1))
    right = g.op("Min", g.add(left, np.int64(1)), last)
    v_left, v_right = g.take(series, left, axis=0), g.take(series, right, axis=0)
    t_left, t_right = g.take(t_in, left, axis=0), g.take(t_in, right, axis=0)
    slope = g.div(g.sub(v_right, v_left), g.unsqueeze(g.sub(t_right, t_left), [1]))
    inside = g.add(g.mul(slope, g.unsqueeze(g.sub(t_out, t_left), [1])), v_left)
    exact = g.op("Or", g.op("Equal", left, last), g.op("Equal", t_left, t_out))
    return g.where(g.unsqueeze(exact, [1]), v_left, inside)
