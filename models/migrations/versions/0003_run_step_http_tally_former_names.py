"""run step http tally; former names

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "former_name",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("councillor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("raw_name", sa.String(length=300), nullable=False),
        sa.Column("used_until", sa.Date(), nullable=False),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["councillor_id"], ["councillor.id"], name=op.f("fk_former_name_councillor_id_councillor")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_former_name_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_former_name")),
    )
    with op.batch_alter_table("former_name", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_former_name_councillor_id"), ["councillor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_former_name_run_id"), ["run_id"], unique=False)

    with op.batch_alter_table("run_step", schema=None) as batch_op:
        batch_op.add_column(sa.Column("http", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("bytes_read", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("run_step", schema=None) as batch_op:
        batch_op.drop_column("bytes_read")
        batch_op.drop_column("http")

    with op.batch_alter_table("former_name", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_former_name_run_id"))
        batch_op.drop_index(batch_op.f("ix_former_name_councillor_id"))

    op.drop_table("former_name")
