"""The preset registry holds the rules' numbers as data; exams copy and then own them."""

from __future__ import annotations

import json

import pytest

from exam_server.setup import exams as exam_service
from exam_server.setup.errors import ExamFrozen, NotFound
from exam_server.setup.presets import PresetError, load_presets, parse_presets
from tests.exam_server.setup.factories_setup import make_bank, make_exam


def test_the_registry_holds_the_presets_of_the_rules():
    registry = load_presets()
    assert set(registry) == {
        "decree170_round1",
        "decree170_round2_computer",
        "agency_foreign_language",
        "pilot_language_it",
        "decree138_round1",
        "decree116_round1",
        "internal_selection",
    }
    round1 = registry["decree170_round1"]
    (part,) = round1.parts
    assert (part.item_count, part.duration_minutes, part.pass_basis, part.pass_threshold) == (
        60,
        60,
        "share_correct",
        0.5,
    )
    assert (round1.clock_mode, round1.results_shown) == ("scheduled", "at_end")
    (round2,) = registry["decree170_round2_computer"].parts
    assert (round2.pass_basis, round2.pass_threshold) == ("points", 50)
    assert round2.limits["item_count"] == [60, 120] and round2.limits["duration_minutes"] == [
        90,
        180,
    ]
    # Points per difficulty group add up to 100 for the preset's 60 items.
    counts = exam_service.largest_remainder(60, [g.share for g in round2.difficulty_groups])
    assert sum(c * g.points for c, g in zip(counts, round2.difficulty_groups, strict=True)) == 100
    d138 = registry["decree138_round1"]
    assert [(p.item_count, p.duration_minutes, p.exemptible) for p in d138.parts] == [
        (60, 60, False),
        (30, 30, True),
        (30, 30, True),
    ]
    assert [p.subject_kind for p in registry["decree116_round1"].parts] == [
        "administrative",
        "foreign_language",
    ]
    pilot = registry["pilot_language_it"]
    assert (pilot.clock_mode, pilot.results_shown) == ("per_candidate", "at_submit")
    assert [p.subject_kind for p in pilot.parts] == ["foreign_language", "it"]


def test_late_entry_follows_the_rule_of_the_test_length():
    round1 = load_presets()["decree170_round1"]
    assert round1.late_entry_for(30) == 5
    assert round1.late_entry_for(20) == 5
    assert round1.late_entry_for(60) == 10


def test_an_installation_adds_and_overrides_presets(tmp_path):
    extra = tmp_path / "presets.json"
    data = json.loads(
        (
            __import__("pathlib").Path(exam_service.__file__).parent / "data" / "presets.json"
        ).read_text(encoding="utf-8")
    )
    mine = data["decree170_round1"] | {"late_entry": [[None, 15]]}
    extra.write_text(json.dumps({"my_round1": mine}), encoding="utf-8")
    registry = load_presets(extra)
    assert "my_round1" in registry and "decree170_round1" in registry
    assert registry["my_round1"].late_entry_for(60) == 15


def test_bad_preset_data_is_refused():
    with pytest.raises(PresetError):
        parse_presets({"x": {"kind": "emperor_exam", "parts": []}})
    good = load_presets()["decree170_round1"]
    raw = {
        "kind": good.kind,
        "parts": [
            {
                "title": "A",
                "subject_kind": "it",
                "item_count": 10,
                "duration_minutes": 10,
                "pass_basis": "share_correct",
                "pass_threshold": 0.5,
                "allowed_types": ["single_choice"],
                "difficulty_groups": [{"difficulty": 1, "share": 0.5, "points": 1}],
            }
        ],
    }
    with pytest.raises(PresetError, match="shares"):
        parse_presets({"x": raw})


def test_creating_an_exam_copies_the_preset_and_suggests_a_blueprint(db, clock):
    make_bank(db, clock.now, code="ENG", kind="foreign_language", per_cell=10)
    make_bank(db, clock.now, code="IT", kind="it", topics=3, per_cell=10)
    exam = make_exam(db, clock.now)
    assert (exam.kind, exam.status, exam.preset) == ("pilot", "draft", "pilot_language_it")
    assert (exam.clock_mode, exam.results_shown, exam.late_entry_minutes) == (
        "per_candidate",
        "at_submit",
        10,  # 2 × 30 minutes of test
    )
    english, it = exam.parts
    assert (english.item_count, english.duration_minutes, english.audio_play_limit) == (20, 30, 2)
    for part in exam.parts:
        assert sum(c["count"] for c in part.blueprint) == 20
        by_difficulty = {}
        for cell in part.blueprint:
            by_difficulty[cell["difficulty"]] = (
                by_difficulty.get(cell["difficulty"], 0) + cell["count"]
            )
        assert by_difficulty == {1: 8, 2: 8, 3: 4}
    assert len({c["topic_id"] for c in it.blueprint}) == 3  # spread over every topic


def test_the_exam_owns_its_values_after_creation(db, clock):
    make_bank(db, clock.now, code="ENG", kind="foreign_language")
    make_bank(db, clock.now, code="IT", kind="it")
    exam = make_exam(db, clock.now)
    part = exam.parts[0]
    exam_service.update_part(
        db, part, {"item_count": 25, "duration_minutes": 40}, now=clock.now, actor_id=None
    )
    exam_service.update_exam(db, exam, {"late_entry_minutes": 7}, now=clock.now, actor_id=None)
    assert (part.item_count, part.duration_minutes, exam.late_entry_minutes) == (25, 40, 7)
    assert load_presets()["pilot_language_it"].parts[0].item_count == 20


def test_a_missing_subject_is_named(db, clock):
    make_bank(db, clock.now, code="ENG", kind="foreign_language")
    with pytest.raises(NotFound) as refused:
        make_exam(db, clock.now)
    assert "Tin học" in str(refused.value) or "it" in str(refused.value)


def test_the_lifecycle_moves_one_step_at_a_time_and_publishing_freezes(db, clock):
    from exam_server.setup.publishing import publish_exam

    make_bank(db, clock.now, code="ENG", kind="foreign_language", per_cell=12)
    make_bank(db, clock.now, code="IT", kind="it", per_cell=12)
    exam = make_exam(db, clock.now)
    with pytest.raises(exam_service.SetupError):
        exam_service.advance_status(db, exam, "in_progress", now=clock.now, actor_id=None)
    publish_exam(db, exam, now=clock.now, actor_id=None)
    assert exam.status == "published" and exam.published_at == clock.now
    with pytest.raises(ExamFrozen):
        exam_service.update_part(
            db, exam.parts[0], {"item_count": 10}, now=clock.now, actor_id=None
        )
    with pytest.raises(ExamFrozen):
        exam_service.set_blueprint(db, exam.parts[0], [], now=clock.now, actor_id=None)
    for status in ("in_progress", "closed", "results_approved", "archived"):
        exam_service.advance_status(db, exam, status, now=clock.now, actor_id=None)
    assert exam.status == "archived"
