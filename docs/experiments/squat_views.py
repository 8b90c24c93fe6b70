"""Squat accuracy by camera view, with joint angles measured in 2-D and in 3-D.

Protocol (as in docs/classifiers.md): ``make_dataset("squat", n_subjects=16, seed=1,
severity=...)`` for one camera view, 4-fold cross-validation grouped by subject
(seed 0), both classifiers with their defaults. 3-D uses the synthetic world
landmarks (``world_landmarks=True``), as MediaPipe gives for a video.
Run: .venv/bin/python docs/experiments/squat_views.py
"""

from formcheck import DTWKNeighborsClassifier, LearnedClassifier
from formcheck.datasets.synthetic import make_dataset
from formcheck.evaluation.validation import grouped_cross_validation

VIEWS = ("side", "front", "back", "diagonal")
SEVERITIES = {"0-0.2": (0.0, 0.2), "random": None}


def main():
    print("| view | geometry | severity | reps found | DTW kNN | learned |")
    print("|---|---|---|---|---|---|")
    for view in VIEWS:
        for geometry in ("2d", "3d"):
            for name, severity in SEVERITIES.items():
                data = make_dataset("squat", n_subjects=16, seed=1, severity=severity, view=view,
                                    world_landmarks=geometry == "3d")
                scores = [100 * grouped_cross_validation(model, data, n_splits=4, seed=0).accuracy
                          for model in (DTWKNeighborsClassifier(), LearnedClassifier())]
                print(f"| {view} | {geometry} | {name} | {len(data)} of 128 | {scores[0]:.1f} | "
                      f"{scores[1]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
