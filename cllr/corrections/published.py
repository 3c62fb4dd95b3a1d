"""A council's own roster received through the intake: stored for the next run, the newest replacing any still waiting, audited.

The roster (read by ``cllr.corrections.roster_csv``) is kept as a ``PublishedRoster`` of
the credential's council, never a council named by the sender, with its ``source_url``
set to :func:`source_url` of the submission: every councillor and membership the run
writes from it carries that as its provenance ("published by the council"). The next
refresh run applies it instead of reading the council's pages
(``cllr.pipeline.published_rosters``), and records here what became of it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cllr.corrections.operations import Submitter
from models.base import utcnow
from models.corrections import CorrectionEvent, PublishedRoster
from scrapers.records import Roster

OPERATION = "publish_roster"  # its name in the audit
SCHEME = "council-published"


def source_url(published_id: int) -> str:
    """The provenance of what a published roster sets: ``council-published:<id>``, published by the council."""
    return f"{SCHEME}:{published_id}"


def publish(session: Session, roster: Roster, who: Submitter, *, now: datetime | None = None) -> PublishedRoster:
    """Keep ``roster`` as the council's published roster for the next run, with one audit row.

    A roster of the same council still waiting for a run is superseded: the newest is the one applied.
    """
    if who.credential is None:
        raise ValueError("only a council credential publishes a roster")
    now = now or utcnow()
    waiting = session.scalars(
        select(PublishedRoster).where(PublishedRoster.council_id == who.council_id, PublishedRoster.status == "queued")
    ).all()
    for older in waiting:
        older.status = "superseded"
    row = PublishedRoster(
        council_id=who.council_id,
        credential_id=who.credential.id,
        channel=who.channel,
        received_at=now,
        payload={},
        status="queued",
    )
    session.add(row)
    session.flush()
    row.payload = replace(roster, source_url=source_url(row.id)).to_payload()
    session.add(
        CorrectionEvent(
            at=now,
            action="submitted",
            credential_id=who.credential.id,
            council_id=who.council_id,
            channel=who.channel,
            address=who.address,
            actor=who.actor,
            operation=OPERATION,
            batch=uuid.uuid4().hex,
            after=summary(row) | {"superseded": [r.id for r in waiting]},
            detail=(
                f"queued: published roster {row.id}, {len(roster.councillors)} councillors and "
                f"{len(roster.vacancies)} vacant seats, for the next run instead of the council's pages"
            ),
        )
    )
    who.credential.last_used_at = now
    session.flush()
    return row


def record_taken(session: Session, published_id: int, status: str, step_id: int | None, detail: str | None) -> None:
    """What a run did with a published roster (``applied``, ``quarantined`` or ``failed``), on it and in the audit."""
    row = session.get(PublishedRoster, published_id)
    row.status = status
    row.step_id = step_id
    row.taken_at = utcnow()
    session.add(
        CorrectionEvent(
            action=status,
            credential_id=row.credential_id,
            council_id=row.council_id,
            channel=row.channel,
            actor="run",
            operation=OPERATION,
            after=summary(row) | {"step": step_id},
            detail=(detail or status)[:2000],
        )
    )


def listing(session: Session, council_id: int, limit: int = 50) -> list[dict]:
    """The council's published rosters, newest first, as the API shows them."""
    rows = session.scalars(
        select(PublishedRoster)
        .where(PublishedRoster.council_id == council_id)
        .order_by(PublishedRoster.id.desc())
        .limit(limit)
    )
    return [
        summary(r) | {"received_at": r.received_at.isoformat(), "status": r.status, "step": r.step_id} for r in rows
    ]


def summary(row: PublishedRoster) -> dict:
    """A published roster by its id, provenance and size (never the people it lists)."""
    return {
        "published_roster": row.id,
        "source_url": source_url(row.id),
        "councillors": len(row.payload.get("councillors", [])),
        "vacancies": len(row.payload.get("vacancies", [])),
    }
