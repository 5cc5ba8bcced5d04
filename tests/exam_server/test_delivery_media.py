"""Images and audio reach only the candidate whose paper has them; plays are counted."""

from __future__ import annotations

import hashlib
import json
import re

from exam_server.models import Subject, Topic
from exam_server.models.bank import ItemVersionMedia, MediaFile
from tests.conftest import csrf_from
from tests.factories import make_item, make_sitting

PAPER = re.compile(r'id="paper-data">(.*?)</script>', re.S)
AUDIO = b"ID3" + b"\x00" * 200  # an MP3 header is enough for the route


def subject_with_audio(db, clock):
    """A small subject whose every item is a listening item with the same recording."""
    sha = hashlib.sha256(AUDIO).hexdigest()
    db.add(
        MediaFile(
            sha256=sha, content_type="audio/mpeg", size=len(AUDIO), data=AUDIO, created_at=clock.now
        )
    )
    subject = Subject(code="LISTEN", name="Listening", kind="foreign_language")
    db.add(subject)
    db.flush()
    topic = Topic(subject_id=subject.id, code="t1", name="Listening")
    db.add(topic)
    db.flush()
    for difficulty in (1, 2, 3):
        content = {
            "options": [
                {
                    "id": f"o{i}",
                    "text": f"answer {i}",
                    "fraction": 1.0 if i == 1 else 0.0,
                    "pinned": False,
                }
                for i in range(1, 5)
            ],
            "blanks": [],
            "media": [{"sha256": sha, "name": "listen.mp3", "content_type": "audio/mpeg"}],
        }
        stem = f'<p>Listen ({difficulty}).</p><img src="/bank/media/{sha}" alt="x">'
        version = make_item(db, clock.now, subject, topic, difficulty, stem=stem, content=content)
        db.add(ItemVersionMedia(item_version_id=version.id, sha256=sha))
    db.flush()
    return subject, sha


def sign_in_and_open(client, candidate, code):
    token = csrf_from(client.get("/login").text)
    client.post(
        "/login",
        data={
            "csrf_token": token,
            "registration_number": candidate.registration_number,
            "access_code": code,
        },
    )
    page = client.post(
        "/start", data={"csrf_token": csrf_from(client.get("/wait").text)}, follow_redirects=True
    )
    return csrf_from(page.text), json.loads(PAPER.search(page.text).group(1))


def test_listening_audio_is_served_to_its_candidate_and_plays_are_limited(app, db, clock):
    subject, sha = subject_with_audio(db, clock)
    sitting = make_sitting(db, clock.now, room_state="running", subject=subject)
    sitting.part.audio_play_limit = 2
    db.commit()
    (candidate, code), (other, other_code) = sitting.candidates
    mine, stranger = app.test_client(), app.test_client()
    token, paper = sign_in_and_open(mine, candidate, code)
    item = paper["items"][0]
    assert item["audio"] == [f"/media/{sha}"] and item["plays_left"] == 2
    assert f'src="/media/{sha}"' in item["stem_html"]  # images point at the candidate route
    served = mine.get(f"/media/{sha}")
    assert (
        served.status_code == 200
        and served.data == AUDIO
        and served.headers["Content-Type"] == "audio/mpeg"
    )
    assert served.headers["Cache-Control"] == "no-store"
    play = f"/api/attempts/{paper['attempt_id']}/plays/1"
    assert mine.post(play, headers={"X-CSRFToken": token}).json["plays_left"] == 1
    assert mine.post(play, headers={"X-CSRFToken": token}).json["plays_left"] == 0
    refused = mine.post(play, headers={"X-CSRFToken": token})
    assert refused.status_code == 409 and refused.json["error"] == "plays_used_up"
    other_question = mine.post(
        f"/api/attempts/{paper['attempt_id']}/plays/2", headers={"X-CSRFToken": token}
    )
    assert other_question.json["plays_left"] == 1  # each question has its own count
    assert stranger.get(f"/media/{sha}").status_code == 401  # not signed in
    token = csrf_from(stranger.get("/login").text)
    stranger.post(
        "/login",
        data={
            "csrf_token": token,
            "registration_number": other.registration_number,
            "access_code": other_code,
        },
    )
    assert stranger.get(f"/media/{sha}").status_code == 404  # signed in, but no paper open yet
    sign_in_and_open(stranger, other, other_code)
    assert stranger.get(f"/media/{sha}").status_code == 200  # now it is on their paper too
    assert stranger.get("/media/" + "0" * 64).status_code == 404
