"""Plots people would rather look at than read.

Figures are drawn on matplotlib's Agg canvas directly, without pyplot, so no
display is needed and the application's own matplotlib backend is left alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_confusion"]


def plot_confusion(result, path) -> Path:
    """Write the confusion matrix of an :class:`~formcheck.evaluation.validation.EvaluationResult` as a PNG.

    Cells show counts; colour is the fraction of each true class (row).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    matrix = result.confusion()
    fractions = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = 2.2 + 1.1 * len(result.classes)
    fig = Figure(figsize=(size + 1.5, size))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    image = ax.imshow(fractions, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center",
                color="white" if fractions[i, j] > 0.5 else "black")
    ticks = range(len(result.classes))
    ax.set_xticks(ticks, result.classes, rotation=30, ha="right")
    ax.set_yticks(ticks, result.classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"accuracy {result.accuracy:.1%}, macro-F1 {result.macro_f1:.2f}")
    fig.colorbar(image, ax=ax, label="fraction of the true class")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return Path(path)
