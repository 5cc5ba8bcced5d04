"""A room of identical PCs signs in at once; one account's wrong codes slow only that account."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.conftest import start_server, stop
from tests.e2e.sitting import csrf

IDENTICAL_HEADERS = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 exam-terminal",
    "Accept-Language": "vi-VN,vi;q=0.9",
}


@pytest.fixture(scope="module")
def room_server(tmp_path_factory):
    server, process = start_server(tmp_path_factory.mktemp("room"), candidates=40)
    yield server
    stop(process)


def sign_in(base: str, sbd: str, code: str) -> int:
    http = requests.Session()
    http.headers.update(IDENTICAL_HEADERS)
    page = http.get(base + "/login", timeout=60)
    answer = http.post(
        base + "/login",
        data={"csrf_token": csrf(page.text), "registration_number": sbd, "access_code": code},
        timeout=60,
        allow_redirects=False,
    )
    return answer.status_code


def test_forty_identical_terminals_sign_in_together(room_server):
    logins = [(sbd, code) for sbd, code, _name in room_server.candidates]
    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(lambda pair: sign_in(room_server.url, *pair), logins))
    assert statuses == [302] * 40  # every one reaches the waiting room


def test_wrong_codes_slow_down_only_that_account(room_server):
    (target, code, _), (neighbour, neighbour_code, _) = room_server.candidates[:2]
    statuses = [sign_in(room_server.url, target, "WRONGCOD") for _ in range(7)]
    assert statuses[:5] == [401] * 5
    assert statuses[-1] == 429  # further tries are delayed
    assert sign_in(room_server.url, target, code) == 429  # even the right code waits its turn
    assert sign_in(room_server.url, neighbour, neighbour_code) == 302  # the next PC is unaffected
