"""councillors' key posts as their council's roster lists them (leader, cabinet, mayor, chairs)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("councillor") as batch:
        batch.add_column(sa.Column("key_posts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("councillor") as batch:
        batch.drop_column("key_posts")
