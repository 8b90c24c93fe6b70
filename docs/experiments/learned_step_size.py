"""Adam's step size for the learned classifier's MLP: epochs to converge, fit time, accuracy.

Protocol: on each set (PushFit cut into reps, the four Pose Trainer exercises one
rep per file, synthetic squat / pull-up / push-up sets of 8 subjects), the
LearnedClassifier's features (standardised channels, ``rep_features``), 5-fold
cross-validation grouped by clip or subject, the MLP of ``LearnedClassifier``
(64 hidden units, L2 1/3, scikit-learn's stopping rule: loss change below 1e-4
for 10 epochs) with one BLAS thread, at three step sizes. Prints the reps
predicted right, the median fit time and epochs per set.
Run: .venv/bin/python docs/experiments/learned_step_size.py
"""

import time
import warnings

import numpy as np
from sklearn.model_selection import GroupKFold
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from formcheck.classifiers.learned import rep_features
from formcheck.datasets import clips_to_reps, load_pose_trainer, load_pushfit, whole_clips
from formcheck.datasets.synthetic import make_dataset

STEP_SIZES = (1e-3, 3e-3, 1e-2)  # 1e-3 is scikit-learn's default


def sets():
    yield "PushFit", clips_to_reps(load_pushfit(), "push-up")
    for exercise in ("bicep-curl", "front-raise", "shoulder-press", "shoulder-shrug"):
        yield exercise, whole_clips(load_pose_trainer(exercise), exercise)
    for exercise in ("squat", "pull-up", "push-up"):
        yield f"synthetic {exercise}", make_dataset(exercise, n_subjects=8, seed=1)


def features(data):
    frames = np.concatenate(data.X)
    scale = frames.std(axis=0)
    scale[scale < 1e-12] = 1.0
    return np.stack([rep_features((s - frames.mean(axis=0)) / scale) for s in data.X])


def cross_validate(X, y, groups, step):
    right, seconds, epochs = 0, [], []
    for train, test in GroupKFold(5).split(X, y, groups):
        mean, scale = X[train].mean(axis=0), X[train].std(axis=0)
        scale[scale < 1e-12] = 1.0
        model = MLPClassifier((64,), alpha=1 / 3, max_iter=1000, learning_rate_init=step,
                              random_state=0)
        started = time.perf_counter()
        with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit((X[train] - mean) / scale, y[train])
        seconds.append(time.perf_counter() - started)
        epochs.append(model.n_iter_)
        right += int((model.predict((X[test] - mean) / scale) == y[test]).sum())
    return right, float(np.median(seconds)), int(np.median(epochs))


def main():
    print("| set | reps | " + " | ".join(f"step {s:g}: right, fit s, epochs" for s in STEP_SIZES)
          + " |")
    print("|---|---|" + "---|" * len(STEP_SIZES))
    for name, data in sets():
        X = features(data)
        cells = [cross_validate(X, data.y, data.groups, step) for step in STEP_SIZES]
        print(f"| {name} | {len(data)} | "
              + " | ".join(f"{r}, {s:.2f}, {e}" for r, s, e in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
