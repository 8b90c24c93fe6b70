"""The virtual camera: views, image sizes, pinhole projection, MediaPipe-like noise and visibility."""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...features.filters import one_pole_filter
from .body import _FACE_IDX, _J, _N, _NAMES

#: Exercise -> camera views it can be filmed from. ``side-left`` means the
#: subject faces the left edge of the image (their left side is nearer);
#: ``diagonal-left`` is half-way (45 degrees) between ``front`` and ``side-left``.
VIEWS = {
    "squat": ("side-left", "side-right", "front", "back", "diagonal-left", "diagonal-right"),
    "pull-up": ("front", "back"),
    "push-up": ("side-left", "side-right"),
}

#: Views drawn when ``view`` is None. Front, back and diagonal squats are opt-in
#: (``view="front"``, ``"back"``, ``"diagonal"`` or ``"any"``): from the front the 2-D knee
#: angle hardly shows squat depth (the 3-D one does: ``world_landmarks=True``).
DEFAULT_VIEWS = {
    "squat": ("side-left", "side-right"),
    "pull-up": ("front", "back"),
    "push-up": ("side-left", "side-right"),
}

_VIEW_YAW = {"front": 0.0, "side-right": 90.0, "back": 180.0, "side-left": -90.0,
             "diagonal-left": -45.0, "diagonal-right": 45.0}
_IMAGE_SIZES = {
    "squat": ((1280, 720), (720, 1280), (1920, 1080)),
    "pull-up": ((720, 1280), (1280, 720), (1080, 1920)),
    "push-up": ((1280, 720), (1920, 1080)),
}
_PITCH = {"squat": (-3.0, 12.0), "pull-up": (-10.0, 2.0), "push-up": (0.0, 14.0)}
_EXTREMITIES = [_J[n] for n in _NAMES if n.split("_")[-1] in ("wrist", "pinky", "index", "thumb",
                                                               "heel", "ankle")
                or n.endswith("foot_index")]
_LEFT = np.array([n.startswith("left_") or n == "mouth_left" for n in _NAMES])
_RIGHT = np.array([n.startswith("right_") or n == "mouth_right" for n in _NAMES])


def _choose_view(exercise, view, rng):
    """The view to film from: ``view`` itself, or one drawn for None, ``"side"`` or ``"any"``."""
    choices = {None: DEFAULT_VIEWS[exercise], "any": VIEWS[exercise]}
    if "side-left" in VIEWS[exercise]:
        choices["side"] = ("side-left", "side-right")
    if "diagonal-left" in VIEWS[exercise]:
        choices["diagonal"] = ("diagonal-left", "diagonal-right")
    if view in choices:
        view = str(choices[view][int(rng.integers(len(choices[view])))])
    else:
        rng.integers(2)  # keep the random stream in step with a drawn view
    if view not in VIEWS[exercise]:
        raise InputError(f"view {view!r} is not available for {exercise!r}; choose from "
                         f"{', '.join(VIEWS[exercise])} or "
                         f"{', '.join(repr(c) for c in choices if c)}")
    return view


def _choose_image_size(exercise, image_size, rng):
    """``image_size``, or a common video size for the exercise drawn when it is None."""
    if image_size is None:
        sizes = _IMAGE_SIZES[exercise]
        image_size = sizes[int(rng.integers(len(sizes)))]
    return image_size


def _film(world, view, rng, exercise, image_size, subject):
    """Project world points (metres) through a pinhole camera into pixels; return depth too.

    Also returns the camera's axes, rows x (image right), y (image down) and
    z (away from the camera), for :func:`_world_landmarks`.
    """
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
    axes = np.stack([right * cr - up * sr, -(right * sr + up * cr), look])
    return px, py, z, scale * subject.height, far_left, axes


def _far_weights(far_left):
    """Per joint, how much it is on the far side of the view (0 near, 1 straight behind)."""
    far = np.zeros(_N)
    far[_LEFT] = max(far_left, 0.0) ** 2
    far[_RIGHT] = max(-far_left, 0.0) ** 2
    return far


def _world_landmarks(world, axes, far_left, missing, rng, noise, subject):
    """MediaPipe-like world landmarks (T, 33, 3): metres in the camera's axes, hips at 0.

    Jitter (white plus slowly wandering) of ``noise`` statures, 2.5 times more
    for far joints and 3 times more in depth; frames in ``missing`` are NaN.
    """
    hips = world[:, [_J["left_hip"], _J["right_hip"]]].mean(1, keepdims=True)
    out = (world - hips) @ axes.T
    if noise > 0:
        sigma = noise * subject.height * (1 + 1.5 * _far_weights(far_left))[:, None] \
            * np.array([1.0, 1.0, 3.0])
        slow = one_pole_filter(np.sqrt(1 - 0.85 ** 2), 0.85, rng.normal(0, 1, out.shape), axis=0)
        out = out + sigma * (0.75 * rng.normal(0, 1, out.shape) + 0.65 * slow)
    out[missing] = np.nan
    return out


def _observe(px, py, z, body_px, far_left, rng, fps, noise, drop_rate, image_size, view):
    """Add MediaPipe-like jitter, visibility and dropped frames; return (T, 33, 4) normalised."""
    n = px.shape[0]
    width, height = image_size
    far = _far_weights(far_left)
    # visibility: near joints high, far joints of a side view low and flickering
    near_vis = 1.0 - 0.08 * (1.0 - rng.random((n, _N)) ** 0.25)  # 1 - 0.08 * Beta(1, 4)
    near_vis[:, _EXTREMITIES] -= 0.1 * (1.0 - rng.random((n, len(_EXTREMITIES))) ** (1 / 3))
    far_base = rng.uniform(0.1, 0.6, _N)
    far_base[_FACE_IDX] = rng.uniform(0.55, 0.95, len(_FACE_IDX))
    flicker = one_pole_filter(np.sqrt(1 - 0.9 ** 2), 0.9, rng.normal(0, 0.12, (n, _N)), axis=0)
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
        slow = one_pole_filter(np.sqrt(1 - 0.85 ** 2), 0.85, rng.normal(0, 1, (2, n, _N)), axis=1)
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
