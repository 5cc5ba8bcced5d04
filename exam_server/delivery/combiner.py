"""Group commit for answer saves: the requests that arrive together share one transaction.

A room of terminals saves at the same moments (a question read, an answer chosen). Each save
alone would pay a transaction: round trips, a commit, a disk flush. Here the first request
thread that finds no batch running becomes the leader: it takes every save waiting at that
moment, runs them in its own database session and commits once; the others wait and are
answered only after that commit (acknowledged after commit, as before). While it works,
newcomers queue; when it finishes it hands the lead to the first of them. A request alone
(a quiet room, the tests) simply runs itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Job:
    """One request's work, and where its result comes back."""

    __slots__ = ("payload", "result", "error", "finished", "leads", "_wake")

    def __init__(self, payload: Any):
        self.payload = payload
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished = False
        self.leads = False
        # A held lock its thread blocks on while it waits (cheaper than an Event: one lock,
        # made only for a job that waits); released once, by finish() or by the hand-off.
        self._wake: Any = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error, self.finished = result, error, True
        self._release()

    def _release(self) -> None:
        wake, self._wake = self._wake, None
        if wake is not None:
            wake.release()


class Combiner:
    """Run jobs in batches; `run_batch(jobs)` must finish every job it is given."""

    def __init__(self, max_batch: int = 64):
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[Job] = []
        self._leading = False

    def run(self, job: Job, run_batch: Callable[[list[Job]], None]) -> Job:
        """Queue `job`, lead a batch when it is this thread's turn, return the finished job.

        An exception from `run_batch` becomes the error of each job it left unfinished.

        `run_batch` is the caller's own (it closes over the caller's database session): a
        thread that leads runs the batch with its own session.
        """
        wake = threading.Lock()
        with self._lock:
            self._queue.append(job)
            lead = not self._leading
            self._leading = True
            if not lead:  # set before any leader can take the job into a batch
                wake.acquire()
                job._wake = wake
        if not lead:
            wake.acquire()  # until finish() or the hand-off releases it
            if job.finished:
                return job
        self._lead(run_batch)
        return job

    def _lead(self, run_batch: Callable[[list[Job]], None]) -> None:
        with self._lock:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        failure: BaseException | None = None
        try:
            run_batch(batch)
        except Exception as exc:  # the batch's own; never the leader's alone to bear
            failure = exc
        finally:
            for job in batch:
                if not job.finished:  # nobody may wait for ever
                    job.finish(error=failure or RuntimeError("the save batch left this job"))
            with self._lock:
                if self._queue:
                    successor = self._queue[0]
                    successor.leads = True
                    successor._release()
                else:
                    self._leading = False
