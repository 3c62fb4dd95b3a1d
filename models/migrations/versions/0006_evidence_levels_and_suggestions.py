"""evidence levels and suggestions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

Every link held before this revision came from the council's pages or a move from such
an account: it is given the level ``listed``, checked when it was last seen.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("councillor_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("handle", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("source_url", sa.String(length=2048), nullable=False),
        sa.Column("reason", sa.String(length=600), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=600), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["councillor_id"], ["councillor.id"], name=op.f("fk_account_suggestion_councillor_id_councillor")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_account_suggestion_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_suggestion")),
        sa.UniqueConstraint(
            "councillor_id",
            "key",
            "method",
            "source_url",
            name=op.f("uq_account_suggestion_councillor_id_key_method_source_url"),
        ),
    )
    with op.batch_alter_table("account_suggestion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_suggestion_councillor_id"), ["councillor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_suggestion_run_id"), ["run_id"], unique=False)

    with op.batch_alter_table("account_evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.String(length=20), nullable=False, server_default="listed"))
        batch_op.add_column(sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE account_evidence SET last_checked_at = last_seen_at")


def downgrade() -> None:
    with op.batch_alter_table("account_evidence", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("last_checked_at")
        batch_op.drop_column("level")

    with op.batch_alter_table("account_suggestion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_suggestion_run_id"))
        batch_op.drop_index(batch_op.f("ix_account_suggestion_councillor_id"))

    op.drop_table("account_suggestion")
