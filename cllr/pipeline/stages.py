"""The pipeline's stages as plain functions: usable and testable without Prefect.

Each stage works on one unit (a council, a batch of accounts), records what happened
in the run ledger, and returns a small :class:`Outcome`. A failing unit is recorded
and reported, never raised: one broken council page cannot stop the run. The Prefect
flow in ``flows/refresh.py`` only composes these functions.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, exists, func, or_, select, true, update

from models import (AccountEvidence, AccountSuggestion, Council, Councillor, Membership, ProfileSnapshot, Run, RunStep,
                    SocialAccount)  # fmt: skip
from models.base import utcnow
from models.db import Database
from models.merge import Quarantined, apply_roster, stage_roster
from models.links import Links, link_account, link_level, reconcile_checks, record_links, settle_renames, touch_evidence
from models.store import merge_into, note_change, read_registry, record_activity, seed_parties
from models.store import load_registry as store_registry
from scrapers import bluesky, feeds, mastodon, x, youtube
from scrapers.families import FAMILIES, MAX_PAGES, Family, merge_pages, read_council_configs
from scrapers.profiles import parse_profile_page
from scrapers.records import AccountGone, Roster, SourceError

from cllr import progress

from cllr.pipeline import ledger

from cllr.pipeline import metrics
from cllr.config import Settings
from cllr.corrections.operations import apply_approved, purge_addresses
from cllr.handles import NotAnAccount, find_handles, normalise
from cllr.http import FetchError, Fetcher, RobotsRefusal, slot_key
from cllr.http.slots import SharedSlots
from cllr.pipeline.ledger import Finished
from cllr.parties import known_parties
from cllr.pipeline.unchanged_accounts import record_unchanged
from cllr.evidence import VOUCHING
from cllr.pipeline.verification import Holder, Profile, checks, holder, own_domains
from cllr.site.views import record_council_figures

log = logging.getLogger("cllr")

# Platforms whose activity can be read without credentials.
COLLECTABLE = ("bluesky", "mastodon", "web", "youtube")
# Shorter batches than ``batch_size`` for some platforms: a Mastodon batch is one request of
# accounts by id; every blog is a site of its own, so short batches let many run side by side.
BATCH_CAP = {"mastodon": mastodon.BATCH, "web": 10}


@dataclass
class Outcome:
    """What one unit of work did; small enough to pass between tasks."""

    stage: str
    subject: str
    status: str  # applied|unchanged|quarantined|failed|skipped|skipped_robots|disabled|done
    reason: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    changes: dict[str, list[str]] = field(default_factory=dict)
    step_id: int | None = None  # its row in the run ledger


@dataclass
class Context:
    """What the stages of one run share: settings, the database and the HTTP layer."""

    settings: Settings
    db: Database
    fetcher: Fetcher
    _configs: dict[str, dict] | None = None
    _domains: dict[int, str] | None = None

    def council_domains(self) -> dict[int, str]:
        """Council id → the council's own domain (``verification.own_domains``), read once per run."""
        if self._domains is None:
            with self.db.session() as session:
                self._domains = own_domains(session.execute(select(Council.id, Council.roster_url)).all())
        return self._domains

    def council_configs(self) -> dict[str, dict]:
        """Council code → selectors or field paths (``Settings.scrapers``), read once per run."""
        if self._configs is None:
            self._configs = read_council_configs(self.settings.scrapers)
        return self._configs


_context: Context | None = None


@contextmanager
def open_context(settings: Settings) -> Iterator[Context]:
    """Open the database (migrating it) and the HTTP layer for a run."""
    global _context
    db = Database(settings.db_url, pool_size=settings.workers + 4)  # a connection for each thread of the run, and spare
    db.migrate()
    fetcher = Fetcher(settings, ca_bundles=ca_bundles(read_registry(settings.registry), settings.overrides))
    if settings.shared_slots:  # one pace per provider across every worker (docs/operations.md)
        fetcher.slots = SharedSlots(fetcher.clock, settings.request_delay, db.engine)
    _context = Context(settings, db, fetcher)
    try:
        yield _context
    finally:
        _context = None
        fetcher.close()
        db.dispose()


def context() -> Context:
    if _context is None:
        raise RuntimeError("no pipeline context is open (use stages.open_context)")
    return _context


# Runs -----------------------------------------------------------------------


def start_run(ctx: Context, trigger: str) -> int:
    with ctx.db.session() as session:
        run = Run(trigger=trigger, started_at=utcnow())
        session.add(run)
        session.flush()
        return run.id


def begin_run(ctx: Context, trigger: str, kind: str = "refresh") -> tuple[int, Finished]:
    """Start a run that may not overlap another and resumes an interrupted one (``cllr.pipeline.ledger``).

    Returns the run's id and what the runs it resumes finished; the HTTP validators those
    runs stored are forgotten, so that their unfinished pages are read in full again (and
    all of them on a database's first run). Raises ``RunInProgress``.
    """
    with ctx.db.session() as session:
        run = ledger.begin(session, trigger, kind)
        run_id, done = run.id, ledger.finished_work(session, run)
        fresh = session.scalar(select(func.count()).select_from(Run)) == 1
    if fresh:  # a new database beside an old validator store: what those validators describe is not in it
        ctx.fetcher.validators.forget_since(0)
    elif done.since is not None:  # pages fetched by the killed run may never have had their content stored
        ctx.fetcher.validators.forget_since(done.since.timestamp())
    return run_id, done


def finish_run(ctx: Context, run_id: int, summary: dict[str, Any]) -> None:
    with ctx.db.session() as session:
        run = session.get(Run, run_id)
        run.finished_at = utcnow()
        run.status = "finished"
        run.summary = summary


def _record(ctx: Context, run_id: int, outcome: Outcome, *, council_id=None, source_url=None,
            started_at: datetime | None = None, http: Counter[str] | None = None) -> Outcome:  # fmt: skip
    """Write the outcome as a step of the run ledger, with its HTTP tally (``Fetcher.tally``)."""
    http = Counter(http or {})
    bytes_read = http.pop("bytes", 0)
    with ctx.db.session() as session:
        step = RunStep(
            run_id=run_id,
            stage=outcome.stage,
            council_id=council_id,
            subject=outcome.subject,
            status=outcome.status,
            reason=outcome.reason,
            counts=outcome.counts,
            source_url=source_url,
            http=dict(sorted(http.items())),
            bytes_read=bytes_read,
            started_at=started_at or utcnow(),
            finished_at=utcnow(),
        )
        session.add(step)
        session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=step.finished_at))  # a sign of life
        session.flush()
        outcome.step_id = step.id
    return outcome


# Stage 1: the registry ---------------------------------------------------------


def load_registry(ctx: Context) -> list[str]:
    """Load the council registry into the database and apply politeness overrides; return the codes to scrape."""
    rows = read_registry(ctx.settings.registry)
    apply_overrides(ctx.fetcher, rows, read_overrides(ctx.settings.overrides))
    with ctx.db.session() as session:
        store_registry(session, rows)
        seed_parties(session, known_parties())
        query = select(Council.code).where(Council.disabled.is_(False)).order_by(Council.code)
        return list(session.scalars(_in_scope(ctx, query, rows)))


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
    return [_record(ctx, run_id, o, council_id=council_id) for o, (council_id, _) in zip(outcome, rows)]


def read_overrides(path) -> dict[str, dict[str, str]]:
    """Per-council overrides by council code (docs/operations.md)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["code"].strip().upper(): row for row in csv.DictReader(fh) if row.get("code")}


def ca_bundles(registry: list[dict], overrides_path: Path) -> dict[str, str]:
    """Host → extra CA bundle, for councils whose override names one (relative to the overrides file)."""
    overrides = read_overrides(overrides_path)
    bundles = {}
    for row in registry:
        bundle = (overrides.get(row["code"].strip().upper()) or {}).get("ca_bundle")
        if bundle and row.get("roster_url"):
            bundles[urlsplit(row["roster_url"]).hostname or ""] = str(Path(overrides_path).parent / bundle)
    return bundles


def apply_overrides(fetcher: Fetcher, registry: list[dict], overrides: dict[str, dict[str, str]]) -> None:
    """Give each overridden council's site its slower request spacing, as a floor on its slot."""
    for row in registry:
        override = overrides.get(row["code"].strip().upper())
        if override and override.get("request_delay") and row.get("roster_url"):
            host = urlsplit(row["roster_url"]).hostname or ""
            fetcher.slots.set_floor(slot_key(host), float(override["request_delay"]))


# Stage 2: rosters --------------------------------------------------------------


def scrape_roster(ctx: Context, code: str, run_id: int, today: date) -> Outcome:
    """Fetch, parse, check and merge one council's roster."""
    started = utcnow()
    with ctx.db.session() as session:
        council = session.scalar(select(Council).where(Council.code == code))
        council_id, cms, base = council.id, council.cms, council.roster_url
        email_domain = council.shared_instance_email_domain
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
                roster = _fetch_roster(ctx, family, source_url, base, config)
            except (FetchError, SourceError) as exc:
                # An HTTP error or the wrong document, not an unreachable or refusing site.
                if family.fallback is None or isinstance(exc, RobotsRefusal) or getattr(exc, "status", 0) is None:
                    raise
                source_url = family.fallback.roster_url(base)
                try:
                    roster = _fetch_roster(ctx, family.fallback, source_url, base, config)
                except RobotsRefusal:
                    raise
                except (FetchError, SourceError) as second:
                    raise SourceError(f"{exc}; and the {family.fallback.name}: {second}") from None
                note = f"read the {family.fallback.name}: {exc}"
            if email_domain:  # one ModernGov instance serving two councils
                members = [c for c in roster.councillors if (c.email or "").lower().endswith(email_domain)]
                roster = replace(roster, councillors=members)
            roster = replace(roster, source_url=source_url)
            outcome = _merge_roster(ctx, code, council_id, roster, run_id, today)
            outcome.reason = note
        except _Skip as exc:
            outcome = Outcome("roster", code, "skipped", str(exc))
        except _NotModified:
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
    outcome = _record(ctx, run_id, outcome, council_id=council_id, source_url=source_url, started_at=started, http=http)
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
        return family.configure(entry)
    except ValueError as exc:
        raise ValueError(f"{ctx.settings.scrapers.name} entry {code}: {exc}") from None


def _fetch_roster(ctx: Context, family: Family, url: str, base: str, config) -> Roster:
    """Fetch and parse a roster, following a paged directory's next links (same site, at most MAX_PAGES).

    A one-page roster is fetched conditionally, and a 304 means nothing to do; a paged
    one is fetched in full, since any page may have changed.
    """
    paged = family.next_page is not None and getattr(config, "next_page", None)
    pages: list[Roster] = []
    seen = {url}
    while True:
        response = ctx.fetcher.get(url, accept=family.accept, conditional=not paged)
        if response.not_modified:
            raise _NotModified
        pages.append(family.parse(response.content, base, response.url, config))
        following = family.next_page(response.content, response.url, config) if paged else None
        if not following or following in seen:
            return merge_pages(pages)
        if len(pages) >= MAX_PAGES:
            raise SourceError(f"more than {MAX_PAGES} pages of councillors: a crawl trap, not a roster")
        seen.add(following)
        url = following


class _Skip(Exception):
    """The council cannot be scraped yet (no scraper or selectors): a note, not a failure."""


class _NotModified(Exception):
    """The source answered 304: nothing to parse or apply."""


def _merge_roster(ctx: Context, code: str, council_id: int, roster, run_id: int, today: date) -> Outcome:
    with ctx.db.session() as session:
        council = session.get(Council, council_id)
        result = apply_roster(session, council, roster, run_id=run_id, today=today)
        links = Links()
        ids = dict(session.execute(
            select(Councillor.source_id, Councillor.id).where(Councillor.council_id == council_id)
        ).all())  # fmt: skip
        for scraped in roster.councillors:
            found = [(h, "councillor") for h in find_handles("\n".join(scraped.notes))]
            links += record_links(session, ids[scraped.source_id], found, method="council_roster",
                                  source_url=roster.source_url, run_id=run_id)  # fmt: skip
    counts = result.counts() | {"councillors": len(roster.councillors)} | links.counts()
    status = "applied" if (result.inserted or result.updated or result.ended or links.linked) else "unchanged"
    changes = {"new": [f"{n} ({code})" for n in result.inserted],
               "departed": [f"{n} ({code})" for n in result.ended]} | links.changes()  # fmt: skip
    return Outcome("roster", code, status, counts=counts, changes=changes)


# Stages 2 and 3 together, one provider at a time ------------------------------------


def council_lanes(ctx: Context, codes: list[str]) -> list[list[str]]:
    """Councils grouped by politeness slot, busiest first: the unit of work for rosters and profiles.

    Councils on one provider can only be fetched one request at a time anyway, so they
    go in one lane, worked through in order; lanes run in parallel. Starting the lanes
    with the most work first (by seats, else current councillors) keeps the busiest
    provider's slot busy from the start, which is what bounds the run's length.
    """
    with ctx.db.session() as session:
        rows = session.execute(select(Council.code, Council.roster_url, Council.seats, Council.id)
                               .where(Council.code.in_(codes))).all()  # fmt: skip
        members = dict(session.execute(
            select(Councillor.council_id, func.count())
            .join(Membership, and_(Membership.councillor_id == Councillor.id, Membership.end_date.is_(None)))
            .group_by(Councillor.council_id)
        ).all())  # fmt: skip
    lanes: dict[str, list[tuple[int, str]]] = {}
    for code, url, seats, council_id in rows:
        weight = 1 + (seats or members.get(council_id) or 40)
        lanes.setdefault(slot_key(urlsplit(url or "").hostname or code), []).append((weight, code))
    ordered = sorted(lanes.values(), key=lambda lane: -sum(w for w, _ in lane))
    return [[code for _, code in sorted(lane, key=lambda item: -item[0])] for lane in ordered]


def scrape_lane(ctx: Context, codes: list[str], run_id: int, today: date) -> list[Outcome]:
    """Rosters, then profile pages, for each council of one lane in turn."""
    outcomes = []
    for code in codes:
        roster = scrape_roster(ctx, code, run_id, today)
        outcomes.append(roster)
        if roster.status == "unchanged" and (read := _profiles_read_recently(ctx, code)) is not None:
            outcomes.append(_keep_profiles(ctx, code, run_id, read))
        elif roster.status in ("applied", "unchanged"):
            outcomes.append(discover_accounts(ctx, code, run_id))
        else:
            progress.current().advance("Profiles")
    return outcomes


def _profiles_read_recently(ctx: Context, code: str) -> datetime | None:
    """When the council's profile pages were last read, if within ``profile_recheck_days``.

    With the roster unchanged (a 304), its councillors and their profile pages' addresses
    are as they were; the pages themselves are read again once that many days have passed.
    """
    if ctx.settings.profile_recheck_days <= 0:
        return None
    cutoff = utcnow() - timedelta(days=ctx.settings.profile_recheck_days)
    with ctx.db.session() as session:
        read = session.scalar(select(func.max(RunStep.finished_at)).join(Council, Council.id == RunStep.council_id)
                              .where(Council.code == code, RunStep.stage == "profiles", RunStep.status == "done"))  # fmt: skip
    if read is not None and read.tzinfo is None:
        read = read.replace(tzinfo=cutoff.tzinfo)
    return read if read is not None and read >= cutoff else None


def _keep_profiles(ctx: Context, code: str, run_id: int, read: datetime) -> Outcome:
    """A council whose profile pages are not read this run: its links stand as last read."""
    with ctx.db.session() as session:
        council_id = session.scalar(select(Council.id).where(Council.code == code))
    reason = f"roster unchanged; profile pages last read {read:%Y-%m-%d %H:%M} UTC"
    progress.current().advance("Profiles")
    return _record(ctx, run_id, Outcome("profiles", code, "unchanged", reason), council_id=council_id)


# Stage 3: accounts from profile pages -------------------------------------------


def discover_accounts(ctx: Context, code: str, run_id: int) -> Outcome:
    """Read each current councillor's profile page for links to their accounts."""
    started = utcnow()
    with ctx.db.session() as session:
        council_id = session.scalar(select(Council.id).where(Council.code == code))
        people = session.execute(
            select(Councillor.id, Councillor.profile_url)
            .join(Membership, and_(Membership.councillor_id == Councillor.id, Membership.end_date.is_(None)))
            .where(Councillor.council_id == council_id, Councillor.profile_url.is_not(None))
            .order_by(Councillor.id)
        ).all()
    counts = {"pages": 0, "unchanged": 0, "failed": 0, "robots_refused": 0}
    links = Links()
    failures: list[str] = []
    with ctx.fetcher.tally() as http:
        for councillor_id, url in people:
            _read_profile(ctx, councillor_id, url, run_id, counts, links, failures)
    status = "failed" if people and not (counts["pages"] or counts["unchanged"]) else "done"
    if people and counts["robots_refused"] == len(people):
        status = "skipped_robots"
    reason = f"{len(failures)} of {len(people)} profile pages not read: {failures[0]}" if failures else None
    outcome = Outcome("profiles", code, status, reason, counts | links.counts(), links.changes())
    progress.current().advance("Profiles")
    return _record(ctx, run_id, outcome, council_id=council_id, started_at=started, http=http)


def _read_profile(ctx: Context, councillor_id: int, url: str, run_id: int, counts: dict[str, int],
                  links: Links, failures: list[str]) -> None:  # fmt: skip
    """One profile page: reconcile the accounts it names with those it named before, or count why it could not be read."""
    try:
        page = ctx.fetcher.get(url, accept="text/html", conditional=True)
        if page.not_modified:  # the same links as last time: they are confirmed, not re-read
            with ctx.db.session() as session:
                touch_evidence(session, url, run_id=run_id, councillor_id=councillor_id)
            counts["unchanged"] += 1
            return
        found = parse_profile_page(page.content, page.url)
        with ctx.db.session() as session:
            links += record_links(session, councillor_id, found, method="council_profile", source_url=url, run_id=run_id)
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


# Stage 4: activity --------------------------------------------------------------


def account_batches(ctx: Context, *, new_only: bool = False, skip: Collection[int] = ()) -> list[list[int]]:
    """Ids of collectable accounts of current councillors, in batches of one politeness slot each
    (one platform; one Mastodon server), at most ``batch_size`` (``BATCH_CAP``) long, the
    slots' batches taken in turn.

    An account whose links are all withdrawn is still read while a suggestion for the
    same councillor and platform is open: it may have been renamed (``settle_renames``).
    ``new_only``: accounts never collected yet (found on a website during this collection).
    ``skip``: accounts not to collect (already queued, or collected by the interrupted run
    this one resumes).
    """
    disputed = exists().where(
        AccountSuggestion.councillor_id == AccountEvidence.councillor_id,
        AccountSuggestion.platform == SocialAccount.platform, AccountSuggestion.status == "open",
    )  # fmt: skip
    with ctx.db.session() as session:
        rows = session.execute(
            select(SocialAccount.platform, SocialAccount.id, SocialAccount.key)
            .join(AccountEvidence, AccountEvidence.account_id == SocialAccount.id)
            .join(Membership, and_(Membership.councillor_id == AccountEvidence.councillor_id,
                                   Membership.end_date.is_(None)))  # fmt: skip
            .where(SocialAccount.platform.in_(COLLECTABLE + (("twitter",) if ctx.settings.x_enabled else ())),
                   SocialAccount.status != "merged",
                   or_(AccountEvidence.withdrawn_at.is_(None), disputed),
                   SocialAccount.last_checked_at.is_(None) if new_only else true())
            .distinct()
            .order_by(SocialAccount.platform, SocialAccount.id)
        ).all()
    by_slot: dict[tuple[str, str], list[int]] = {}
    for platform, account_id, key in rows:
        if account_id not in skip:
            server = key.rpartition("@")[2] if platform == "mastodon" else ""  # each server has its own slot
            by_slot.setdefault((platform, server), []).append(account_id)
    chains = []
    for (platform, _), ids in by_slot.items():
        size = min(ctx.settings.batch_size, BATCH_CAP.get(platform, ctx.settings.batch_size))
        chains.append([ids[i : i + size] for i in range(0, len(ids), size)])
    return in_turn(chains)


def in_turn(chains: list[list]) -> list:
    """The items of ``chains`` (each slot's batches) taken one from each in turn, the longest
    chain first. Batches run in this order, so a slot whose requests must all go one after
    another (the YouTube feed host, a Mastodon server) starts at once instead of waiting
    behind the other slots' batches."""
    chains = sorted(chains, key=len, reverse=True)
    return [chain[i] for i in range(len(chains[0]) if chains else 0) for chain in chains if i < len(chain)]


def collect_activity(ctx: Context, account_ids: list[int], run_id: int, now: datetime | None = None) -> Outcome:
    """Read counters and recent posts for a batch of accounts and store them."""
    started = utcnow()
    since = (now or utcnow()) - timedelta(days=ctx.settings.activity_days)
    counts = {"accounts": 0, "posts_new": 0, "not_found": 0, "failed": 0, "not_read": 0}
    links = Links()
    failures: list[str] = []
    platforms: set[str] = set()
    with ctx.fetcher.tally() as http:
        profiles = (_bluesky_profiles(ctx, account_ids, failures) | _mastodon_profiles(ctx, account_ids, failures)
                    | _x_profiles(ctx, account_ids, counts))  # fmt: skip
        with ctx.db.session() as session:
            renames = set(session.execute(select(AccountSuggestion.platform, AccountSuggestion.handle)
                                          .where(AccountSuggestion.status == "open")).tuples())  # fmt: skip
        unchanged = _record_unchanged(ctx, profiles, renames, run_id)
        for platform in unchanged.values():
            platforms.add(platform)
            counts["accounts"] += 1
            progress.current().advance("Activity")
        for account_id in (a for a in account_ids if a not in unchanged):
            try:
                platform, status, new_posts, failure = _collect_account(ctx, account_id, since, run_id, links,
                                                                        profiles.get(account_id), renames)  # fmt: skip
            except Exception as exc:  # a bug or a database error: this account only
                log.exception("activity of account %s", account_id)
                platform, status, new_posts, failure = "?", "failed", 0, f"account {account_id}: unexpected {exc!r}"
            platforms.add(platform)
            counts["accounts" if status == "active" else status] += 1
            counts["posts_new"] += new_posts
            if failure:
                failures.append(failure)
            progress.current().advance("Activity")
    status = "failed" if account_ids and not counts["accounts"] and counts["not_read"] < len(account_ids) else "done"
    reason = "; ".join(failures[:3]) if failures else None
    outcome = Outcome("activity", f"{'/'.join(sorted(platforms))} x{len(account_ids)}", status, reason,
                      counts | links.counts(), links.changes())  # fmt: skip
    return _record(ctx, run_id, outcome, started_at=started, http=http)


def _record_unchanged(ctx: Context, profiles: dict, renames: set[tuple[str, str]], run_id: int) -> dict[int, str]:
    """The accounts of a batch recorded in bulk as unchanged (``cllr.pipeline.unchanged_accounts``); on any error, none."""
    try:
        with ctx.db.session() as session:
            return record_unchanged(session, profiles, run_id=run_id, now=utcnow(), site_url=ctx.settings.site_url,
                                    council_domains=ctx.council_domains(), renames=renames)  # fmt: skip
    except Exception:  # a bug or a database error: the accounts go the one-by-one way
        log.exception("recording unchanged accounts in bulk")
        return {}


def settle_suggested_renames(ctx: Context, run_id: int) -> Outcome:
    """Settle the open suggestions that name an account by the handle it now reports itself.

    Activity runs alongside the scraping, so a council page may name a renamed account's
    new handle (a suggestion) after the account itself was read under it; settled here, the
    rename is one account's history in this run, not a suggestion left for review.
    """
    links = Links()
    with ctx.db.session() as session:
        accounts = session.scalars(
            select(SocialAccount).join(AccountSuggestion, and_(AccountSuggestion.platform == SocialAccount.platform,
                                                               AccountSuggestion.handle == SocialAccount.handle))
            .where(AccountSuggestion.status == "open", SocialAccount.status != "merged").distinct()
        ).all()  # fmt: skip
        for account in accounts:
            links.settled += [f"{account.platform}:{account.handle}"] * len(settle_renames(session, account, run_id=run_id))
    outcome = Outcome("activity", "renamed accounts", "done", counts={"settled": len(links.settled)}, changes=links.changes())
    return _record(ctx, run_id, outcome)


def _bluesky_profiles(ctx: Context, account_ids: list[int], failures: list[str]) -> dict:
    """Account id → its Bluesky profile, read in batches of 25 (``getProfiles``); those missing are read one by one."""
    with ctx.db.session() as session:
        rows = session.execute(select(SocialAccount.id, SocialAccount.platform_id, SocialAccount.key)
                               .where(SocialAccount.id.in_(account_ids), SocialAccount.platform == "bluesky")
                               .order_by(SocialAccount.id)).all()  # fmt: skip
    actors = {account_id: platform_id or key.removeprefix("bluesky:") for account_id, platform_id, key in rows}
    if not actors:
        return {}
    try:
        found = bluesky.get_profiles(ctx.fetcher, ctx.settings.bluesky_appview, list(actors.values()))
    except (FetchError, SourceError) as exc:
        failures.append(f"Bluesky profiles in batches: {exc}; read one by one")
        return {}
    return {account_id: found[actor] for account_id, actor in actors.items() if actor in found}


def _mastodon_profiles(ctx: Context, account_ids: list[int], failures: list[str]) -> dict:
    """Account id → its Mastodon profile, read 40 a request from each server for the accounts
    whose id there is known (read before); the rest, and any server that cannot, one by one."""
    with ctx.db.session() as session:
        rows = session.execute(select(SocialAccount.id, SocialAccount.key, SocialAccount.local_id)
                               .where(SocialAccount.id.in_(account_ids), SocialAccount.platform == "mastodon",
                                      SocialAccount.local_id.is_not(None))).all()  # fmt: skip
    by_server: dict[str, dict[str, int]] = {}
    for account_id, key, local_id in rows:
        by_server.setdefault(key.rpartition("@")[2], {})[local_id] = account_id
    found = {}
    for server, ids in sorted(by_server.items()):
        try:
            profiles = mastodon.get_accounts(ctx.fetcher, server, sorted(ids))
        except (FetchError, SourceError) as exc:
            failures.append(f"Mastodon profiles in batches from {server}: {exc}; read one by one")
            continue
        found |= {ids[local_id]: profile for local_id, profile in profiles.items() if local_id in ids}
    return found


def _x_profiles(ctx: Context, account_ids: list[int], counts: dict[str, int]) -> dict:
    """Account id → its X counters (or why not), read in batches of 100 within this month's spend cap.

    Users read are counted in the step (``x_users_read``): the month's spend is summed from
    the ledger, so the cap holds across runs. Posts are never read from X (each is billed).
    """
    with ctx.db.session() as session:
        rows = session.execute(select(SocialAccount.id, SocialAccount.key)
                               .where(SocialAccount.id.in_(account_ids), SocialAccount.platform == "twitter")).all()  # fmt: skip
        if not rows:
            return {}
        month = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        steps = session.scalars(select(RunStep.counts).where(RunStep.stage == "activity", RunStep.started_at >= month))
        spent = sum((c or {}).get("x_users_read", 0) for c in steps) * x.PRICE_PER_USER_READ
    budget = x.Budget(ctx.settings.x_monthly_cap_usd, spent)
    names = {account_id: key.removeprefix("twitter:") for account_id, key in rows}
    try:
        found, gone, unread = x.lookup(ctx.fetcher, ctx.settings.x_bearer_token.get_secret_value(), list(names.values()),
                                       budget, ctx.settings.x_api)  # fmt: skip
    except (FetchError, SourceError) as exc:
        return {account_id: exc for account_id in names}
    finally:
        counts["x_users_read"] = round((budget.spent_usd - spent) / x.PRICE_PER_USER_READ)
    cap = _NotRead(f"this month's X spend cap (${ctx.settings.x_monthly_cap_usd:.2f}) is reached")
    return {account_id: found.get(name) or (AccountGone(gone[name]) if name in gone else cap)
            for account_id, name in names.items()}  # fmt: skip


class _NotRead(Exception):
    """An account left unread on purpose (a spend cap): neither a failure nor a change of status."""


def _collect_account(ctx: Context, account_id: int, since: datetime, run_id: int, links: Links, profile=None,
                     renames: Collection[tuple[str, str]] = ()):  # fmt: skip
    """Collect one account, adding what its checks did to ``links``; returns (platform, status, new posts, failure or None).

    ``renames``: the (platform, handle) pairs open suggestions name, which may be this account renamed.
    """
    with ctx.db.session() as session:
        account = session.get(SocialAccount, account_id)
        try:
            if (complete := _posts_as_stored(session, account, profile)) is not None:  # nothing posted: no feed read
                activity = replace(profile, posts=[], complete=complete)
            else:
                activity = _collect_one(ctx, account, since, profile)
        except _NotRead as exc:
            return account.platform, "not_read", 0, f"{account.key}: {exc}"
        except AccountGone as exc:
            if account.status != "not_found":  # marked, never deleted; it may come back
                note_change(session, account, "status", account.status, "not_found", source_url=account.url, run_id=run_id)
            account.status, account.last_checked_at = "not_found", utcnow()
            return account.platform, "not_found", 0, str(exc)
        except (FetchError, SourceError, ValueError, KeyError, TypeError) as exc:
            account.status, account.last_checked_at = "error", utcnow()
            return account.platform, "failed", 0, f"{account.key}: {exc}"
        # An account that reports a stable id it did not have may be one we know by another handle.
        keeper = _same_account(session, account, activity.platform_id) if activity.platform_id != account.platform_id else None
        if keeper is not None:  # a new handle for an account we know by its stable id: one account
            merge_into(session, account, keeper, source_url=activity.source_url, run_id=run_id)
            return account.platform, "active", 0, None
        moving = activity.moved_to and account.status != "moved"
        new_posts = record_activity(session, account, activity, run_id=run_id)
        if (account.platform, account.handle) in renames:
            links.settled += [f"{account.platform}:{account.handle}"] * len(settle_renames(session, account, run_id=run_id))
        links += _check_account(ctx, session, account, activity, run_id)
        if moving:
            _follow_move(session, account, activity, run_id)
        return account.platform, "active", new_posts, None


def _posts_as_stored(session, account: SocialAccount, profile) -> bool | None:
    """Whether the account's feed can go unread: a Bluesky or Mastodon profile, read in a batch,
    shows the same post count as the last collection, so the feed would give the posts stored
    then. Returns that collection's completeness (a feed read up to its page cap stays
    capped), or None when the feed is to be read.

    A post deleted and another written between two runs leave the count as it was; that new
    post is picked up when the count next moves.
    """
    if account.platform not in ("bluesky", "mastodon") or profile is None or isinstance(profile, Exception):
        return None
    if profile.posts_total is None or profile.moved_to:
        return None
    last = session.execute(select(ProfileSnapshot.posts_total, ProfileSnapshot.posts_complete)
                           .where(ProfileSnapshot.account_id == account.id)
                           .order_by(ProfileSnapshot.taken_at.desc(), ProfileSnapshot.id.desc()).limit(1)).first()  # fmt: skip
    return last.posts_complete if last is not None and last.posts_total == profile.posts_total else None


def _check_account(ctx: Context, session, account: SocialAccount, activity, run_id: int) -> Links:
    """What the account (or the website) says about itself, for each councillor it is linked to.

    Two-way checks (``cllr.pipeline.verification``) upgrade or withdraw a link's evidence; a
    website the council links to adds, as ``own_website`` evidence, the accounts it links to.
    """
    links = Links()
    profile = Profile(account.platform, account.url, account.handle, activity.profile_links, activity.profile_text)
    for councillor, level in _linked_councillors(session, account):
        if account.platform in ("bluesky", "mastodon") and activity.platform_id:  # no id: the profile was not read (RSS)
            holds = checks(profile, _holder(ctx, session, councillor))
            links += reconcile_checks(session, councillor.id, account, holds, run_id=run_id)
        elif account.platform == "web" and level in VOUCHING:
            if activity.site_links is None:  # the page is unchanged: what it showed still holds
                touch_evidence(session, account.url, run_id=run_id, councillor_id=councillor.id)
            else:
                found = [(h, role) for h, role in activity.site_links if h.key != account.key]
                links += record_links(session, councillor.id, found, method="own_website", source_url=account.url,
                                      run_id=run_id)  # fmt: skip
    return links


def _linked_councillors(session, account: SocialAccount) -> list[tuple[Councillor, str]]:
    """The councillors an account is linked to now, each with the link's level."""
    by_councillor: dict[int, list[AccountEvidence]] = {}
    for evidence in account.evidence:
        by_councillor.setdefault(evidence.councillor_id, []).append(evidence)
    levels = {cid: link_level(rows) for cid, rows in by_councillor.items()}
    return [(session.get(Councillor, cid), level) for cid, level in sorted(levels.items()) if level is not None]


def _holder(ctx: Context, session, councillor: Councillor) -> Holder:
    """What we hold about a councillor that an account's profile can confirm."""
    websites = session.scalars(
        select(SocialAccount.url)
        .join(AccountEvidence, AccountEvidence.account_id == SocialAccount.id)
        .where(AccountEvidence.councillor_id == councillor.id, AccountEvidence.withdrawn_at.is_(None),
               AccountEvidence.level.in_(VOUCHING), SocialAccount.platform == "web")
        .distinct()
    ).all()  # fmt: skip
    return holder(ctx.settings.site_url, councillor.slug, councillor.profile_url, websites,
                  ctx.council_domains().get(councillor.council_id), councillor.council.roster_url)


def _same_account(session, account: SocialAccount, platform_id: str | None) -> SocialAccount | None:
    """The older account row with the same stable platform id, if there is one."""
    if not platform_id:
        return None
    return session.scalar(
        select(SocialAccount)
        .where(SocialAccount.platform == account.platform, SocialAccount.platform_id == platform_id,
               SocialAccount.id < account.id)
        .order_by(SocialAccount.id)
    )  # fmt: skip


def _follow_move(session, account: SocialAccount, activity, run_id: int) -> None:
    """A Mastodon move: link the new account to the old one's councillors, and record where it went."""
    try:
        target = normalise(activity.moved_to, account.platform)
    except NotAnAccount as exc:
        note_change(session, account, "moved_to", None, f"unreadable: {exc}", source_url=activity.source_url, run_id=run_id)
        return
    note_change(session, account, "moved_to", None, target.key, source_url=activity.source_url, run_id=run_id)
    for councillor_id in sorted({e.councillor_id for e in account.evidence}):
        level = link_level(e for e in account.evidence if e.councillor_id == councillor_id)
        if level is not None:  # only links still held move with the account
            link_account(session, councillor_id, target, method="moved_from", source_url=account.url, run_id=run_id,
                         role=account.role, inherited=level)  # fmt: skip


def _collect_one(ctx: Context, account: SocialAccount, since: datetime, profile=None):
    if account.platform == "bluesky":
        actor = account.platform_id or account.key.removeprefix("bluesky:")
        return bluesky.collect(ctx.fetcher, ctx.settings.bluesky_appview, actor, since, profile)
    if account.platform == "mastodon":
        return mastodon.collect(ctx.fetcher, account.key.removeprefix("mastodon:"), since, profile)
    if account.platform == "twitter":  # read in a batch by _x_profiles: counters only
        if isinstance(profile, Exception):
            raise profile
        if profile is None:
            raise SourceError("X did not answer for this account")
        return profile
    if account.platform == "youtube":
        return youtube.collect(ctx.fetcher, account.key, account.url, account.platform_id, since, ctx.settings.youtube_feeds)
    return feeds.collect(ctx.fetcher, account.url, since, account.feed_url)


# Corrections: applied at the start of each run -----------------------------------------


def apply_corrections(ctx: Context, run_id: int) -> Outcome:
    """Apply the corrections approved since the last run (docs/corrections.md); each locks its field.
    Also clears audit addresses past their 90 days."""
    with ctx.db.session() as session:
        applied, problems = apply_approved(session, actor=f"run {run_id}")
        cleared = purge_addresses(session)
    outcome = Outcome("corrections", "approved corrections", "done", reason="; ".join(problems) or None,
                      counts={"applied": applied, "not_applied": len(problems), "addresses_cleared": cleared})  # fmt: skip
    return _record(ctx, run_id, outcome)


# Stage 5: metrics --------------------------------------------------------------


def compute_metrics(ctx: Context, run_id: int, as_of: datetime | None = None) -> Outcome:
    started = utcnow()
    now = as_of or started
    with ctx.db.session() as session:
        written = metrics.compute(session, now, run_id=run_id)
        session.flush()
        councils = record_council_figures(session, now.date(), run_id=run_id)
    outcome = Outcome("metrics", "all accounts", "done", counts={"accounts": written, "councils": councils})
    return _record(ctx, run_id, outcome, started_at=started)


def match_ward_codes(ctx: Context, run_id: int) -> Outcome:
    """Give the rosters' wards their ONS codes from the postcode directory held (cllr/postcodes/wardcodes.py), for the postcode finder."""
    from cllr.postcodes.wardcodes import match_wards, read_overrides

    started = utcnow()
    overrides, problems = read_overrides(ctx.settings.ward_codes)
    with ctx.db.session() as session:
        matching = match_wards(session, overrides, problems)
    reason = "; ".join(matching.problems[:5]) or None
    outcome = Outcome("wards", "ward codes", "done", reason=reason, counts=matching.counts() if matching.directory else {})
    return _record(ctx, run_id, outcome, started_at=started)


# Stage 6: the site -----------------------------------------------------------------


def render_site(ctx: Context, run_id: int) -> Outcome:
    from cllr.site.build import build_site  # Jinja2 is only needed here

    started = utcnow()
    with ctx.db.session() as session:
        build = build_site(session, ctx.settings.output_dir, site_url=ctx.settings.site_url,
                           contact_url=ctx.settings.contact_url, intake_url=ctx.settings.intake_url)  # fmt: skip
    counts = {"pages": build.pages}
    if build.renderer_private_mb is not None:  # the forked renderer's own memory, for the peak (docs/benchmarks.md)
        counts["renderer_mb"] = round(build.renderer_private_mb)
    outcome = Outcome("site", str(ctx.settings.output_dir), "done", counts=counts)
    return _record(ctx, run_id, outcome, started_at=started)


def council_rows(outcomes: list[Outcome]) -> list[dict[str, str]]:
    """One row per council of the run: its roster and profile-page statuses and the reason, if any."""
    rows: dict[str, dict[str, str]] = {}
    for outcome in outcomes:
        if outcome.stage in ("roster", "profiles"):
            row = rows.setdefault(outcome.subject, {"council": outcome.subject, "roster": "", "profiles": "", "reason": ""})
            row[outcome.stage] = outcome.status
            if outcome.reason and not row["reason"]:
                row["reason"] = outcome.reason[:300]
    return [rows[code] for code in sorted(rows)]


def summarise(outcomes: list[Outcome], fetch_stats: dict[str, int] | None = None) -> dict[str, Any]:
    """Fold the outcomes of a run into the summary printed at its end and kept in the ledger."""
    summary: dict[str, Any] = {"statuses": {}, "counts": {}, "changes": {}, "problems": []}
    for outcome in outcomes:
        key = f"{outcome.stage}:{outcome.status}"
        summary["statuses"][key] = summary["statuses"].get(key, 0) + 1
        for name, value in outcome.counts.items():
            name = f"{outcome.stage}.{name}"
            summary["counts"][name] = summary["counts"].get(name, 0) + value
        for name, items in outcome.changes.items():
            summary["changes"].setdefault(name, []).extend(items)
        noted = outcome.reason and outcome.stage != "roster" and outcome.status != "unchanged"  # not a deliberate skip
        if outcome.status in ("failed", "quarantined") or noted:
            summary["problems"].append(f"{outcome.stage} {outcome.subject}: {outcome.status}: {outcome.reason}")
    if fetch_stats:
        summary["http"] = dict(fetch_stats)
    return summary
