"""council and audit

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "council_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("part_id", sa.Integer(), nullable=True),
        sa.Column("item_version_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("record_ref", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("after_approval", sa.Boolean(), nullable=False),
        sa.Column("effect", sa.JSON(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_council_decisions_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["users.id"],
            name=op.f("fk_council_decisions_confirmed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_council_decisions_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_council_decisions_exam_id_exams")
        ),
        sa.ForeignKeyConstraint(
            ["item_version_id"],
            ["item_versions.id"],
            name=op.f("fk_council_decisions_item_version_id_item_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["exam_parts.id"], name=op.f("fk_council_decisions_part_id_exam_parts")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_council_decisions_revoked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_decisions")),
    )
    with op.batch_alter_table("council_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_council_decisions_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_council_decisions_exam_id"), ["exam_id"], unique=False)

    op.create_table(
        "council_part_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=True),
        sa.Column("correct_count", sa.Integer(), nullable=True),
        sa.Column("adjusted_correct", sa.Double(), nullable=True),
        sa.Column("earned", sa.Double(), nullable=True),
        sa.Column("maximum", sa.Double(), nullable=True),
        sa.Column("score_100", sa.Double(), nullable=True),
        sa.Column("share_correct", sa.Double(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("sanction", sa.String(length=24), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("stored_score_100", sa.Double(), nullable=True),
        sa.Column("stored_correct_count", sa.Integer(), nullable=True),
        sa.Column("stored_passed", sa.Boolean(), nullable=True),
        sa.Column("decision_ids", sa.JSON(), nullable=False),
        sa.Column("compiled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_council_part_results_attempt_id_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_council_part_results_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_council_part_results_exam_id_exams")
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["exam_parts.id"], name=op.f("fk_council_part_results_part_id_exam_parts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_part_results")),
        sa.UniqueConstraint(
            "candidate_id", "part_id", name=op.f("uq_council_part_results_candidate_id_part_id")
        ),
    )
    with op.batch_alter_table("council_part_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_council_part_results_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_council_part_results_exam_id"), ["exam_id"], unique=False
        )

    op.create_table(
        "council_candidate_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("overall", sa.String(length=16), nullable=False),
        sa.Column("written", sa.Double(), nullable=True),
        sa.Column("interview", sa.Double(), nullable=True),
        sa.Column("priority_points", sa.Double(), nullable=True),
        sa.Column("combined", sa.Double(), nullable=True),
        sa.Column("total", sa.Double(), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("selected", sa.Boolean(), nullable=True),
        sa.Column("tie_for_head", sa.Boolean(), nullable=True),
        sa.Column("compiled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_council_candidate_results_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_council_candidate_results_exam_id_exams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_candidate_results")),
        sa.UniqueConstraint("candidate_id", name=op.f("uq_council_candidate_results_candidate_id")),
    )
    with op.batch_alter_table("council_candidate_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_council_candidate_results_exam_id"), ["exam_id"], unique=False
        )

    op.create_table(
        "council_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("results_sha256", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["users.id"], name=op.f("fk_council_approvals_approved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_council_approvals_exam_id_exams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_approvals")),
    )
    with op.batch_alter_table("council_approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_approvals_exam_id"), ["exam_id"], unique=False)

    op.create_table(
        "council_bundles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_council_bundles_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_council_bundles_exam_id_exams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_bundles")),
    )
    with op.batch_alter_table("council_bundles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_bundles_exam_id"), ["exam_id"], unique=False)

    op.create_table(
        "council_position_quotas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_council_position_quotas_exam_id_exams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_position_quotas")),
        sa.UniqueConstraint(
            "exam_id", "position", name=op.f("uq_council_position_quotas_exam_id_position")
        ),
    )
    with op.batch_alter_table("council_position_quotas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_council_position_quotas_exam_id"), ["exam_id"], unique=False
        )


def downgrade() -> None:
    for table in (
        "council_position_quotas",
        "council_bundles",
        "council_approvals",
        "council_candidate_results",
        "council_part_results",
        "council_decisions",
    ):
        op.drop_table(table)
