"""Fault tests run against a real gunicorn on the suite's database (SQLite, or PostgreSQL when
EXAM_TEST_DATABASE_URL is set); one server is shared and its candidates split between tests."""

from __future__ import annotations

import pytest

from tests.faults.harness import ServerHandle


# Package scope: the server is gone before later packages' tests (which recreate the same
# PostgreSQL e2e database through tests.e2e.conftest) start.
@pytest.fixture(scope="package")
def fault_server(tmp_path_factory):
    handle = ServerHandle(tmp_path_factory.mktemp("faults"), workers=2)
    handle.proctor()  # the demo room is started once, as on an exam morning
    yield handle
    handle.stop()
