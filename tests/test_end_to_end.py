"""End to end through the CLI on the real files in ../shared/datasets (skipped when absent)."""

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from formcheck import datasets
from formcheck.cli import cli

ROOT = datasets.default_root()
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not ROOT.is_dir(), reason=f"shared datasets not found at {ROOT}")]
SQUAT = ROOT / "squats" / "videos" / "correct" / "squat_correct_007.mp4"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_CACHE_DIR", str(tmp_path / "cache"))


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_train_on_pushfit_clips_and_predict_held_out_ones(tmp_path):
    clips = datasets.load_pushfit(ROOT)
    rng = np.random.default_rng(0)
    held_out = set(rng.choice([c.name for c in clips], size=13, replace=False))
    for clip in clips:
        folder = tmp_path / ("test" if clip.name in held_out else "train") / clip.label.split("/")[1]
        folder.mkdir(parents=True, exist_ok=True)
        clip.pose.save(folder / f"{clip.name}.npz")
    run("train", tmp_path / "train", "-e", "push-up", "-c", "knn", "-o", tmp_path / "m.fcm")
    correct, checked, with_reps, unknown = 0, 0, 0, 0
    for path in sorted((tmp_path / "test").glob("*/*.npz")):
        verdicts = json.loads(run("predict", path, "--model", tmp_path / "m.fcm", "--json"))
        with_reps += bool(verdicts)
        labels = [v["label"] for v in verdicts if v["label"] != "unknown"]
        unknown += len(verdicts) - len(labels)
        if labels:
            checked += 1
            majority = max(set(labels), key=labels.count)
            correct += majority == f"push-up/{path.parent.name}"
    print(f"held-out PushFit clips: {with_reps}/13 with reps, {unknown} reps unknown, "
          f"{correct}/{checked} classified clips right")
    assert with_reps >= 11 and checked >= 5 and correct / checked >= 0.6


@pytest.mark.video
def test_predict_lists_the_reps_of_a_squat_video():
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    output = run("predict", SQUAT, "--exercise", "squat")
    assert len(re.findall(r"rep +\d+ +[\d.]+- *[\d.]+ s", output)) >= 1


@pytest.mark.video
def test_preview_writes_a_playable_mp4_with_every_frame(tmp_path):
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    from formcheck.pose.video import read_video

    out = tmp_path / "preview.mp4"
    run("preview", SQUAT, "-o", out, "--exercise", "squat")
    frames, info = read_video(out)
    original, original_info = read_video(SQUAT, max_side=64)
    assert len(frames) == len(original)
    assert info.size == original_info.size and frames.std() > 0


@pytest.mark.video
def test_extract_writes_keypoint_files_that_load_back(tmp_path):
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    from formcheck import load_keypoints

    output = run("extract", SQUAT, "-o", tmp_path / "poses")
    pose = load_keypoints(tmp_path / "poses" / f"{SQUAT.stem}.npz")
    assert f"{pose.n_frames} frames, a person in 100%" in output and pose.n_frames == 75
    assert pose.image_size == (1280, 720) and pose.layout == "mediapipe33"


@pytest.mark.video
def test_live_on_a_video_stream_finds_the_reps_the_offline_check_finds():
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    live = run("live", "--camera", SQUAT, "--exercise", "squat")
    offline = json.loads(run("predict", SQUAT, "--exercise", "squat", "--json"))
    lines = re.findall(r"^rep (\d+): (\S+)(?: \(\d+%\))?", live, re.M)  # unknown: no %
    assert len(lines) == len(offline) >= 1
    assert [label for _, label in lines] == [v["label"] for v in offline]


def two_people(path, fps=30.0):
    """A squat clip (left) beside a still frame of someone else standing (right), each at
    640x360, with the squatter's first frame held for 1 s before the clip: 3.5 s in all."""
    from formcheck.pose.video import read_video, write_video

    squat, _ = read_video(SQUAT, color="bgr")
    other, _ = read_video(ROOT / "squats/videos/incorrect/squat_incorrect_002.mp4", color="bgr")
    cv2 = pytest.importorskip("cv2")

    def small(image):
        return cv2.resize(image, (640, 360), interpolation=cv2.INTER_AREA)

    bystander = small(other[0])
    frames = [small(squat[0])] * int(fps) + [small(image) for image in squat]
    return write_video(path, (np.hstack([left, bystander]) for left in frames), fps)


def test_predict_with_a_roi_gives_the_verdict_of_the_person_in_it(tmp_path):
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    from formcheck import LearnedClassifier
    from formcheck.datasets.synthetic import make_dataset

    model = tmp_path / "squat-3d.fcm"
    LearnedClassifier().fit(make_dataset("squat", n_subjects=6, seed=0,
                                         world_landmarks=True)).save(model)
    video = two_people(tmp_path / "two-people.mp4")
    alone = json.loads(run("predict", SQUAT, "--model", model, "--json"))
    squatter = json.loads(run("predict", video, "--model", model, "--roi", "0,0,640,360",
                              "--json"))
    assert len(alone) == len(squatter) == 1
    assert squatter[0]["label"] == alone[0]["label"]
    assert squatter[0]["start_time"] - alone[0]["start_time"] == pytest.approx(1.0, abs=0.2)
    bystander = run("predict", video, "--model", model, "--roi", "640,0,640,360")
    assert f"{video}: no rep: the tracked person is not doing squat reps" in bystander
    assert "rep  1" not in bystander
