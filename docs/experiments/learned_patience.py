"""Patience of the learned classifier's MLP on large training sets: fit time and held-out errors.

scikit-learn stops training when the training loss has not improved by 1e-4 for
``n_iter_no_change`` epochs (10). With batches of 200 reps an epoch of N reps
is ``ceil(N / 200)`` Adam steps, so 10 epochs are 100 steps at 2,000 reps but
1,000 at 20,000. ``_training.patience`` keeps about 100 steps (at least 4
epochs, at most 10; 10 up to 2,200 reps). Protocol: ``conftest.synthetic_reps``
of 100 x 17 (the fit benchmark's reps), 25,000 drawn, the last 5,000 held out;
fits on the first 5,000 and 20,000 with ten seeds of the network, with
sklearn's 10 epochs and with the step-based patience. Prints CPU seconds,
epochs and held-out errors per fit, then the errors summed over the seeds.
Run: PYTHONPATH=. .venv/bin/python docs/experiments/learned_patience.py
"""

import time

from benchmarks.conftest import synthetic_reps
from formcheck import LearnedClassifier
from formcheck.classifiers import _training

SIZES, SEEDS = (5000, 20000), range(10)


def fit(X, y, seed, fixed):
    """One fit (10 epochs of patience when ``fixed``): the model, its CPU seconds and epochs."""
    rule, train, networks = _training.patience, _training.fit_on_one_blas_thread, []
    if fixed:
        _training.patience = lambda n_reps: 10
    _training.fit_on_one_blas_thread = lambda *args: networks.append(train(*args)) or networks[0]
    try:
        started = time.process_time()
        model = LearnedClassifier(random_state=seed).fit(X, y)
        return model, time.process_time() - started, networks[0].n_iter_
    finally:
        _training.patience, _training.fit_on_one_blas_thread = rule, train


def main():
    X, y = synthetic_reps(25000, 100, 17, seed=1)
    held_out, truth = X[20000:], y[20000:]
    print("| N | seed | 10 epochs: CPU s, epochs, errors | step-based: CPU s, epochs, errors |")
    print("|---|---|---|---|")
    totals = {}
    for n in SIZES:
        for seed in SEEDS:
            cells = []
            for fixed in (True, False):
                model, seconds, epochs = fit(X[:n], y[:n], seed, fixed)
                errors = int((model.predict(held_out) != truth).sum())
                totals[n, fixed] = totals.get((n, fixed), 0) + errors
                cells.append(f"{seconds:.2f}, {epochs}, {errors}")
            print(f"| {n} | {seed} | " + " | ".join(cells) + " |", flush=True)
    for n in SIZES:
        print(f"N = {n}: {totals[n, True]} errors with 10 epochs, {totals[n, False]} step-based, "
              f"of {len(SEEDS) * len(truth)} predictions")


if __name__ == "__main__":
    main()
