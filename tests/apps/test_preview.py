"""Reps played in a window while they are labelled (formcheck.apps.preview.RepPlayer, label --play).

No screen is needed: a scripted stand-in for OpenCV's GUI records what would be
shown and answers with the keys a person would press.
"""

import csv
import sys

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("cv2", reason="OpenCV is part of the video extra")
pytestmark = pytest.mark.video

import formcheck.apps.preview as preview  # noqa: E402
from formcheck import PoseSequence, load_keypoints  # noqa: E402
from formcheck.cli import cli  # noqa: E402
from formcheck.errors import DependencyError, InputError  # noqa: E402
from formcheck.apps.labelling import RepToLabel  # noqa: E402
from formcheck.apps.preview import RepPlayer, rep_frames  # noqa: E402
from formcheck.datasets.synthetic import make_set  # noqa: E402

ESCAPE = 27


class ScriptedScreen:
    """Stands in for cv2's imshow/waitKey: returns no key for `wait` frames, then each key."""

    def __init__(self, keys, wait=0):
        self.keys, self.wait = list(keys), wait
        self.shown, self.delays, self.closed = [], [], False

    def imshow(self, window, image):
        self.shown.append(image.copy())

    def waitKey(self, delay):
        self.delays.append(delay)
        if self.wait:
            self.wait -= 1
            return -1
        return self.keys.pop(0) if self.keys else -1

    def destroyAllWindows(self):
        self.closed = True

    def getWindowProperty(self, window, prop):
        return 1.0                                  # visible


@pytest.fixture
def squat_file(tmp_path):
    path = tmp_path / "squat.npz"
    make_set("squat", n_reps=2, seed=3, image_size=(640, 360)).save(path)
    return path


def a_rep(file="squat.npz", start=10, end=22, fps=30.0):
    return RepToLabel(file, start, end, fps, np.linspace(170, 80, end - start), 1)


def test_rep_frames_of_a_keypoint_file_are_skeletons_on_a_canvas(squat_file):
    pose = load_keypoints(squat_file)
    frames = rep_frames(squat_file, pose, 10, 22, caption="[1] correct")
    assert len(frames) == 12
    assert all(f.shape == (360, 640, 3) and f.dtype == np.uint8 for f in frames)
    background = np.all(frames[0] == 60, axis=2)
    assert 0.5 < background.mean() < 1.0              # a skeleton and a caption on grey
    assert not np.array_equal(frames[0], frames[-1])  # the person moves


def test_rep_frames_of_a_video_come_from_its_frames(make_video):
    video = make_video(n_frames=20, fps=10, size=(64, 48))
    pose = PoseSequence.from_array(np.full((20, 33, 3), 0.5), fps=10, layout="mediapipe33")
    frames = rep_frames(video, pose, 5, 9)
    assert len(frames) == 4 and frames[0].shape == (48, 64, 3)
    bar = [int(np.argmax(f[-1, :, 1] > 200)) for f in frames]     # the sweeping bar: 3 px a frame
    assert bar == [15, 18, 21, 24]


def test_consecutive_reps_of_a_video_are_read_on_not_decoded_again(make_video, monkeypatch):
    opened = []

    class CountingReader(preview.VideoReader):
        def __init__(self, *args, **kwargs):
            opened.append(args[0])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(preview, "VideoReader", CountingReader)
    video = make_video(n_frames=20, fps=10, size=(64, 48))
    with preview.VideoCursor(video) as cursor:
        bars = [[int(np.argmax(f[-1, :, 1] > 200)) // 3 for f in cursor.take(a, b)]
                for a, b in ((2, 5), (7, 9), (9, 12), (0, 2))]
    assert bars == [[2, 3, 4], [7, 8], [9, 10, 11], [0, 1]]
    assert len(opened) == 2                  # once, and again only to go back to frame 0


def test_player_loops_the_rep_until_a_key_is_pressed(squat_file):
    pose = load_keypoints(squat_file)
    screen = ScriptedScreen([ord("2")], wait=30)
    player = RepPlayer({"squat.npz": (squat_file, pose)}, "keys", gui=screen)
    assert player(a_rep()) == "2"
    assert len(screen.shown) == 31                      # 12 frames, twice, and 7 more
    np.testing.assert_array_equal(screen.shown[0], screen.shown[12])
    assert set(screen.delays) == {33}                   # played at the rep's 30 fps
    player.close()
    assert screen.closed


def test_escape_quits(squat_file):
    pose = load_keypoints(squat_file)
    player = RepPlayer({"squat.npz": (squat_file, pose)}, gui=ScriptedScreen([ESCAPE]))
    assert player(a_rep()) == "q"


def test_closing_the_window_quits(squat_file):
    class ClosedByUser(ScriptedScreen):
        def getWindowProperty(self, window, prop):
            return 0.0 if len(self.shown) >= 3 else 1.0

    player = RepPlayer({"squat.npz": (squat_file, load_keypoints(squat_file))},
                       gui=ClosedByUser([]))
    assert player(a_rep()) == "q"


def test_no_screen_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(DependencyError, match="needs a screen.*without --play"):
        RepPlayer({})


def test_opencv_without_its_gui_is_a_clear_error(squat_file):
    class Headless(ScriptedScreen):
        def imshow(self, window, image):
            raise RuntimeError("The function is not implemented. Rebuild the library with GTK")

    pose = load_keypoints(squat_file)
    player = RepPlayer({"squat.npz": (squat_file, pose)}, gui=Headless([]))
    with pytest.raises(DependencyError, match="not -headless.*not implemented"):
        player(a_rep())


def test_label_play_takes_the_keys_pressed_in_the_window(squat_file, tmp_path, monkeypatch):
    screen = ScriptedScreen([ord("1"), ord("2")], wait=5)
    monkeypatch.setattr(preview, "_screen_gui", lambda: screen)
    labels = tmp_path / "labels.csv"
    result = CliRunner().invoke(cli, ["label", str(squat_file), "-e", "squat", "-a", str(labels),
                                      "--play"])
    assert result.exit_code == 0, result.output
    with open(labels, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["label"] for r in rows] == ["squat/correct", "squat/not-low"]
    assert screen.closed and len(screen.shown) > 5


def test_label_play_without_a_screen_exits_with_one_line(squat_file, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = CliRunner().invoke(cli, ["label", str(squat_file), "-e", "squat",
                                      "-a", str(tmp_path / "labels.csv"), "--play"])
    assert result.exit_code == 2
    assert result.output.startswith("formcheck: error:") and "needs a screen" in result.output


# -- write_preview: the verdict panel ---------------------------------------------------------

def a_verdict(index, start, end, label="squat/correct", feedback=None):
    from formcheck.check import RepVerdict

    fault = None if label.endswith("correct") else label
    return RepVerdict(index, start, end, start / 10, end / 10, label, 0.9, fault, feedback)


def a_feedback(channel="left_knee"):
    from formcheck.feedback import Feedback

    return Feedback(channel, "at the bottom", 112.0, 85.0, 0.5,
                    "left knee angle at the bottom was 112°; correct reps reach 85°, "
                    "so go deeper next time, with the hips below the knees")


def test_each_verdict_stays_until_the_next_rep_starts():
    first, second = a_verdict(0, 3, 6), a_verdict(1, 9, 12, "squat/not-low")
    shown = preview.shown_verdicts([second, first], n_frames=15)
    assert [shown.get(k) for k in range(15)] == [None] * 3 + [first] * 6 + [second] * 6


def test_the_panel_is_solid_and_wraps_the_sentence_to_the_frame():
    heights = {}
    for width in (1280, 360):
        image = np.full((640, width, 3), 255, np.uint8)
        preview.draw_frame(image, {}, a_verdict(0, 0, 5, "squat/not-low", a_feedback()), 0, 2)
        dark = (image[:, :4].max(axis=2) < 100).all(axis=1)   # the panel's left margin
        heights[width] = int(np.argmin(dark))
        assert heights[width] > 20 and dark[:heights[width]].all()
        red = (image[..., 2] > 150) & (image[..., 1] < 100)   # the label, in the verdict colour
        assert red[:heights[width]].any()
        assert (image[heights[width]:] == 255).all()          # nothing drawn outside the panel
    assert heights[360] > heights[1280] * 360 / 1280          # narrow frames wrap to more lines


def test_the_limbs_the_verdict_is_about_are_coloured():
    from formcheck import get_exercise

    about_knee = preview.judged_bones(a_verdict(0, 0, 5, "squat/not-low", a_feedback()))
    assert about_knee == {("left_hip", "left_knee"), ("left_knee", "left_ankle")}
    driving = preview.judged_bones(a_verdict(0, 0, 5), get_exercise("squat"))
    assert ("right_knee", "right_ankle") in driving and ("left_elbow", "left_wrist") not in driving
    trunk = preview.judged_bones(a_verdict(0, 0, 5, feedback=a_feedback("trunk_inclination")))
    assert ("left_shoulder", "left_hip") in trunk and preview.judged_bones(None) == set()


def test_the_codec_is_h264_when_opencv_has_it_and_says_what_else():
    assert preview.preview_codec("out.mp4") in ("avc1", "mp4v")
    assert preview.preview_codec("out.webm") in ("VP90", "VP80")
    assert set(preview.CODEC_NAMES) >= {c for cs in preview.PREVIEW_CODECS.values() for c in cs}
    with pytest.raises(InputError, match="out.gif"):
        preview.preview_codec("out.gif")


def test_write_preview_keeps_the_panel_after_the_rep(make_video, tmp_path):
    from formcheck.pose.video import read_video

    video = make_video(n_frames=20, fps=10, size=(160, 120))
    pose = PoseSequence.from_array(np.full((20, 33, 3), 0.5), fps=10, layout="mediapipe33")
    out = preview.write_preview(video, pose, [a_verdict(0, 4, 8, "squat/not-low", a_feedback())],
                                tmp_path / "preview.webm", exercise="squat")
    frames, _ = read_video(out, color="bgr")
    assert len(frames) == 20
    red = [bool(((f[:12, :, 2] > 150) & (f[:12, :, 1] < 110)).any()) for f in frames]
    assert red == [False] * 4 + [True] * 16
