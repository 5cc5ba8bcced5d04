"""The exam platform's application: config, storage, models, auth, setup, delivery."""

from exam_server.app import create_app

__all__ = ["create_app"]
