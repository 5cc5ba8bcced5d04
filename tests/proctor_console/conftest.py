"""Most console tests set up rooms without duty assignments; they run with unstaffed rooms open.

The strict rule (room staff see only the rooms they are on duty in, the default) is tested
in test_access.py, which opts out of this fixture.
"""

from __future__ import annotations

import pytest

from proctor_console import access


@pytest.fixture(autouse=True)
def unstaffed_rooms_open(request, monkeypatch):
    if request.module.__name__.endswith("test_access"):
        return
    monkeypatch.setattr(access, "UNSTAFFED_ROOMS_OPEN_TO_ROOM_STAFF", True)
