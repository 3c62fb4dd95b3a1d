"""councils' start and end dates (abolished councils kept, shadow authorities added ahead of their start); the registry's shared-instance e-mail column gone (the rules that split a shared roster are data: cllr/data/shared_instances.csv)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("council") as batch:
        batch.add_column(sa.Column("start_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("end_date", sa.Date(), nullable=True))
        batch.drop_column("shared_instance_email_domain")


def downgrade() -> None:
    with op.batch_alter_table("council") as batch:
        batch.add_column(sa.Column("shared_instance_email_domain", sa.String(length=200), nullable=True))
        batch.drop_column("end_date")
        batch.drop_column("start_date")
