"""Labelling reps: the annotation CSV and a resumable question-by-question session.

The annotation file is Create ML's second data-source layout, a CSV with the
columns ``file,start,end,label`` (frames, end exclusive), which
:meth:`RepDataset.from_annotations` reads. Every answer rewrites the file
atomically, so an interrupted session loses nothing, and a new session on the
same file skips the reps already answered.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._files import atomic_write
from ..errors import DatasetError, InputError
from ..features.channels import channel_unit, format_value
from ..reps import cut_recording

__all__ = ["AnnotationStore", "LabelSession", "RepToLabel", "file_name", "reps_to_label",
           "sparkline"]

FIELDS = ("file", "start", "end", "label")
SKIP, UNDO, QUIT = "s", "u", "q"
_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values, width=40) -> str:
    """A one-line chart of ``values`` with block characters.

    Examples
    --------
    >>> sparkline([170, 120, 80, 120, 170], width=5)
    '█▄▁▄█'
    """
    values = np.asarray(values, dtype=float)
    picked = values[np.linspace(0, len(values) - 1, min(width, len(values))).round().astype(int)]
    low, high = picked.min(), picked.max()
    levels = np.zeros(len(picked), int) if high == low else np.round(
        (picked - low) / (high - low) * (len(_BARS) - 1)).astype(int)
    return "".join(_BARS[i] for i in levels)


class AnnotationStore:
    """Rows of an annotation CSV, kept on disk after every change.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV; created on the first answer if missing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = AnnotationStore(pathlib.Path(tempfile.mkdtemp()) / "labels.csv")
    >>> store.set("set1.mp4", 10, 70, "squat/correct")
    >>> AnnotationStore(store.path).get("set1.mp4", 10, 70)
    'squat/correct'
    """

    def __init__(self, path):
        self.path = Path(path)
        self._rows = self._read() if self.path.exists() else {}

    def _read(self) -> dict:
        try:
            with open(self.path, newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                if set(FIELDS) - set(reader.fieldnames or []):
                    raise DatasetError(f"{self.path}: not an annotation CSV (needs columns "
                                       f"{','.join(FIELDS)})")
                return {(r["file"], int(r["start"]), int(r["end"])): r["label"] for r in reader}
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{self.path}: cannot read annotations: {exc}") from None

    def get(self, file, start, end):
        """The label of a rep, ``""`` if it was skipped, None if never answered."""
        return self._rows.get((str(file), int(start), int(end)))

    def set(self, file, start, end, label):
        """Record an answer (``""`` for a skip) and rewrite the file atomically."""
        self._rows[(str(file), int(start), int(end))] = label
        self._write()

    def remove(self, file, start, end):
        """Forget an answer (undo) and rewrite the file atomically."""
        self._rows.pop((str(file), int(start), int(end)), None)
        self._write()

    def __len__(self):
        return len(self._rows)

    def labelled(self) -> int:
        """Number of reps with a label (skips not counted)."""
        return sum(1 for label in self._rows.values() if label)

    def _write(self):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(FIELDS)
        for (file, start, end), label in sorted(self._rows.items()):
            writer.writerow([file, start, end, label])
        with atomic_write(self.path, "w") as handle:
            handle.write(buffer.getvalue())


@dataclass(frozen=True)
class RepToLabel:
    """One rep offered for labelling."""
    file: str
    start: int
    end: int
    fps: float
    driving: np.ndarray
    number: int
    driving_channels: tuple = ()

    def describe(self, exercise) -> str:
        """Rep number, time range, a sparkline of the driving signal and its key numbers."""
        turning = self.driving.min() if exercise.phase == "min" else self.driving.max()
        channels = self.driving_channels or exercise.driving_channels
        name = " / ".join(channels).replace("_", " ")
        values = [format_value(channels[0], v, unit=False)
                  for v in (self.driving[0], turning, self.driving[-1])]
        unit = channel_unit(channels[0])
        return (f"{self.file} rep {self.number}: {self.start / self.fps:.1f}-"
                f"{self.end / self.fps:.1f} s ({(self.end - self.start) / self.fps:.1f} s)\n"
                f"  {sparkline(self.driving)}\n"
                f"  {name}: {' -> '.join(values)}{unit}")


class LabelSession:
    """Ask for a label for every rep not yet answered; answers go straight to disk.

    Parameters
    ----------
    store : AnnotationStore
    exercise : Exercise
    reps : list of RepToLabel
        All reps of the files being labelled, in order.

    Notes
    -----
    Keys: ``1``..``9`` for the exercise's classes (in ``exercise.labels``
    order), ``s`` skip, ``u`` undo the previous answer, ``q`` quit. Answers
    already in the store are not asked again, so a second session resumes
    where the first stopped.
    """

    def __init__(self, store, exercise, reps):
        self.store, self.exercise, self.reps = store, exercise, list(reps)
        self.keys = {str(i + 1): label for i, label in enumerate(exercise.labels[:9])}

    def legend(self) -> str:
        """One line listing the keys."""
        choices = "  ".join(f"[{k}] {label}" for k, label in self.keys.items())
        return f"{choices}  [s] skip  [u] undo  [q] quit"

    def pending(self) -> list:
        """Reps with no answer yet."""
        return [r for r in self.reps if self.store.get(r.file, r.start, r.end) is None]

    def run(self, ask, say=print, play=None) -> int:
        """Ask until every rep is answered or the user quits; return answers given.

        Parameters
        ----------
        ask : callable
            ``ask(prompt) -> str`` returns one key (e.g. ``click.getchar``).
        say : callable
            Prints a line.
        play : callable, optional
            ``play(rep) -> str`` shows the rep and returns the key pressed
            while it played (e.g. :class:`formcheck.apps.preview.RepPlayer`); it
            then replaces ``ask``.
        """
        history, answered = [], 0
        queue = self.pending()
        say(f"{len(queue)} of {len(self.reps)} reps to label. {self.legend()}")
        while queue:
            rep = queue[0]
            say(rep.describe(self.exercise))
            key = (play(rep) if play is not None else ask("label? ")).lower()
            if key in (QUIT, ""):  # "" is the end of scripted input
                break
            if key == UNDO:
                if history:
                    previous = history.pop()
                    self.store.remove(previous.file, previous.start, previous.end)
                    queue.insert(0, previous)
                    answered -= 1
                    say(f"  undone: {previous.file} rep {previous.number}")
                continue
            if key != SKIP and key not in self.keys:
                say(f"  unknown key {key!r}. {self.legend()}")
                continue
            self.store.set(rep.file, rep.start, rep.end, self.keys.get(key, ""))
            history.append(queue.pop(0))
            answered += 1
        say(f"{self.store.labelled()} reps labelled in {self.store.path}")
        return answered

    def label_all(self, label) -> int:
        """Give every pending rep the same label, without questions."""
        full = label if label in self.exercise.classes else self.exercise.full_label(label)
        if full not in self.exercise.classes:
            raise InputError(f"{label!r} is not a class of {self.exercise.name}: "
                             f"{', '.join(self.exercise.labels)}")
        pending = self.pending()
        for rep in pending:
            self.store.set(rep.file, rep.start, rep.end, full)
        return len(pending)


def file_name(path, relative_to) -> str:
    """How the annotation CSV names a recording: its path relative to the CSV's folder."""
    return os.path.relpath(Path(path).resolve(), Path(relative_to).resolve())


def reps_to_label(path, pose, exercise, relative_to) -> list:
    """The reps of one recording as :class:`RepToLabel` items (file relative to the CSV)."""
    angles, reps = cut_recording(pose, exercise)
    name = file_name(path, relative_to)
    return [RepToLabel(name, rep.start, rep.end, angles.fps,
                       rep.driving_signal, rep.index + 1, rep.driving) for rep in reps]
