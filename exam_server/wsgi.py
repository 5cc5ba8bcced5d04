"""WSGI entry point for gunicorn in production: configuration comes from EXAM_* only."""

from exam_server.app import create_app

app = create_app()
