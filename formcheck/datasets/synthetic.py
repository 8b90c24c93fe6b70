"""Synthetic exercise sets from an articulated body model.

A small kinematic body (thigh, shin, foot, torso, neck and head, upper arm,
forearm, hand; lengths from anthropometric ratios of stature) performs a
continuous set of reps, and a pinhole camera films it. The result is a
``mediapipe33`` :class:`~formcheck.pose.PoseSequence` that looks like what
MediaPipe Pose writes for a real video: image-normalised x and y, a small
relative depth z, visibility in [0, 1], low visibility and more jitter on the
far side of a side view, short bursts of frames where no person was found.

Supported exercises and classes (:data:`SYNTHETIC_LABELS`); the angles are those
of the 3-D body, a 2-D side view measures within a few degrees of them:

* ``squat/correct`` (knee angle at the bottom 56-86 degrees: most of these end with the
  hip joints a little above the knee joints, short of the depth standard of
  ``exercises.json``) and ``squat/not-low`` (bottom knee angle 102 degrees at
  severity 0 to 135 at 1); the knees track over the toes as they bend;
  filmed from the side, front or back. Forward kinematics from the ankles on
  the floor (shin incline, knee, thigh), with the trunk leaning forward as
  much as keeps the centre of mass over the feet; arms reach forward, cross on
  the chest or rest on the hips.
* ``pull-up/correct`` (the chin, estimated from the face as the features do, rises
  0.03-0.25 torso lengths above the wrist line; the nose about 0.16 more) and
  ``pull-up/chin-below-bar`` (the top stops with the nose 0.07 torso
  lengths below the wrists at severity 0, and 45% of the way from there down
  to its dead-hang height at 1); wrists fixed on the bar, the body hanging
  below, filmed from the front or back (from the back the nose is occluded
  but, as with MediaPipe, still reported with high visibility).
* ``push-up/correct`` (a plank pivoting at the feet with the subject's habitual
  body line of 174-179 degrees; elbows from about 170 to 68-90 degrees) and
  ``push-up/upper-body-first`` (on the way up the shoulders rise first and the
  hips sag: the shoulder-hip-ankle line breaks 7 degrees beyond the habit at
  severity 0 to 28 at 1); filmed from the side.

Sets made with the same seed differ only in the fault: subject, timing, camera
and noise are drawn identically whatever the label and severity.

Each subject (:class:`Subject`) has its own body and habits (tempo, depth,
stance, grip, arm position...), so several sets can share one subject and a
grouped split keeps a subject's reps together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from ..errors import ExerciseError, InputError
from ..features.exercises import get_exercise
from ..pose import PoseSequence
from ..pose.skeleton import get_layout

__all__ = ["Subject", "make_set", "make_dataset", "SYNTHETIC_LABELS", "VIEWS", "DEFAULT_VIEWS"]

#: Exercise -> the labels the body model can perform (correct form first).
SYNTHETIC_LABELS = {
    "squat": ("squat/correct", "squat/not-low"),
    "pull-up": ("pull-up/correct", "pull-up/chin-below-bar"),
    "push-up": ("push-up/correct", "push-up/upper-body-first"),
}

#: Exercise -> camera views it can be filmed from. ``side-left`` means the
#: subject faces the left edge of the image (their left side is nearer).
VIEWS = {
    "squat": ("side-left", "side-right", "front", "back"),
    "pull-up": ("front", "back"),
    "push-up": ("side-left", "side-right"),
}

#: Views drawn when ``view`` is None. Front and back squats are opt-in (``view="front"``,
#: ``"back"`` or ``"any"``): from the front the 2-D knee angle hardly shows squat depth.
DEFAULT_VIEWS = {
    "squat": ("side-left", "side-right"),
    "pull-up": ("front", "back"),
    "push-up": ("side-left", "side-right"),
}

_VIEW_YAW = {"front": 0.0, "side-right": 90.0, "back": 180.0, "side-left": -90.0}
_IMAGE_SIZES = {
    "squat": ((1280, 720), (720, 1280), (1920, 1080)),
    "pull-up": ((720, 1280), (1280, 720), (1080, 1920)),
    "push-up": ((1280, 720), (1920, 1080)),
}
_PITCH = {"squat": (-3.0, 12.0), "pull-up": (-10.0, 2.0), "push-up": (0.0, 14.0)}

_NAMES = get_layout("mediapipe33").joint_names
_J = {name: i for i, name in enumerate(_NAMES)}
_N = len(_NAMES)
_FACE = ("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
         "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right")
# face points relative to the base of the neck, in statures: (left, up, forward)
_FACE_OFFSETS = np.array([
    (0.0, 0.080, 0.075),
    (0.012, 0.097, 0.066), (0.022, 0.098, 0.063), (0.032, 0.097, 0.057),
    (-0.012, 0.097, 0.066), (-0.022, 0.098, 0.063), (-0.032, 0.097, 0.057),
    (0.045, 0.090, 0.005), (-0.045, 0.090, 0.005),
    (0.014, 0.060, 0.066), (-0.014, 0.060, 0.066),
])
_NECK = 0.03  # base of the neck above the shoulder line, in statures
_EXTREMITIES = [_J[n] for n in _NAMES if n.split("_")[-1] in ("wrist", "pinky", "index", "thumb",
                                                               "heel", "ankle")
                or n.endswith("foot_index")]
_FACE_IDX = [_J[n] for n in _FACE]
_LEFT = np.array([n.startswith("left_") or n == "mouth_left" for n in _NAMES])
_RIGHT = np.array([n.startswith("right_") or n == "mouth_right" for n in _NAMES])

# segment masses as fractions of body mass (Winter, Biomechanics of Human Movement)
_M_FOOT, _M_SHANK, _M_THIGH, _M_ARM = 0.029, 0.093, 0.200, 0.100
_M_TRUNK = 1.0 - _M_FOOT - _M_SHANK - _M_THIGH - _M_ARM  # trunk, head and neck
_TRUNK_COM = 0.62  # centre of mass of trunk + head, from the hip up the torso
# a correct pull-up's chin ends 0.03-0.25 torso lengths above the wrists (the bar) at the top,
# as the standard it is judged by asks (formcheck/features/exercises.json)
_CHIN_CLEARS = (0.03, 0.25)


def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


@dataclass(frozen=True)
class Subject:
    """One synthetic person: body dimensions and movement habits.

    Lengths are in metres, angles in degrees, times in seconds. Draw one with
    :meth:`random`; pass the same subject to several :func:`make_set` calls to
    film one person doing several sets.

    Parameters
    ----------
    id : str
        Group name used by :func:`make_dataset`.
    height : float
        Stature.
    shin, thigh, torso, upper_arm, forearm, foot, hand : float
        Segment lengths: knee-ankle, hip-knee, hip-shoulder (joint centres),
        shoulder-elbow, elbow-wrist, heel-toe, wrist-fingertip.
    neck : float
        Height of the nose above the shoulder line when upright.
    shoulder_width, hip_width : float
        Distance between the two shoulder / hip landmarks.
    ankle_height : float
        Ankle landmark above the floor when standing.
    tempo : float
        Mean rep duration.
    tempo_spread : float
        Relative standard deviation of the rep duration.
    first_phase : float
        Fraction of a rep spent going down (squat, push-up) or up (pull-up).
    turn_pause : float
        Pause at the bottom (top for a pull-up).
    rest : float
        Typical pause between consecutive reps.
    pause_prob : float
        Probability of a longer idle pause between two reps.
    fatigue : float
        Relative slowing per rep.
    sway : float
        Amplitude of the idle sway, as a fraction of stature.
    depth : float
        In [0, 1]: where the subject's correct reps sit in the correct range
        (1 = deepest / highest).
    stance, splay : float
        Squat: half-distance between the ankles (fraction of stature) and toe-out angle.
    ankle_mobility : float
        Squat: shin inclination at a deep bottom.
    knee_lock, lean : float
        Squat: knee angle when standing; extra trunk lean at the bottom.
    squat_arms : {"reach", "crossed", "hips"}
        Squat: arms reach forward, cross on the chest, or rest on the hips.
    grip : float
        Pull-up: half-distance between the wrists (fraction of stature).
    hang_elbow, arch, chest_to_bar, knee_bend, hip_flex : float
        Pull-up: elbow angle at the dead hang, trunk lean back at the top,
        shoulder travel behind the bar (fraction of stature), knee bend, hip flexion.
    plank : float
        Push-up: habitual shoulder-hip-ankle angle.
    pike : bool
        Push-up: the habitual bend is a pike (hips up) rather than a sag.
    lockout, hand_offset : float
        Push-up: elbow angle at the top; hands ahead of the shoulders
        (fraction of stature).
    head_pitch : float
        Habitual head extension (looking up).

    Examples
    --------
    >>> import numpy as np
    >>> from formcheck.datasets.synthetic import Subject
    >>> subject = Subject.random(np.random.default_rng(0), id="s00")
    >>> 1.5 < subject.height < 2.0 and subject.id
    's00'
    >>> round(subject.thigh / subject.height, 2)
    0.25
    """

    id: str = "subject"
    height: float = 1.75
    shin: float = 0.43
    thigh: float = 0.43
    torso: float = 0.50
    upper_arm: float = 0.33
    forearm: float = 0.26
    neck: float = 0.19
    foot: float = 0.27
    hand: float = 0.19
    shoulder_width: float = 0.38
    hip_width: float = 0.2
    ankle_height: float = 0.07
    tempo: float = 2.4
    tempo_spread: float = 0.1
    first_phase: float = 0.5
    turn_pause: float = 0.1
    rest: float = 0.3
    pause_prob: float = 0.2
    fatigue: float = 0.02
    sway: float = 0.004
    depth: float = 0.5
    stance: float = 0.12
    splay: float = 20.0
    ankle_mobility: float = 33.0
    knee_lock: float = 176.0
    lean: float = 0.0
    squat_arms: str = "reach"
    grip: float = 0.17
    hang_elbow: float = 172.0
    arch: float = 8.0
    chest_to_bar: float = 0.07
    knee_bend: float = 10.0
    hip_flex: float = 8.0
    plank: float = 177.0
    pike: bool = False
    lockout: float = 170.0
    hand_offset: float = 0.01
    head_pitch: float = 10.0

    @classmethod
    def random(cls, rng=None, id="subject") -> "Subject":
        """Draw a subject around anthropometric averages.

        Parameters
        ----------
        rng : numpy.random.Generator or int, optional
        id : str

        Returns
        -------
        Subject

        Examples
        --------
        >>> from formcheck.datasets.synthetic import Subject
        >>> Subject.random(1) == Subject.random(1)
        True
        """
        rng = _rng(rng)
        height = float(rng.uniform(1.52, 1.95))

        def ratio(mean, sd=0.035):
            return float(height * mean * rng.normal(1.0, sd))

        return cls(
            id=str(id), height=height,
            shin=ratio(0.246), thigh=ratio(0.245), torso=ratio(0.288), upper_arm=ratio(0.186),
            forearm=ratio(0.146), neck=ratio(0.11, 0.05), foot=ratio(0.152), hand=ratio(0.108),
            shoulder_width=ratio(0.215, 0.06), hip_width=ratio(0.115, 0.07),
            ankle_height=ratio(0.039, 0.08),
            tempo=float(rng.uniform(1.7, 3.0)), tempo_spread=float(rng.uniform(0.05, 0.14)),
            first_phase=float(rng.uniform(0.42, 0.58)), turn_pause=float(rng.uniform(0.0, 0.25)),
            rest=float(rng.uniform(0.1, 0.6)), pause_prob=float(rng.uniform(0.05, 0.35)),
            fatigue=float(rng.uniform(0.0, 0.04)), sway=float(rng.uniform(0.002, 0.007)),
            depth=float(rng.uniform(0.0, 1.0)),
            stance=float(rng.uniform(0.08, 0.13)), splay=float(rng.uniform(8.0, 30.0)),
            ankle_mobility=float(rng.uniform(27.0, 40.0)), knee_lock=float(rng.uniform(171, 179)),
            lean=float(rng.uniform(-4.0, 8.0)),
            squat_arms=str(rng.choice(["reach", "reach", "crossed", "hips"])),
            grip=float(rng.uniform(0.14, 0.21)), hang_elbow=float(rng.uniform(163.0, 178.0)),
            arch=float(rng.uniform(0.0, 14.0)), chest_to_bar=float(rng.uniform(0.04, 0.1)),
            knee_bend=float(rng.choice([rng.uniform(0, 15), rng.uniform(50, 90)])),
            hip_flex=float(rng.uniform(0.0, 20.0)),
            plank=float(rng.uniform(174.0, 179.0)), pike=bool(rng.random() < 0.4),
            lockout=float(rng.uniform(160.0, 176.0)), hand_offset=float(rng.uniform(-0.02, 0.05)),
            head_pitch=float(rng.uniform(0.0, 20.0)),
        )


# --- small vector helpers ---------------------------------------------------------------


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _ik(root, target, a, b, pole):
    """Middle joint of a two-segment chain (lengths a, b) from root to target, bent towards pole."""
    span = target - root
    dist = np.linalg.norm(span, axis=-1, keepdims=True)
    axis = span / np.maximum(dist, 1e-9)
    d = np.clip(dist, abs(a - b) + 1e-6, a + b - 1e-6)
    along = (a * a - b * b + d * d) / (2 * d)
    out = np.sqrt(np.maximum(a * a - along * along, 0.0))
    pole = np.broadcast_to(pole, span.shape)
    side = _unit(pole - (pole * axis).sum(-1, keepdims=True) * axis)
    return root + along * axis + out * side


def _smooth_noise(rng, n, fps, n_waves=3, low=0.1, high=0.6):
    """Sum of a few slow sinusoids with random frequencies and phases; unit amplitude."""
    t = np.arange(n) / fps
    freqs = rng.uniform(low, high, n_waves)
    phases = rng.uniform(0, 2 * np.pi, n_waves)
    weights = rng.uniform(0.3, 1.0, n_waves)
    return (weights * np.sin(2 * np.pi * freqs * t[:, None] + phases)).sum(1) / weights.sum()


def _head(base, X, U, A, pitch, stature, neck_scale):
    """Face landmarks (T, 11, 3) from the neck base and the trunk frame; pitch > 0 looks up."""
    p = np.radians(pitch)[:, None]
    off = _FACE_OFFSETS * stature
    up = off[:, 1] * neck_scale
    fwd = off[:, 2]
    up_r = up * np.cos(p) + fwd * np.sin(p)
    fwd_r = fwd * np.cos(p) - up * np.sin(p)
    return (base[:, None] + off[:, 0][None, :, None] * X[:, None]
            + up_r[..., None] * U[:, None] + fwd_r[..., None] * A[:, None])


def _hand(out, side, wrist, direction, pinky_side, stature):
    """Pinky, index and thumb landmarks from the wrist, finger direction and pinky side."""
    s = "left" if side > 0 else "right"
    out[:, _J[f"{s}_index"]] = wrist + 0.085 * stature * direction
    out[:, _J[f"{s}_pinky"]] = wrist + 0.07 * stature * direction + 0.025 * stature * pinky_side
    out[:, _J[f"{s}_thumb"]] = wrist + 0.045 * stature * direction - 0.025 * stature * pinky_side


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


# --- the exercises --------------------------------------------------------------------------


def _squat_chain(s, K, subject, arm_u):
    """Sagittal leg chain and the centre-of-mass terms that do not depend on the trunk lean."""
    h = subject.height
    s_r, e_r = np.radians(s), np.radians(K - 90.0 + s)
    cos_splay = np.cos(np.radians(subject.splay))
    knee_f = subject.shin * np.sin(s_r)
    knee_y = subject.ankle_height + subject.shin * np.cos(s_r)
    knee_z = knee_f * cos_splay
    hip_z = knee_z - subject.thigh * np.cos(e_r)
    hip_y = knee_y + subject.thigh * np.sin(e_r)
    if subject.squat_arms == "reach":
        alpha = np.radians(8.0 + 80.0 * arm_u)
        arm_z = 0.45 * (subject.upper_arm + subject.forearm) * np.sin(alpha)
    else:
        arm_z = np.full_like(knee_z, 0.07 * h)
    foot_z = 0.2 * subject.foot * cos_splay
    rest = (_M_FOOT * foot_z + _M_SHANK * 0.567 * knee_z
            + _M_THIGH * (hip_z + 0.433 * (knee_z - hip_z))
            + (_M_TRUNK + _M_ARM) * hip_z + _M_ARM * arm_z)
    return knee_f, knee_y, knee_z, hip_y, hip_z, rest


def _squat(subject, u, rep_id, second, params, rng):
    h = subject.height
    n = len(u)
    knee_bottom = params["knee"][np.maximum(rep_id, 0)]
    shin_bottom = params["shin"][np.maximum(rep_id, 0)]
    K = subject.knee_lock - (subject.knee_lock - knee_bottom) * u
    s = 2.0 + (shin_bottom - 2.0) * u
    knee_f, knee_y, knee_z, hip_y, hip_z, rest = _squat_chain(s, K, subject, u)
    coef = subject.torso * (_M_TRUNK * _TRUNK_COM + _M_ARM)
    # balance: the standing pose (lean ~3 degrees) fixes where the centre of mass stays
    rest0 = _squat_chain(np.array([2.0]), np.array([subject.knee_lock]), subject, np.zeros(1))[-1]
    target = rest0 + coef * np.sin(np.radians(3.0))
    sin_phi = np.clip((target - rest) / coef, np.sin(np.radians(-5)), np.sin(np.radians(62)))
    phi = np.arcsin(sin_phi) + np.radians(subject.lean) * u

    out = np.zeros((n, _N, 3))
    splay = np.radians(subject.splay)
    w = subject.stance * h
    for side, name in ((1.0, "left"), (-1.0, "right")):
        ankle = np.column_stack([np.full(n, side * w), np.full(n, subject.ankle_height), np.zeros(n)])
        out[:, _J[f"{name}_ankle"]] = ankle
        # standing, the knee is on the ankle-hip line; at the bottom it tracks over the toes
        share = subject.shin / (subject.shin + subject.thigh) * (1.0 - u)
        knee_x = w + (subject.hip_width / 2 - w) * share + knee_f * np.sin(splay)
        out[:, _J[f"{name}_knee"]] = np.column_stack([side * knee_x, knee_y, knee_z])
        out[:, _J[f"{name}_hip"]] = np.column_stack(
            [np.full(n, side * subject.hip_width / 2), hip_y, hip_z])
        out[:, _J[f"{name}_heel"]] = ankle + [side * -0.2 * subject.foot * np.sin(splay),
                                              -0.55 * subject.ankle_height,
                                              -0.2 * subject.foot * np.cos(splay)]
        out[:, _J[f"{name}_foot_index"]] = ankle + [side * 0.75 * subject.foot * np.sin(splay),
                                                    -0.8 * subject.ankle_height,
                                                    0.75 * subject.foot * np.cos(splay)]
    mid_hip = np.column_stack([np.zeros(n), hip_y, hip_z])
    X = np.tile([1.0, 0.0, 0.0], (n, 1))
    U = np.column_stack([np.zeros(n), np.cos(phi), np.sin(phi)])
    A = np.column_stack([np.zeros(n), -np.sin(phi), np.cos(phi)])
    mid_sh = mid_hip + subject.torso * U
    _upper_body(out, subject, mid_sh, X, U, A, subject.head_pitch + np.degrees(phi) * 0.6)
    la, lf = subject.upper_arm, subject.forearm
    for side, name in ((1.0, "left"), (-1.0, "right")):
        sh = out[:, _J[f"{name}_shoulder"]]
        if subject.squat_arms == "reach":
            alpha = np.radians(8.0 + 80.0 * u)[:, None]
            direction = _unit(np.column_stack(
                [side * (0.12 - 0.22 * u), -np.cos(alpha[:, 0]), np.sin(alpha[:, 0])]))
            elbow = sh + la * direction
            fore = _unit(direction + [0.0, 0.15, 0.0])
            wrist = elbow + lf * fore
        elif subject.squat_arms == "crossed":
            other = out[:, _J[f"{'right' if side > 0 else 'left'}_shoulder"]]
            wrist = other + 0.06 * h * A - 0.03 * h * U
            elbow = _ik(sh, wrist, la, lf, -U + 0.5 * A + side * 0.3 * X)
            fore = _unit(wrist - elbow)
        else:  # hands on hips
            hip = out[:, _J[f"{name}_hip"]]
            wrist = hip + side * 0.045 * h * X + 0.03 * h * U + 0.02 * h * A
            elbow = _ik(sh, wrist, la, lf, side * X - 0.5 * A)
            fore = _unit(wrist - elbow)
        out[:, _J[f"{name}_elbow"]] = elbow
        out[:, _J[f"{name}_wrist"]] = wrist
        _hand(out, side, wrist, fore, side * X, h)
    pivot = np.array([0.0, subject.ankle_height, 0.0])
    return out, pivot, ~np.isin(np.arange(_N), [_J[f"{s}_{p}"] for s in ("left", "right")
                                                 for p in ("ankle", "heel", "foot_index")])


def _upper_body(out, subject, mid_sh, X, U, A, pitch):
    half = subject.shoulder_width / 2
    out[:, _J["left_shoulder"]] = mid_sh + half * X
    out[:, _J["right_shoulder"]] = mid_sh - half * X
    base = mid_sh + _NECK * subject.height * U
    neck_scale = subject.neck / (0.11 * subject.height)
    out[:, _FACE_IDX] = _head(base, X, U, A, pitch, subject.height, neck_scale)


def _nose_up(subject, tilt, pitch):
    """Height of the nose over the shoulder line for a trunk tilted back by ``tilt``."""
    h = subject.height
    p = np.radians(pitch)
    up = _FACE_OFFSETS[0, 1] * h * subject.neck / (0.11 * h)
    fwd = _FACE_OFFSETS[0, 2] * h
    up_r = up * np.cos(p) + fwd * np.sin(p)
    fwd_r = fwd * np.cos(p) - up * np.sin(p)
    t = np.radians(tilt)
    return (_NECK * h + up_r) * np.cos(t) + fwd_r * np.sin(t)


def _pull_up(subject, u, rep_id, second, params, rng):
    h = subject.height
    n = len(u)
    la, lf = subject.upper_arm, subject.forearm
    k = np.maximum(rep_id, 0)
    hang = params["hang"][k]
    bar_y = 2.4
    grip = subject.grip * h
    lateral = grip - subject.shoulder_width / 2
    tilt = subject.arch * u
    pitch = subject.head_pitch * 0.3 + 12.0 * u
    z_top = -subject.chest_to_bar * h
    d_hang = np.sqrt(la * la + lf * lf - 2 * la * lf * np.cos(np.radians(hang)))
    drop_hang = np.sqrt(np.maximum(d_hang ** 2 - lateral ** 2, 1e-6))
    # a faulty top stops short: 0.07 torso lengths below the bar at severity 0, and a
    # further 45% of the way from there down to the nose's dead-hang height at severity 1
    below = (drop_hang - _nose_up(subject, 0.0, subject.head_pitch * 0.3)) / subject.torso
    sev = params["severity"][k]
    clear = np.where(np.isnan(sev), params["clear"][k], -(0.07 + 0.45 * np.nan_to_num(sev)
                                                           * (below - 0.07)))
    drop_top = _nose_up(subject, subject.arch, subject.head_pitch * 0.3 + 12.0) \
        - clear * subject.torso
    # the shoulders follow the phase; the nose reaches bar + clear at the top
    drop = drop_hang + (drop_top - drop_hang) * u
    z_sh = z_top * u
    mid_sh = np.column_stack([np.zeros(n), bar_y - drop, z_sh])
    t = np.radians(tilt)
    X = np.tile([1.0, 0.0, 0.0], (n, 1))
    U = np.column_stack([np.zeros(n), np.cos(t), -np.sin(t)])
    A = np.column_stack([np.zeros(n), np.sin(t), np.cos(t)])
    out = np.zeros((n, _N, 3))
    _upper_body(out, subject, mid_sh, X, U, A, pitch)
    mid_hip = mid_sh - subject.torso * U
    hip_flex = np.radians(subject.hip_flex * (0.5 + 0.8 * u))[:, None]
    bend = np.radians(subject.knee_bend)
    thigh_dir = -U * np.cos(hip_flex) + A * np.sin(hip_flex)
    front = U * np.sin(hip_flex) + A * np.cos(hip_flex)
    shin_dir = thigh_dir * np.cos(bend) - front * np.sin(bend)
    shin_front = thigh_dir * np.sin(bend) + front * np.cos(bend)
    toe_dir = _unit(shin_dir * 0.55 + shin_front * 0.45)
    for side, name in ((1.0, "left"), (-1.0, "right")):
        hip = mid_hip + side * subject.hip_width / 2 * X
        knee = hip + subject.thigh * thigh_dir - side * 0.15 * subject.hip_width * X
        ankle = knee + subject.shin * shin_dir - side * 0.15 * subject.hip_width * X
        out[:, _J[f"{name}_hip"]] = hip
        out[:, _J[f"{name}_knee"]] = knee
        out[:, _J[f"{name}_ankle"]] = ankle
        out[:, _J[f"{name}_heel"]] = ankle - 0.2 * subject.foot * toe_dir + 0.02 * h * shin_dir
        out[:, _J[f"{name}_foot_index"]] = ankle + 0.75 * subject.foot * toe_dir
        wrist = np.tile([side * grip, bar_y, 0.0], (n, 1))
        sh = out[:, _J[f"{name}_shoulder"]]
        elbow = _ik(sh, wrist, la, lf, np.array([side * 1.0, -0.6, -0.15]))
        out[:, _J[f"{name}_elbow"]] = elbow
        out[:, _J[f"{name}_wrist"]] = wrist
        _hand(out, side, wrist, _unit(np.array([0.0, 1.0, -0.3])), side * X, h)
    pivot = np.array([0.0, bar_y, 0.0])
    fixed = [_J[f"{s}_{p}"] for s in ("left", "right") for p in ("wrist", "index", "pinky", "thumb")]
    return out, pivot, ~np.isin(np.arange(_N), fixed)


def _push_up(subject, u, rep_id, second, params, rng):
    h = subject.height
    n = len(u)
    la, lf = subject.upper_arm, subject.forearm
    k = np.maximum(rep_id, 0)
    legs, trunk = subject.shin + subject.thigh, subject.torso
    ankle_y, wrist_y = 0.055 * h, 0.025 * h
    hand_half = subject.shoulder_width / 2 + 0.05 * h
    lateral = hand_half - subject.shoulder_width / 2
    elbow = subject.lockout - (subject.lockout - params["elbow"][k]) * u
    brk = params["break"][k]
    bump = np.sin(np.pi * second ** 0.7) * (rep_id >= 0)
    # signed bend at the hips, > 0 for a pike (hips up), < 0 for a sag; the fault turns the
    # habitual bend into a sag ``brk`` degrees deeper than it
    habit = (180.0 - subject.plank + 1.5 * u) * (1.0 if subject.pike else -1.0)
    bend = habit * (1 - bump) - (np.abs(habit) + brk) * bump
    line = 180.0 - np.abs(bend)

    def arm_reach(angle):
        d = np.sqrt(la * la + lf * lf - 2 * la * lf * np.cos(np.radians(angle)))
        return np.sqrt(np.maximum(d * d - lateral ** 2, 1e-6))

    def body_reach(angle):
        return np.sqrt(legs ** 2 + trunk ** 2 - 2 * legs * trunk * np.cos(np.radians(angle)))

    # put the hands under the shoulders of the top position (arms vertical)
    r0 = body_reach(subject.plank)
    top = np.arcsin((wrist_y + arm_reach(subject.lockout) - ankle_y) / r0)
    wrist_z = r0 * np.cos(top) + subject.hand_offset * h
    # shoulder: on a circle around the ankles (body) and one around the wrists (arms)
    r_body, r_arm = body_reach(line), arm_reach(elbow)
    dz, dy = wrist_z, wrist_y - ankle_y
    dist = np.hypot(dz, dy)
    along = (r_body ** 2 - r_arm ** 2 + dist ** 2) / (2 * dist)
    up = np.sqrt(np.maximum(r_body ** 2 - along ** 2, 0.0))
    sh_z = along * dz / dist - up * dy / dist
    sh_y = ankle_y + along * dy / dist + up * dz / dist
    mid_ankle = np.column_stack([np.zeros(n), np.full(n, ankle_y), np.zeros(n)])
    mid_sh = np.column_stack([np.zeros(n), sh_y, sh_z])
    # the hips: bent up (pike) or down (sag) so the body line has the wanted angle
    span = _unit(mid_sh - mid_ankle)
    normal = np.column_stack([np.zeros(n), span[:, 2], -span[:, 1]])  # points up
    mid_hip = _ik(mid_ankle, mid_sh, legs, trunk, np.where(bend >= 0, 1.0, -1.0)[:, None] * normal)
    X = np.tile([1.0, 0.0, 0.0], (n, 1))
    U = _unit(mid_sh - mid_hip)
    A = np.cross(X, U)
    out = np.zeros((n, _N, 3))
    _upper_body(out, subject, mid_sh, X, U, A, np.full(n, subject.head_pitch + 8.0))
    leg_dir = _unit(mid_hip - mid_ankle)
    for side, name in ((1.0, "left"), (-1.0, "right")):
        ankle = mid_ankle + side * 0.05 * h * X
        hip = mid_hip + side * subject.hip_width / 2 * X
        out[:, _J[f"{name}_ankle"]] = ankle
        out[:, _J[f"{name}_hip"]] = hip
        out[:, _J[f"{name}_knee"]] = ankle + subject.shin * leg_dir + side * 0.01 * h * X
        out[:, _J[f"{name}_heel"]] = ankle + [0.0, 0.035 * h, -0.035 * h]
        out[:, _J[f"{name}_foot_index"]] = ankle + [0.0, -0.047 * h, 0.035 * h]
        wrist = np.tile([side * hand_half, wrist_y, wrist_z], (n, 1))
        sh = out[:, _J[f"{name}_shoulder"]]
        out[:, _J[f"{name}_elbow"]] = _ik(sh, wrist, la, lf, np.array([side * 0.5, 0.4, -0.8]))
        out[:, _J[f"{name}_wrist"]] = wrist
        _hand(out, side, wrist, _unit(np.array([0.0, -0.15, 1.0])), side * X, h)
    pivot = np.array([0.0, ankle_y, 0.0])
    fixed = [_J[f"{s}_{p}"] for s in ("left", "right")
             for p in ("wrist", "index", "pinky", "thumb", "ankle", "heel", "foot_index")]
    return out, pivot, ~np.isin(np.arange(_N), fixed)


_MODELS = {"squat": _squat, "pull-up": _pull_up, "push-up": _push_up}


def _chin_below_nose(subject):
    """The chin's depth below the nose in torso lengths, as features estimate it from the face.

    The chin is extended from the nose through the mouth 1.3 times the nose-to-mouth
    distance (:data:`formcheck.features.channels.VIRTUAL_JOINTS`).
    """
    nose_to_mouth = (_FACE_OFFSETS[0, 1] - _FACE_OFFSETS[9, 1]) * subject.neck / 0.11
    return 2.3 * nose_to_mouth / subject.torso


def _rep_params(exercise, label, subject, severity, rng, n_reps):
    """Per-rep parameters of the movement, and the severity of each faulty rep."""
    faulty = label != SYNTHETIC_LABELS[exercise][0]
    depth = np.clip(subject.depth + rng.normal(0, 0.15, n_reps), 0, 1)
    # the same draws whatever the severity and label, so that sets of one seed differ only
    # in the fault
    level, wobble, spread = rng.uniform(0, 1), rng.normal(0, 0.08, n_reps), rng.random(n_reps)
    if severity is None:  # a level for the set, varying a little from rep to rep
        sev = np.clip(level + wobble, 0, 1)
    elif np.ndim(severity) == 1:
        sev = severity[0] + (severity[1] - severity[0]) * spread
    else:
        sev = np.full(n_reps, float(severity))
    if not faulty:
        sev = np.full(n_reps, np.nan)
    if exercise == "squat":
        knee = 102.0 + 33.0 * sev if faulty else 86.0 - 30.0 * depth
        shin = subject.ankle_mobility * ((180.0 - knee) / 120.0) ** 0.7 * rng.uniform(0.92, 1.08,
                                                                                      n_reps)
        return {"knee": knee, "shin": shin}, sev
    if exercise == "pull-up":
        hang = np.clip(subject.hang_elbow + rng.normal(0, 1.5, n_reps), 160, 179)
        clear = _chin_below_nose(subject) + _CHIN_CLEARS[0] + np.ptp(_CHIN_CLEARS) * depth
        return {"clear": clear, "severity": sev, "hang": hang}, sev
    elbow = 90.0 - 22.0 * depth
    brk = 7.0 + 21.0 * sev if faulty else np.zeros(n_reps)
    return {"elbow": elbow, "break": brk}, sev


# --- camera, landmark noise, visibility -------------------------------------------------------


def _sway(world, pivot, moving, subject, rng, fps, exercise, u):
    """Small rotations of the moving joints about the pivot: standing sway, pendulum swing."""
    n = len(world)
    amp = subject.sway * subject.height / 0.8  # radians for a 0.8 m lever
    a = amp * _smooth_noise(rng, n, fps)  # about the left-right axis
    b = 0.5 * amp * _smooth_noise(rng, n, fps)  # about the forward axis
    if exercise == "pull-up":
        a = a * 2.0 + np.radians(rng.uniform(0, 3)) * np.sin(
            2 * np.pi * np.arange(n) / fps / rng.uniform(1.8, 2.4) + rng.uniform(0, 6.3)) * (1 - u)
    elif exercise == "push-up":
        a, b = 0.3 * a, 0.3 * b
    p = world[:, moving] - pivot
    ca, sa = np.cos(a)[:, None], np.sin(a)[:, None]
    y = p[..., 1] * ca - p[..., 2] * sa
    z = p[..., 1] * sa + p[..., 2] * ca
    cb, sb = np.cos(b)[:, None], np.sin(b)[:, None]
    x = p[..., 0] * cb - y * sb
    y = p[..., 0] * sb + y * cb
    world[:, moving] = np.stack([x, y, z], axis=-1) + pivot
    return world


def _film(world, view, rng, exercise, image_size, subject):
    """Project world points (metres) through a pinhole camera into pixels; return depth too."""
    yaw = np.radians(_VIEW_YAW[view] + rng.uniform(-12, 12))
    pitch = np.radians(rng.uniform(*_PITCH[exercise]))
    roll = np.radians(rng.normal(0, 1.2))
    distance = rng.uniform(2.5, 6.0)
    right = np.array([np.cos(yaw), 0.0, np.sin(yaw)])
    up0 = np.array([0.0, 1.0, 0.0])
    ahead = np.cross(up0, right)
    look = np.cos(pitch) * ahead - np.sin(pitch) * up0
    up = np.cos(pitch) * up0 + np.sin(pitch) * ahead
    centre = world.reshape(-1, 3).mean(0)
    p = world - centre
    depth = p @ look
    k = distance / (distance + depth)
    x, y = (p @ right) * k, (p @ up) * k
    cr, sr = np.cos(roll), np.sin(roll)
    x, y = x * cr - y * sr, x * sr + y * cr
    width, height = image_size
    span_x, span_y = np.ptp(x), np.ptp(y)
    fill = rng.uniform(0.45, 0.9)
    scale = fill * min(width / span_x, height / span_y)
    free_x, free_y = width - scale * span_x, height - scale * span_y
    x0 = 0.03 * width + rng.uniform() * max(free_x - 0.06 * width, 0)
    y0 = 0.03 * height + rng.uniform() * max(free_y - 0.06 * height, 0)
    px = x0 + scale * (x - x.min())
    py = y0 + scale * (y.max() - y)
    hips = depth[:, [_J["left_hip"], _J["right_hip"]]].mean(1, keepdims=True)
    z = (depth - hips) * scale * k / width
    far_left = float(np.dot([1.0, 0.0, 0.0], look))  # > 0: the subject's left side is far
    return px, py, z, scale * subject.height, far_left


def _observe(px, py, z, body_px, far_left, rng, fps, noise, drop_rate, image_size, view):
    """Add MediaPipe-like jitter, visibility and dropped frames; return (T, 33, 4) normalised."""
    n = px.shape[0]
    width, height = image_size
    far = np.zeros(_N)
    far[_LEFT] = max(far_left, 0.0) ** 2
    far[_RIGHT] = max(-far_left, 0.0) ** 2
    # visibility: near joints high, far joints of a side view low and flickering
    near_vis = 1.0 - 0.08 * (1.0 - rng.random((n, _N)) ** 0.25)  # 1 - 0.08 * Beta(1, 4)
    near_vis[:, _EXTREMITIES] -= 0.1 * (1.0 - rng.random((n, len(_EXTREMITIES))) ** (1 / 3))
    far_base = rng.uniform(0.1, 0.6, _N)
    far_base[_FACE_IDX] = rng.uniform(0.55, 0.95, len(_FACE_IDX))
    flicker = lfilter([np.sqrt(1 - 0.9 ** 2)], [1, -0.9], rng.normal(0, 0.12, (n, _N)), axis=0)
    far_vis = np.clip(far_base + flicker, 0.02, 0.99)
    vis = np.clip(near_vis * (1 - far) + far_vis * far, 0.0, 1.0)
    if view == "back":
        vis[:, _FACE_IDX] = np.clip(vis[:, _FACE_IDX] - rng.uniform(0.0, 0.15), 0.0, 1.0)
    # jitter: white plus slowly wandering, larger for far joints and extremities
    sigma = np.full(_N, noise * body_px)
    sigma[_EXTREMITIES] *= 1.3
    sigma[_FACE_IDX] *= 0.6
    sigma = sigma * (1 + 1.5 * far)
    if noise > 0:
        white = rng.normal(0, 1, (2, n, _N))
        slow = lfilter([np.sqrt(1 - 0.85 ** 2)], [1, -0.85], rng.normal(0, 1, (2, n, _N)), axis=1)
        jitter = sigma * (0.75 * white + 0.65 * slow)
        spikes = rng.random((n, _N)) < 0.001
        jitter[:, spikes] += rng.normal(0, 6.0, (2, int(spikes.sum()))) * sigma[
            np.nonzero(spikes)[1]]
        px, py = px + jitter[0], py + jitter[1]
        z = z + 0.5 * jitter[0] / width
    landmarks = np.empty((n, _N, 4))
    landmarks[..., 0] = np.clip(px / width, 0.0, 1.0)
    landmarks[..., 1] = np.clip(py / height, 0.0, 1.0)
    landmarks[..., 2] = z
    landmarks[..., 3] = vis
    if drop_rate > 0:
        starts = rng.random(n) < drop_rate / 2.0
        lengths = rng.geometric(0.5, n)
        dropped = np.zeros(n + 8, dtype=bool)
        for start, length in zip(np.nonzero(starts)[0], lengths[starts]):
            dropped[start:start + min(length, 6)] = True
        dropped = dropped[:n]
        landmarks[dropped, :, :3] = np.nan
        landmarks[dropped, :, 3] = 0.0
    return landmarks


# --- public API --------------------------------------------------------------------------------


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


def _generate(exercise, label, n_reps, rng, *, fps, severity, view, noise, drop_rate, idle,
              subject, image_size):
    if subject is None:
        subject = Subject.random(rng)
    choices = {None: DEFAULT_VIEWS[exercise], "any": VIEWS[exercise]}
    if "side-left" in VIEWS[exercise]:
        choices["side"] = ("side-left", "side-right")
    if view in choices:
        view = str(choices[view][int(rng.integers(len(choices[view])))])
    else:
        rng.integers(2)  # keep the random stream in step with a drawn view
    if view not in VIEWS[exercise]:
        raise InputError(f"view {view!r} is not available for {exercise!r}; choose from "
                         f"{', '.join(VIEWS[exercise])} or "
                         f"{', '.join(repr(c) for c in choices if c)}")
    if image_size is None:
        sizes = _IMAGE_SIZES[exercise]
        image_size = sizes[int(rng.integers(len(sizes)))]
    params, sev = _rep_params(exercise, label, subject, severity, rng, n_reps)
    u, rep_id, second, bounds = _timeline(n_reps, subject, rng, fps, idle)
    world, pivot, moving = _MODELS[exercise](subject, u, rep_id, second, params, rng)
    world = _sway(world, pivot, moving, subject, rng, fps, exercise, u)
    px, py, z, body_px, far_left = _film(world, view, rng, exercise, image_size, subject)
    landmarks = _observe(px, py, z, body_px, far_left, rng, fps, noise, drop_rate, image_size,
                         view)
    return landmarks, bounds, {"subject": subject, "view": view, "severity": sev,
                               "image_size": tuple(image_size), "params": params}


def make_set(exercise="squat", label=None, n_reps=5, seed=0, *, fps=30.0, severity=None,
             view=None, noise=0.006, drop_rate=0.02, idle=1.0, subject=None, image_size=None,
             return_bounds=False):
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
    view : {"side", "side-left", "side-right", "front", "back", "any"}, optional
        Camera view (see :data:`VIEWS`). ``"side"`` and ``"any"`` pick one at
        random; the default picks from :data:`DEFAULT_VIEWS` (squats: side
        only, since from the front the 2-D knee angle hardly shows depth).
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
                                subject=subject, image_size=image_size)
    return (pose, bounds) if return_bounds else pose


def _make_set(exercise, label, n_reps, seed, *, fps, severity, view, noise, drop_rate, idle,
              subject, image_size):
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
        image_size=image_size)
    seed_txt = "" if isinstance(seed, np.random.Generator) else f" seed={seed}"
    pose = PoseSequence.from_array(landmarks, fps=fps, layout="mediapipe33", columns="xyzv",
                                   image_size=info["image_size"], units="normalized",
                                   source=f"synthetic {label}{seed_txt}")
    return pose, bounds, info


def make_dataset(exercise="pull-up", n_subjects=12, reps_per_class=4, seed=0, *, severity=None,
                 view=None, progress=False):
    """A labelled :class:`~formcheck.datasets.rep_dataset.RepDataset` of synthetic reps.

    For every subject and every class the body model performs (see
    :data:`SYNTHETIC_LABELS`) one set of ``reps_per_class`` reps is made with
    :func:`make_set`, turned into joint angles with
    :func:`~formcheck.joint_angles` and cut with
    :func:`~formcheck.segment_reps`; every rep found becomes one item, labelled
    with its set's class and grouped by subject.

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
        reps are lost and the classes become skewed by view.
    progress : bool
        Show a progress bar (tqdm).

    Returns
    -------
    RepDataset
        ``groups`` are subject ids (``"s00"``, ``"s01"`` ...); ``sources``
        name the set and frame range; ``metadata`` records the generator
        settings and, per rep, the view and severity (NaN for correct reps).

    Examples
    --------
    >>> from formcheck.datasets.synthetic import make_dataset
    >>> ds = make_dataset("push-up", n_subjects=2, reps_per_class=3, seed=0)
    >>> sorted(ds.class_counts().items())
    [('push-up/correct', 6), ('push-up/upper-body-first', 6)]
    >>> sorted(set(ds.groups))
    ['s00', 's01']
    """
    from .._version import __version__
    from .rep_dataset import RepDataset
    from ..features.angles import joint_angles
    from ..reps import segment_reps

    exercise, _ = _check_exercise_label(exercise, None)
    _check_number("n_subjects", n_subjects, 1, 100_000, integer=True)
    _check_number("reps_per_class", reps_per_class, 1, 10_000, integer=True)
    severity = _check_severity(severity)
    labels_todo = SYNTHETIC_LABELS[exercise]
    jobs = range(n_subjects)
    if progress:
        from tqdm.auto import tqdm

        jobs = tqdm(jobs, desc=f"synthetic {exercise}", unit="subject")
    reps, labels, groups, sources = [], [], [], []
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
                image_size=None)
            found = segment_reps(joint_angles(pose, exercise=exercise), exercise)
            if len(found) != reps_per_class:
                miscounted.append({"subject": subject.id, "label": label, "seed": set_seed,
                                   "expected": reps_per_class, "found": len(found)})
            for rep in found:
                overlap = [min(rep.end, b) - max(rep.start, a) for a, b in bounds]
                k = int(np.argmax(overlap))
                reps.append(rep.angles)
                labels.append(label)
                groups.append(subject.id)
                sources.append(f"synthetic:{label}:{subject.id}:seed={set_seed}"
                               f"[{rep.start}:{rep.end}]")
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
    return RepDataset(reps, labels, groups, metadata=metadata, sources=sources)
