"""Where MediaPipe's world landmarks put the hips at the bottom of a squat, against its image.

For every shared squat video (docs/classifiers.md, the shared videos): each frame's world
landmarks are placed in front of a level pinhole camera (principal point at the image centre,
a horizontal field of view of ``FOV`` degrees, the hips' centre on its image ray at the depth
that gives the image's scale: a least-squares fit of the world x, y of shoulders, hips, knees
and ankles to the image) and projected; the image's hip-minus-knee height (in metres at the
hips' depth, + when the hips are higher) is compared with the projected world's. What the
perspective of that camera explains is the projected minus the world's own; what is left over is
the world model disagreeing with its own image landmarks. Printed per video: at the bottom (the
frame of the lowest image hips-over-knees), standing (the straightest 3-D knee), the
correlation of the left-over with the knee's bend over the recording, the 3-D and image knee
angles at the bottom, the world thigh and shin lengths standing and at the bottom, and the knee
and ankle widths across the view at the bottom (world x against the image).

Run: PYTHONPATH=. FORMCHECK_DATASETS=../shared/datasets .venv/bin/python
docs/experiments/hip_height_3d.py [FOV] (needs the video extra; about a minute).
"""

import sys

import numpy as np

from formcheck import extract_pose
from formcheck.datasets import default_root
from formcheck.pose.skeleton import get_layout

FOV = float(sys.argv[1]) if len(sys.argv) > 1 else 65.0
VIDEOS = ("correct/squat_correct_003.mp4", "correct/squat_correct_004.mp4",
          "correct/squat_correct_005.mp4", "correct/squat_correct_006.mp4",
          "correct/squat_correct_007.mp4", "incorrect/squat_incorrect_002.mp4")
MP = get_layout("mediapipe33")
PAIRS = {j: [MP.joint_index(f"{side}_{j}") for side in ("left", "right")]
         for j in ("shoulder", "hip", "knee", "ankle")}
FITTED = [i for pair in PAIRS.values() for i in pair]


def mid(points, joint):
    return points[..., PAIRS[joint], :].mean(axis=-2)


def angle(a, b, c):
    u, v = a - b, c - b
    return np.degrees(np.arccos(np.sum(u * v, -1) / np.linalg.norm(u, axis=-1)
                                / np.linalg.norm(v, axis=-1)))


def through_camera(world, image, size):
    """Per frame: the world landmarks projected by a level pinhole, and the image's scale."""
    width, height = size
    focal = width / 2 / np.tan(np.radians(FOV / 2))
    centre = np.array([width / 2, height / 2])
    projected, scales = np.empty_like(image), np.empty(len(image))
    for t, (w, im) in enumerate(zip(world, image)):
        wx, ix = w[FITTED, :2] - w[FITTED, :2].mean(0), im[FITTED] - im[FITTED].mean(0)
        scales[t] = (wx * ix).sum() / (wx * wx).sum()
        depth = focal / scales[t]
        origin = np.r_[(mid(im, "hip") - centre) * depth / focal, depth]
        placed = w + origin
        projected[t] = placed[:, :2] / placed[:, 2:] * focal + centre
    return projected, scales


def row(path):
    pose = extract_pose(default_root() / "squats" / "videos" / path)
    world = pose.world_landmarks.astype(float)
    image = pose.landmarks[..., :2].astype(float) * np.array(pose.image_size, dtype=float)
    projected, scale = through_camera(world, image, pose.image_size)
    height = {name: -(mid(p, "hip") - mid(p, "knee"))[:, 1] / k
              for name, p, k in (("image", image, scale), ("projected", projected, scale),
                                 ("world", world, 1.0))}
    left_over = height["image"] - height["projected"]
    knee_3d = angle(mid(world, "hip"), mid(world, "knee"), mid(world, "ankle"))
    flat = np.concatenate([image, np.zeros(image.shape[:-1] + (1,))], axis=-1)
    knee_2d = angle(mid(flat, "hip"), mid(flat, "knee"), mid(flat, "ankle"))
    bottom, standing = int(np.argmin(height["image"])), int(np.argmax(knee_3d))

    def length(a, b):
        return np.mean([np.linalg.norm(world[:, PAIRS[a][s]] - world[:, PAIRS[b][s]], axis=-1)
                        for s in (0, 1)], axis=0)

    def widths(points, f):
        return (abs(points[f, PAIRS["knee"][0], 0] - points[f, PAIRS["knee"][1], 0])
                / abs(points[f, PAIRS["ankle"][0], 0] - points[f, PAIRS["ankle"][1], 0]))

    thigh, shin = length("hip", "knee"), length("knee", "ankle")
    return (f"| {path.split('/')[-1]} | {100 * height['image'][bottom]:+.1f} | "
            f"{100 * height['world'][bottom]:+.1f} | {100 * height['projected'][bottom]:+.1f} | "
            f"{100 * left_over[bottom]:+.1f} | {100 * left_over[standing]:+.1f} | "
            f"{np.corrcoef(180 - knee_3d, left_over)[0, 1]:+.2f} | "
            f"{knee_3d[bottom]:.0f} / {knee_2d[bottom]:.0f} | "
            f"{100 * thigh[standing]:.0f} -> {100 * thigh[bottom]:.0f} | "
            f"{100 * shin[standing]:.0f} -> {100 * shin[bottom]:.0f} | "
            f"{widths(world, bottom):.2f} / {widths(image, bottom):.2f} |")


def main():
    print(f"level pinhole, horizontal field of view {FOV:g} degrees; heights in cm\n")
    print("| video | image: hips over knees, bottom | world (camera's up) | world through the "
          "camera | left over, bottom | left over, standing | left over vs knee bend (r) | "
          "knee 3-D / image, bottom | world thigh, cm, standing -> bottom | world shin | "
          "knees / ankles width, world x / image, bottom |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for path in VIDEOS:
        print(row(path))


if __name__ == "__main__":
    main()
