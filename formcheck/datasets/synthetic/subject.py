"""A synthetic person: body dimensions and movement habits, drawn around anthropometric averages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
