"""Compare candidate learned classifiers with the DTW kNN on the real PushFit clips.

Protocol: every clip cut into reps (a clip with no detected rep is one rep),
5-fold stratified cross-validation grouped by clip, repeated over 5 shuffles.
Reports rep accuracy and clip accuracy (mean probability over a clip's reps).
Run: .venv/bin/python docs/experiments/compare_learned_candidates.py
"""

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

from formcheck import DTWKNeighborsClassifier, LearnedClassifier
from formcheck import datasets
from formcheck.evaluation.validation import grouped_cross_validation


class TreeCandidate(LearnedClassifier):
    """Same features, a tree ensemble on top (compared only; not persisted)."""

    def _make_estimator(self, n_reps):
        trees = {"random-forest": RandomForestClassifier, "extra-trees": ExtraTreesClassifier}
        return trees[self.model](n_estimators=300, random_state=0, n_jobs=2)


CANDIDATES = {
    "DTW 1-NN, window 0.1": DTWKNeighborsClassifier(n_neighbors=1, window=0.1),
    "DTW 1-NN, window 0.2": DTWKNeighborsClassifier(n_neighbors=1, window=0.2),
    "logistic, C=0.1": LearnedClassifier(model="logistic", C=0.1),
    "logistic, C=1": LearnedClassifier(model="logistic", C=1.0),
    "MLP 64, C=1": LearnedClassifier(model="mlp", C=1.0),
    "MLP 64, C=3": LearnedClassifier(model="mlp", C=3.0),
    "MLP 64, C=10": LearnedClassifier(model="mlp", C=10.0),
    "MLP 128, C=3": LearnedClassifier(model="mlp", C=3.0, hidden_units=128),
    "random forest (300)": TreeCandidate(model="random-forest"),
    "extra trees (300)": TreeCandidate(model="extra-trees"),
}


def main(seeds=range(5)):
    data = datasets.clips_to_reps(datasets.load_pushfit(), "push-up")
    print(f"{len(data)} reps from {len(set(data.groups))} clips: {data.class_counts()}")
    print("| candidate | rep accuracy | clip accuracy |\n|---|---|---|")
    for name, estimator in CANDIDATES.items():
        for augment in (None, {"mirror": True, "time_scale": None}):
            runs = [grouped_cross_validation(estimator, data, seed=s, augment=augment)
                    for s in seeds]
            rep = np.array([r.accuracy for r in runs]) * 100
            clip = np.array([r.group_accuracy() for r in runs]) * 100
            label = name + (" + mirror" if augment else "")
            print(f"| {label} | {rep.mean():.1f} ± {rep.std():.1f} | "
                  f"{clip.mean():.1f} ± {clip.std():.1f} |", flush=True)


if __name__ == "__main__":
    main()
