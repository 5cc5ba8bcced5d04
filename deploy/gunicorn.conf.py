"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py exam_server.wsgi:app`.

The app reads its own settings from EXAM_* variables (an unknown EXAM_ name stops it), so the
few server knobs here use gunicorn's usual names instead:

    GUNICORN_BIND      address to listen on            (default 127.0.0.1:8000, behind nginx)
    WEB_CONCURRENCY    worker processes                (default: from cores, see below)
    GUNICORN_THREADS   threads per worker              (default 16)
    GUNICORN_CMD_ARGS  any other gunicorn option, e.g. "--log-level debug"

Keep workers × (threads + 2) (the save batches use one or two more per worker) inside
PostgreSQL's max_connections:
see deploy/postgres/exam.conf and deploy/README.md.
"""

from __future__ import annotations

import ipaddress
import os

# --- sizing ---------------------------------------------------------------------------------


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # honours CPU limits set on the service
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers(database_url: str, cores: int) -> int:
    """Workers for this machine: 2 × cores + 1 on PostgreSQL, 2 on SQLite."""
    # SQLite has one writer at a time: more processes only queue on its lock (as `examctl run`).
    if not database_url or database_url.startswith("sqlite"):
        return 2
    return 2 * cores + 1


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = int(
    os.environ.get("WEB_CONCURRENCY")
    or default_workers(os.environ.get("EXAM_DATABASE_URL", ""), _cores())
)
# Threads: an answer save spends most of its time waiting for the commit, not on the CPU.
# gthread, with new connections waiting in the poller, not in a thread (see the module).
worker_class = "exam_server.gunicorn_worker.PollingThreadWorker"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
# Each worker accepts this many open connections; idle kept-alive ones do not hold a thread.
worker_connections = 1000

# --- timeouts -------------------------------------------------------------------------------

# A request that runs longer than this is a stuck worker (saves take milliseconds; the slow
# pages, such as a council export, stay well under it).
timeout = 60
# On restart, requests in flight (an answer being committed) get this long to finish.
graceful_timeout = 20
# Longer than nginx's upstream keepalive_timeout (60 s): nginx must be the side that closes
# an idle connection, or it may send a request on a socket gunicorn is closing (a 502 on a
# save the terminal then has to replay).
keepalive = 75

# --- process model --------------------------------------------------------------------------

# Load the app once in the master and fork it: less memory and a fast, uniform start. The
# engine (connection pool) must not cross the fork, hence post_fork below. Code changes need
# `systemctl restart exam`, not a reload.
preload_app = True
proc_name = "exam"
# systemctl is the control interface. gunicorn ≥ 25.1 would otherwise open a control socket
# at one path per user ($HOME/.gunicorn), which two instances on one machine would share.
control_socket_disable = True
# The workers' heartbeat files in memory, not on a disk that may stall under load.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# --- logging (journald collects stdout/stderr under systemd) ---------------------------------

accesslog = "-"
errorlog = "-"
loglevel = "info"
# Client address as nginx saw it, the request, status, bytes and the time taken in ms.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms'


# --- hooks ----------------------------------------------------------------------------------


def _flask_app(wsgi_app):
    """Return the Flask app inside `wsgi_app`, unwrapping middleware that keeps `.app`."""
    found = wsgi_app
    while not hasattr(found, "extensions") and hasattr(found, "app"):
        found = found.app
    return found


def post_fork(server, worker):
    """Give each worker a fresh connection pool: connections never cross a fork."""
    app = _flask_app(worker.app.wsgi())  # the preloaded app, or loaded now without preload
    # close=False: the parent's connections (if any) belong to the parent; only forget them.
    app.extensions["exam_db"].dispose(close=False)


class TrustedProxy:
    """Take the client address from X-Forwarded-For only when nginx (a trusted peer) sent it.

    Staff pages can be limited to networks (EXAM_STAFF_NETWORKS) and audit rows record the
    client address: behind nginx every request would otherwise come from 127.0.0.1. nginx
    replaces (never appends to) X-Forwarded-For, so exactly one hop is trusted.
    """

    def __init__(self, app, trusted: list[str]):
        from werkzeug.middleware.proxy_fix import ProxyFix

        self.app = app
        self.fixed = ProxyFix(app, x_for=1, x_proto=1, x_host=0)
        self.any = "*" in trusted
        self.networks = [ipaddress.ip_network(n, strict=False) for n in trusted if n != "*"]

    def trusts(self, address: str | None) -> bool:
        if self.any:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:  # a unix socket: only a local process can connect
            return bool(address is None or address == "")
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.trusts(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


def post_worker_init(worker):
    """Wrap the app so client addresses come from nginx (peers in forwarded_allow_ips)."""
    worker.wsgi = TrustedProxy(worker.wsgi, list(worker.cfg.forwarded_allow_ips))


def on_starting(server):
    server.log.info(
        "exam: %s workers × %s threads (%s), binding %s",
        server.cfg.workers,
        server.cfg.threads,
        server.cfg.worker_class_str,
        ", ".join(server.cfg.bind),
    )
