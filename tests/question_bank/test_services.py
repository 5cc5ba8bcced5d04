"""Authoring services: items, versions, review workflow, scopes, search, history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from exam_server.models import AuditEntry, FormItem, ItemVersion
from exam_server.models.bank import ItemTransition, VersionImmutableError
from exam_server.setup.forms import approved_pool
from question_bank.errors import InvalidItem, NotAllowed, NotFound, TransitionRefused
from question_bank.permissions import load_item, visible_subject_ids
from question_bank.review import available_actions, bulk_transition, transition
from question_bank.services import ItemFilter, edit_item, review_queue, search_items
from question_bank.subjects import TopicResolver
from question_bank.versions import history, latest_version
from tests.factories import make_sitting
from tests.question_bank.factories_bank import (
    bank_subject,
    choice_content,
    draft,
    new_item,
    staff,
    topic_of,
)


@pytest.fixture
def bank(db, clock, ctx):
    subject = bank_subject(db, clock.now)
    other = bank_subject(db, clock.now, code="IT", kind="it", topics=("Word",))
    examiner = staff(db, clock.now, "examiner", subjects=[subject])
    reviewer = staff(db, clock.now, "reviewer", subjects=[subject])
    return subject, other, examiner, reviewer


def test_create_item_stores_a_clean_first_version_as_draft(db, clock, bank):
    subject, _other, examiner, _reviewer = bank
    item = new_item(
        db,
        clock.now,
        subject,
        topic_of(db, subject),
        examiner,
        stem='<p>Capital<script>alert(1)</script> <b onclick="y()">now</b></p>',
        tags=["geo", "Geo", " europe "],
    )
    assert item.status == "draft"
    version = latest_version(db, item.id)
    assert version.version_no == 1 and "script" not in version.stem
    assert "onclick" not in version.stem and "<b>now</b>" in version.stem
    assert sorted(tag.name for tag in item.tags) == ["europe", "geo"]
    first = db.scalar(select(ItemTransition).where(ItemTransition.item_id == item.id))
    assert (first.from_status, first.to_status, first.actor_id) == (None, "draft", examiner.id)


def test_invalid_content_is_refused_with_every_problem(db, clock, bank):
    subject, _other, examiner, _ = bank
    content = choice_content(texts=("Same", "same", "Other"), correct=0)
    content["options"][2]["fraction"] = 1.0
    with pytest.raises(InvalidItem) as refused:
        new_item(
            db, clock.now, subject, topic_of(db, subject), examiner, content=content, difficulty=7
        )
    found = {issue.field for issue in refused.value.issues}
    assert {"options", "difficulty"} <= found and "option_b" in found


def test_an_edit_adds_a_version_and_sends_an_approved_item_back_to_review(db, clock, bank):
    subject, _other, examiner, reviewer = bank
    topic = topic_of(db, subject)
    item = new_item(db, clock.now, subject, topic, examiner)
    transition(db, item, "submit", actor=examiner, now=clock.now)
    transition(db, item, "approve", actor=reviewer, now=clock.now, comment="good")
    assert item.status == "approved"
    clock.advance(minutes=5)
    version = edit_item(
        db,
        item,
        draft(
            topic,
            stem="What is the capital of Italy?",
            content=choice_content(correct=2),
            note="typo",
        ),
        actor=examiner,
        now=clock.now,
    )
    assert version.version_no == 2 and item.status == "draft"
    versions = db.scalars(select(ItemVersion).where(ItemVersion.item_id == item.id)).all()
    assert [v.stem for v in versions] == [
        "What is the capital of France?",
        "What is the capital of Italy?",
    ]
    steps = db.scalars(
        select(ItemTransition).where(ItemTransition.item_id == item.id).order_by(ItemTransition.id)
    ).all()
    assert [(s.from_status, s.to_status) for s in steps][-1] == ("approved", "draft")
    assert steps[-1].comment == "typo" and steps[-1].version_no == 2


def test_an_edit_without_changes_to_the_question_keeps_the_version(db, clock, bank):
    subject, _other, examiner, _ = bank
    topic = topic_of(db, subject)
    item = new_item(db, clock.now, subject, topic, examiner)
    assert edit_item(db, item, draft(topic, tags=["new"]), actor=examiner, now=clock.now) is None
    assert latest_version(db, item.id).version_no == 1
    assert [t.name for t in item.tags] == ["new"]
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "bank_item_edited")).details[
        "tags"
    ] == [[], ["new"]]


def test_stored_versions_are_immutable(db, clock, bank):
    subject, _other, examiner, _ = bank
    item = new_item(db, clock.now, subject, topic_of(db, subject), examiner)
    version = latest_version(db, item.id)
    version.stem = "changed in place"
    with pytest.raises(VersionImmutableError):
        db.flush()
    db.rollback()


def test_a_version_used_by_a_form_stays_what_the_form_shows(db, clock, ctx):
    make_sitting(db, clock.now, candidates=1)
    used = db.scalars(select(FormItem)).first()
    version = db.get(ItemVersion, used.item_version_id)
    author = staff(db, clock.now, "admin", username="boss")
    item = load_item(db, author, version.item_id)
    before = (version.stem, dict(version.content))
    edit_item(
        db,
        item,
        draft(_topic(db, item), stem="Rewritten", content=choice_content()),
        actor=author,
        now=clock.now,
    )
    db.expire_all()
    assert (db.get(ItemVersion, used.item_version_id).stem, used.item_version_id) == (
        before[0],
        version.id,
    )
    assert latest_version(db, item.id).version_no == 2 and item.status == "draft"
    # The edited item is no longer drawn: only approved items reach forms.
    pool = approved_pool(db, item.subject_id, [])
    drawn = {p.version_id for cell in pool.values() for p in cell}
    assert latest_version(db, item.id).id not in drawn and version.id not in drawn


def _topic(db, item):
    from exam_server.models import Topic

    return db.get(Topic, item.topic_id)


def test_review_workflow_records_every_step_and_forbids_self_approval(db, clock, bank):
    subject, _other, examiner, reviewer = bank
    item = new_item(db, clock.now, subject, topic_of(db, subject), reviewer)
    with pytest.raises(NotAllowed):
        transition(db, item, "approve", actor=examiner, now=clock.now)
    transition(db, item, "submit", actor=reviewer, now=clock.now)
    with pytest.raises(TransitionRefused, match="tự phê duyệt"):  # nobody approves their own
        transition(db, item, "approve", actor=reviewer, now=clock.now)
    assert item.status == "in_review"
    second = staff(db, clock.now, "reviewer", username="reviewer2", subjects=[subject])
    with pytest.raises(TransitionRefused):
        transition(db, item, "return", actor=second, now=clock.now, comment="  ")
    clock.advance(minutes=1)
    transition(db, item, "return", actor=second, now=clock.now, comment="Fix option B")
    transition(db, item, "submit", actor=reviewer, now=clock.now)
    transition(db, item, "approve", actor=second, now=clock.now, comment="OK")
    transition(db, item, "retire", actor=second, now=clock.now)
    transition(db, item, "restore", actor=second, now=clock.now)
    steps = db.scalars(
        select(ItemTransition).where(ItemTransition.item_id == item.id).order_by(ItemTransition.id)
    ).all()
    assert [(s.from_status, s.to_status, s.actor_id) for s in steps] == [
        (None, "draft", reviewer.id),
        ("draft", "in_review", reviewer.id),
        ("in_review", "draft", second.id),
        ("draft", "in_review", reviewer.id),
        ("in_review", "approved", second.id),
        ("approved", "retired", second.id),
        ("retired", "draft", second.id),
    ]
    assert steps[2].comment == "Fix option B" and steps[2].at == clock.now
    with pytest.raises(TransitionRefused):
        transition(db, item, "approve", actor=second, now=clock.now)


def test_bulk_changes_apply_what_is_allowed_and_list_the_rest(db, clock, bank):
    subject, _other, examiner, reviewer = bank
    topic = topic_of(db, subject)
    mine = new_item(db, clock.now, subject, topic, reviewer, stem="Mine?")
    theirs = [new_item(db, clock.now, subject, topic, examiner, stem=f"Q{n}?") for n in range(3)]
    ids = [mine.id, *(i.id for i in theirs)]
    bulk_transition(db, ids, "submit", actor=examiner, now=clock.now)
    result = bulk_transition(db, [*ids, 999999], "approve", actor=reviewer, now=clock.now)
    assert result.done == sorted(i.id for i in theirs)
    assert {item_id for item_id, _ in result.refused} == {mine.id, 999999}
    assert mine.status == "in_review" and {i.status for i in theirs} == {"approved"}


def test_examiners_see_only_their_subjects_and_proctors_nothing(db, clock, bank):
    subject, other, examiner, _ = bank
    foreign = new_item(
        db, clock.now, other, topic_of(db, other, "word"), staff(db, clock.now, "admin")
    )
    assert visible_subject_ids(db, examiner) == {subject.id}
    with pytest.raises(NotFound):
        load_item(db, examiner, foreign.id)
    assert search_items(db, examiner, ItemFilter()).total == 0
    with pytest.raises(NotAllowed):
        visible_subject_ids(db, staff(db, clock.now, "proctor"))
    with pytest.raises(NotFound):
        new_item(db, clock.now, other, topic_of(db, other, "word"), examiner)


def test_search_ignores_accents_and_case_and_filters(db, clock, bank):
    subject, _other, examiner, _ = bank
    resolver = TopicResolver(db, subject)
    law = resolver.resolve("Pháp luật")
    constitution = resolver.resolve("Pháp luật/Hiến pháp")
    a = new_item(
        db,
        clock.now,
        subject,
        constitution,
        examiner,
        stem="Hiến pháp năm 2013 có bao nhiêu chương?",
        tags=["luật"],
        difficulty=2,
    )
    b = new_item(
        db,
        clock.now,
        subject,
        law,
        examiner,
        stem="ĐIỀU 100% đúng?",
        item_type="true_false",
        content=choice_content(("Đúng", "Sai")),
    )
    new_item(db, clock.now, subject, topic_of(db, subject), examiner, stem="Grammar?")

    def ids(**filters):
        return {row.item.id for row in search_items(db, examiner, ItemFilter(**filters)).rows}

    assert ids(text="hien PHAP") == {a.id}
    assert ids(text="dieu 100%") == {b.id}
    assert ids(text="100_") == set()  # LIKE wildcards are literal
    assert ids(topic_id=law.id) == {a.id, b.id}  # a sub-topic counts
    assert ids(tag="luật") == {a.id}
    assert ids(item_type="true_false") == {b.id}
    assert ids(difficulty=2) == {a.id}
    assert ids(text=f"#{b.id}") == {b.id}
    page = search_items(db, examiner, ItemFilter(subject_id=subject.id), per_page=2)
    assert page.total == 3 and len(page.rows) == 2 and page.pages == 2
    by_level = search_items(db, examiner, ItemFilter(), order="difficulty", per_page=1, page=3)
    assert [row.item.id for row in by_level.rows] == [a.id]  # levels 1, 1, then 2


def test_review_queue_and_available_actions(db, clock, bank):
    subject, _other, examiner, reviewer = bank
    item = new_item(db, clock.now, subject, topic_of(db, subject), examiner)
    assert review_queue(db, reviewer) == []
    transition(db, item, "submit", actor=examiner, now=clock.now)
    assert [row.item.id for row in review_queue(db, reviewer)] == [item.id]
    assert {a.name for a in available_actions(db, item, reviewer)} == {
        "approve",
        "return",
        "retire",
    }
    assert available_actions(db, item, examiner) == []


def test_history_shows_a_readable_diff(db, clock, bank):
    subject, _other, examiner, _ = bank
    topic = topic_of(db, subject)
    item = new_item(db, clock.now, subject, topic, examiner)
    edit_item(
        db,
        item,
        draft(topic, content=choice_content(("Paris", "Lyon", "Rome", "Berlin"))),
        actor=examiner,
        now=clock.now,
    )
    entries = history(db, item, lambda s: s)
    assert [e.version.version_no for e in entries] == [2, 1]
    changed = [(line.kind, line.text) for line in entries[0].diff if line.kind != "same"]
    assert changed == [("removed", "B. [0%] London"), ("added", "B. [0%] Lyon")]
    assert entries[0].author.id == examiner.id and entries[0].used_by_forms == 0
