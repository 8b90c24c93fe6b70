"""Live checking from a camera: MediaPipe per frame, the streaming FormChecker, a verdict per rep."""

from __future__ import annotations

import time

import numpy as np

from ..errors import VideoError
from ..pose.extract import TRACKING_CONFIDENCE
from ..pose.mediapipe_backend import MediaPipePose
from ..pose.video import _cv2, has_screen

__all__ = ["run_live"]

#: How long a network stream may fail to deliver a frame before it counts as ended (seconds).
_NETWORK_PATIENCE = 2.0


def run_live(checker, camera=0, *, echo=print, max_seconds=None):
    """Read frames from ``camera`` and print a verdict as each rep ends.

    Shows the camera image with the last verdict in a window when a display
    is available; stops on Ctrl-C, ``q`` in the window, at the end of the
    stream, or after ``max_seconds``.

    Parameters
    ----------
    checker : FormChecker
        Its streaming :meth:`~formcheck.FormChecker.update` gets every frame.
    camera : int or str
        A camera index (``0``, or ``"0"``), or anything else OpenCV opens as a
        stream: an IP camera's URL (``rtsp://...``, ``http://...``) or a video
        file, which is then read as fast as it decodes.
    echo : callable
        Prints a line.
    max_seconds : float, optional
        Stop after this long.

    Returns
    -------
    list of RepVerdict
        The verdicts printed, in order.

    Raises
    ------
    VideoError
        The camera cannot be opened.
    DependencyError
        MediaPipe/OpenCV (the ``video`` extra) is not installed.
    """
    cv2 = _cv2()
    source = _source(camera)
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        why = ("no camera, or it is in use" if isinstance(source, int)
               else "unreachable, or not a video stream")
        raise VideoError(f"camera {camera}: cannot be opened ({why})")
    fps = _plausible_fps(capture.get(cv2.CAP_PROP_FPS), checker.fps)
    checker.fps, checker.image_size = fps, None
    checker.reset()
    started, verdicts = time.monotonic(), []
    echo(f"camera {camera} at {fps:g} fps; do your {checker.exercise.name} reps (Ctrl-C to stop)")
    try:
        with MediaPipePose(min_tracking_confidence=TRACKING_CONFIDENCE) as model:
            while max_seconds is None or time.monotonic() - started < max_seconds:
                image = _read(capture, patience=_NETWORK_PATIENCE if _is_url(source) else 0.0)
                if image is None:
                    break
                checker.image_size = (image.shape[1], image.shape[0])
                landmarks, world = model.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
                verdict = checker.update(landmarks if landmarks is not None else _no_person(),
                                         world)
                if verdict is not None:
                    verdicts.append(verdict)
                    echo(_line(verdict))
                if _show(cv2, image, verdicts[-1] if verdicts else None):
                    break
    except KeyboardInterrupt:
        pass
    finally:
        capture.release()
    for verdict in checker.finish():       # a rep that ended with the stream
        verdicts.append(verdict)
        echo(_line(verdict))
    return verdicts


def _read(capture, patience):
    """The next frame, waiting up to ``patience`` seconds through failed reads; None at the end.

    A network stream can stall for a moment (Wi-Fi, a phone app's encoder)
    without having ended; a camera or a file that fails to read has ended.
    """
    deadline = time.monotonic() + patience
    while True:
        ok, image = capture.read()
        if ok:
            return image
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def _is_url(source) -> bool:
    return isinstance(source, str) and "://" in source


def _plausible_fps(reported, default) -> float:
    """The stream's frame rate, or ``default`` when it reports none or nonsense.

    Some network streams report their clock rate (90,000) or 0 as the frame
    rate; every duration in segmentation would scale with it.
    """
    return float(reported) if 1.0 <= (reported or 0.0) <= 240.0 else float(default)


def _source(camera):
    """A camera index as an int (``"0"`` -> 0); a URL or file path unchanged."""
    text = str(camera).strip()
    return int(text) if text.isdigit() else text


def _no_person():

    return np.full((33, 4), np.nan, np.float32)


def _line(verdict) -> str:
    extra = f" - {verdict.feedback.message}" if verdict.feedback else ""
    confidence = f" ({verdict.confidence})" if verdict.confidence else ""
    return f"rep {verdict.index + 1}: {verdict.label}{confidence}{extra}"


def _show(cv2, image, verdict) -> bool:
    """Draw the last verdict and show the frame; True when the user pressed q."""
    if not has_screen():
        return False
    if verdict is not None:
        colour = (60, 200, 60) if verdict.is_correct else (40, 40, 230)
        cv2.putText(image, _line(verdict), (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.7, colour, 2)
    cv2.imshow("formcheck live", image)
    return cv2.waitKey(1) & 0xFF == ord("q")
