"""One-file archives of JSON metadata plus NumPy arrays, never pickles.

An archive is a zip file holding ``meta.json`` and one ``.npy`` member per
array, the layout of ``numpy.savez`` plus a JSON member. Reading it runs no
code: arrays are loaded with ``allow_pickle=False``. Model and dataset files use
it; each records the formcheck version that wrote it and a format number.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from ._files import atomic_write
from ._version import __version__
from .errors import ModelFileError

__all__ = ["write_archive", "read_archive", "is_archive"]

_META = "meta.json"


def write_archive(path, kind: str, format_version: int, meta: dict, arrays: dict) -> Path:
    """Atomically write ``meta`` and ``arrays`` to ``path``.

    Parameters
    ----------
    path : str or os.PathLike
    kind : str
        What the file holds (``"model"``, ``"rep-dataset"``), checked on read.
    format_version : int
        Version of the file layout; readers refuse newer ones.
    meta : dict
        JSON-serialisable metadata.
    arrays : dict of str to numpy.ndarray
        Numeric or fixed-width string arrays (no object arrays).
    """
    path = Path(path)
    header = {"kind": kind, "format_version": format_version,
              "formcheck_version": __version__, **meta}
    with atomic_write(path, "wb") as handle, zipfile.ZipFile(handle, "w",
                                                             zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_META, json.dumps(header, indent=1, sort_keys=True))
        for name, array in arrays.items():
            array = np.asarray(array)
            if array.dtype == object:
                raise TypeError(f"array {name!r} has dtype object; archives hold no pickles")
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            zf.writestr(f"{name}.npy", buffer.getvalue())
    return path


def read_archive(path, kind: str, format_version: int):
    """Read an archive written by :func:`write_archive`.

    Returns
    -------
    meta : dict
    arrays : dict of str to numpy.ndarray

    Raises
    ------
    ModelFileError
        Missing, truncated or corrupt file, a file of another kind, or one
        written by a newer formcheck (format version above ``format_version``).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as zf:
            meta = json.loads(zf.read(_META).decode("utf-8"))
            _check_header(path, meta, kind, format_version)
            arrays = {name[:-4]: np.lib.format.read_array(io.BytesIO(zf.read(name)),
                                                          allow_pickle=False)
                      for name in zf.namelist() if name.endswith(".npy")}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise ModelFileError(f"{path}: not a readable formcheck {kind} file "
                             f"(corrupt or truncated: {exc})") from None
    return meta, arrays


def is_archive(path) -> bool:
    """Whether ``path`` is a readable archive of :func:`write_archive` (of any kind).

    A NumPy ``.npz`` is a zip file too, but holds no ``meta.json``.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            return _META in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _check_header(path, meta, kind, format_version):
    if meta.get("kind") != kind:
        raise ModelFileError(f"{path}: holds a {meta.get('kind')!r}, expected a {kind!r}")
    written = meta.get("format_version")
    if not isinstance(written, int):
        raise ModelFileError(f"{path}: has no valid format version")
    if written > format_version:
        raise ModelFileError(
            f"{path}: written by formcheck {meta.get('formcheck_version')} in {kind} format "
            f"{written}; this formcheck ({__version__}) reads up to format {format_version}. "
            "Upgrade formcheck to load it.")
