"""The channel vocabulary: every feature channel, the joints it is measured on, its unit.

A channel is one column of an :class:`~formcheck.features.angles.AngleSeries`.
Three kinds exist:

- ``"angle"``: the angle at the middle of three joints, 0-180 degrees;
- ``"incline"``: the segment from the first joint to the second against the
  upward vertical, 0-180 degrees;
- ``"height"``: the vertical offset of the first joint over the second, in torso
  lengths (positive when the first is higher).

Both the exercise definitions and the angle computation read this module; it
imports nothing of formcheck's above the pose layer.
"""

from __future__ import annotations

from ..pose.skeleton import get_layout, mirror_name

__all__ = ["CHANNELS", "MIDPOINTS", "available_channels", "needed_joints", "mirror_name",
           "channel_kind", "describe_channel", "channel_unit", "format_value"]

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
}

#: Virtual joints: midpoint name -> the two joints it lies between.
MIDPOINTS = {
    "mid_shoulder": ("left_shoulder", "right_shoulder"),
    "mid_hip": ("left_hip", "right_hip"),
    "mid_wrist": ("left_wrist", "right_wrist"),
    "mid_ankle": ("left_ankle", "right_ankle"),
}


def needed_joints(joint: str) -> set:
    """The layout joints a (possibly virtual) joint is computed from."""
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
    joints = set(get_layout(layout).canonical)
    return [name for name, (_, parts) in CHANNELS.items()
            if all(needed_joints(j) <= joints for j in parts)]


def channel_kind(channel: str) -> str:
    """``"angle"``, ``"incline"`` or ``"height"`` (unknown names count as angles)."""
    return CHANNELS.get(channel, ("angle", ()))[0]


def channel_unit(channel: str) -> str:
    """The unit a channel is measured in: ``"°"`` or ``" torso lengths"``."""
    return " torso lengths" if channel_kind(channel) == "height" else "°"


def describe_channel(channel: str) -> str:
    """Human name of a channel.

    Examples
    --------
    >>> describe_channel("left_knee"), describe_channel("nose_over_wrists")
    ('left knee angle', 'nose height over the wrists')
    """
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
    """
    if channel_kind(channel) == "height":
        text = f"{value:+.2f}"
        return text + channel_unit(channel) if unit else text
    return f"{value:.0f}°" if unit else f"{value:.0f}"
