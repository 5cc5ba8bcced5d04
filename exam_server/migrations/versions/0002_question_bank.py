"""question bank: tags, review transitions, subject assignments, media, access log

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("difficulty_levels", sa.JSON(), nullable=True))

    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("change_note", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))

    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "item_tags",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_item_tags_item_id_items")),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_item_tags_tag_id_tags")),
        sa.PrimaryKeyConstraint("item_id", "tag_id", name=op.f("pk_item_tags")),
    )
    with op.batch_alter_table("item_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "item_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_item_transitions_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_transitions_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_transitions")),
    )
    with op.batch_alter_table("item_transitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_transitions_item_id"), ["item_id"], unique=False)

    op.create_table(
        "subject_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["users.id"],
            name=op.f("fk_subject_assignments_assigned_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_subject_assignments_subject_id_subjects"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_subject_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_assignments")),
        sa.UniqueConstraint(
            "subject_id", "user_id", name=op.f("uq_subject_assignments_subject_id_user_id")
        ),
    )
    with op.batch_alter_table("subject_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subject_assignments_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "media_files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_media_files_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_media_files")),
    )
    op.create_table(
        "item_version_media",
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_version_id"],
            ["item_versions.id"],
            name=op.f("fk_item_version_media_item_version_id_item_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["media_files.sha256"],
            name=op.f("fk_item_version_media_sha256_media_files"),
        ),
        sa.PrimaryKeyConstraint("item_version_id", "sha256", name=op.f("pk_item_version_media")),
    )
    with op.batch_alter_table("item_version_media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_version_media_sha256"), ["sha256"], unique=False)

    op.create_table(
        "bank_access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("item_ids", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_bank_access_log_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bank_access_log_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_access_log")),
    )
    with op.batch_alter_table("bank_access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_access_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_access_log_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bank_access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_access_log_user_id"))
        batch_op.drop_index(batch_op.f("ix_bank_access_log_at"))
    op.drop_table("bank_access_log")
    with op.batch_alter_table("item_version_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_version_media_sha256"))
    op.drop_table("item_version_media")
    op.drop_table("media_files")
    with op.batch_alter_table("subject_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_assignments_user_id"))
    op.drop_table("subject_assignments")
    with op.batch_alter_table("item_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_transitions_item_id"))
    op.drop_table("item_transitions")
    with op.batch_alter_table("item_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_tags_tag_id"))
    op.drop_table("item_tags")
    op.drop_table("tags")
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.drop_column("search_text")
        batch_op.drop_column("change_note")
    with op.batch_alter_table("subjects", schema=None) as batch_op:
        batch_op.drop_column("difficulty_levels")
