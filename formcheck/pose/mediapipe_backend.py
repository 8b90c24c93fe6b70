"""MediaPipe Pose (BlazePose) inference on single frames.

Only ``mediapipe.solutions.pose`` with ``model_complexity=1`` is used: the
``mediapipe==0.10.21`` wheel (installed by ``pip install "formcheck[video]"``)
carries that model, so nothing is downloaded at run time. The lite (0) and
heavy (2) models, and every MediaPipe 1.x release, download their model on
first use, which fails offline; they are deliberately not offered.
"""

from __future__ import annotations

import importlib
import importlib.metadata

import numpy as np

from ..errors import DependencyError, InputError
from .video import INSTALL_HINT

__all__ = ["MediaPipePose", "mediapipe_version", "INSTALL_HINT", "N_LANDMARKS"]

#: Landmarks of the BlazePose topology (layout ``mediapipe33``).
N_LANDMARKS = 33
#: The only model whose weights ship inside the mediapipe wheel.
MODEL_COMPLEXITY = 1


def mediapipe_version():
    """Installed MediaPipe version, or None when it is not installed (does not import it)."""
    try:
        return importlib.metadata.version("mediapipe")
    except importlib.metadata.PackageNotFoundError:
        return None


def _import_solution():
    try:
        return importlib.import_module("mediapipe.python.solutions.pose")
    except ImportError as exc:
        raise DependencyError(
            f"pose extraction from video needs MediaPipe, which is not installed or cannot be "
            f"imported ({exc}); install it with: {INSTALL_HINT}") from None


class MediaPipePose:
    """MediaPipe Pose on a stream of RGB frames.

    With ``static_image_mode=False`` (the default) MediaPipe runs its person
    detector only until it finds someone and then tracks the landmarks from
    frame to frame, which is faster and steadier; the frames must then come
    from one video, in order. Use one instance per video.

    Parameters
    ----------
    min_detection_confidence : float
        Detector score, in [0, 1], above which a person counts as found.
    min_tracking_confidence : float
        Below this tracking score MediaPipe runs the detector again.
    static_image_mode : bool
        Detect in every frame independently (for unrelated images).
    smooth_landmarks : bool
        MediaPipe's temporal filter over landmarks (tracking mode only).

    Raises
    ------
    DependencyError
        MediaPipe is not installed (install with ``pip install "formcheck[video]"``).
    InputError
        A confidence outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> with MediaPipePose() as model:                       # doctest: +SKIP
    ...     landmarks, world = model.process(np.zeros((480, 640, 3), np.uint8))
    >>> landmarks is None                                      # doctest: +SKIP
    True
    """

    layout = "mediapipe33"

    def __init__(self, *, min_detection_confidence=0.5, min_tracking_confidence=0.5,
                 static_image_mode=False, smooth_landmarks=True):
        for name, value in (("min_detection_confidence", min_detection_confidence),
                            ("min_tracking_confidence", min_tracking_confidence)):
            if not 0.0 <= float(value) <= 1.0:
                raise InputError(f"{name} must be in [0, 1], got {value!r}")
        solution = _import_solution()
        self._pose = solution.Pose(
            static_image_mode=bool(static_image_mode),
            model_complexity=MODEL_COMPLEXITY,
            smooth_landmarks=bool(smooth_landmarks),
            min_detection_confidence=float(min_detection_confidence),
            min_tracking_confidence=float(min_tracking_confidence),
        )

    def process(self, image):
        """Landmarks of the person in one RGB frame.

        Parameters
        ----------
        image : numpy.ndarray, shape (H, W, 3), uint8, RGB

        Returns
        -------
        landmarks : numpy.ndarray, shape (33, 4), float32, or None
            x, y (fractions of the image width and height), z (depth relative
            to the hips, in roughly the scale of x) and visibility; None when
            no person is found.
        world : numpy.ndarray, shape (33, 3), float32, or None
            Metric 3-D coordinates centred between the hips.
        """
        result = self._pose.process(image)
        if result.pose_landmarks is None:
            return None, None
        landmarks = np.array([(p.x, p.y, p.z, p.visibility)
                              for p in result.pose_landmarks.landmark], dtype=np.float32)
        world = None
        if result.pose_world_landmarks is not None:
            world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark],
                             dtype=np.float32)
        return landmarks, world

    def close(self):
        """Free the MediaPipe graph."""
        pose, self._pose = getattr(self, "_pose", None), None
        if pose is not None:
            pose.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
