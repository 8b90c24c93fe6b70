"""Cases found by the QA pass of 2026-12-02, through the real command line in a subprocess.

Each error is one stderr line ``formcheck: error: ...`` naming the file, exit code 2,
no traceback.
"""

import resource
import subprocess
import sys

import pytest

from bad_files import child_env
from formcheck import DTWKNeighborsClassifier, LearnedClassifier
from formcheck._archive import read_archive, write_archive
from formcheck.classifiers.base import MODEL_FORMAT
from formcheck.datasets.rep_dataset import RepDataset
from formcheck.datasets.synthetic import make_set

CLI = [sys.executable, "-c", "from formcheck.cli import main; main()"]
LABELS = ["correct", "not-low", "correct", "not-low"]


def _at_most_4_gib():
    """A regression must fail the test, not take the machine's memory."""
    resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))


def formcheck(*args, cwd, stdin=""):
    done = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          input=stdin, timeout=600, preexec_fn=_at_most_4_gib,
                          env=child_env(FORMCHECK_CACHE_DIR=str(cwd / "cache"),
                                        FORMCHECK_CONFIG_DIR=str(cwd / "config")))
    return done.returncode, done.stdout, done.stderr


def assert_one_error_line(result, *words):
    code, _, stderr = result
    lines = stderr.splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("formcheck: error: "), stderr
    assert "Traceback" not in stderr
    assert all(word in lines[0] for word in words), lines[0]


@pytest.fixture(scope="module")
def squat(tmp_path_factory):
    """A folder with synthetic squat sets, their annotation CSV and a learned squat model."""
    folder = tmp_path_factory.mktemp("qa")
    for seed, label in enumerate(LABELS):
        make_set("squat", label=label, n_reps=3, seed=seed, severity=1.0).save(
            folder / f"{label}{seed}.npz")
    rows = "".join(f"{label}{seed}.npz,{30 + 60 * k},{60 + 60 * k},{label}\n"
                   for seed, label in enumerate(LABELS) for k in range(2))
    (folder / "labels.csv").write_text("file,start,end,label\n" + rows)
    reps = RepDataset.from_annotations(folder / "labels.csv", "squat")
    LearnedClassifier(hidden_units=8).fit(reps).save(folder / "squat.fcm")
    DTWKNeighborsClassifier(resample_length=16).fit(reps).save(folder / "knn.fcm")
    return folder


@pytest.mark.parametrize("args", [
    ["predict", "correct0.npz", "-m", "squat.fcm", "-e", "push-up"],
    ["evaluate", "labels.csv", "-e", "push-up", "-m", "squat.fcm"],
    ["label", "correct0.npz", "-e", "push-up", "-a", "new.csv", "--suggest", "squat.fcm"],
])
def test_an_exercise_other_than_the_models_is_an_error_naming_the_model(squat, args):
    """It used to be ignored: a push-up asked for, a squat model's verdicts given."""
    assert_one_error_line(formcheck(*args, cwd=squat), "squat.fcm: a model of squat",
                          "--exercise says push-up")
    assert not (squat / "new.csv").exists()


def test_the_models_own_exercise_may_be_repeated(squat):
    code, stdout, stderr = formcheck("predict", "not-low1.npz", "-m", "squat.fcm", "-e", "squat",
                                     cwd=squat)
    assert code == 0 and stderr == "" and "squat/" in stdout


@pytest.mark.parametrize("model,length", [("knn.fcm", 10**7), ("squat.fcm", 10**9)])
def test_a_hand_edited_resample_length_is_one_error_line(squat, model, length):
    """10**7 in a kNN file took 24 GB before the kernel killed it; 10**9 in a learned one was
    a MemoryError traceback (a default array of that size was made to compare shapes)."""
    meta, arrays = read_archive(squat / model, "model", MODEL_FORMAT)
    edited = f"edited-{model}"
    write_archive(squat / edited, "model", MODEL_FORMAT,
                  {**meta, "params": {**meta["params"], "resample_length": length}}, arrays)
    assert_one_error_line(formcheck("predict", "correct0.npz", "-m", edited, cwd=squat),
                          edited, "features per rep" if model == "squat.fcm"
                          else f"resample_length is {length} but the training reps have 16")


def test_extract_names_each_bad_input_without_the_exception_class(squat):
    """A folder was 'VideoError: clips: video file not found' (it exists; it is a folder)."""
    pytest.importorskip("cv2", reason="the video extra is not installed")
    pytest.importorskip("mediapipe", reason="the video extra is not installed")
    (squat / "clips").mkdir(exist_ok=True)
    (squat / "empty.mp4").write_bytes(b"")
    code, stdout, stderr = formcheck("extract", "clips", "empty.mp4", "-o", "poses", cwd=squat)
    assert code == 2 and stdout == "" and "Traceback" not in stderr
    assert stderr.splitlines() == [
        "formcheck: error: clips: is a folder, not a video (name the videos in it: "
        "clips/*.mp4)",
        "formcheck: error: empty.mp4: cannot open as a video (not a video file, truncated, or a "
        "codec OpenCV's FFmpeg cannot decode)"]


def test_predict_on_a_folder_names_each_bad_file_without_the_exception_class(squat):
    """'formcheck: error: InputError: bad/bool.npy: ...' and 'TooFewFramesError: ...' before."""
    import numpy as np

    folder = squat / "mixed"
    folder.mkdir(exist_ok=True)
    (folder / "good.npz").write_bytes((squat / "correct0.npz").read_bytes())
    np.save(folder / "bool.npy", np.ones((40, 33, 4), bool))
    np.save(folder / "empty.npy", np.ones((0, 33, 4), np.float32))
    code, stdout, stderr = formcheck("predict", "mixed", "-e", "squat", cwd=squat)
    assert code == 2 and "mixed/good.npz  rep  1" in stdout and "Traceback" not in stderr
    assert sorted(stderr.splitlines()) == [
        "formcheck: error: keypoints in mixed/empty.npy have no frames",
        "formcheck: error: mixed/bool.npy: the keypoints have dtype bool; expected numbers"]


def test_a_keypoint_file_without_a_frame_rate_gets_one_warning_line(tmp_path):
    """30 fps is assumed, and said: a 60 fps recording read at 30 would have half-speed reps."""
    import numpy as np

    landmarks = make_set("squat", n_reps=2, seed=1).landmarks
    np.savez(tmp_path / "bare.npz", keypoints=landmarks)
    np.savez(tmp_path / "timed.npz", keypoints=landmarks, fps=np.array(30.0))
    code, stdout, stderr = formcheck("predict", "bare.npz", "--exercise", "squat", cwd=tmp_path)
    assert code == 0 and len(stdout.splitlines()) == 2, (stdout, stderr)
    assert stderr.splitlines() == [
        "formcheck: warning: bare.npz: the file stores no frame rate, so 30 fps is assumed (rep "
        "durations and resampling depend on it: store an 'fps' in the file, or pass fps=, "
        "formcheck predict --fps)"]
    code, stdout, stderr = formcheck("predict", "timed.npz", "--exercise", "squat", cwd=tmp_path)
    assert code == 0 and stderr == ""
    code, told, stderr = formcheck("predict", "bare.npz", "--exercise", "squat", "--fps", "30",
                                   cwd=tmp_path)
    assert code == 0 and stderr == "" and told == stdout
    code, slow, _ = formcheck("predict", "bare.npz", "--exercise", "squat", "--fps", "15",
                              cwd=tmp_path)
    assert code == 0 and slow != stdout           # the same frames at 15 fps: reps twice as long
