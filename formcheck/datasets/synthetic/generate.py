"""Synthetic sets and datasets: argument checks, the rep timeline, and the pipeline
subject -> body model -> camera -> :class:`~formcheck.pose.PoseSequence`."""

from __future__ import annotations

import numpy as np

from ..._version import __version__
from ..._progress import progress as progress_bar
from ...errors import ExerciseError, InputError
from ...features.exercises import get_exercise
from ...pose import PoseSequence
from ...reps import cut_recording
from ..rep_dataset import Recording, RepDataset
from .body import _MODELS, SYNTHETIC_LABELS, _rep_params, _sway
from .camera import _choose_image_size, _choose_view, _film, _observe, _world_landmarks
from .subject import Subject, _rng

# --- argument checks ---------------------------------------------------------------------------


def _check_exercise_label(exercise, label):
    ex = get_exercise(exercise)  # raises ExerciseError for an unknown exercise
    if ex.name not in SYNTHETIC_LABELS:
        raise ExerciseError(
            f"the synthetic body model cannot perform {ex.name!r}; it supports "
            f"{', '.join(SYNTHETIC_LABELS)}")
    if label is None:
        label = ex.correct
    elif isinstance(label, str):
        label = ex.full_label(label)
    if label not in SYNTHETIC_LABELS[ex.name]:
        known = "" if label in ex.classes else f" ({label!r} is not a class of {ex.name!r})"
        raise ExerciseError(
            f"the synthetic body model cannot perform label {label!r}{known}; labels for "
            f"{ex.name!r}: {', '.join(SYNTHETIC_LABELS[ex.name])}")
    return ex.name, label


def _check_number(name, value, low, high, *, integer=False):
    ok = (isinstance(value, (int, np.integer)) and not isinstance(value, bool)) if integer else (
        isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool))
    if not ok or not np.isfinite(value) or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        raise InputError(f"{name} must be {kind} in [{low}, {high}], got {value!r}")


def _check_severity(severity):
    if severity is None:
        return None
    if np.ndim(severity) == 1 and len(severity) == 2:
        lo, hi = severity
        _check_number("severity", lo, 0, 1)
        _check_number("severity", hi, 0, 1)
        if lo > hi:
            raise InputError(f"severity range must be (low, high), got {severity!r}")
        return (float(lo), float(hi))
    _check_number("severity", severity, 0, 1)
    return float(severity)


# --- the timeline: when each rep happens --------------------------------------------------


def _timeline(n_reps, subject, rng, fps, idle):
    """Per-frame rep phase u (0 at rest, 1 at the turning point) and bookkeeping."""
    t = idle * rng.uniform(0.6, 2.0)
    reps = []
    for k in range(n_reps):
        duration = subject.tempo * (1 + subject.fatigue * k) * np.exp(
            rng.normal(0, subject.tempo_spread))
        duration = float(np.clip(duration, 1.4, 3.6))
        pause = min(subject.turn_pause * np.exp(rng.normal(0, 0.3)), 0.2 * duration)
        first = float(np.clip(subject.first_phase + rng.normal(0, 0.04), 0.35, 0.65))
        t1 = t + (duration - pause) * first
        t2 = t1 + pause
        t3 = t + duration
        reps.append((t, t1, t2, t3))
        gap = float(np.clip(subject.rest * np.exp(rng.normal(0, 0.3)), 0.04, 1.0))
        if idle and k < n_reps - 1 and rng.random() < subject.pause_prob:
            gap += idle * rng.uniform(0.8, 2.5)
        t = t3 + gap
    t_end = reps[-1][3] + idle * rng.uniform(0.6, 2.0)
    n_frames = int(np.ceil(t_end * fps)) + 1
    time = np.arange(n_frames) / fps
    u = np.zeros(n_frames)
    rep_id = np.full(n_frames, -1)
    second = np.zeros(n_frames)  # progress through the second phase, 0-1
    bounds = []
    for k, (t0, t1, t2, t3) in enumerate(reps):
        a, b = int(np.floor(t0 * fps)), min(int(np.ceil(t3 * fps)) + 1, n_frames)
        tt = time[a:b]
        x1 = np.clip((tt - t0) / (t1 - t0), 0, 1)
        x2 = np.clip((tt - t2) / (t3 - t2), 0, 1)
        u[a:b] = np.where(tt < t2, 0.5 - 0.5 * np.cos(np.pi * x1), 0.5 + 0.5 * np.cos(np.pi * x2))
        second[a:b] = np.where(tt < t2, 0.0, x2)
        rep_id[a:b] = k
        bounds.append((a, b))
    # a rep ends at the latest where the next one starts
    bounds = [(a, min(b, nxt[0])) for (a, b), nxt in zip(bounds, bounds[1:] + [(n_frames,)])]
    return u, rep_id, second, bounds


# --- public API --------------------------------------------------------------------------------


def _generate(exercise, label, n_reps, rng, *, fps, severity, view, noise, drop_rate, idle,
              subject, image_size, world_landmarks=False):
    if subject is None:
        subject = Subject.random(rng)
    view = _choose_view(exercise, view, rng)
    image_size = _choose_image_size(exercise, image_size, rng)
    params, sev = _rep_params(exercise, label, subject, severity, rng, n_reps)
    u, rep_id, second, bounds = _timeline(n_reps, subject, rng, fps, idle)
    world, pivot, moving = _MODELS[exercise](subject, u, rep_id, second, params, rng)
    world = _sway(world, pivot, moving, subject, rng, fps, exercise, u)
    px, py, z, body_px, far_left, axes = _film(world, view, rng, exercise, image_size, subject)
    landmarks = _observe(px, py, z, body_px, far_left, rng, fps, noise, drop_rate, image_size,
                         view)
    world_view = None
    if world_landmarks:         # drawn last, so the image landmarks are the same either way
        world_view = _world_landmarks(world, axes, far_left, np.isnan(landmarks[..., 0]), rng,
                                      noise, subject)
    return landmarks, bounds, {"subject": subject, "view": view, "severity": sev,
                               "image_size": tuple(image_size), "params": params,
                               "world_landmarks": world_view}


def make_set(exercise="squat", label=None, n_reps=5, seed=0, *, fps=30.0, severity=None,
             view=None, noise=0.006, drop_rate=0.02, idle=1.0, subject=None, image_size=None,
             world_landmarks=False, return_bounds=False):
    """A continuous synthetic set of ``n_reps`` reps as a MediaPipe-layout pose sequence.

    Parameters
    ----------
    exercise : {"squat", "pull-up", "push-up"}
    label : str, optional
        Class to perform (see :data:`SYNTHETIC_LABELS`), e.g. ``"squat/not-low"``;
        the part after the slash is enough. Default: the exercise's correct class.
    n_reps : int
        Number of reps, >= 1.
    seed : int or numpy.random.Generator, optional
        Same seed, same arrays.
    fps : float
        Frame rate.
    severity : float in [0, 1] or (low, high), optional
        How blatant the fault of a faulty class is: 0 is borderline, hardly
        distinguishable from correct form, 1 is blatant. A pair draws every
        rep's severity independently and uniformly from that range. None
        draws a level for the set from (0, 1) and varies it from rep to rep
        (standard deviation 0.08), as a person repeats their own fault.
        Ignored for the correct class.
    view : {"side", "side-left", "side-right", "front", "back", "diagonal", "diagonal-left", \
"diagonal-right", "any"}, optional
        Camera view (see :data:`VIEWS`). ``"side"``, ``"diagonal"`` and
        ``"any"`` pick one at random; the default picks from
        :data:`DEFAULT_VIEWS` (squats: side only, since from the front the
        2-D knee angle hardly shows depth).
    noise : float
        Standard deviation of the landmark jitter as a fraction of the
        subject's height in the image (far-side joints get 3 times more);
        0 for none.
    drop_rate : float in [0, 0.5]
        Fraction of frames in which no person is found (bursts of whole rows
        NaN with visibility 0).
    idle : float
        Scale in seconds of the still periods at the start, at the end and
        (sometimes) between reps; 0 for reps from the first to the last frame.
    subject : Subject, optional
        The person; default a random one drawn from ``seed``.
    image_size : tuple (width, height), optional
        Default: a common video size for the exercise, drawn from ``seed``.
    world_landmarks : bool
        Also give the 3-D world landmarks MediaPipe gives for a video (see
        the module docstring), so that joint angles are measured in 3-D. The
        image landmarks are the same either way.
    return_bounds : bool
        Also return the true ``(start, end)`` frames of every rep (end exclusive).

    Returns
    -------
    PoseSequence or (PoseSequence, list of (int, int))
        Layout ``"mediapipe33"``, ``units="normalized"``, ``image_size`` set.

    Raises
    ------
    ExerciseError
        Unknown exercise or label, or one the body model does not perform.
    InputError
        ``n_reps`` < 1 or another argument out of range.

    Examples
    --------
    >>> from formcheck.datasets.synthetic import make_set
    >>> pose, bounds = make_set("pull-up", "chin-below-bar", n_reps=3, seed=7,
    ...                         return_bounds=True)
    >>> pose.layout, pose.units, pose.landmarks.shape[1:], len(bounds)
    ('mediapipe33', 'normalized', (33, 4), 3)
    >>> again = make_set("pull-up", "chin-below-bar", n_reps=3, seed=7)
    >>> import numpy as np
    >>> np.array_equal(again.landmarks, pose.landmarks, equal_nan=True)
    True
    """
    pose, bounds, _ = _make_set(exercise, label, n_reps, seed, fps=fps, severity=severity,
                                view=view, noise=noise, drop_rate=drop_rate, idle=idle,
                                subject=subject, image_size=image_size,
                                world_landmarks=world_landmarks)
    return (pose, bounds) if return_bounds else pose


def _make_set(exercise, label, n_reps, seed, *, fps, severity, view, noise, drop_rate, idle,
              subject, image_size, world_landmarks=False):
    """:func:`make_set` that also returns the set's details (subject, view, severities)."""
    exercise, label = _check_exercise_label(exercise, label)
    _check_number("n_reps", n_reps, 1, 10_000, integer=True)
    _check_number("fps", fps, 1e-3, 10_000)
    _check_number("noise", noise, 0, 0.2)
    _check_number("drop_rate", drop_rate, 0, 0.5)
    _check_number("idle", idle, 0, 600)
    severity = _check_severity(severity)
    if subject is not None and not isinstance(subject, Subject):
        raise InputError(f"subject must be a Subject, got {type(subject).__name__}")
    if image_size is not None and (len(image_size) != 2 or min(image_size) < 16):
        raise InputError(f"image_size must be (width, height) in pixels, got {image_size!r}")
    landmarks, bounds, info = _generate(
        exercise, label, int(n_reps), _rng(seed), fps=float(fps), severity=severity, view=view,
        noise=float(noise), drop_rate=float(drop_rate), idle=float(idle), subject=subject,
        image_size=image_size, world_landmarks=bool(world_landmarks))
    seed_txt = "" if isinstance(seed, np.random.Generator) else f" seed={seed}"
    pose = PoseSequence.from_array(landmarks, fps=fps, layout="mediapipe33", columns="xyzv",
                                   image_size=info["image_size"], units="normalized",
                                   source=f"synthetic {label}{seed_txt}",
                                   world_landmarks=info["world_landmarks"])
    return pose, bounds, info


def make_dataset(exercise="pull-up", n_subjects=12, reps_per_class=4, seed=0, *, severity=None,
                 view=None, world_landmarks=False, progress=False):
    """A labelled :class:`~formcheck.datasets.rep_dataset.RepDataset` of synthetic reps.

    For every subject and every class the body model performs (see
    :data:`SYNTHETIC_LABELS`) one set of ``reps_per_class`` reps is made with
    :func:`make_set` and cut into reps with :func:`~formcheck.reps.cut_recording`
    (default feature settings); every rep found becomes one item of
    :meth:`RepDataset.from_recordings <formcheck.datasets.rep_dataset.RepDataset.from_recordings>`,
    labelled with its set's class and grouped by subject.

    Parameters
    ----------
    exercise : {"squat", "pull-up", "push-up"}
    n_subjects : int
        Number of distinct synthetic people (the groups).
    reps_per_class : int
        Reps in each subject's set of each class.
    seed : int
    severity : float or (low, high), optional
        Passed to :func:`make_set`.
    view : str, optional
        Passed to :func:`make_set`, which draws one per set. Front and back
        squats (``"any"``) are opt-in: from the front the 2-D knee angle that
        drives squat segmentation hardly changes in a shallow squat, so those
        reps are lost and the classes become skewed by view, unless the
        angles are measured in 3-D (``world_landmarks=True``).
    world_landmarks : bool
        Passed to :func:`make_set`: the poses carry 3-D world landmarks, as
        videos do, and the reps' angles are measured in 3-D.
    progress : bool
        Show a progress bar (tqdm).

    Returns
    -------
    RepDataset
        ``groups`` are subject ids (``"s00"``, ``"s01"`` ...); ``sources``
        name the set and frame range; ``metadata`` records the exercise, the
        feature settings (none), the generator settings and, per rep, the view
        and severity (NaN for correct reps).

    Examples
    --------
    >>> from formcheck.datasets.synthetic import make_dataset
    >>> ds = make_dataset("push-up", n_subjects=2, reps_per_class=3, seed=0)
    >>> sorted(ds.class_counts().items())
    [('push-up/correct', 6), ('push-up/upper-body-first', 6)]
    >>> sorted(set(ds.groups.tolist()))
    ['s00', 's01']
    """
    exercise, _ = _check_exercise_label(exercise, None)
    _check_number("n_subjects", n_subjects, 1, 100_000, integer=True)
    _check_number("reps_per_class", reps_per_class, 1, 10_000, integer=True)
    severity = _check_severity(severity)
    labels_todo = SYNTHETIC_LABELS[exercise]
    jobs = progress_bar(range(n_subjects), progress, desc=f"synthetic {exercise}", unit="subject")
    recordings = []
    per_rep = {"view": [], "severity": [], "set_seed": []}
    miscounted = []
    for i, child in zip(jobs, np.random.SeedSequence(seed).spawn(n_subjects)):
        rng = np.random.default_rng(child)
        subject = Subject.random(rng, id=f"s{i:02d}")
        for label in labels_todo:
            set_seed = int(rng.integers(2 ** 31))
            pose, bounds, info = _make_set(
                exercise, label, reps_per_class, set_seed, fps=30.0, severity=severity,
                view=view, noise=0.006, drop_rate=0.02, idle=1.0, subject=subject,
                image_size=None, world_landmarks=world_landmarks)
            # cut here to match every rep found with the generated rep it overlaps most
            _, found = cut_recording(pose, exercise)
            if len(found) != reps_per_class:
                miscounted.append({"subject": subject.id, "label": label, "seed": set_seed,
                                   "expected": reps_per_class, "found": len(found)})
            for rep in found:
                overlap = [min(rep.end, b) - max(rep.start, a) for a, b in bounds]
                k = int(np.argmax(overlap))
                recordings.append(Recording(pose, label, subject.id,
                                            f"synthetic:{label}:{subject.id}:seed={set_seed}",
                                            (rep.start, rep.end)))
                per_rep["view"].append(info["view"])
                sev = float(info["severity"][k])
                per_rep["severity"].append(None if np.isnan(sev) else round(sev, 4))
                per_rep["set_seed"].append(set_seed)
    metadata = {
        "generator": "formcheck.datasets.synthetic.make_dataset",
        "formcheck_version": __version__,
        "exercise": exercise,
        "labels": list(labels_todo),
        "seed": int(seed),
        "n_subjects": int(n_subjects),
        "reps_per_class": int(reps_per_class),
        "severity": list(severity) if isinstance(severity, tuple) else severity,
        "fps": 30.0,
        "layout": "mediapipe33",
        "view": view,
        "miscounted_sets": miscounted,
        "per_rep": per_rep,
    }
    return RepDataset.from_recordings(recordings, exercise, metadata=metadata)
