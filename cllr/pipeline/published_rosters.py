"""Stage 2 for a council that sent its own roster through the intake: applied instead of reading its pages that run.

A council's credential may publish the whole roster (``cllr.corrections.published``);
the next refresh run takes the newest one waiting, with no request to the council's
site, and puts it through the same checks and merge as a scraped roster (the ``merge``
given by ``cllr.pipeline.rosters``): a roster that fails a check is quarantined and
staged exactly as a scraped one, to be released with ``cllr runs approve``. The run
ledger's step names the submission as its ``source_url`` (``council-published:<id>``)
and its reason says "published by the council on <date>"; every councillor and
membership the roster writes carries that ``source_url`` as its provenance. Councils
with no scraper or selectors take it the same way: the lookup comes before the family's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from cllr import progress
from cllr.corrections.published import record_taken
from cllr.pipeline.context import Context, Outcome, record_step
from models.base import utcnow
from models.corrections import PublishedRoster
from models.merge import Quarantined, stage_roster
from scrapers.records import Roster

log = logging.getLogger("cllr")

# How a roster is merged (``rosters._merge_roster``): the same for a published one as a scraped one.
Merge = Callable[[Context, str, int, Roster, int, date], Outcome]


def pending(ctx: Context, council_id: int) -> PublishedRoster | None:
    """The newest roster the council published that no run has taken yet, or None."""
    with ctx.db.session() as session:
        return session.scalar(
            select(PublishedRoster)
            .where(PublishedRoster.council_id == council_id, PublishedRoster.status == "queued")
            .order_by(PublishedRoster.id.desc())
            .limit(1)
        )


def apply_published(
    ctx: Context, code: str, council_id: int, published: PublishedRoster, run_id: int, today: date, merge: Merge
) -> Outcome:
    """Check and merge the council's published roster as a scraped one; record the step and what became of it."""
    started = utcnow()
    roster = Roster.from_payload(published.payload)
    said = f"published by the council on {published.received_at:%Y-%m-%d}: roster {published.id}, sent to the intake"
    try:
        outcome = merge(ctx, code, council_id, roster, run_id, today)
        outcome.reason = f"{said}; its pages were not read"
    except Quarantined as exc:
        outcome = Outcome("roster", code, "quarantined", f"{exc}; {said}")
    except Exception as exc:  # a bug must not stop the other councils: log it, record it
        log.exception("published roster %s of %s", published.id, code)
        outcome = Outcome("roster", code, "failed", f"unexpected {type(exc).__name__}: {exc}; {said}")
    progress.current().advance("Rosters", "" if outcome.status == "applied" else f"{code} {outcome.status}")
    outcome = record_step(ctx, run_id, outcome, council_id=council_id, source_url=roster.source_url, started_at=started)
    with ctx.db.session() as session:
        if outcome.status == "quarantined":
            stage_roster(session, outcome.step_id, council_id, roster)
        taken = "applied" if outcome.status in ("applied", "unchanged") else outcome.status
        record_taken(session, published.id, taken, outcome.step_id, outcome.reason)
    if outcome.status == "quarantined":
        outcome.reason += f" (kept as step {outcome.step_id}: release with `cllr runs approve {outcome.step_id}`)"
    return outcome
