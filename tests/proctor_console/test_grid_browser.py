"""In a real Chromium: the proctor's live grid follows a candidate's answers without a reload,
and pausing the room stops the candidate's clock (and resuming restarts it)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.conftest import LiveServer, start_server, stop

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENS = Path(__file__).resolve().parents[1] / "artifacts" / "screens"
TIMEOUT_MS = 10_000
VI_RUNNING, VI_PAUSED = "Đang diễn ra", "Tạm dừng"
VI_SAVED = "Đã lưu tất cả câu trả lời"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    live, process = start_server(tmp_path_factory.mktemp("grid"))
    yield live
    stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def new_page(browser: Browser, server: LiveServer) -> Page:
    context = browser.new_context(base_url=server.url, viewport={"width": 1366, "height": 768})
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def screenshot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def answer_current(page: Page, index: int) -> None:
    """Answer the question on screen, whatever its type (forms are drawn at random)."""
    item = json.loads(page.locator("#paper-data").text_content())["items"][index]
    if item["type"] == "fill_blank":
        boxes = page.locator(".blank-input")
        for blank in range(item["blanks"]):
            boxes.nth(blank).fill("Hà Nội")
        boxes.nth(0).press("Tab")  # leaving the box sends the answer at once
    else:
        page.locator("#options .option").first.click()
    expect(page.locator("#save-state")).to_have_text(VI_SAVED)


def timer_text(page: Page) -> str:
    return page.locator("#timer").text_content()


def test_the_grid_follows_answers_and_a_pause_stops_the_clock(server, browser):
    proctor = new_page(browser, server)
    proctor.goto("/staff/login")
    proctor.fill("#username", "giamthi1")
    proctor.fill("#password", server.staff["giamthi1"])
    proctor.click("form button[type=submit].primary")
    proctor.wait_for_url("**/staff/")
    proctor.click('#exam-list a[href$="/rooms"]')
    proctor.wait_for_url("**/rooms")
    room_id = proctor.locator("article.room").first.get_attribute("id").removeprefix("room-")
    proctor.goto(f"/proctor/rooms/{room_id}")
    proctor.click(f"#room-{room_id}-start")
    badge = proctor.locator(f"#room-{room_id} [data-room-state]")
    expect(badge).to_have_text(VI_RUNNING)

    sbd, code, _name = server.candidates[0]
    candidate = new_page(browser, server)
    candidate.goto("/login")
    candidate.fill("#registration_number", sbd)
    candidate.fill("#access_code", code)
    candidate.click("#login-submit")
    candidate.wait_for_url("**/wait")
    start = candidate.locator("#start-button")
    expect(start).to_be_enabled(timeout=8_000)
    start.click()
    candidate.wait_for_url("**/exam")
    expect(candidate.locator("#palette .cell").first).to_be_visible()

    # The proctor's page is not reloaded from here on: a marker on `window` would vanish.
    proctor.evaluate("window.__sameGridPage = true")
    tile = proctor.locator(".tile", has=proctor.locator(f'a[data-f="sbd"]:text-is("{sbd}")'))
    expect(tile.locator('[data-f="state"]')).to_have_text("Đang thi", timeout=TIMEOUT_MS)
    expect(tile.locator('[data-f="answered"]')).to_have_text("0/20")

    answer_current(candidate, 0)
    candidate.click("#next")
    answer_current(candidate, 1)
    expect(tile.locator('[data-f="answered"]')).to_have_text("2/20", timeout=TIMEOUT_MS)
    assert proctor.evaluate("window.__sameGridPage") is True
    expect(tile.locator('[data-f="time"]')).to_have_text(re.compile(r"^\d\d:\d\d$"))
    screenshot(proctor, "proctor-01-live-grid")

    # Pause the whole room, with a reason: the candidate's clock stops.
    proctor.fill(f"#room-{room_id}-pause-reason", "Mất điện toàn phòng")
    proctor.click(f"#room-{room_id}-pause")
    expect(proctor.locator(f"#room-{room_id} [data-room-state]")).to_have_text(VI_PAUSED)
    expect(candidate.locator("#overlay")).to_be_visible(timeout=TIMEOUT_MS)
    # The next heartbeat (every 2 s here) sets the display to the server's frozen figure;
    # from then on it must not move, across further heartbeats.
    candidate.wait_for_timeout(2_500)
    frozen = timer_text(candidate)
    candidate.wait_for_timeout(4_500)
    assert timer_text(candidate) == frozen
    tile = proctor.locator(".tile", has=proctor.locator(f'a[data-f="sbd"]:text-is("{sbd}")'))
    expect(tile.locator('[data-f="state"]')).to_have_text(VI_PAUSED, timeout=TIMEOUT_MS)
    screenshot(candidate, "proctor-02-candidate-paused")
    screenshot(proctor, "proctor-03-grid-paused")

    # Resume: the clock runs again from where it stopped.
    proctor.fill(f"#room-{room_id}-resume-reason", "Có điện trở lại")
    proctor.click(f"#room-{room_id}-resume")
    expect(proctor.locator(f"#room-{room_id} [data-room-state]")).to_have_text(VI_RUNNING)
    expect(candidate.locator("#overlay")).to_be_hidden(timeout=TIMEOUT_MS)
    expect(candidate.locator("#timer")).not_to_have_text(frozen, timeout=TIMEOUT_MS)

    # The pause and its reason are in the candidate's timeline.
    candidate_id = tile.get_attribute("data-candidate")
    proctor.goto(f"/proctor/candidates/{candidate_id}")
    timeline = proctor.locator("#timeline")
    expect(timeline).to_contain_text("Mất điện toàn phòng")
    expect(timeline).to_contain_text("Có điện trở lại")
    screenshot(proctor, "proctor-04-candidate-timeline")


def test_check_in_and_the_result_list_in_the_browser(server, browser):
    proctor = new_page(browser, server)
    proctor.goto("/staff/login")
    proctor.fill("#username", "giamthi1")
    proctor.fill("#password", server.staff["giamthi1"])
    proctor.click("form button[type=submit].primary")
    proctor.wait_for_url("**/staff/")
    proctor.click('#exam-list a[href$="/rooms"]')
    room_id = proctor.locator("article.room").first.get_attribute("id").removeprefix("room-")
    proctor.goto(f"/proctor/rooms/{room_id}/checkin?order=name")
    row = proctor.locator("#checkin-list tbody tr").first
    row.locator('input[name="present"][value="1"]').check()
    row.locator('input[name="id_checked"]').check()
    row.locator('input[name="terminal"]').fill("Máy 07")
    row.locator("button[type=submit]").click()
    expect(proctor.locator(".flash-ok")).to_contain_text("có mặt")
    expect(proctor.locator("#checkin-list tbody tr.present")).to_have_count(1)
    screenshot(proctor, "proctor-05-check-in")
    proctor.goto(f"/proctor/rooms/{room_id}/results")
    expect(proctor.locator("#result-list tbody tr")).to_have_count(20)
    screenshot(proctor, "proctor-06-result-list")
