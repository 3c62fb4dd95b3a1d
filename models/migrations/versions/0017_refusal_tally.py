"""refused intake requests counted per hour, address, channel, status and credential prefix (refusal_tally), not
kept as an audit row each; the refusal rows already in the audit stay

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refusal_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("prefix", sa.String(length=16), nullable=True),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"], ["council_credential.id"], name=op.f("fk_refusal_tally_credential_id_council_credential")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refusal_tally")),
    )
    for column in ("hour", "address", "prefix", "credential_id"):
        op.create_index(op.f(f"ix_refusal_tally_{column}"), "refusal_tally", [column], unique=False)


def downgrade() -> None:
    for column in ("hour", "address", "prefix", "credential_id"):
        op.drop_index(op.f(f"ix_refusal_tally_{column}"), table_name="refusal_tally")
    op.drop_table("refusal_tally")
