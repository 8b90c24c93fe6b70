"""The four PushFit clips that every candidate calls correct, next to their class's typical reps.

Reproduce: ``.venv/bin/python docs/experiments/always_wrong_clips.py`` (writes
``docs/img/pushfit-always-wrong.png`` and prints, per clip, the measures the text of
``docs/classifiers.md`` quotes). The typical reps are those of the selection half (the
split of ``accuracy_candidates.py``), each class's mean and spread over its reps resampled to
64 points; the four clips are on the report half.
"""

import numpy as np
from sklearn.model_selection import train_test_split

from formcheck import datasets
from formcheck.features.angles import resample

CLIPS = ["wrong2", "wrong40", "wrong86", "wrong100"]
CHANNELS = [("elbow (the more bent)", ["left_elbow", "right_elbow"], np.nanmin),
            ("body line", ["left_body_line", "right_body_line"], np.nanmean),
            ("hip", ["left_hip", "right_hip"], np.nanmean),
            ("knee", ["left_knee", "right_knee"], np.nanmean),
            ("trunk inclination", ["trunk_inclination"], np.nanmean)]
LENGTH = 64


def rep_curves(data, index):
    """Each channel of CHANNELS over rep ``index``, resampled to LENGTH points."""
    series = resample(np.asarray(data.reps[index], dtype=float), LENGTH)
    return [combine(series[:, [data.channels.index(c) for c in names]], axis=1)
            for _, names, combine in CHANNELS]


def main():
    clips = datasets.load_pushfit()
    data = datasets.clips_to_reps(clips, "push-up")
    selection, _ = train_test_split([c.name for c in clips], test_size=0.5, random_state=0,
                                    stratify=[c.label for c in clips])
    chosen = np.isin(data.groups, selection)
    typical = {}
    for label in sorted(set(data.labels)):
        curves = np.array([rep_curves(data, i) for i in np.flatnonzero(
            chosen & (np.asarray(data.labels) == label))])
        typical[label] = (curves.mean(axis=0), curves.std(axis=0), len(curves))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(CLIPS), len(CHANNELS), figsize=(3.2 * len(CHANNELS),
                                                                  2.4 * len(CLIPS)), sharex=True)
    t = np.linspace(0, 1, LENGTH)
    for row, clip in enumerate(CLIPS):
        reps = np.flatnonzero(np.asarray(data.groups) == clip)
        shoulders = np.nanmedian(np.concatenate([np.asarray(data.reps[i])[
            :, data.channels.index("shoulder_width")] for i in reps]))
        print(f"{clip}: {len(reps)} reps, shoulders {shoulders:.2f} torso lengths apart")
        for col, (name, _, _) in enumerate(CHANNELS):
            ax = axes[row, col]
            for label, colour in zip(typical, ("tab:green", "tab:red")):
                mean, std, n = typical[label]
                ax.fill_between(t, mean[col] - std[col], mean[col] + std[col], color=colour,
                                alpha=0.15, lw=0)
                ax.plot(t, mean[col], color=colour, lw=1.5,
                        label=f"{label.split('/')[1]} (selection half, {n} reps)")
            for i in reps:
                curve = rep_curves(data, i)[col]
                ax.plot(t, curve, color="black", lw=0.8, alpha=0.7)
                print(f"  rep {i}: {name}: min {np.nanmin(curve):.0f}, max "
                      f"{np.nanmax(curve):.0f}, mean {np.nanmean(curve):.0f}")
            if row == 0:
                ax.set_title(f"{name} (°)", fontsize=9)
            if col == 0:
                ax.set_ylabel(clip)
    for name, (mean, std, n) in typical.items():
        print(f"{name}: " + "; ".join(f"{c[0]}: min {m.min():.0f}, mean {m.mean():.0f}"
                                      for c, m in zip(CHANNELS, mean)))
    axes[0, 0].legend(fontsize=7, loc="lower left")
    for ax in axes[-1]:
        ax.set_xlabel("rep time (0-1)")
    fig.suptitle("PushFit: the four wrong clips every candidate calls correct (black: their "
                 "reps) against the classes' typical reps (mean ± sd)", fontsize=10)
    fig.tight_layout()
    fig.savefig("docs/img/pushfit-always-wrong.png", dpi=90)


if __name__ == "__main__":
    main()
