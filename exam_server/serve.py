"""Run the app under gunicorn from examctl (the same server production uses)."""

from __future__ import annotations

import multiprocessing

from flask import Flask
from gunicorn.app.base import BaseApplication

from exam_server.gunicorn_worker import WORKER_CLASS


class _Server(BaseApplication):
    def __init__(self, app: Flask, options: dict):
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def default_workers(database_url: str) -> int:
    # SQLite has one writer at a time: extra processes only queue on its lock.
    if database_url.startswith("sqlite"):
        return 2
    return multiprocessing.cpu_count() * 2 + 1


def serve(app: Flask, *, host: str, port: int, workers: int | None, threads: int) -> None:
    """Serve `app` with gunicorn's threaded workers until interrupted."""
    # Engines must not be shared across fork: each worker opens its own connections.
    app.extensions["exam_db"].dispose()
    options = {
        "bind": f"{host}:{port}",
        "workers": workers or default_workers(app.config["DATABASE_URL"]),
        "worker_class": WORKER_CLASS,
        "threads": threads,
        "timeout": 60,
        "graceful_timeout": 20,
        # Terminals pause between answers: keep their connections open longer than that.
        "keepalive": 75,
        # One control socket per user would be shared by every server on the machine.
        "control_socket_disable": True,
        "accesslog": "-",
        "post_fork": _post_fork,
    }
    _Server(app, options).run()


def _post_fork(_server, worker) -> None:
    worker.app.application.extensions["exam_db"].dispose(close=False)
