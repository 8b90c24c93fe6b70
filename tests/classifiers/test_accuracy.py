"""Accuracy of both classifiers: synthetic borderline faults, and the real published protocols.

The real-data checks use ../shared/datasets and skip with a reason when it is absent.
Their figures are in docs/classifiers.md.
"""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from formcheck import DTWKNeighborsClassifier, LearnedClassifier
from formcheck import datasets
from formcheck.evaluation.validation import (evaluate_model, grouped_cross_validation,
                                             holdout_groups, holdout_split)
from formcheck.datasets.synthetic import make_dataset

ROOT = datasets.default_root()
needs_data = pytest.mark.skipif(not ROOT.is_dir(),
                                reason=f"shared real datasets not found at {ROOT}")


@pytest.mark.parametrize("exercise,floor", [("squat", 0.9), ("pull-up", 0.9), ("push-up", 0.8)])
def test_borderline_synthetic_faults(exercise, floor):
    """Faults at severity 0-0.2 (just past the line) on subjects never seen in training."""
    data = make_dataset(exercise, n_subjects=12, seed=1, severity=(0.0, 0.2))
    for model in (DTWKNeighborsClassifier(), LearnedClassifier()):
        result = grouped_cross_validation(model, data, n_splits=4, seed=0)
        assert result.accuracy >= floor, (type(model).__name__, result.accuracy)


@pytest.mark.parametrize("view", ["front", "diagonal"])
def test_borderline_squats_filmed_from_the_front_or_at_45_degrees_in_3d(view):
    """With 3-D angles, as good as from the side (docs/classifiers.md: 96.9 / 99.2 from the
    front with 16 subjects; 2-D from the front: 90.6 / 96.9)."""
    data = make_dataset("squat", n_subjects=12, seed=1, severity=(0.0, 0.2), view=view,
                        world_landmarks=True)
    assert len(data) == 12 * 2 * 4                       # every rep found
    for model in (DTWKNeighborsClassifier(), LearnedClassifier()):
        result = grouped_cross_validation(model, data, n_splits=4, seed=0)
        print(f"{view} 3-D {type(model).__name__}: {result.accuracy:.3f}")
        assert result.accuracy >= 0.9, (type(model).__name__, result.accuracy)


@pytest.mark.slow
@needs_data
def test_pushfit_learned_within_3_points_of_dtw_knn():
    data = datasets.clips_to_reps(datasets.load_pushfit(ROOT), "push-up")
    scores = {}
    for name, model in (("knn", DTWKNeighborsClassifier()), ("learned", LearnedClassifier())):
        runs = [grouped_cross_validation(model, data, n_splits=5, seed=s) for s in range(3)]
        scores[name] = np.mean([r.accuracy for r in runs])
    print(f"PushFit 5-fold grouped CV, rep accuracy over 3 shuffles: {scores}")
    assert scores["knn"] >= 0.7  # published (MediaPipe keypoints, more clips): 74-83%
    assert scores["learned"] >= scores["knn"] - 0.03




def pushfit_fixed_split():
    """Every PushFit rep, and which of them belong to the selection half."""
    pytest.importorskip("cv2", reason="PushFit clips take their frame rate and image size "
                        "from their videos, read with OpenCV (the video extra)")
    clips = datasets.load_pushfit(ROOT)
    data = datasets.clips_to_reps(clips, "push-up")
    names, labels = [c.name for c in clips], [c.label for c in clips]
    selection, _ = train_test_split(names, test_size=0.5, random_state=0, stratify=labels)
    return data, np.isin(data.groups, selection)


def fixed_split_results(data, chosen):
    # knn-push-up: the setting the selection half chose, recorded in exercises.json (reps
    # resampled to 64 frames, band 0.3; the class defaults won the other real sets)
    models = {"knn": DTWKNeighborsClassifier(),
              "knn-push-up": DTWKNeighborsClassifier.for_exercise("push-up"),
              "learned": LearnedClassifier.for_exercise("push-up")}
    return {name: evaluate_model(model.fit(data[chosen]), data[~chosen])
            for name, model in models.items()}


@pytest.mark.slow
@needs_data
def test_pushfit_learned_at_least_as_good_as_the_knn_on_clips_it_never_saw():
    """The fixed split of docs/classifiers.md: choices made on one half, tested on the other
    (there, rep / clip accuracy: kNN 77.6 / 75.0, with the push-up choice 85.7 / 81.2, learned
    81.6 / 84.4)."""
    data, chosen = pushfit_fixed_split()
    results = fixed_split_results(data, chosen)
    assert len(set(results["knn"].groups)) == len(set(data.groups[~chosen]))   # no clip lost
    clip = {name: r.group_accuracy() for name, r in results.items()}
    rep = {name: r.accuracy for name, r in results.items()}
    print(f"PushFit unseen half: rep {rep}, clip {clip}")
    assert clip["learned"] >= max(clip["knn"], clip["knn-push-up"]) - 0.01
    assert rep["learned"] >= rep["knn"] - 0.01
    assert rep["knn-push-up"] >= rep["knn"] + 0.05          # resampling to 64 frames helps
    assert clip["knn"] >= 0.75 and clip["knn-push-up"] >= 0.8


@pytest.mark.slow
@needs_data
@pytest.mark.xfail(strict=True, reason=(
    "docs/classifiers.md: best on the report half 84.4 % of clips (learned; kNN 81.2 %); 29 of "
    "its 32 are needed. Four (wrong2, wrong40, wrong86, wrong100) are called correct by every "
    "candidate measured: two rest lying on the floor or bench at the bottom, one is filmed from "
    "the front, one shows no fault in its angles"))
def test_pushfit_both_classifiers_reach_90_percent_of_clips_on_the_report_half():
    data, chosen = pushfit_fixed_split()
    results = fixed_split_results(data, chosen)
    assert results["learned"].group_accuracy() >= 0.9
    assert results["knn-push-up"].group_accuracy() >= 0.9


PUBLISHED = {"bicep-curl": 0.86, "front-raise": 1.00, "shoulder-press": 0.73,
             "shoulder-shrug": 0.85}
BELOW_PUBLISHED = pytest.mark.xfail(strict=True, reason=(
    "docs/classifiers.md: on the published split the DTW kNN gets 11 of the 12 front-raise test "
    "files (91.7 %), the published nearest class mean all 12: frontraise_bad_2 is nearest to a "
    "good training file; no kNN setting chosen inside the 16 training files gets it"))


def test_the_pose_trainer_split_is_the_published_one():
    """The test files printed by Pose Trainer's bicep-curl notebook (utils.files_in_order, then
    train_test_split(test_size=0.4, random_state=42)); sorting the names as text gives another
    split, with bicep_bad_8 and bicep_bad_10 among the test files."""
    names = [f"bicep_{kind}_{i}" for kind, n in (("bad", 10), ("good", 6))
             for i in range(1, n + 1)]
    _, test = holdout_groups(names[::-1])          # whatever order the files come in
    assert test == ["bicep_bad_1", "bicep_bad_2", "bicep_bad_6", "bicep_good_5", "bicep_good_4",
                    "bicep_good_2", "bicep_bad_9"]


@pytest.mark.slow
@needs_data
@pytest.mark.parametrize("exercise,classifier", [
    pytest.param("front-raise", DTWKNeighborsClassifier, marks=BELOW_PUBLISHED),
    *[(e, DTWKNeighborsClassifier) for e in PUBLISHED if e != "front-raise"],
    *[(e, LearnedClassifier) for e in PUBLISHED]])
def test_pose_trainer_published_split(exercise, classifier):
    data = datasets.whole_clips(datasets.load_pose_trainer(exercise, ROOT), exercise)
    accuracy = holdout_split(classifier(), data, test_size=0.4, random_state=42).accuracy
    print(f"Pose Trainer {exercise}, {classifier.__name__}: {accuracy:.3f} "
          f"(published {PUBLISHED[exercise]})")
    # the published figures are rounded: 0.86 is 6 of 7 files (0.857)
    assert accuracy >= PUBLISHED[exercise] - 0.005
