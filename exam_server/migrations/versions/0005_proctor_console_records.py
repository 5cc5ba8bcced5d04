"""proctor console records

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proctor_chair_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("room_session_id", sa.Integer(), nullable=True),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_proctor_chair_decisions_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_proctor_chair_decisions_exam_id_exams")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_proctor_chair_decisions_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["room_session_id"],
            ["room_sessions.id"],
            name=op.f("fk_proctor_chair_decisions_room_session_id_room_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proctor_chair_decisions")),
    )
    with op.batch_alter_table("proctor_chair_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proctor_chair_decisions_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_proctor_chair_decisions_exam_id"), ["exam_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_proctor_chair_decisions_room_session_id"),
            ["room_session_id"],
            unique=False,
        )
    op.create_table(
        "proctor_check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_session_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("id_checked", sa.Boolean(), nullable=False),
        sa.Column("terminal_label", sa.String(length=40), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("late_decision_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_proctor_check_ins_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["late_decision_id"],
            ["proctor_chair_decisions.id"],
            name=op.f("fk_proctor_check_ins_late_decision_id_proctor_chair_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_proctor_check_ins_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["room_session_id"],
            ["room_sessions.id"],
            name=op.f("fk_proctor_check_ins_room_session_id_room_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proctor_check_ins")),
        sa.UniqueConstraint(
            "room_session_id",
            "candidate_id",
            name=op.f("uq_proctor_check_ins_room_session_id_candidate_id"),
        ),
    )
    with op.batch_alter_table("proctor_check_ins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proctor_check_ins_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_proctor_check_ins_room_session_id"), ["room_session_id"], unique=False
        )
    op.create_table(
        "proctor_envelope_openings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_session_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("witness_1_id", sa.Integer(), nullable=False),
        sa.Column("witness_2_id", sa.Integer(), nullable=False),
        sa.Column("seal_intact", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["users.id"],
            name=op.f("fk_proctor_envelope_openings_opened_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["room_session_id"],
            ["room_sessions.id"],
            name=op.f("fk_proctor_envelope_openings_room_session_id_room_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["witness_1_id"],
            ["candidates.id"],
            name=op.f("fk_proctor_envelope_openings_witness_1_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["witness_2_id"],
            ["candidates.id"],
            name=op.f("fk_proctor_envelope_openings_witness_2_id_candidates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proctor_envelope_openings")),
        sa.UniqueConstraint(
            "room_session_id", name=op.f("uq_proctor_envelope_openings_room_session_id")
        ),
    )
    op.create_table(
        "proctor_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_session_id", sa.Integer(), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reported_by_id"], ["users.id"], name=op.f("fk_proctor_incidents_reported_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["room_session_id"],
            ["room_sessions.id"],
            name=op.f("fk_proctor_incidents_room_session_id_room_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proctor_incidents")),
    )
    with op.batch_alter_table("proctor_incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proctor_incidents_room_session_id"), ["room_session_id"], unique=False
        )
    op.create_table(
        "proctor_incident_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("candidate_ids", sa.JSON(), nullable=False),
        sa.Column("sanction", sa.String(length=16), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("action_taken", sa.Text(), nullable=False),
        sa.Column("staff", sa.Text(), nullable=False),
        sa.Column("amendment_reason", sa.Text(), nullable=True),
        sa.Column("edited_by_id", sa.Integer(), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["edited_by_id"],
            ["users.id"],
            name=op.f("fk_proctor_incident_versions_edited_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["proctor_incidents.id"],
            name=op.f("fk_proctor_incident_versions_incident_id_proctor_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proctor_incident_versions")),
        sa.UniqueConstraint(
            "incident_id",
            "version_no",
            name=op.f("uq_proctor_incident_versions_incident_id_version_no"),
        ),
    )
    with op.batch_alter_table("proctor_incident_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proctor_incident_versions_incident_id"), ["incident_id"], unique=False
        )
    op.create_table(
        "proctor_sanctions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_session_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("witnesses", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempts.id"], name=op.f("fk_proctor_sanctions_attempt_id_attempts")
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_proctor_sanctions_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["proctor_incidents.id"],
            name=op.f("fk_proctor_sanctions_incident_id_proctor_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_proctor_sanctions_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["room_session_id"],
            ["room_sessions.id"],
            name=op.f("fk_proctor_sanctions_room_session_id_room_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proctor_sanctions")),
    )
    with op.batch_alter_table("proctor_sanctions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proctor_sanctions_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_proctor_sanctions_room_session_id"), ["room_session_id"], unique=False
        )
    op.create_table(
        "proctor_retakes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("room_session_id", sa.Integer(), nullable=False),
        sa.Column("voided_attempt_id", sa.Integer(), nullable=False),
        sa.Column("new_attempt_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_proctor_retakes_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["proctor_chair_decisions.id"],
            name=op.f("fk_proctor_retakes_decision_id_proctor_chair_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["proctor_incidents.id"],
            name=op.f("fk_proctor_retakes_incident_id_proctor_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["new_attempt_id"],
            ["attempts.id"],
            name=op.f("fk_proctor_retakes_new_attempt_id_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["exam_parts.id"], name=op.f("fk_proctor_retakes_part_id_exam_parts")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_proctor_retakes_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["room_session_id"],
            ["room_sessions.id"],
            name=op.f("fk_proctor_retakes_room_session_id_room_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["voided_attempt_id"],
            ["attempts.id"],
            name=op.f("fk_proctor_retakes_voided_attempt_id_attempts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proctor_retakes")),
    )
    with op.batch_alter_table("proctor_retakes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proctor_retakes_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_proctor_retakes_room_session_id"), ["room_session_id"], unique=False
        )
    op.create_table(
        "proctor_time_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_proctor_time_extensions_attempt_id_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["proctor_chair_decisions.id"],
            name=op.f("fk_proctor_time_extensions_decision_id_proctor_chair_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_proctor_time_extensions_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proctor_time_extensions")),
    )
    with op.batch_alter_table("proctor_time_extensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proctor_time_extensions_attempt_id"), ["attempt_id"], unique=False
        )
    op.create_table(
        "proctor_result_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_session_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_proctor_result_signatures_candidate_id_candidates"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_proctor_result_signatures_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["room_session_id"],
            ["room_sessions.id"],
            name=op.f("fk_proctor_result_signatures_room_session_id_room_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proctor_result_signatures")),
        sa.UniqueConstraint(
            "room_session_id",
            "candidate_id",
            name=op.f("uq_proctor_result_signatures_room_session_id_candidate_id"),
        ),
    )
    with op.batch_alter_table("proctor_result_signatures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proctor_result_signatures_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_proctor_result_signatures_room_session_id"),
            ["room_session_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("proctor_result_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proctor_result_signatures_room_session_id"))
        batch_op.drop_index(batch_op.f("ix_proctor_result_signatures_candidate_id"))
    op.drop_table("proctor_result_signatures")
    with op.batch_alter_table("proctor_time_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proctor_time_extensions_attempt_id"))
    op.drop_table("proctor_time_extensions")
    with op.batch_alter_table("proctor_retakes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proctor_retakes_room_session_id"))
        batch_op.drop_index(batch_op.f("ix_proctor_retakes_candidate_id"))
    op.drop_table("proctor_retakes")
    with op.batch_alter_table("proctor_sanctions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proctor_sanctions_room_session_id"))
        batch_op.drop_index(batch_op.f("ix_proctor_sanctions_candidate_id"))
    op.drop_table("proctor_sanctions")
    with op.batch_alter_table("proctor_incident_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proctor_incident_versions_incident_id"))
    op.drop_table("proctor_incident_versions")
    with op.batch_alter_table("proctor_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proctor_incidents_room_session_id"))
    op.drop_table("proctor_incidents")
    op.drop_table("proctor_envelope_openings")
    with op.batch_alter_table("proctor_check_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proctor_check_ins_room_session_id"))
        batch_op.drop_index(batch_op.f("ix_proctor_check_ins_candidate_id"))
    op.drop_table("proctor_check_ins")
    with op.batch_alter_table("proctor_chair_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proctor_chair_decisions_room_session_id"))
        batch_op.drop_index(batch_op.f("ix_proctor_chair_decisions_exam_id"))
        batch_op.drop_index(batch_op.f("ix_proctor_chair_decisions_candidate_id"))
    op.drop_table("proctor_chair_decisions")
