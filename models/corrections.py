"""Corrections from councils and the public: credentials, submissions, locks, disagreements and the audit.

A council is the authority on its own councillors. An officer holds a credential (a
random token, kept here only as its SHA-256 digest) that names the council; every
correction the credential submits is for that council's councillors. A correction is
one typed operation (``cllr.corrections.operations.OPERATIONS``). Applying it sets the value and
locks the field (``field_lock``): later scrapes never overwrite a locked field, they
record a ``disagreement`` for review. Every step is one row of ``correction_event``,
which the database itself keeps append-only (a trigger, migration 0008): rows are never
deleted, and updated only to erase personal values (``erased``), never back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from cllr.handles import NotAnAccount, normalise

from .base import Base, utcnow
from .directory import Council, Councillor


class Credential(Base):
    """One officer's token for one council: shown once when issued, stored only as a digest."""

    __tablename__ = "council_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # the token's public start, to name it in logs
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the whole token, hex
    label: Mapped[str] = mapped_column(String(200))  # who holds it ("Democratic Services, J. Officer")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    council: Mapped[Council] = relationship()


class Correction(Base):
    """One typed operation on one councillor, from a council credential or the public form.

    ``status``: ``queued`` (waits for an operator), ``approved`` (applies at the next run,
    or ``cllr corrections apply``), ``applied``, ``rejected``, ``reverted``. ``before`` and
    ``after`` hold the values the application replaced and set.
    """

    __tablename__ = "correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))  # api|form|csv (a council) or public
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("council_credential.id"), index=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    councillor_id: Mapped[int] = mapped_column(ForeignKey("councillor.id"), index=True)
    operation: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the operation's normalised values
    evidence_url: Mapped[str | None] = mapped_column(String(2048))
    note: Mapped[str | None] = mapped_column(String(2000))
    batch: Mapped[str | None] = mapped_column(String(40), index=True)  # one CSV upload
    status: Mapped[str] = mapped_column(String(20), index=True)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    reviewer: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(String(2000))
    applied_at: Mapped[datetime | None]
    reverted_at: Mapped[datetime | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    council: Mapped[Council] = relationship()
    councillor: Mapped[Councillor] = relationship()
    credential: Mapped[Credential | None] = relationship()


class CorrectionEvent(Base):
    """The audit trail: one row per submission, refusal, decision, application, revert or erasure.

    Append-only in the database (migration 0008's triggers): no DELETE, and UPDATE only
    to set ``erased`` with the personal values cleared. ``address`` (the client's IP
    address) is kept for rate limits and abuse and cleared after 90 days
    (``cllr corrections purge-addresses``).
    """

    __tablename__ = "correction_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # submitted|refused|approved|rejected|applied|reverted|erased; for a published roster also quarantined|failed
    action: Mapped[str] = mapped_column(String(20))
    correction_id: Mapped[int | None] = mapped_column(ForeignKey("correction.id"), index=True)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("council_credential.id"), index=True)
    council_id: Mapped[int | None] = mapped_column(ForeignKey("council.id"), index=True)
    channel: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(64), index=True)
    actor: Mapped[str | None] = mapped_column(String(200))  # a reviewer, "council:<prefix>", "public" or "run"
    operation: Mapped[str | None] = mapped_column(String(30))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    evidence_url: Mapped[str | None] = mapped_column(String(2048))
    detail: Mapped[str | None] = mapped_column(String(2000))  # the note, the reason for a refusal or decision
    batch: Mapped[str | None] = mapped_column(String(40), index=True)  # one request's submissions
    erased: Mapped[bool] = mapped_column(default=False)


class FieldLock(Base):
    """A councillor's field set by an applied correction: scrapes may not change it.

    ``field`` is ``name``, ``party``, ``ward``, ``left`` or ``account:<key>``; ``value`` is
    what the correction set (for an account, ``{"linked": true|false}``).
    """

    __tablename__ = "field_lock"
    __table_args__ = (UniqueConstraint("councillor_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    councillor_id: Mapped[int] = mapped_column(ForeignKey("councillor.id"), index=True)
    field: Mapped[str] = mapped_column(String(620))
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    correction_id: Mapped[int] = mapped_column(ForeignKey("correction.id"), index=True)
    locked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Disagreement(Base):
    """A scrape that said something else about a locked field: kept for review, never applied.

    One open row per councillor, field and scraped value; each later scrape saying the same
    updates ``last_seen_at`` and ``times``.
    """

    __tablename__ = "disagreement"
    __table_args__ = (UniqueConstraint("councillor_id", "field", "scraped"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    councillor_id: Mapped[int] = mapped_column(ForeignKey("councillor.id"), index=True)
    field: Mapped[str] = mapped_column(String(620))
    locked: Mapped[str] = mapped_column(String(2048))
    scraped: Mapped[str] = mapped_column(String(2048))
    source_url: Mapped[str | None] = mapped_column(String(2048))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    times: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|closed
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"), index=True)


class PublishedRoster(Base):
    """A council's whole roster, sent through the intake by its credential (``cllr.corrections.published``).

    The next refresh run applies it instead of reading the council's pages, through the
    same checks and merge as a scraped roster (``cllr.pipeline.published_rosters``).
    ``status``: ``queued`` (waits for the next run), ``superseded`` (a newer one came
    before a run took it), ``applied``, ``quarantined`` (kept as the staged roster of
    ``step_id``, released with ``cllr runs approve``) or ``failed``. ``payload`` is the
    roster (``Roster.to_payload``), its ``source_url`` naming this submission.
    """

    __tablename__ = "published_roster"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("council_credential.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # api|form
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("run_step.id"), index=True)  # the run step that took it
    taken_at: Mapped[datetime | None]


class RefusalTally(Base):
    """Refused requests to the intake, counted: one row per hour, channel, status, client address,
    credential prefix presented (failed tokens) and credential (refusals of a known one), with how
    many and the last one's time. A flood of refusals adds to counts, never rows without limit, and
    lockouts are reckoned from these (``cllr.corrections.intake``). Addresses are cleared after 90
    days like the audit's (``purge_addresses``)."""

    __tablename__ = "refusal_tally"

    id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[int]
    address: Mapped[str | None] = mapped_column(String(64), index=True)
    prefix: Mapped[str | None] = mapped_column(String(16), index=True)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("council_credential.id"), index=True)
    count: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)


def tally_refusal(
    session: Session,
    *,
    channel: str | None,
    status: int,
    address: str | None,
    prefix: str | None = None,
    credential_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Count one refused request in its hour's row (a concurrent first one may add a second row for
    the same hour: the counts are summed, so nothing is lost or doubled)."""
    now = now or utcnow()
    key = {
        "hour": now.replace(minute=0, second=0, microsecond=0),
        "channel": channel,
        "status": status,
        "address": address,
        "prefix": prefix,
        "credential_id": credential_id,
    }
    table = RefusalTally.__table__
    match = [table.c[name].is_not_distinct_from(value) for name, value in key.items()]
    bumped = session.execute(update(table).where(*match).values(count=table.c.count + 1, last_at=now))
    if not bumped.rowcount:
        session.execute(insert(table).values(**key, count=1, last_at=now))


class ErasedValue(Base):
    """An account erased on request (``cllr erase``), kept only as SHA-256 digests of each of its
    identities (``identity_digests``: its key, handle, URL and stable platform id, each in key
    form), so that no later scrape, discovery or collection stores it again, under a new handle
    either (``models.holdings.Holdings.erased``, ``cllr.pipeline.activity``)."""

    __tablename__ = "erased_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


def erased_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def identity_digests(
    platform: str, key: str, handle: str | None = None, url: str | None = None, platform_id: str | None = None
) -> set[str]:
    """The digests of every identity an account has: its key, and its handle, URL and stable
    platform id (a Bluesky DID, a Mastodon account URI, a YouTube channel id, an X number) each
    in the key form a link naming it would have. A renamed account keeps its stable id, so an
    erasure that holds these holds across a rename."""
    keys = {key}
    for value in (handle, url, platform_id):
        if not value:
            continue
        try:
            keys.add(normalise(value, platform).key)
        except NotAnAccount:
            pass
    if platform_id:
        keys.add(f"{platform}:id:{platform_id.strip().lower()}")
    return {erased_digest(k) for k in keys}


def erased_among(session: Session, digests: Iterable[str]) -> set[str]:
    """Those of ``digests`` an erasure holds."""
    wanted, held = sorted(set(digests)), set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        held.update(session.scalars(select(ErasedValue.digest).where(ErasedValue.digest.in_(chunk))))
    return held


def locks_for(session: Session, councillor_ids: Iterable[int]) -> dict[int, dict[str, dict[str, Any]]]:
    """Councillor id → field → locked value, for those of ``councillor_ids`` with any lock."""
    held: dict[int, dict[str, dict[str, Any]]] = {}
    ids = list(councillor_ids)
    for start in range(0, len(ids), 500):
        for lock in session.scalars(select(FieldLock).where(FieldLock.councillor_id.in_(ids[start : start + 500]))):
            held.setdefault(lock.councillor_id, {})[lock.field] = lock.value
    return held


def disagree(
    session: Session,
    councillor_id: int,
    field: str,
    locked: str,
    scraped: str,
    *,
    source_url: str | None,
    run_id: int | None,
) -> None:
    """Record that a scrape said ``scraped`` where a correction locked ``locked`` (one row per value).

    A row an operator closed (looked into: the correction stands) stays closed while the
    scrape keeps saying the same; its count and last sighting still move on.
    """
    now = utcnow()
    row = session.scalar(
        select(Disagreement).where(
            Disagreement.councillor_id == councillor_id, Disagreement.field == field, Disagreement.scraped == scraped
        )
    )
    if row is None:
        session.add(
            Disagreement(
                councillor_id=councillor_id,
                field=field,
                locked=locked,
                scraped=scraped,
                source_url=source_url,
                first_seen_at=now,
                last_seen_at=now,
                run_id=run_id,
            )
        )
        session.flush()
        return
    row.last_seen_at = now
    row.times += 1
    row.locked = locked
    row.source_url = source_url
    row.run_id = run_id
