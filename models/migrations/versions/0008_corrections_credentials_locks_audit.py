"""corrections: credentials, corrections, locks, disagreements and the append-only audit

The audit table (correction_event) is append-only in the database itself: a trigger
refuses DELETE (and, on PostgreSQL, TRUNCATE), and refuses any UPDATE except the two the
application makes: clearing ``address`` (kept at most 90 days), and erasing a row's
personal values (``erased`` from false to true with before, after, evidence_url and
detail cleared), never back.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

MESSAGE = "correction_event is append-only"
FIXED = ("id", "at", "action", "correction_id", "credential_id", "council_id", "channel", "actor", "operation", "batch")
PAYLOAD = ("before", "after", "evidence_url", "detail")

SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER correction_event_no_delete BEFORE DELETE ON correction_event
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER correction_event_no_update BEFORE UPDATE ON correction_event
    WHEN {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FIXED)}
      OR (NEW.address IS NOT NULL AND NEW.address IS NOT OLD.address)
      OR (OLD.erased AND NOT NEW.erased)
      OR (NEW.erased AND NOT OLD.erased AND ({" OR ".join(f"NEW.{c} IS NOT NULL" for c in PAYLOAD)}))
      OR (NEW.erased IS OLD.erased AND ({" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in PAYLOAD)}))
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
)
POSTGRES_TRIGGERS = (
    f"""CREATE FUNCTION correction_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'UPDATE'
         OR {" OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in FIXED)}
         OR (NEW.address IS NOT NULL AND NEW.address IS DISTINCT FROM OLD.address)
         OR (OLD.erased AND NOT NEW.erased)
         OR (NEW.erased AND NOT OLD.erased AND ({" OR ".join(f"NEW.{c} IS NOT NULL" for c in PAYLOAD)}))
         OR (NEW.erased = OLD.erased AND ({" OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in PAYLOAD)}))
      THEN
        RAISE EXCEPTION '{MESSAGE}';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER correction_event_append_only BEFORE UPDATE OR DELETE ON correction_event
    FOR EACH ROW EXECUTE FUNCTION correction_event_append_only()""",
    """CREATE TRIGGER correction_event_no_truncate BEFORE TRUNCATE ON correction_event
    FOR EACH STATEMENT EXECUTE FUNCTION correction_event_append_only()""",
)


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "council_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["council_id"], ["council.id"], name=op.f("fk_council_credential_council_id_council")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_council_credential")),
        sa.UniqueConstraint("digest", name=op.f("uq_council_credential_digest")),
        sa.UniqueConstraint("prefix", name=op.f("uq_council_credential_prefix")),
    )
    with op.batch_alter_table("council_credential", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_council_credential_council_id"), ["council_id"], unique=False)

    op.create_table(
        "correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("councillor_id", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=30), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("evidence_url", sa.String(length=2048), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("batch", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewer", sa.String(length=200), nullable=True),
        sa.Column("decision_note", sa.String(length=2000), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reverted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["council_id"], ["council.id"], name=op.f("fk_correction_council_id_council")),
        sa.ForeignKeyConstraint(
            ["councillor_id"], ["councillor.id"], name=op.f("fk_correction_councillor_id_councillor")
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"], ["council_credential.id"], name=op.f("fk_correction_credential_id_council_credential")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction")),
    )
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_correction_batch"), ["batch"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_council_id"), ["council_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_councillor_id"), ["councillor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_credential_id"), ["credential_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_status"), ["status"], unique=False)

    op.create_table(
        "disagreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("councillor_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=620), nullable=False),
        sa.Column("locked", sa.String(length=2048), nullable=False),
        sa.Column("scraped", sa.String(length=2048), nullable=False),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["councillor_id"], ["councillor.id"], name=op.f("fk_disagreement_councillor_id_councillor")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_disagreement_run_id_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disagreement")),
        sa.UniqueConstraint(
            "councillor_id", "field", "scraped", name=op.f("uq_disagreement_councillor_id_field_scraped")
        ),
    )
    with op.batch_alter_table("disagreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disagreement_councillor_id"), ["councillor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disagreement_run_id"), ["run_id"], unique=False)

    op.create_table(
        "correction_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("correction_id", sa.Integer(), nullable=True),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("council_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("operation", sa.String(length=30), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("evidence_url", sa.String(length=2048), nullable=True),
        sa.Column("detail", sa.String(length=2000), nullable=True),
        sa.Column("batch", sa.String(length=40), nullable=True),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["correction_id"], ["correction.id"], name=op.f("fk_correction_event_correction_id_correction")
        ),
        sa.ForeignKeyConstraint(["council_id"], ["council.id"], name=op.f("fk_correction_event_council_id_council")),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["council_credential.id"],
            name=op.f("fk_correction_event_credential_id_council_credential"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_event")),
    )
    with op.batch_alter_table("correction_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_correction_event_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_event_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_event_batch"), ["batch"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_event_correction_id"), ["correction_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_event_council_id"), ["council_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_event_credential_id"), ["credential_id"], unique=False)

    op.create_table(
        "field_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("councillor_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=620), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("correction_id", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["correction_id"], ["correction.id"], name=op.f("fk_field_lock_correction_id_correction")
        ),
        sa.ForeignKeyConstraint(
            ["councillor_id"], ["councillor.id"], name=op.f("fk_field_lock_councillor_id_councillor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_lock")),
        sa.UniqueConstraint("councillor_id", "field", name=op.f("uq_field_lock_councillor_id_field")),
    )
    with op.batch_alter_table("field_lock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_field_lock_correction_id"), ["correction_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_field_lock_councillor_id"), ["councillor_id"], unique=False)

    for statement in SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER correction_event_no_delete")
        op.execute("DROP TRIGGER correction_event_no_update")
    else:
        op.execute("DROP TRIGGER correction_event_no_truncate ON correction_event")
        op.execute("DROP TRIGGER correction_event_append_only ON correction_event")
        op.execute("DROP FUNCTION correction_event_append_only()")
    with op.batch_alter_table("field_lock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_field_lock_councillor_id"))
        batch_op.drop_index(batch_op.f("ix_field_lock_correction_id"))

    op.drop_table("field_lock")
    with op.batch_alter_table("correction_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_correction_event_credential_id"))
        batch_op.drop_index(batch_op.f("ix_correction_event_council_id"))
        batch_op.drop_index(batch_op.f("ix_correction_event_correction_id"))
        batch_op.drop_index(batch_op.f("ix_correction_event_batch"))
        batch_op.drop_index(batch_op.f("ix_correction_event_at"))
        batch_op.drop_index(batch_op.f("ix_correction_event_address"))

    op.drop_table("correction_event")
    with op.batch_alter_table("disagreement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disagreement_run_id"))
        batch_op.drop_index(batch_op.f("ix_disagreement_councillor_id"))

    op.drop_table("disagreement")
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_correction_status"))
        batch_op.drop_index(batch_op.f("ix_correction_credential_id"))
        batch_op.drop_index(batch_op.f("ix_correction_councillor_id"))
        batch_op.drop_index(batch_op.f("ix_correction_council_id"))
        batch_op.drop_index(batch_op.f("ix_correction_batch"))

    op.drop_table("correction")
    with op.batch_alter_table("council_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_council_credential_council_id"))

    op.drop_table("council_credential")
