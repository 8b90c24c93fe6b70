"""Every CLI command on a corpus of bad files and values: one error line, exit code 2.

Each case runs ``formcheck`` in a fresh process. A bad file (keypoints, model,
annotation CSV, dataset, an unwritable output) must give exactly one stderr
line ``formcheck: error: ...`` naming it; a bad option value is click's usage
error; no case may print a traceback.
"""

import os
import re
import resource
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from bad_files import (BAD_KEYPOINT_FILES, child_env, model_header, nested_json,
                       npy_bytes, patch_central_directory, write_zip)
from formcheck import LearnedClassifier
from formcheck._archive import read_archive, write_archive
from formcheck.classifiers.base import MODEL_FORMAT
from formcheck.datasets.rep_dataset import RepDataset
from formcheck.datasets.synthetic import make_set

CLI = [sys.executable, "-c", "from formcheck.cli import main; main()"]


def messages(stderr) -> list:
    """The lines of stderr that are not progress bars."""
    return [line for line in stderr.splitlines()
            if line.strip() and not re.match(r"\s*\d+%\|", line)]


def formcheck(args, folder, file_size_limit=None):
    """Run the CLI; its exit code and stderr."""
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    done = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, cwd=folder,
                          stdin=subprocess.DEVNULL, timeout=600,
                          env=child_env(FORMCHECK_CACHE_DIR=str(folder / "cache")),
                          preexec_fn=limit if file_size_limit else None)
    return done.returncode, done.stderr


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, zip_bombs):
    """Good files to pair with the bad ones, and the list of (case, arguments, named)."""
    folder = tmp_path_factory.mktemp("corpus")
    for seed, label in enumerate(["correct", "not-low", "correct", "not-low"]):
        make_set("squat", label=label, n_reps=3, seed=seed, severity=1.0).save(
            folder / f"{label}{seed}.npz")
    rows = "".join(f"{label}{seed}.npz,{30 + 60 * k},{60 + 60 * k},{label}\n"
                   for seed, label in enumerate(["correct", "not-low", "correct", "not-low"])
                   for k in range(2))
    (folder / "good.csv").write_text("file,start,end,label\n" + rows)
    model = LearnedClassifier(hidden_units=8).fit(
        RepDataset.from_annotations(folder / "good.csv", "squat"))
    model.save(folder / "good.fcm")
    cases = []
    for name, content, _ in BAD_KEYPOINT_FILES:
        (folder / name).write_text(content)
        cases.append((f"predict {name}", ["predict", name, "-m", "good.fcm"], name))
    cases += _bad_models(folder, zip_bombs)
    cases += _bad_annotations(folder)
    cases += _bad_outputs(folder)
    return folder, cases


def _bad_models(folder, zip_bombs):
    data = (folder / "good.fcm").read_bytes()
    (folder / "cut.fcm").write_bytes(data[: len(data) // 2])
    meta, arrays = read_archive(folder / "good.fcm", "model", MODEL_FORMAT)
    write_archive(folder / "transposed.fcm", "model", MODEL_FORMAT, meta,
                  {**arrays, "coef_0": arrays["coef_0"].T})
    write_archive(folder / "evil.fcm", "model", MODEL_FORMAT,
                  {**meta, "feature_settings": {"evil": 1}}, arrays)
    write_zip(folder / "list.fcm", {"meta.json": [1, 2]})
    write_zip(folder / "deep.fcm", {"meta.json": nested_json(50_000)})
    write_zip(folder / "bzip2.fcm", {"meta.json": model_header()}, zipfile.ZIP_BZIP2)
    patch_central_directory(write_zip(folder / "locked.fcm", {"meta.json": model_header(),
                                                              "mean.npy": npy_bytes([1.0])}),
                            flag_bits=1)
    names = ["cut.fcm", "transposed.fcm", "evil.fcm", "list.fcm", "deep.fcm", "bzip2.fcm",
             "locked.fcm", str(zip_bombs["npy"]), str(zip_bombs["meta"])]
    return [(f"predict -m {name}", ["predict", "correct0.npz", "-m", name], name)
            for name in names]


def _bad_annotations(folder):
    good = (folder / "good.csv").read_text()
    contents = {"typo.csv": good.replace(",not-low\n", ",not-lowe\n", 1),
                "banana.csv": good.replace(",correct", ",squat/banana", 1),
                "pullup.csv": good.replace(",correct", ",pull-up/correct", 1),
                "short.csv": good + "correct0.npz,30\n",
                "bom.csv": "\ufeff" + good.replace(",correct\n", ",corect\n", 1)}
    for name, text in contents.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "latin1.csv").write_bytes(good.replace("correct0", "caf\xe9", 1).encode("latin-1"))
    write_archive(folder / "reps.fcd", "rep-dataset", 1, {"channels": "abc", "fps": [],
                                                          "metadata": {}}, {})
    cases = [(f"train {name}", ["train", name, "-e", "squat", "-o", "m.fcm"], name)
             for name in [*contents, "latin1.csv", "reps.fcd"]]
    cases += [("evaluate typo.csv", ["evaluate", "typo.csv", "-e", "squat"], "typo.csv"),
              ("train -e pull-up", ["train", "good.csv", "-e", "pull-up"], "good.csv"),
              ("label -a short.csv", ["label", "correct0.npz", "-e", "squat", "-a", "short.csv"],
               "short.csv")]
    return cases


def _bad_outputs(folder):
    (folder / "a-file").write_text("in the way")
    (folder / "not-a-video.mp4").mkdir()
    return [("train -o under a file", ["train", "good.csv", "-e", "squat", "-o",
                                       "a-file/model.fcm"], "a-file/model.fcm"),
            ("evaluate --plot under a file", ["evaluate", "good.csv", "-e", "squat",
                                              "--folds", "2", "--plot", "a-file/c.png"],
             "a-file/c.png"),
            ("label -a under a file", ["label", "correct0.npz", "-e", "squat", "-a",
                                       "a-file/labels.csv"], "a-file/labels.csv"),
            ("predict a folder named .mp4", ["predict", "not-a-video.mp4", "-e", "squat"],
             "not-a-video.mp4")]


@pytest.mark.slow
def test_every_bad_file_is_one_error_line_and_exit_code_2(corpus):
    folder, cases = corpus
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda case: formcheck(case[1], folder), cases))
    failures = []
    for (case, _, named), (code, stderr) in zip(cases, results):
        lines = messages(stderr)
        if not (code == 2 and len(lines) == 1 and lines[0].startswith("formcheck: error: ")
                and os.path.basename(named) in lines[0]):
            failures.append(f"{case}: exit {code}, stderr {stderr[-600:]!r}")
    assert not failures, "\n".join(failures)


def test_unknown_labels_list_the_exercise_classes(corpus):
    folder, _ = corpus
    code, stderr = formcheck(["train", "typo.csv", "-e", "squat"], folder)
    assert code == 2 and "'not-lowe' is not a class of squat" in stderr
    assert "squat/correct, squat/not-low" in stderr
    assert "formcheck exercise add-fault squat" in stderr


@pytest.mark.parametrize("folds", ["0", "1", "-2"])
def test_fewer_than_two_folds_is_one_error_line(corpus, folds):
    folder, _ = corpus
    code, stderr = formcheck(["evaluate", "good.csv", "-e", "squat", "--folds", folds], folder)
    assert code == 2 and messages(stderr) == [
        f"formcheck: error: cross-validation needs at least 2 folds, got {folds}"]


def test_a_full_disk_is_one_error_line_and_keeps_the_previous_file(corpus):
    folder, _ = corpus
    previous = (folder / "good.fcm").read_bytes()
    (folder / "keep.fcm").write_bytes(previous)
    code, stderr = formcheck(["train", "good.csv", "-e", "squat", "-o", "keep.fcm"], folder,
                             file_size_limit=20_000)
    assert code == 2 and len(messages(stderr)) == 1 and "keep.fcm: cannot write" in stderr
    assert (folder / "keep.fcm").read_bytes() == previous
    assert not list(folder.glob(".keep.fcm.*.tmp"))


@pytest.mark.parametrize("args,option", [
    (["demo", "--seed", "-1"], "--seed"),
    (["bench", "--sizes", "0,-5"], "--sizes"),
    (["bench", "--sizes", "8,x"], "--sizes"),
    (["extract", "x.mp4", "-j", "0"], "--jobs"),
    (["evaluate", "good.csv", "-e", "squat", "--compare-channels", "left_knee",
      "--shuffles", "0"], "--shuffles"),
])
def test_bad_option_values_are_usage_errors(corpus, args, option):
    folder, _ = corpus
    code, stderr = formcheck(args, folder)
    assert code == 2 and f"Invalid value for '{option}'" in stderr
    assert "Traceback" not in stderr
