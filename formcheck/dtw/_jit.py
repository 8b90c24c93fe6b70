"""numba set-up for the DTW kernels: where compiled code is cached, and a word when compiling.

The kernels (``@njit(cache=True)``) are compiled on first use and cached on
disk. The cache goes to formcheck's cache directory
(:func:`formcheck._files.cache_dir`, ``numba`` sub-folder: the user's cache,
never site-packages) unless ``NUMBA_CACHE_DIR`` is set already. numba reads
that variable when it is imported, so this module sets it before importing
numba, and every kernel module takes ``njit`` from here.

Compiling all the kernels takes from seconds to a minute; when it has taken
more than :data:`NOTICE_AFTER` seconds, "compiling DTW kernels, once" is
printed to stderr, once per process, so a first run does not look hung.
"""

import os
import sys
import threading

from .._files import cache_dir

if "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = str(cache_dir("numba"))

from numba import config, njit  # noqa: E402  (after NUMBA_CACHE_DIR is set)
from numba.core import event  # noqa: E402

__all__ = ["njit", "NOTICE_AFTER"]

#: Seconds of compiling before the notice is printed.
NOTICE_AFTER = 1.0
_PACKAGE = __name__.rpartition(".")[0]  # formcheck.dtw: the kernels the notice is about

config.reload_config()  # numba may have been imported before formcheck set the variable


class _CompileNotice(event.Listener):
    """Print one line when compiling formcheck's kernels takes more than ``delay`` seconds.

    numba sends a ``numba:compile`` event around every compilation (never
    around a load from its cache); nested ones (a kernel calling another) are
    counted, so the timer runs from the outermost start to its end.
    """

    def __init__(self, delay):
        self.delay = delay
        self._depth = 0
        self._timer = None
        self._said = False

    def on_start(self, ev):
        if not _is_formcheck_kernel(ev):
            return
        self._depth += 1
        if self._depth == 1 and not self._said:
            self._timer = threading.Timer(self.delay, self._say)
            self._timer.daemon = True
            self._timer.start()

    def on_end(self, ev):
        if not _is_formcheck_kernel(ev):
            return
        self._depth -= 1
        if self._depth == 0 and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _say(self):
        self._said = True
        print(f"formcheck: compiling DTW kernels, once (cached in {config.CACHE_DIR})",
              file=sys.stderr, flush=True)


def _is_formcheck_kernel(ev) -> bool:
    dispatcher = (ev.data or {}).get("dispatcher")
    module = getattr(getattr(dispatcher, "py_func", None), "__module__", None) or ""
    return module.startswith(_PACKAGE + ".")


event.register("numba:compile", _CompileNotice(NOTICE_AFTER))
