"""Pose data: the :class:`PoseSequence` and the ways to obtain one."""

from .sequence import PoseSequence

__all__ = ["PoseSequence"]
