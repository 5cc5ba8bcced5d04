"""drop the answer tables' attempt indexes (the unique constraints lead with attempt_id)

Every answer save inserts events and upserts answers; each index is one more write per
row. `(attempt_id, ordinal)` and `(attempt_id, position)` already serve every lookup by
attempt.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answer_events") as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_events_attempt_id"))
    with op.batch_alter_table("answers") as batch_op:
        batch_op.drop_index(batch_op.f("ix_answers_attempt_id"))


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch_op:
        batch_op.create_index(batch_op.f("ix_answers_attempt_id"), ["attempt_id"], unique=False)
    with op.batch_alter_table("answer_events") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answer_events_attempt_id"), ["attempt_id"], unique=False
        )
