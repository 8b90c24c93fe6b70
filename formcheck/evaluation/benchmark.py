"""Compare the rep classifiers on a labelled dataset: accuracy, latency against N, fit time, size.

The question a user asks is *which classifier should I ship for my data?*
:func:`run_benchmark` answers it on their own reps:

* accuracy, macro-F1 and per-class precision and recall from stratified
  k-fold cross-validation grouped by video or subject
  (:func:`~formcheck.evaluation.validation.grouped_cross_validation`), and the same
  against the number of training reps (a learning curve);
* prediction latency against the training-set size N, one rep at a time and
  in batches, with the fit time and the size of the saved model file. Sizes up
  to the data size are stratified sub-samples; larger ones add jittered copies
  of the reps (:func:`jitter`), so the curve reaches thousands of reps;
* a power law ``latency = a * N ** slope`` fitted to every classifier on
  log-log axes, the N where the fitted lines cross, and a plain
  recommendation (:func:`recommend`).

:func:`write_report` writes it all as JSON, a Markdown table and two PNG plots;
``formcheck bench`` is the command-line front end.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass, field
from itertools import product
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold

from .._progress import progress as progress_bar
from ..classifiers import DTWKNeighborsClassifier, LearnedClassifier
from ..errors import DatasetError, InputError
from ..features.angles import resample

__all__ = [
    "DEFAULT_SIZES", "QUICK_SIZES", "PUBLISHED_ACCURACY", "BenchmarkReport",
    "default_classifiers", "check_dataset", "load_named_dataset",
    "stratified_indices", "jitter", "training_sample", "median_seconds", "model_bytes",
    "latency_curve", "accuracy_summary", "learning_curve", "fit_power_law", "crossover",
    "recommend", "run_benchmark", "write_report", "pivot_table", "format_slope", "plot_latency",
    "plot_learning_curve",
]

#: Training-set sizes timed by default, and by ``quick=True``.
DEFAULT_SIZES = (50, 200, 800, 3200)
QUICK_SIZES = (50, 200, 800)
#: Reps per call when timing batch prediction.
BATCH_SIZE = 64

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


def default_classifiers() -> dict:
    """The two classifiers compared, with their default settings, by display name."""
    return {"DTW kNN": DTWKNeighborsClassifier(), "learned": LearnedClassifier()}


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
    from .. import datasets
    from ..datasets.synthetic import make_dataset

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


def stratified_indices(labels, n, rng) -> np.ndarray:
    """Sorted indices of ``n`` items drawn without replacement, every class in proportion.

    Every class keeps at least one item; the rounding remainder goes to the
    classes furthest below their share.

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.array(["a"] * 8 + ["b"] * 2)
    >>> picked = stratified_indices(labels, 5, np.random.default_rng(0))
    >>> len(picked), sorted(set(labels[picked].tolist()))
    (5, ['a', 'b'])
    """
    classes, index = np.unique(labels, return_inverse=True)
    if not len(classes) <= n <= len(labels):
        raise InputError(f"cannot draw {n} of {len(labels)} reps with all {len(classes)} classes")
    counts = np.bincount(index)
    share = counts * n / len(labels)
    quota = np.maximum(1, np.floor(share).astype(int))
    while quota.sum() < n:
        quota[np.argmax(np.where(quota < counts, share - quota, -np.inf))] += 1
    while quota.sum() > n:
        quota[np.argmax(quota)] -= 1
    picks = [rng.choice(np.flatnonzero(index == k), q, replace=False) for k, q in enumerate(quota)]
    return np.sort(np.concatenate(picks))


def jitter(series, rng, *, stretch=(0.85, 1.18), amplitude=0.05, noise=0.02) -> np.ndarray:
    """A plausible new rep made from an old one, to grow a training set for timing.

    The rep is resampled to a duration factor drawn log-uniformly from
    ``stretch``, every channel is scaled about its mean by ``1 + N(0, amplitude)``,
    and noise of ``noise`` times the channel's spread is added.

    Parameters
    ----------
    series : numpy.ndarray, shape (T, C)
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (T', C)

    Examples
    --------
    >>> import numpy as np
    >>> rep = np.sin(np.linspace(0, 3, 40))[:, None] * [1.0, 2.0]
    >>> copy = jitter(rep, np.random.default_rng(0))
    >>> copy.shape[1], 34 <= len(copy) <= 47
    (2, True)
    """
    series = np.asarray(series, dtype=float)
    factor = np.exp(rng.uniform(*np.log(stretch)))
    stretched = resample(series, max(2, round(len(series) * factor)))
    mean = stretched.mean(axis=0)
    scale = 1 + rng.normal(0, amplitude, series.shape[1])
    return mean + (stretched - mean) * scale + rng.normal(0, noise, stretched.shape) * series.std(0)


def training_sample(X, y, n, rng):
    """``n`` training reps from ``X``: a stratified sub-sample, or all plus jittered copies.

    Parameters
    ----------
    X : list of numpy.ndarray
    y : numpy.ndarray
    n : int
    rng : numpy.random.Generator

    Returns
    -------
    X_n : list of numpy.ndarray
    y_n : numpy.ndarray
    resampled : bool
        True when ``n`` exceeds the data and jittered copies were added.
    """
    if n <= len(X):
        picked = stratified_indices(y, n, rng)
        return [X[i] for i in picked], y[picked], False
    extra = rng.integers(0, len(X), n - len(X))
    return list(X) + [jitter(X[i], rng) for i in extra], np.concatenate([y, y[extra]]), True


# -- timing ---------------------------------------------------------------------------------
def median_seconds(call, budget=0.5, min_repeats=3, max_repeats=100) -> float:
    """Median wall time of ``call(i)`` for ``i = 0, 1, ...``, repeated until ``budget`` seconds.

    Examples
    --------
    >>> median_seconds(lambda i: sum(range(1000)), budget=0.01) < 0.01
    True
    """
    times = []
    deadline = time.perf_counter() + budget
    while len(times) < min_repeats or (len(times) < max_repeats
                                       and time.perf_counter() < deadline):
        started = time.perf_counter()
        call(len(times))
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def model_bytes(model) -> int:
    """Size in bytes of the file ``model.save`` writes."""
    with tempfile.TemporaryDirectory() as folder:
        return model.save(Path(folder) / "model.fcm").stat().st_size


def _time_one(estimator, X, y, queries, budget) -> dict:
    model = clone(estimator)
    started = time.perf_counter()
    model.fit(X, y)
    fit_seconds = time.perf_counter() - started
    model.predict(queries[:1])  # compile and warm caches outside the timing
    single = median_seconds(lambda i: model.predict([queries[i % len(queries)]]), budget)
    batch = median_seconds(lambda i: model.predict(queries), budget)
    return {"fit_seconds": fit_seconds, "model_bytes": model_bytes(model),
            "single_seconds": single, "batch_seconds": batch / len(queries),
            "batch_size": len(queries)}


def latency_curve(estimators, X, y, sizes, *, seed=0, budget=0.5, batch_size=BATCH_SIZE,
                  progress=False) -> list:
    """Fit time, model size and prediction latency of every estimator at every N.

    Each size gets its own training sample (:func:`training_sample`); the
    queries are ``batch_size`` jittered copies of the data's reps, not in any
    training sample. Only prediction is timed: one rep per call
    (``single_seconds``) and ``batch_size`` reps per call (``batch_seconds``
    is per rep).

    Parameters
    ----------
    estimators : dict of str to RepClassifier
    X : list of numpy.ndarray
    y : numpy.ndarray
    sizes : sequence of int
    seed : int
    budget : float
        Seconds spent repeating each measurement (at least 3 calls).
    batch_size : int
    progress : bool

    Returns
    -------
    list of dict
        One row per (classifier, N): ``classifier``, ``n``, ``resampled``,
        ``fit_seconds``, ``model_bytes``, ``single_seconds``, ``batch_seconds``,
        ``batch_size``.
    """
    rng = np.random.default_rng(seed)
    queries = [jitter(X[i], rng) for i in rng.integers(0, len(X), batch_size)]
    samples = {n: training_sample(X, y, n, np.random.default_rng([seed, n])) for n in sizes}
    rows = []
    for name, n in progress_bar(list(product(estimators, sizes)), progress, desc="latency"):
        X_n, y_n, resampled = samples[n]
        rows.append({"classifier": name, "n": int(n), "resampled": resampled,
                     **_time_one(estimators[name], X_n, y_n, queries, budget)})
    return rows


# -- accuracy -------------------------------------------------------------------------------
def accuracy_summary(result) -> dict:
    """Accuracy, macro-F1, per-group accuracy, per-class scores and mean fit time of a result.

    ``group_accuracy`` (a video's reps vote with their mean probability) is
    None when a group holds reps of several labels, as a synthetic subject does.
    """
    one_label = all(len(set(result.y_true[result.groups == g])) == 1
                    for g in np.unique(result.groups))
    return {"accuracy": result.accuracy, "macro_f1": result.macro_f1,
            "group_accuracy": result.group_accuracy() if one_label else None,
            "per_class": result.per_class(), "fit_seconds": float(np.mean(result.fit_seconds))}


def learning_curve(estimators, dataset, *, n_splits=5, points=5, seed=0, progress=False) -> list:
    """Cross-validated accuracy against the number of training reps.

    The folds are stratified and grouped by video/subject; at each point every
    fold's training part is sub-sampled (stratified) to the same fraction, and
    the predictions of all folds are scored together.

    Returns
    -------
    list of dict
        ``classifier``, ``n_train`` (mean over folds), ``accuracy``, ``macro_f1``.
    """
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    folds = list(splitter.split(np.zeros(len(dataset)), dataset.labels, dataset.groups))
    smallest = min(len(train) for train, _ in folds)
    start = min(smallest, max(2 * len(dataset.classes), smallest // 8))
    fractions = np.unique(np.round(np.geomspace(start, smallest, points))) / smallest
    rows = []
    for name, fraction in progress_bar(list(product(estimators, fractions)), progress,
                                       desc="learning curve"):
        rng = np.random.default_rng(seed)
        rows.append({"classifier": name,
                     **_curve_point(estimators[name], dataset, folds, fraction, rng)})
    return rows


def _curve_point(estimator, dataset, folds, fraction, rng) -> dict:
    sizes, y_true, y_pred = [], [], []
    for train, test in folds:
        n = max(len(dataset.classes), round(fraction * len(train)))
        subset = train[stratified_indices(dataset.labels[train], n, rng)]
        y_pred.append(clone(estimator).fit(dataset[subset]).predict(dataset[test]))
        y_true.append(dataset.labels[test])
        sizes.append(n)
    y_true, y_pred = np.concatenate(y_true), np.concatenate(y_pred)
    return {"n_train": float(np.mean(sizes)), "accuracy": float(np.mean(y_true == y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0))}


# -- analysis -------------------------------------------------------------------------------
def fit_power_law(sizes, seconds):
    """Least-squares line through ``(log10 N, log10 seconds)``.

    Returns
    -------
    slope : float
        Latency grows as ``N ** slope``: about 1 for a linear scan, 0 when flat.
    intercept : float
        ``log10`` of the fitted latency at ``N = 1``.

    Examples
    --------
    >>> slope, intercept = fit_power_law([10, 100, 1000], [0.01, 0.1, 1.0])
    >>> round(slope, 6), round(intercept, 6)
    (1.0, -3.0)
    """
    slope, intercept = np.polyfit(np.log10(sizes), np.log10(seconds), 1)
    return float(slope), float(intercept)


def crossover(steep, flat):
    """N where two fitted lines ``(slope, intercept)`` meet, or None if they never do.

    Beyond it the classifier of the ``flat`` line is the faster one.

    Examples
    --------
    >>> round(crossover((1.0, -5.0), (0.0, -3.0)))
    100
    """
    if steep[0] <= flat[0]:
        return None
    return float(10 ** ((flat[1] - steep[1]) / (steep[0] - flat[0])))


def _fits(rows, key="single_seconds") -> dict:
    return {name: fit_power_law([r["n"] for r in rows if r["classifier"] == name],
                                [r[key] for r in rows if r["classifier"] == name])
            for name in dict.fromkeys(r["classifier"] for r in rows)}


def recommend(accuracy, latency, n_reps) -> str:
    """Which classifier to use at this data size, and why, in plain words.

    The most accurate classifier wins when it leads by more than the standard
    error of an accuracy measured on ``n_reps`` reps, ``sqrt(p (1 - p) / n)``;
    otherwise the faster one at ``N = n_reps`` wins. The sentence that follows
    gives the fitted growth of each latency and the N from which the flattest
    curve is the faster (:func:`crossover`).

    Parameters
    ----------
    accuracy : dict
        Classifier -> :func:`accuracy_summary`.
    latency : list of dict
        Rows of :func:`latency_curve`, including ``n == n_reps``.
    n_reps : int

    Returns
    -------
    str
    """
    at_n = {r["classifier"]: r["single_seconds"] for r in latency if r["n"] == n_reps}
    best, runner_up = sorted(accuracy, key=lambda name: -accuracy[name]["accuracy"])[:2]
    p_best, p_next = accuracy[best]["accuracy"], accuracy[runner_up]["accuracy"]
    noise = np.sqrt((p_best + p_next) / 2 * (1 - (p_best + p_next) / 2) / n_reps)
    scores = f"{p_best:.1%} vs {p_next:.1%} cross-validated"
    if p_best - p_next > noise:
        choice, rival = best, runner_up
        why = f"it is more accurate ({scores}, more than the ±{noise:.1%} noise)"
    else:
        choice, rival = sorted((best, runner_up), key=at_n.get)
        why = (f"both are about as accurate ({scores}, within the ±{noise:.1%} noise of "
               f"{n_reps} reps) and it is the faster at this size")
    return (f"Use the {choice} classifier at this data size ({n_reps} reps): {why}; "
            f"{at_n[choice] * 1e3:.2f} vs {at_n[rival] * 1e3:.2f} ms per rep. "
            f"{_growth_sentence(latency)}")


def _crossing(latency):
    """The flattest classifier and the N where its fitted line crosses the steepest one's."""
    fits = _fits(latency)
    steep = max(fits, key=lambda name: fits[name][0])
    flat = min(fits, key=lambda name: fits[name][0])
    return flat, crossover(fits[steep], fits[flat])


def _growth_sentence(latency) -> str:
    growth = " and ".join(f"as N^{format_slope(slope)} for the {name} classifier"
                          for name, (slope, _) in _fits(latency).items())
    flat, n_cross = _crossing(latency)
    measured = [r["n"] for r in latency]
    if n_cross is None:
        return f"Latency grows {growth}; the fitted lines do not cross."
    if n_cross < min(measured):
        where = f"at every N measured (the fitted lines cross at N ≈ {n_cross:,.0f})"
    else:
        extrapolated = " (extrapolated)" if n_cross > max(measured) else ""
        where = f"from N ≈ {n_cross:,.0f} reps{extrapolated}"
    return f"Latency grows {growth}: the {flat} classifier is the faster {where}."


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
        """N where the flattest latency line crosses the steepest (None if they do not)."""
        return _crossing(self.latency)[1]

    @property
    def recommendation(self) -> str:
        """Plain-words advice: see :func:`recommend`."""
        return recommend(self.accuracy, self.latency, self.dataset["reps"])

    def to_dict(self) -> dict:
        """JSON-ready dict: the measurements plus slopes, crossover and recommendation."""
        return {**asdict(self), "slopes": self.slopes, "crossover_n": self.crossover_n,
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
                 "| classifier | accuracy | macro-F1 | per video | fit (s) |",
                 "|---|---|---|---|---|"]
        lines += [f"| {name} | {a['accuracy']:.1%} | {a['macro_f1']:.3f} | "
                  f"{_percent(a['group_accuracy'])} | {a['fit_seconds']:.2f} |"
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
        slopes = ", ".join(f"{name} {format_slope(slope)}" for name, slope in self.slopes.items())
        n_cross = self.crossover_n
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
            f"plus jittered copies. Fitted log-log slopes: {slopes}; "
            + (f"the lines cross at N ≈ {n_cross:,.0f}." if n_cross
               else "the lines do not cross.")])


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
        Default :func:`default_classifiers`.
    sizes : sequence of int
        Training-set sizes to time; the data size is always added.
    n_splits : int
        Cross-validation folds (fewer if a class has fewer groups).
    learning_points : int
        Points of the learning curve.
    budget : float
        Seconds spent on each latency measurement.
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
    (['DTW kNN', 'learned'], [8, 12, 40])
    >>> report.recommendation.startswith("Use the ")
    True
    """
    folds = check_dataset(dataset, n_splits)
    classifiers = classifiers or default_classifiers()
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
    from .validation import grouped_cross_validation

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
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": directory / "bench.json", "markdown": directory / "bench.md",
             "latency_plot": directory / "latency.png",
             "learning_plot": directory / "learning-curve.png"}
    paths["json"].write_text(json.dumps(report.to_dict(), indent=1, default=float) + "\n",
                             encoding="utf-8")
    paths["markdown"].write_text(report.to_markdown(), encoding="utf-8")
    plot_latency(report.latency, paths["latency_plot"], title=report.dataset["name"])
    plot_learning_curve(report.learning_curve, paths["learning_plot"],
                        title=report.dataset["name"])
    return paths


# -- tables and plots -------------------------------------------------------------------------
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


def plot_latency(rows, path, *, title="") -> Path:
    """Log-log plot of latency against N, one rep and per rep in batches, with fitted slopes.

    Parameters
    ----------
    rows : list of dict
        ``classifier``, ``n``, ``single_seconds``, ``batch_seconds``, ``batch_size``.
    path : path
        PNG file to write.
    title : str
    """
    figure, axes = _figure(2)
    panels = (("single_seconds", "one rep per call"),
              ("batch_seconds", f"batches of {rows[0]['batch_size']}, per rep"))
    for ax, (key, label) in zip(axes, panels):
        for name, (slope, intercept) in _fits(rows, key).items():
            n = np.array([r["n"] for r in rows if r["classifier"] == name])
            ms = np.array([r[key] for r in rows if r["classifier"] == name]) * 1e3
            line, = ax.plot(n, ms, "o", label=f"{name} (slope {format_slope(slope)})")
            ax.plot(n, 10 ** (intercept + slope * np.log10(n)) * 1e3, "-", color=line.get_color())
        ax.set(xscale="log", yscale="log", xlabel="training reps N", ylabel="latency (ms)",
               title=label)
        _style(ax, ms_axis=True)
    return _save(figure, path, f"Prediction latency against N: {title}")


def plot_learning_curve(rows, path, *, title="") -> Path:
    """Cross-validated accuracy against the number of training reps, one line per classifier."""
    figure, (ax,) = _figure(1)
    for name in dict.fromkeys(r["classifier"] for r in rows):
        points = [(r["n_train"], r["accuracy"]) for r in rows if r["classifier"] == name]
        ax.plot(*zip(*points), "o-", label=name)
    ax.set(xscale="log", xlabel="training reps N", ylabel="accuracy (grouped CV)")
    _style(ax, ms_axis=False)
    return _save(figure, path, f"Accuracy against N: {title}")


def _figure(n_panels):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.6 * n_panels, 3.6))
    FigureCanvasAgg(figure)
    return figure, figure.subplots(1, n_panels, squeeze=False)[0]


def _style(ax, ms_axis):
    from matplotlib.ticker import FuncFormatter, NullFormatter, PercentFormatter

    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(plain if ms_axis else PercentFormatter(1.0))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)


def _percent(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def format_slope(value) -> str:
    """A fitted slope with two decimals, never ``-0.00``.

    Examples
    --------
    >>> format_slope(-0.004), format_slope(0.756)
    ('0.00', '0.76')
    """
    return f"{round(value, 2) + 0:.2f}"  # + 0 turns -0.0 into 0.0


def _save(figure, path, title) -> Path:
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    return Path(path)
