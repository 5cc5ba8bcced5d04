"""Fixtures for the bank's service, CLI and page tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def ctx(app):
    """A request context for services that translate messages (not for client tests:
    requests inside it would share its app context and database session)."""
    with app.test_request_context():
        yield app
