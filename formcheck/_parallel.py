"""One task per file through joblib, locally or on a Dask cluster, every failure kept per file.

:func:`run_per_file` is what :func:`formcheck.pose.extract_many` and
:meth:`formcheck.check.FormChecker.check_many` run on. The task is called as
``task(path, *args)`` and returns ``(path, result, error)``: it catches the
errors of a bad file itself, so a batch never stops at one. What it cannot
catch is its own worker process dying (a crash inside MediaPipe or FFmpeg, the
memory limit): joblib then abandons the batch (loky's
``TerminatedWorkerError``, a ``BrokenProcessPool``, or Dask's ``KilledWorker``
once the scheduler has retried the task on other workers), and the files not
finished run one at a time, each in a worker of its own, until the one that
kills its worker is found and reported as ``"WorkerCrash: ..."``; the rest go
back to running in parallel.

``backend="dask"`` sends the tasks to the Dask cluster of the current
``distributed.Client`` (joblib's Dask backend; the ``dask`` extra);
:func:`dask_client` makes that client from a scheduler address for the CLI.
"""

from __future__ import annotations

import logging
import sys
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, nullcontext

from joblib import Parallel, delayed, parallel_config
from joblib.externals.loky.process_executor import TerminatedWorkerError

from .errors import DependencyError, InputError

__all__ = ["run_per_file", "run_isolated", "worker_died", "dask_client", "DASK_INSTALL_HINT"]

logger = logging.getLogger("formcheck")

DASK_INSTALL_HINT = 'pip install "formcheck[dask]"'


def worker_died(exc: BaseException) -> bool:
    """Whether ``exc`` is joblib (or Dask) saying that a worker process died.

    Dask's ``KilledWorker`` can only have been raised once ``distributed`` is
    loaded, so it is looked up there instead of importing the extra.
    """
    if isinstance(exc, (TerminatedWorkerError, BrokenProcessPool)):
        return True
    distributed = sys.modules.get("distributed")
    return distributed is not None and isinstance(exc, distributed.KilledWorker)


def run_per_file(task, paths, args=(), *, n_jobs=1, backend=None, bar=None,
                 doing="processing", on_done=None) -> dict:
    """``{path: (result, error)}`` of ``task(path, *args)`` over ``paths``, in parallel.

    Parameters
    ----------
    task : callable
        ``task(path, *args) -> (path, result, error)``, ``error`` a message or None.
    paths : list of str
        The files, without duplicates.
    args : tuple
        Further arguments of every call (large ones are sent to a Dask
        cluster once, by joblib's scattering).
    n_jobs : int
        joblib workers (-1: every core, or every core of the Dask cluster).
    backend : str or joblib backend, optional
        None uses joblib's default or an enclosing ``joblib.parallel_config``.
    bar : tqdm.tqdm, optional
        Advanced once per finished file.
    doing : str
        The task in words, for the crash message ("extracting").
    on_done : callable, optional
        Called as ``on_done(path, result, error)`` in the calling process as
        each file finishes (in the order they finish), so a caller can keep
        each result at once: what is done survives a Ctrl-C.

    Returns
    -------
    dict
        Every path's ``(result, error)``; a path whose worker died has
        ``(None, "WorkerCrash: the worker process died while <doing> <path> (...)")``.
    """
    outcomes: dict = {}

    def record(path, result, error):
        outcomes[path] = (result, error)
        if on_done is not None:
            on_done(path, result, error)
        if bar is not None:
            bar.update()

    remaining = list(paths)
    while remaining:
        try:
            tasks = [delayed(task)(path, *args) for path in remaining]
            with _configured(backend):
                for path, result, error in _joblib_parallel(n_jobs)(tasks):
                    record(path, result, error)
            remaining = []
        except Exception as exc:
            if not worker_died(exc):
                raise
            remaining = [path for path in remaining if path not in outcomes]
            logger.warning("a worker process died (%s); running the %d unfinished files one at "
                           "a time until the one that crashed it is found",
                           type(exc).__name__, len(remaining))
            remaining = _isolate_until_crash(task, remaining, args, backend, doing, record)
    return outcomes


def _isolate_until_crash(task, paths, args, backend, doing, record) -> list:
    """Run ``paths`` one at a time until one crashes its worker; the paths after it."""
    for position, path in enumerate(paths):
        result, error, crashed = run_isolated(task, path, args, backend, doing)
        record(path, result, error)
        if crashed:
            return paths[position + 1:]
    return []


def run_isolated(task, path, args, backend, doing):
    """``(result, error, crashed)`` of one file in a worker of its own, so a crash names it."""
    try:
        # n_jobs=2, not 1: joblib runs a single task with n_jobs=1 in the calling process,
        # where a crash would end the whole batch instead of one worker.
        with _configured(backend):
            [(_, result, error)] = Parallel(n_jobs=2)([delayed(task)(path, *args)])
    except Exception as exc:
        if not worker_died(exc):
            raise
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return None, (f"WorkerCrash: the worker process died while {doing} {path} "
                      f"({type(exc).__name__}: {first_line})"), True
    return result, error, False


def _configured(backend):
    """joblib configured for ``backend``; None leaves it unchanged.

    ``"dask"`` is joblib's Dask backend made to report a task whose workers
    died (:mod:`formcheck._dask`, imported here: it needs the extra).
    """
    if backend is None:
        return nullcontext()
    if backend == "dask":
        try:
            from ._dask import ReportingDaskBackend  # needs the dask extra
        except ImportError as exc:
            raise DependencyError(f"the Dask backend needs dask.distributed: "
                                  f"{DASK_INSTALL_HINT}") from exc
        backend = ReportingDaskBackend()
    return parallel_config(backend=backend)


def _joblib_parallel(n_jobs):
    """A joblib Parallel yielding results as they finish when the backend allows it."""
    for return_as in ("generator_unordered", "generator"):
        try:
            return Parallel(n_jobs=n_jobs, return_as=return_as, batch_size=1)
        except ValueError:      # joblib before 1.4, or a backend without generator support
            continue
    return Parallel(n_jobs=n_jobs, batch_size=1)


@contextmanager
def dask_client(scheduler=None):
    """A ``distributed.Client`` of the cluster at ``scheduler``, closed on leaving.

    Inside, ``backend="dask"`` runs on that cluster. ``scheduler=None`` starts
    a local cluster (one worker process per core) for the time of the block.

    Raises
    ------
    DependencyError
        ``distributed`` is not installed (the ``dask`` extra).
    InputError
        No scheduler answers at ``scheduler`` within 10 s.
    """
    try:
        from distributed import Client  # the dask extra
    except ImportError as exc:
        raise DependencyError(f"the Dask backend needs dask.distributed: {DASK_INSTALL_HINT}"
                              ) from exc
    try:
        client = Client(scheduler, timeout=10) if scheduler else Client()
    except OSError as exc:  # includes the timeout of an address nobody answers at
        raise InputError(f"{scheduler}: no Dask scheduler answers at this address ({exc})"
                         ) from exc
    with client:
        yield client
