"""File helpers: atomic writes, the cache and config directories, spreadsheet-safe CSV cells."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import secrets
import shutil
import stat
import sys
import tempfile
from pathlib import Path

from .errors import DatasetError, OutputError

__all__ = ["atomic_write", "make_folder", "cache_dir", "config_dir", "temporary_files",
           "read_annotation_text", "escape_formula", "unescape_formula"]

logger = logging.getLogger("formcheck")

#: First characters that make a spreadsheet read a CSV cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED = (*FORMULA_STARTS, "'")
_FALLBACK_CACHE: list = []


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """Open a temporary file beside ``path`` and move it into place on success.

    A reader never sees a half-written file, and an interrupted write leaves the
    previous version of ``path`` untouched. The new file keeps the permissions
    of the one it replaces (a new file gets the usual ones, after the umask).
    Missing parent folders are created.

    Parameters
    ----------
    path : str or os.PathLike
        Final destination.
    mode : {"wb", "w"}
        Binary or text mode.

    Yields
    ------
    file object
        Open handle to the temporary file.

    Raises
    ------
    OutputError
        The file cannot be written (a read-only folder, a parent that is a
        file, a full disk); ``path`` is unchanged.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "labels.csv"
    >>> with atomic_write(target, "w") as fh:
    ...     _ = fh.write("file,start,end,label\\n")
    >>> target.read_text().splitlines()[0]
    'file,start,end,label'
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_name, handle = _temporary_beside(path, mode)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({_reason(exc, path)})") from None
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp_name, stat.S_IMODE(path.stat().st_mode))
        os.replace(tmp_name, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(f"{path}: cannot write ({_reason(exc, path)}); the previous "
                              "file, if any, is unchanged") from None
        raise


def make_folder(path) -> Path:
    """Create folder ``path`` (and its parents) for outputs, if missing.

    Raises
    ------
    OutputError
        It cannot be created (a read-only parent, or a file in the way).
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path}: cannot create the output folder "
                          f"({_reason(exc, path / 'x')})") from None
    return path


def _temporary_beside(path: Path, mode):
    """A new file ``.<name>.<random>.tmp`` beside ``path`` (mode 0666 less the umask)."""
    while True:
        name = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        text = "b" not in mode
        return name, os.fdopen(fd, mode, encoding="utf-8" if text else None,
                               newline="" if text else None)


def temporary_files(path) -> list:
    """The temporary files :func:`atomic_write` leaves beside ``path`` when killed mid-write."""
    path = Path(path)
    return sorted(path.parent.glob(f".{path.name}.*.tmp"))


def _reason(exc: OSError, path=None) -> str:
    """Why ``path`` could not be written: a file where a folder should be, or the OS's words."""
    if path is not None and isinstance(exc, (FileExistsError, NotADirectoryError)):
        blocking = next((parent for parent in Path(path).parents
                         if parent.exists() and not parent.is_dir()), None)
        if blocking is not None:
            return f"{blocking} is a file, not a folder"
    return exc.strerror or str(exc)


def cache_dir(subdir: str = "") -> Path:
    """Return formcheck's cache directory, creating it if needed.

    The location is ``$FORMCHECK_CACHE_DIR`` when set, otherwise
    ``$XDG_CACHE_HOME/formcheck`` or ``~/.cache/formcheck``; never inside
    site-packages. When that cannot be created or written (read-only, a
    file, no home folder), a warning is logged and a temporary folder,
    deleted at exit, is used instead: nothing is cached between runs.

    Parameters
    ----------
    subdir : str
        Optional sub-folder (for example ``"poses"`` or ``"models"``).

    Returns
    -------
    pathlib.Path
    """
    root = os.environ.get("FORMCHECK_CACHE_DIR")
    if root is None:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(base) / "formcheck"
    path = Path(root) / subdir
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(13, "not writable")
    except (OSError, RuntimeError) as exc:  # RuntimeError: Path.home() without a home
        fallback = _fallback_cache() / subdir
        fallback.mkdir(parents=True, exist_ok=True)
        logger.warning("formcheck: warning: cache folder %s is not usable (%s); nothing is "
                       "cached between runs (set FORMCHECK_CACHE_DIR to a writable folder)",
                       path, _reason(exc) if isinstance(exc, OSError) else exc)
        return fallback
    return path


def config_dir() -> Path:
    """Return formcheck's configuration directory (not created).

    ``$FORMCHECK_CONFIG_DIR`` when set; otherwise the platform's place for a
    user's settings: ``%APPDATA%\\formcheck`` on Windows,
    ``~/Library/Application Support/formcheck`` on macOS, and
    ``$XDG_CONFIG_HOME/formcheck`` or ``~/.config/formcheck`` elsewhere.
    """
    root = os.environ.get("FORMCHECK_CONFIG_DIR")
    if root:
        return Path(root)
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "formcheck"


def _fallback_cache() -> Path:
    if not _FALLBACK_CACHE:
        folder = Path(tempfile.mkdtemp(prefix="formcheck-cache-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _FALLBACK_CACHE.append(folder)
    return _FALLBACK_CACHE[0]


def read_annotation_text(path: Path) -> str:
    """An annotation CSV's whole text, decoded as UTF-8 (a leading BOM kept).

    Raises
    ------
    DatasetError
        The file cannot be read, or is not UTF-8 text.
    """
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: not UTF-8 text; save it as a UTF-8 CSV") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read annotations: {exc.strerror or exc}") from None


def escape_formula(cell: str) -> str:
    """Make a CSV cell safe to open in a spreadsheet: a leading ``'`` before ``= + - @``.

    A cell starting with one of :data:`FORMULA_STARTS` would run as a formula
    (CSV injection); a cell starting with ``'`` gets one more, so that
    :func:`unescape_formula` gives every text back exactly.

    Examples
    --------
    >>> escape_formula("=HYPERLINK(1)"), escape_formula("squat/correct")
    ("'=HYPERLINK(1)", 'squat/correct')
    >>> unescape_formula(escape_formula("-clip.mp4"))
    '-clip.mp4'
    """
    return "'" + cell if cell.startswith(_ESCAPED) else cell


def unescape_formula(cell: str) -> str:
    """Undo :func:`escape_formula`: drop the ``'`` before a formula character or a ``'``."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_ESCAPED) else cell
