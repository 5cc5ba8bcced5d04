"""Storing forms in bulk: same forms, keys and indexes kept and enforced, all or nothing.

A large generation takes form_items' plain indexes and, on PostgreSQL, its foreign keys off
and puts them back, checking the keys once for the whole set instead of row by row
(exam_server/setup/form_store.py). These tests force that path with a small exam; SQLite keeps
its keys (checked row by row, they are cheap there), and the same facts hold on both.
"""

from __future__ import annotations

import contextlib
import logging
import random

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from exam_server.models import Form, FormItem, ItemVersion
from exam_server.setup import form_store
from exam_server.setup.errors import SetupError
from exam_server.setup.form_builder import DrawnItem
from exam_server.setup.form_store import FormStore
from exam_server.setup.forms import Chosen, check_form, generate_forms, plan_part
from tests.exam_server.setup.factories_setup import add_candidates
from tests.exam_server.setup.test_forms_service import it_exam, seat_everyone, stored


@pytest.fixture
def bulk(monkeypatch):
    """Take the keys and plain indexes off from the first row, however large the table (the
    test database's statistics must not decide which path is tested)."""
    monkeypatch.setattr(form_store, "BULK_MIN_ROWS", 0)
    monkeypatch.setattr(form_store, "FOREIGN_KEY_TABLE_RATIO", 10**9)
    monkeypatch.setattr(form_store, "INDEX_REBUILD_TABLE_RATIO", 10**9)


def schema(db) -> dict:
    """form_items' foreign keys and indexes as the database reports them.

    On PostgreSQL it also checks that every key is validated and every index valid.
    """
    connection = db.connection()
    inspector = inspect(connection)
    found = {
        "foreign keys": sorted(
            (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"])
            for fk in inspector.get_foreign_keys("form_items")
        ),
        "indexes": sorted(
            (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
            for ix in inspector.get_indexes("form_items")
        ),
        "unique": sorted(
            (uq["name"], tuple(uq["column_names"]))
            for uq in inspector.get_unique_constraints("form_items")
        ),
    }
    if connection.dialect.name == "postgresql":
        unchecked = connection.execute(
            text(
                "SELECT count(*) FROM pg_constraint WHERE conrelid = 'form_items'::regclass"
                " AND NOT convalidated"
            )
        ).scalar_one()
        invalid = connection.execute(
            text(
                "SELECT count(*) FROM pg_index WHERE indrelid = 'form_items'::regclass"
                " AND NOT (indisvalid AND indisready)"
            )
        ).scalar_one()
        assert (unchecked, invalid) == (0, 0)
    return found


def seeds(n: int):
    source = random.Random(n)
    return lambda: source.getrandbits(63)


@pytest.mark.parametrize("rebuild_indexes", [True, False], ids=["indexes rebuilt", "kept"])
def test_forms_stored_in_bulk_are_the_forms_stored_row_by_row(
    db, clock, bulk, monkeypatch, rebuild_indexes
):
    # A negative ratio: the table is never small enough to rebuild the plain indexes.
    monkeypatch.setattr(form_store, "INDEX_REBUILD_TABLE_RATIO", 10**9 if rebuild_indexes else -1)
    taken_off = []  # what each generation took off form_items
    put_back = FormStore._put_back

    def restore(store):
        if store.keys_off or store.indexes_off:
            taken_off.append([name for name, _ in store.keys_off + store.indexes_off])
        put_back(store)

    monkeypatch.setattr(FormStore, "_put_back", restore)
    exam = it_exam(db, clock)
    candidates = add_candidates(db, exam, 9, now=clock.now)
    seat_everyone(db, clock, exam, candidates, seats_per_row=3)
    before = schema(db)
    assert [k[1] for k in before["foreign keys"]] == [("form_id",), ("item_version_id",)]
    assert ("ix_form_items_item_version_id", ("item_version_id",), False) in before["indexes"]

    assert generate_forms(db, exam, clock.now, seed_source=seeds(4)) == 9 * 2 * 2
    in_bulk = {part.id: stored(db, part.id) for part in exam.parts}
    assert schema(db) == before
    # The path under test was taken (SQLite keeps its foreign keys: its checks are cheap).
    if db.connection().dialect.name == "postgresql":
        keys = ["fk_form_items_form_id_forms", "fk_form_items_item_version_id_item_versions"]
        index = ["public.ix_form_items_item_version_id"] if rebuild_indexes else []
    else:
        keys, index = [], ['"ix_form_items_item_version_id"'] if rebuild_indexes else []
    expected = [keys + index] if keys + index else []
    assert taken_off == expected
    for part in exam.parts:
        plan = plan_part(db, part)
        for form in db.scalars(select(Form).where(Form.part_id == part.id)):
            assert check_form(db, form, plan).matches

    monkeypatch.setattr(form_store, "BULK_MIN_ROWS", 10**9)  # row by row
    generate_forms(db, exam, clock.now, replace=True, seed_source=seeds(4))
    assert {part.id: stored(db, part.id) for part in exam.parts} == in_bulk
    assert schema(db) == before
    assert taken_off == expected  # this time nothing was taken off


def test_an_item_pointing_to_no_version_fails_and_leaves_nothing(db, clock, bulk):
    exam = it_exam(db, clock)
    (candidate,) = add_candidates(db, exam, 1, now=clock.now)
    part = exam.parts[0]
    before = schema(db)
    missing = db.scalar(select(func.max(ItemVersion.id))) + 1000
    form = Chosen(candidate.id, "main", 1, None, [DrawnItem(missing, ("a", "b"), 1.0)])
    dialect = db.connection().dialect
    postgres = dialect.name == "postgresql"

    # Written through the driver, a row refused at once raises the driver's own error.
    with pytest.raises((IntegrityError, dialect.dbapi.IntegrityError)), db.begin_nested():
        with FormStore(db, clock.now) as store:
            assert store.store(part.id, "digest", [form], 1, 1) == 1
            assert bool(store.keys_off) == postgres  # the path under test was taken
    assert db.scalar(select(func.count()).select_from(Form)) == 0
    assert db.scalar(select(func.count()).select_from(FormItem)) == 0
    assert schema(db) == before


def test_a_generation_that_fails_half_way_leaves_no_form_and_the_keys_in_place(db, clock, bulk):
    # Each cell is drawn whole and not shuffled: the second neighbour cannot get a form.
    exam = it_exam(db, clock, per_cell=4, shuffle_items=False)
    candidates = add_candidates(db, exam, 4, now=clock.now)
    seat_everyone(db, clock, exam, candidates, seats_per_row=2)
    before = schema(db)
    with pytest.raises(SetupError, match="neighbouring seats"):
        generate_forms(db, exam, clock.now)
    assert db.scalar(select(func.count()).select_from(Form)) == 0
    assert db.scalar(select(func.count()).select_from(FormItem)) == 0
    assert schema(db) == before


def test_when_another_session_holds_the_tables_rows_are_checked_one_by_one(
    db, clock, bulk, engine, monkeypatch, caplog
):
    monkeypatch.setattr(form_store, "BULK_LOCK_WAIT", "200ms")
    exam = it_exam(db, clock)
    add_candidates(db, exam, 3, now=clock.now)
    before = schema(db)
    # SQLite serialises whole transactions (BEGIN IMMEDIATE): there, no other session can be
    # in the middle of reading while this one writes, and the rows are checked one by one.
    postgres = db.connection().dialect.name == "postgresql"
    with contextlib.ExitStack() as stack:
        if postgres:
            other = stack.enter_context(engine.connect())
            other.execute(select(func.count()).select_from(ItemVersion))  # holds the table
        with caplog.at_level(logging.INFO, logger=form_store.__name__):
            assert generate_forms(db, exam, clock.now) == 3 * 2 * 2
    if postgres:
        assert "row by row" in caplog.text
    for part in exam.parts:
        plan = plan_part(db, part)
        for form in db.scalars(select(Form).where(Form.part_id == part.id)):
            assert check_form(db, form, plan).matches
    assert schema(db) == before
