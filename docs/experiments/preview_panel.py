"""The preview panel picture of docs/video.md.

A shared squat video's skeleton and its built-in verdict, drawn by
``formcheck.apps.preview.draw_frame`` on a plain background: the shared videos
come with no licence to redistribute their pixels.

Run: .venv/bin/python docs/experiments/preview_panel.py (needs ../shared/datasets,
or FORMCHECK_DATASETS).
"""

import os
from pathlib import Path

import cv2
import numpy as np

from formcheck import FormChecker, extract_pose, get_exercise
from formcheck.apps.preview import _pixel_points, draw_frame, judged_bones, shown_verdicts
from formcheck.check import builtin_model

ROOT = Path(__file__).resolve().parents[2]
DATASETS = Path(os.environ.get("FORMCHECK_DATASETS", ROOT.parent / "shared" / "datasets"))
VIDEO = DATASETS / "squats" / "videos" / "incorrect" / "squat_incorrect_002.mp4"
OUTPUT = ROOT / "docs" / "img" / "preview-squat-panel.png"
BACKGROUND = 40  # grey level of the plain background


def main():
    pose = extract_pose(VIDEO)
    verdicts = FormChecker(builtin_model("squat")).check_pose(pose)
    for v in verdicts:
        print(v.label, f"{v.probability:.0%}", v.feedback.message if v.feedback else "")
    shown = shown_verdicts(verdicts, pose.n_frames)
    frame = (verdicts[0].start_frame + verdicts[0].end_frame) // 2
    width, height = pose.image_size
    image = np.full((height, width, 3), BACKGROUND, np.uint8)
    verdict = shown.get(frame)
    draw_frame(image, _pixel_points(pose, frame, (width, height)), verdict, 0, len(verdicts),
               judged=judged_bones(verdict, get_exercise("squat")))
    image = cv2.resize(image, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(OUTPUT), image)
    print("->", OUTPUT)


if __name__ == "__main__":
    main()
