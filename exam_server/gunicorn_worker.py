"""gunicorn's threaded worker, with new connections waiting in the poller instead of a thread.

Since gunicorn 24 the gthread worker hands every accepted connection straight to a pool
thread, which then waits up to five seconds for the first request (benoitc/gunicorn#3519;
#3634 and the open PR #3635 propose what this class does). A room's terminals connect before
the proctor starts it, and browsers open spare connections they may never use: the worker's
threads sat on silent sockets while requests on busy connections queued behind them. In the
start benchmark (1,000 papers opened over 10 s) that made p99 ten seconds with the workers a
third busy. Here a new connection waits in the worker's poller, as a kept-alive one does, and
takes a thread only when its request arrives; one that stays silent is closed after the
keep-alive time.
"""

from __future__ import annotations

import errno
import selectors
import time
from functools import partial

from gunicorn.workers.gthread import TConn, ThreadWorker

WORKER_CLASS = "exam_server.gunicorn_worker.PollingThreadWorker"
# A connection that sends nothing is closed after gunicorn's keep-alive time, at least this.
MIN_SILENT_SECONDS = 5


class PollingThreadWorker(ThreadWorker):
    def accept(self, listener) -> None:
        if not hasattr(self, "pending_conns"):  # gunicorn < 24 polls new connections itself
            return super().accept(listener)
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return None
        self.nr_conns += 1
        conn = TConn(self.cfg, client, address, listener.getsockname())  # non-blocking
        conn.timeout = time.monotonic() + max(self.cfg.keepalive, MIN_SILENT_SECONDS)
        self.pending_conns.append(conn)
        self.poller.register(
            client, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )
        return None
