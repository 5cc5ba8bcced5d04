"""delivery and security

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_key", sa.String(length=120), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttles")),
        sa.UniqueConstraint("account_key", name=op.f("uq_login_throttles_account_key")),
    )
    op.create_table(
        "candidate_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("code_entered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late_entry_allowed_by", sa.Integer(), nullable=True),
        sa.Column("late_entry_allowed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late_entry_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_candidate_entries_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_candidate_entries_shift_id_shifts")
        ),
        sa.ForeignKeyConstraint(
            ["late_entry_allowed_by"],
            ["users.id"],
            name=op.f("fk_candidate_entries_late_entry_allowed_by_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_entries")),
        sa.UniqueConstraint(
            "candidate_id", "shift_id", name=op.f("uq_candidate_entries_candidate_id_shift_id")
        ),
    )
    with op.batch_alter_table("candidate_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_candidate_entries_candidate_id"), ["candidate_id"], unique=False
        )

    op.create_table(
        "media_plays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempts.id"], name=op.f("fk_media_plays_attempt_id_attempts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_plays")),
    )
    with op.batch_alter_table("media_plays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_plays_attempt_id"), ["attempt_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("media_plays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_plays_attempt_id"))
    op.drop_table("media_plays")
    with op.batch_alter_table("candidate_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_entries_candidate_id"))
    op.drop_table("candidate_entries")
    op.drop_table("login_throttles")
