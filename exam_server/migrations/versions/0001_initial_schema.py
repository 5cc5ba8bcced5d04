"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 12:22:27.642934
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "exams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("clock_mode", sa.String(length=20), nullable=False),
        sa.Column("results_shown", sa.String(length=20), nullable=False),
        sa.Column("late_entry_minutes", sa.Integer(), nullable=False),
        sa.Column("multi_response_policy", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exams")),
        sa.UniqueConstraint("code", name=op.f("uq_exams_code")),
    )
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
        sa.UniqueConstraint("code", name=op.f("uq_rooms_code")),
    )
    op.create_table(
        "subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
        sa.UniqueConstraint("code", name=op.f("uq_subjects_code")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "exam_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("pass_basis", sa.String(length=20), nullable=False),
        sa.Column("pass_threshold", sa.Double(), nullable=False),
        sa.Column("shuffle_items", sa.Boolean(), nullable=False),
        sa.Column("shuffle_options", sa.Boolean(), nullable=False),
        sa.Column("allowed_types", sa.JSON(), nullable=False),
        sa.Column("blueprint", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_exam_parts_exam_id_exams")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_exam_parts_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_parts")),
        sa.UniqueConstraint("exam_id", "position", name=op.f("uq_exam_parts_exam_id_position")),
    )
    with op.batch_alter_table("exam_parts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exam_parts_exam_id"), ["exam_id"], unique=False)

    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session_code_hash", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["exam_id"], ["exams.id"], name=op.f("fk_shifts_exam_id_exams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shifts_exam_id"), ["exam_id"], unique=False)

    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["topics.id"], name=op.f("fk_topics_parent_id_topics")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_topics_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("subject_id", "code", name=op.f("uq_topics_subject_id_code")),
    )
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topics_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("difficulty", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("facility", sa.Double(), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_items_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_items_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], name=op.f("fk_items_topic_id_topics")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_items_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_items_subject_id"), ["subject_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_items_topic_id"), ["topic_id"], unique=False)

    op.create_table(
        "room_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_sessions_room_id_rooms")
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_room_sessions_shift_id_shifts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_sessions")),
        sa.UniqueConstraint("shift_id", "room_id", name=op.f("uq_room_sessions_shift_id_room_id")),
    )
    with op.batch_alter_table("room_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_sessions_shift_id"), ["shift_id"], unique=False)

    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("registration_number", sa.String(length=40), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("national_id", sa.String(length=20), nullable=True),
        sa.Column("gender", sa.String(length=10), nullable=True),
        sa.Column("position_applied", sa.String(length=200), nullable=True),
        sa.Column("priority_group", sa.String(length=50), nullable=True),
        sa.Column("exempt_part_ids", sa.JSON(), nullable=False),
        sa.Column("access_code_hash", sa.String(length=100), nullable=False),
        sa.Column("room_session_id", sa.Integer(), nullable=True),
        sa.Column("seat", sa.Integer(), nullable=True),
        sa.Column("active_terminal", sa.String(length=64), nullable=True),
        sa.Column("terminal_move_approved", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_candidates_exam_id_exams")
        ),
        sa.ForeignKeyConstraint(
            ["room_session_id"],
            ["room_sessions.id"],
            name=op.f("fk_candidates_room_session_id_room_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidates")),
        sa.UniqueConstraint(
            "exam_id", "national_id", name=op.f("uq_candidates_exam_id_national_id")
        ),
        sa.UniqueConstraint(
            "exam_id", "registration_number", name=op.f("uq_candidates_exam_id_registration_number")
        ),
    )
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidates_exam_id"), ["exam_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_candidates_registration_number"), ["registration_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_candidates_room_session_id"), ["room_session_id"], unique=False
        )

    op.create_table(
        "item_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("item_type", sa.String(length=32), nullable=False),
        sa.Column("stem", sa.Text(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_item_versions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_versions_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_versions")),
        sa.UniqueConstraint(
            "item_id", "version_no", name=op.f("uq_item_versions_item_id_version_no")
        ),
    )
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_versions_item_id"), ["item_id"], unique=False)

    op.create_table(
        "forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidates.id"], name=op.f("fk_forms_candidate_id_candidates")
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["exam_parts.id"], name=op.f("fk_forms_part_id_exam_parts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forms")),
        sa.UniqueConstraint(
            "candidate_id", "part_id", "kind", name=op.f("uq_forms_candidate_id_part_id_kind")
        ),
    )
    with op.batch_alter_table("forms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forms_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_forms_part_id"), ["part_id"], unique=False)

    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_base_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paused_seconds_at_start", sa.Integer(), nullable=False),
        sa.Column("extension_seconds", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalised_by", sa.String(length=16), nullable=True),
        sa.Column("correct_count", sa.Integer(), nullable=True),
        sa.Column("answered_count", sa.Integer(), nullable=True),
        sa.Column("earned_points", sa.Double(), nullable=True),
        sa.Column("max_points", sa.Double(), nullable=True),
        sa.Column("score_100", sa.Double(), nullable=True),
        sa.Column("share_correct", sa.Double(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidates.id"], name=op.f("fk_attempts_candidate_id_candidates")
        ),
        sa.ForeignKeyConstraint(["form_id"], ["forms.id"], name=op.f("fk_attempts_form_id_forms")),
        sa.ForeignKeyConstraint(
            ["part_id"], ["exam_parts.id"], name=op.f("fk_attempts_part_id_exam_parts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
        sa.UniqueConstraint(
            "candidate_id",
            "part_id",
            "attempt_no",
            name=op.f("uq_attempts_candidate_id_part_id_attempt_no"),
        ),
    )
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attempts_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attempts_part_id"), ["part_id"], unique=False)

    op.create_table(
        "form_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("option_order", sa.JSON(), nullable=False),
        sa.Column("points", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_form_items_form_id_forms")
        ),
        sa.ForeignKeyConstraint(
            ["item_version_id"],
            ["item_versions.id"],
            name=op.f("fk_form_items_item_version_id_item_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_items")),
        sa.UniqueConstraint("form_id", "position", name=op.f("uq_form_items_form_id_position")),
    )
    with op.batch_alter_table("form_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_items_form_id"), ["form_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_form_items_item_version_id"), ["item_version_id"], unique=False
        )

    op.create_table(
        "answer_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("client_seq", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempts.id"], name=op.f("fk_answer_events_attempt_id_attempts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_events")),
        sa.UniqueConstraint(
            "attempt_id", "ordinal", name=op.f("uq_answer_events_attempt_id_ordinal")
        ),
    )
    with op.batch_alter_table("answer_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answer_events_attempt_id"), ["attempt_id"], unique=False
        )

    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["attempts.id"], name=op.f("fk_answers_attempt_id_attempts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint("attempt_id", "position", name=op.f("uq_answers_attempt_id_position")),
    )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answers_attempt_id"), ["attempt_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answers_attempt_id"))

    op.drop_table("answers")
    with op.batch_alter_table("answer_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_events_attempt_id"))

    op.drop_table("answer_events")
    with op.batch_alter_table("form_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_items_item_version_id"))
        batch_op.drop_index(batch_op.f("ix_form_items_form_id"))

    op.drop_table("form_items")
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attempts_part_id"))
        batch_op.drop_index(batch_op.f("ix_attempts_candidate_id"))

    op.drop_table("attempts")
    with op.batch_alter_table("forms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forms_part_id"))
        batch_op.drop_index(batch_op.f("ix_forms_candidate_id"))

    op.drop_table("forms")
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_versions_item_id"))

    op.drop_table("item_versions")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidates_room_session_id"))
        batch_op.drop_index(batch_op.f("ix_candidates_registration_number"))
        batch_op.drop_index(batch_op.f("ix_candidates_exam_id"))

    op.drop_table("candidates")
    with op.batch_alter_table("room_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_sessions_shift_id"))

    op.drop_table("room_sessions")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_topic_id"))
        batch_op.drop_index(batch_op.f("ix_items_subject_id"))
        batch_op.drop_index(batch_op.f("ix_items_status"))

    op.drop_table("items")
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topics_subject_id"))

    op.drop_table("topics")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shifts_exam_id"))

    op.drop_table("shifts")
    with op.batch_alter_table("exam_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exam_parts_exam_id"))

    op.drop_table("exam_parts")
    op.drop_table("users")
    op.drop_table("subjects")
    op.drop_table("rooms")
    op.drop_table("exams")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
