"""Real browsers (Debian's Chromium and Firefox ESR, driven by Playwright) for the candidate's
and proctor's pages.

Playwright's own browser download does not work here, so the system browsers are launched.
Fixtures: `chromium` and `firefox` (one browser per module), `proctor` (the head proctor's
room console, in its own Chromium context) and `room_started` (the proctor has pressed
"Start the room").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Firefox ESR over WebDriver BiDi (Playwright's "moz-firefox" channel drives a stock Firefox).
FIREFOX_ESR = "/usr/bin/firefox-esr"
VIEWPORT = {"width": 1366, "height": 768}
SCREENS = Path(__file__).resolve().parents[1] / "artifacts" / "screens"
TIMEOUT_MS = 10_000

# What the candidate's screen says, in the default language (Vietnamese).
VI_SAVED = "Đã lưu tất cả câu trả lời"
VI_OFFLINE = "Mất kết nối mạng"
VI_PASS, VI_FAIL = "Đạt", "Không đạt"
VI_ALL_ANSWERED = "Anh/Chị đã trả lời tất cả các câu hỏi."
VI_FLAGGED = "Các câu đã đánh dấu để xem lại"
VI_SUBMITTED = "Phần thi của Anh/Chị đã được nộp và lưu trên máy chủ."
VI_ROOM_RUNNING = "Đang diễn ra"

RECEIPT = re.compile(r"^[0-9A-F]{4}(-[0-9A-F]{4}){3}$")


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save the page as tests/artifacts/screens/<name>.png (to look at after a run).

    caret="initial" because hiding the caret means injecting a <style>, which the pages'
    CSP rightly refuses (Firefox over BiDi injects one for any screenshot: see its test).
    """
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, caret="initial")
    return path


def new_page(browser: Browser, base_url: str) -> tuple[BrowserContext, Page]:
    """A fresh browser context (its own cookies and storage): one terminal."""
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Playwright]:
    """One Playwright driver per module, for every browser the module launches."""
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def chromium(playwright_driver) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def firefox(playwright_driver) -> Iterator[Browser]:
    browser = playwright_driver.firefox.launch(
        channel="moz-firefox", executable_path=FIREFOX_ESR, headless=True
    )
    yield browser
    browser.close()


# --- the head proctor -----------------------------------------------------------------------


@dataclass
class Proctor:
    """The head proctor's room console, open in its own browser context."""

    page: Page
    room_id: str
    started: bool = False

    def start_room(self) -> None:
        """Press "Start the room" once; later calls do nothing."""
        if self.started:
            return
        self.page.click(f"#room-{self.room_id}-start")
        self.page.wait_for_load_state()
        expect(self.page.locator(f"#room-{self.room_id} [data-room-state]")).to_have_text(
            VI_ROOM_RUNNING
        )
        self.started = True


@pytest.fixture(scope="module")
def proctor(live_server, chromium) -> Iterator[Proctor]:
    context, page = new_page(chromium, live_server.url)
    page.goto("/staff/login")
    page.fill("#username", "giamthi1")
    page.fill("#password", live_server.staff["giamthi1"])
    page.click("form button[type=submit].primary")
    page.wait_for_url("**/staff/")
    page.click('#exam-list a[href$="/rooms"]')
    page.wait_for_url("**/rooms")
    room_id = page.locator("article.room").first.get_attribute("id").removeprefix("room-")
    yield Proctor(page=page, room_id=room_id)
    context.close()


@pytest.fixture(scope="module")
def room_started(proctor) -> Proctor:
    proctor.start_room()
    return proctor


# --- the candidate --------------------------------------------------------------------------


@dataclass
class Terminal:
    """A candidate's browser context and page; every response body it received is kept."""

    context: BrowserContext
    page: Page
    received: list[tuple[str, str]] = field(default_factory=list)  # (url, body)
    errors: list[str] = field(default_factory=list)  # uncaught script errors

    def keep_bodies(self) -> None:
        self.page.on("requestfinished", self._keep)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _keep(self, request) -> None:
        response = request.response()
        if response is None or 300 <= response.status < 400:
            return
        try:
            body = response.body().decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - a body evicted by a navigation cannot be read
            return
        self.received.append((request.url, body))

    # -- pages --------------------------------------------------------------------------------

    def sign_in(self, sbd: str, code: str) -> None:
        self.page.goto("/login")
        self.page.fill("#registration_number", sbd)
        self.page.fill("#access_code", code)
        self.page.click("#login-submit")
        self.page.wait_for_url("**/wait")

    def start_part(self) -> dict:
        """From the waiting room, start the next part once the button is enabled."""
        button = self.page.locator("#start-button")
        expect(button).to_be_enabled(timeout=8_000)  # the waiting room polls every 3 s
        button.click()
        self.page.wait_for_url("**/exam")
        expect(self.page.locator("#palette .cell").first).to_be_visible()
        return self.paper()

    def paper(self) -> dict:
        return json.loads(self.page.locator("#paper-data").text_content())

    def go_to(self, position: int) -> None:
        self.page.click(f"#palette .cell >> nth={position - 1}")
        expect(self.page.locator("#question-counter")).to_have_text(re.compile(rf"^{position} /"))

    def answer(self, item: dict, option: int = 0, text: str = "x") -> list:
        """Answer the item on screen by clicking an option or typing each blank."""
        if item["type"] == "fill_blank":
            inputs = self.page.locator(".blank-input")
            expect(inputs).to_have_count(item["blanks"])
            for index in range(item["blanks"]):
                inputs.nth(index).fill(text)
            return [nfc(text)] * item["blanks"]
        self.page.locator("#options .option").nth(option).click()
        expect(self.page.locator("#options .option").nth(option)).to_have_class(
            re.compile(r"\bselected\b")
        )
        return [option]

    def answered_cells(self) -> int:
        return self.page.locator("#palette .cell.answered").count()

    def expect_saved(self, timeout: int = TIMEOUT_MS) -> None:
        expect(self.page.locator("#save-state")).to_have_text(VI_SAVED, timeout=timeout)

    def storage(self) -> dict:
        return self.page.evaluate(
            """() => ({
                local: Object.fromEntries(
                    Object.keys(localStorage).map(k => [k, localStorage.getItem(k)])),
                session: sessionStorage.length,
            })"""
        )


@pytest.fixture(scope="module")
def candidate_traffic() -> list[tuple[str, str]]:
    """Every (url, body) that any candidate terminal of the module received."""
    return []


@pytest.fixture
def terminal(chromium, live_server, candidate_traffic) -> Iterator[Terminal]:
    context, page = new_page(chromium, live_server.url)
    term = Terminal(context=context, page=page)
    term.keep_bodies()
    yield term
    context.close()
    candidate_traffic.extend(term.received)
    assert not term.errors, term.errors
