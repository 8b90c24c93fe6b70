"""StandardsClassifier.predict on a batch against the same reps one at a time, per rep.

The reps are synthetic 3-D squat reps (``make_dataset("squat", n_subjects=8, seed=1,
world_landmarks=True)``: 64 reps of 13 channels, 26-66 frames), repeated to ``N_REPS``.
"single" predicts each of the first 64 reps on its own (``predict([rep])``), "batch" all
``N_REPS`` in one call; the two are interleaved over ``ROUNDS`` rounds and the medians per rep
compared in one run (``extra_info["batch_over_single"]``: below 1 when the batch is cheaper
per rep). The batch smooths the reps of one length as one stack (``_smoothed_all``) and, in
``predict_proba_and_novelty``, once for both answers. Both give the same labels (checked).

Run (not part of the unit tests)::

    pytest benchmarks/bench_standards.py -o addopts="" -s
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from formcheck.classifiers.standards import StandardsClassifier
from formcheck.datasets.synthetic import make_dataset

from .bench_scaling import MODE

N_REPS = {"smoke": 128, "quick": 640, "full": 6400}[MODE]
ROUNDS = 3 if MODE == "smoke" else 7


@pytest.fixture(scope="module")
def reps():
    data = make_dataset("squat", n_subjects=8, seed=1, world_landmarks=True)
    return list(data.X), StandardsClassifier("squat").fit()


def _per_rep(call, n) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) / n


def test_a_batch_costs_no_more_per_rep_than_single_reps(benchmark, reps):
    few, model = reps
    many = (few * (N_REPS // len(few) + 1))[:N_REPS]
    assert (model.predict(many)[:len(few)] == [model.predict([r])[0] for r in few]).all()
    times = {"batch": [], "single": []}
    for _ in range(ROUNDS):
        times["single"].append(_per_rep(lambda: [model.predict([r]) for r in few], len(few)))
        times["batch"].append(_per_rep(lambda: model.predict(many), len(many)))
    batch, single = (float(np.median(times[k])) for k in ("batch", "single"))
    benchmark.extra_info.update({
        "reps": N_REPS, "batch_ms_per_rep": 1e3 * batch, "single_ms_per_rep": 1e3 * single,
        "batch_over_single": batch / single, "load_average": os.getloadavg()[0]})
    print(f"\nStandardsClassifier.predict: batch of {N_REPS} {1e3 * batch:.2f} ms/rep, single "
          f"{1e3 * single:.2f} ms/rep, batch/single {batch / single:.2f} "
          f"(load {os.getloadavg()[0]:.1f})")
    benchmark.pedantic(model.predict, args=(many,), rounds=1, iterations=1)
