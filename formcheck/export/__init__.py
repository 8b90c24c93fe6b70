"""Export a model to one ONNX file: a rep's landmarks in, class probabilities out.

The graph holds the whole path from landmarks to probabilities: the joint
angles (:mod:`._angles`, as :func:`formcheck.joint_angles` computes them),
the visible-side choice and gap filling, the resampling of the model's feature
settings, then ``rep_features`` and the network (:mod:`._learned`) or the
standards' smoothing, phases, statistics and margins (:mod:`._standards`). An app runs a
pose estimator, cuts the reps, and feeds each rep's landmarks to the graph;
nothing else of formcheck is needed. See ``docs/export.md``.

Inputs (``T`` is dynamic, 2 to 4096 frames):

- ``landmarks``: float32 ``(T, J, 4)``, the rep's keypoints in the model's
  layout: x, y, z, visibility, as :attr:`formcheck.PoseSequence.landmarks`
  (MediaPipe's pose landmarker output for ``mediapipe33``). A joint is missing
  when its visibility is under the model's ``min_visibility`` or x/y are NaN.
- ``image_size``: float32 ``(2,)``, the frame's width and height in pixels, by
  which normalised x and y are multiplied so that angles are free of the
  aspect ratio; ``[1, 1]`` for pixel coordinates.
- ``fps``: float32 ``(1,)``, the landmarks' frame rate;
- ``world_landmarks`` (3-D graphs only): float32 ``(T, J, 3)``, the rep's world
  landmarks, as :attr:`formcheck.PoseSequence.world_landmarks` (MediaPipe's
  ``worldLandmarks``); the angles are then those between these points, and
  ``image_size`` is not used. Heights and inclinations are measured along the
  camera's up or, with the feature setting ``vertical="body"`` (the default),
  along the standing body's vertical estimated from the rep's own frames
  (:func:`formcheck.features.angles.body_vertical`). With ``heights="side-image"`` (the
  default) the heights are taken from the image landmarks when the rep is seen from the side
  (:func:`formcheck.features.angles.view_angle` over 65 degrees), as
  :func:`formcheck.joint_angles` measures them.

Output ``probabilities``: float32 ``(n_classes,)`` in ``classes_`` order; NaN
where formcheck raises :class:`~formcheck.errors.MissingDataError` (a channel
and its twin both missing in more than ``max_missing`` of the frames) and for
fewer than 2 or more than 4096 frames.

The graph uses standard ONNX operators only (opset 17, no ``ai.onnx.ml``, no
ZipMap) and computes in float64. Its metadata (``metadata_props``) records
the formcheck version, exercise, layout, classes, channels, feature settings
and frame rate. Needs the ``export`` extra (``pip install "formcheck[export]"``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .._files import atomic_write
from .._version import __version__
from ..classifiers.learned import LearnedClassifier
from ..classifiers.standards import StandardsClassifier
from ..errors import DependencyError, ExportError
from ..features.angles import HEIGHTS, VERTICALS
from ..features.channels import available_channels
from ..pose.skeleton import get_layout

__all__ = ["export_onnx", "EXPORTED_SETTINGS", "INSTALL_HINT"]

INSTALL_HINT = 'pip install "formcheck[export]"'
#: Feature settings the graph computes, with the defaults of :func:`formcheck.joint_angles`.
EXPORTED_SETTINGS = {"min_visibility": 0.1, "max_missing": 0.5, "target_fps": None,
                     "vertical": "body", "heights": "side-image"}


def export_onnx(model, path, *, layout="mediapipe33", geometry=None):
    """Write ``model`` as one ONNX graph: a rep's landmarks in, class probabilities out.

    Parameters
    ----------
    model : LearnedClassifier or StandardsClassifier
        Fitted: a learned classifier on a RepDataset or AngleSeries (so it
        knows its channels), or an exercise's standards (``fit()`` with or
        without labelled reps).
    path : str or os.PathLike
        The ``.onnx`` file to write (replaced atomically).
    layout : str, default="mediapipe33"
        Keypoint layout of the landmarks the app will feed (the layout of the
        model's training poses).
    geometry : {"2d", "3d"}, optional
        The angles the graph computes: in the image from ``landmarks`` (2-D),
        or from a ``world_landmarks`` input (3-D, MediaPipe's world
        landmarks). Default: the geometry the model was trained on, else 2-D
        (the standards, which follow their input).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ExportError
        The model is a DTW kNN (not exportable at a constant size), is not
        fitted, records no channels (a learned classifier fitted on bare
        arrays), or uses feature settings the graph does not compute
        (smoothing, a ``vertical`` other than ``"body"`` or ``"camera"``) or
        asks for the other ``geometry`` than it was trained on; the layout
        lacks the model's joints.
    DependencyError
        ``onnx`` is not installed.

    Examples
    --------
    >>> from formcheck import LearnedClassifier
    >>> from formcheck.datasets.synthetic import make_dataset
    >>> import tempfile, os
    >>> model = LearnedClassifier().fit(make_dataset("squat", n_subjects=4))
    >>> path = export_onnx(model, os.path.join(tempfile.mkdtemp(), "squat.onnx"))
    >>> path.suffix
    '.onnx'
    """
    settings, geometry = _exportable_settings(model, layout, geometry)
    graph = _import_graph()
    from ._angles import angle_series
    from ._learned import learned_probabilities
    from ._standards import standards_probabilities

    g = graph.Graph()
    n_joints = get_layout(layout).n_joints
    landmarks = g.input("landmarks", graph.FLOAT, ["T", n_joints, 4],
                        "one rep's keypoints: x, y, z, visibility per joint and frame")
    image_size = g.input("image_size", graph.FLOAT, [2],
                         "frame width and height in pixels ([1, 1] for pixel coordinates)")
    fps = g.input("fps", graph.FLOAT, [1], "frame rate of the landmarks")
    world = (g.input("world_landmarks", graph.FLOAT, ["T", n_joints, 3],
                     "one rep's 3-D world landmarks (x, y, z per joint and frame)")
             if geometry == "3d" else None)
    series = angle_series(g, landmarks, image_size, fps, layout=layout,
                          channels=list(model.channels_), settings=settings, world=world)
    classify = (standards_probabilities if isinstance(model, StandardsClassifier)
                else learned_probabilities)
    probabilities = _within_frame_limits(g, classify(g, series, model), landmarks,
                                         graph.MAX_FRAMES)
    onnx_model = g.model(
        probabilities,
        ("probabilities", [len(model.classes_)], "class probabilities in 'classes' order"),
        doc=f"formcheck {type(model).__name__} for {model.exercise_}: one rep's landmarks "
            "in, class probabilities out",
        metadata=_metadata(model, layout, settings, geometry, graph.MAX_FRAMES))
    path = Path(path)
    with atomic_write(path) as handle:
        handle.write(onnx_model.SerializeToString())
    return path


def _within_frame_limits(g, probabilities, landmarks, max_frames):
    """NaN probabilities for a rep of fewer than 2 or more than ``max_frames`` frames."""
    frames = g.dim(landmarks, 0)
    inside = g.op("And", g.op("GreaterOrEqual", frames, np.int64(2)),
                  g.op("LessOrEqual", frames, np.int64(max_frames)))
    return g.where(inside, probabilities, math.nan)


def _exportable_settings(model, layout, geometry):
    """The model's feature settings with defaults filled in, and the geometry of the graph's
    angles, after checking the graph can compute them."""
    name = type(model).__name__
    if not isinstance(model, (LearnedClassifier, StandardsClassifier)):
        raise ExportError(
            f"{name} cannot be exported to ONNX: a kNN predicts by comparing each rep with "
            "every stored training rep (DTW), so the graph would have to hold all N reps "
            "and cost N DTW computations per rep. Export a LearnedClassifier, whose graph "
            "has the same size and cost whatever N, or the exercise's standards "
            "(formcheck export builtin --exercise NAME)")
    model._check_fitted()
    if not model.channels_:
        raise ExportError(f"this {name} records no channel names; fit it on a RepDataset or "
                          "AngleSeries so the graph knows which angles to compute")
    settings = dict(model.feature_settings_)
    trained = settings.pop("geometry", "auto")
    if geometry not in (None, "2d", "3d"):
        raise ExportError(f"geometry must be '2d' or '3d'; got {geometry!r}")
    if trained in ("2d", "3d") and geometry not in (None, trained):
        raise ExportError(f"this {name} was trained on {trained!r} joint angles; its graph "
                          f"cannot compute {geometry!r} ones")
    geometry = trained if trained in ("2d", "3d") else geometry or "2d"
    if settings.get("vertical", "body") not in VERTICALS:
        raise ExportError(f"feature setting vertical must be one of {', '.join(VERTICALS)}; "
                          f"this {name} has {settings['vertical']!r}")
    if settings.get("heights", "side-image") not in HEIGHTS:
        raise ExportError(f"feature setting heights must be one of {', '.join(HEIGHTS)}; "
                          f"this {name} has {settings['heights']!r}")
    if settings.pop("smooth", None):
        raise ExportError(f"the graph does not smooth angles; this {name} was trained with "
                          f"smooth={model.feature_settings_['smooth']!r}")
    unknown = sorted(set(settings) - set(EXPORTED_SETTINGS))
    if unknown:
        raise ExportError(f"the graph does not compute the feature settings {unknown} of "
                          f"this {name}")
    lacking = [c for c in model.channels_ if c not in available_channels(layout)]
    if lacking:
        raise ExportError(f"layout {layout!r} lacks the joints of the model's channels {lacking}")
    return {**EXPORTED_SETTINGS, **settings}, geometry


def _import_graph():
    try:
        from . import _graph
    except ImportError as exc:
        raise DependencyError(f"ONNX export needs the onnx package ({exc}); install it with: "
                              f"{INSTALL_HINT}") from None
    return _graph


def _metadata(model, layout, settings, geometry, max_frames) -> dict:
    target = settings["target_fps"]
    return {
        "formcheck_version": __version__,
        "exercise": model.exercise_ or "",
        "classifier": type(model).__name__,
        "layout": layout,
        "classes": json.dumps([str(c) for c in model.classes_]),
        "channels": json.dumps(list(model.channels_)),
        "feature_settings": json.dumps({**settings, "smooth": None, "geometry": geometry}),
        "geometry": geometry,
        "fps": "input" if not target else str(float(target)),
        "fps_doc": ("angles are computed at the frame rate given as the fps input" if not target
                    else f"angles are resampled from the fps input to {float(target):g} fps"),
        "max_frames": str(max_frames),
    }
