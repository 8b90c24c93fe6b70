"""FormChecker: from a video, keypoints or a live stream to a verdict per rep."""

from __future__ import annotations

import bisect
import copy
import dataclasses
import contextlib
import hashlib
import json
import math
import multiprocessing
import warnings
from collections import deque
from dataclasses import dataclass

import numpy as np

from ._files import cache_dir
from ._parallel import run_per_file
from ._progress import manual_bar
from ._version import __version__
from .classifiers import LearnedClassifier
from .classifiers.base import RepClassifier, load_model
from .classifiers.standards import StandardsClassifier
from .datasets.synthetic import SYNTHETIC_LABELS, make_dataset
from .errors import (ExerciseError, FormcheckError, InputError, MissingDataError, ModelFileError,
                     TooFewFramesError)
from .features.angles import AngleSeries, frame_values, joint_angles
from .features.channels import available_channels, mirror_name
from .features.exercises import exercise_names, get_exercise
from .features.filters import spread_of_sorted
from .feedback import Feedback, explain
from .pose import PoseSequence
from .pose.extract import extract_pose
from .pose.load import load_pose
from .pose.skeleton import get_layout
from .reps import cut_recording, no_rep_reason, segment_reps

__all__ = ["FormChecker", "RepVerdict", "CheckResult", "UNKNOWN", "builtin_model",
           "builtin_learned_model", "BUILTIN_MODELS"]

#: Label of a rep that is not the exercise at all, or unlike every rep a trained model knows.
UNKNOWN = "unknown"
#: Names that stand for a built-in model wherever a model file is asked for.
BUILTIN_MODELS = ("builtin", "builtin-learned")
#: A streamed rep is complete once its driving signal has stopped rising for this long.
_SETTLE_SECONDS = 0.25
#: A stream's window is cut again once its driving signal has risen by this share of the
#: exercise's ``min_prominence`` (segmentation asks for the whole of it, after smoothing).
_RISE_FRACTION = 0.5
#: Slack on the limits by which a window chooses how to measure its driving signal.
_CHOICE_SLACK = 0.1
#: Bumped whenever the synthetic data or the segmentation the built-in learned models are
#: trained on changes, so that cached models from before are not reused.
BUILTIN_RECIPE = 5  # 3: 3-D angles, relative rep durations; 4: Adam step 0.01; 5: the standards


def _settled(signal, rep, settle) -> bool:
    """Whether the signal after the rep's turning point peaked ``settle`` frames ago."""
    turning = rep.start + int(np.argmin(signal[rep.start:rep.end]))
    peak = turning + int(np.argmax(signal[turning:]))
    return peak + settle < len(signal)


class _DrivingWatch:
    """One way a driving signal of a stream can be measured, followed in constant time per frame.

    Each frame's value is the mean of the signal's sources measured in that
    frame alone: a source is a channel, or a channel and the twin that stands
    in where it is missing; a source missing in a frame keeps its last value
    (as gap filling holds it at the end of the window). The value is negated
    for an exercise whose reps are peaks, so that reps are dips. Since the
    last reported rep, the watch keeps the largest rise of the signal (its
    top frame: the frame a rep is settled from) and the largest rise of its
    centred moving average over ``width`` frames (the size of the movement,
    without the frame-to-frame noise).

    Parameters
    ----------
    sources : tuple of (str, str or None)
        A channel each, and the channel standing in for it (or None).
    sign : float
        1, or -1 for an exercise whose reps are peaks.
    min_rise : float
        Rise of the moving average from which :meth:`has_topped` can be true.
    width : int
        Frames of the moving average, odd.
    keep : int
        Frames of values kept (the checker's window).
    fallback : bool
        Whether it measures the exercise's fallback signal.
    """

    def __init__(self, sources, sign, min_rise, width, keep, fallback=False):
        self.sources = tuple(sources)
        self.fallback = fallback
        self.sign = sign
        self.min_rise = min_rise
        self.last = [np.nan] * len(self.sources)
        self.values = deque(maxlen=keep)
        self.ordered = []                   # the values, sorted
        self.recent = deque(maxlen=width)
        self.newest = -1                    # stream frame of values[-1]
        self.restart(0)

    @property
    def channels(self) -> set:
        """Every channel a frame's value needs."""
        return {c for pair in self.sources for c in pair if c is not None}

    @property
    def replaced(self) -> set:
        """The channels of the signal this way of measuring it does without (one side's)."""
        own = {c for c, _ in self.sources}
        return {mirror_name(c) for c in own} - own

    def spread(self) -> float:
        """5-95 percentile range of the values in the window (see :func:`driving_channels`).

        From the sorted copy of the window's values, as :func:`numpy.percentile` interpolates.
        """
        return spread_of_sorted(self.ordered) if self.values else 0.0

    def restart(self, since):
        """Forget the rises before stream frame ``since`` (where the last reported rep ended)."""
        first = max(0, since - (self.newest - len(self.values) + 1))
        values = np.array(self.values)[first:]
        self.top, self.rise, self.low = _largest_rise(values, self.newest - len(values) + 1)
        width = self.recent.maxlen
        average = (np.convolve(values, np.full(width, 1 / width), "valid")
                   if len(values) >= width else values[:0])
        _, self.average_rise, self.average_low = _largest_rise(average, 0)

    def add(self, values: dict, frame: int):
        """Take stream frame ``frame``'s channel values (see :func:`frame_values`)."""
        for i, (channel, stand_in) in enumerate(self.sources):
            value = float(values[channel][0])
            if math.isnan(value) and stand_in is not None:
                value = float(values[stand_in][0])
            if math.isfinite(value):
                self.last[i] = value
        value = sum(self.last) / len(self.last) * self.sign
        if math.isnan(value):
            return
        if len(self.values) == self.values.maxlen:
            del self.ordered[bisect.bisect_left(self.ordered, self.values[0])]
        bisect.insort(self.ordered, value)
        self.values.append(value)
        self.recent.append(value)
        self.newest = frame
        if value - self.low > self.rise:
            self.rise, self.top = value - self.low, frame
        self.low = min(self.low, value)
        if len(self.recent) == self.recent.maxlen:
            average = sum(self.recent) / len(self.recent)
            self.average_rise = max(self.average_rise, average - self.average_low)
            self.average_low = min(self.average_low, average)

    def has_topped(self, frame, wait) -> bool:
        """Whether the moving average rose by ``min_rise`` and the signal topped ``wait`` or
        more frames before ``frame``."""
        return self.average_rise >= self.min_rise and frame - self.top >= wait


class _Share:
    """The share of True among the last ``keep`` booleans appended, in constant time.

    Examples
    --------
    >>> share = _Share(2)
    >>> for missing in (True, False, False):
    ...     share.append(missing)
    >>> share.share()
    0.0
    """

    def __init__(self, keep):
        self.flags = deque(maxlen=keep)
        self.count = 0

    def append(self, flag: bool):
        if len(self.flags) == self.flags.maxlen:
            self.count -= self.flags[0]
        self.flags.append(flag)
        self.count += flag

    def share(self) -> float:
        return self.count / len(self.flags)


class _Window:
    """The last ``keep`` frames of a stream (and their world landmarks), in contiguous memory.

    Frames are written into a buffer of twice ``keep`` frames; when it is
    full the window is copied to its start, so that appending costs constant
    time on average and the window is always one slice (no copy to read it).

    Parameters
    ----------
    keep : int
        Frames kept.
    nobody : numpy.ndarray, shape (J, 4)
        A frame where nobody was found (its shape and dtype are the buffer's).

    Examples
    --------
    >>> window = _Window(2, np.zeros((1, 4), np.float32))
    >>> for k in range(5):
    ...     window.append(np.full((1, 4), k, np.float32), None)
    >>> window.offset, window.landmarks()[:, 0, 0].tolist(), window.world()
    (3, [3.0, 4.0], None)
    """

    def __init__(self, keep, nobody):
        self.keep = keep
        self.offset = 0                      # stream frame of the window's first frame
        self.end = 0                         # buffer position one past the newest frame
        self._landmarks = np.empty((2 * keep,) + nobody.shape, nobody.dtype)
        self._world = np.full((2 * keep,) + nobody.shape[:-1] + (3,), np.nan, np.float32)
        self._has_world = _Share(keep)
        self.pixels = _Share(keep)           # which frames' coordinates are in pixels

    def __len__(self):
        return min(self.end, self.keep)

    def append(self, landmarks, world, pixels=False):
        """Add the newest frame; ``world`` is None when it has no world landmarks, ``pixels``
        whether its coordinates are in pixels."""
        full = len(self) == self.keep
        if self.end == len(self._landmarks):
            self._landmarks[:self.keep - 1] = self._landmarks[self.end - self.keep + 1:]
            self._world[:self.keep - 1] = self._world[self.end - self.keep + 1:]
            self.end = self.keep - 1
        self._landmarks[self.end] = landmarks
        self._world[self.end] = np.nan if world is None else world
        self._has_world.append(world is not None)
        self.pixels.append(pixels)
        self.end += 1
        self.offset += full

    def landmarks(self) -> np.ndarray:
        """The window's frames ``(T, J, 4)``."""
        return self._landmarks[self.end - len(self):self.end]

    def world(self):
        """The window's world landmarks (NaN where a frame had none), or None when none has."""
        if not self._has_world.count:
            return None
        return self._world[self.end - len(self):self.end]


def _largest_rise(values, first_frame):
    """(frame of the top, size, lowest value) of the largest rise in ``values``."""
    if not len(values):
        return -1, 0.0, np.inf
    low = np.minimum.accumulate(values)
    rise = values - low
    best = int(np.argmax(rise))
    return first_frame + best, float(rise[best]), float(low[-1])


def _measurements(channels, computable) -> list:
    """The ways a window can measure the mean of ``channels``, as :class:`_DrivingWatch` sources.

    Depending on which joints its frames show, the window takes every
    channel as measured (short gaps bridged), a channel's twin where it is
    missing, or one side's channel for both.
    """
    twins = [mirror_name(c) if mirror_name(c) in computable and mirror_name(c) != c else None
             for c in channels]
    ways = [[(c, None) for c in channels], list(zip(channels, twins))]
    ways += [[(c, None)] for c in channels if mirror_name(c) in channels and mirror_name(c) != c]
    unique = []
    for way in ways:
        if way not in unique:
            unique.append(way)
    return unique


@dataclass(frozen=True)
class RepVerdict:
    """The verdict on one rep.

    Attributes
    ----------
    index : int
        Rep number in the set, from 0.
    start_frame, end_frame : int
        Frame range (end exclusive) in the checked sequence or stream.
    start_time, end_time : float
        The same in seconds.
    label : str
        Predicted class, or ``"unknown"``.
    probability : float
        The classifier's probability for ``label`` (for an unknown rep, for
        the class it would have chosen).
    fault : str or None
        The faulty class, None when the rep is correct or unknown.
    feedback : Feedback or None
        What to change, for a faulty rep.
    reason : str
        Why a rep is unknown ("low confidence", "not a squat rep"), or which
        standards could not be judged from this view.
    faults : tuple of str
        Every fault found, the most broken first (several when a rep breaks
        several standards).
    """
    index: int
    start_frame: int
    end_frame: int
    start_time: float
    end_time: float
    label: str
    probability: float
    fault: str | None = None
    feedback: Feedback | None = None
    reason: str = ""
    faults: tuple = ()

    @property
    def is_correct(self) -> bool:
        return self.fault is None and self.label != UNKNOWN

    @property
    def confidence(self) -> str:
        """``probability`` as people read it (``"83%"``); empty for an unknown rep.

        An unknown rep's probability belongs to a class it was not given (and
        a rep unlike every training rep can still score 100 %), so it is never shown.
        """
        return "" if self.label == UNKNOWN else f"{self.probability:.0%}"

    def to_dict(self) -> dict:
        """JSON-ready dictionary."""
        out = {k: getattr(self, k) for k in ("index", "start_frame", "end_frame", "start_time",
                                             "end_time", "label", "probability", "fault",
                                             "reason")}
        out["feedback"] = self.feedback.message if self.feedback else None
        out["faults"] = list(self.faults)
        return out


@dataclass
class CheckResult:
    """What :meth:`FormChecker.check_many` found in many recordings.

    Attributes
    ----------
    verdicts : dict of str to list of RepVerdict
        The verdicts of every recording that could be read, by path, in input
        order (an empty list for a recording without a complete rep).
    no_rep : dict of str to str
        Why a recording has no rep (:meth:`FormChecker.no_rep_reason`), by path.
    failed : dict of str to str
        Recordings that could not be checked and the error
        (``"VideoError: clip.mp4: ..."``, or ``"WorkerCrash: ..."`` when one
        killed the worker process checking it).

    Examples
    --------
    >>> result = CheckResult({"a.npz": []}, {"a.npz": "no movement"}, {"b.mp4": "VideoError: b"})
    >>> result
    CheckResult(1 checked, 0 reps, 1 failed)
    """
    verdicts: dict = dataclasses.field(default_factory=dict)
    no_rep: dict = dataclasses.field(default_factory=dict)
    failed: dict = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every recording could be checked."""
        return not self.failed

    def __repr__(self):
        reps = sum(len(v) for v in self.verdicts.values())
        return f"CheckResult({len(self.verdicts)} checked, {reps} reps, {len(self.failed)} failed)"


def _check_one(path, checker, load_options):
    """Worker of :meth:`FormChecker.check_many`: never raises for a bad file.

    In a worker process, whose stderr nobody reads, the file's warnings (e.g.
    a keypoint file without a frame rate) come back with its verdicts, as
    ``(category, message)`` pairs, for the caller to issue.
    """
    in_child = multiprocessing.parent_process() is not None
    with (warnings.catch_warnings(record=True) if in_child else contextlib.nullcontext([])) \
            as caught:
        if in_child:
            warnings.simplefilter("always")
        try:
            pose = load_pose(path, **load_options)
            verdicts = checker.check_pose(pose)
            reason = "" if verdicts else checker.no_rep_reason(pose)
        except Exception as exc:  # noqa: BLE001 - reported per file in CheckResult.failed
            return path, None, f"{type(exc).__name__}: {exc}"
    return path, (verdicts, reason, [(w.category, str(w.message)) for w in caught]), None


class FormChecker:
    """Check every rep of a set with a fitted classifier.

    The model remembers its exercise, channels and feature settings, so the
    checker needs nothing else.

    Parameters
    ----------
    model : RepClassifier or str or os.PathLike
        A fitted classifier or the path of a saved one.
    exercise : str, optional
        Needed only if the model does not record one; when it does, the same
        exercise (an :class:`~formcheck.errors.ExerciseError` otherwise).
    min_probability : float, optional
        A rep whose best class is less probable than this is ``"unknown"``;
        default the model's ``default_min_probability`` (0.5 for classifiers
        trained on reps, 0 for the standards, whose verdict on a rep at the
        limit is still a verdict).
    detect_novel : bool
        Also call a rep ``"unknown"`` when its novelty score is above the
        model's ``novelty_threshold_``: unlike every training rep, or for the
        standards not moving like the exercise at all.
    fps : float
        Frame rate of the stream fed to :meth:`update`.
    layout : str
        Keypoint layout of the stream fed to :meth:`update`.
    image_size : tuple (width, height), optional
        Camera frame size of the stream, so angles from normalised landmarks
        are corrected for the pixel aspect ratio (as for videos).

    Examples
    --------
    >>> from formcheck import FormChecker, LearnedClassifier
    >>> from formcheck.datasets.synthetic import make_dataset, make_set
    >>> model = LearnedClassifier().fit(make_dataset("push-up", n_subjects=4))
    >>> checker = FormChecker(model)
    >>> verdicts = checker.check_pose(make_set("push-up", n_reps=2, seed=5))
    >>> len(verdicts)
    2
    """

    def __init__(self, model, *, exercise=None, min_probability=None, detect_novel=True, fps=30.0,
                 layout="mediapipe33", image_size=None):
        if not isinstance(model, RepClassifier):
            model = load_model(model)
        model._check_fitted()
        self.model = model
        name = exercise or model.exercise_
        if name is None:
            raise ExerciseError("the model records no exercise; pass exercise=...")
        self.exercise = get_exercise(name)
        if model.exercise_ not in (None, self.exercise.name):
            raise ExerciseError(f"the model was trained on {model.exercise_!r} reps, not "
                                f"{self.exercise.name!r}; leave exercise= out to use its own")
        self.min_probability = (model.default_min_probability if min_probability is None
                                else min_probability)
        self.detect_novel = detect_novel
        self.fps = fps
        self.layout = layout
        self.image_size = image_size
        self.reset()
        self._warm_up()

    # -- whole recordings ---------------------------------------------------------------
    def check_video(self, path, **extract_options) -> list:
        """Extract the pose from a video (needs the ``video`` extra) and check every rep.

        ``extract_options`` go to :func:`~formcheck.pose.extract_pose`; with
        ``roi=(x, y, width, height)`` only the person in that region of the
        frame is followed, when others are in the picture.
        """
        return self.check_pose(extract_pose(path, **extract_options))

    def check_file(self, path, *, fps=None, layout=None) -> list:
        """Check a video or a keypoint file (see :func:`formcheck.pose.load_pose`)."""
        return self.check_pose(load_pose(path, fps=fps, layout=layout))

    def check_many(self, paths, *, n_jobs=1, backend=None, progress=False, fps=None,
                   layout=None, roi=None) -> CheckResult:
        """Check many videos or keypoint files, in parallel, without stopping at a bad one.

        Each file is read with :func:`~formcheck.pose.load_pose` and checked
        with :meth:`check_pose` in a joblib worker
        (:func:`formcheck._parallel.run_per_file`): local processes, or a Dask
        cluster with ``backend="dask"``. The verdicts are those of checking
        the files one by one.

        Parameters
        ----------
        paths : iterable of str or os.PathLike
            Videos or keypoint files; duplicates are checked once.
        n_jobs : int
            Parallel workers (joblib semantics: -1 = all cores, or all cores
            of the Dask cluster).
        backend : str or joblib backend, optional
            ``"loky"``, ``"threading"``, ``"dask"`` (the cluster of the current
            ``distributed.Client``; the ``dask`` extra) ...; None uses joblib's
            default or an enclosing ``joblib.parallel_config``.
        progress : bool
            A progress bar over files (on a terminal).
        fps, layout, roi
            As for :func:`~formcheck.pose.load_pose`, for every file.

        Returns
        -------
        CheckResult
            Verdicts by path, why a file had no rep, and the files that failed.

        Notes
        -----
        A file that kills its worker (a crash in MediaPipe or FFmpeg, the
        memory limit) is found by running the unfinished files one at a
        time, and reported as ``"WorkerCrash: ..."``; a Dask cluster first
        retries it on other workers. The others are still checked.

        Examples
        --------
        >>> result = checker.check_many(["a.mp4", "b.npz"], n_jobs=2)  # doctest: +SKIP
        >>> from distributed import Client                              # doctest: +SKIP
        >>> with Client("tcp://scheduler:8786"):                        # doctest: +SKIP
        ...     result = checker.check_many(paths, n_jobs=-1, backend="dask")
        """
        paths = list(dict.fromkeys(str(p) for p in paths))
        load_options = {"fps": fps, "layout": layout, "roi": roi}
        worker_checker = copy.copy(self)
        worker_checker.reset()  # the workers need no stream fed to update()
        with manual_bar(progress, total=len(paths), unit="file", desc="checks") as bar:
            outcomes = run_per_file(_check_one, paths, (worker_checker, load_options),
                                    n_jobs=n_jobs, backend=backend, bar=bar, doing="checking")
        result = CheckResult()
        for path in paths:
            checked, error = outcomes[path]
            if error is not None:
                result.failed[path] = error
                continue
            result.verdicts[path], reason, warned = checked
            for category, message in warned:
                warnings.warn(message, category, stacklevel=2)
            if reason:
                result.no_rep[path] = reason
        return result

    def check_pose(self, pose: PoseSequence) -> list:
        """Cut a pose sequence into reps and give a verdict on each.

        Returns
        -------
        list of RepVerdict
            Empty when the sequence holds no complete rep.
        """
        _, reps = self.cut_recording(pose)
        return [self._verdict(rep, rep.start, rep.end) for rep in reps]

    def cut_recording(self, pose: PoseSequence):
        """The recording's joint angles and reps, computed as the model's training reps were.

        :func:`~formcheck.reps.cut_recording` with the model's feature settings
        and channels, plus any channel the exercise segments on that the model
        lacks.

        Returns
        -------
        angles : AngleSeries
        reps : list of Rep
        """
        return cut_recording(pose, self.exercise, channels=self._channels(pose),
                             **self.model.feature_settings_)

    def no_rep_reason(self, pose: PoseSequence) -> str:
        """Why :meth:`check_pose` finds no rep in ``pose``; ``""`` when it finds some.

        A long recording in which the tracked person never moves like the
        exercise gets a sentence starting with
        :data:`~formcheck.reps.NOT_PERFORMING`: no verdict is given on someone
        who is not doing it (a bystander; see ``roi`` in :meth:`check_video`).
        See :func:`~formcheck.reps.no_rep_reason`.
        """
        return no_rep_reason(self.cut_recording(pose)[0], self.exercise, pose=pose)

    # -- streaming -------------------------------------------------------------------------
    def reset(self):
        """Forget the stream fed to :meth:`update`."""
        nobody = np.full((1, get_layout(self.layout).n_joints, 4), np.nan, np.float32)
        self._nobody = PoseSequence.from_array(  # also checks fps, layout and image_size
            nobody, fps=self.fps, layout=self.layout, image_size=self.image_size)
        self._frames = _Window(self._window_frames(), self._nobody.landmarks[0])
        self._emitted_until = 0
        self._count = 0
        self._watches = self._driving_watches()
        channels = sorted(set().union(*(watch.channels for watch in self._watches)))
        self._missing = {c: _Share(self._window_frames()) for c in channels}  # per channel

    @property
    def _offset(self) -> int:
        """Stream frame of the window's first frame."""
        return self._frames.offset

    def update(self, frame_landmarks, world_landmarks=None):
        """Feed one frame of a live stream; return a verdict when a rep has just ended.

        The verdicts are those of cutting the checker's window (the last
        ``2 * exercise.max_duration`` seconds) into reps after every frame and
        reporting each rep once its driving signal has stopped rising for a
        quarter of a second; but the window is cut only on frames where that
        can report a rep. What is incremental, in constant time per frame:
        each frame is validated and measured once (one one-frame
        :class:`PoseSequence`), its driving signals (the exercise's driving
        channels, and its fallback ones) are measured in that frame alone, and
        their largest rise since the last reported rep is kept with the frame
        it topped at, beside a sorted copy of the window's values (for their
        spread). The window's joint angles and reps are computed again only
        while such a rise of at least half the exercise's ``min_prominence``
        has not risen further for the settling time (less a frame): the frames
        on which a rep can be reported. On the other frames nothing is
        recomputed, and memory stays the same however long the stream runs.
        Frame numbers and times are the stream's, also for a model whose
        angles are resampled (``target_fps``).

        Parameters
        ----------
        frame_landmarks : array_like, shape (J, 2|3|4), or None
            One frame's keypoints in the checker's ``layout`` (NaN rows when
            no person was found). None, a frame of another shape, or one
            holding infinite or non-numeric values counts as a frame where
            nobody was found, and the stream goes on.
        world_landmarks : array_like, shape (J, 3), optional
            The frame's 3-D landmarks (MediaPipe's world landmarks), needed
            by a model trained on 3-D angles. Missing for the frame when not
            of that shape or holding infinite or non-numeric values.

        Returns
        -------
        RepVerdict or None
        """
        pose = self._stream_pose(frame_landmarks, world_landmarks)
        self._frames.append(pose.landmarks[0], None if pose.world_landmarks is None
                            else pose.world_landmarks[0], pose.units == "pixels")
        frame = self._offset + len(self._frames) - 1
        self._watch(pose, frame)
        if len(self._frames) < int(self.exercise.min_duration * self.fps) \
                or not self._may_have_ended(frame):
            return None
        return self._next_finished_rep()

    def finish(self) -> list:
        """At the end of a stream: verdicts on its complete reps not reported yet.

        :meth:`update` reports a rep a quarter of a second after the person is
        back at rest, so a stream that stops right after its last rep leaves
        that rep unreported until this is called. The stream is kept: feeding
        more frames continues it.

        Returns
        -------
        list of RepVerdict
        """
        verdicts = []
        while len(self._frames) >= 3:
            verdict = self._next_finished_rep(settle_seconds=0.0)
            if verdict is None:
                break
            verdicts.append(verdict)
        return verdicts

    def _stream_pose(self, frame_landmarks, world_landmarks) -> PoseSequence:
        """One streamed frame as a one-frame pose; nobody (no world landmarks) when not valid."""
        if frame_landmarks is None:
            return self._nobody
        world = self._stream_world_frame(world_landmarks)
        try:
            return PoseSequence.from_array(
                np.asarray(frame_landmarks)[np.newaxis], fps=self.fps, layout=self.layout,
                image_size=self.image_size, world_landmarks=None if world is None
                else world[np.newaxis])
        except (InputError, TypeError, ValueError):
            return self._nobody

    def _stream_world_frame(self, world_landmarks):
        """One streamed frame's world landmarks ``(J, 3)``; None when missing or not valid."""
        if world_landmarks is None:
            return None
        try:
            world = np.asarray(world_landmarks)
        except ValueError:          # a ragged list
            return None
        if (world.dtype.kind not in "biuf" or world.shape != self._nobody.landmarks[0, :, :3].shape
                or np.isinf(world).any()):
            return None
        return world.astype(np.float32)

    def _next_finished_rep(self, settle_seconds=_SETTLE_SECONDS):
        """The verdict on the window's first rep that is new and settled, or None.

        The window is cut on the channels that drive segmentation alone (each
        channel's angles are computed independently of the others, so its
        reps are those of the whole cut), and without the exercise's posture;
        the model's channels and the posture are computed only when such
        reps are found. A rep the posture refuses is passed over, as the
        offline cut leaves it out.
        """
        pose = self._window_pose()
        found = self._finished_reps(pose, settle_seconds)
        if not found:
            return None
        try:
            _, reps = self.cut_recording(pose)
        except (MissingDataError, TooFewFramesError):
            return None  # a model channel not visible enough yet
        cut = {(rep.start, rep.end): rep for rep in reps}
        for driving_rep, start, end in found:
            if start < self._emitted_until:
                continue
            self._emitted_until = end
            for watch in self._watches:
                watch.restart(end)
            rep = cut.get((driving_rep.start, driving_rep.end))
            if rep is not None:     # else not in the exercise's posture: no rep
                verdict = self._verdict(rep, start, end, index=self._count, fps=self.fps)
                self._count += 1
                return verdict
        return None

    def _window_pose(self) -> PoseSequence:
        """The window's frames as a pose, as :meth:`PoseSequence.from_array` would make it.

        Every frame was validated when it came, so only the units are left
        to guess, from the frames': pixels when any of them is in pixels.
        """
        world, nobody = self._frames.world(), self._nobody
        return PoseSequence(self._frames.landmarks().copy(), nobody.fps, nobody.layout,
                            nobody.image_size, "pixels" if self._frames.pixels.count
                            else "normalized", world_landmarks=None if world is None
                            else world.copy())

    def _finished_reps(self, pose, settle_seconds) -> list:
        """(rep, first stream frame, end stream frame) of each new settled rep, in order,
        cut on the driving channels alone."""
        channels = self._channels(pose)
        driving = [c for c in channels if c in (*self.exercise.driving_channels,
                                                  *self.exercise.fallback_channels)]
        try:
            angles = joint_angles(pose, self.exercise, channels=driving,
                                  **self.model.feature_settings_)
            reps = segment_reps(angles, self.exercise)      # the posture only once one is found
        except (MissingDataError, TooFewFramesError):
            return []  # nobody visible enough yet
        if not reps:
            return []
        signal = np.asarray(angles.select(reps[0].driving)).mean(axis=1)   # what they were cut on
        if self.exercise.phase == "max":
            signal = -signal
        settle = int(settle_seconds * angles.fps)
        scale = self.fps / angles.fps       # the window's frames from its (resampled) angles'
        found = []
        for rep in reps:
            start = self._offset + int(round(rep.start * scale))
            end = self._offset + int(round(rep.end * scale))
            if start >= self._emitted_until and _settled(signal, rep, settle):
                found.append((rep, start, end))
        return found

    def _window_frames(self) -> int:
        """Frames the stream's window keeps."""
        return int(2 * self.exercise.max_duration * self.fps)

    def _driving_watches(self) -> list:
        """A :class:`_DrivingWatch` per way of measuring each signal that can drive the
        stream's segmentation (the exercise's driving channels, and its fallback ones)."""
        exercise = self.exercise
        computable = available_channels(self.layout)
        candidates = [(exercise.driving_channels, exercise.min_prominence)]
        if exercise.fallback_channels and all(c in computable for c in exercise.fallback_channels):
            candidates.append((exercise.fallback_channels, exercise.fallback_min_prominence))
        sign = -1.0 if exercise.phase == "max" else 1.0
        width = int(round(_SETTLE_SECONDS * self.fps)) | 1
        return [_DrivingWatch(sources, sign, _RISE_FRACTION * prominence, width,
                              self._window_frames(), fallback=k > 0)
                for k, (channels, prominence) in enumerate(candidates)
                for sources in _measurements(channels, computable)]

    def _watch(self, pose, frame):
        """Measure the newest frame's driving signals and give them to the watches."""
        settings = self.model.feature_settings_
        try:
            values = frame_values(pose, list(self._missing),
                                  geometry=settings.get("geometry", "auto"),
                                  heights=settings.get("heights", "side-image"),
                                  min_visibility=settings.get("min_visibility", 0.1))
        except FormcheckError:
            values = {c: np.full(1, np.nan) for c in self._missing}
        for channel, missing in self._missing.items():
            missing.append(bool(np.isnan(values[channel][0])))
        for watch in self._watches:
            watch.add(values, frame)

    def _may_have_ended(self, frame) -> bool:
        """Whether cutting the window now can report a rep (see :meth:`update`).

        A rep is reported once its driving signal has not risen for
        ``settle`` frames. The watches see that signal, frame by frame, when
        the model's angles are neither smoothed nor resampled (they wait three
        frames less: slack for the window's choice of side, and for a top on a
        plateau, where one frame's values and the window's differ by
        thousandths of a degree and their tops by up to two frames, found by
        the property test); otherwise any rise that has stopped counts. Only
        the ways of measuring it the window can take count: one side for both
        only when the other side misses nearly ``max_missing`` of the window,
        the fallback signal only when the driving one moves little over the
        window.
        """
        settings = self.model.feature_settings_
        exact = not settings.get("smooth") and not settings.get("target_fps")
        wait = max(0, int(_SETTLE_SECONDS * self.fps) - 3) if exact else 0
        topped = [watch for watch in self._watches if watch.has_topped(frame, wait)]
        return any(self._can_drive(watch) for watch in topped)

    def _can_drive(self, watch) -> bool:
        """Whether the window can measure its driving signal as ``watch`` does (with slack)."""
        max_missing = self.model.feature_settings_.get("max_missing", 0.5)
        if any(self._missing[c].share() < max_missing - _CHOICE_SLACK for c in watch.replaced):
            return False
        if watch.fallback:
            spread = min(w.spread() for w in self._watches if not w.fallback)
            return spread < (1 + _CHOICE_SLACK) * self.exercise.min_prominence
        return True

    # -- internals -------------------------------------------------------------------------
    def _channels(self, pose) -> list:
        """The model's channels, plus any the exercise segments on that the model lacks."""
        if not self.model.channels_:
            raise InputError("the model records no channel names; fit it on a RepDataset or "
                             "AngleSeries so a checker knows which angles to compute")
        channels = list(self.model.channels_)
        computable = available_channels(pose.layout)
        return channels + [c for c in (*self.exercise.driving_channels,
                                       *self.exercise.fallback_channels)
                           if c not in channels and c in computable]

    def _verdict(self, rep, start, end, index=None, fps=None) -> RepVerdict:
        """The verdict on ``rep``, frames ``start:end`` at ``fps`` (default: the rep's)."""
        angles = rep.angles.select(self.model.channels_)
        proba, novelty = self.model.predict_proba_and_novelty([angles])
        best = int(np.argmax(proba[0]))
        label, probability = str(self.model.classes_[best]), float(proba[0, best])
        reason = self._unknown_reason(probability, float(novelty[0]))
        fault = feedback = None
        if reason:
            label = UNKNOWN
        elif label != self.exercise.correct:
            fault = label
            if self.exercise.correct in self.model.classes_:
                feedback = explain(self.model, angles, self.exercise, fault=label)
        if not reason and isinstance(self.model, StandardsClassifier):
            judgements = self.model.judge([angles])[0]
            reason = _unjudged(judgements)
            if judgements and all(not np.isfinite(j.score) for j in judgements):
                label, fault, feedback = UNKNOWN, None, None   # nothing measured: no verdict
                reason = (f"no standard of {self.exercise.name} can be judged from this view "
                          f"({', '.join(j.fault for j in judgements)})")
        fps = fps or rep.angles.fps
        start, end = int(start), int(end)
        return RepVerdict(int(rep.index if index is None else index), start, end, start / fps,
                          end / fps, label, probability, fault, feedback, reason,
                          feedback.faults if feedback else ())

    def _warm_up(self):
        """Give a verdict on a made-up rep once, so that a stream's first verdict does not wait.

        A model's first prediction and feedback load the DTW kernels from
        numba's cache (tens of milliseconds, more under load) or compile them
        (seconds); done here, that happens when the checker is made, not
        mid-stream.
        """
        channels = list(self.model.channels_)
        if not channels:
            return          # a check says why (see _channels)
        fps = self.model.feature_settings_.get("target_fps") or self.fps
        frames = max(3, int(round(self.exercise.min_duration * fps)))
        dip = 90.0 + 10.0 * np.cos(np.linspace(0.0, 2 * np.pi, frames))
        rep = AngleSeries(np.repeat(dip[:, None], len(channels), axis=1), channels, fps)
        faults = [c for c in self.model.classes_ if c != self.exercise.correct]
        try:
            with np.errstate(all="ignore"):
                self.model.predict_proba_and_novelty([rep])
                if faults and self.exercise.correct in self.model.classes_:
                    explain(self.model, rep, self.exercise, fault=faults[0])
        except FormcheckError:
            pass            # a model refusing the made-up rep warms up on its first real one

    def _unknown_reason(self, probability, novelty) -> str:
        if probability < self.min_probability:
            return f"low confidence ({probability:.0%} < {self.min_probability:.0%})"
        if self.detect_novel and novelty > self.model.novelty_threshold_:
            return self.model.novelty_reason(novelty)
        return ""


def _unjudged(judgements) -> str:
    """Which standards did not apply to a rep (e.g. from a side view, knees-in)."""
    skipped = [j.fault for j in judgements if not np.isfinite(j.score)]
    return f"not judged from this view: {', '.join(skipped)}" if skipped else ""


def builtin_model(exercise) -> RepClassifier:
    """The exercise's fault standards as a classifier: no training, no data, no download.

    A :class:`~formcheck.classifiers.standards.StandardsClassifier` that
    judges every rep by the standards in the exercise definition (see
    ``formcheck/features/exercises.json``); ``"unknown"`` is left for a rep
    that does not move like the exercise at all.

    Raises
    ------
    ExerciseError
        The exercise defines no fault standards.
    """
    definition = get_exercise(exercise)
    if not definition.standards:
        with_standards = [name for name in exercise_names() if get_exercise(name).standards]
        raise ExerciseError(
            f"no built-in model for {definition.name!r}: it defines no fault standards "
            f"(exercises with standards: {', '.join(with_standards)}). Add 'standards' to its "
            "definition, or train a model with 'formcheck train'.")
    return StandardsClassifier(definition.name).fit()


def builtin_learned_model(exercise, *, progress=False) -> RepClassifier:
    """A learned classifier for ``exercise`` trained on synthetic reps, cached after first use.

    It knows only the faults the synthetic body model performs (squat:
    not-low; pull-up: chin-below-bar; push-up: upper-body-first) and has
    never seen a real video, so real reps unlike its training set come back
    ``"unknown"``; :func:`builtin_model` (the standards) needs no training.
    The model file lives in ``formcheck``'s cache directory
    (``$FORMCHECK_CACHE_DIR/models``), keyed by the formcheck version, the
    exercise definition and :data:`BUILTIN_RECIPE`, so a changed definition
    or training recipe trains a new one.

    Raises
    ------
    ExerciseError
        The synthetic body model does not perform this exercise.
    """
    definition = get_exercise(exercise)
    name = definition.name
    if name not in SYNTHETIC_LABELS:
        raise ExerciseError(f"no built-in learned model for {name!r}; they exist for "
                            f"{', '.join(SYNTHETIC_LABELS)}. Train one with 'formcheck train'.")
    recipe = json.dumps([BUILTIN_RECIPE, dataclasses.asdict(definition)], sort_keys=True)
    digest = hashlib.sha256(recipe.encode()).hexdigest()[:12]
    path = cache_dir("models") / f"{name}-synthetic-{__version__}-{digest}.fcm"
    if path.exists():
        try:
            return load_model(path)
        except ModelFileError:
            path.unlink()  # a corrupt cache entry is rebuilt, not trusted
    model = LearnedClassifier().fit(make_dataset(name, n_subjects=16, seed=0, progress=progress))
    model.save(path)
    return model
