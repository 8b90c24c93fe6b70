"""Hostile and malformed files for the hardening tests: zip bombs, broken archives, bad keypoints.

Imported by the tests (``tests/`` is on ``sys.path`` beside ``conftest.py``); every
function writes one file and returns its path.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np

GIB = 2**30


def npy_bytes(array) -> bytes:
    """``array`` in ``.npy`` format (no pickle)."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def pickled_npy(payload) -> bytes:
    """An ``.npy`` of dtype object holding ``payload`` pickled (what no reader may unpickle)."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array([payload], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def write_zip(path, members, compression=zipfile.ZIP_DEFLATED) -> Path:
    """A zip of ``members`` (name -> bytes, or a dict/list dumped as JSON)."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            if not isinstance(data, bytes):
                data = json.dumps(data).encode()
            zf.writestr(name, data)
    return Path(path)


def model_header(**meta) -> dict:
    """The header fields of a formcheck model file, plus ``meta``."""
    return {"kind": "model", "format_version": 2, "formcheck_version": "0", **meta}


def inflating_member(path, name, n_bytes, prefix=b"", meta=None) -> Path:
    """A zip whose member ``name`` is ``prefix`` then zeros up to ``n_bytes`` (a zip bomb).

    Deflate shrinks the zeros about a thousand times: 1 GiB makes a file of about 1 MB.
    ``meta`` (a dict) is added as ``meta.json`` when ``name`` is not that.
    """
    chunk = bytes(2**20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if meta is not None:
            zf.writestr("meta.json", json.dumps(meta))
        with zf.open(name, "w", force_zip64=True) as member:
            member.write(prefix)
            left = n_bytes - len(prefix)
            while left > 0:
                member.write(chunk[:left])
                left -= len(chunk)
    return Path(path)


def npy_bomb(path, n_bytes=GIB) -> Path:
    """A model file whose ``mean.npy`` inflates to about ``n_bytes`` of float64 zeros."""
    count = n_bytes // 8
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (count,)})
    prefix = header.getvalue()
    return inflating_member(path, "mean.npy", len(prefix) + 8 * count, prefix,
                            meta=model_header(**{"class": "LearnedClassifier"}))


def meta_bomb(path, n_bytes=GIB) -> Path:
    """A model file whose ``meta.json`` is ``{}`` after ``n_bytes`` of spaces (valid JSON)."""
    return inflating_member(path, "meta.json", n_bytes, b"{}")


def patch_central_directory(path, *, flag_bits=None, method=None) -> Path:
    """Set the general-purpose flags or the compression method of every member, in place.

    Both the local headers and the central directory are patched, as a zip
    writer that set them would have written them.
    """
    data = bytearray(Path(path).read_bytes())
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = data.find(signature)
        while start != -1:
            if flag_bits is not None:
                struct.pack_into("<H", data, start + flag_at, flag_bits)
            if method is not None:
                struct.pack_into("<H", data, start + method_at, method)
            start = data.find(signature, start + 4)
    Path(path).write_bytes(bytes(data))
    return Path(path)


def nested_json(depth) -> bytes:
    """``[[[...]]]`` nested ``depth`` levels."""
    return b"[" * depth + b"]" * depth
