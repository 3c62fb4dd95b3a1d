"""seats counted from each council's own roster (councillors plus the vacant seats it lists), with the day, and each ward's vacant seats

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("council") as batch:
        batch.add_column(sa.Column("roster_seats", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("roster_seats_on", sa.Date(), nullable=True))
    with op.batch_alter_table("ward") as batch:
        batch.add_column(sa.Column("vacant_seats", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("ward") as batch:
        batch.drop_column("vacant_seats")
    with op.batch_alter_table("council") as batch:
        batch.drop_column("roster_seats_on")
        batch.drop_column("roster_seats")
