"""council adoption figures

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "council_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("councillors", sa.Integer(), nullable=False),
        sa.Column("with_account", sa.Integer(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("posts_30d", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["council_id"], ["council.id"], name=op.f("fk_council_figure_council_id_council")),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_council_figure_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_figure")),
        sa.UniqueConstraint("council_id", "as_of", name=op.f("uq_council_figure_council_id_as_of")),
    )
    with op.batch_alter_table("council_figure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_figure_council_id"), ["council_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_council_figure_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("council_figure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_figure_run_id"))
        batch_op.drop_index(batch_op.f("ix_council_figure_council_id"))

    op.drop_table("council_figure")
