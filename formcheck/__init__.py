"""formcheck: is each repetition of an exercise done with correct form?

Video or keypoints -> :class:`PoseSequence` -> :func:`joint_angles` ->
:func:`segment_reps` -> a classifier labels every rep.
"""

from ._version import __version__
from .check import FormChecker, RepVerdict
from .classifiers import DTWKNeighborsClassifier, LearnedClassifier, load_model
from .dataset import RepDataset
from .errors import FormcheckError
from .exercises import get_exercise, register_exercise
from .features import AngleSeries, joint_angles
from .pose import PoseSequence, extract_many, extract_pose, load_keypoints
from .reps import Rep, segment_reps

__all__ = [
    "__version__",
    "FormcheckError",
    "PoseSequence",
    "extract_pose",
    "extract_many",
    "load_keypoints",
    "AngleSeries",
    "joint_angles",
    "Rep",
    "segment_reps",
    "RepDataset",
    "DTWKNeighborsClassifier",
    "LearnedClassifier",
    "load_model",
    "FormChecker",
    "RepVerdict",
    "get_exercise",
    "register_exercise",
]
