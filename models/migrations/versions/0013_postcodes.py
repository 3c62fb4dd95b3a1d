"""postcodes: the ONS Postcode Directory's places, postcodes in use and retired, area names, and each import

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ons_area",
        sa.Column("gss", sa.String(length=9), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent", sa.String(length=9), nullable=True),
        sa.PrimaryKeyConstraint("gss", name=op.f("pk_ons_area")),
    )
    op.create_table(
        "postcode_place",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lad", sa.String(length=9), nullable=False),
        sa.Column("ward", sa.String(length=9), nullable=False),
        sa.Column("county", sa.String(length=9), nullable=True),
        sa.Column("division", sa.String(length=9), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postcode_place")),
        sa.UniqueConstraint(
            "lad", "ward", "county", "division", name=op.f("uq_postcode_place_lad_ward_county_division")
        ),
    )
    with op.batch_alter_table("postcode_place", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_postcode_place_county"), ["county"], unique=False)
        batch_op.create_index(batch_op.f("ix_postcode_place_lad"), ["lad"], unique=False)

    op.create_table(
        "postcode_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sources", sa.String(length=2000), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("live", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Integer(), nullable=False),
        sa.Column("split", sa.Integer(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("outside", sa.Integer(), nullable=False),
        sa.Column("malformed", sa.Integer(), nullable=False),
        sa.Column("names", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postcode_release")),
    )
    op.create_table(
        "retired_postcode",
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("retired", sa.String(length=6), nullable=False),
        sa.PrimaryKeyConstraint("postcode", name=op.f("pk_retired_postcode")),
    )
    op.create_table(
        "postcode",
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["place_id"], ["postcode_place.id"], name=op.f("fk_postcode_place_id_postcode_place")),
        sa.PrimaryKeyConstraint("postcode", "place_id", name=op.f("pk_postcode")),
    )


def downgrade() -> None:
    op.drop_table("postcode")
    op.drop_table("retired_postcode")
    op.drop_table("postcode_release")
    with op.batch_alter_table("postcode_place", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_postcode_place_lad"))
        batch_op.drop_index(batch_op.f("ix_postcode_place_county"))

    op.drop_table("postcode_place")
    op.drop_table("ons_area")
