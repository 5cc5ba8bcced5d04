"""WSGI entry point for gunicorn in production: configuration comes from EXAM_* only."""

from exam_server.app import create_app
from exam_server.delivery.warmup import warm_up

app = create_app()
warm_up(app)  # before gunicorn forks its workers (preload_app): shared by all of them
