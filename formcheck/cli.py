"""The ``formcheck`` command line: thin over the library.

Every command parses its options, calls the library and prints. A
:class:`~formcheck.errors.FormcheckError` (or an ``OSError`` of the machine,
such as a full disk) becomes one line on stderr and exit code 2; Ctrl-C becomes
``formcheck: interrupted`` (with what was kept, when the command says) and exit code 130.

The library is imported inside each command function, on purpose: this module
imports only click, :mod:`formcheck.errors` and :mod:`formcheck._quiet` (both
standard library only), so ``formcheck --help`` and every usage error return at
once, and each command loads only what it uses (scikit-learn, numba, OpenCV and
MediaPipe take seconds to import).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import sys
import warnings
from pathlib import Path

import click

from ._quiet import quiet_third_party, show_details
from .errors import FormcheckError, FormcheckWarning

__all__ = ["main", "cli"]


class _OneLineUsageError(click.UsageError):
    """A usage error shown as one line that points to ``--help``, not click's usage block."""

    def show(self, file=None):
        command = self.ctx.command_path if self.ctx else "formcheck"
        message = self.format_message()
        end = "" if message.endswith((".", "?", "!")) else "."
        click.echo(f"formcheck: error: {message}{end} Try '{command} --help'.", err=True)


@contextlib.contextmanager
def _one_line_usage_errors(ctx=None):
    """Turn click's usage errors raised inside into :class:`_OneLineUsageError`."""
    try:
        yield
    except _OneLineUsageError:
        raise
    except click.UsageError as exc:
        raise _OneLineUsageError(exc.format_message(), exc.ctx or ctx) from None


class _FormcheckCommand(click.Command):
    """A command whose usage errors, from parsing or from its code, are one line."""

    def make_context(self, info_name, args, parent=None, **extra):
        with _one_line_usage_errors(parent):
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        with _one_line_usage_errors(ctx):
            return super().invoke(ctx)


class _FormcheckGroup(click.Group):
    """The ``formcheck`` group: one-line usage errors; a FormcheckError is one line, exit 2;
    Ctrl-C is one line, exit 130."""

    command_class = _FormcheckCommand

    def make_context(self, info_name, args, parent=None, **extra):
        with _one_line_usage_errors():
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        try:
            with _one_line_usage_errors(ctx):
                return super().invoke(ctx)
        except FormcheckError as exc:
            click.echo(f"formcheck: error: {exc}", err=True)
            ctx.exit(2)
        except OSError as exc:      # the machine's, not the input's: a full disk, a lost mount
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"formcheck: error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt as exc:    # Ctrl-C: one line (what was kept, if said), no trace
            click.echo(f"formcheck: interrupted{f' ({exc})' if str(exc) else ''}", err=True)
            ctx.exit(130)


@click.group(cls=_FormcheckGroup)
@click.version_option(package_name="formcheck")
@click.option("--verbose", "-v", is_flag=True,
              help="Let MediaPipe, FFmpeg and OpenCV print their log lines, and show "
                   "formcheck's info messages (before the command: formcheck -v predict ...).")
def cli(verbose):
    """Check the form of every rep of an exercise.

    Third-party log lines are kept off the terminal unless --verbose; progress
    bars appear only when stderr is a terminal.

    \b
    Example:
      formcheck demo
    """
    click.get_current_context().with_resource(warnings.catch_warnings())
    if verbose:
        show_details()
    else:
        quiet_third_party()
    warnings.filterwarnings("always", category=FormcheckWarning)
    warnings.showwarning = functools.partial(_show_warning, warnings.showwarning)


def _show_warning(python_way, message, category, filename, lineno, file=None, line=None):
    """formcheck's own warnings as ``formcheck: warning: ...`` lines; others the Python way."""
    if issubclass(category, FormcheckWarning):
        click.echo(f"formcheck: warning: {message}", err=True)
    else:
        python_way(message, category, filename, lineno, file, line)


@cli.command()
@click.option("--exercise", default="squat", show_default=True,
              type=click.Choice(["squat", "pull-up", "push-up"]))
@click.option("--subjects", default=8, show_default=True, help="Synthetic subjects.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
def demo(exercise, subjects, seed):
    """Run the whole pipeline on built-in synthetic data; no files needed.

    Synthetic sets -> joint angles -> reps -> both classifiers trained on some
    subjects and tested on others -> a verdict for every rep of a new set.

    \b
    Example:
      formcheck demo --exercise push-up
    """
    from .apps.demo import run_demo

    run_demo(exercise=exercise, n_subjects=subjects, seed=seed, echo=click.echo)


# -- helpers shared by the commands below ---------------------------------------------

_CLASSIFIERS = {"knn": "DTWKNeighborsClassifier", "learned": "LearnedClassifier",
                "standards": "StandardsClassifier"}


def _load_reps(data, exercise, **feature_settings):
    """A RepDataset from a labelled folder, an annotation CSV or a saved dataset file.

    Every recording in which no rep was found gets one line, with the reason.
    """
    from .datasets.rep_dataset import RepDataset

    reps = RepDataset.from_source(data, exercise, progress=True, **feature_settings)
    for name, why in reps.metadata.get("files_without_reps", {}).items():
        click.echo(f"{Path(data) / name}: no rep, left out: {why}")
    return reps


def _no_rep_line(path, pose, exercise) -> str:
    """One line saying why a recording has no rep of ``exercise``."""
    from .features.angles import joint_angles
    from .reps import no_rep_reason

    return f"{path}: no rep: {no_rep_reason(joint_angles(pose, exercise), exercise, pose=pose)}"


def _parse_roi(_ctx, _param, text):
    if text is None:
        return None
    try:
        roi = tuple(int(item) for item in text.split(","))
    except ValueError:
        roi = ()
    if len(roi) != 4:
        raise click.BadParameter(f"expected x,y,width,height in pixels, got {text!r}")
    return roi


def _make_classifier(kind, exercise=None):
    """A classifier of ``kind`` (``-c``), with ``exercise``'s tuned settings for knn and learned
    (:meth:`~formcheck.classifiers.base.TrainedRepClassifier.for_exercise`); the class defaults
    for an exercise no longer defined (a saved RepDataset's)."""
    from . import classifiers
    from .features.exercises import exercise_names

    cls = getattr(classifiers, _CLASSIFIERS[kind])
    if kind == "standards" or exercise not in exercise_names():
        return cls()
    return cls.for_exercise(exercise)


def _model(model, exercise):
    """A fitted model: a model file, or a built-in one (see :data:`formcheck.check.BUILTIN_MODELS`)."""
    from .check import builtin_learned_model, builtin_model
    from .classifiers import load_model

    if model is None and exercise is None:
        raise click.UsageError("give --model FILE, or --exercise NAME for the built-in model")
    if model in (None, "builtin"):
        if exercise is None:
            raise click.UsageError("the built-in model (builtin) needs --exercise NAME")
        return builtin_model(exercise)
    if model == "builtin-learned":
        if exercise is None:
            raise click.UsageError("the built-in learned model (builtin-learned) needs --exercise NAME")
        return builtin_learned_model(exercise, progress=True)
    fitted = load_model(model)
    _check_same_exercise(model, fitted, exercise, " (leave --exercise out to use the model's)")
    return fitted


def _check_same_exercise(path, fitted, exercise, hint=""):
    """A usage error when --exercise names another exercise than the model file's own."""
    own = getattr(fitted, "exercise_", None)
    if exercise is not None and own is not None and exercise != own:
        raise click.UsageError(f"{path}: a model of {own}, but --exercise says {exercise}{hint}")


class _SizeList(click.ParamType):
    """Comma-separated training-set sizes, each a whole number >= 1."""

    name = "N,N,..."

    def convert(self, value, param, ctx):
        if isinstance(value, list):
            return value
        try:
            sizes = [int(item) for item in value.split(",")]
        except ValueError:
            self.fail(f"expected comma-separated whole numbers, got {value!r}", param, ctx)
        if any(size < 1 for size in sizes):
            self.fail(f"every size must be at least 1, got {value!r}", param, ctx)
        return sizes


def _checker(model, exercise):
    from .check import FormChecker

    return FormChecker(_model(model, exercise))


class _ModelFile(click.ParamType):
    """A model file that exists, or the name of a built-in model."""

    name = "model"

    def convert(self, value, param, ctx):
        from .check import BUILTIN_MODELS

        if value in BUILTIN_MODELS or Path(value).is_file():
            return value
        self.fail(f"{value!r} is neither a model file nor one of {', '.join(BUILTIN_MODELS)}",
                  param, ctx)


_model_option = click.option(
    "--model", "-m", type=_ModelFile(),
    help="A model file from 'formcheck train'; or 'builtin' (the exercise's fault standards, "
         "the default with --exercise) or 'builtin-learned' (a classifier trained on "
         "synthetic reps).")
_roi_option = click.option("--roi", callback=_parse_roi, metavar="X,Y,W,H",
                           help="Follow only the person in this region of the video frame "
                                "(pixels), when others are in the picture.")
_exercise_option = click.option("--exercise", "-e", help="Exercise name (e.g. squat).")

#: joblib backends the CLI offers.
_BACKENDS = ("loky", "threading", "multiprocessing", "dask")


def _check_jobs(ctx, param, value):
    """``--jobs``: a positive number of files, or -1 for every core."""
    if value is not None and (value == 0 or value < -1):
        raise click.BadParameter(f"{value} is neither a positive number of files nor -1 "
                                 "(every core)", ctx, param)
    return value


def _parallel_options(command):
    """``--jobs``, ``--backend`` and ``--scheduler``: where the files of a batch are processed."""
    command = click.option("--scheduler", metavar="ADDRESS",
                           help="Address of a Dask scheduler (tcp://host:8786) to run on; "
                                "implies --backend dask.")(command)
    command = click.option("--backend", type=click.Choice(_BACKENDS),
                           help="joblib backend (default loky, local processes); dask runs on "
                                "the cluster at --scheduler, or on a local one without it "
                                "(the dask extra).")(command)
    return click.option("--jobs", "-j", type=int, callback=_check_jobs,
                        help="Files in parallel (-1: every core; default 1, with dask every "
                             "core of the cluster).")(command)


@contextlib.contextmanager
def _parallel_backend(jobs, backend, scheduler):
    """``(n_jobs, backend)`` for the library, inside a Dask client when the backend is dask."""
    if scheduler and backend not in (None, "dask"):
        raise click.UsageError(f"--scheduler runs on Dask; it does not go with --backend {backend}")
    if not (scheduler or backend == "dask"):
        yield (1 if jobs is None else jobs), backend
        return
    from ._parallel import dask_client

    with dask_client(scheduler):
        yield (-1 if jobs is None else jobs), "dask"


@cli.command()
@click.argument("videos", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--output", "-o", default="poses", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the .npz files.")
@click.option("--fps", type=float, help="Resample to this frame rate.")
@_parallel_options
@_roi_option
def extract(videos, output, fps, jobs, backend, scheduler, roi):
    """Extract MediaPipe pose from videos into .npz keypoint files.

    Files that fail are listed at the end (exit code 2); the others are kept.
    Each file is written as soon as its video is done: after Ctrl-C, the same
    command resumes (the videos done come from the pose cache).

    \b
    Example:
      formcheck extract clips/*.mp4 -o poses -j 2
      formcheck extract clips/*.mp4 -o poses --scheduler tcp://10.0.0.5:8786
    """
    from ._files import make_folder
    from .pose import extract_many

    make_folder(output)
    written = []

    def save(path, pose, error):
        if pose is not None:
            target = output / f"{Path(path).stem}.npz"
            pose.save(target)
            written.append(target)
            click.echo(f"{path}: {pose.n_frames} frames, a person in "
                       f"{pose.detected_fraction():.0%} -> {target}")

    try:
        with _parallel_backend(jobs, backend, scheduler) as (n_jobs, joblib_backend):
            result = extract_many(list(videos), n_jobs=n_jobs, fps=fps, roi=roi, progress=True,
                                  backend=joblib_backend, on_done=save)
    except KeyboardInterrupt:
        total = len(dict.fromkeys(map(str, videos)))
        raise KeyboardInterrupt(f"{len(written)} of {total} files written to {output}") from None
    _exit_if_failed(result.failed)


def _exit_if_failed(failed):
    """Each failed file of a batch, one line on stderr, then exit code 2 if there was any."""
    for path, message in failed.items():
        click.echo(f"formcheck: error: {_without_error_name(message, path)}", err=True)
    if failed:
        raise click.exceptions.Exit(2)


def _without_error_name(message, path) -> str:
    """A batch's failure message without its exception's name when the message names the file
    (``VideoError: a.mp4: ...`` -> ``a.mp4: ...``); a message that does not keeps it."""
    name, _, rest = message.partition(": ")
    return rest if name.isidentifier() and str(path) in rest else message


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
@_exercise_option
@click.option("--annotations", "-a", default="labels.csv", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Annotation CSV to fill.")
@click.option("--label", "label_all", help="Give every rep of the files this label, no questions.")
@click.option("--classes", metavar="NAMES",
              help="The classes to offer, comma-separated, in key order (e.g. "
                   "correct,knees-in,heels-up); one the exercise lacks is added to it, in the "
                   "user exercise file.")
@click.option("--suggest", metavar="MODEL|standards",
              help="Show each rep's most probable class and its probability by a model file, or "
                   "by the exercise's fault standards ('standards'); the key a accepts it.")
@click.option("--order", type=click.Choice(["file", "uncertain"]), default="file",
              show_default=True,
              help="uncertain: ask first about the reps the --suggest model is least sure of.")
@click.option("--whole-files", is_flag=True,
              help="Offer a file in which no rep was found as one rep, from its first frame to "
                   "its last.")
@click.option("--summary", is_flag=True,
              help="Print the reps of the annotation CSV per class and per file, and what "
                   "training would lack; FILES are not needed.")
@click.option("--play", is_flag=True,
              help="Play each rep, skeleton drawn, in a window; press the key there.")
def label(files, exercise, annotations, label_all, classes, suggest, order, whole_files, summary,
          play):
    """Label the reps of videos or keypoint files, one key press per rep.

    Every answer is saved at once (atomically) to the annotation CSV; run the
    command again to resume where you stopped. Keys: 1-9 the classes, a accept
    the suggestion, [ ] move the rep's start and < > its end by 0.1 s, s skip,
    u undo, q quit. Without a terminal the keys are read from stdin. With
    --play each rep loops in a window until you press a key there (needs a
    screen). A file with no rep gets one line saying why (with --whole-files it
    is then offered as one rep). The CSV records for each answer whether it was
    typed, accepted from a suggestion or given by --label.

    \b
    Example:
      formcheck exercise add-fault squat heels-up "Heels leave the floor"
      formcheck label set*.mp4 -e squat --classes correct,not-low,heels-up --suggest standards
      formcheck label set*.mp4 -e squat --suggest squat.fcm --order uncertain --play
      formcheck label good/*.mp4 --exercise squat --label correct
      formcheck label --summary -a labels.csv -e squat
    """
    from .apps.labelling import AnnotationStore, LabelSession, file_name
    from .features.exercises import get_exercise
    from .pose import load_pose

    if summary:
        _label_summary(annotations, exercise)
        return
    if not files:
        raise click.UsageError("give the FILES to label (or --summary)")
    if exercise is None:
        raise click.UsageError("--exercise is required")
    if order == "uncertain" and not suggest:
        raise click.UsageError("--order uncertain needs --suggest MODEL or --suggest standards")
    exercise = get_exercise(exercise)
    offered = _offered_classes(exercise, classes) if classes else None
    exercise = get_exercise(exercise.name)        # with the classes just added
    model = _suggestion_model(suggest, exercise) if suggest else None
    poses = {path: load_pose(path) for path in files}
    reps = _reps_offered(poses, exercise, annotations, whole_files, model)
    if order == "uncertain":
        from .apps.suggestions import uncertain_first

        reps = uncertain_first(reps, [rep.suggestion for rep in reps])
    with AnnotationStore(annotations) as store:
        session = LabelSession(store, exercise, reps, classes=offered)
        if label_all:
            count = session.label_all(label_all)
            click.echo(f"{count} reps labelled {label_all!r} in {annotations}")
            return
        ask = _ask_key if sys.stdin is not None and sys.stdin.isatty() else _read_keys
        if not play:
            session.run(ask=ask, say=click.echo)
            return
        from .apps.preview import RepPlayer

        sources = {file_name(path, annotations.parent): (path, pose)
                   for path, pose in poses.items()}
        player = RepPlayer(sources, session.legend())
        try:
            session.run(ask=ask, say=click.echo, play=player)
        finally:
            player.close()


def _reps_offered(poses, exercise, annotations, whole_files, model) -> list:
    """The reps of every recording, with the model's suggestions; a line for each with none."""
    from .apps.labelling import reps_to_label

    reps = []
    for path, pose in poses.items():
        found = reps_to_label(path, pose, exercise, annotations.parent, whole=whole_files)
        if found and found[0].whole:
            click.echo(f"{path}: no rep: {found[0].whole}; offered as one rep, the whole "
                       "recording")
        elif not found:
            click.echo(f"{_no_rep_line(path, pose, exercise)} (--whole-files offers it as one "
                       "rep)")
        if model is not None:
            from .apps.suggestions import suggest_labels

            found = [dataclasses.replace(rep, suggestion=guess)
                     for rep, guess in zip(found, suggest_labels(model, exercise, pose, found))]
        reps += found
    return reps


def _offered_classes(exercise, text) -> list:
    """The classes named in ``text`` (comma-separated); those the exercise lacks are added."""
    from .features.exercises import add_fault, user_exercise_file

    labels = []
    for name in filter(None, (item.strip() for item in text.split(","))):
        label = exercise.full_label(name)
        if label not in exercise.classes:
            exercise = add_fault(exercise, name, "")
            click.echo(f"added {label} to {exercise.name} ({user_exercise_file()}); describe it "
                       f"with: formcheck exercise add-fault {exercise.name} "
                       f"{label.split('/', 1)[1]} \"...\"")
        labels.append(label)
    return labels


def _suggestion_model(suggest, exercise):
    """The fitted model --suggest names: a model file, or the exercise's standards."""
    from .check import builtin_model
    from .classifiers import load_model

    if suggest == "standards":
        return builtin_model(exercise.name)
    if not Path(suggest).is_file():
        raise click.BadParameter(f"{suggest!r} is neither a model file nor 'standards'",
                                 param_hint="--suggest")
    fitted = load_model(suggest)
    _check_same_exercise(suggest, fitted, exercise.name)
    return fitted


def _label_summary(annotations, exercise):
    """Print the counts of an annotation CSV and what training on it would lack."""
    from .apps.labelling import read_annotations, summarise_annotations
    from .evaluation.validation import training_shortfalls
    from .features.exercises import get_exercise

    click.echo(summarise_annotations(annotations, get_exercise(exercise) if exercise else None))
    labelled = [row for row in read_annotations(annotations) if row["label"]]
    short = training_shortfalls([row["label"] for row in labelled],
                                [row["file"] for row in labelled])
    if short:
        click.echo("before training:\n" + "\n".join(f"  {line}" for line in short))


def _ask_key(prompt) -> str:
    """The keys pressed on the terminal (several when typed ahead)."""
    click.echo(prompt, nl=False)
    key = click.getchar()
    click.echo(key)
    return key


def _read_keys(prompt) -> str:
    """Without a terminal: the next line of stdin, every character a key ("" at its end)."""
    click.echo(prompt, nl=False)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    click.echo(line.strip())
    return line


@cli.command()
@click.argument("data", type=click.Path(exists=True, path_type=Path))
@_exercise_option
@click.option("--classifier", "-c", type=click.Choice(sorted(_CLASSIFIERS)), default="learned",
              show_default=True)
@click.option("--output", "-o", default="model.fcm", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
@click.option("--mirror/--no-mirror", default=True, show_default=True,
              help="Add left-right mirrored copies of every rep.")
@click.option("--time-scale/--no-time-scale", default=True, show_default=True,
              help="Add time-stretched (slower and faster) copies of every rep.")
@click.option("--calibrate/--no-calibrate", default=None,
              help="knn, learned: calibrate the probabilities on grouped folds of the reps "
                   "(default: on for knn, off for learned; what helped on real data, "
                   "docs/classifiers.md). standards: move the thresholds towards the reps' "
                   "best cuts (default: on).")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2),
              help="The grouped cross-validation folds the reps should allow (warnings only).")
def train(data, exercise, classifier, output, mirror, time_scale, calibrate, folds):
    """Train a classifier on labelled reps and save it.

    DATA is a labelled folder (root/<label>/<file>), an annotation CSV
    (file,start,end,label) or a saved RepDataset. A file of a folder with no
    rep gets one line saying why. With -c standards the exercise's fault
    standards are calibrated on the reps instead, and the thresholds that
    moved are listed. A class with fewer than 10 reps, or with reps from fewer
    recordings than --folds, gets a warning saying how many more to label.

    \b
    Example:
      formcheck train labels.csv --exercise squat -c knn -o squat.fcm
    """
    from .datasets.rep_dataset import TIME_SCALE
    from .evaluation.validation import training_shortfalls

    reps = _load_reps(data, exercise)
    short = training_shortfalls(reps.labels, reps.groups, n_splits=folds)
    if mirror or time_scale:
        reps = reps.augment(mirror=mirror, time_scale=TIME_SCALE if time_scale else None)
    calibrate = classifier != "learned" if calibrate is None else calibrate
    model = _make_classifier(classifier, reps.metadata.get("exercise"))
    model = model.set_params(calibrate=calibrate).fit(reps)
    model.save(output)
    click.echo(f"{_CLASSIFIERS[classifier]} trained on {len(reps)} reps "
               f"({reps.class_counts()}) -> {output}")
    if classifier == "standards":
        click.echo(model.calibration_report())
    for line in short:
        click.echo(f"formcheck: warning: {line}", err=True)


@cli.command()
@click.argument("data", type=click.Path(exists=True, path_type=Path))
@_exercise_option
@click.option("--classifier", "-c", type=click.Choice(sorted(_CLASSIFIERS)), default="learned",
              show_default=True)
@_model_option
@click.option("--folds", default=5, show_default=True, help="Grouped cross-validation folds.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the confusion matrix as a PNG.")
@click.option("--compare-channels", metavar="SETS",
              help="Ablation table of channel sets instead: 'name=a,b;c,d' (sets split by ';', "
                   "channels by ',').")
@click.option("--shuffles", default=3, show_default=True, type=click.IntRange(min=1),
              help="Shuffles of the folds for --compare-channels.")
def evaluate(data, exercise, classifier, model, folds, plot, compare_channels, shuffles):
    """Measure accuracy: grouped cross-validation, or a saved model on a test set.

    Reps of one video/subject never sit on both sides of a split. A file of a
    folder with no rep gets one line saying why. With --compare-channels, the
    same cross-validation on each channel set, best first (the best set's
    figures are optimistic: confirm it on videos it was not chosen on).

    \b
    Example:
      formcheck evaluate labels.csv --exercise squat -c knn --plot confusion.png
      formcheck evaluate test-labels.csv --exercise squat --model squat.fcm
      formcheck evaluate test-labels.csv --exercise squat --model builtin
      formcheck evaluate labels.csv -e push-up --compare-channels \\
          "arms=left_elbow,right_elbow;legs=left_elbow,right_elbow,left_knee,right_knee"
    """
    from .evaluation.validation import evaluate_model, grouped_cross_validation
    from .evaluation.plots import plot_confusion

    if compare_channels:
        _compare_channels(data, exercise, classifier, folds, compare_channels, shuffles)
        return
    reps = _load_reps(data, exercise)
    if model:
        result = evaluate_model(_model(model, exercise or reps.metadata.get("exercise")), reps)
    else:
        model = _make_classifier(classifier, reps.metadata.get("exercise"))
        result = grouped_cross_validation(model, reps, n_splits=folds, progress=True)
    click.echo(result.report())
    if plot:
        plot_confusion(result, plot)
        click.echo(f"confusion matrix -> {plot}")


def _compare_channels(data, exercise, classifier, folds, text, shuffles):
    """Print the ablation table of the channel sets in ``text``."""
    from ._archive import is_archive
    from .evaluation.channels import ablation_table, compare_channel_sets, parse_channel_sets
    from .features.channels import CHANNELS
    from .datasets.rep_dataset import RepDataset

    if is_archive(data):
        reps = RepDataset.load(data)
        sets = parse_channel_sets(text, reps.channels)
    else:
        sets = parse_channel_sets(text, list(CHANNELS))
        union = [c for c in CHANNELS if any(c in chans for chans in sets.values())]
        reps = _load_reps(data, exercise, channels=union)
    model = _make_classifier(classifier, reps.metadata.get("exercise"))
    scores = compare_channel_sets(model, reps, sets, n_splits=folds, seeds=range(shuffles),
                                  progress=True)
    click.echo(f"{_CLASSIFIERS[classifier]}, {folds}-fold grouped cross-validation over "
               f"{shuffles} shuffles, {len(reps)} reps:")
    click.echo(ablation_table(scores))


@cli.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@_model_option
@_exercise_option
@_roi_option
@_parallel_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--fps", type=click.FloatRange(0.001, 10000),
              help="Frame rate of keypoint files, over any they store (with neither, 30 fps "
                   "is assumed, with a warning); a video is resampled to it.")
def predict(source, model, exercise, roi, jobs, backend, scheduler, as_json, fps):
    """Give a verdict on every rep of a video or keypoint file, or of every file in a folder.

    Without --model, --exercise judges every rep by the exercise's fault
    standards (squat: depth, forward lean, knees in; pull-up: chin over the
    bar, dead hang; push-up: body line, depth), no training needed. --model
    builtin-learned uses a classifier trained on synthetic reps instead. With
    no rep, one line says why (on stderr with --json), e.g. that the person
    followed is not doing the exercise: then --roi picks the one who is.

    A folder's files are checked --jobs at a time, on this machine or on a
    Dask cluster (--scheduler); a folder holding only .json files is one
    OpenPose recording. Files that fail are listed on stderr (exit code 2);
    the others are still checked.

    \b
    Example:
      formcheck predict set.mp4 --model squat.fcm
      formcheck predict set.mp4 --exercise squat --json
      formcheck predict set.mp4 --exercise squat --model builtin-learned
      formcheck predict gym.mp4 --exercise squat --roi 640,0,640,720
      formcheck predict sets/ --model squat.fcm --jobs 2
      formcheck predict sets/ --model squat.fcm --scheduler tcp://10.0.0.5:8786
    """
    checker = _checker(model, exercise)
    recordings = _recordings(source)
    if recordings is None:
        _predict_one(checker, source, roi, as_json, fps)
        return
    with _parallel_backend(jobs, backend, scheduler) as (n_jobs, joblib_backend):
        result = checker.check_many(recordings, n_jobs=n_jobs, backend=joblib_backend,
                                    progress=True, roi=roi, fps=fps)
    for path, reason in result.no_rep.items():
        click.echo(f"{path}: no rep: {reason}", err=as_json)
    if as_json:
        click.echo(json.dumps({path: [v.to_dict() for v in verdicts]
                               for path, verdicts in result.verdicts.items()}, indent=2))
    else:
        for path, verdicts in result.verdicts.items():
            for v in verdicts:
                click.echo(f"{path}  {_verdict_line(v)}")
    _exit_if_failed(result.failed)


def _recordings(source):
    """The files of a folder to check one by one; None for one recording (a file, an OpenPose folder)."""
    if not source.is_dir():
        return None
    files = sorted(path for path in source.iterdir()
                   if path.is_file() and not path.name.startswith("."))
    if not files or all(path.suffix.lower() == ".json" for path in files):
        return None
    return files


def _predict_one(checker, source, roi, as_json, fps):
    from .pose import load_pose

    pose = load_pose(source, roi=roi, fps=fps)
    verdicts = checker.check_pose(pose)
    if not verdicts:
        click.echo(f"{source}: no rep: {checker.no_rep_reason(pose)}", err=as_json)
    if as_json:
        click.echo(json.dumps([v.to_dict() for v in verdicts], indent=2))
        return
    for v in verdicts:
        click.echo(_verdict_line(v))


def _verdict_line(v) -> str:
    feedback = f"  {v.feedback.message}" if v.feedback else (f"  ({v.reason})" if v.reason else "")
    return (f"rep {v.index + 1:2d}  {v.start_time:6.1f}-{v.end_time:6.1f} s  "
            f"{v.label:28s} {v.confidence:>4s}{feedback}")


@cli.command()
@click.argument("video", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path))
@_model_option
@_exercise_option
@_roi_option
def preview(video, output, model, exercise, roi):
    """Write a copy of VIDEO with the skeleton, a rep counter and each verdict drawn.

    Each rep's verdict and feedback stay on a panel at the top until the next
    rep starts; correct reps are green, faulty ones red, unknown ones grey, in
    the panel and on the limbs the verdict is about. .mp4 is H.264 when
    OpenCV's FFmpeg has it (else MPEG-4 Part 2, said so); .webm is VP9.

    \b
    Example:
      formcheck preview set.mp4 -o set-checked.mp4 --exercise squat
    """
    from .pose import extract_pose
    from .apps.preview import CODEC_NAMES, preview_codec, write_preview

    codec = preview_codec(output)
    checker = _checker(model, exercise)
    pose = extract_pose(video, roi=roi)
    verdicts = checker.check_pose(pose)
    if not verdicts:
        click.echo(f"{video}: no rep: {checker.no_rep_reason(pose)}")
    write_preview(video, pose, verdicts, output, exercise=checker.exercise, progress=True)
    note = "" if codec != "mp4v" else (
        ": this OpenCV has no H.264 encoder; desktop players read it, browsers and phones may "
        "not (write a .webm for VP9, or re-encode with ffmpeg -c:v libx264)")
    count = f"{len(verdicts)} rep{'' if len(verdicts) == 1 else 's'}"
    click.echo(f"{count} -> {output} ({CODEC_NAMES[codec]}{note})")


@cli.command()
@click.option("--camera", default="0", show_default=True,
              help="Camera index, or an IP camera's URL (rtsp://..., http://...).")
@_model_option
@_exercise_option
def live(camera, model, exercise):
    """Check reps live from a camera; a verdict is printed as each rep ends.

    Stop with Ctrl-C (or q in the window, when there is a screen).

    \b
    Example:
      formcheck live --camera 0 --exercise push-up
      formcheck live --camera rtsp://192.168.1.20:8554/live --model squat.fcm
    """
    from .apps.live import run_live

    run_live(_checker(model, exercise), camera, echo=click.echo)


@cli.command()
@click.argument("model", type=_ModelFile())
@_exercise_option
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .onnx file to write.")
@click.option("--layout", default="mediapipe33", show_default=True,
              help="Keypoint layout of the landmarks the app will feed.")
@click.option("--geometry", type=click.Choice(["2d", "3d"]),
              help="2d: angles from the image landmarks; 3d: from a world_landmarks input too "
                   "(MediaPipe's world landmarks). Default: the model's, else 2d.")
def export(model, exercise, output, layout, geometry):
    """Export a model to one ONNX file: a rep's landmarks in, probabilities out.

    MODEL is a model file from 'formcheck train', or 'builtin' with
    --exercise for the exercise's fault standards. The graph computes the
    joint angles, fills gaps, resamples and runs the network, or smooths the
    rep and measures every standard, so an app needs only a pose estimator
    and the rep cutting (docs/export.md). A DTW kNN does not export: its
    graph would have to hold every training rep. Needs the export extra.

    \b
    Examples:
      formcheck export squat.fcm -o squat.onnx
      formcheck export builtin --exercise squat -o squat-standards.onnx
    """
    fitted = _model(model, exercise)
    path = fitted.to_onnx(output, layout=layout, geometry=geometry)
    world = ", world_landmarks (T, J, 3)" if _graph_geometry(path) == "3d" else ""
    click.echo(f"{model} -> {path} ({path.stat().st_size / 1024:.0f} kB): landmarks "
               f"(T, J, 4) {layout}, image_size, fps{world} in; probabilities of "
               f"{', '.join(map(str, fitted.classes_))} out")


def _graph_geometry(path) -> str:
    import onnx  # the export extra, installed since the export just ran

    return {p.key: p.value for p in onnx.load(path).metadata_props}["geometry"]


@cli.command()
@click.argument("data", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--dataset", "dataset_name",
              help="Instead of DATA, a named set: pushfit, pose-trainer:<exercise>, "
                   "synthetic[:<exercise>] (the default).")
@_exercise_option
@click.option("--quick", is_flag=True, help="N up to 800, shorter timings, 3-point learning curve.")
@click.option("--sizes", type=_SizeList(),
              help="Training-set sizes to time, comma-separated (e.g. 50,200,3200).")
@click.option("--folds", type=int, help="Grouped cross-validation folds (default 5).")
@click.option("--output", "-o", default="formcheck-bench", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the results.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
def bench(data, dataset_name, exercise, quick, sizes, folds, output, seed):
    """Compare both classifiers on your reps: accuracy, latency against N, fit time, size.

    DATA is a labelled folder (root/<label>/<file>), an annotation CSV or a
    saved RepDataset; without it, synthetic reps. Both classifiers are
    cross-validated (grouped by video/subject) and timed against the
    training-set size N (sub-sampled, or grown with jittered copies beyond your
    data); bench.json, bench.md and PNG plots go to --output, and the command
    recommends one.

    \b
    Example:
      formcheck bench --dataset pushfit --output bench-pushfit
      formcheck bench my-reps.fcd --quick
      formcheck bench videos/ --exercise squat
    """
    from .evaluation.benchmark import (load_named_dataset, preset_settings, run_benchmark,
                                       write_report)

    if data and dataset_name:
        raise click.UsageError("give DATA or --dataset, not both")
    name = str(data) if data else dataset_name or "synthetic"
    reps = _load_reps(data, exercise) if data else load_named_dataset(name, exercise=exercise,
                                                                        seed=seed)
    report = run_benchmark(reps, name=name, seed=seed, progress=True,
                           **preset_settings(quick=quick, sizes=sizes, n_splits=folds))
    paths = write_report(report, output)
    click.echo(report.to_markdown())
    click.echo("Wrote " + ", ".join(str(path) for path in paths.values()))


@cli.group(cls=_FormcheckGroup)
def exercise():
    """List the exercises, add your own fault classes, or start an exercise from another.

    What you add is written to the user exercise file, exercises.json in
    formcheck's config directory (~/.config/formcheck on Linux;
    $FORMCHECK_CONFIG_DIR moves it), checked as the built-in definitions are,
    and used by every command from then on.

    \b
    Example:
      formcheck exercise add-fault squat knees-in "Knees cave inwards"
      formcheck exercise new goblet-squat --from squat
      formcheck exercise list squat
    """


@exercise.command("list")
@click.argument("name", required=False)
def exercise_list(name):
    """List the exercises and their classes; with NAME, each class with its description.

    \b
    Example:
      formcheck exercise list
      formcheck exercise list squat
    """
    from .features.exercises import BUILTIN_FILE, exercise_names, get_exercise, user_exercise_file

    if name is not None:
        click.echo(_exercise_details(get_exercise(name)))
        return
    names = {str(user_exercise_file()): "user file", str(BUILTIN_FILE): "built-in"}
    for known in exercise_names():
        ex = get_exercise(known)
        where = names.get(ex.source, ex.source)
        click.echo(f"{known} ({where}): {', '.join(ex.labels)}")
    click.echo(f"user exercise file: {user_exercise_file()}")


def _exercise_details(ex) -> str:
    """Every class of an exercise with its description and, for a fault, its standard."""
    lines = [f"{ex.name}: {ex.description}".rstrip(": "), f"  from {ex.source}"]
    for key, label in enumerate(ex.labels, start=1):
        tag = " (correct form)" if label == ex.correct else ""
        lines.append(f"  [{key}] {label}{tag}: {ex.classes[label] or '(no description)'}")
        standard = ex.standards.get(label)
        if standard is not None:
            lines.append(f"      standard: {standard.statistic} of {', '.join(standard.channels)} "
                         f"{standard.phase} {standard.comparison} {standard.threshold:g}")
    return "\n".join(lines)


@exercise.command("add-fault")
@click.argument("exercise_name", metavar="EXERCISE")
@click.argument("fault")
@click.argument("description")
@click.option("--standard", metavar="JSON",
              help='How the fault is measured, as in exercises.json, e.g. \'{"channel": '
                   '"trunk_inclination", "phase": "bottom", "statistic": "value", '
                   '"comparison": ">", "threshold": 30}\' (the sentence defaults to the '
                   'description).')
def exercise_add_fault(exercise_name, fault, description, standard):
    """Add the fault class FAULT, meaning DESCRIPTION, to EXERCISE (or describe it anew).

    The class can then be labelled (its key is shown), trained on and predicted.

    \b
    Example:
      formcheck exercise add-fault squat knees-in "Knees cave inwards"
      formcheck exercise add-fault squat trunk-forward "Trunk well forward at the bottom" \\
          --standard '{"channel": "trunk_inclination", "phase": "bottom",
                       "statistic": "value", "comparison": ">", "threshold": 30}'
    """
    from .features.exercises import add_fault, get_exercise, user_exercise_file

    known = get_exercise(exercise_name).labels
    ex = add_fault(exercise_name, fault, description, _json_object(standard, "--standard"))
    label = ex.full_label(fault.strip())
    done = "described {} in" if label in known else "added {} to"
    click.echo(f"{done.format(label)} {ex.name} ({user_exercise_file()}); key "
               f"{ex.labels.index(label) + 1} when labelling")


def _json_object(text, option):
    """The JSON object given to ``option``, or None."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON ({exc})", param_hint=option) from None
    if not isinstance(value, dict):
        raise click.BadParameter(f"expected a JSON object {{...}}, got {text!r}",
                                 param_hint=option)
    return value


@exercise.command("new")
@click.argument("name")
@click.option("--from", "base", required=True, help="The exercise to copy.")
def exercise_new(name, base):
    """Start the exercise NAME as a copy of another, its classes renamed NAME/....

    \b
    Example:
      formcheck exercise new goblet-squat --from squat
      formcheck exercise add-fault goblet-squat elbows-out "Elbows flare out"
    """
    from .features.exercises import derive_exercise, user_exercise_file

    ex = derive_exercise(name, base)
    click.echo(f"{ex.name} ({user_exercise_file()}): {', '.join(ex.labels)}")


def main(argv=None):
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="formcheck")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
