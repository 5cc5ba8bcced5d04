"""The bank's pages through the test client: access, authoring, review, import, export, media."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from exam_server.models import Form, FormItem, Item, ItemVersion
from exam_server.models.bank import BankAccess, MediaFile
from question_bank.review import transition
from question_bank.subjects import TagResolver
from tests.conftest import csrf_from
from tests.factories import make_sitting
from tests.question_bank.factories_bank import (
    HEADER_EN,
    bank_subject,
    choice_content,
    new_item,
    staff,
    topic_of,
    workbook,
)
from tests.question_bank.test_import_export import PNG, ROWS

PASSWORD = "correct-horse-42"


def sign_in(client, username):
    page = client.get("/staff/login")
    response = client.post(
        "/staff/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 302, response.text
    return client


def token(client, path="/bank/"):
    return csrf_from(client.get(path).text)


@pytest.fixture
def bank(app, db, clock):
    # A context only while arranging: requests must get their own app context (and session).
    with app.test_request_context():
        subject = bank_subject(db, clock.now, code="ENG")
        other = bank_subject(db, clock.now, code="IT", kind="it", topics=("Word",))
        examiner = staff(db, clock.now, "examiner", subjects=[subject])
        reviewer = staff(db, clock.now, "reviewer", subjects=[subject])
        admin = staff(db, clock.now, "admin")
    db.commit()
    return subject, other, examiner, reviewer, admin


def accesses(db, action):
    return db.scalars(select(BankAccess).where(BankAccess.action == action)).all()


@pytest.mark.parametrize("role", ["proctor", "head_proctor", "technician", "council_chair"])
def test_other_staff_never_see_the_bank(client, db, clock, bank, role):
    subject, _other, examiner, *_ = bank
    item = new_item(db, clock.now, subject, topic_of(db, subject), examiner)
    staff(db, clock.now, role)
    db.commit()
    sign_in(client, role)
    for path in (
        "/bank/",
        f"/bank/items/{item.id}",
        f"/bank/items/{item.id}/preview",
        "/bank/import",
        "/bank/export",
        "/bank/review",
        "/bank/print",
    ):
        assert client.get(path).status_code == 403, path


def test_signed_out_visitors_and_candidates_are_sent_away(client, db, clock, bank):
    assert client.get("/bank/").status_code in (302, 401)


def test_list_filters_by_accentless_text_and_logs_the_view(client, db, clock, bank):
    subject, other, examiner, _reviewer, admin = bank
    topic = topic_of(db, subject)
    hit = new_item(db, clock.now, subject, topic, examiner, stem="Hiến pháp là gì?")
    new_item(db, clock.now, subject, topic, examiner, stem="Grammar question?")
    hidden = new_item(db, clock.now, other, topic_of(db, other, "word"), admin, stem="Hiến pháp?")
    db.commit()
    sign_in(client, "examiner")
    page = client.get("/bank/", query_string={"q": "hien phap"})
    assert page.status_code == 200
    rows = re.findall(r'data-item="(\d+)"', page.text)
    assert rows == [str(hit.id)]  # the IT item is outside the examiner's subjects
    assert str(hidden.id) not in rows
    log = accesses(db, "list")[-1]
    assert log.item_ids == [hit.id] and log.user_id == examiner.id


def test_create_an_item_through_the_form(client, db, clock, bank):
    subject, *_ = bank
    sign_in(client, "examiner")
    csrf = token(client, f"/bank/items/new?subject={subject.id}")
    data = {
        "csrf_token": csrf,
        "subject": subject.id,
        "item_type": "single_choice",
        "stem": "Chọn từ đúng:\n<script>alert(1)</script>She ___ to school.",
        "topic": topic_of(db, subject).id,
        "difficulty": 2,
        "tags": "grammar, tenses",
        "match": "ignore_case",
        "true_answer": "true",
    }
    for index, text in enumerate(["goes", "go", "going", "gone"]):
        data[f"options-{index}-text"] = text
    data["options-0-correct"] = "y"
    data["options-3-pinned"] = "y"
    response = client.post("/bank/items/new", data=data)
    assert response.status_code == 302, response.text
    item = db.scalar(select(Item).order_by(Item.id.desc()))
    version = db.scalar(select(ItemVersion).where(ItemVersion.item_id == item.id))
    assert item.status == "draft" and item.difficulty == 2
    assert "<script>" not in version.stem and "<br>" in version.stem
    assert [o["fraction"] for o in version.content["options"]] == [1.0, 0.0, 0.0, 0.0]
    assert version.content["options"][3]["pinned"] is True
    assert sorted(t.name for t in item.tags) == ["grammar", "tenses"]
    detail = client.get(response.headers["Location"])
    assert "Câu hỏi" in detail.text or "Question" in detail.text


def test_an_invalid_item_is_not_saved_and_the_page_says_why(client, db, clock, bank):
    subject, *_ = bank
    sign_in(client, "examiner")
    csrf = token(client, "/bank/items/new")
    before = db.scalar(select(func.count(Item.id)))
    response = client.post(
        "/bank/items/new",
        data={
            "csrf_token": csrf,
            "subject": subject.id,
            "item_type": "multiple_response",
            "stem": "Which?",
            "topic": topic_of(db, subject).id,
            "difficulty": 1,
            "match": "ignore_case",
            "true_answer": "true",
            "options-0-text": "a",
            "options-0-credit": "50",
            "options-1-text": "b",
            "options-1-credit": "20",
        },
    )
    assert response.status_code == 422
    assert "70" in response.text  # the credits add up to 70 %, not 100 %
    assert db.scalar(select(func.count(Item.id))) == before


def capital_question(form, item, **fields) -> dict:
    """The edit form's data for a four-option question on France's capital (A is the key)."""
    data = {
        "csrf_token": csrf_from(form.text),
        "item_type": "single_choice",
        "stem": "What is the capital of France?",
        "topic": item.topic_id,
        "difficulty": 1,
        "match": "ignore_case",
        "true_answer": "true",
        **fields,
    }
    for index, text in enumerate(["Paris", "Lyon", "Rome", "Berlin"]):
        data[f"options-{index}-text"] = text
    data["options-0-correct"] = "y"
    return data


def test_edit_adds_a_version_and_history_shows_the_diff(client, db, clock, bank):
    subject, _other, examiner, _reviewer, _admin = bank
    item = new_item(db, clock.now, subject, topic_of(db, subject), examiner)
    db.commit()
    sign_in(client, "examiner")
    form = client.get(f"/bank/items/{item.id}/edit")
    assert "London" in form.text
    data = capital_question(form, item, note="better distractor")
    assert client.post(f"/bank/items/{item.id}/edit", data=data).status_code == 302
    versions = db.scalars(select(ItemVersion).where(ItemVersion.item_id == item.id)).all()
    assert [v.version_no for v in versions] == [1, 2]
    page = client.get(f"/bank/items/{item.id}/history")
    assert '<span class="diff-removed">- B. [0%] London' in page.text
    assert '<span class="diff-added">+ B. [0%] Lyon' in page.text
    assert accesses(db, "history")[-1].item_ids == [item.id]


def test_a_tag_holding_a_comma_survives_an_edit_through_the_form(client, db, clock, bank):
    subject, _other, examiner, _reviewer, _admin = bank
    item = new_item(db, clock.now, subject, topic_of(db, subject), examiner)
    item.tags = TagResolver(db).resolve(["luật, nghị định", "hành chính"])
    db.commit()
    sign_in(client, "examiner")
    form = client.get(f"/bank/items/{item.id}/edit")
    shown = re.search(r'name="tags"[^>]*value="([^"]*)"', form.text).group(1)
    assert html.unescape(shown) == "hành chính, luật\\, nghị định"  # as in spreadsheets
    data = capital_question(form, item, tags=html.unescape(shown), note="unchanged tags")
    assert client.post(f"/bank/items/{item.id}/edit", data=data).status_code == 302
    db.expire_all()
    assert sorted(t.name for t in db.get(Item, item.id).tags) == ["hành chính", "luật, nghị định"]


def test_preview_uses_the_candidate_markup(client, db, clock, bank):
    subject, _other, examiner, *_ = bank
    item = new_item(
        db, clock.now, subject, topic_of(db, subject), examiner, content=choice_content(pinned=(3,))
    )
    db.commit()
    sign_in(client, "examiner")
    page = client.get(f"/bank/items/{item.id}/preview")
    assert 'class="stem"' in page.text and page.text.count('class="option"') == 4
    assert re.findall(r'<span class="letter">(\w)</span>', page.text) == ["A", "B", "C", "D"]
    assert "fraction" not in page.text and "100%" not in page.text  # no key shown
    shuffled = client.get(f"/bank/items/{item.id}/preview?shuffle=1")
    texts = re.findall(r'<span class="option-text">([^<]*)</span>', shuffled.text)
    assert texts[3] == "Berlin"  # pinned stays in its slot
    assert accesses(db, "preview")[-1].item_ids == [item.id]


def test_review_page_flow_and_no_self_approval(client, db, clock, bank):
    subject, _other, examiner, reviewer, _admin = bank
    item = new_item(db, clock.now, subject, topic_of(db, subject), examiner)
    own = new_item(db, clock.now, subject, topic_of(db, subject), reviewer, stem="Own?")
    transition(db, item, "submit", actor=examiner, now=clock.now)
    transition(db, own, "submit", actor=reviewer, now=clock.now)
    db.commit()
    sign_in(client, "reviewer")
    queue = client.get("/bank/review")
    assert f'value="{item.id}"' in queue.text and f'value="{own.id}"' in queue.text
    detail = client.get(f"/bank/items/{own.id}")
    assert 'value="approve"' not in detail.text
    response = client.post(
        f"/bank/items/{item.id}/transition",
        data={"csrf_token": csrf_from(detail.text), "action": "approve", "comment": "Tốt"},
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Item, item.id).status == "approved"
    refused = client.post(
        "/bank/bulk",
        data={
            "csrf_token": csrf_from(detail.text),
            "action": "approve",
            "item_ids": [own.id],
            "next": "/bank/review",
        },
    )
    assert refused.status_code == 302
    db.expire_all()
    assert db.get(Item, own.id).status == "in_review"
    page = client.get("/bank/review")
    assert f"#{own.id}" in page.text  # the refusal is reported


def test_bulk_status_change_from_the_list(client, db, clock, bank):
    subject, _other, examiner, *_ = bank
    items = [
        new_item(db, clock.now, subject, topic_of(db, subject), examiner, stem=f"Q{n}?")
        for n in range(3)
    ]
    db.commit()
    sign_in(client, "examiner")
    response = client.post(
        "/bank/bulk",
        data={
            "csrf_token": token(client),
            "action": "submit",
            "item_ids": [i.id for i in items[:2]],
            "next": "/bank/",
        },
    )
    assert response.status_code == 302
    db.expire_all()
    assert [db.get(Item, i.id).status for i in items] == ["in_review", "in_review", "draft"]


def test_import_page_reports_errors_by_row_in_vietnamese(client, db, clock, bank):
    subject, *_ = bank
    sign_in(client, "examiner")
    rows = [HEADER_EN, ("single_choice", "Q?", "a", "b", "", "", "", "", 1, "")]
    response = client.post(
        "/bank/import",
        data={
            "csrf_token": token(client, "/bank/import"),
            "subject": subject.id,
            "format": "auto",
            "file": (io.BytesIO(workbook(rows)), "bad.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    table = response.text.split('id="import-errors"')[1]
    assert "<td>bad.xlsx</td><td>2</td><td>correct</td>" in table
    assert "No correct answer is given." not in table  # Vietnamese is the default UI language
    assert 'id="confirm-form"' not in response.text


def test_import_page_checks_then_confirms(client, db, clock, bank):
    subject, *_ = bank
    sign_in(client, "examiner")
    client.post("/lang/en", data={"csrf_token": token(client)})
    checked = client.post(
        "/bank/import",
        data={
            "csrf_token": token(client, "/bank/import"),
            "subject": subject.id,
            "format": "xlsx",
            "file": (io.BytesIO(workbook(ROWS)), "bank.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert "4 questions are ready to import" in checked.text
    assert db.scalar(select(func.count(Item.id)).where(Item.subject_id == subject.id)) == 0
    fields = dict(
        re.findall(r'<input id="(\w+)" name="\w+" type="hidden" value="([^"]*)"', checked.text)
    )
    fields["csrf_token"] = csrf_from(checked.text)
    tampered = {**fields, "subject": str(bank[1].id)}
    assert client.post("/bank/import/confirm", data=tampered).status_code in (400, 404)
    done = client.post("/bank/import/confirm", data=fields)
    assert done.status_code == 302
    assert db.scalar(select(func.count(Item.id)).where(Item.subject_id == subject.id)) == 4
    page = client.get(done.headers["Location"])
    assert "as drafts" in page.text


def test_templates_download_in_both_languages(client, db, clock, bank):
    sign_in(client, "examiner")
    vi = client.get("/bank/template/vi.xlsx")
    assert vi.status_code == 200 and vi.data[:2] == b"PK"
    en = client.get("/bank/template/en.csv")
    assert en.status_code == 200 and b"stem" in en.data.lower()
    assert client.get("/bank/template/fr.csv").status_code == 404


def test_export_downloads_and_is_logged(client, db, clock, bank):
    subject, _other, examiner, *_ = bank
    item = new_item(db, clock.now, subject, topic_of(db, subject), examiner)
    db.commit()
    sign_in(client, "examiner")
    response = client.post(
        "/bank/export",
        data={
            "csrf_token": token(client, "/bank/export"),
            "subject": subject.id,
            "format": "gift",
            "lang": "vi",
        },
    )
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert b"capital of France" in response.data
    log = accesses(db, "export")[-1]
    assert log.item_ids == [item.id] and log.user_id == examiner.id
    assert log.details["format"] == "gift"


def test_print_view_shows_keys_and_is_logged(client, db, clock, bank):
    subject, _other, examiner, *_ = bank
    item = new_item(db, clock.now, subject, topic_of(db, subject), examiner)
    db.commit()
    sign_in(client, "examiner")
    page = client.get("/bank/print", query_string={"subject": subject.id})
    assert page.status_code == 200 and 'class="key"' in page.text
    assert accesses(db, "print")[-1].item_ids == [item.id]


def test_admin_creates_subject_topics_and_assignments(client, db, clock, bank):
    sign_in(client, "admin")
    response = client.post(
        "/bank/subjects",
        data={
            "csrf_token": token(client, "/bank/subjects"),
            "code": "LAW",
            "name": "Pháp luật",
            "kind": "administrative",
            "levels": "",
        },
    )
    assert response.status_code == 302
    detail_url = response.headers["Location"]
    csrf = csrf_from(client.get(detail_url).text)
    client.post(detail_url, data={"t-csrf_token": csrf, "t-name": "Hiến pháp", "t-parent": 0})
    page = client.get(detail_url)
    assert "Hiến pháp" in page.text
    examiner = bank[2]
    client.post(detail_url, data={"a-csrf_token": csrf, "a-user": examiner.id})
    assert "examiner" in client.get(detail_url).text.split('id="assignees"')[1]


def test_examiner_cannot_manage_subjects(client, db, clock, bank):
    sign_in(client, "examiner")
    response = client.post(
        "/bank/subjects",
        data={
            "csrf_token": token(client, "/bank/subjects"),
            "code": "X",
            "name": "X",
            "kind": "it",
        },
    )
    assert response.status_code == 200
    assert "X" not in [s for s in re.findall(r">(\w+)</a></td>", response.text)]
    assert client.get(f"/bank/subjects/{bank[1].id}").status_code == 404


def test_media_is_served_to_staff_and_to_candidates_whose_form_shows_it(
    app, client, db, clock, bank
):
    from question_bank.importing import import_file

    subject, _other, examiner, *_ = bank
    gift = '::q:: Which flag? <img src="flag.png"> {\n=Viet Nam\n~Laos\n~Cambodia\n~Thailand\n}\n'
    with app.test_request_context():
        report = import_file(
            db,
            data=gift.encode(),
            filename="f.gift",
            subject=subject,
            actor=examiner,
            now=clock.now,
            files={"flag.png": PNG},
        )
    sha = db.scalar(select(MediaFile.sha256))
    version = db.scalar(select(ItemVersion).where(ItemVersion.item_id == report.item_ids[0]))
    sitting = make_sitting(db, clock.now, candidates=2)
    form = db.scalar(select(Form).where(Form.candidate_id == sitting.candidates[0][0].id))
    db.add(
        FormItem(
            form_id=form.id,
            position=99,
            item_version_id=version.id,
            option_order=["o1", "o2", "o3", "o4"],
        )
    )
    db.commit()
    url = f"/bank/media/{sha}"
    assert client.get(url).status_code == 404  # nobody signed in
    with client.session_transaction() as session:
        session["candidate_id"] = sitting.candidates[1][0].id
    assert client.get(url).status_code == 404  # not on this candidate's form
    with client.session_transaction() as session:
        session["candidate_id"] = sitting.candidates[0][0].id
    served = client.get(url)
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    with client.session_transaction() as session:
        session.clear()
    sign_in(client, "examiner")
    assert client.get(url).status_code == 200
    staff(db, clock.now, "technician")
    db.commit()
    client.post("/staff/logout", data={"csrf_token": token(client)})
    sign_in(client, "technician")
    assert client.get(url).status_code == 404


def test_every_bank_page_renders_for_an_examiner(client, db, clock, bank):
    subject, _other, examiner, *_ = bank
    item = new_item(db, clock.now, subject, topic_of(db, subject), examiner)
    db.commit()
    sign_in(client, "examiner")
    for path in (
        "/bank/",
        "/bank/review",
        "/bank/import",
        "/bank/export",
        "/bank/subjects",
        f"/bank/subjects/{subject.id}",
        "/bank/items/new",
        f"/bank/items/{item.id}",
        f"/bank/items/{item.id}/edit",
        f"/bank/items/{item.id}/history",
        f"/bank/items/{item.id}/preview",
        f"/bank/print?subject={subject.id}",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'lang="vi"' in page.text, path
        assert ("Ngân hàng câu hỏi" if "preview" not in path else "Xem trước") in page.text, path
    assert client.get("/bank/access-log").status_code == 403


def test_the_access_log_page_lists_who_saw_what(client, db, clock, bank):
    subject, _other, examiner, *_ = bank
    item = new_item(db, clock.now, subject, topic_of(db, subject), examiner)
    db.commit()
    sign_in(client, "examiner").get(f"/bank/items/{item.id}")
    client.post("/staff/logout", data={"csrf_token": token(client)})
    sign_in(client, "admin")
    page = client.get("/bank/access-log")
    row = page.text.split('id="access-log"')[1].split("</tr>")[1]
    assert "examiner" in row and f": {item.id}" in row


def test_fill_blank_and_true_false_through_the_form(client, db, clock, bank):
    subject, *_ = bank
    sign_in(client, "examiner")
    common = {
        "subject": subject.id,
        "topic": topic_of(db, subject).id,
        "difficulty": 3,
        "match": "ignore_accents",
    }
    fill = client.post(
        "/bank/items/new",
        data={
            **common,
            "csrf_token": token(client, "/bank/items/new"),
            "item_type": "fill_blank",
            "stem": "Thủ đô là ____ và sông là ____.",
            "blanks": "Hà Nội | Ha Noi\nHồng | %50%Cái",
            "true_answer": "true",
        },
    )
    assert fill.status_code == 302, fill.text
    version = db.scalar(select(ItemVersion).order_by(ItemVersion.id.desc()))
    assert version.content["options"] == []
    assert version.content["blanks"] == [
        {
            "answers": [{"text": "Hà Nội", "fraction": 1.0}, {"text": "Ha Noi", "fraction": 1.0}],
            "match": "ignore_accents",
        },
        {
            "answers": [{"text": "Hồng", "fraction": 1.0}, {"text": "Cái", "fraction": 0.5}],
            "match": "ignore_accents",
        },
    ]
    edit = client.get(f"/bank/items/{version.item_id}/edit")
    assert "Hà Nội | Ha Noi\nHồng | %50%Cái" in edit.text
    tf = client.post(
        "/bank/items/new",
        data={
            **common,
            "csrf_token": token(client, "/bank/items/new"),
            "item_type": "true_false",
            "stem": "Nước sôi ở 100 °C.",
            "true_answer": "false",
        },
    )
    assert tf.status_code == 302, tf.text
    version = db.scalar(select(ItemVersion).order_by(ItemVersion.id.desc()))
    assert [(o["text"], o["fraction"], o["pinned"]) for o in version.content["options"]] == [
        ("Đúng", 0.0, True),
        ("Sai", 1.0, True),
    ]


def test_an_uploaded_image_is_stored_and_shown_in_the_stem(client, db, clock, bank):
    subject, *_ = bank
    sign_in(client, "examiner")
    data = {
        "csrf_token": token(client, "/bank/items/new"),
        "subject": subject.id,
        "topic": topic_of(db, subject).id,
        "difficulty": 1,
        "match": "ignore_case",
        "item_type": "single_choice",
        "true_answer": "true",
        "stem": '<p>Cờ nào? <img src="co.png" alt="cờ"></p>',
        "options-0-text": "Việt Nam",
        "options-0-correct": "y",
        "options-1-text": "Lào",
        "media": (io.BytesIO(PNG), "co.png"),
    }
    response = client.post("/bank/items/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    media = db.scalar(select(MediaFile))
    version = db.scalar(select(ItemVersion).order_by(ItemVersion.id.desc()))
    assert f'src="/bank/media/{media.sha256}"' in version.stem
    assert client.get(f"/bank/media/{media.sha256}").data == PNG
    bad = {
        **data,
        "csrf_token": token(client, "/bank/items/new"),
        "stem": "Khác?",
        "media": (io.BytesIO(b"<svg onload=alert(1)>"), "x.svg"),
    }
    refused = client.post("/bank/items/new", data=bad, content_type="multipart/form-data")
    assert refused.status_code == 422 and "x.svg" in refused.text


def test_an_exam_server_can_serve_media_without_the_bank_pages(
    app, db, clock, connection, database_url, tmp_path
):
    """On EXAM_SERVER_ROLE=exam the bank's pages are absent; media_bp alone serves media."""
    from sqlalchemy.orm import sessionmaker

    from exam_server.app import create_app
    from exam_server.db import Database
    from question_bank.importing import import_file
    from question_bank.views import media_bp
    from tests.conftest import make_config

    with app.test_request_context():
        subject = bank_subject(db, clock.now, code="EX")
        gift = '::q:: Which flag? <img src="flag.png"> {\n=Viet Nam\n~Laos\n}\n'
        report = import_file(
            db,
            data=gift.encode(),
            filename="f.gift",
            subject=subject,
            actor=None,
            now=clock.now,
            files={"flag.png": PNG},
        )
    version = db.scalar(select(ItemVersion).where(ItemVersion.item_id == report.item_ids[0]))
    sitting = make_sitting(db, clock.now, candidates=1, code="EXR")
    form = db.scalar(select(Form).where(Form.candidate_id == sitting.candidates[0][0].id))
    db.add(
        FormItem(
            form_id=form.id, position=99, item_version_id=version.id, option_order=["o1", "o2"]
        )
    )
    db.commit()
    exam_app = create_app(
        make_config(database_url, SERVER_ROLE="exam"), instance_path=str(tmp_path / "exam")
    )
    exam_app.extensions["exam_db"] = Database(
        connection.engine,
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
    )
    assert "bank" not in exam_app.blueprints
    exam_app.register_blueprint(media_bp)
    terminal = exam_app.test_client()
    with terminal.session_transaction() as session:
        session["candidate_id"] = sitting.candidates[0][0].id
    sha = db.scalar(select(MediaFile.sha256))
    assert terminal.get(f"/bank/media/{sha}").data == PNG
    assert terminal.get("/bank/").status_code == 404
