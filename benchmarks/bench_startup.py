"""Start-up times, each in a fresh Python process: import, the CLI, predict, an app's cold start.

On a shared machine absolute times move with the load, so every result also
carries its ratio to ``python -c "import numpy"`` timed in the same run
(``extra_info["ratio_to_numpy"]``, medians over the rounds) and the CPU time
the process used (``extra_info["cpu_s"]``), which the load hardly changes.

- ``import formcheck`` (target: at most 1.5x numpy's import) and
  ``formcheck --help`` (at most 2x);
- ``formcheck predict`` on a keypoint file (a synthetic 5-rep squat set) with a
  saved model, for both classifiers;
- an app's cold start: import formcheck, load 50 labelled reps, fit, predict one
  rep, for both classifiers. The numba kernels are compiled once, in a warm-up
  round, into this run's own cache: the figures are those after the first run;
- fitting alone on the same 50 reps, in this process (imports done).

Run (not part of the unit tests)::

    pytest benchmarks/bench_startup.py --benchmark-json=bench_startup.json
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
ROUNDS = 7
COLD_ROUNDS = 3
CLASSIFIERS = {"learned": "LearnedClassifier", "knn": "DTWKNeighborsClassifier"}
COLD_START = """
import formcheck
reps = formcheck.RepDataset.load({reps!r})
model = formcheck.{cls}().fit(reps)
model.predict(reps[[0]])
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A keypoint file, 50 labelled reps and a saved model of each classifier, in a temp folder."""
    from formcheck import DTWKNeighborsClassifier, LearnedClassifier
    from formcheck.datasets.synthetic import make_dataset, make_set

    folder = tmp_path_factory.mktemp("startup")
    make_set("squat", n_reps=5, seed=3).save(folder / "set.npz")
    reps = make_dataset("squat", n_subjects=7, seed=0)
    reps = reps[list(range(50))]
    reps.save(folder / "reps50.fcd")
    LearnedClassifier().fit(reps).save(folder / "learned.fcm")
    DTWKNeighborsClassifier().fit(reps).save(folder / "knn.fcm")
    return folder


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    """The child processes' environment: this checkout first, a cache of their own."""
    cache = tmp_path_factory.mktemp("cache")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(PROJECT), FORMCHECK_CACHE_DIR=str(cache))
    return env


class Process:
    """Run one command in a fresh process per call, recording the CPU time of each."""

    def __init__(self, arguments, env):
        self.arguments, self.env, self.cpu = arguments, env, []

    def __call__(self):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, *self.arguments], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


@pytest.fixture(scope="module")
def numpy_import(environment):
    """Median wall time of ``python -c "import numpy"``, the yardstick of every ratio."""
    run, seconds = Process(["-c", "import numpy"], environment), []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return median(seconds)


def measure(benchmark, numpy_import, arguments, env, *, rounds=ROUNDS, target=None):
    run = Process(arguments, env)
    benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=1)
    wall = benchmark.stats.stats.median
    benchmark.extra_info.update(
        wall_s=round(wall, 3), cpu_s=round(median(run.cpu[1:]), 3),
        numpy_import_s=round(numpy_import, 3), ratio_to_numpy=round(wall / numpy_import, 2),
        load_average=round(os.getloadavg()[0], 2))
    if target is not None:
        benchmark.extra_info["target_ratio"] = target


def test_import_numpy(benchmark, numpy_import, environment):
    """The yardstick itself, for the JSON output."""
    measure(benchmark, numpy_import, ["-c", "import numpy"], environment)


def test_import_formcheck(benchmark, numpy_import, environment):
    measure(benchmark, numpy_import, ["-c", "import formcheck"], environment, target=1.5)


def test_help(benchmark, numpy_import, environment):
    measure(benchmark, numpy_import, ["-m", "formcheck.cli", "--help"], environment, target=2.0)


@pytest.mark.parametrize("classifier", sorted(CLASSIFIERS))
def test_predict_keypoint_file(benchmark, numpy_import, environment, files, classifier):
    measure(benchmark, numpy_import, ["-m", "formcheck.cli", "predict", str(files / "set.npz"),
                                      "--model", str(files / f"{classifier}.fcm")], environment)


@pytest.mark.parametrize("classifier", sorted(CLASSIFIERS))
def test_cold_start_fit_50_predict_1(benchmark, numpy_import, environment, files, classifier):
    code = COLD_START.format(reps=str(files / "reps50.fcd"), cls=CLASSIFIERS[classifier])
    measure(benchmark, numpy_import, ["-c", code], environment, rounds=COLD_ROUNDS)


@pytest.mark.parametrize("classifier", sorted(CLASSIFIERS))
def test_fit_50_reps_in_process(benchmark, files, classifier):
    import formcheck

    reps = formcheck.RepDataset.load(files / "reps50.fcd")
    cls = getattr(formcheck, CLASSIFIERS[classifier])
    benchmark.pedantic(lambda: cls().fit(reps), rounds=5, iterations=1, warmup_rounds=1)
    benchmark.extra_info.update(wall_s=round(benchmark.stats.stats.median, 3),
                                load_average=round(os.getloadavg()[0], 2))
