"""exam setup

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("exams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preset", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("exam_parts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audio_play_limit", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("bank_multiplier", sa.Double(), nullable=False, server_default="3")
        )
        batch_op.add_column(
            sa.Column("exemptible", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("form_mode", sa.String(length=10), nullable=False, server_default="unique")
        )
        batch_op.add_column(
            sa.Column("pool_size", sa.Integer(), nullable=False, server_default="10")
        )
        batch_op.add_column(
            sa.Column("fairness_tolerance", sa.Double(), nullable=False, server_default="0.05")
        )
        batch_op.add_column(
            sa.Column("max_exposure", sa.Double(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("neighbour_overlap_max", sa.Double(), nullable=False, server_default="0.1")
        )
        batch_op.add_column(sa.Column("limits", sa.JSON(), nullable=False, server_default="{}"))

    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("seats_per_row", sa.Integer(), nullable=False, server_default="6")
        )
        batch_op.add_column(
            sa.Column("spare_terminals", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("terminal_ips", sa.JSON(), nullable=False, server_default="[]")
        )

    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_code_issued_at", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("access_code_issued_at", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("forms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pool_index", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pool_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("excluded_ids", sa.JSON(), nullable=False, server_default="[]")
        )

    # The unique (form_id, position) index already serves look-ups by form.
    with op.batch_alter_table("form_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_items_form_id"))

    op.create_table(
        "room_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_session_id"],
            ["room_sessions.id"],
            name=op.f("fk_room_staff_room_session_id_room_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_room_staff_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_staff")),
        sa.UniqueConstraint(
            "room_session_id", "user_id", name=op.f("uq_room_staff_room_session_id_user_id")
        ),
    )
    with op.batch_alter_table("room_staff", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_room_staff_room_session_id"), ["room_session_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_room_staff_user_id"), ["user_id"], unique=False)

    op.create_table(
        "data_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("package_sha256", sa.String(length=64), nullable=False),
        sa.Column("signer_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["exams.id"], name=op.f("fk_data_imports_exam_id_exams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_imports")),
    )
    with op.batch_alter_table("data_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_imports_exam_id"), ["exam_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("data_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_imports_exam_id"))
    op.drop_table("data_imports")
    with op.batch_alter_table("room_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_staff_user_id"))
        batch_op.drop_index(batch_op.f("ix_room_staff_room_session_id"))
    op.drop_table("room_staff")
    with op.batch_alter_table("form_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_items_form_id"), ["form_id"], unique=False)
    with op.batch_alter_table("forms", schema=None) as batch_op:
        batch_op.drop_column("excluded_ids")
        batch_op.drop_column("pool_hash")
        batch_op.drop_column("pool_index")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_column("access_code_issued_at")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_column("session_code_issued_at")
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_column("terminal_ips")
        batch_op.drop_column("spare_terminals")
        batch_op.drop_column("seats_per_row")
    with op.batch_alter_table("exam_parts", schema=None) as batch_op:
        for name in (
            "limits",
            "neighbour_overlap_max",
            "max_exposure",
            "fairness_tolerance",
            "pool_size",
            "form_mode",
            "exemptible",
            "bank_multiplier",
            "audio_play_limit",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("exams", schema=None) as batch_op:
        batch_op.drop_column("published_at")
        batch_op.drop_column("preset")
