"""Cases found by the QA pass of 2026-12-02, through the real command line in a subprocess.

Each error is one stderr line ``formcheck: error: ...`` naming the file, exit code 2,
no traceback.
"""

import subprocess
import sys

import pytest

from bad_files import child_env
from formcheck import LearnedClassifier
from formcheck.datasets.rep_dataset import RepDataset
from formcheck.datasets.synthetic import make_set

CLI = [sys.executable, "-c", "from formcheck.cli import main; main()"]
LABELS = ["correct", "not-low", "correct", "not-low"]


def formcheck(*args, cwd, stdin=""):
    done = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          input=stdin, timeout=600,
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
    LearnedClassifier(hidden_units=8).fit(
        RepDataset.from_annotations(folder / "labels.csv", "squat")).save(folder / "squat.fcm")
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
