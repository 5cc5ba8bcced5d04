"""Alembic environment: runs on the connection that exam_server.migrate hands over."""

from alembic import context

import exam_server.models  # noqa: F401  (registers every table)
from exam_server.db import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
