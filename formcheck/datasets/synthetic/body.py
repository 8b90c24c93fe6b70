"""The articulated body model: per-exercise kinematics in world coordinates (metres).

Each exercise has a model (:data:`_MODELS`) that places the 33 MediaPipe
landmarks of a :class:`~formcheck.datasets.synthetic.subject.Subject` at every
frame from the rep phase: forward kinematics of the leg and trunk chains,
two-segment inverse kinematics for the arms, the head and hands from the trunk
frame. :func:`_rep_params` draws each rep's movement (and fault), and
:func:`_sway` adds the standing sway or the hanging pendulum swing.
"""

from __future__ import annotations

import numpy as np

from ...pose.skeleton import get_layout

#: Exercise -> the labels the body model can perform (correct form first).
SYNTHETIC_LABELS = {
    "squat": ("squat/correct", "squat/not-low"),
    "pull-up": ("pull-up/correct", "pull-up/chin-below-bar"),
    "push-up": ("push-up/correct", "push-up/upper-body-first"),
}

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
_FACE_IDX = [_J[n] for n in _FACE]

# segment masses as fractions of body mass (Winter, Biomechanics of Human Movement)
_M_FOOT, _M_SHANK, _M_THIGH, _M_ARM = 0.029, 0.093, 0.200, 0.100
_M_TRUNK = 1.0 - _M_FOOT - _M_SHANK - _M_THIGH - _M_ARM  # trunk, head and neck
_TRUNK_COM = 0.62  # centre of mass of trunk + head, from the hip up the torso
# a correct pull-up's chin ends 0.03-0.25 torso lengths above the wrists (the bar) at the top,
# as the standard it is judged by asks (formcheck/features/exercises.json)
_CHIN_CLEARS = (0.03, 0.25)
# the hip joint's height over the knee joint at the bottom of a squat, in torso lengths, as the
# depth standard judges it (formcheck/features/exercises.json, IPF): a correct squat ends 0.05
# (depth 0, one measurement noise) to 0.30 (depth 1) below the knees, a not-low one 0.15
# (severity 0, three noises) to 0.60 (severity 1, a quarter squat) above them
_SQUAT_BELOW_KNEES = (0.05, 0.30)
_SQUAT_NOT_LOW = (0.15, 0.60)
_DEEPEST_KNEE = 25.0   # degrees: the thigh meets the calf


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


def _squat_bottom(subject, hips, mobility):
    """Knee angle and shin inclination (degrees) that put the hips ``hips`` torso lengths over
    the knees at the bottom.

    The thigh then rises ``asin(hips * torso / thigh)`` above the horizontal, and the knee
    angle is that plus 90 degrees less the shin's inclination; the shin inclines the more the
    knee bends, up to the subject's ankle mobility (times ``mobility``, per rep) in a deep
    squat, so the two are solved together. The knee closes to 25 degrees at most (the thigh
    meets the calf), which leaves the deepest hips a little higher.
    """
    thigh_rise = np.degrees(np.arcsin(np.clip(hips * subject.torso / subject.thigh, -1, 1)))
    knee = np.full_like(thigh_rise, 90.0)
    for _ in range(30):    # a contraction: the shin changes by under a third of the knee
        shin = subject.ankle_mobility * mobility * ((180.0 - knee) / 120.0) ** 0.7
        knee = np.maximum(90.0 + thigh_rise - shin, _DEEPEST_KNEE)
    return knee, shin


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
        if faulty:
            hips = _SQUAT_NOT_LOW[0] + np.ptp(_SQUAT_NOT_LOW) * sev
        else:
            hips = -(_SQUAT_BELOW_KNEES[0] + np.ptp(_SQUAT_BELOW_KNEES) * depth)
        knee, shin = _squat_bottom(subject, hips, rng.uniform(0.92, 1.08, n_reps))
        return {"knee": knee, "shin": shin}, sev
    if exercise == "pull-up":
        hang = np.clip(subject.hang_elbow + rng.normal(0, 1.5, n_reps), 160, 179)
        clear = _chin_below_nose(subject) + _CHIN_CLEARS[0] + np.ptp(_CHIN_CLEARS) * depth
        return {"clear": clear, "severity": sev, "hang": hang}, sev
    elbow = 90.0 - 22.0 * depth
    brk = 7.0 + 21.0 * sev if faulty else np.zeros(n_reps)
    return {"elbow": elbow, "break": brk}, sev


# --- idle movement ---------------------------------------------------------------------------


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
