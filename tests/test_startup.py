"""Start-up: importing formcheck, or its command line, loads none of the heavy dependencies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
HEAVY = ("sklearn", "numba", "matplotlib", "cv2", "mediapipe", "scipy", "pandas")


def imported_after(statement, output=None) -> list:
    """The HEAVY modules present in a fresh interpreter after running ``statement`` (lines of
    code); ``output``, a list, receives what it printed."""
    code = (f"import sys, json\n{statement}\n"
            f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120, check=True)
    *printed, loaded = run.stdout.splitlines()
    if output is not None:
        output.extend(printed)
    return json.loads(loaded)


@pytest.mark.parametrize("statement", [
    "import formcheck",
    "import formcheck; formcheck.__version__; dir(formcheck)",
    "import formcheck.cli",
    "from formcheck.errors import FormcheckError, InputError",
])
def test_import_loads_no_heavy_dependency(statement):
    assert imported_after(statement) == []


def test_heavy_modules_load_on_first_use():
    """A public name still works, and brings in what it needs then: fitting, scikit-learn."""
    fit = ("import formcheck; from formcheck.datasets.synthetic import make_dataset; "
           "formcheck.LearnedClassifier().fit(make_dataset('squat', n_subjects=2))")
    assert "sklearn" in imported_after(fit)
    knn = ("import formcheck; from formcheck.datasets.synthetic import make_dataset; "
           "formcheck.DTWKNeighborsClassifier().fit(make_dataset('squat', n_subjects=2))")
    assert "numba" in imported_after(knn)


@pytest.mark.parametrize("classifier", ["LearnedClassifier", "DTWKNeighborsClassifier"])
def test_predicting_with_a_saved_model_loads_no_scikit_learn(classifier, tmp_path):
    from formcheck.datasets.synthetic import make_dataset

    import formcheck

    reps = make_dataset("squat", n_subjects=2)
    getattr(formcheck, classifier)().fit(reps).save(tmp_path / "model.fcm")
    reps.save(tmp_path / "reps.fcd")
    predict = (f"import formcheck; model = formcheck.load_model({str(tmp_path / 'model.fcm')!r}); "
               f"model.predict(formcheck.RepDataset.load({str(tmp_path / 'reps.fcd')!r}))")
    assert "sklearn" not in imported_after(predict)
    assert "pandas" not in imported_after(predict)


@pytest.mark.parametrize("model", ["learned", "builtin"])
def test_formcheck_predict_on_a_keypoint_file_loads_no_numba(model, tmp_path):
    """An app's cold start: a learned model or the standards judge a keypoint file without
    the DTW kernels of the kNN (numba, which loads SciPy too)."""
    from formcheck.datasets.synthetic import make_dataset, make_set

    import formcheck

    make_set("squat", n_reps=2, seed=1).save(tmp_path / "set.npz")
    if model == "learned":
        formcheck.LearnedClassifier().fit(make_dataset("squat", n_subjects=2)).save(
            tmp_path / "learned.fcm")
        model = str(tmp_path / "learned.fcm")
    argv = ["predict", str(tmp_path / "set.npz"), "--model", model, "--exercise", "squat"]
    predict = ("from formcheck.cli import main\n"
               "try:\n"
               f"    main({argv!r})\n"
               "except SystemExit as exit:\n"
               "    assert exit.code == 0, exit.code\n")
    printed = []
    loaded = imported_after(predict, printed)
    assert [line.split()[:2] for line in printed] == [["rep", "1"], ["rep", "2"]]
    assert "numba" not in loaded and "scipy" not in loaded and "sklearn" not in loaded


def test_not_fitted_error_is_also_scikit_learns():
    """Created on first access, it is the one class, a FormcheckError and sklearn's error."""
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    import formcheck.errors as errors
    from formcheck.errors import FormcheckError, NotFittedError

    assert errors.NotFittedError is NotFittedError
    assert issubclass(NotFittedError, FormcheckError)
    assert issubclass(NotFittedError, SklearnNotFittedError)
    assert NotFittedError.__qualname__ == "NotFittedError"
    with pytest.raises(AttributeError, match="no attribute 'Missing'"):
        errors.Missing


def test_without_the_export_extra_formcheck_still_imports_predicts_and_says_what_to_install(
        tmp_path):
    """A core install: onnx and onnxruntime absent (blocked in the child process)."""
    from formcheck.datasets.synthetic import make_dataset

    import formcheck

    reps = make_dataset("squat", n_subjects=2)
    formcheck.LearnedClassifier().fit(reps).save(tmp_path / "model.fcm")
    reps.save(tmp_path / "reps.fcd")
    code = ("import sys; sys.modules['onnx'] = sys.modules['onnxruntime'] = None\n"
            "import formcheck\n"
            "from formcheck.errors import DependencyError\n"
            f"model = formcheck.load_model({str(tmp_path / 'model.fcm')!r})\n"
            f"reps = formcheck.RepDataset.load({str(tmp_path / 'reps.fcd')!r})\n"
            "print(len(model.predict(reps)))\n"
            "try:\n"
            f"    model.to_onnx({str(tmp_path / 'model.onnx')!r})\n"
            "except DependencyError as error:\n"
            "    print(error)\n")
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120, check=True)
    predicted, message = run.stdout.splitlines()
    assert int(predicted) == len(reps)
    assert 'pip install "formcheck[export]"' in message
