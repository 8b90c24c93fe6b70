"""Keypoint layouts and the canonical skeleton.

Every pose estimator numbers its keypoints its own way. A :class:`Layout`
maps one numbering onto formcheck's canonical joint names (``nose``,
``left_shoulder``, ``right_knee``, ``left_toe`` ...), so the feature code asks
for joints by name and works with any estimator. Each layout also knows its
left/right mirror permutation, used for horizontal-flip augmentation.

Built-in layouts: ``mediapipe33`` (MediaPipe / BlazePose), ``coco17``
(MoveNet, YOLO-pose, COCO keypoints), ``coco18`` (OpenPose COCO model) and
``body25`` (OpenPose BODY_25). Others are added with :func:`register_layout`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import LayoutError

__all__ = ["Layout", "CANONICAL_JOINTS", "get_layout", "register_layout", "layout_names"]

_SIDED = ("eye", "ear", "mouth", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "toe")

#: Canonical joint names that features may ask for.
CANONICAL_JOINTS = ("nose", "neck", "mid_hip") + tuple(
    f"{side}_{part}" for part in _SIDED for side in ("left", "right")
)


def mirror_name(name: str) -> str:
    """The other side's twin of a joint or channel name: ``"left_knee"`` -> ``"right_knee"``.

    Names without a side are their own twin.
    """
    if name.startswith("left_"):
        return "right_" + name[len("left_"):]
    if name.startswith("right_"):
        return "left_" + name[len("right_"):]
    return name


@dataclass(frozen=True)
class Layout:
    """A keypoint numbering and its mapping to canonical joints.

    Parameters
    ----------
    name : str
        Layout name, e.g. ``"coco17"``.
    joint_names : tuple of str
        The layout's own name for every keypoint, in index order. Names must
        use ``left_``/``right_`` prefixes for sided joints so the mirror map can
        be derived.
    aliases : dict of str to str, optional
        Canonical joint name -> layout joint name, for joints whose layout name
        differs from the canonical one (e.g. ``{"left_toe": "left_foot_index"}``).

    Attributes
    ----------
    canonical : dict of str to int
        Canonical joint name -> keypoint index, for the joints this layout has.
    mirror_index : numpy.ndarray
        Permutation that swaps every left keypoint with its right counterpart.
    """

    name: str
    joint_names: tuple
    aliases: dict = field(default_factory=dict)

    def __post_init__(self):
        if len(set(self.joint_names)) != len(self.joint_names):
            raise LayoutError(f"layout {self.name!r} has duplicate joint names")

    @property
    def n_joints(self) -> int:
        """Number of keypoints in this layout."""
        return len(self.joint_names)

    @cached_property
    def canonical(self) -> dict:
        """Canonical joint name -> its index in the layout (computed once: do not change it)."""
        index = {name: i for i, name in enumerate(self.joint_names)}
        mapping = {name: index[name] for name in CANONICAL_JOINTS if name in index}
        for canonical_name, layout_name in self.aliases.items():
            if layout_name not in index:
                raise LayoutError(
                    f"layout {self.name!r}: alias {canonical_name!r} -> {layout_name!r} "
                    "names a joint the layout does not have"
                )
            mapping[canonical_name] = index[layout_name]
        return mapping

    @property
    def mirror_index(self) -> np.ndarray:
        index = {name: i for i, name in enumerate(self.joint_names)}
        return np.array([index.get(mirror_name(n), i) for i, n in enumerate(self.joint_names)])

    def joint_index(self, joint: str) -> int:
        """Index of a canonical joint in this layout.

        Raises
        ------
        LayoutError
            If the layout has no such joint.
        """
        try:
            return self.canonical[joint]
        except KeyError:
            raise LayoutError(f"layout {self.name!r} has no joint {joint!r}") from None


_MEDIAPIPE33 = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)
_COCO17 = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
_COCO18 = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear",
)
_BODY25 = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
    "left_wrist", "mid_hip", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee",
    "left_ankle", "right_eye", "left_eye", "right_ear", "left_ear", "left_big_toe",
    "left_small_toe", "left_heel", "right_big_toe", "right_small_toe", "right_heel",
)

_LAYOUTS: dict = {}


def register_layout(name, joint_names, aliases=None, *, overwrite=False) -> Layout:
    """Register a keypoint layout so ``PoseSequence`` and ``joint_angles`` accept it.

    Parameters
    ----------
    name : str
        New layout name.
    joint_names : sequence of str
        Name of every keypoint in index order; use canonical names
        (see :data:`CANONICAL_JOINTS`) where they apply.
    aliases : dict, optional
        Canonical name -> layout name for joints named differently.
    overwrite : bool
        Allow replacing an existing layout.

    Returns
    -------
    Layout

    Examples
    --------
    >>> from formcheck.pose.skeleton import register_layout
    >>> layout = register_layout("arms6", ["left_shoulder", "right_shoulder", "left_elbow",
    ...                                    "right_elbow", "left_wrist", "right_wrist"])
    >>> layout.mirror_index.tolist()
    [1, 0, 3, 2, 5, 4]
    """
    if name in _LAYOUTS and not overwrite:
        raise LayoutError(f"layout {name!r} is already registered (pass overwrite=True)")
    layout = Layout(name, tuple(joint_names), dict(aliases or {}))
    layout.canonical  # validates the aliases
    _LAYOUTS[name] = layout
    return layout


def get_layout(name) -> Layout:
    """Return a registered :class:`Layout` by name (a ``Layout`` is returned as is).

    Raises
    ------
    LayoutError
        If no layout of that name is registered.
    """
    if isinstance(name, Layout):
        return name
    try:
        return _LAYOUTS[name]
    except (KeyError, TypeError):
        raise LayoutError(
            f"unknown keypoint layout {name!r}; known layouts: {', '.join(sorted(_LAYOUTS))}"
        ) from None


def layout_names() -> list:
    """Names of all registered layouts."""
    return sorted(_LAYOUTS)


register_layout("mediapipe33", _MEDIAPIPE33,
                {"left_toe": "left_foot_index", "right_toe": "right_foot_index",
                 "left_mouth": "mouth_left", "right_mouth": "mouth_right"})
register_layout("coco17", _COCO17)
register_layout("coco18", _COCO18)
register_layout("body25", _BODY25, {"left_toe": "left_big_toe", "right_toe": "right_big_toe"})
