"""A full sitting of the demo exam against gunicorn, over real HTTP."""

from __future__ import annotations

import json
import re

from tests.e2e.sitting import answer_all, candidate_login, open_part, staff_start_room


def test_a_candidate_sits_the_demo_exam_from_login_to_score(live_server):
    staff_start_room(live_server.url, "giamthi1", live_server.staff["giamthi1"])
    sbd, code, name = live_server.candidates[0]
    candidate = candidate_login(live_server.url, sbd, code)
    waiting = candidate.get("/wait")
    assert name in waiting.text and sbd in waiting.text

    for part_number in (1, 2):
        paper = open_part(candidate)
        assert paper["part"]["position"] == part_number
        assert len(paper["items"]) == 20 and paper["seconds_left"] > 29 * 60
        answer_all(candidate, paper)
        review = candidate.get("/exam/review")
        assert review.status_code == 200
        submitted = candidate.post_form("/exam/submit")
        assert (
            submitted.url.endswith(f"/wait?submitted={paper['attempt_id'] and part_number}")
            or "submitted" in submitted.url
        )

    result = candidate.get("/result")
    rows = re.findall(r'<tr data-part="(\d)">(.*?)</tr>', result.text, re.S)
    assert [number for number, _ in rows] == ["1", "2"]
    for _number, row in rows:
        correct = re.search(r'class="correct">(\d+) / 20<', row)
        assert correct, row
        verdict_pass = 'class="verdict pass"' in row
        assert verdict_pass == (int(correct.group(1)) >= 10)
        assert re.search(r"<code>[0-9A-F]{4}(-[0-9A-F]{4}){3}</code>", row)


def test_every_answer_acknowledged_is_in_the_database_after_the_sitting(live_server):
    sbd, code, _name = live_server.candidates[1]
    candidate = candidate_login(live_server.url, sbd, code)
    paper = open_part(candidate)  # the room was started by the first test
    last = answer_all(candidate, paper, choose=lambda item: len(item["options"]) - 1)
    reload = candidate.get("/exam")
    again = json.loads(re.search(r'id="paper-data">(.*?)</script>', reload.text, re.S).group(1))
    assert again["last_seq"] == last
    assert len(again["answers"]) == 20
    for item in paper["items"]:
        expected = ["x"] if item["type"] == "fill_blank" else [len(item["options"]) - 1]
        assert again["answers"][str(item["position"])] == expected
