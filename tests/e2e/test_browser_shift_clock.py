"""Under the shift's clock, in a real browser: the session code, a late sign-in, time running
out, and a move to another computer.

The demo exam is switched to the scheduled clock: its shift began seven minutes ago (inside
the demo's ten minutes of late entry) and its session code is sealed. Every candidate types
the code; the first correct code starts the room.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from exam_server.db import make_engine
from exam_server.models import Answer, Attempt, Candidate, Exam, Shift
from exam_server.passwords import hash_secret
from tests.e2e.browser import VI_SAVED, Terminal, new_page, screenshot
from tests.e2e.conftest import start_server, stop

pytestmark = pytest.mark.e2e

SESSION_CODE = "MCT2026A"
LATE_BY = dt.timedelta(minutes=7)
PART_MINUTES = 30  # the demo's parts
GRACE_SECONDS = 3  # saves accepted after a deadline (this server's setting)
SLACK_SECONDS = 10  # between the server's reading of its clock and the test's

VI_TYPE_THE_CODE = "Khi giám thị 1 công bố mã ca thi"
VI_WRONG_CODE = "Mã ca thi không đúng"
VI_TIME_UP = "Đã hết giờ làm bài. Máy chủ đang thu bài."
VI_COLLECTED = "Phần thi này đã kết thúc."
VI_SUBMITTED_PART = "Đã nộp"
VI_IN_USE = "Anh/Chị đang đăng nhập trên một máy khác."
VI_MOVED_AWAY = "Bài thi của Anh/Chị đã được chuyển sang máy khác"


@contextmanager
def database(server) -> Iterator:
    engine = make_engine(server.env["EXAM_DATABASE_URL"])
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    server, process = start_server(
        tmp_path_factory.mktemp("shift-clock"),
        settings={"EXAM_SAVE_GRACE_SECONDS": str(GRACE_SECONDS)},
    )
    shift_start = dt.datetime.now(dt.UTC).replace(microsecond=0) - LATE_BY
    with database(server) as connection:
        connection.execute(update(Exam).values(clock_mode="scheduled"))
        connection.execute(
            update(Shift).values(
                starts_at=shift_start, session_code_hash=hash_secret(SESSION_CODE, 4)
            )
        )
    server.shift_start = shift_start
    yield server
    stop(process)


def candidate_id(server, sbd: str) -> int:
    with database(server) as connection:
        return connection.scalar(select(Candidate.id).where(Candidate.registration_number == sbd))


def attempt(server, attempt_id: int):
    with database(server) as connection:
        return connection.execute(select(Attempt).where(Attempt.id == attempt_id)).one()


def held_answers(server, attempt_id: int) -> dict[int, list]:
    with database(server) as connection:
        rows = connection.execute(
            select(Answer.position, Answer.response).where(Answer.attempt_id == attempt_id)
        )
        return {position: response for position, response in rows if response is not None}


def open_with_the_code(terminal: Terminal, sbd: str, code: str) -> dict:
    """Sign in, type the session code in the waiting room and open the paper."""
    terminal.sign_in(sbd, code)
    page = terminal.page
    page.fill("#session_code", SESSION_CODE.lower())  # as typed, in any case
    page.click("#start-button")
    page.wait_for_url("**/exam")
    expect(page.locator("#palette .cell").first).to_be_visible()
    return terminal.paper()


def choice_items(paper: dict) -> list[dict]:
    return [item for item in paper["items"] if item["type"] != "fill_blank"]


def timer_seconds(terminal: Terminal) -> int:
    minutes, seconds = re.search(r"(\d+):(\d\d)$", terminal.page.text_content("#timer")).groups()
    return int(minutes) * 60 + int(seconds)


def test_the_code_opens_the_paper_and_a_late_sign_in_keeps_the_shifts_end(
    live_server, terminal: Terminal, chromium
):
    page = terminal.page
    sbd, code, _name = live_server.candidates[0]
    terminal.sign_in(sbd, code)
    expect(page.locator('.wait-msg[data-when="waiting"]')).to_contain_text(VI_TYPE_THE_CODE)
    expect(page.locator("#start-button")).to_be_enabled()  # the code, not the proctor, starts
    screenshot(page, "10-session-code")

    page.fill("#session_code", "MCT2026B")
    page.click("#start-button")
    expect(page.locator(".flash-error")).to_contain_text(VI_WRONG_CODE)
    page.click("text=Quay lại")
    page.wait_for_url("**/wait")

    first = open_with_the_code(terminal, sbd, code)
    first_loaded = time.time()
    end = live_server.shift_start + dt.timedelta(minutes=PART_MINUTES)
    # Seven minutes late: 23 minutes left, not 30, counted to the shift's programmed end
    # (the margin is for a slow page load on a busy machine; a start-time clock is 7 min off).
    assert abs(first_loaded + first["seconds_left"] - end.timestamp()) < SLACK_SECONDS
    assert abs(timer_seconds(terminal) - first["seconds_left"]) < SLACK_SECONDS
    screenshot(page, "11-late-sign-in")

    time.sleep(3)  # a later arrival still: less time left, the same end
    context, later_page = new_page(chromium, live_server.url)
    later = Terminal(context=context, page=later_page)
    try:
        sbd2, code2, _ = live_server.candidates[1]
        second = open_with_the_code(later, sbd2, code2)
        second_loaded = time.time()
        assert second["seconds_left"] < first["seconds_left"] - 2
        assert abs(second_loaded + second["seconds_left"] - end.timestamp()) < SLACK_SECONDS
    finally:
        context.close()
    assert (
        attempt(live_server, first["attempt_id"]).deadline_base_at
        == attempt(live_server, second["attempt_id"]).deadline_base_at
    )


def test_when_the_time_runs_out_the_page_stops_and_the_server_collects_the_paper(
    live_server, terminal: Terminal
):
    page = terminal.page
    sbd, code, _name = live_server.candidates[2]
    paper = open_with_the_code(terminal, sbd, code)
    items = choice_items(paper)[:2]
    for item in items:
        terminal.go_to(paper["items"].index(item) + 1)
        terminal.answer(item, option=1)
    terminal.expect_saved()

    heartbeats: list[float] = []
    page.on(
        "request", lambda r: heartbeats.append(time.monotonic()) if "heartbeat" in r.url else None
    )
    # The shift's end, four seconds from now: the page learns it from its next heartbeat.
    with database(live_server) as connection:
        connection.execute(
            update(Attempt)
            .where(Attempt.id == paper["attempt_id"])
            .values(deadline_base_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4))
        )
    expect(page.locator("#overlay-text")).to_have_text(VI_TIME_UP, timeout=10_000)
    time_up = time.monotonic()
    expect(page.locator("#timer")).to_contain_text("00:00")
    screenshot(page, "12-time-up", full_page=False)
    page.locator("#options .option").first.click(force=True)  # lands on the overlay
    expect(page.locator("#overlay")).to_be_visible()

    expect(page.locator("#overlay-text")).to_contain_text(VI_COLLECTED, timeout=15_000)
    collected = time.monotonic()
    page.wait_for_url(re.compile(r"/wait$"))
    # One heartbeat at zero, then the regular ones (every 2 s here) until the collection:
    # not one on every tick of the timer.
    during = [at for at in heartbeats if time_up - 1 <= at <= collected]
    assert len(during) <= (collected - time_up) / 2 + 3, len(during)

    row = attempt(live_server, paper["attempt_id"])
    assert row.state == "finalised" and row.finalised_by == "deadline"
    assert held_answers(live_server, paper["attempt_id"]) == {
        item["position"]: [1] for item in items
    }
    expect(page.locator("tbody tr").first).to_contain_text(VI_SUBMITTED_PART)
    assert not [key for key in terminal.storage()["local"] if key.startswith("exam-")]


def test_a_second_computer_needs_the_proctor_and_the_first_then_stops(
    live_server, proctor, terminal: Terminal, chromium
):
    sbd, code, _name = live_server.candidates[3]
    paper = open_with_the_code(terminal, sbd, code)
    first_item, second_item = choice_items(paper)[:2]
    terminal.go_to(paper["items"].index(first_item) + 1)
    terminal.answer(first_item, option=1)
    terminal.expect_saved()

    context, page = new_page(chromium, live_server.url)
    moved = Terminal(context=context, page=page)
    try:
        page.goto("/login")
        page.fill("#registration_number", sbd)
        page.fill("#access_code", code)
        page.click("#login-submit")
        expect(page.locator("#login-error")).to_contain_text(VI_IN_USE)
        screenshot(page, "13-second-computer-refused")

        proctor.page.goto(f"/proctor/candidates/{candidate_id(live_server, sbd)}")
        move = proctor.page.locator("form:has(#approve-move)")
        move.locator("input[name=reason]").fill("Máy 12 hỏng màn hình")
        proctor.page.click("#approve-move")
        expect(proctor.page.locator(".flash-ok")).to_contain_text(sbd)

        page.fill("#registration_number", sbd)
        page.fill("#access_code", code)
        page.click("#login-submit")
        page.wait_for_url("**/exam")  # straight back into the paper, code already typed
        resumed = moved.paper()
        assert resumed["attempt_id"] == paper["attempt_id"]
        assert resumed["answers"] == {str(first_item["position"]): [1]}
        expect(page.locator("#palette .cell.answered")).to_have_count(1)

        # The first computer: its next heartbeat (or save) says why it stopped.
        expect(terminal.page.locator("#overlay-text")).to_contain_text(VI_MOVED_AWAY, timeout=8_000)
        screenshot(terminal.page, "14-moved-away", full_page=False)
        terminal.page.locator("#options .option").nth(1).click(force=True)  # on the overlay

        moved.go_to(paper["items"].index(second_item) + 1)
        moved.answer(second_item, option=0)
        expect(page.locator("#save-state")).to_have_text(VI_SAVED)
    finally:
        context.close()
    assert held_answers(live_server, paper["attempt_id"]) == {
        first_item["position"]: [1],
        second_item["position"]: [0],
    }
