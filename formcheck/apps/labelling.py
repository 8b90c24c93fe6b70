"""Labelling reps: the annotation CSV and a resumable question-by-question session.

The annotation file is Create ML's second data-source layout, a CSV with the
columns ``file,start,end,label`` (frames, end exclusive), which
:meth:`RepDataset.from_annotations` reads. Every answer is merged into the file
on disk and the file replaced atomically, so an interrupted session loses
nothing, several sessions on one file keep all their answers, and a new session
on the same file skips the reps already answered.

Besides the four columns, the session writes ``answer`` (``typed``: a class key
was pressed; ``accepted``: the suggestion shown was taken with one key;
``given``: ``--label`` labelled every rep) and ``suggestion`` (the model's
guess and its probability, when there was one). A rep whose bounds were moved
is stored with the moved ``start`` and ``end``; a file in which no rep was
found can be labelled as one rep from its first frame to its last.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import dataclasses
import fcntl
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._files import (atomic_write, escape_formula, read_annotation_text, temporary_files,
                      unescape_formula)
from ..errors import DatasetError, InputError, OutputError
from ..features.channels import channel_unit, format_value
from ..reps import cut_recording, driving_channels, no_rep_reason

__all__ = ["AnnotationStore", "LabelSession", "RepToLabel", "file_name", "reps_to_label",
           "whole_recording", "read_annotations", "summarise_annotations", "sparkline"]

FIELDS = ("file", "start", "end", "label")
SKIP, UNDO, QUIT, ACCEPT = "s", "u", "q", "a"
#: Keys that move a rep's bounds by :data:`NUDGE_SECONDS`: start earlier, later; end earlier, later.
NUDGES = {"[": ("start", -1), "]": ("start", 1), "<": ("end", -1), ">": ("end", 1)}
NUDGE_SECONDS = 0.1
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

    Every change takes the lock ``.<name>.lock`` beside the CSV, re-reads the
    file, applies the change to what it holds and replaces it atomically, so
    sessions sharing the file keep each other's answers. Columns added by hand
    (a ``note``) and a UTF-8 byte-order mark are kept, the file keeps its
    permissions, and text cells are written spreadsheet-safe (see
    :func:`formcheck._files.escape_formula`) and read back as they were.
    Temporary files left by a killed session are deleted on opening.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV; created on the first answer if missing.

    Attributes
    ----------
    other_sessions : list of int
        Process ids of other live sessions on the same file when this one opened.

    Raises
    ------
    DatasetError
        The CSV is read-only, not UTF-8, lacks the columns, or has a row of
        another length than its header or with frame numbers that are not whole
        numbers.
    OutputError
        Its folder cannot be written.

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
        self._lock_path = self.path.with_name(f".{self.path.name}.lock")
        if self.path.exists() and not (os.access(self.path, os.W_OK)
                                       and self.path.stat().st_mode & 0o222):
            raise DatasetError(f"{self.path} is read-only: make it writable, or label into "
                               "another file (-a)")
        with self._locked() as lock:
            for stale in temporary_files(self.path):
                stale.unlink()
            self.other_sessions = self._register(lock, join=True)
            self._rows, self._columns, self._bom = self._read()

    def close(self):
        """End the session: other sessions opening the file no longer see this one."""
        with self._locked() as lock:
            self._register(lock, join=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def reload(self):
        """Re-read the file, with the answers other sessions gave meanwhile."""
        self._rows, self._columns, self._bom = self._read()

    def get(self, file, start, end):
        """The label of a rep, ``""`` if it was skipped, None if never answered."""
        row = self._rows.get((str(file), int(start), int(end)))
        return None if row is None else row["label"]

    def find(self, file, start, end):
        """Like :meth:`get`, also finding the answer of a rep whose bounds were moved.

        A row of the same file overlapping the rep by more than half the
        longer of the two is its answer.
        """
        exact = self.get(file, start, end)
        if exact is not None:
            return exact
        for (other, first, last), row in self._rows.items():
            overlap = min(last, int(end)) - max(first, int(start))
            if other == str(file) and overlap > 0.5 * max(last - first, int(end) - int(start)):
                return row["label"]
        return None

    def set(self, file, start, end, label, **cells):
        """Record an answer (``""`` for a skip) in the file, with other ``cells`` of its row.

        A cell of a column the file lacks adds the column.
        """
        self.set_many([(file, start, end, label)], **cells)

    def set_many(self, answers, **cells):
        """Record several answers ``(file, start, end, label)`` in one rewrite of the file."""
        self._change({(str(f), int(a), int(b)): (label, cells) for f, a, b, label in answers})

    def remove(self, file, start, end):
        """Forget an answer (undo) in the file."""
        self._change({(str(file), int(start), int(end)): None})

    def __len__(self):
        return len(self._rows)

    def labelled(self) -> int:
        """Number of reps with a label (skips not counted)."""
        return sum(1 for row in self._rows.values() if row["label"])

    # -- the file ---------------------------------------------------------------------------
    def _change(self, changes):
        """Apply ``changes`` (key -> (label, cells), None to remove) to the file as it is now."""
        if not changes:
            return
        with self._locked():
            rows, columns, bom = self._read()
            for key, change in changes.items():
                if change is None:
                    rows.pop(key, None)
                    continue
                label, cells = change
                new = {"file": key[0], "start": str(key[1]), "end": str(key[2])}
                rows.setdefault(key, new).update(cells, label=label)
                columns += [name for name in cells if name not in columns]
            self._write(rows, columns, bom)
            self._rows, self._columns, self._bom = rows, columns, bom

    @contextlib.contextmanager
    def _locked(self):
        try:
            handle = open(self._lock_path, "a+", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write in {self.path.parent} "
                              f"({exc.strerror or exc})") from None
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield handle

    @staticmethod
    def _register(lock, join) -> list:
        """Update the live sessions' process ids kept in the lock file; return the others."""
        lock.seek(0)
        alive = {int(word) for word in lock.read().split() if word.isdigit() and _alive(int(word))}
        others = sorted(alive - {os.getpid()})
        lock.seek(0)
        lock.truncate()
        lock.write(" ".join(map(str, others + ([os.getpid()] if join else []))))
        return others

    def _read(self):
        """Rows by (file, start, end), the columns, and whether the file starts with a BOM."""
        return _read_file(self.path)

    def _write(self, rows, columns, bom):
        buffer = io.StringIO()
        buffer.write("\ufeff" if bom else "")
        writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180; quotes any \r or \n
        writer.writerow([escape_formula(name) for name in columns])
        for key in sorted(rows):
            writer.writerow([escape_formula(rows[key].get(name, "")) for name in columns])
        with atomic_write(self.path, "w") as handle:
            handle.write(buffer.getvalue())


def _read_file(path):
    """Rows by (file, start, end), the columns, and whether the file starts with a BOM."""
    if not path.exists():
        return {}, list(FIELDS), False
    text = read_annotation_text(path)
    bom = text.startswith("\ufeff")
    try:
        lines = [row for row in csv.reader(io.StringIO(text[1:] if bom else text)) if row]
    except csv.Error as exc:
        raise DatasetError(f"{path}: not a readable CSV ({exc})") from None
    columns = [unescape_formula(name) for name in lines[0]] if lines else list(FIELDS)
    if set(FIELDS) - set(columns) or len(set(columns)) != len(columns):
        raise DatasetError(f"{path}: not an annotation CSV (needs the columns "
                           f"{','.join(FIELDS)}, each once)")
    rows = {}
    for number, cells in enumerate(lines[1:], start=2):
        row = _row(path, cells, columns, number)
        rows[(row["file"], int(row["start"]), int(row["end"]))] = row
    return rows, columns, bom


def _row(path, cells, columns, number) -> dict:
    if len(cells) < len(columns) or any(cells[len(columns):]):
        raise DatasetError(f"{path}: row {number} has {len(cells)} cells; the header "
                           f"has {len(columns)}")
    row = dict(zip(columns, (unescape_formula(cell) for cell in cells)))
    try:
        int(row["start"]), int(row["end"])
    except ValueError:
        raise DatasetError(f"{path}: row {number}: start and end must be frame "
                           f"numbers, got {row['start']!r}, {row['end']!r}") from None
    return row


def read_annotations(path) -> list:
    """The rows of an annotation CSV as dicts of its columns (cells unescaped), in file order.

    Reads only: no lock, no session, a read-only file is fine.

    Raises
    ------
    DatasetError
        Not UTF-8, lacks the columns, or a row of another length than the header.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such annotation CSV")
    return list(_read_file(path)[0].values())


def _alive(pid) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:          # alive, another user's
        pass
    return True


@dataclass(frozen=True)
class RepToLabel:
    """One rep offered for labelling.

    Attributes
    ----------
    file : str
        The recording, as the annotation CSV names it.
    start, end : int
        Frames of the recording (end exclusive).
    fps : float
    driving : numpy.ndarray
        The driving signal over the rep.
    number : int
        Position in the recording, from 1.
    driving_channels : tuple of str
    recording : numpy.ndarray or None
        The driving signal over the whole recording, so the bounds can be moved
        (None: they cannot).
    whole : str
        For a recording in which no rep was found and which is offered as one
        rep: why no rep was found; ``""`` for a rep found.
    suggestion : Suggestion or None
        A model's guess (see :mod:`formcheck.apps.suggestions`).
    """

    file: str
    start: int
    end: int
    fps: float
    driving: np.ndarray
    number: int
    driving_channels: tuple = ()
    recording: np.ndarray | None = None
    whole: str = ""
    suggestion: object = None

    def describe(self, exercise) -> str:
        """Rep number, time range, a sparkline of the driving signal and its key numbers."""
        turning = self.driving.min() if exercise.phase == "min" else self.driving.max()
        channels = self.driving_channels or exercise.driving_channels
        name = " / ".join(channels).replace("_", " ")
        values = [format_value(channels[0], v, unit=False)
                  for v in (self.driving[0], turning, self.driving[-1])]
        unit = channel_unit(channels[0])
        what = f"the whole recording as one rep (no rep found: {self.whole})" if self.whole \
            else f"rep {self.number}"
        guess = f"\n  suggestion: {self.suggestion}  [{ACCEPT}] accepts it" \
            if self.suggestion is not None else ""
        return (f"{self.file} {what}: {self.start / self.fps:.1f}-"
                f"{self.end / self.fps:.1f} s ({(self.end - self.start) / self.fps:.1f} s)\n"
                f"  {sparkline(self.driving)}\n"
                f"  {name}: {' -> '.join(values)}{unit}{guess}")

    def nudged(self, key) -> "RepToLabel":
        """The rep with a bound moved by :data:`NUDGE_SECONDS` as ``key`` (of :data:`NUDGES`) says.

        The bounds stay inside the recording, two frames apart at least.
        """
        bound, sign = NUDGES[key]
        step = sign * max(1, round(NUDGE_SECONDS * self.fps))
        start, end = self.start, self.end
        if bound == "start":
            start = min(max(0, start + step), end - 2)
        else:
            end = max(min(len(self.recording), end + step), start + 2)
        return dataclasses.replace(self, start=start, end=end,
                                   driving=self.recording[start:end])


class LabelSession:
    """Ask for a label for every rep not yet answered; answers go straight to disk.

    Parameters
    ----------
    store : AnnotationStore
    exercise : Exercise
    reps : list of RepToLabel
        All reps of the files being labelled, in the order to ask them.
    classes : list of str, optional
        The classes offered, in key order (default: the exercise's, correct
        first); each must be a class of the exercise.

    Notes
    -----
    Keys: ``1``..``9`` for the classes, ``a`` accepts the suggestion shown,
    ``[`` / ``]`` move the rep's start earlier / later and ``<`` / ``>`` its
    end (by :data:`NUDGE_SECONDS`), ``s`` skip, ``u`` undo the previous
    answer, ``q`` quit. Answers already in the store (bounds moved included)
    are not asked again, so a second session resumes where the first stopped.

    Raises
    ------
    InputError
        A class of ``classes`` is not one of the exercise's.
    """

    def __init__(self, store, exercise, reps, classes=None):
        self.store, self.exercise, self.reps = store, exercise, list(reps)
        labels = exercise.labels if classes is None else [
            _known_label(exercise, label) for label in classes]
        self.keys = {str(i + 1): label for i, label in enumerate(labels[:9])}

    def legend(self) -> str:
        """One line listing the keys."""
        choices = "  ".join(f"[{k}] {label}" for k, label in self.keys.items())
        accept = f"  [{ACCEPT}] accept" if any(r.suggestion is not None for r in self.reps) else ""
        nudge = "  [ ] move the start  < > move the end" if any(
            r.recording is not None for r in self.reps) else ""
        return f"{choices}{accept}{nudge}  [s] skip  [u] undo  [q] quit"

    def pending(self) -> list:
        """Reps with no answer yet."""
        return [r for r in self.reps if self.store.find(r.file, r.start, r.end) is None]

    def run(self, ask, say=print, play=None) -> int:
        """Ask until every rep is answered or the user quits; return answers given.

        Keys typed ahead arrive together (``"121"``) and are taken as answers in
        order; white space is ignored. A rep another session answered meanwhile
        is not asked.

        Parameters
        ----------
        ask : callable
            ``ask(prompt) -> str`` returns the keys pressed (e.g. ``click.getchar``);
            ``""`` means the input ended.
        say : callable
            Prints a line.
        play : callable, optional
            ``play(rep) -> str`` shows the rep and returns the key pressed
            while it played (e.g. :class:`formcheck.apps.preview.RepPlayer`); it
            then replaces ``ask``.
        """
        history, answered, typed = [], 0, collections.deque()
        queue = self.pending()
        if self.store.other_sessions:
            others = ", ".join(map(str, self.store.other_sessions))
            say(f"another labelling session (process {others}) is using {self.store.path}; "
                "the answers of both are kept")
        say(f"{len(queue)} of {len(self.reps)} reps to label. {self.legend()}")
        shown = None
        while queue:
            rep = queue[0]
            self.store.reload()
            if self.store.find(rep.file, rep.start, rep.end) is not None:
                queue.pop(0)                   # answered by another session meanwhile
                continue
            if rep is not shown:
                say(rep.describe(self.exercise))
                shown = rep
            key = self._next_key(typed, lambda: play(rep) if play is not None else ask("label? "))
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
            if key in NUDGES and rep.recording is not None:
                queue[0] = rep.nudged(key)
                continue
            answer = self._answer(rep, key)
            if answer is None:
                say(f"  unknown key {key!r}. {self.legend()}")
                continue
            label, cells = answer
            self.store.set(rep.file, rep.start, rep.end, label, **cells)
            history.append(queue.pop(0))
            answered += 1
        say(f"{self.store.labelled()} reps labelled in {self.store.path}")
        return answered

    def _answer(self, rep, key):
        """(label, cells of the row) for a key, or None for a key that is no answer."""
        guess = "" if rep.suggestion is None else str(rep.suggestion)
        if key == SKIP:
            return "", {"answer": "", "suggestion": guess}
        if key in self.keys:
            return self.keys[key], {"answer": "typed", "suggestion": guess}
        if key == ACCEPT and rep.suggestion is not None:
            return _known_label(self.exercise, rep.suggestion.label), {
                "answer": "accepted", "suggestion": guess}
        return None

    @staticmethod
    def _next_key(typed, read) -> str:
        """The next key typed, reading more when none is waiting; ``""`` at the end of input."""
        while not typed:
            keys = read()
            if not keys:
                return ""
            typed.extend(key.lower() for key in keys if not key.isspace())
        return typed.popleft()

    def label_all(self, label) -> int:
        """Give every pending rep the same label, without questions."""
        full = _known_label(self.exercise, label)
        pending = self.pending()
        self.store.set_many([(rep.file, rep.start, rep.end, full) for rep in pending],
                            answer="given")
        return len(pending)


def _known_label(exercise, label) -> str:
    """``label`` with its exercise prefix, when it is one of the exercise's classes.

    Raises
    ------
    InputError
        It is not; the message lists the classes.
    """
    full = label if label in exercise.classes else exercise.full_label(str(label).strip())
    if full not in exercise.classes:
        raise InputError(f"{label!r} is not a class of {exercise.name}: "
                         f"{', '.join(exercise.labels)}")
    return full


def file_name(path, relative_to) -> str:
    """How the annotation CSV names a recording: its path relative to the CSV's folder."""
    return os.path.relpath(Path(path).resolve(), Path(relative_to).resolve())


def reps_to_label(path, pose, exercise, relative_to, *, whole=False) -> list:
    """The reps of one recording as :class:`RepToLabel` items (file relative to the CSV).

    With ``whole``, a recording in which no rep is found gives one rep from its
    first frame to its last (see :func:`whole_recording`).
    """
    angles, reps = cut_recording(pose, exercise)
    name = file_name(path, relative_to)
    if not reps:
        return [whole_recording(name, angles, exercise, pose)] if whole else []
    return [RepToLabel(name, rep.start, rep.end, angles.fps, rep.driving_signal, rep.index + 1,
                       rep.driving, _mean_signal(angles, rep.driving)) for rep in reps]


def whole_recording(name, angles, exercise, pose=None) -> RepToLabel:
    """A recording's joint angles as one rep to label, saying why no rep was found in it."""
    channels = driving_channels(angles, exercise)
    signal = _mean_signal(angles, channels)
    return RepToLabel(name, 0, len(angles), angles.fps, signal, 1, channels, signal,
                      whole=no_rep_reason(angles, exercise, pose=pose))


def _mean_signal(angles, channels) -> np.ndarray:
    return np.mean([angles[c] for c in channels], axis=0)


def summarise_annotations(path, exercise=None) -> str:
    """Counts per class and per file of an annotation CSV, to check a labelling campaign.

    Parameters
    ----------
    path : str or os.PathLike
    exercise : Exercise, optional
        Labels that are not among its classes are listed.

    Returns
    -------
    str
        Lines: the totals; per class its reps, recordings and how many answers
        were typed, accepted from a suggestion or given by ``--label``; per
        file its reps by class and its skips.
    """
    rows = read_annotations(path)
    labelled = [row for row in rows if row["label"]]
    classes = collections.Counter(row["label"] for row in labelled)
    n_files = len({row["file"] for row in rows})
    lines = [f"{path}: {len(labelled)} {_plural(len(labelled), 'rep')} labelled, "
             f"{len(rows) - len(labelled)} skipped, in {n_files} {_plural(n_files, 'file')}",
             "per class:"]
    width = max(map(len, classes), default=0)
    for label, count in sorted(classes.items()):
        mine = [row for row in labelled if row["label"] == label]
        how = collections.Counter(row.get("answer") for row in mine if row.get("answer"))
        answers = f"  ({', '.join(f'{n} {k}' for k, n in sorted(how.items()))})" if how else ""
        unknown = "" if exercise is None or exercise.full_label(label) in exercise.classes else \
            f"  not a class of {exercise.name}"
        files = len({row["file"] for row in mine})
        lines.append(f"  {label:{width}s}  {count:4d} {_plural(count, 'rep'):4s}  {files:3d} "
                     f"{_plural(files, 'file'):5s}{answers}{unknown}")
    lines.append("per file:")
    for file in sorted({row["file"] for row in rows}):
        mine = [row for row in rows if row["file"] == file]
        counts = collections.Counter(row["label"] or "skipped" for row in mine)
        lines.append(f"  {file}: " + ", ".join(f"{label} {n}"
                                               for label, n in sorted(counts.items())))
    return "\n".join(lines)


def _plural(count, word) -> str:
    return word if count == 1 else f"{word}s"
