"""One-file archives of JSON metadata plus NumPy arrays, never pickles.

An archive is a zip file holding ``meta.json`` and one ``.npy`` member per
array, the layout of ``numpy.savez`` plus a JSON member. Reading it runs no
code: arrays are parsed from their ``.npy`` header (numeric or fixed-width
string dtypes only, never objects). Model and dataset files use it; each
records the formcheck version that wrote it and a format number.

A file cannot make the reader exhaust the machine: the number of members, the
size of ``meta.json`` and the total uncompressed size (at most
:data:`MAX_RATIO` times the file's size, beyond :data:`MIN_TOTAL_BYTES`) are
checked from the zip directory before anything is inflated, and no member is
read past its declared size.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import tokenize
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ._files import atomic_write
from ._version import __version__
from .errors import FormcheckError, ModelFileError

__all__ = ["write_archive", "read_archive", "is_archive", "read_npz", "read_npy", "take_array",
           "MAX_MEMBERS", "MAX_META_BYTES", "MIN_TOTAL_BYTES", "MAX_RATIO"]

_META = "meta.json"
#: Most members an archive may hold.
MAX_MEMBERS = 256
#: Largest ``meta.json``, in bytes.
MAX_META_BYTES = 16 * 2**20
#: Uncompressed total always allowed, whatever the compression ratio.
MIN_TOTAL_BYTES = 64 * 2**20
#: Beyond :data:`MIN_TOTAL_BYTES`, the uncompressed total may be at most this times the file size.
MAX_RATIO = 100
_ARRAY_MEMBER = re.compile(r"^(meta\.json|[A-Za-z_][A-Za-z0-9_]*\.npy)$")
_NPZ_MEMBER = re.compile(r"^.+\.npy$", re.DOTALL)
_ARRAY_KINDS = "biufSU"            # bool, integers, floats, fixed-width bytes and text
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}
_CHUNK = 2**20
_PLAIN_FLAGS = 0x080E              # deflate options, data descriptor, UTF-8 names
_TAKE_KINDS = {"real": ("iuf", np.float64, "real numbers"), "int": ("iu", np.int64, "integers"),
               "text": ("U", None, "text")}


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
    header = {**meta, "kind": kind, "format_version": format_version,
              "formcheck_version": __version__}
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
        In native byte order.

    Raises
    ------
    ModelFileError
        Missing, truncated or corrupt file; members over the size limits, too
        many, encrypted or compressed with another method than deflate; a
        ``meta.json`` that is not a JSON object; a file of another kind, or
        one written by a newer formcheck (format version above ``format_version``).

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.fcm"
    >>> _ = write_archive(path, "model", 1, {"note": "hi"}, {"w": np.arange(3)})
    >>> meta, arrays = read_archive(path, "model", 1)
    >>> meta["note"], arrays["w"].tolist()
    ('hi', [0, 1, 2])
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    with _reading(path, f"not a readable formcheck {kind} file", ModelFileError), \
            zipfile.ZipFile(path) as zf:
        members = _checked_members(zf, path.stat().st_size, _ARRAY_MEMBER)
        if _META not in members:
            raise _Refused(f"no {_META}")
        meta = _read_meta(zf, members)
        _check_header(path, meta, kind, format_version)
        arrays = {name[:-4]: _read_member_array(zf, info)
                  for name, info in members.items() if name != _META}
    return meta, arrays


def is_archive(path) -> bool:
    """Whether ``path`` is a readable archive of :func:`write_archive` (of any kind).

    A NumPy ``.npz`` is a zip file too, but holds no ``meta.json``.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            return _META in zf.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return False


def read_npz(path, error) -> dict:
    """Every array of a NumPy ``.npz``, under the limits of :func:`read_archive`; no pickles.

    Parameters
    ----------
    path : str or os.PathLike
    error : type
        The :class:`~formcheck.errors.FormcheckError` subclass to raise.

    Returns
    -------
    dict of str to numpy.ndarray
        By name (the member name without ``.npy``), in native byte order.

    Raises
    ------
    error
        Not a readable ``.npz`` (corrupt, truncated, pickled arrays, over the limits).
    """
    path = Path(path)
    with _reading(path, "cannot read as a NumPy .npz archive", error), zipfile.ZipFile(path) as zf:
        members = _checked_members(zf, path.stat().st_size, _NPZ_MEMBER)
        return {name[:-4]: _read_member_array(zf, info) for name, info in members.items()}


def read_npy(path, error) -> np.ndarray:
    """The array of a NumPy ``.npy`` file, its size checked against its header; no pickles.

    Parameters
    ----------
    path : str or os.PathLike
    error : type
        The :class:`~formcheck.errors.FormcheckError` subclass to raise.

    Raises
    ------
    error
        Not a readable ``.npy`` (corrupt, truncated, pickled, sizes that do not match).
    """
    path = Path(path)
    with _reading(path, "cannot read as a NumPy array", error), open(path, "rb") as handle:
        return _read_array(handle, path.stat().st_size, "the array")


@contextlib.contextmanager
def _reading(path, failure, error):
    """Turn every way reading ``path`` can fail into one ``error``: the file, ``failure``, why."""
    try:
        yield
    except FormcheckError:
        raise
    except _Refused as exc:
        raise error(f"{path}: {failure} ({exc})") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, KeyError, ValueError,
            OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        # NotImplementedError, RuntimeError: a local header that disagrees with the
        # directory (compression method, encryption), which zipfile only sees on opening
        raise error(f"{path}: {failure} (corrupt or truncated: {exc})") from None


def take_array(arrays, name, shape, *, kind="real", positive=False, non_negative=False):
    """Remove array ``name`` from an archive's arrays, checked: shape, dtype and range.

    Parameters
    ----------
    arrays : dict of str to numpy.ndarray
        As :func:`read_archive` returns them; ``name`` is popped.
    name : str
    shape : tuple of int or None
        The expected shape; None allows any length along that axis.
    kind : {"real", "int", "text"}, default="real"
        Real numbers, all finite (returned as float64); integers (int64); or text.
    positive, non_negative : bool, default=False
        Every value must be > 0, or >= 0.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ModelFileError
        The array is missing, or its shape, dtype or values are not as expected.

    Examples
    --------
    >>> take_array({"w": np.ones((2, 3))}, "w", (2, None)).shape
    (2, 3)
    >>> take_array({"w": np.ones((3, 2))}, "w", (2, None))
    Traceback (most recent call last):
    ...
    formcheck.errors.ModelFileError: array 'w' has shape (3, 2); expected (2, any)
    """
    if name not in arrays:
        raise ModelFileError(f"no array {name!r}")
    array = arrays.pop(name)
    if array.ndim != len(shape) or any(want is not None and got != want
                                       for got, want in zip(array.shape, shape)):
        expected = ", ".join("any" if n is None else str(n) for n in shape)
        raise ModelFileError(f"array {name!r} has shape {array.shape}; expected "
                             f"({expected}{',' if len(shape) == 1 else ''})")
    kinds, dtype, words = _TAKE_KINDS[kind]
    if array.dtype.kind not in kinds:
        raise ModelFileError(f"array {name!r} has dtype {array.dtype}; expected {words}")
    if dtype is None:
        return array
    array = array.astype(dtype)
    if kind == "real" and not np.isfinite(array).all():
        raise ModelFileError(f"array {name!r} holds NaN or infinite values")
    if (positive and (array <= 0).any()) or (non_negative and (array < 0).any()):
        raise ModelFileError(f"array {name!r} holds values {'<= 0' if positive else '< 0'}")
    return array


class _Refused(Exception):
    """The archive breaks a rule of the format (said in the message)."""


def _checked_members(zf, file_bytes, member_names) -> dict:
    """Name -> ZipInfo of every member, after checking names, counts, sizes and methods."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _Refused(f"{len(infos)} members; at most {MAX_MEMBERS} allowed")
    members = {}
    for info in infos:
        name = info.filename
        if name in members:
            raise _Refused(f"member {name!r} appears twice")
        if not member_names.match(name):
            raise _Refused(f"unexpected member {name!r}")
        if info.flag_bits & 0x1:
            raise _Refused(f"member {name!r} is encrypted")
        if info.flag_bits & ~_PLAIN_FLAGS:
            raise _Refused(f"member {name!r} uses zip features formcheck does not read "
                           f"(flags {info.flag_bits:#06x})")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _Refused(f"member {name!r} uses compression method {info.compress_type}; "
                           "only stored or deflated members are read")
        members[name] = info
    if _META in members and members[_META].file_size > MAX_META_BYTES:
        raise _Refused(f"{_META} is {members[_META].file_size} bytes; at most "
                       f"{MAX_META_BYTES} allowed")
    total = sum(info.file_size for info in infos)
    allowed = max(MIN_TOTAL_BYTES, MAX_RATIO * file_bytes)
    if total > allowed:
        raise _Refused(f"the members inflate to {total} bytes, more than {allowed} allowed "
                       f"for a {file_bytes}-byte file (at most {MAX_RATIO} times its size)")
    return members


def _read_meta(zf, members) -> dict:
    with zf.open(members[_META]) as member:
        text = member.read(MAX_META_BYTES + 1)
    try:
        meta = json.loads(text.decode("utf-8"))
    except RecursionError:
        raise _Refused(f"{_META} is nested too deeply") from None
    except ValueError as exc:
        raise _Refused(f"{_META} is not valid UTF-8 JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise _Refused(f"{_META} holds a {type(meta).__name__}, not a JSON object")
    return meta


def _read_member_array(zf, info) -> np.ndarray:
    with zf.open(info) as member:
        return _read_array(member, info.file_size, info.filename)


def _read_array(stream, size, name) -> np.ndarray:
    """The ``.npy`` array in ``stream`` (``size`` bytes), checked against its header first."""
    version = np.lib.format.read_magic(stream)
    if version not in _HEADER_READERS:
        raise _Refused(f"{name}: unsupported .npy version {version}")
    try:
        shape, fortran_order, dtype = _HEADER_READERS[version](stream)
    except (tokenize.TokenError, SyntaxError, RecursionError) as exc:
        raise _Refused(f"{name}: unreadable .npy header ({exc})") from None
    if (dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.shape
            or not dtype.itemsize):
        raise _Refused(f"{name}: dtype {dtype} is not a plain numeric or string dtype")
    if any(n < 0 for n in shape):
        raise _Refused(f"{name}: negative shape {shape}")
    count, data_bytes = math.prod(shape), size - stream.tell()
    if count * dtype.itemsize != data_bytes:
        raise _Refused(f"{name}: the header's shape {shape} and dtype {dtype} do not match "
                       f"the {data_bytes} bytes of data")
    array = np.empty(count, dtype)
    _read_into(stream, array.view(np.uint8), name)
    array = array.reshape(shape, order="F" if fortran_order else "C")
    return array.astype(dtype.newbyteorder("="), copy=False)


def _read_into(member, buffer, name):
    position = 0
    while position < len(buffer):
        read = member.readinto(buffer[position:position + _CHUNK])
        if not read:
            raise _Refused(f"{name}: shorter than its declared size")
        position += read
    if member.read(1):
        raise _Refused(f"{name}: longer than its declared size")


def _check_header(path, meta, kind, format_version):
    if meta.get("kind") != kind:
        raise ModelFileError(f"{path}: holds a {meta.get('kind')!r}, expected a {kind!r}")
    written = meta.get("format_version")
    if not isinstance(written, int) or isinstance(written, bool):
        raise ModelFileError(f"{path}: has no valid format version")
    if written > format_version:
        raise ModelFileError(
            f"{path}: written by formcheck {meta.get('formcheck_version')} in {kind} format "
            f"{written}; this formcheck ({__version__}) reads up to format {format_version}. "
            "Upgrade formcheck to load it.")
