"""Choose each exercise's default channels by measurement, and report the choice on unseen data.

Selection never sees the data it is reported on:

- PushFit (64 clips): a fixed stratified half of the clips (``train_test_split`` over the clips,
  ``test_size=0.5``, ``random_state=0``) is the selection half. Every candidate set is scored
  there by 5-fold cross-validation grouped by clip over 5 shuffles, for both classifiers; the set
  with the best mean of rep and clip accuracy over both classifiers wins. It is reported by
  training on the selection half and testing on the other half (and every candidate is shown
  there too, so the reader sees what picking on the report half would have given).
- Pose Trainer (one rep per file): the selection runs inside the published training part (60 %,
  ``random_state=42``), 3-fold grouped CV over 5 shuffles; the winner is reported on the
  published test part.

Run: .venv/bin/python docs/experiments/select_channels.py
"""

import numpy as np
from sklearn.model_selection import train_test_split

from formcheck import DTWKNeighborsClassifier, LearnedClassifier
from formcheck import datasets
from formcheck.errors import MissingDataError
from formcheck.evaluation.channels import ablation_table, compare_channel_sets
from formcheck.evaluation.validation import evaluate_model, holdout_groups, holdout_split
from formcheck.features.channels import available_channels
from formcheck.features.exercises import get_exercise

GROUPS = {
    "elbows": ["left_elbow", "right_elbow"], "shoulders": ["left_shoulder", "right_shoulder"],
    "hips": ["left_hip", "right_hip"], "knees": ["left_knee", "right_knee"],
    "ankles": ["left_ankle", "right_ankle"], "trunk": ["trunk_inclination"],
    "shins": ["left_shin_inclination", "right_shin_inclination"],
    "body line": ["left_body_line", "right_body_line"],
    "heights": ["nose_over_wrists", "nose_over_shoulders", "hips_over_ankles"],
}
PUSH_UP_SETS = [
    ["elbows", "shoulders", "hips", "body line", "trunk"],
    ["elbows", "shoulders", "hips", "body line", "trunk", "knees"],
    ["elbows", "shoulders", "hips", "body line", "trunk", "knees", "ankles"],
    ["elbows", "shoulders", "hips", "body line", "trunk", "heights"],
    ["elbows", "shoulders", "hips", "knees", "ankles"],
    ["elbows", "hips", "knees", "body line"],
    list(GROUPS),
]
UPPER_BODY_SETS = [
    ["elbows"], ["shoulders"], ["elbows", "shoulders"], ["elbows", "shoulders", "trunk"],
    ["elbows", "shoulders", "trunk", "heights"], ["elbows", "shoulders", "trunk", "hips"],
    ["elbows", "shoulders", "heights"],
]
CLASSIFIERS = {"kNN": DTWKNeighborsClassifier(), "learned": LearnedClassifier()}


def named_sets(families, layout, driving):
    """Name -> channels of every family that includes the driving channels and fits the layout."""
    known = available_channels(layout)
    sets = {}
    for family in families:
        channels = [c for g in family for c in GROUPS[g] if c in known]
        name = " + ".join(family) if family != list(GROUPS) else "all"
        if set(driving) <= set(channels):
            sets[name] = channels
    return sets


def select(data, sets, n_splits, seeds=range(5)):
    """Scores of every set for both classifiers, and the winning set's name."""
    tables = {k: compare_channel_sets(m, data, sets, n_splits=n_splits, seeds=seeds)
              for k, m in CLASSIFIERS.items()}
    mean = {name: np.mean([s.score for t in tables.values() for s in t if s.name == name])
            for name in sets}
    return tables, max(sets, key=lambda name: mean[name])


def report_on(train, test, sets):
    """Accuracy (rep, clip) of both classifiers trained on ``train`` and tested on ``test``."""
    rows = {}
    for name, channels in sets.items():
        rows[name] = {}
        for k, m in CLASSIFIERS.items():
            fitted = m.__class__(**m.get_params()).fit(train.select_channels(channels))
            r = evaluate_model(fitted, test.select_channels(channels))
            rows[name][k] = (r.accuracy, r.group_accuracy())
    return rows


def pushfit():
    clips = datasets.load_pushfit()
    data = datasets.clips_to_reps(clips, "push-up", channels=available_channels("mediapipe33"))
    names = np.array([c.name for c in clips])
    labels = np.array([c.label for c in clips])
    selection, _ = train_test_split(names, test_size=0.5, random_state=0, stratify=labels)
    in_selection = np.isin(data.groups, selection)
    sets = named_sets(PUSH_UP_SETS, "mediapipe33", get_exercise("push-up").driving_channels)
    tables, winner = select(data[in_selection], sets, n_splits=5)
    print(f"## push-up: selection half ({len(selection)} clips, {in_selection.sum()} reps)")
    for k, table in tables.items():
        print(f"\n{k}\n{ablation_table(table)}")
    print(f"\nwinner: {winner}: {sets[winner]}")
    rows = report_on(data[in_selection], data[~in_selection], sets)
    print(f"\n## push-up: trained on the selection half, tested on the other "
          f"{len(set(data.groups[~in_selection]))} clips (rep / clip accuracy)")
    print("| channel set | kNN | learned |\n|---|---|---|")
    for name, row in rows.items():
        mark = " (chosen)" if name == winner else ""
        print(f"| {name}{mark} | " + " | ".join(f"{row[k][0]:.1%} / {row[k][1]:.1%}"
                                                for k in CLASSIFIERS) + " |")


def pose_trainer(exercise):
    clips = datasets.load_pose_trainer(exercise)
    names = np.unique([c.name for c in clips])
    train_names, _ = holdout_groups(names)
    sets = named_sets(UPPER_BODY_SETS, "coco18", get_exercise(exercise).driving_channels)
    default = list(get_exercise(exercise).channels)
    data = {}
    for name, channels in {**sets, "default": default}.items():
        try:
            data[name] = datasets.whole_clips(clips, exercise, channels=channels)
        except MissingDataError as exc:
            print(f"{exercise}: {name} not measurable: {exc}")
    sets = {n: c for n, c in {**sets, "default": default}.items() if n in data}
    union = sorted({c for chans in sets.values() for c in chans}, key=available_channels("coco18").index)
    full = datasets.whole_clips(clips, exercise, channels=union)
    train = full[np.isin(full.groups, train_names)]
    tables, winner = select(train, sets, n_splits=3)
    print(f"\n## {exercise}: selection inside the published training part ({len(train)} files)")
    for k, table in tables.items():
        print(f"\n{k}\n{ablation_table(table)}")
    print(f"\nwinner: {winner}: {sets[winner]}")
    print("| channel set | kNN | learned |\n|---|---|---|")
    for name, channels in sets.items():
        subset = full.select_channels(channels)
        acc = [holdout_split(m, subset, test_size=0.4, random_state=42).accuracy
               for m in CLASSIFIERS.values()]
        mark = " (chosen)" if name == winner else ""
        print(f"| {name}{mark} | {acc[0]:.1%} | {acc[1]:.1%} |", flush=True)


if __name__ == "__main__":
    pushfit()
    for exercise in datasets.POSE_TRAINER_EXERCISES.values():
        pose_trainer(exercise)
