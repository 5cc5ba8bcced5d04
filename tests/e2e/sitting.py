"""A candidate and a proctor driving the real server over HTTP, as a browser would."""

from __future__ import annotations

import json
import re

import requests

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')
PAPER = re.compile(r'<script type="application/json" id="paper-data">(.*?)</script>', re.S)


def csrf(html: str) -> str:
    match = CSRF_META.search(html)
    assert match, html[:500]
    return match.group(1)


class Browser:
    """A cookie-keeping HTTP client that posts forms with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.token = ""
        self.responses: list[requests.Response] = []

    def get(self, path: str, **kwargs) -> requests.Response:
        response = self.http.get(self.base + path, timeout=30, **kwargs)
        self._keep(response)
        return response

    def post_form(self, path: str, data: dict | None = None) -> requests.Response:
        response = self.http.post(
            self.base + path, data={"csrf_token": self.token, **(data or {})}, timeout=30
        )
        self._keep(response)
        return response

    def post_json(self, path: str, payload: dict) -> requests.Response:
        response = self.http.post(
            self.base + path, json=payload, headers={"X-CSRFToken": self.token}, timeout=30
        )
        self._keep(response)
        return response

    def _keep(self, response: requests.Response) -> None:
        self.responses.append(response)
        match = (
            CSRF_META.search(response.text)
            if "text/html" in response.headers.get("Content-Type", "")
            else None
        )
        if match:
            self.token = match.group(1)


def staff_start_room(base: str, username: str, password: str) -> Browser:
    staff = Browser(base)
    staff.get("/staff/login")
    home = staff.post_form("/staff/login", {"username": username, "password": password})
    assert home.url.endswith("/staff/"), home.text[:300]
    exam_link = re.search(r'href="(/proctor/exams/\d+/rooms)"', home.text).group(1)
    rooms = staff.get(exam_link)
    action = re.search(r'action="(/proctor/rooms/\d+/action)"', rooms.text).group(1)
    staff.post_form(action, {"action": "start"})
    return staff


def candidate_login(base: str, sbd: str, code: str) -> Browser:
    candidate = Browser(base)
    candidate.get("/login")
    page = candidate.post_form("/login", {"registration_number": sbd, "access_code": code})
    assert page.url.endswith("/wait"), page.text[:500]
    return candidate


def open_part(candidate: Browser) -> dict:
    page = candidate.post_form("/start")
    assert page.url.endswith("/exam"), page.text[:500]
    return json.loads(PAPER.search(page.text).group(1))


def answer_all(candidate: Browser, paper: dict, choose=lambda item: 0) -> int:
    """Answer every item (option index from `choose`, or "x" for blanks); return the last seq."""
    seq = paper["last_seq"]
    changes = []
    for item in paper["items"]:
        seq += 1
        value = ["x"] * item["blanks"] if item["type"] == "fill_blank" else [choose(item)]
        changes.append({"seq": seq, "kind": "answer", "position": item["position"], "value": value})
    ack = candidate.post_json(f"/api/attempts/{paper['attempt_id']}/changes", {"changes": changes})
    assert ack.status_code == 200 and ack.json()["acked_seq"] == seq, ack.text
    return seq
