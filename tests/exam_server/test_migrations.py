"""The Alembic history builds exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import exam_server.models  # noqa: F401
from exam_server import migrate
from exam_server.db import Base


def test_the_database_is_at_the_head_revision(engine):
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_models_and_migrations_agree(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_the_history_starts_from_the_first_table():
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    base = [revision for revision in scripts.walk_revisions() if revision.down_revision is None]
    assert [revision.revision for revision in base] == ["0001"]
