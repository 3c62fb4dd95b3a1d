"""account changes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old", sa.String(length=600), nullable=True),
        sa.Column("new", sa.String(length=600), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["social_account.id"], name=op.f("fk_account_change_account_id_social_account")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_account_change_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_change")),
    )
    with op.batch_alter_table("account_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_change_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_change_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("account_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_change_run_id"))
        batch_op.drop_index(batch_op.f("ix_account_change_account_id"))

    op.drop_table("account_change")
