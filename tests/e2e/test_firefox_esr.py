"""A candidate's sitting in Firefox ESR (Debian's), the other browser exam-room terminals run.

The head proctor's console stays in Chromium; everything the candidate does happens in
Firefox: mouse and keyboard answers, Vietnamese typing, saving, reload, submission, the
result, and an empty storage at the end.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import VI_SUBMITTED, Terminal, new_page, screenshot

pytestmark = pytest.mark.e2e

VIETNAMESE = "Hà Nội"


def test_a_sitting_in_firefox_esr(live_server, proctor, firefox):
    context, page = new_page(firefox, live_server.url)
    terminal = Terminal(context=context, page=page)
    terminal.keep_bodies()
    sbd, code, name = live_server.candidates[0]

    def shoot(name: str) -> None:
        assert not terminal.errors, terminal.errors  # the pages' own errors, up to now
        screenshot(page, name, full_page=False)
        # Playwright's screenshot over WebDriver BiDi injects a <style> that the pages' CSP
        # refuses; Firefox reports that as a page error. It is the tool's, not the page's.
        terminal.errors.clear()

    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    terminal.sign_in(sbd, code)
    expect(page.locator("#candidate-name")).to_have_text(name)
    proctor.start_room()
    paper = terminal.start_part()
    choices = [item for item in paper["items"] if item["type"] != "fill_blank"]
    blanks = [item for item in paper["items"] if item["type"] == "fill_blank"]
    chosen = {}

    # The mouse.
    terminal.go_to(choices[0]["position"])
    chosen[str(choices[0]["position"])] = terminal.answer(choices[0], option=1)
    # The keyboard: a letter chooses, an arrow moves on.
    terminal.go_to(choices[1]["position"])
    page.keyboard.press("b")
    expect(page.locator("#options .option").nth(1)).to_have_class(re.compile(r"\bselected\b"))
    chosen[str(choices[1]["position"])] = [1]
    page.keyboard.press("ArrowRight")
    next_position = choices[1]["position"] + 1
    expect(page.locator("#question-counter")).to_have_text(re.compile(rf"^{next_position} /"))
    # Vietnamese typed into a blank (the demo's IT part has none in some forms).
    for item in blanks[:1]:
        terminal.go_to(item["position"])
        chosen[str(item["position"])] = terminal.answer(item, text=VIETNAMESE)
    terminal.go_to(choices[0]["position"])
    terminal.expect_saved()
    shoot("firefox-exam")

    page.reload()
    expect(page.locator("#palette .cell")).to_have_count(len(paper["items"]))
    assert terminal.paper()["answers"] == chosen
    assert terminal.answered_cells() == len(chosen)
    for item in blanks[:1]:
        terminal.go_to(item["position"])
        expect(page.locator(".blank-input").first).to_have_value(VIETNAMESE)

    for part in (1, 2):
        if part == 2:
            paper = terminal.start_part()
            terminal.answer(paper["items"][0])
            terminal.expect_saved()
        page.click("#review-link")
        page.wait_for_url("**/exam/review")
        page.click("#confirm-submit")
        page.wait_for_url(re.compile(r"/wait\?submitted=\d+$"))
        expect(page.locator("main .flash-ok")).to_have_text(VI_SUBMITTED)
    page.click("#see-result")
    page.wait_for_url("**/result")
    shoot("firefox-result")
    page.click("#sign-out")
    page.wait_for_url(re.compile(r"/login\?signed_out=1$"))
    assert terminal.storage() == {"local": {}, "session": 0}
    assert not terminal.errors, terminal.errors
    context.close()
