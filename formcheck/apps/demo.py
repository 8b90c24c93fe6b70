"""The built-in demo: the whole pipeline on synthetic reps, no user data needed."""

from __future__ import annotations

from ..check import FormChecker, builtin_model
from ..classifiers import DTWKNeighborsClassifier, LearnedClassifier
from ..datasets.synthetic import make_dataset, make_set
from ..errors import InputError
from ..evaluation.timing import median_seconds
from ..evaluation.validation import holdout_split
from ..features.exercises import get_exercise
from ..reps import cut_recording, driving_signal

__all__ = ["run_demo"]


def run_demo(exercise="squat", n_subjects=8, seed=0, echo=print):
    """Generate, segment, train, evaluate and check, printing each step.

    Parameters
    ----------
    exercise : {"squat", "pull-up", "push-up"}
    n_subjects : int
        Synthetic people in the labelled set.
    seed : int
    echo : callable
        Where lines go (``print`` or ``click.echo``).

    Returns
    -------
    dict
        Accuracy of each classifier on held-out subjects and the verdicts.
    """
    if n_subjects < 4:
        raise InputError(f"the demo needs at least 4 synthetic people, got {n_subjects}")
    definition = get_exercise(exercise)
    echo(f"formcheck demo: {exercise} ({definition.description})\n")
    _show_one_set(make_set(exercise, n_reps=5, seed=seed), definition, echo)
    data = make_dataset(exercise, n_subjects=n_subjects, seed=seed)
    echo(f"\n2. Labelled reps from {n_subjects} synthetic people: {data.class_counts()}")
    echo("\n3. Both classifiers, trained on 75% of the people and tested on the rest:")
    models, scores = {}, {}
    for name, model in (("DTW kNN", DTWKNeighborsClassifier()), ("learned", LearnedClassifier())):
        result = holdout_split(model, data, test_size=0.25, random_state=seed)
        models[name] = model.fit(data)
        scores[name] = result.accuracy
        latency = median_seconds(lambda _: models[name].predict(data.reps[:1]), budget=0,
                                 min_repeats=20)
        echo(f"   {name:8s} accuracy {result.accuracy:6.1%}  macro-F1 {result.macro_f1:.2f}  "
             f"fit {result.fit_seconds[0]:.2f} s  one rep {latency * 1e3:.2f} ms")
    fault = definition.faults[0]
    echo(f"\n4. A new person's set, done as {fault!r}; verdict per rep, from the built-in "
         "standards (no training) and the two trained classifiers:")
    verdicts = _check_new_set(make_set(exercise, label=fault, n_reps=3, seed=seed + 1000),
                              definition, models, echo)
    return {"accuracy": scores, "verdicts": verdicts}


def _show_one_set(pose, definition, echo):
    angles, reps = cut_recording(pose, definition)
    echo(f"1. One synthetic set: {pose.n_frames} frames at {pose.fps:g} fps, "
         f"{len(angles.channels)} angle channels -> {len(reps)} reps")
    for rep in reps:
        echo(f"   rep {rep.index + 1}: {rep.start_time:5.1f}-{rep.end_time:5.1f} s  "
             f"{_key_number(rep.angles, definition)}")


def _key_number(angles, definition) -> str:
    signal = driving_signal(angles, definition)
    turning = signal.min() if definition.phase == "min" else signal.max()
    name = " / ".join(definition.driving_channels).replace("_", " ")
    return f"{name} {definition.phases[1]}: {turning:.0f}°"


def _check_new_set(pose, definition, models, echo) -> list:
    _, reps = cut_recording(pose, definition)
    builtin = {v.index: v for v in FormChecker(builtin_model(definition.name)).check_pose(pose)}
    verdicts = []
    for rep in reps:
        echo(f"   rep {rep.index + 1} ({rep.start_time:.1f}-{rep.end_time:.1f} s, "
             f"{_key_number(rep.angles, definition)}):")
        if rep.index in builtin:
            verdict = builtin[rep.index]
            said = verdict.feedback.message if verdict.feedback else verdict.reason
            echo(f"      {'standards':10s}{verdict.label} ({verdict.confidence or '-'})"
                 + (f"  {said}" if said else ""))
            verdicts.append((rep.index, "standards", verdict.label))
        for name, model in models.items():
            proba = model.predict_proba([rep.angles])[0]
            label = str(model.classes_[proba.argmax()])
            echo(f"      {name:10s}{label} ({_confidence(model, proba.max())})")
            verdicts.append((rep.index, name, label))
    return verdicts


def _confidence(model, probability) -> str:
    """The top probability, or for a 1-nearest-neighbour model what it is: one neighbour's vote."""
    if getattr(model, "n_neighbors", None) == 1:
        return "a vote of 1 neighbour"
    return f"{probability:.0%}"
