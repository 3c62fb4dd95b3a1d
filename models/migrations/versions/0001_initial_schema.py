"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "council",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("gss", sa.String(length=9), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("common_name", sa.String(length=200), nullable=False),
        sa.Column("nation", sa.String(length=30), nullable=False),
        sa.Column("council_type", sa.String(length=8), nullable=False),
        sa.Column("cms", sa.String(length=20), nullable=False),
        sa.Column("scraper_class", sa.String(length=20), nullable=False),
        sa.Column("roster_url", sa.String(length=2048), nullable=True),
        sa.Column("shared_instance_email_domain", sa.String(length=200), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("fictional", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council")),
        sa.UniqueConstraint("code", name=op.f("uq_council_code")),
    )
    op.create_table(
        "party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party")),
        sa.UniqueConstraint("key", name=op.f("uq_party_key")),
    )
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run")),
    )
    op.create_table(
        "councillor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("raw_name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("profile_url", sa.String(length=2048), nullable=True),
        sa.Column("photo_url", sa.String(length=2048), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["council_id"], ["council.id"], name=op.f("fk_councillor_council_id_council")),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_councillor_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_councillor")),
        sa.UniqueConstraint("council_id", "source_id", name=op.f("uq_councillor_council_id_source_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_councillor_slug")),
    )
    with op.batch_alter_table("councillor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_councillor_council_id"), ["council_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_councillor_run_id"), ["run_id"], unique=False)

    op.create_table(
        "run_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["council_id"], ["council.id"], name=op.f("fk_run_step_council_id_council")),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_run_step_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_step")),
    )
    with op.batch_alter_table("run_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_step_council_id"), ["council_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_step_run_id"), ["run_id"], unique=False)

    op.create_table(
        "social_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=600), nullable=False),
        sa.Column("handle", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("platform_id", sa.String(length=300), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("feed_url", sa.String(length=2048), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_social_account_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_account")),
        sa.UniqueConstraint("key", name=op.f("uq_social_account_key")),
    )
    with op.batch_alter_table("social_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_social_account_platform"), ["platform"], unique=False)
        batch_op.create_index(batch_op.f("ix_social_account_run_id"), ["run_id"], unique=False)

    op.create_table(
        "ward",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("gss", sa.String(length=9), nullable=True),
        sa.ForeignKeyConstraint(["council_id"], ["council.id"], name=op.f("fk_ward_council_id_council")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ward")),
        sa.UniqueConstraint("council_id", "key", name=op.f("uq_ward_council_id_key")),
    )
    with op.batch_alter_table("ward", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ward_council_id"), ["council_id"], unique=False)

    op.create_table(
        "account_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("councillor_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("source_url", sa.String(length=2048), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["social_account.id"], name=op.f("fk_account_evidence_account_id_social_account")
        ),
        sa.ForeignKeyConstraint(
            ["councillor_id"], ["councillor.id"], name=op.f("fk_account_evidence_councillor_id_councillor")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_account_evidence_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_evidence")),
        sa.UniqueConstraint(
            "councillor_id",
            "account_id",
            "method",
            "source_url",
            name=op.f("uq_account_evidence_councillor_id_account_id_method_source_url"),
        ),
    )
    with op.batch_alter_table("account_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_evidence_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_evidence_councillor_id"), ["councillor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_evidence_run_id"), ["run_id"], unique=False)

    op.create_table(
        "account_metric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("posts_7d", sa.Integer(), nullable=False),
        sa.Column("posts_30d", sa.Integer(), nullable=False),
        sa.Column("posts_90d", sa.Integer(), nullable=False),
        sa.Column("replies_30d", sa.Integer(), nullable=False),
        sa.Column("last_post_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["social_account.id"], name=op.f("fk_account_metric_account_id_social_account")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_account_metric_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_metric")),
        sa.UniqueConstraint("account_id", "as_of", name=op.f("uq_account_metric_account_id_as_of")),
    )
    with op.batch_alter_table("account_metric", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_metric_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_metric_run_id"), ["run_id"], unique=False)

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("councillor_id", sa.Integer(), nullable=False),
        sa.Column("ward_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("party_label", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("term_ends", sa.Date(), nullable=True),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["councillor_id"], ["councillor.id"], name=op.f("fk_membership_councillor_id_councillor")
        ),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"], name=op.f("fk_membership_party_id_party")),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_membership_run_id_run")),
        sa.ForeignKeyConstraint(["ward_id"], ["ward.id"], name=op.f("fk_membership_ward_id_ward")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_councillor_id"), ["councillor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_ward_id"), ["ward_id"], unique=False)

    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.String(length=600), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["social_account.id"], name=op.f("fk_post_account_id_social_account")),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_post_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post")),
        sa.UniqueConstraint("account_id", "post_id", name=op.f("uq_post_account_id_post_id")),
    )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_posted_at"), ["posted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_run_id"), ["run_id"], unique=False)

    op.create_table(
        "profile_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("following", sa.Integer(), nullable=True),
        sa.Column("posts_total", sa.Integer(), nullable=True),
        sa.Column("posts_complete", sa.Boolean(), nullable=False),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["social_account.id"], name=op.f("fk_profile_snapshot_account_id_social_account")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_profile_snapshot_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_snapshot")),
    )
    with op.batch_alter_table("profile_snapshot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profile_snapshot_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_profile_snapshot_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("profile_snapshot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_snapshot_run_id"))
        batch_op.drop_index(batch_op.f("ix_profile_snapshot_account_id"))

    op.drop_table("profile_snapshot")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_run_id"))
        batch_op.drop_index(batch_op.f("ix_post_posted_at"))
        batch_op.drop_index(batch_op.f("ix_post_account_id"))

    op.drop_table("post")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_ward_id"))
        batch_op.drop_index(batch_op.f("ix_membership_run_id"))
        batch_op.drop_index(batch_op.f("ix_membership_party_id"))
        batch_op.drop_index(batch_op.f("ix_membership_councillor_id"))

    op.drop_table("membership")
    with op.batch_alter_table("account_metric", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_metric_run_id"))
        batch_op.drop_index(batch_op.f("ix_account_metric_account_id"))

    op.drop_table("account_metric")
    with op.batch_alter_table("account_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_evidence_run_id"))
        batch_op.drop_index(batch_op.f("ix_account_evidence_councillor_id"))
        batch_op.drop_index(batch_op.f("ix_account_evidence_account_id"))

    op.drop_table("account_evidence")
    with op.batch_alter_table("ward", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ward_council_id"))

    op.drop_table("ward")
    with op.batch_alter_table("social_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_social_account_run_id"))
        batch_op.drop_index(batch_op.f("ix_social_account_platform"))

    op.drop_table("social_account")
    with op.batch_alter_table("run_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_step_run_id"))
        batch_op.drop_index(batch_op.f("ix_run_step_council_id"))

    op.drop_table("run_step")
    with op.batch_alter_table("councillor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_councillor_run_id"))
        batch_op.drop_index(batch_op.f("ix_councillor_council_id"))

    op.drop_table("councillor")
    op.drop_table("run")
    op.drop_table("party")
    op.drop_table("council")
