"""Keep third-party libraries' log lines off the terminal (the command line's default).

MediaPipe (absl and glog in C++), TensorFlow Lite, FFmpeg inside OpenCV and
OpenCV itself write their log lines ("Feedback manager requires a model with a
single signature inference", "moov atom not found", "can't open camera by
index") straight to file descriptor 2, from C++ threads, bypassing Python and
ignoring environment variables such as ``GLOG_minloglevel``. So
:func:`quiet_third_party` points descriptor 2 at the null device and gives
Python's ``sys.stderr`` a copy of the original one: formcheck's own messages,
progress bars, warnings formcheck shows and tracebacks still reach the
terminal, native libraries' chatter does not. Python warnings from libraries
are ignored too.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import warnings

__all__ = ["quiet_third_party", "show_details"]


def quiet_third_party():
    """Silence native libraries' stderr and third-party Python warnings for this process.

    Does nothing to a ``sys.stderr`` that is not the process's descriptor 2
    (click's test runner, a notebook), so only a real command-line run is
    affected. Child processes (extraction workers) inherit the silenced
    descriptor.
    """
    warnings.simplefilter("ignore")
    try:
        if sys.stderr.fileno() != 2:
            return
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return
    sys.stderr.flush()
    terminal = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    sys.stderr = open(terminal, "w", buffering=1, encoding=sys.stderr.encoding,
                      errors="backslashreplace")


def show_details():
    """``--verbose``: leave native logs alone and show formcheck's own info messages."""
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
