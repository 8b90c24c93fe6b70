"""FormChecker: from a video, keypoints or a live stream to a verdict per rep."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

import numpy as np

from ._files import cache_dir
from ._version import __version__
from .classifiers import LearnedClassifier
from .classifiers.base import RepClassifier, load_model
from .classifiers.standards import StandardsClassifier
from .datasets.synthetic import SYNTHETIC_LABELS, make_dataset
from .errors import ExerciseError, InputError, MissingDataError, ModelFileError, TooFewFramesError
from .features.channels import available_channels
from .features.exercises import exercise_names, get_exercise
from .feedback import Feedback, explain
from .pose import PoseSequence
from .pose.extract import extract_pose
from .pose.load import load_pose
from .pose.skeleton import get_layout
from .reps import cut_recording, no_rep_reason

__all__ = ["FormChecker", "RepVerdict", "UNKNOWN", "builtin_model", "builtin_learned_model",
           "BUILTIN_MODELS"]

#: Label of a rep that is not the exercise at all, or unlike every rep a trained model knows.
UNKNOWN = "unknown"
#: Names that stand for a built-in model wherever a model file is asked for.
BUILTIN_MODELS = ("builtin", "builtin-learned")
#: A streamed rep is complete once its driving signal has stopped rising for this long.
_SETTLE_SECONDS = 0.25
#: Bumped whenever the synthetic data or the segmentation the built-in learned models are
#: trained on changes, so that cached models from before are not reused.
BUILTIN_RECIPE = 5  # 3: 3-D angles, relative rep durations; 4: Adam step 0.01; 5: the standards


def _settled(signal, rep, settle) -> bool:
    """Whether the signal after the rep's turning point peaked ``settle`` frames ago."""
    turning = rep.start + int(np.argmin(signal[rep.start:rep.end]))
    peak = turning + int(np.argmax(signal[turning:]))
    return peak + settle < len(signal)


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


class FormChecker:
    """Check every rep of a set with a fitted classifier.

    The model remembers its exercise, channels and feature settings, so the
    checker needs nothing else.

    Parameters
    ----------
    model : RepClassifier or str or os.PathLike
        A fitted classifier or the path of a saved one.
    exercise : str, optional
        Needed only if the model does not record one.
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
        self.min_probability = (model.default_min_probability if min_probability is None
                                else min_probability)
        self.detect_novel = detect_novel
        self.fps = fps
        self.layout = layout
        self.image_size = image_size
        self.reset()

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
        settings = {name: value for name, value in self.model.feature_settings_.items()
                    if name != "channels"}       # recorded by select_channels; see _channels
        return cut_recording(pose, self.exercise, channels=self._channels(pose), **settings)

    def no_rep_reason(self, pose: PoseSequence) -> str:
        """Why :meth:`check_pose` finds no rep in ``pose``; ``""`` when it finds some.

        A long recording in which the tracked person never moves like the
        exercise gets a sentence starting with
        :data:`~formcheck.reps.NOT_PERFORMING`: no verdict is given on someone
        who is not doing it (a bystander; see ``roi`` in :meth:`check_video`).
        See :func:`~formcheck.reps.no_rep_reason`.
        """
        return no_rep_reason(self.cut_recording(pose)[0], self.exercise)

    # -- streaming -------------------------------------------------------------------------
    def reset(self):
        """Forget the stream fed to :meth:`update`."""
        self._frames: list = []
        self._world: list = []
        self._offset = 0
        self._emitted_until = 0
        self._count = 0
        nobody = np.full((1, get_layout(self.layout).n_joints, 4), np.nan, np.float32)
        self._nobody = PoseSequence.from_array(  # also checks fps, layout and image_size
            nobody, fps=self.fps, layout=self.layout, image_size=self.image_size).landmarks[0]

    def update(self, frame_landmarks, world_landmarks=None):
        """Feed one frame of a live stream; return a verdict when a rep has just ended.

        The checker keeps the last ``2 * exercise.max_duration`` seconds of
        frames, so memory stays the same however long the stream runs.

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
        frame = self._stream_frame(frame_landmarks)
        world = None if frame is self._nobody else self._stream_world_frame(world_landmarks)
        self._frames.append(frame)
        self._world.append(world)
        keep = int(2 * self.exercise.max_duration * self.fps)
        if len(self._frames) > keep:
            drop = len(self._frames) - keep
            del self._frames[:drop]
            del self._world[:drop]
            self._offset += drop
        if len(self._frames) < int(self.exercise.min_duration * self.fps):
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

    def _stream_frame(self, frame_landmarks) -> np.ndarray:
        """One streamed frame as x, y, z, visibility ``(J, 4)``; nobody when it is not valid."""
        if frame_landmarks is None:
            return self._nobody
        try:
            return PoseSequence.from_array(np.asarray(frame_landmarks)[np.newaxis], fps=self.fps,
                                           layout=self.layout).landmarks[0]
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
        if (world.dtype.kind not in "biuf" or world.shape != self._nobody[:, :3].shape
                or np.isinf(world).any()):
            return None
        return world.astype(np.float32)

    def _next_finished_rep(self, settle_seconds=_SETTLE_SECONDS):
        pose = PoseSequence.from_array(np.stack(self._frames), fps=self.fps, layout=self.layout,
                                       columns="xyzv", image_size=self.image_size,
                                       world_landmarks=self._stream_world())
        try:
            angles, reps = self.cut_recording(pose)
        except (MissingDataError, TooFewFramesError):
            return None  # nobody visible enough yet
        if not reps:
            return None
        signal = np.asarray(angles.select(reps[0].driving)).mean(axis=1)   # what they were cut on
        if self.exercise.phase == "max":
            signal = -signal
        settle = int(settle_seconds * self.fps)
        for rep in reps:
            start, end = rep.start + self._offset, rep.end + self._offset
            if start >= self._emitted_until and _settled(signal, rep, settle):
                self._emitted_until = end
                verdict = self._verdict(rep, start, end, index=self._count)
                self._count += 1
                return verdict
        return None

    def _stream_world(self):
        """World landmarks of the buffered frames (NaN where a frame had none), or None."""
        shapes = [w.shape for w in self._world if w is not None]
        if not shapes:
            return None
        missing = np.full(shapes[0], np.nan, np.float32)
        return np.stack([missing if w is None else w for w in self._world])

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

    def _verdict(self, rep, start, end, index=None) -> RepVerdict:
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
            reason = _unjudged(self.model.judge([angles])[0])
        fps = rep.angles.fps
        start, end = int(start), int(end)
        return RepVerdict(int(rep.index if index is None else index), start, end, start / fps,
                          end / fps, label, probability, fault, feedback, reason,
                          feedback.faults if feedback else ())

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
