"""run leases and shared politeness slots: a run's kind, heartbeat and the run it resumes; slots shared by workers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "politeness_slot",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("next_start", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_politeness_slot")),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="refresh", nullable=False))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resumed_from", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_run_resumed_from_run"), "run", ["resumed_from"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_run_resumed_from_run"), type_="foreignkey")
        batch_op.drop_column("resumed_from")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("kind")
    op.drop_table("politeness_slot")
