"""formcheck live's stream handling that needs no camera (the real stream: test_end_to_end.py)."""

import pytest

pytest.importorskip("cv2", reason="OpenCV is part of the video extra")
pytestmark = pytest.mark.video

from formcheck import FormChecker, LearnedClassifier  # noqa: E402
from formcheck.errors import VideoError  # noqa: E402
from formcheck.apps.live import _plausible_fps, _read, _source, run_live  # noqa: E402
from formcheck.datasets.synthetic import make_dataset  # noqa: E402


URL = "rtsp://10.0.0.5:8554/live"


@pytest.mark.parametrize("camera,expected", [(0, 0), ("1", 1), (" 2 ", 2), (URL, URL),
                                             ("clips/squat.mp4", "clips/squat.mp4")])
def test_a_camera_is_an_index_or_a_url_or_a_file(camera, expected):
    assert _source(camera) == expected


@pytest.mark.parametrize("reported,expected", [(25.0, 25.0), (0.0, 30.0), (None, 30.0),
                                               (90000.0, 30.0), (0.5, 30.0)])
def test_an_implausible_stream_frame_rate_is_replaced(reported, expected):
    assert _plausible_fps(reported, 30.0) == expected


def test_an_unreachable_stream_is_a_clear_error(tmp_path):
    checker = FormChecker(LearnedClassifier().fit(make_dataset("squat", n_subjects=3, seed=0)))
    missing = tmp_path / "nothing-here.mp4"
    with pytest.raises(VideoError, match="nothing-here.mp4: cannot be opened \\(unreachable"):
        run_live(checker, missing)


class StallingCapture:
    """A stream that fails `stalls` reads in a row before each frame, then ends."""

    def __init__(self, frames, stalls):
        self.frames, self.stalls, self.reads = list(frames), stalls, 0

    def read(self):
        self.reads += 1
        if self.reads % (self.stalls + 1):
            return False, None
        return (True, self.frames.pop(0)) if self.frames else (False, None)


def test_a_network_stream_may_stall_but_a_camera_or_file_ends_at_a_failed_read():
    stalling = StallingCapture(["frame 1", "frame 2"], stalls=2)
    assert _read(stalling, patience=2.0) == "frame 1"
    assert _read(stalling, patience=2.0) == "frame 2"
    assert _read(StallingCapture(["frame"], stalls=2), patience=0.0) is None
    ended = StallingCapture([], stalls=0)
    assert _read(ended, patience=0.2) is None and ended.reads > 1     # waited, then gave up
