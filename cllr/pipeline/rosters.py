"""Stage 2, rosters: each council's roster fetched, parsed, checked and merged, the councils worked in lanes (one per politeness slot), each council's profile pages read after its roster."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import and_, func, select

from cllr import progress
from cllr.handles import find_handles
from cllr.http import FetchError, RobotsRefusal, slot_key
from cllr.pipeline.context import Context, Outcome, record_step
from cllr.pipeline.profiles import discover_accounts
from cllr.pipeline.published_rosters import apply_published, pending
from cllr.pipeline.roster_pages import NotModified, read_roster
from cllr.pipeline.shared_instances import own_share, partners_of
from models import Council, Councillor, Membership, RunStep
from models.base import utcnow
from models.holdings import Holdings
from models.links import Links, evidenced, record_links, touch_evidence
from models.merge import Quarantined, apply_roster, stage_roster
from scrapers.families import FAMILIES, Family, roster_settings
from scrapers.records import SourceError

log = logging.getLogger("cllr")


def scrape_roster(ctx: Context, code: str, run_id: int, today: date) -> Outcome:
    """Fetch, parse, check and merge one council's roster."""
    started = utcnow()
    with ctx.db.session() as session:
        council = session.scalar(select(Council).where(Council.code == code))
        council_id, cms, base = council.id, council.cms, council.roster_url
    if (published := pending(ctx, council_id)) is not None:  # the council sent its roster: its pages are not read
        return apply_published(ctx, code, council_id, published, run_id, today, _merge_roster)
    source_url = None
    roster = None
    note = None  # how the roster was read, when not the usual way
    with ctx.fetcher.tally() as http:
        try:
            family = FAMILIES.get(cms)
            if family is None:
                raise _Skip(f"no scraper for the {cms!r} CMS family yet")
            config = _council_config(ctx, family, code)
            source_url = family.roster_url(base)
            try:
                read = read_roster(family, config, source_url, base, _fetch(ctx, code))
            except (FetchError, SourceError) as exc:
                # An HTTP error or the wrong document, not an unreachable or refusing site.
                if family.fallback is None or isinstance(exc, RobotsRefusal) or getattr(exc, "status", 0) is None:
                    raise
                source_url = family.fallback.roster_url(base)
                try:
                    read = read_roster(family.fallback, config, source_url, base, _fetch(ctx, code))
                except RobotsRefusal:
                    raise
                except (FetchError, SourceError) as second:
                    raise SourceError(f"{exc}; and the {family.fallback.name}: {second}") from None
                note = f"read the {family.fallback.name}: {exc}"
            roster = read.roster
            ctx.own_pages[code] = read.own_pages  # for the accounts they link to (profiles.discover_accounts)
            unplaced: list = []
            if code in ctx.shared_instances():  # one roster serving two councils: this council's share
                rules = ctx.shared_instances()
                share = own_share(roster, rules[code], partners_of(code, rules))
                roster, unplaced = share.roster, share.unplaced
            roster = replace(roster, source_url=source_url)
            outcome = _merge_roster(ctx, code, council_id, roster, run_id, today)
            outcome.reason = note
            if unplaced:  # never dropped silently: held back from both councils, and said
                outcome.counts["unplaced"] = len(unplaced)
                names = ", ".join(f"{c.name} ({c.ward})" for c in unplaced[:10])
                held = f"{len(unplaced)} councillor(s) of the shared roster not placed, held back: {names}"
                outcome.reason = "; ".join(
                    filter(None, [note, held + " (add include or exclude rows: docs/councils.md)"])
                )
        except _Skip as exc:
            outcome = Outcome("roster", code, "skipped", str(exc))
        except NotModified:
            with ctx.db.session() as session:  # its entries' links are as they were: checked again
                touch_evidence(session, source_url, run_id=run_id)
            outcome = Outcome("roster", code, "unchanged", "not modified since the last run (304)")
        except Quarantined as exc:
            outcome = Outcome("roster", code, "quarantined", str(exc))
        except RobotsRefusal as exc:
            outcome = Outcome("roster", code, "skipped_robots", str(exc))
        except (FetchError, SourceError, ValueError) as exc:  # ValueError: a broken council configuration
            outcome = Outcome("roster", code, "failed", str(exc))
        except Exception as exc:  # a bug must not stop the other councils: log it, record it
            log.exception("roster %s", code)
            outcome = Outcome("roster", code, "failed", f"unexpected {type(exc).__name__}: {exc}")
    progress.current().advance("Rosters", "" if outcome.status == "applied" else f"{code} {outcome.status}")
    outcome = record_step(
        ctx, run_id, outcome, council_id=council_id, source_url=source_url, started_at=started, http=http
    )
    if outcome.status == "quarantined" and roster is not None:
        with ctx.db.session() as session:
            stage_roster(session, outcome.step_id, council_id, roster)
        outcome.reason += f" (kept as step {outcome.step_id}: release with `cllr runs approve {outcome.step_id}`)"
    return outcome


def _council_config(ctx: Context, family: Family, code: str):
    """The council's selectors or field paths, for the families that need them."""
    if family.configure is None:
        return None
    entry = ctx.council_configs().get(code)
    if entry is None:
        raise _Skip(f"no selectors for this {family.name}-family council in {ctx.settings.scrapers.name} yet")
    try:
        return family.configure(roster_settings(entry))
    except ValueError as exc:
        raise ValueError(f"{ctx.settings.scrapers.name} entry {code}: {exc}") from None


class _Skip(Exception):
    """The council cannot be scraped yet (no scraper or selectors): a note, not a failure."""


def _merge_roster(ctx: Context, code: str, council_id: int, roster, run_id: int, today: date) -> Outcome:
    with ctx.db.session() as session:
        council = session.get(Council, council_id)
        result = apply_roster(session, council, roster, run_id=run_id, today=today)
        links = Links()
        ids = dict(
            session.execute(
                select(Councillor.source_id, Councillor.id).where(Councillor.council_id == council_id)
            ).all()
        )
        held = evidenced(session, ids.values(), method="council_roster")
        shown = {}
        for scraped in roster.councillors:
            found = [(h, "councillor") for h in find_handles("\n".join(scraped.notes))]
            if found or (ids[scraped.source_id], roster.source_url) in held:  # shown now, or shown before
                shown[ids[scraped.source_id]] = found
        holdings = Holdings(session, shown, [h.key for found in shown.values() for h, _ in found])
        for councillor_id, found in shown.items():
            links += record_links(
                session,
                councillor_id,
                found,
                method="council_roster",
                source_url=roster.source_url,
                run_id=run_id,
                holdings=holdings,
            )
    counts = result.counts() | {"councillors": len(roster.councillors)} | links.counts()
    status = "applied" if (result.inserted or result.updated or result.ended or links.linked) else "unchanged"
    changes = {
        "new": [f"{n} ({code})" for n in result.inserted],
        "departed": [f"{n} ({code})" for n in result.ended],
    } | links.changes()
    return Outcome("roster", code, status, counts=counts, changes=changes)


def council_lanes(ctx: Context, codes: list[str]) -> list[list[str]]:
    """Councils grouped by politeness slot, busiest first: the unit of work for rosters and profiles.

    Councils on one provider can only be fetched one request at a time anyway, so they
    go in one lane, worked through in order; lanes run in parallel. Starting the lanes
    with the most work first (by seats, else current councillors) keeps the busiest
    provider's slot busy from the start, which is what bounds the run's length.
    """
    with ctx.db.session() as session:
        rows = session.execute(
            select(
                Council.code, Council.roster_url, func.coalesce(Council.seats, Council.roster_seats), Council.id
            ).where(Council.code.in_(codes))
        ).all()
        members = dict(
            session.execute(
                select(Councillor.council_id, func.count())
                .join(Membership, and_(Membership.councillor_id == Councillor.id, Membership.end_date.is_(None)))
                .group_by(Councillor.council_id)
            ).all()
        )
    lanes: dict[str, list[tuple[int, str]]] = {}
    for code, url, seats, council_id in rows:
        weight = 1 + (seats or members.get(council_id) or 40)
        lanes.setdefault(slot_key(urlsplit(url or "").hostname or code), []).append((weight, code))
    ordered = sorted(lanes.values(), key=lambda lane: -sum(w for w, _ in lane))
    return [[code for _, code in sorted(lane, key=lambda item: -item[0])] for lane in ordered]


def scrape_lane(ctx: Context, codes: list[str], run_id: int, today: date) -> list[Outcome]:
    """Rosters, then profile pages, for each council of one lane in turn. A council whose step could
    not even be recorded (the database failing under it) is reported failed, and the lane goes on;
    those not reached within the task time limit (``CLLR_TASK_TIME_LIMIT``) are reported failed."""
    outcomes = []
    ends = time.monotonic() + ctx.settings.task_time_limit
    for code in codes:
        if time.monotonic() >= ends:  # each fetch is bounded (CLLR_DEADLINE), so the lane stops soon after
            reason = f"not reached: the lane's time limit ({ctx.settings.task_time_limit:g} s) had passed"
            outcomes.append(Outcome("roster", code, "failed", reason))
            continue
        try:
            outcomes += _scrape_council(ctx, code, run_id, today)
        except Exception as exc:
            log.exception("council %s", code)
            outcomes.append(Outcome("roster", code, "failed", f"unexpected {type(exc).__name__}: {exc}"))
        finally:
            ctx.own_pages.pop(code, None)
    return outcomes


def _scrape_council(ctx: Context, code: str, run_id: int, today: date) -> list[Outcome]:
    roster = scrape_roster(ctx, code, run_id, today)
    read_now = bool(ctx.own_pages.get(code))  # its councillors' pages were read with the roster: no request
    if roster.status == "unchanged" and not read_now and (read := _profiles_read_recently(ctx, code)) is not None:
        return [roster, _keep_profiles(ctx, code, run_id, read)]
    if roster.status in ("applied", "unchanged"):
        return [roster, discover_accounts(ctx, code, run_id)]
    progress.current().advance("Profiles")
    return [roster]


def _profiles_read_recently(ctx: Context, code: str) -> datetime | None:
    """When the council's profile pages were last read, if within ``profile_recheck_days``.

    With the roster unchanged (a 304), its councillors and their profile pages' addresses
    are as they were; the pages themselves are read again once that many days have passed.
    """
    if ctx.settings.profile_recheck_days <= 0:
        return None
    cutoff = utcnow() - timedelta(days=ctx.settings.profile_recheck_days)
    with ctx.db.session() as session:
        read = session.scalar(
            select(func.max(RunStep.finished_at))
            .join(Council, Council.id == RunStep.council_id)
            .where(Council.code == code, RunStep.stage == "profiles", RunStep.status == "done")
        )
    if read is not None and read.tzinfo is None:
        read = read.replace(tzinfo=cutoff.tzinfo)
    return read if read is not None and read >= cutoff else None


def _keep_profiles(ctx: Context, code: str, run_id: int, read: datetime) -> Outcome:
    """A council whose profile pages are not read this run: its links stand as last read."""
    with ctx.db.session() as session:
        council_id = session.scalar(select(Council.id).where(Council.code == code))
    reason = f"roster unchanged; profile pages last read {read:%Y-%m-%d %H:%M} UTC"
    progress.current().advance("Profiles")
    return record_step(ctx, run_id, Outcome("profiles", code, "unchanged", reason), council_id=council_id)


def _fetch(ctx: Context, code: str):
    """Roster pages through the HTTP layer (``roster_pages.Fetch``). A roster that two councils share
    is never read conditionally: the validators the first council stored would answer the second
    with a 304, and the second council's share would never be applied."""
    shared = code in ctx.shared_instances()
    return lambda url, accept, conditional: ctx.fetcher.get(url, accept=accept, conditional=conditional and not shared)
