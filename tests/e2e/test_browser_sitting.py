"""The candidate's screens in a real browser (Chromium) against gunicorn and the demo exam.

Each test signs in a different demo candidate; the head proctor starts the room once, by
pressing the button on the room console in a second browser context.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import (
    RECEIPT,
    VI_ALL_ANSWERED,
    VI_FAIL,
    VI_FLAGGED,
    VI_OFFLINE,
    VI_PASS,
    VI_SUBMITTED,
    VIEWPORT,
    Terminal,
    screenshot,
)

pytestmark = pytest.mark.e2e

VIETNAMESE = "Hà Nội"
# The same words as some input methods send them (decomposed); the server keeps NFC.
VIETNAMESE_DECOMPOSED = unicodedata.normalize("NFD", VIETNAMESE)


def some_items(paper: dict, count: int) -> list[dict]:
    """The first `count` items, and the first fill-in-the-blank item if none is among them."""
    items = paper["items"][:count]
    blanks = [item for item in paper["items"] if item["type"] == "fill_blank"]
    if blanks and blanks[0] not in items:
        items.append(blanks[0])
    return items


def test_a_whole_sitting_in_the_browser(live_server, proctor, terminal: Terminal):
    page = terminal.page
    sbd, code, name = live_server.candidates[0]

    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    screenshot(page, "01-login")
    terminal.sign_in(sbd, code)
    expect(page.locator("#candidate-name")).to_have_text(name)
    expect(page.locator("#candidate-sbd")).to_have_text(sbd)
    start = page.locator("#start-button")
    if not proctor.started:  # the room waits for the proctor
        expect(start).to_be_disabled()
        expect(page.locator('.wait-msg[data-when="waiting"]')).to_be_visible()
    screenshot(page, "02-waiting-room")

    proctor.start_room()  # in the proctor's own browser context
    expect(start).to_be_enabled(timeout=8_000)  # picked up by the waiting room's polling
    expect(page.locator('.wait-msg[data-when="running"]')).to_be_visible()

    checked_blank_timer = False
    for part_number in (1, 2):
        paper = terminal.start_part()
        expect(page.locator("html")).to_have_attribute("lang", "vi")
        assert paper["part"]["position"] == part_number
        items = paper["items"]
        assert len(items) == 20 and paper["answers"] == {} and paper["flags"] == []
        expect(page.locator("#timer")).to_have_text(re.compile(r"\d\d:\d\d$"))
        expect(page.locator("#palette .cell")).to_have_count(20)
        assert terminal.answered_cells() == 0
        if part_number == 1:
            screenshot(page, "04-question")
            proctor.page.reload()
            screenshot(proctor.page, "03-proctor-console")

        flagged_position = items[2]["position"]
        after_blank = None
        for index, item in enumerate(items):
            expect(page.locator("#question-counter")).to_have_text(f"{index + 1} / 20")
            expect(page.locator("#question-title")).to_have_text(f"Câu {index + 1}/20")
            if item["type"] == "fill_blank":
                box = page.locator(".blank-input").first
                box.press_sequentially(VIETNAMESE)  # typed key by key, with diacritics
                for other in range(1, item["blanks"]):
                    page.locator(".blank-input").nth(other).fill(VIETNAMESE)
                if not checked_blank_timer:
                    after_blank, checked_blank_timer = index, True
            elif index % 4 == 1:  # by keyboard: "B" chooses the second option
                page.keyboard.press("B")
                expect(page.locator("#options .option").nth(1)).to_have_attribute(
                    "aria-checked", "true"
                )
            else:
                terminal.answer(item, option=index % len(item["options"]))
            if after_blank is not None and item["type"] != "fill_blank":
                # The blank's typing timer must not fire on this question and erase it.
                page.wait_for_timeout(800)
                expect(page.locator("#palette .cell").nth(index)).to_have_class(
                    re.compile(r"\banswered\b")
                )
                after_blank = None
            if index == 2:
                page.click("#flag")
                expect(page.locator("#flag")).to_have_attribute("aria-pressed", "true")
            if index == len(items) - 1:
                break
            if item["type"] == "fill_blank" or index % 2:
                page.click("#next")  # leaves the text box; the blank is saved on the way
            else:
                page.keyboard.press("ArrowRight")

        cells = page.locator("#palette .cell")
        expect(page.locator("#palette .cell.answered")).to_have_count(20)
        expect(page.locator("#palette .cell.flagged")).to_have_count(1)
        flagged_cell = cells.nth(2)
        expect(flagged_cell).to_have_class(re.compile(r"\bflagged\b"))
        expect(flagged_cell).to_have_text(f"{flagged_position} ⚑")
        expect(cells.nth(0)).to_have_text(f"{items[0]['position']} ✓")
        expect(cells.nth(19)).to_have_class(re.compile(r"\bcurrent\b"))
        terminal.expect_saved()

        page.locator("#question-title").focus()  # arrows do not move out of a text box
        page.keyboard.press("ArrowLeft")
        expect(cells.nth(18)).to_have_class(re.compile(r"\bcurrent\b"))

        page.click("#review-link")
        page.wait_for_url("**/exam/review")
        expect(page.locator("main .flash-ok")).to_have_text(VI_ALL_ANSWERED)
        expect(page.locator("main .flash-info")).to_have_text(f"{VI_FLAGGED}: {flagged_position}.")
        expect(page.locator(".review-grid .cell.answered")).to_have_count(20)
        expect(page.locator(".review-grid .cell.flagged")).to_have_count(1)
        expect(page.locator("#unanswered-warning")).to_have_count(0)
        if part_number == 1:
            screenshot(page, "05-review")
        page.click("#confirm-submit")
        page.wait_for_url(re.compile(r"/wait\?submitted=\d+$"))
        expect(page.locator("main .flash-ok")).to_have_text(VI_SUBMITTED)

    page.click("#see-result")
    page.wait_for_url("**/result")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(2)
    for part_number in (1, 2):
        row = page.locator(f'#results tbody tr[data-part="{part_number}"]')
        correct = row.locator(".correct").text_content()
        assert re.fullmatch(r"\d+ / 20", correct.strip()), correct
        assert row.locator(".score").text_content().strip()
        assert row.locator(".verdict").text_content().strip() in (VI_PASS, VI_FAIL)
        assert RECEIPT.match(row.locator(".receipt code").text_content().strip())
    expect(page.locator("#print-slip")).to_be_visible()
    expect(page.locator("#sign-out")).to_be_visible()
    screenshot(page, "06-result")


def test_answers_changed_while_the_network_is_down_reach_the_server(
    live_server, room_started, terminal: Terminal
):
    page, context = terminal.page, terminal.context
    sbd, code, _name = live_server.candidates[1]
    terminal.sign_in(sbd, code)
    paper = terminal.start_part()
    items = some_items(paper, 5)
    for item in items:  # first answers, saved while the network is up
        terminal.go_to(item["position"])
        terminal.answer(item, option=0, text="x")
    terminal.go_to(items[0]["position"])  # leaves the last text box, if any
    terminal.expect_saved()
    page.set_viewport_size({"width": 1024, "height": 768})  # the smallest screen supported
    screenshot(page, "08-question-1024")
    page.set_viewport_size(VIEWPORT)
    header_height = page.locator(".topbar").evaluate("header => header.offsetHeight")

    context.route("**/api/**", lambda route: route.abort())
    expected = {}
    for item in items:  # the same questions answered differently while it is down
        terminal.go_to(item["position"])
        value = terminal.answer(item, option=len(item["options"]) - 1, text=VIETNAMESE_DECOMPOSED)
        expected[str(item["position"])] = value
    page.click("#flag")  # a flag changed offline is kept too
    terminal.go_to(items[0]["position"])
    save_state = page.locator("#save-state")
    expect(save_state).to_contain_text(VI_OFFLINE)
    expect(save_state).to_have_class(re.compile(r"\bdown\b"))
    # The long message must not reflow the header: the page would jump under the pointer.
    assert page.locator(".topbar").evaluate("header => header.offsetHeight") == header_height
    pending_key = f"exam-pending-{paper['attempt_id']}"
    pending = page.evaluate(f"JSON.parse(localStorage.getItem('{pending_key}') || '[]')")
    assert {str(c["position"]) for c in pending if c["kind"] == "answer"} == set(expected)
    assert [c["value"] for c in pending if c["kind"] == "flag"] == [True]
    expect(page.locator("#palette .cell.answered")).to_have_count(len(items))
    screenshot(page, "07-offline")
    page.set_viewport_size({"width": 1024, "height": 768})
    screenshot(page, "09-offline-1024")
    page.set_viewport_size(VIEWPORT)

    context.unroute("**/api/**")
    terminal.expect_saved(timeout=12_000)  # the next heartbeat or retry sends them
    assert page.evaluate(f"localStorage.getItem('{pending_key}')") is None

    page.reload()
    held = terminal.paper()
    assert held["answers"] == expected, held["answers"]
    assert held["flags"] == [items[-1]["position"]]
    assert held["last_seq"] == page.evaluate(
        f"parseInt(localStorage.getItem('exam-seq-{paper['attempt_id']}'), 10)"
    )
    expect(page.locator("#palette .cell.answered")).to_have_count(len(items))


def test_a_reload_mid_exam_shows_the_same_answers(live_server, room_started, terminal: Terminal):
    page, context = terminal.page, terminal.context
    sbd, code, _name = live_server.candidates[2]
    terminal.sign_in(sbd, code)
    paper = terminal.start_part()
    items = some_items(paper, 6)
    chosen = {}
    for item in items:
        terminal.go_to(item["position"])
        chosen[str(item["position"])] = terminal.answer(item, option=1, text=VIETNAMESE)
    page.click("#flag")
    terminal.go_to(items[0]["position"])
    terminal.expect_saved()
    assert terminal.answered_cells() == len(items)

    page.reload()
    expect(page.locator("#palette .cell")).to_have_count(20)
    assert terminal.answered_cells() == len(items)
    expect(page.locator("#palette .cell.flagged")).to_have_count(1)
    assert terminal.paper()["answers"] == chosen
    for item in items:
        terminal.go_to(item["position"])
        if item["type"] == "fill_blank":
            expect(page.locator(".blank-input").first).to_have_value(VIETNAMESE)
        else:
            expect(page.locator("#options .option.selected")).to_have_count(1)
            expect(page.locator("#options .option").nth(1)).to_have_class(
                re.compile(r"\bselected\b")
            )

    # A reload while the network is down: the unsent change comes back from localStorage.
    context.route("**/api/**", lambda route: route.abort())
    extra = next(item for item in paper["items"] if item not in items)
    terminal.go_to(extra["position"])
    chosen[str(extra["position"])] = terminal.answer(extra, option=0, text="x")
    terminal.go_to(items[0]["position"])
    expect(page.locator("#save-state")).to_contain_text(VI_OFFLINE)
    page.reload()
    expect(page.locator("#palette .cell")).to_have_count(20)
    assert terminal.answered_cells() == len(chosen)
    context.unroute("**/api/**")
    terminal.expect_saved(timeout=12_000)
    page.reload()
    assert terminal.paper()["answers"] == chosen
    assert terminal.answered_cells() == len(chosen)


def test_nothing_of_the_exam_stays_in_the_browser_after_signing_out(
    live_server, room_started, terminal: Terminal
):
    page = terminal.page
    sbd, code, _name = live_server.candidates[3]
    terminal.sign_in(sbd, code)
    for _part in (1, 2):
        paper = terminal.start_part()
        for item in paper["items"][:3]:
            terminal.go_to(item["position"])
            terminal.answer(item, option=0, text=VIETNAMESE)
        terminal.go_to(paper["items"][0]["position"])
        terminal.expect_saved()
        stored = terminal.storage()["local"]
        assert f"exam-seq-{paper['attempt_id']}" in stored  # the exam did use the storage
        page.evaluate("sessionStorage.setItem('exam-probe', '1')")
        page.click("#review-link")
        page.wait_for_url("**/exam/review")
        expect(page.locator("#unanswered-warning")).to_contain_text("17")
        page.click("#confirm-submit")
        page.wait_for_url(re.compile(r"/wait\?submitted=\d+$"))
        expect(page.locator("main .flash-ok")).to_have_text(VI_SUBMITTED)
    page.click("#see-result")
    page.wait_for_url("**/result")
    assert terminal.storage() == {"local": {}, "session": 0}
    page.click("#sign-out")
    page.wait_for_url(re.compile(r"/login\?signed_out=1$"))
    storage = terminal.storage()
    assert not any(key.startswith("exam-") for key in storage["local"])
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("sessionStorage.length") == 0
    page.goto("/wait")  # signed out: the exam pages are closed to this browser
    page.wait_for_url("**/login")


def test_no_answer_key_reaches_the_candidates_browser(candidate_traffic):
    """Every body the candidates' pages received in this module (run after the sittings)."""
    urls = [url for url, _body in candidate_traffic]
    for path in ("/exam", "/exam/review", "/result", "/api/candidate/status"):
        assert any(url.split("?")[0].endswith(path) for url in urls), (path, urls)
    assert any("/changes" in url for url in urls) and any("/heartbeat" in url for url in urls)
    for url, body in candidate_traffic:
        assert "fraction" not in body, url
        assert "pinned" not in body, url
        # The result slip's cell is <td class="correct">; a key would be a JSON "correct".
        assert '"correct"' not in body.replace('class="correct"', ""), url
