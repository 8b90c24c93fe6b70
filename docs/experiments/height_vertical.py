"""Which vertical a height channel is measured along: the choice of docs/classifiers.md.

Rules compared for ``hips_over_knees`` (torso lengths, + when the hips are higher):

- ``camera up``: 3-D world landmarks along the camera's up (world y), as before;
- ``body``: 3-D along the standing body's vertical (``formcheck.features.angles.body_vertical``,
  what ``joint_angles`` does now);
- ``image``: the image's vertical (the 2-D geometry), even when 3-D is available;
- ``hybrid``: the offsets across the view (x, y) from the image, the depth from the world
  landmarks, projected on the body's vertical.

1. Synthetic correct squats, 12 sets of 3 reps a view, the camera's pitch drawn from the body
   model's range (-3 to 12 degrees) and from -15 to 25: the mean error over the deepest tenth of
   the frames against the true vertical (the body model's world coordinates), mean ± sd over
   the sets.
2. The shared squat and pull-up videos (MediaPipe): the standing axis's tilt from the camera's up
   and each rule's lowest hips-over-knees (highest nose-over-wrists) over the recording.
   The choice was made on the synthetic sets and the videos other than squat_correct_006 and
   squat_incorrect_002, which are reported as held out.

Run: PYTHONPATH=. FORMCHECK_DATASETS=../shared/datasets .venv/bin/python
docs/experiments/height_vertical.py (the videos need the video extra; about 2 minutes).
"""

import numpy as np

import formcheck.datasets.synthetic.camera as camera
import formcheck.datasets.synthetic.generate as generate
from formcheck import extract_pose
from formcheck.datasets import default_root
from formcheck.datasets.synthetic.body import _J
from formcheck.features.angles import _joint_points, body_vertical

VIEWS = ("side", "front", "back", "diagonal")
PITCHES = {"body model's": camera._PITCH["squat"], "wide": (-15.0, 25.0)}
VIDEOS = ("squats/videos/correct/squat_correct_003.mp4", "squats/videos/correct/squat_correct_004.mp4",
          "squats/videos/correct/squat_correct_005.mp4", "squats/videos/correct/squat_correct_006.mp4",
          "squats/videos/correct/squat_correct_007.mp4",
          "squats/videos/incorrect/squat_incorrect_002.mp4",
          "pullups/videos/correct/pullup_correct_002.mp4")


def heights(pose, upper="mid_hip", lower="mid_knee"):
    """Rule -> per-frame height of ``upper`` over ``lower`` in torso lengths."""
    world, image = (_joint_points(pose, 0.1, geometry) for geometry in ("3d", "2d"))
    up = body_vertical(world)
    out = {}
    for name, points in (("camera up", world), ("image", image)):
        offset = (points[upper] - points[lower]) / _torso(points)
        out[name] = -offset[:, 1]
        if name == "camera up":
            out["body"] = offset @ up
            depth = offset[:, 2]
        else:
            mixed = offset.copy()
            mixed[:, 2] = depth
            out["hybrid"] = mixed @ up
    return out


def _torso(points):
    return np.nanmedian(np.linalg.norm(points["mid_shoulder"] - points["mid_hip"], axis=1))


def synthetic_rows():
    truth = {}
    film = generate._film

    def filming(world, *args, **kwargs):      # keep the body model's world coordinates
        truth["world"] = world
        return film(world, *args, **kwargs)

    generate._film = filming
    for pitch_name, pitch in PITCHES.items():
        camera._PITCH["squat"] = pitch
        for view in VIEWS:
            errors = {}
            for seed in range(12):
                pose = generate.make_set("squat", "correct", 3, seed=seed, view=view,
                                         world_landmarks=True)
                world = truth["world"]
                hips, knees, shoulders = (world[:, [_J[f"left_{j}"], _J[f"right_{j}"]]].mean(1)
                                          for j in ("hip", "knee", "shoulder"))
                true = (hips[:, 1] - knees[:, 1]) / np.median(
                    np.linalg.norm(shoulders - hips, axis=1))       # world y points up
                deepest = true < np.quantile(true, 0.1)
                for rule, values in heights(pose).items():
                    seen = deepest & np.isfinite(values)
                    errors.setdefault(rule, []).append(np.mean(values[seen] - true[seen]))
            yield pitch_name, view, {rule: (np.mean(e), np.std(e)) for rule, e in errors.items()}


def video_rows():
    for path in VIDEOS:
        pose = extract_pose(default_root() / path)
        up = body_vertical(_joint_points(pose, 0.1, "3d"))
        if "pullup" in path:
            measured = {rule: np.nanmax(v) for rule, v in heights(pose, "nose", "mid_wrist").items()}
        else:
            measured = {rule: np.nanmin(v) for rule, v in heights(pose).items()}
        yield path.rsplit("/", 1)[-1], np.degrees(np.arccos(-up[1])), measured


def main():
    print("| pitch | view | " + " | ".join(["camera up", "body", "image", "hybrid"]) + " |")
    print("|---" * 6 + "|")
    for pitch, view, errors in synthetic_rows():
        cells = " | ".join(f"{errors[r][0]:+.3f} ± {errors[r][1]:.3f}"
                           for r in ("camera up", "body", "image", "hybrid"))
        print(f"| {pitch} | {view} | {cells} |", flush=True)
    print("\n| video | standing axis from the camera's up | camera up | body | image | hybrid |")
    print("|---" * 6 + "|")
    for name, tilt, measured in video_rows():
        cells = " | ".join(f"{measured[r]:+.2f}" for r in ("camera up", "body", "image", "hybrid"))
        print(f"| {name} | {tilt:.1f}° | {cells} |", flush=True)


if __name__ == "__main__":
    main()
