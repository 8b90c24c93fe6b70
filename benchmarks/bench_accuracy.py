"""Accuracy of the classifiers on the shared real sets, on the protocols published for them.

The DTW kNN and the learned classifier on every set; on PushFit also the push-up fault
standards with their thresholds as defined (the zero-data row of
:func:`~formcheck.evaluation.benchmark.default_classifiers`; Pose Trainer's exercises define
no standards).

- PushFit push-ups: every clip cut into reps (a clip without a detected rep is
  one rep), 5-fold stratified cross-validation grouped by clip, seed 0.
- Pose Trainer (4 exercises): one rep per clip, 60/40 split of the clips with
  ``random_state=42``.

Each evaluation runs once (``rounds=1``; its time is fit plus predict of every
fold). Accuracy, macro-F1, per-clip accuracy, per-class precision and recall
and the published figures go into ``extra_info``; the last test writes
``out/bench-<mode>-accuracy.json`` and ``.md`` with the published numbers side
by side. Skipped, with the reason, when ``../shared/datasets`` (or
``$FORMCHECK_DATASETS``) is absent.

Run: ``make bench`` (same in quick and full mode).
"""

import functools
import json

import pytest

from formcheck.evaluation.benchmark import (PUBLISHED_ACCURACY, STANDARDS_ROW, accuracy_summary,
                                            default_classifiers, load_named_dataset)
from formcheck.datasets.real import POSE_TRAINER_EXERCISES, default_root
from formcheck.evaluation.validation import grouped_cross_validation, holdout_split

from .bench_scaling import MODE, OUT

ROOT = default_root()
pytestmark = pytest.mark.skipif(not ROOT.is_dir(), reason=f"shared datasets not found at {ROOT} "
                                                          "(set FORMCHECK_DATASETS)")
DATASETS = ["pushfit", *(f"pose-trainer:{name}" for name in POSE_TRAINER_EXERCISES.values())]
CLASSIFIERS = list(default_classifiers("push-up"))
#: Regression floors, a few points under what these classifiers reach today (the standards,
#: trained on nothing: 58.3% of PushFit's reps, docs/classifiers.md).
FLOOR = {"pushfit": 0.75, "pose-trainer": 0.7}
STANDARDS_FLOOR = 0.55
RESULTS: dict = {}  # (dataset, classifier) -> accuracy summary


@functools.cache
def _data(name):
    return load_named_dataset(name)


def _protocol(name):
    if name == "pushfit":
        return "5-fold CV grouped by clip", functools.partial(grouped_cross_validation,
                                                              n_splits=5, seed=0)
    return "60/40 split, random_state=42", functools.partial(holdout_split, test_size=0.4,
                                                             random_state=42)


@pytest.mark.parametrize("classifier", CLASSIFIERS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_accuracy(benchmark, dataset, classifier):
    data = _data(dataset)
    candidates = default_classifiers(data.metadata.get("exercise"))
    if classifier not in candidates:
        pytest.skip(f"{dataset}: its exercise defines no fault standards")
    protocol, evaluate = _protocol(dataset)
    estimator = candidates[classifier]
    benchmark.group = f"accuracy: {dataset}"
    result = benchmark.pedantic(evaluate, args=(estimator, data), rounds=1, iterations=1)
    summary = accuracy_summary(result)
    RESULTS[dataset, classifier] = {"protocol": protocol, "reps": len(data),
                                    "clips": len(set(data.groups)), **summary}
    benchmark.extra_info.update(dataset=dataset, classifier=classifier,
                                published=PUBLISHED_ACCURACY[dataset],
                                **RESULTS[dataset, classifier])
    floor = STANDARDS_FLOOR if classifier == STANDARDS_ROW else FLOOR[dataset.partition(":")[0]]
    assert summary["accuracy"] >= floor


def test_write_accuracy_summary():
    if not RESULTS:
        pytest.skip("needs the accuracy results of this run: run the whole file")
    OUT.mkdir(parents=True, exist_ok=True)
    rows = [{"dataset": dataset, "classifier": classifier, **result}
            for (dataset, classifier), result in RESULTS.items()]
    (OUT / f"bench-{MODE}-accuracy.json").write_text(
        json.dumps({"rows": rows, "published": PUBLISHED_ACCURACY}, indent=1) + "\n",
        encoding="utf-8")
    (OUT / f"bench-{MODE}-accuracy.md").write_text(_markdown(), encoding="utf-8")


def _markdown():
    head = " | ".join(f"{name} (per rep / per clip)" for name in CLASSIFIERS)
    lines = [f"| set | protocol | reps (clips) | {head} | published, per clip |",
             "|---" * (4 + len(CLASSIFIERS)) + "|"]
    for dataset in DATASETS:
        results = [RESULTS.get((dataset, name)) for name in CLASSIFIERS]
        if results[0] is None:
            continue
        cells = " | ".join("n/a" if r is None else f"{r['accuracy']:.1%} / {r['group_accuracy']:.1%}"
                           for r in results)
        published = ", ".join(f"{k} {v:.1%}"
                              for k, v in PUBLISHED_ACCURACY[dataset]["results"].items())
        lines.append(f"| {dataset} | {results[0]['protocol']} | {results[0]['reps']} "
                     f"({results[0]['clips']}) | {cells} | {published} |")
    return "\n".join(lines) + "\n"
