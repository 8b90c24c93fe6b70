"""Compare the rep classifiers on a labelled dataset: accuracy, latency against N, fit time, size.

The question a user asks is *which classifier should I ship for my data?*
:func:`run_benchmark` answers it on their own reps:

* accuracy, macro-F1 and per-class precision and recall from stratified
  k-fold cross-validation grouped by video or subject
  (:func:`~formcheck.evaluation.validation.grouped_cross_validation`), and the same
  against the number of training reps (:mod:`~formcheck.evaluation.learning_curve`);
* prediction latency against the training-set size N, one rep at a time and
  in batches, with the fit time and the size of the saved model file
  (:mod:`~formcheck.evaluation.timing`). Sizes up to the data size are
  stratified sub-samples; larger ones add jittered copies of the reps
  (:mod:`~formcheck.evaluation.sampling`), so the curve reaches thousands of reps;
* a power law ``latency = a * N ** slope`` fitted to every classifier on
  log-log axes, the N where the fitted lines cross, and a plain
  recommendation (:mod:`~formcheck.evaluation.scaling`).

:func:`write_report` writes it all as JSON, a Markdown table and two PNG plots
(:mod:`~formcheck.evaluation.plots`); ``formcheck bench`` is the command-line
front end, with the settings of :func:`preset_settings`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from .. import datasets
from .._files import atomic_write, make_folder
from ..classifiers import DTWKNeighborsClassifier, LearnedClassifier
from ..classifiers.standards import StandardsClassifier
from ..datasets.synthetic import make_dataset
from ..errors import DatasetError, ExerciseError, InputError
from ..features.exercises import exercise_names, get_exercise
from .learning_curve import learning_curve
from .plots import plot_latency, plot_learning_curve
from .scaling import _crossing, _fits, crossover_estimate, format_slope, recommend, slope_interval
from .timing import BATCH_SIZE, latency_curve
from .validation import grouped_cross_validation

__all__ = [
    "DEFAULT_SIZES", "QUICK_SIZES", "QUICK_SETTINGS", "PUBLISHED_ACCURACY", "STANDARDS_ROW",
    "BenchmarkReport",
    "default_classifiers", "preset_settings", "check_dataset", "load_named_dataset",
    "accuracy_summary", "run_benchmark", "write_report", "pivot_table",
]

#: Training-set sizes timed by default, and by a quick run (:data:`QUICK_SETTINGS`).
DEFAULT_SIZES = (50, 200, 800, 3200)
QUICK_SIZES = (50, 200, 800)
#: What a quick run (``formcheck bench --quick``) changes in :func:`run_benchmark`'s defaults.
QUICK_SETTINGS = {"sizes": QUICK_SIZES, "learning_points": 3, "budget": 0.1}

#: Published results on the shared real sets (see ``datasets/README.md``), per clip.
PUBLISHED_ACCURACY = {
    "pushfit": {
        "protocol": "5-fold CV over all 265 clips (64 of them are shared), per-clip accuracy",
        "results": {"SVM": 0.743, "random forest": 0.826, "1D-CNN": 0.793, "LSTM": 0.815,
                    "GRU": 0.759}},
    **{f"pose-trainer:{exercise}": {
        "protocol": "60/40 split with random_state=42, per-clip test accuracy",
        "results": {"DTW nearest class mean": accuracy}}
       for exercise, accuracy in (("bicep-curl", 0.86), ("front-raise", 1.00),
                                  ("shoulder-press", 0.73), ("shoulder-shrug", 0.85))},
}


#: Display name of the zero-data row: the exercise's fault standards, thresholds as defined.
STANDARDS_ROW = "standards (no data)"


def default_classifiers(exercise=None) -> dict:
    """The classifiers compared, with the exercise's tuned settings, by display name.

    The DTW kNN and the learned classifier (``for_exercise``: the settings in
    the exercise's ``classifier_settings``, else the class defaults); for an exercise whose definition
    carries fault standards, also those standards as the zero-data row
    (:data:`STANDARDS_ROW`): a
    :class:`~formcheck.classifiers.standards.StandardsClassifier` that does
    not calibrate, so its thresholds are the definition's whatever the
    training reps, and fitting only takes the names of the data's classes
    (PushFit's ``push-up/wrong`` for any fault). Its accuracy is that of no
    training at all, the same at every N of the learning curve, and its
    latency does not grow with N.

    Examples
    --------
    >>> list(default_classifiers()), list(default_classifiers("squat"))
    (['DTW kNN', 'learned'], ['DTW kNN', 'learned', 'standards (no data)'])
    >>> list(default_classifiers("bicep-curl"))     # no standards defined
    ['DTW kNN', 'learned']
    >>> default_classifiers("push-up")["DTW kNN"]   # its tuned settings
    DTWKNeighborsClassifier(resample_length=64, window=0.3)
    """
    known = exercise is not None and exercise in exercise_names()
    classifiers = {name: cls.for_exercise(exercise) if known else cls()
                   for name, cls in (("DTW kNN", DTWKNeighborsClassifier),
                                     ("learned", LearnedClassifier))}
    if known and _has_standards(exercise):
        classifiers[STANDARDS_ROW] = StandardsClassifier(get_exercise(exercise).name,
                                                         calibrate=False)
    return classifiers


def _has_standards(exercise) -> bool:
    try:
        return bool(get_exercise(exercise).standards)
    except ExerciseError:
        return False


def preset_settings(*, quick=False, sizes=None, n_splits=None) -> dict:
    """Keyword arguments of :func:`run_benchmark` for a full or a quick run.

    Parameters
    ----------
    quick : bool
        :data:`QUICK_SETTINGS` (N up to 800, shorter timings, a 3-point
        learning curve) instead of :func:`run_benchmark`'s defaults.
    sizes : sequence of int, optional
        Training-set sizes to time, in place of the preset's.
    n_splits : int, optional
        Cross-validation folds, in place of the default 5.

    Returns
    -------
    dict

    Examples
    --------
    >>> preset_settings(quick=True, sizes=[8, 40])
    {'sizes': [8, 40], 'learning_points': 3, 'budget': 0.1}
    >>> preset_settings(n_splits=3)
    {'n_splits': 3}
    """
    given = {"sizes": sizes, "n_splits": n_splits}
    return {**(QUICK_SETTINGS if quick else {}),
            **{key: value for key, value in given.items() if value is not None}}


# -- data ---------------------------------------------------------------------------------
def check_dataset(dataset, n_splits=5) -> int:
    """Check that a dataset can be benchmarked; return the number of folds to use.

    Parameters
    ----------
    dataset : RepDataset
    n_splits : int
        Folds wanted; fewer are used when a class has fewer videos/subjects.

    Returns
    -------
    int
        ``min(n_splits, smallest number of groups in a class)``.

    Raises
    ------
    InputError
        ``n_splits`` below 2.
    DatasetError
        Fewer than 2 classes, a class with fewer than 2 reps, or a class
        whose reps all come from one video/subject.

    Examples
    --------
    >>> from formcheck.datasets.synthetic import make_dataset
    >>> check_dataset(make_dataset("push-up", n_subjects=3, reps_per_class=2))
    3
    """
    if not isinstance(n_splits, int) or n_splits < 2:
        raise InputError(f"cross-validation needs at least 2 folds, got {n_splits!r}")
    counts = dataset.class_counts()
    if len(counts) < 2:
        raise DatasetError(f"need at least 2 classes (labels) to compare classifiers; the data "
                           f"have {len(counts)}: {counts or 'no reps'}")
    few = {label: n for label, n in counts.items() if n < 2}
    if few:
        raise DatasetError(f"every class needs at least 2 reps; too few: {few}")
    groups = {label: len(set(dataset.groups[dataset.labels == label])) for label in counts}
    if min(groups.values()) < 2:
        raise DatasetError("every class needs reps from at least 2 videos/subjects, so that "
                           f"cross-validation tests on unseen ones; groups per class: {groups}")
    return min(n_splits, min(groups.values()))


def load_named_dataset(name, *, exercise=None, seed=0, root=None):
    """A dataset by name: ``pushfit``, ``pose-trainer:<exercise>`` or ``synthetic[:<exercise>]``.

    Parameters
    ----------
    name : str
        ``pushfit`` (PushFit clips cut into reps), ``pose-trainer:bicep-curl``
        (one Pose Trainer exercise, one rep per clip) or ``synthetic`` /
        ``synthetic:push-up`` (:func:`~formcheck.datasets.synthetic.make_dataset`, 8
        subjects, 4 reps per class and subject; ``exercise`` is the default).
    exercise : str, optional
        Exercise of a synthetic set when the name does not give it (default squat).
    seed : int
        Seed of a synthetic set.
    root : path, optional
        Folder of the real sets (default :func:`formcheck.datasets.real.default_root`).

    Returns
    -------
    RepDataset

    Raises
    ------
    DatasetError
        Unknown name, or the real data are not there.

    Examples
    --------
    >>> load_named_dataset("synthetic:push-up").class_counts()
    {'push-up/correct': 32, 'push-up/upper-body-first': 32}
    """
    kind, _, detail = name.partition(":")
    if kind == "pushfit" and not detail:
        return datasets.clips_to_reps(datasets.load_pushfit(root), "push-up")
    if kind == "pose-trainer" and detail:
        return datasets.whole_clips(datasets.load_pose_trainer(detail, root), detail)
    if kind == "synthetic":
        return make_dataset(detail or exercise or "squat", n_subjects=8, reps_per_class=4,
                            seed=seed)
    raise DatasetError(f"unknown dataset {name!r}; use pushfit, pose-trainer:<exercise> or "
                       "synthetic[:<exercise>]")


# -- accuracy -------------------------------------------------------------------------------
def accuracy_summary(result) -> dict:
    """Accuracy, macro-F1, per-group accuracy, Brier score, per-class scores and mean fit time.

    Both protocols: ``accuracy`` per rep, and ``group_accuracy`` per video
    (its reps vote with their mean probability; the published protocol of
    clip-level sets), None when a group holds reps of several labels, as a
    synthetic subject does.
    """
    one_label = all(len(set(result.y_true[result.groups == g])) == 1
                    for g in np.unique(result.groups))
    return {"accuracy": result.accuracy, "macro_f1": result.macro_f1,
            "group_accuracy": result.group_accuracy() if one_label else None,
            "brier": result.brier_score(), "per_class": result.per_class(),
            "fit_seconds": float(np.mean(result.fit_seconds))}


# -- the whole benchmark --------------------------------------------------------------------
@dataclass
class BenchmarkReport:
    """Everything :func:`run_benchmark` measured, with the analysis derived from it.

    Attributes
    ----------
    dataset : dict
        Name, reps, class counts, groups, channels and median rep length.
    settings : dict
        Sizes, folds, seed, timing budget, batch size.
    accuracy : dict
        Classifier -> :func:`accuracy_summary` of the grouped cross-validation.
    latency : list of dict
        Rows of :func:`latency_curve`.
    learning_curve : list of dict
        Rows of :func:`learning_curve`.
    """
    dataset: dict
    settings: dict
    accuracy: dict
    latency: list
    learning_curve: list = field(default_factory=list)

    @property
    def slopes(self) -> dict:
        """Classifier -> fitted log-log slope of its single-rep latency."""
        return {name: fit[0] for name, fit in _fits(self.latency).items()}

    @property
    def crossover_n(self):
        """N where the flattest latency line crosses the steepest.

        None if they do not cross, or if the timings cannot place the crossing
        (see :func:`~formcheck.evaluation.scaling.crossover_estimate`).
        """
        return _crossing(self.latency)[1]

    @property
    def recommendation(self) -> str:
        """Plain-words advice: see :func:`recommend`."""
        return recommend(self.accuracy, self.latency, self.dataset["reps"])

    def to_dict(self) -> dict:
        """JSON-ready dict: the measurements plus slopes, crossover and recommendation.

        ``crossover`` is :func:`~formcheck.evaluation.scaling.crossover_estimate`
        (with whether the timings support it); ``crossover_n`` is its N when
        they do, else None.
        """
        return {**asdict(self), "slopes": self.slopes,
                "slope_intervals": {name: slope_interval(self.latency, name)
                                    for name in self.slopes},
                "crossover": crossover_estimate(self.latency), "crossover_n": self.crossover_n,
                "recommendation": self.recommendation}

    def to_markdown(self) -> str:
        """The report as Markdown: accuracy, latency, learning curve, recommendation."""
        return "\n\n".join([self._summary_md(), self._accuracy_md(), self._latency_md(),
                            "## Accuracy against N (learning curve)\n\n" + pivot_table(
                                self.learning_curve, "accuracy", "{:.1%}", n_key="n_train"),
                            "## Recommendation\n\n" + self.recommendation]) + "\n"

    def _summary_md(self) -> str:
        d = self.dataset
        return (f"# formcheck bench: {d['name']}\n\n{d['reps']} reps in {d['groups']} "
                f"videos/subjects, classes {d['classes']}, {d['channels']} angle channels, "
                f"median rep length {d['median_frames']:g} frames.")

    def _accuracy_md(self) -> str:
        lines = [f"## Accuracy ({self.settings['folds']}-fold cross-validation grouped by "
                 "video/subject)", "",
                 "| classifier | rep accuracy | macro-F1 | clip accuracy | Brier | fit (s) |",
                 "|---|---|---|---|---|---|"]
        lines += [f"| {name} | {a['accuracy']:.1%} | {a['macro_f1']:.3f} | "
                  f"{_percent(a['group_accuracy'])} | {a['brier']:.3f} | {a['fit_seconds']:.2f} |"
                  for name, a in self.accuracy.items()]
        lines += ["", "| classifier | class | precision | recall | support |",
                  "|---|---|---|---|---|"]
        lines += [f"| {name} | {label} | {s['precision']:.2f} | {s['recall']:.2f} | "
                  f"{s['support']} |"
                  for name, a in self.accuracy.items() for label, s in a["per_class"].items()]
        published = PUBLISHED_ACCURACY.get(self.dataset["name"])
        if published:
            results = ", ".join(f"{k} {v:.1%}" for k, v in published["results"].items())
            lines += ["", f"Published on this set ({published['protocol']}): {results}."]
        return "\n".join(lines)

    def _latency_md(self) -> str:
        resampled = sorted({r["n"] for r in self.latency if r["resampled"]})
        slopes = ", ".join(
            f"{name} {format_slope(slope)} ({' to '.join(map(format_slope, slope_interval(self.latency, name)))})"
            for name, slope in self.slopes.items())
        estimate = crossover_estimate(self.latency)
        if estimate["n"] is None:
            crossing = "the lines do not cross."
        elif estimate["supported"]:
            crossing = f"the lines cross at N ≈ {estimate['n']:,.0f}."
        else:
            crossing = f"these timings cannot place a crossover: {estimate['reason']}."
        return "\n\n".join([
            "## Latency against training-set size N",
            "One rep per call (ms):\n\n" + pivot_table(self.latency, "single_seconds", "{:.3f}",
                                                      scale=1e3),
            f"Batches of {self.settings['batch_size']} (ms per rep):\n\n"
            + pivot_table(self.latency, "batch_seconds", "{:.3f}", scale=1e3),
            "Fit time (s):\n\n" + pivot_table(self.latency, "fit_seconds", "{:.2f}"),
            "Model file (kB):\n\n" + pivot_table(self.latency, "model_bytes", "{:,.0f}",
                                                 scale=1e-3),
            f"N above the data size ({', '.join(map(str, resampled)) or 'none'}) are the data "
            f"plus jittered copies. Timings are medians of rounds that run every classifier in "
            f"turn. Fitted log-log slopes (robust fit; in brackets, the range over resampled "
            f"timings): {slopes}; " + crossing])


def run_benchmark(dataset, *, name="data", classifiers=None, sizes=DEFAULT_SIZES, n_splits=5,
                  learning_points=5, budget=0.5, batch_size=BATCH_SIZE, seed=0,
                  progress=False) -> BenchmarkReport:
    """Measure accuracy, latency against N, fit time and model size of every classifier.

    Parameters
    ----------
    dataset : RepDataset
        Labelled reps with groups (videos or subjects).
    name : str
        Shown in the report; a key of :data:`PUBLISHED_ACCURACY` adds the
        published figures.
    classifiers : dict of str to RepClassifier, optional
        Default :func:`default_classifiers` of the dataset's exercise
        (``dataset.metadata["exercise"]``), with the standards' zero-data row
        when it has standards.
    sizes : sequence of int
        Training-set sizes to time; the data size is always added.
    n_splits : int
        Cross-validation folds (fewer if a class has fewer groups).
    learning_points : int
        Points of the learning curve.
    budget : float
        Seconds of latency timing per classifier and size.
    batch_size : int
    seed : int
    progress : bool
        Progress bars (tqdm) on the long loops.

    Returns
    -------
    BenchmarkReport

    Raises
    ------
    DatasetError
        See :func:`check_dataset`.

    Examples
    --------
    >>> from formcheck.datasets.synthetic import make_dataset
    >>> data = make_dataset("push-up", n_subjects=3, reps_per_class=2)
    >>> report = run_benchmark(data, sizes=(8, 40), n_splits=3, learning_points=2, budget=0.01,
    ...                        batch_size=4)
    >>> sorted(report.slopes), sorted({row["n"] for row in report.latency})
    (['DTW kNN', 'learned', 'standards (no data)'], [8, 12, 40])
    >>> report.recommendation.startswith("Use the ")
    True
    """
    folds = check_dataset(dataset, n_splits)
    classifiers = classifiers or default_classifiers(dataset.metadata.get("exercise"))
    sizes = sorted({*map(int, sizes), len(dataset)})
    accuracy = {label: accuracy_summary(_evaluate(estimator, dataset, folds, seed, progress))
                for label, estimator in classifiers.items()}
    latency = latency_curve(classifiers, dataset.X, dataset.labels, sizes, seed=seed,
                            budget=budget, batch_size=batch_size, progress=progress)
    curve = learning_curve(classifiers, dataset, n_splits=folds, points=learning_points,
                           seed=seed, progress=progress)
    settings = {"sizes": sizes, "folds": folds, "seed": seed, "budget_seconds": budget,
                "batch_size": batch_size}
    return BenchmarkReport(_describe(dataset, name), settings, accuracy, latency, curve)


def _evaluate(estimator, dataset, folds, seed, progress):

    return grouped_cross_validation(estimator, dataset, n_splits=folds, seed=seed,
                                    progress=progress)


def _describe(dataset, name) -> dict:
    return {"name": name, "reps": len(dataset), "classes": dataset.class_counts(),
            "groups": len(set(dataset.groups)), "channels": len(dataset.channels),
            "median_frames": float(np.median([len(rep) for rep in dataset.reps]))}


def write_report(report, directory) -> dict:
    """Write ``bench.json``, ``bench.md``, ``latency.png`` and ``learning-curve.png``.

    Returns
    -------
    dict of str to pathlib.Path
        ``json``, ``markdown``, ``latency_plot``, ``learning_plot``.
    """
    directory = make_folder(directory)
    paths = {"json": directory / "bench.json", "markdown": directory / "bench.md",
             "latency_plot": directory / "latency.png",
             "learning_plot": directory / "learning-curve.png"}
    for key, text in (("json", json.dumps(report.to_dict(), indent=1, default=float) + "\n"),
                      ("markdown", report.to_markdown())):
        with atomic_write(paths[key], "w") as handle:
            handle.write(text)
    plot_latency(report.latency, paths["latency_plot"], title=report.dataset["name"])
    plot_learning_curve(report.learning_curve, paths["learning_plot"],
                        title=report.dataset["name"])
    return paths


# -- tables --------------------------------------------------------------------------------------
def pivot_table(rows, key, fmt, *, scale=1.0, n_key="n") -> str:
    """Markdown table of ``rows[key]``: one line per N, one column per classifier.

    Examples
    --------
    >>> rows = [{"classifier": "a", "n": 10, "t": 0.5}, {"classifier": "b", "n": 10, "t": 0.25}]
    >>> print(pivot_table(rows, "t", "{:.2f}"))
    | N | a | b |
    |---|---|---|
    | 10 | 0.50 | 0.25 |
    """
    names = list(dict.fromkeys(r["classifier"] for r in rows))
    cells = {(r[n_key], r["classifier"]): fmt.format(r[key] * scale) for r in rows}
    lines = ["| N | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for n in sorted({r[n_key] for r in rows}):
        lines.append(f"| {n:,.0f} | " + " | ".join(cells.get((n, name), "") for name in names)
                     + " |")
    return "\n".join(lines)


def _percent(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"
