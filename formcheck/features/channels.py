"""The channel vocabulary: every feature channel, the joints it is measured on, its unit.

A channel is one column of an :class:`~formcheck.features.angles.AngleSeries`.
Seven kinds exist:

- ``"angle"``: the angle at the middle of three joints, 0-180 degrees;
- ``"incline"``: the segment from the first joint to the second against the
  upward vertical, 0-180 degrees;
- ``"incline_difference"``: the incline of the segment from the first joint to
  the second minus that of the segment from the third to the fourth, degrees;
- ``"height"``: the vertical offset of the first joint over the second, in torso
  lengths (positive when the first is higher);
- ``"width"``: the distance across the camera's view (along the image's x, for
  2-D and 3-D poses alike) between two joints, in torso lengths (near 0 for a
  left-right pair seen from the side, 0 where one is missing);
- ``"width_ratio"``: the width between the first two joints over
  that between the last two (below 1 when the first pair is narrower); the last
  two count as at least a quarter of a torso length apart, and the ratio is 1
  where a joint is missing;
- ``"bend"``: how far the middle of three joints bends the line from the first
  to the third, in degrees (180 minus their angle), positive when the middle
  joint lies above that line and negative below.

Besides the layout's joints, channels may use midpoints (:data:`MIDPOINTS`) and
the ``chin`` (:data:`VIRTUAL_JOINTS`): below the mouth by 1.3 times the nose-to-mouth
distance when the layout has mouth landmarks, else 0.16 torso lengths below the
nose (average adult face proportions: nose tip to mouth about 35 mm, mouth to chin
about 45 mm, nose tip to chin about 80 mm against a 0.5 m torso; Farkas,
*Anthropometry of the Head and Face*, 1994).

Both the exercise definitions and the angle computation read this module; it
imports nothing of formcheck's above the pose layer.
"""

from __future__ import annotations

import functools

from ..pose.skeleton import get_layout, mirror_name

__all__ = ["CHANNELS", "MIDPOINTS", "VIRTUAL_JOINTS", "MEASUREMENT_NOISE", "available_channels",
           "needed_joints", "mirror_name", "channel_kind", "describe_channel", "channel_unit",
           "format_value", "measurement_noise"]

#: Channel name -> (kind, joints).
CHANNELS = {
    "left_elbow": ("angle", ("left_shoulder", "left_elbow", "left_wrist")),
    "right_elbow": ("angle", ("right_shoulder", "right_elbow", "right_wrist")),
    "left_shoulder": ("angle", ("left_hip", "left_shoulder", "left_elbow")),
    "right_shoulder": ("angle", ("right_hip", "right_shoulder", "right_elbow")),
    "left_hip": ("angle", ("left_shoulder", "left_hip", "left_knee")),
    "right_hip": ("angle", ("right_shoulder", "right_hip", "right_knee")),
    "left_knee": ("angle", ("left_hip", "left_knee", "left_ankle")),
    "right_knee": ("angle", ("right_hip", "right_knee", "right_ankle")),
    "left_ankle": ("angle", ("left_knee", "left_ankle", "left_toe")),
    "right_ankle": ("angle", ("right_knee", "right_ankle", "right_toe")),
    "trunk_inclination": ("incline", ("mid_hip", "mid_shoulder")),
    "left_shin_inclination": ("incline", ("left_ankle", "left_knee")),
    "right_shin_inclination": ("incline", ("right_ankle", "right_knee")),
    "left_body_line": ("angle", ("left_shoulder", "left_hip", "left_ankle")),
    "right_body_line": ("angle", ("right_shoulder", "right_hip", "right_ankle")),
    "nose_over_wrists": ("height", ("nose", "mid_wrist")),
    "nose_over_shoulders": ("height", ("nose", "mid_shoulder")),
    "hips_over_ankles": ("height", ("mid_hip", "mid_ankle")),
    "hips_over_knees": ("height", ("mid_hip", "mid_knee")),
    "chin_over_wrists": ("height", ("chin", "mid_wrist")),
    "trunk_lean_over_shins": ("incline_difference", ("mid_hip", "mid_shoulder", "mid_ankle",
                                                      "mid_knee")),
    "ankle_width": ("width", ("left_ankle", "right_ankle")),
    "shoulder_width": ("width", ("left_shoulder", "right_shoulder")),
    "knee_ankle_width_ratio": ("width_ratio", ("left_knee", "right_knee", "left_ankle",
                                               "right_ankle")),
    "body_line_bend": ("bend", ("mid_shoulder", "mid_hip", "mid_ankle")),
}

#: Virtual joints: midpoint name -> the two joints it lies between.
MIDPOINTS = {
    "mid_shoulder": ("left_shoulder", "right_shoulder"),
    "mid_hip": ("left_hip", "right_hip"),
    "mid_wrist": ("left_wrist", "right_wrist"),
    "mid_ankle": ("left_ankle", "right_ankle"),
    "mid_knee": ("left_knee", "right_knee"),
    "mid_mouth": ("left_mouth", "right_mouth"),
}

#: Virtual joints estimated from others: name -> the joints it needs at least.
VIRTUAL_JOINTS = {"chin": ("nose",)}

#: Measurement noise of one reading of a channel, by kind, in the channel's unit: about
#: the error of a 2-D pose estimate's joint angle (a few degrees) and of a landmark's
#: position (a few hundredths of a torso length). Standards scale their margins by it.
MEASUREMENT_NOISE = {"angle": 5.0, "incline": 5.0, "incline_difference": 7.0, "bend": 5.0,
                     "height": 0.05, "width": 0.05, "width_ratio": 0.1}

_DESCRIPTIONS = {
    "hips_over_knees": "hip height over the knees",
    "chin_over_wrists": "chin height over the wrists",
    "trunk_lean_over_shins": "trunk lean beyond the shins' (trunk minus shin inclination)",
    "ankle_width": "ankle width",
    "shoulder_width": "shoulder width",
    "knee_ankle_width_ratio": "knee width over ankle width",
    "body_line_bend": "body line bend at the hips (shoulder-hip-ankle; up +, down -)",
}


def needed_joints(joint: str) -> set:
    """The layout joints a midpoint or virtual joint needs at least (itself for a layout joint)."""
    if joint in VIRTUAL_JOINTS:
        return set(VIRTUAL_JOINTS[joint])
    return set(MIDPOINTS.get(joint, (joint,)))


def available_channels(layout) -> list:
    """Channels computable from the joints of ``layout`` (a name or Layout).

    Examples
    --------
    >>> "left_ankle" in available_channels("coco17")   # COCO-17 has no toes
    False
    >>> "left_knee" in available_channels("coco17")
    True
    """
    return list(_computable_channels(frozenset(get_layout(layout).canonical)))


@functools.lru_cache(maxsize=64)
def _computable_channels(joints: frozenset) -> tuple:
    return tuple(name for name in CHANNELS if computable_from(name, joints))


def computable_from(channel: str, joints) -> bool:
    """Whether a known channel can be computed from a set of (canonical) joint names."""
    return all(needed_joints(j) <= joints for j in CHANNELS[channel][1])


def channel_kind(channel: str) -> str:
    """The channel's kind, e.g. ``"angle"`` or ``"height"`` (unknown names count as angles)."""
    return CHANNELS.get(channel, ("angle", ()))[0]


def channel_unit(channel: str) -> str:
    """The unit a channel is measured in: ``"°"``, ``" torso lengths"`` or ``""`` (a ratio)."""
    kind = channel_kind(channel)
    if kind in ("height", "width"):
        return " torso lengths"
    return "" if kind == "width_ratio" else "°"


def measurement_noise(channel: str) -> float:
    """Typical error of one reading of ``channel``, in its unit (see :data:`MEASUREMENT_NOISE`).

    Examples
    --------
    >>> measurement_noise("left_knee"), measurement_noise("hips_over_knees")
    (5.0, 0.05)
    """
    return MEASUREMENT_NOISE[channel_kind(channel)]


def describe_channel(channel: str) -> str:
    """Human name of a channel.

    Examples
    --------
    >>> describe_channel("left_knee"), describe_channel("nose_over_wrists")
    ('left knee angle', 'nose height over the wrists')
    """
    if channel in _DESCRIPTIONS:
        return _DESCRIPTIONS[channel]
    kind = channel_kind(channel)
    words = channel.replace("_", " ")
    if channel.endswith("body_line"):
        return words.replace("body line", "body line (shoulder-hip-ankle)")
    if kind == "height":
        return words.replace("nose over ", "nose height over the ")
    return words if kind == "incline" else f"{words} angle"


def format_value(channel: str, value: float, *, unit: bool = True) -> str:
    """A channel's value as people read it: degrees whole, heights signed to 0.01.

    Examples
    --------
    >>> format_value("left_knee", 112.4), format_value("hips_over_ankles", 0.123)
    ('112°', '+0.12 torso lengths')
    >>> format_value("hips_over_ankles", -0.5, unit=False)
    '-0.50'
    >>> format_value("knee_ankle_width_ratio", 0.834), format_value("body_line_bend", -12.2)
    ('0.83', '-12°')
    """
    kind = channel_kind(channel)
    if kind in ("height", "width", "width_ratio"):
        text = f"{value:+.2f}" if kind == "height" else f"{value:.2f}"
    else:
        text = f"{value:+.0f}" if kind == "bend" else f"{value:.0f}"
    return text + channel_unit(channel) if unit else text
