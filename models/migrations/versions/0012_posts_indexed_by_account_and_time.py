"""posts indexed by account, time and kind together (the metrics and the weekly chart read the index alone), in place of one index each on account and on time

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_post_account_id_posted_at", "post", ["account_id", "posted_at", "kind"], unique=False)
    op.drop_index("ix_post_account_id", table_name="post")
    op.drop_index("ix_post_posted_at", table_name="post")


def downgrade() -> None:
    op.create_index("ix_post_posted_at", "post", ["posted_at"], unique=False)
    op.create_index("ix_post_account_id", "post", ["account_id"], unique=False)
    op.drop_index("ix_post_account_id_posted_at", table_name="post")
