"""File helpers: atomic writes, the user cache directory and the user config directory."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "cache_dir", "config_dir"]


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """Open a temporary file beside ``path`` and move it into place on success.

    A reader never sees a half-written file, and an interrupted write leaves the
    previous version of ``path`` untouched.

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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding, newline=None if "b" in mode else "") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def cache_dir(subdir: str = "") -> Path:
    """Return formcheck's cache directory, creating it if needed.

    The location is ``$FORMCHECK_CACHE_DIR`` when set, otherwise
    ``$XDG_CACHE_HOME/formcheck`` or ``~/.cache/formcheck``; never inside
    site-packages.

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
    path.mkdir(parents=True, exist_ok=True)
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
