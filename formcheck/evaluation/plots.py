"""Plots people would rather look at than read.

Figures are drawn on matplotlib's Agg canvas directly, without pyplot, so no
display is needed and the application's own matplotlib backend is left alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter, PercentFormatter

from .._files import atomic_write
from .scaling import _fits, format_slope

__all__ = ["plot_confusion", "plot_latency", "plot_learning_curve", "plot_reliability"]


def plot_confusion(result, path) -> Path:
    """Write the confusion matrix of an :class:`~formcheck.evaluation.validation.EvaluationResult` as a PNG.

    Cells show counts; colour is the fraction of each true class (row).
    """
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
    return _write(fig, path, dpi=110)


def plot_latency(rows, path, *, title="") -> Path:
    """Log-log plot of latency against N, one rep and per rep in batches, with fitted slopes.

    Parameters
    ----------
    rows : list of dict
        ``classifier``, ``n``, ``single_seconds``, ``batch_seconds``, ``batch_size``.
    path : path
        PNG file to write.
    title : str
    """
    figure, axes = _figure(2)
    panels = (("single_seconds", "one rep per call"),
              ("batch_seconds", f"batches of {rows[0]['batch_size']}, per rep"))
    for ax, (key, label) in zip(axes, panels):
        for name, (slope, intercept) in _fits(rows, key).items():
            n = np.array([r["n"] for r in rows if r["classifier"] == name])
            ms = np.array([r[key] for r in rows if r["classifier"] == name]) * 1e3
            line, = ax.plot(n, ms, "o", label=f"{name} (slope {format_slope(slope)})")
            ax.plot(n, 10 ** (intercept + slope * np.log10(n)) * 1e3, "-", color=line.get_color())
        ax.set(xscale="log", yscale="log", xlabel="training reps N", ylabel="latency (ms)",
               title=label)
        _style(ax, ms_axis=True)
    return _save(figure, path, f"Prediction latency against N: {title}")


def plot_learning_curve(rows, path, *, title="") -> Path:
    """Cross-validated accuracy against the number of training reps, one line per classifier."""
    figure, (ax,) = _figure(1)
    for name in dict.fromkeys(r["classifier"] for r in rows):
        points = [(r["n_train"], r["accuracy"]) for r in rows if r["classifier"] == name]
        ax.plot(*zip(*points), "o-", label=name)
    ax.set(xscale="log", xlabel="training reps N", ylabel="accuracy (grouped CV)")
    _style(ax, ms_axis=False)
    return _save(figure, path, f"Accuracy against N: {title}")


def plot_reliability(results, path, *, title="", n_bins=10) -> Path:
    """Reliability curves: how often the predicted class is right against its stated probability.

    Parameters
    ----------
    results : dict
        Name -> :class:`~formcheck.evaluation.validation.EvaluationResult`
        (out-of-sample probabilities); the legend gives each one's Brier score.
    path : path
        PNG file to write.
    title : str
    n_bins : int
    """
    figure, (ax,) = _figure(1)
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
    for name, result in results.items():
        confidence, accuracy, counts = result.reliability(n_bins)
        ax.plot(confidence, accuracy, "o-", label=f"{name} (Brier {result.brier_score():.3f})")
    ax.set(xlim=(0.4, 1.02), ylim=(0, 1.02), xlabel="stated probability of the predicted class",
           ylabel="fraction right")
    _style(ax, ms_axis=False)
    return _save(figure, path, f"Reliability: {title}")


def _figure(n_panels):

    figure = Figure(figsize=(4.6 * n_panels, 3.6))
    FigureCanvasAgg(figure)
    return figure, figure.subplots(1, n_panels, squeeze=False)[0]


def _style(ax, ms_axis):

    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(plain if ms_axis else PercentFormatter(1.0))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)


def _save(figure, path, title) -> Path:
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return _write(figure, path, dpi=90)


def _write(figure, path, dpi) -> Path:
    """Save ``figure`` atomically, in the format of the file's extension (PNG by default)."""
    path = Path(path)
    with atomic_write(path, "wb") as handle:
        figure.savefig(handle, dpi=dpi, format=path.suffix[1:].lower() or "png")
    return path
