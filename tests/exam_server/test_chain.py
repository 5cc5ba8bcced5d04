"""The hash chain's canonical event text is fixed: archives hashed long ago must still verify."""

from __future__ import annotations

import datetime as dt
import hashlib

from exam_server.chain import GENESIS, canonical_event, link

ICT = dt.timezone(dt.timedelta(hours=7))


def test_an_event_has_one_canonical_text_whatever_the_zone_of_its_time():
    at = dt.datetime(2026, 11, 26, 15, 4, 5, 120, tzinfo=ICT)
    text = canonical_event(42, 3, "answer", 7, 12, [1, 3], at)
    assert text == (
        '{"at":"2026-11-26T08:04:05.000120Z","attempt":42,"kind":"answer","ordinal":3,'
        '"payload":[1,3],"position":12,"seq":7}'
    )
    assert canonical_event(42, 3, "answer", 7, 12, [1, 3], at.astimezone(dt.UTC)) == text


def test_whole_seconds_keep_their_microseconds_and_text_keeps_its_letters():
    at = dt.datetime(2027, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    text = canonical_event(1, 1, "start", None, None, {"note": "Đề số 1"}, at)
    assert text == (
        '{"at":"2027-01-02T03:04:05.000000Z","attempt":1,"kind":"start","ordinal":1,'
        '"payload":{"note":"Đề số 1"},"position":null,"seq":null}'
    )


def test_the_link_hashes_the_previous_hash_and_the_text():
    text = canonical_event(1, 1, "start", None, None, {}, dt.datetime(2027, 1, 2, tzinfo=dt.UTC))
    # sha256 over "<previous hash>\n<canonical text>", as DESIGN.md's protocol states.
    expected = hashlib.sha256(f"{GENESIS}\n{text}".encode()).hexdigest()
    assert link(GENESIS, text) == expected
    assert link(expected, text) != expected
