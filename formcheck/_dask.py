"""joblib's Dask backend, made to report a task whose workers died and to stay on the cluster.

Imported only for ``backend="dask"`` (it needs the ``dask`` extra). Two
changes to joblib's (1.6) ``DaskDistributedBackend``:

* joblib registers a finished task through a callback that its Dask backend
  calls for results only: a task the scheduler gives up on (``KilledWorker``,
  its workers died ``distributed.scheduler.allowed-failures`` + 1 times) sets
  its future's exception and nothing else, so ``Parallel`` waits for ever.
  Here the exception goes to the callback too, and ``Parallel`` raises it
  like any task error.
* joblib runs the tasks in the calling process when the backend has one
  core, and counts a cluster's cores by submitting a probe task when none
  is connected (while workers restart, say). Here the count is at least 2
  and never probed, so the tasks always go to the cluster and wait there
  for a worker, and no probe task can be killed in the place of a file.
* joblib forgets the other tasks of a call that failed but leaves them on the
  cluster; here they are cancelled, so a second file that kills its worker
  does not go on killing workers while the files are run one at a time.
"""

from __future__ import annotations

from joblib._dask import DaskDistributedBackend

__all__ = ["ReportingDaskBackend"]


class ReportingDaskBackend(DaskDistributedBackend):
    """joblib's ``"dask"`` backend (the current ``distributed.Client``), failed tasks reported."""

    def submit(self, func, callback=None):
        future = super().submit(func, callback)
        if callback is not None:
            future.add_done_callback(lambda done: _report_failure(done, callback))
        return future

    def abort_everything(self, ensure_ready=True):
        unfinished = list(self._results)  # the Dask futures joblib has not collected
        super().abort_everything(ensure_ready)
        self.client.cancel(unfinished)

    def effective_n_jobs(self, n_jobs):
        return max(2, sum(self.client.ncores().values()))


def _report_failure(done, callback):
    """Hand a failed task's exception to joblib's callback, which registers it as the outcome."""
    if not done.cancelled() and done.exception() is not None:
        callback(done.exception())
