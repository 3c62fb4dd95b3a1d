"""Stage 3, accounts from profile pages: each current councillor's page on the council's site read for links to their accounts."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import and_, select

from cllr import progress
from cllr.handles import Handle
from cllr.http import FetchError, RobotsRefusal
from cllr.pipeline.context import Context, Outcome, record_step
from models import Council, Councillor, Membership
from models.base import utcnow
from models.holdings import Holdings
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
    writes: list[Write] = []
    with ctx.fetcher.tally() as http:
        for councillor_id, url in people:
            held_here = (councillor_id, url) in held
            write = _read_profile(ctx, councillor_id, url, counts, failures, read.get(url), held_here)
            if write is not None:
                writes.append(write)
    _write(ctx, writes, run_id, counts, links, failures)
    status = "failed" if people and not (counts["pages"] or counts["unchanged"]) else "done"
    if people and counts["robots_refused"] == len(people):
        status = "skipped_robots"
    reason = f"{len(failures)} of {len(people)} profile pages not read: {failures[0]}" if failures else None
    outcome = Outcome("profiles", code, status, reason, counts | links.counts(), links.changes())
    progress.current().advance("Profiles")
    return record_step(ctx, run_id, outcome, council_id=council_id, started_at=started, http=http)


@dataclass
class Write:
    """What one profile page says, to be written: its accounts, or None when it is unchanged (a 304)."""

    councillor_id: int
    url: str
    found: list[tuple[Handle, str]] | None


def _read_profile(
    ctx: Context,
    councillor_id: int,
    url: str,
    counts: dict[str, int],
    failures: list[str],
    read: tuple[bytes, str] | None = None,
    held: bool = True,
) -> Write | None:
    """One profile page (``read`` already, with the roster, or fetched now): the accounts it names,
    to be reconciled with those it named before (``held``: whether it named any), or None when
    there is nothing to write or it could not be read (counted, with why)."""
    try:
        if read is None:
            page = ctx.fetcher.get(url, accept="text/html", conditional=True)
            if page.not_modified:  # the same links as last time: they are confirmed, not re-read
                counts["unchanged"] += 1
                return Write(councillor_id, url, None)
            read = (page.content, page.url)
        found = ctx.parse(parse_profile_page, *read)
    except RobotsRefusal as exc:
        counts["robots_refused"] += 1
        failures.append(str(exc))
        return None
    except (FetchError, SourceError) as exc:
        counts["failed"] += 1
        failures.append(str(exc))
        return None
    except Exception as exc:  # a bug: this page only
        log.exception("profile page %s", url)
        counts["failed"] += 1
        failures.append(f"{url}: unexpected {exc!r}")
        return None
    counts["pages"] += 1
    if not found and not held:  # nothing named, now or before: nothing to write
        return None
    return Write(councillor_id, url, found)


def _write(
    ctx: Context, writes: list[Write], run_id: int, counts: dict[str, int], links: Links, failures: list[str]
) -> None:
    """A council's pages written in one transaction; if it fails (a bug, a database error), each page in
    one of its own, so that only the page at fault is lost (counted failed, with why)."""
    if not writes:
        return
    try:
        with ctx.db.session() as session:
            written = Links()
            keys = [handle.key for write in writes for handle, _ in write.found or ()]
            holdings = Holdings(session, [write.councillor_id for write in writes], keys)
            for write in writes:
                written += _write_one(session, write, run_id, holdings)
        links += written
        return
    except Exception:
        log.exception("writing %d profile pages at once: each on its own instead", len(writes))
    for write in writes:
        try:
            with ctx.db.session() as session:
                links += _write_one(session, write, run_id)
        except Exception as exc:
            log.exception("profile page %s", write.url)
            counts["unchanged" if write.found is None else "pages"] -= 1
            counts["failed"] += 1
            failures.append(f"{write.url}: unexpected {exc!r}")


def _write_one(session, write: Write, run_id: int, holdings: Holdings | None = None) -> Links:
    if write.found is None:
        touch_evidence(session, write.url, run_id=run_id, councillor_id=write.councillor_id, holdings=holdings)
        return Links()
    return record_links(
        session,
        write.councillor_id,
        write.found,
        method="council_profile",
        source_url=write.url,
        run_id=run_id,
        holdings=holdings,
    )
