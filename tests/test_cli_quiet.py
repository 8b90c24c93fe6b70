"""The real command line, in a subprocess: each error is one line on stderr, nothing else.

No usage block, no MediaPipe / FFmpeg / OpenCV log line, no progress bar (stderr
is not a terminal here); exit code 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def formcheck(*args, cwd, cache):
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "FORMCHECK_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-m", "formcheck", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


def assert_one_error_line(run, *words):
    lines = run.stderr.splitlines()
    assert run.returncode == 2, run.stderr
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("formcheck: error: ")
    assert all(word in lines[0] for word in words), lines[0]
    assert run.stdout == ""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "not-a-video.mp4").write_text("this is not a video")
    return tmp_path


@pytest.mark.parametrize("args, words", [
    (["predict", "missing.mp4", "-e", "squat"], ["missing.mp4", "does not exist",
                                                 "Try 'formcheck predict --help'"]),
    (["predict", "--bogus"], ["--bogus", "Try 'formcheck predict --help'"]),
    (["predict"], ["Missing argument", "Try 'formcheck predict --help'"]),
    (["nosuch"], ["nosuch", "Try 'formcheck --help'"]),
    (["--bogus"], ["--bogus", "Try 'formcheck --help'"]),
    (["export", "builtin", "-o", "x.onnx"], ["(builtin) needs --exercise",
                                              "Try 'formcheck export --help'"]),
])
def test_usage_errors_are_one_line_with_a_hint(folder, args, words):
    assert_one_error_line(formcheck(*args, cwd=folder, cache=folder / "cache"), *words)


def test_a_non_video_named_mp4_is_one_line_without_ffmpegs(folder):
    pytest.importorskip("cv2", reason="the video extra is not installed")
    run = formcheck("predict", "not-a-video.mp4", "-e", "squat", cwd=folder, cache=folder / "c")
    assert_one_error_line(run, "not-a-video.mp4", "cannot open as a video")
    assert "moov atom" not in run.stderr


def test_verbose_lets_third_party_lines_through(folder):
    pytest.importorskip("cv2", reason="the video extra is not installed")
    run = formcheck("--verbose", "predict", "not-a-video.mp4", "-e", "squat", cwd=folder,
                    cache=folder / "c")
    assert run.returncode == 2
    assert "moov atom not found" in run.stderr
    assert run.stderr.splitlines()[-1].startswith("formcheck: error: ")


def test_a_missing_camera_is_one_line_without_opencvs(folder):
    """The built-in model is trained first (its progress bar must not show either)."""
    pytest.importorskip("cv2", reason="the video extra is not installed")
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    run = formcheck("live", "--camera", "7", "-e", "squat", cwd=folder, cache=folder / "c")
    assert_one_error_line(run, "camera 7: cannot be opened")


def test_a_library_error_is_one_line(folder):
    (folder / "bad.npz").write_bytes(b"not numpy")
    run = formcheck("predict", "bad.npz", "-e", "squat", cwd=folder, cache=folder / "c")
    assert_one_error_line(run, "bad.npz")


def test_an_export_error_is_one_line(folder):
    """A kNN is refused with the reason, and the standards export (onnx loads quietly)."""
    pytest.importorskip("onnx", reason="the export extra is not installed")
    from formcheck import DTWKNeighborsClassifier
    from formcheck.datasets.synthetic import make_dataset

    DTWKNeighborsClassifier().fit(make_dataset("squat", n_subjects=2)).save(folder / "knn.fcm")
    run = formcheck("export", "knn.fcm", "-o", "knn.onnx", cwd=folder, cache=folder / "c")
    assert_one_error_line(run, "DTWKNeighborsClassifier cannot be exported", "every stored")
    run = formcheck("export", "builtin", "-e", "squat", "-o", "squat.onnx", cwd=folder,
                    cache=folder / "c")
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert (folder / "squat.onnx").is_file() and "squat/not-low" in run.stdout
