"""formcheck: is each repetition of an exercise done with correct form?

Video or keypoints -> :class:`PoseSequence` -> :func:`joint_angles` ->
:func:`segment_reps` (the two together: :func:`cut_recording`) -> a classifier
labels every rep.

The package tree follows that flow: ``pose/`` -> ``features/`` -> ``reps`` ->
``datasets/`` -> ``classifiers/`` (on ``dtw/``) -> ``check`` and ``feedback``;
``evaluation/`` and ``apps/`` sit on top, ``cli`` on those. The public names
below are loaded on first use, so ``import formcheck`` stays light.
"""

from ._lazy import lazy_names
from ._version import __version__

#: Public name -> the module that defines it.
_PUBLIC = {
    "FormcheckError": ".errors",
    "PoseSequence": ".pose.sequence",
    "extract_pose": ".pose.extract",
    "extract_many": ".pose.batch",
    "load_keypoints": ".pose.readers",
    "load_pose": ".pose.load",
    "AngleSeries": ".features.angles",
    "joint_angles": ".features.angles",
    "get_exercise": ".features.exercises",
    "register_exercise": ".features.exercises",
    "Rep": ".reps",
    "cut_recording": ".reps",
    "segment_reps": ".reps",
    "RepDataset": ".datasets.rep_dataset",
    "DTWKNeighborsClassifier": ".classifiers.knn",
    "LearnedClassifier": ".classifiers.learned",
    "StandardsClassifier": ".classifiers.standards",
    "load_model": ".classifiers.base",
    "FormChecker": ".check",
    "RepVerdict": ".check",
}

__all__ = ["__version__", *_PUBLIC]


__getattr__, __dir__ = lazy_names(__name__, _PUBLIC, globals())
