"""Stage 3, accounts from profile pages: each current councillor's page on the council's site read for links to their accounts."""

from __future__ import annotations

import logging

from sqlalchemy import and_, select

from cllr import progress
from cllr.http import FetchError, RobotsRefusal
from cllr.pipeline.context import Context, Outcome, record_step
from models import Council, Councillor, Membership
from models.base import utcnow
from models.links import Links, evidenced, record_links, touch_evidence
from scrapers.profiles import parse_profile_page
from scrapers.records import SourceError

log = logging.getLogger("cllr")


def discover_accounts(ctx: Context, code: str, run_id: int) -> Outcome:
    """Read each current councillor's profile page for links to their accounts (a page already read
    with the roster, for the council's details, is not asked for again)."""
    started = utcnow()
    with ctx.db.session() as session:
        council_id = session.scalar(select(Council.id).where(Council.code == code))
        people = session.execute(
            select(Councillor.id, Councillor.profile_url)
            .join(Membership, and_(Membership.councillor_id == Councillor.id, Membership.end_date.is_(None)))
            .where(Councillor.council_id == council_id, Councillor.profile_url.is_not(None))
            .order_by(Councillor.id)
        ).all()
        held = evidenced(session, [councillor_id for councillor_id, _ in people], method="council_profile")
    counts = {"pages": 0, "unchanged": 0, "failed": 0, "robots_refused": 0}
    links = Links()
    failures: list[str] = []
    read = ctx.own_pages.pop(code, {})
    with ctx.fetcher.tally() as http:
        for councillor_id, url in people:
            held_here = (councillor_id, url) in held
            _read_profile(ctx, councillor_id, url, run_id, counts, links, failures, read.get(url), held_here)
    status = "failed" if people and not (counts["pages"] or counts["unchanged"]) else "done"
    if people and counts["robots_refused"] == len(people):
        status = "skipped_robots"
    reason = f"{len(failures)} of {len(people)} profile pages not read: {failures[0]}" if failures else None
    outcome = Outcome("profiles", code, status, reason, counts | links.counts(), links.changes())
    progress.current().advance("Profiles")
    return record_step(ctx, run_id, outcome, council_id=council_id, started_at=started, http=http)


def _read_profile(
    ctx: Context,
    councillor_id: int,
    url: str,
    run_id: int,
    counts: dict[str, int],
    links: Links,
    failures: list[str],
    read: tuple[bytes, str] | None = None,
    held: bool = True,
) -> None:
    """One profile page (``read`` already, with the roster, or fetched now): reconcile the accounts
    it names with those it named before (``held``: whether it named any), or count why it could not be read."""
    try:
        if read is None:
            page = ctx.fetcher.get(url, accept="text/html", conditional=True)
            if page.not_modified:  # the same links as last time: they are confirmed, not re-read
                with ctx.db.session() as session:
                    touch_evidence(session, url, run_id=run_id, councillor_id=councillor_id)
                counts["unchanged"] += 1
                return
            read = (page.content, page.url)
        found = parse_profile_page(*read)
        if not found and not held:  # nothing named, now or before: nothing to write
            counts["pages"] += 1
            return
        with ctx.db.session() as session:
            links += record_links(
                session, councillor_id, found, method="council_profile", source_url=url, run_id=run_id
            )
    except RobotsRefusal as exc:
        counts["robots_refused"] += 1
        failures.append(str(exc))
        return
    except (FetchError, SourceError) as exc:
        counts["failed"] += 1
        failures.append(str(exc))
        return
    except Exception as exc:  # a bug or a database error: this page only
        log.exception("profile page %s", url)
        counts["failed"] += 1
        failures.append(f"{url}: unexpected {exc!r}")
        return
    counts["pages"] += 1
