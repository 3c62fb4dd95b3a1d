"""Stage 1, the council registry: loaded into the database with its politeness overrides and CA bundles; and registry files written."""

from __future__ import annotations

import csv
import logging
from datetime import date
from pathlib import Path

from sqlalchemy import or_, select

from cllr.parties import known_parties
from cllr.pipeline.context import Context, Outcome, record_step
from cllr.pipeline.overrides import apply_overrides, read_overrides
from models import Council
from models.base import utcnow
from models.store import load_registry as store_registry
from models.store import read_registry, seed_parties

log = logging.getLogger("cllr")


COLUMNS = (
    "code",
    "gss",
    "name",
    "common_name",
    "nation",
    "council_type",
    "website",
    "cms",
    "roster_url",
    "scraper_class",
    "disabled",
    "seats",
    "start_date",
    "end_date",
    "fictional",
)


def write_registry(path: Path, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)


def load_registry(ctx: Context) -> list[str]:
    """Load the council registry into the database and apply politeness overrides; return the codes to scrape:
    those in office (a shadow authority ahead of its start included), not an abolished one."""
    rows = read_registry(ctx.settings.registry)
    apply_overrides(ctx.fetcher, rows, read_overrides(ctx.settings.overrides))
    with ctx.db.session() as session:
        store_registry(session, rows)
        seed_parties(session, known_parties())
        query = select(Council.code).where(Council.disabled.is_(False), in_office()).order_by(Council.code)
        return list(session.scalars(_in_scope(ctx, query, rows)))


def in_office(today: date | None = None):
    """The condition on councils not yet past their end date (an abolished council is kept, not read)."""
    return or_(Council.end_date.is_(None), Council.end_date >= (today or utcnow().date()))


def _in_scope(ctx: Context, query, registry: list[dict]):
    """Limit a query on councils to this run's: the ``councils`` setting, else the registry's."""
    if ctx.settings.councils:
        return query.where(Council.code.in_(ctx.settings.councils))
    return query.where(Council.code.in_([r["code"].strip().upper() for r in registry]))


def record_disabled(ctx: Context, run_id: int) -> list[Outcome]:
    """A ``disabled`` step for each council of this run switched off in the registry, so that the ledger says why it was not scraped."""
    with ctx.db.session() as session:
        query = select(Council.id, Council.code).where(Council.disabled.is_(True)).order_by(Council.code)
        rows = session.execute(_in_scope(ctx, query, read_registry(ctx.settings.registry))).all()
    outcome = [Outcome("roster", code, "disabled", "disabled in the council registry") for _, code in rows]
    return [
        record_step(ctx, run_id, o, council_id=council_id) for o, (council_id, _) in zip(outcome, rows, strict=True)
    ]
