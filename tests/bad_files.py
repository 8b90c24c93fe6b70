"""Hostile and malformed files for the hardening tests: zip bombs, broken archives, bad keypoints.

Imported by the tests (``tests/`` is on ``sys.path`` beside ``conftest.py``); every
function writes one file and returns its path.
"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

import formcheck
from formcheck.pose.readers import MAX_FRAMES, MAX_JOINTS

GIB = 2**30


def child_env(**variables) -> dict:
    """Environment for a child Python that imports this formcheck (not an installed one)."""
    root = str(Path(formcheck.__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **variables}


_MEASURE = """
import json, resource, sys, tracemalloc
from {module} import {function}
from formcheck.errors import {error}
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
try:
    {function}(sys.argv[1])
    message = None
except {error} as exc:
    message = str(exc)
traced_peak = tracemalloc.get_traced_memory()[1]
rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"message": message, "traced_peak": traced_peak,
                  "rss_growth": (rss_after - rss_before) * 1024}}))
"""


def measure_refusal(path, module, function, error) -> dict:
    """Call ``module.function(path)`` in a fresh interpreter: the message of the ``error`` it
    raised (None if it did not), and the memory the attempt took.

    ``traced_peak`` is tracemalloc's peak over the call (Python and NumPy
    allocations); ``rss_growth`` how far the process's peak resident set
    (``getrusage``, after the imports) rose during it.
    """
    code = _MEASURE.format(module=module, function=function, error=error)
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, check=True, env=child_env())
    return json.loads(done.stdout)


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


def _mediapipe_frames(**fields) -> str:
    return json.dumps({**fields, "frames": [[{"x": .5, "y": .5}] * 33] * 3})


#: Keypoint files of the QA report and their kin: (file name, content, what the error says).
BAD_KEYPOINT_FILES = [
    ("wide.csv", "x999999999,y999999999\n1,2\n", "joints per frame"),
    ("frame.csv", "frame,joint,x,y\n1e11,0,1,1\n", "not a frame number"),
    ("sparse.csv", f"frame,joint,x,y\n{MAX_FRAMES - 1},32,1,1\n", "would take"),
    ("joint.csv", "frame,joint,x,y\n0,99999999999,1,1\n", f"at most {MAX_JOINTS}"),
    ("short.csv", "frame,joint,x,y\n0,nose,1\n", "row 2 has 3 cells"),
    ("short-wide.csv", "x0,y0,x1,y1\n1,2,3,4\n1,2\n", "row 3 has 2 cells"),
    ("digits.csv", "x" + "9" * 5000 + ",y0\n1,2\n", "wide CSV needs x and y"),
    ("people.json", json.dumps({"people": 5}), "not an OpenPose keypoint file"),
    ("nested.json", json.dumps({"people": [{"pose_keypoints_2d": [[1, 2, 3]] * 25}]}),
     "flat list"),
    ("ragged.json", json.dumps({"people": [{"pose_keypoints_2d": [1, [2], 3]}]}), "flat list"),
    ("person.json", json.dumps({"people": ["me"]}), "flat list"),
    ("fps.json", _mediapipe_frames(fps="30"), "fps in .*fps.json must be a number"),
    ("size.json", _mediapipe_frames(image_size=640), "image_size"),
    ("negative.json", _mediapipe_frames(image_size=[-5, 0]), "image_size"),
    ("deep.json", nested_json(100_000).decode(), "nested too deeply"),
    ("digits.json", "[" + "9" * 5000 + "]", "not valid JSON"),
    ("landmarks.json", json.dumps([[{"x": [1], "y": 2}] * 33]), "frame 0 is not a list"),
]
