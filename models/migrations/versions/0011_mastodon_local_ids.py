"""local ids: an account's id on its own server (Mastodon), for reading many accounts in one request; accounts indexed by stable id

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("social_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_id", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_social_account_platform_platform_id", ["platform", "platform_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("social_account", schema=None) as batch_op:
        batch_op.drop_index("ix_social_account_platform_platform_id")
        batch_op.drop_column("local_id")
