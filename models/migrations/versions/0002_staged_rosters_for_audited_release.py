"""staged rosters for audited release

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staged_roster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=200), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["council_id"], ["council.id"], name=op.f("fk_staged_roster_council_id_council")),
        sa.ForeignKeyConstraint(["step_id"], ["run_step.id"], name=op.f("fk_staged_roster_step_id_run_step")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staged_roster")),
        sa.UniqueConstraint("step_id", name=op.f("uq_staged_roster_step_id")),
    )
    with op.batch_alter_table("staged_roster", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staged_roster_council_id"), ["council_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staged_roster", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staged_roster_council_id"))

    op.drop_table("staged_roster")
