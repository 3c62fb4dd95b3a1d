"""published rosters: a council's whole roster sent through the intake, applied at the next run instead of a scrape

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_roster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["council_id"], ["council.id"], name=op.f("fk_published_roster_council_id_council")),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["council_credential.id"],
            name=op.f("fk_published_roster_credential_id_council_credential"),
        ),
        sa.ForeignKeyConstraint(["step_id"], ["run_step.id"], name=op.f("fk_published_roster_step_id_run_step")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_roster")),
    )
    with op.batch_alter_table("published_roster", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_published_roster_council_id"), ["council_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_published_roster_credential_id"), ["credential_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_published_roster_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_published_roster_step_id"), ["step_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("published_roster", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_published_roster_step_id"))
        batch_op.drop_index(batch_op.f("ix_published_roster_status"))
        batch_op.drop_index(batch_op.f("ix_published_roster_credential_id"))
        batch_op.drop_index(batch_op.f("ix_published_roster_council_id"))
    op.drop_table("published_roster")
