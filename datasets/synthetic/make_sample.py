"""Regenerate the small synthetic sample in this folder.

Run from the repository root:  python datasets/synthetic/make_sample.py

Writes one ``sample_<exercise>_<class>.npz`` per class the body model performs:
a 2-rep set from ``formcheck.synthetic.make_set`` (seed 0, severity 0.6, default
noise and dropped frames, short idle time). Arrays only, no pickle; load with
``np.load(path)`` (``allow_pickle`` stays False). To keep the six files under
200 KB together, x and y are rounded to 1/2048 of the image (0.6 px at 1280 px,
far below the landmark jitter), z to 1/128, visibility to 1/64, and the
array is stored time-major (Fortran order; it loads as the usual (T, 33, 4)).
"""

import json
from pathlib import Path

import numpy as np

from formcheck import __version__
from formcheck.synthetic import SYNTHETIC_LABELS, _make_set

HERE = Path(__file__).resolve().parent
VIEWS = {"squat": "side", "pull-up": "front", "push-up": "side"}
SEED, N_REPS, SEVERITY, IDLE = 0, 2, 0.6, 0.3
STEP = 1.0 / 2048


def main():
    for path in HERE.glob("sample_*.npz"):
        path.unlink()
    for exercise, labels in SYNTHETIC_LABELS.items():
        for label in labels:
            pose, bounds, info = _make_set(
                exercise, label, N_REPS, SEED, fps=30.0, severity=SEVERITY, view=VIEWS[exercise],
                noise=0.006, drop_rate=0.02, idle=IDLE, subject=None, image_size=None)
            landmarks = pose.landmarks.copy()
            landmarks[..., :2] = np.round(landmarks[..., :2] / STEP) * STEP
            landmarks[..., 2] = np.round(landmarks[..., 2] * 128) / 128
            landmarks[..., 3] = np.round(landmarks[..., 3] * 64) / 64
            severity = info["severity"]
            metadata = {
                "generator": "formcheck.synthetic.make_set", "formcheck_version": __version__,
                "exercise": exercise, "label": label, "n_reps": N_REPS, "seed": SEED,
                "severity_argument": SEVERITY, "idle": IDLE,
                "view": info["view"], "subject": info["subject"].__dict__,
                "severity": [None if np.isnan(s) else round(float(s), 4) for s in severity],
                "columns": ["x", "y", "z", "visibility"], "units": "normalized",
                "quantisation": STEP,
            }
            name = f"sample_{exercise}_{label.split('/')[1]}.npz"
            np.savez_compressed(
                HERE / name,
                landmarks=np.asfortranarray(landmarks, dtype=np.float32),
                fps=np.float64(pose.fps),
                layout=np.array(pose.layout),
                label=np.array(label),
                image_size=np.array(pose.image_size, dtype=np.int64),
                rep_bounds=np.array(bounds, dtype=np.int64),
                metadata_json=np.array(json.dumps(metadata, sort_keys=True)),
            )
            print(f"{name}: {pose.n_frames} frames, view {info['view']}, "
                  f"{(HERE / name).stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
