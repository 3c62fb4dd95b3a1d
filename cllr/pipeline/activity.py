"""Stage 4, activity: the linked accounts' profiles and recent posts read in batches, one
politeness slot a batch, through the platform table (``cllr.platforms``), and their
two-way checks."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from cllr import progress
from cllr.corrections.erasure import forget_account
from cllr.evidence import VOUCHING
from cllr.handles import NotAnAccount, normalise
from cllr.http import FetchError
from cllr.pipeline.context import Context, Outcome, record_step
from cllr.pipeline.unchanged_accounts import record_unchanged
from cllr.pipeline.verification import Holder, Profile, checks, holder
from cllr.platforms import PLATFORMS, Account, Reading, collected
from cllr.platforms.x import NotRead
from models import AccountEvidence, AccountSuggestion, Councillor, Membership, ProfileSnapshot, RunStep, SocialAccount
from models.base import utcnow
from models.corrections import erased_among, identity_digests
from models.holdings import Holdings
from models.links import Links, link_account, link_level, reconcile_checks, record_links, settle_renames, touch_evidence
from models.store import merge_into, note_change, record_activity
from scrapers.records import AccountGone, SourceError

log = logging.getLogger("cllr")


def account_batches(ctx: Context, *, new_only: bool = False, skip: Collection[int] = ()) -> list[list[int]]:
    """Ids of collectable accounts of current councillors, in batches of one politeness slot each
    (one platform; one Mastodon server: ``Platform.slot``), at most ``batch_size`` (or the
    platform's ``batch``) long, the slots' batches taken in turn.

    An account whose links are all withdrawn is still read while a suggestion for the
    same councillor and platform is open: it may have been renamed (``settle_renames``).
    ``new_only``: accounts never collected yet (found on a website during this collection).
    ``skip``: accounts not to collect (already queued, or collected by the interrupted run
    this one resumes).
    """
    disputed = exists().where(
        AccountSuggestion.councillor_id == AccountEvidence.councillor_id,
        AccountSuggestion.platform == SocialAccount.platform,
        AccountSuggestion.status == "open",
    )
    with ctx.db.session() as session:
        rows = session.execute(
            select(SocialAccount.platform, SocialAccount.id, SocialAccount.key)
            .join(AccountEvidence, AccountEvidence.account_id == SocialAccount.id)
            .join(
                Membership,
                and_(Membership.councillor_id == AccountEvidence.councillor_id, Membership.end_date.is_(None)),
            )
            .where(
                SocialAccount.platform.in_([p.name for p in collected(ctx.settings)]),
                SocialAccount.status != "merged",
                or_(AccountEvidence.withdrawn_at.is_(None), disputed),
                SocialAccount.last_checked_at.is_(None) if new_only else true(),
            )
            .distinct()
            .order_by(SocialAccount.platform, SocialAccount.id)
        ).all()
    by_slot: dict[tuple[str, str], list[int]] = {}
    for platform, account_id, key in rows:
        if account_id not in skip:
            by_slot.setdefault((platform, PLATFORMS[platform].slot(key)), []).append(account_id)
    chains = []
    for (platform, _), ids in by_slot.items():
        size = min(ctx.settings.batch_size, PLATFORMS[platform].batch or ctx.settings.batch_size)
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
    counts = {"accounts": 0, "posts_new": 0, "not_found": 0, "failed": 0, "not_read": 0, "erased": 0}
    links = Links()
    failures: list[str] = []
    platforms: set[str] = set()
    with ctx.fetcher.tally() as http:
        reading = Reading(ctx.fetcher, ctx.settings, failures, counts, lambda name: _this_month(ctx, name))
        ends = time.monotonic() + ctx.settings.task_time_limit  # each fetch is bounded too (CLLR_DEADLINE)
        accounts = _accounts(ctx, account_ids)
        profiles = _read_profiles(reading, accounts) if time.monotonic() < ends else {}
        with ctx.db.session() as session:
            renames = set(
                session.execute(
                    select(AccountSuggestion.platform, AccountSuggestion.handle).where(
                        AccountSuggestion.status == "open"
                    )
                ).tuples()
            )
        unchanged = _record_unchanged(ctx, profiles, renames, run_id)
        for platform in unchanged.values():
            platforms.add(platform)
            counts["accounts"] += 1
            progress.current().advance("Activity")
        rest = [a for a in accounts if a.id not in unchanged]
        stored = _last_snapshots(ctx, [a.id for a in rest])
        reads = [
            (
                a.id,
                _read_account(reading, a, since, profiles.get(a.id), stored.get(a.id))
                if time.monotonic() < ends
                else NotRead(f"not reached: the batch's time limit ({ctx.settings.task_time_limit:g} s) had passed"),
            )
            for a in rest
        ]
        for platform, status, new_posts, failure in _write_accounts(ctx, reads, run_id, links, renames):
            platforms.add(platform)
            counts["accounts" if status == "active" else status] += 1
            counts["posts_new"] += new_posts
            if failure:
                failures.append(failure)
            progress.current().advance("Activity")
    status = (
        "failed"
        if account_ids and not counts["accounts"] and counts["not_read"] + counts["erased"] < len(account_ids)
        else "done"
    )
    reason = "; ".join(failures[:3]) if failures else None
    outcome = Outcome(
        "activity",
        f"{'/'.join(sorted(platforms))} x{len(account_ids)}",
        status,
        reason,
        counts | links.counts(),
        links.changes(),
    )
    return record_step(ctx, run_id, outcome, started_at=started, http=http)


def _record_unchanged(ctx: Context, profiles: dict, renames: set[tuple[str, str]], run_id: int) -> dict[int, str]:
    """The accounts of a batch recorded in bulk as unchanged (``cllr.pipeline.unchanged_accounts``); on any error, none."""
    try:
        with ctx.db.session() as session:
            return record_unchanged(
                session,
                profiles,
                run_id=run_id,
                now=utcnow(),
                site_url=ctx.settings.site_url,
                council_domains=ctx.council_domains(),
                renames=renames,
            )
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
            select(SocialAccount)
            .join(
                AccountSuggestion,
                and_(
                    AccountSuggestion.platform == SocialAccount.platform,
                    AccountSuggestion.handle == SocialAccount.handle,
                ),
            )
            .where(AccountSuggestion.status == "open", SocialAccount.status != "merged")
            .distinct()
        ).all()
        for account in accounts:
            links.settled += [f"{account.platform}:{account.handle}"] * len(
                settle_renames(session, account, run_id=run_id)
            )
    outcome = Outcome(
        "activity", "renamed accounts", "done", counts={"settled": len(links.settled)}, changes=links.changes()
    )
    return record_step(ctx, run_id, outcome)


def _read_account(reading: Reading, account: Account, since: datetime, profile, stored):
    """One account's activity as its platform shows it now, or the exception that says why it could
    not be read; nothing is written here (``_write_accounts`` does, once the batch is read).

    ``stored``: the (post count, completeness) of its last collection (``_last_snapshots``).
    """
    try:
        if (complete := _posts_as_stored(account, profile, stored)) is not None:  # nothing posted: no feed read
            return replace(profile, posts=[], complete=complete)
        return PLATFORMS[_platform(account)].collect(reading, account, since, profile)
    except (NotRead, AccountGone, FetchError, SourceError, ValueError, KeyError, TypeError) as exc:
        return exc
    except Exception as exc:  # a bug: this account only
        log.exception("activity of account %s", account.key)
        return exc


WRITE_CHUNK = 10  # accounts a transaction: on SQLite every other writer waits while one is open


def _write_accounts(ctx: Context, reads: list, run_id: int, links: Links, renames: Collection[tuple[str, str]]):
    """Store what was read of a batch's accounts, ``WRITE_CHUNK`` to a transaction. Returns (platform,
    status, new posts, failure or None) for each, and adds what their checks did to ``links``."""
    done = []
    for start in range(0, len(reads), WRITE_CHUNK):
        done += _write_chunk(ctx, reads[start : start + WRITE_CHUNK], run_id, links, renames)
    return done


def _write_chunk(ctx: Context, reads: list, run_id: int, links: Links, renames: Collection[tuple[str, str]]):
    """Some accounts' activity in one transaction; should it fail (a bug, a database error), each
    account in a transaction of its own, so that only the account at fault is lost."""
    try:
        with ctx.db.session() as session:
            rows = {
                row.id: row
                for row in session.scalars(
                    select(SocialAccount)
                    .options(selectinload(SocialAccount.evidence))
                    .where(SocialAccount.id.in_([account_id for account_id, _ in reads]))
                )
            }
            written = Links()
            done = [
                _write_account(ctx, session, rows[account_id], read, run_id, written, renames)
                for account_id, read in reads
            ]
        links += written
        return done
    except Exception:
        log.exception("writing %d accounts' activity at once: each on its own instead", len(reads))
    done = []
    for account_id, read in reads:
        written = Links()
        try:
            with ctx.db.session() as session:
                done.append(
                    _write_account(ctx, session, session.get(SocialAccount, account_id), read, run_id, written, renames)
                )
            links += written
        except Exception as exc:  # a bug or a database error: this account only
            log.exception("activity of account %s", account_id)
            done.append(("?", "failed", 0, f"account {account_id}: unexpected {exc!r}"))
    return done


def _write_account(ctx: Context, session, account: SocialAccount, read, run_id: int, links: Links, renames):
    """Store one account's activity (or why it could not be read), adding what its checks did to ``links``;
    returns (platform, status, new posts, failure or None).

    ``renames``: the (platform, handle) pairs open suggestions name, which may be this account renamed.
    """
    if isinstance(read, NotRead):
        return account.platform, "not_read", 0, f"{account.key}: {read}"
    if isinstance(read, AccountGone):
        if account.status != "not_found":  # marked, never deleted; it may come back
            note_change(session, account, "status", account.status, "not_found", source_url=account.url, run_id=run_id)
        account.status, account.last_checked_at = "not_found", utcnow()
        return account.platform, "not_found", 0, str(read)
    if isinstance(read, (FetchError, SourceError, ValueError, KeyError, TypeError)):
        account.status, account.last_checked_at = "error", utcnow()
        return account.platform, "failed", 0, f"{account.key}: {read}"
    if isinstance(read, Exception):
        return account.platform, "failed", 0, f"account {account.id}: unexpected {read!r}"
    activity = read
    if _erased_identity(session, account, activity):  # an erased account, renamed: erased again
        forget_account(session, account)
        return account.platform, "erased", 0, None
    # An account that reports a stable id it did not have may be one we know by another handle.
    keeper = (
        _same_account(session, account, activity.platform_id) if activity.platform_id != account.platform_id else None
    )
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


def _erased_identity(session, account: SocialAccount, activity) -> bool:
    """Whether the account, as it reports itself, is one erased on request: its stable id (a
    DID, a channel id) or its handle is among the erased identities, whatever its key now is.
    Asked only when it reports an identity we did not hold (a first collection, a rename): the
    ones held were asked about when they were first reported."""
    if activity.platform_id == account.platform_id and activity.handle in (None, account.handle):
        return False
    digests = identity_digests(account.platform, account.key, activity.handle, None, activity.platform_id)
    return bool(erased_among(session, digests))


def _last_snapshots(ctx: Context, account_ids: list[int]) -> dict[int, tuple[int | None, bool]]:
    """Account id → (post count, completeness) of its last collection, for those collected before, in one query."""
    if not account_ids:
        return {}
    order = func.row_number().over(
        partition_by=ProfileSnapshot.account_id, order_by=(ProfileSnapshot.taken_at.desc(), ProfileSnapshot.id.desc())
    )
    latest = (
        select(
            ProfileSnapshot.account_id, ProfileSnapshot.posts_total, ProfileSnapshot.posts_complete, order.label("n")
        )
        .where(ProfileSnapshot.account_id.in_(account_ids))
        .subquery()
    )
    with ctx.db.session() as session:
        rows = session.execute(
            select(latest.c.account_id, latest.c.posts_total, latest.c.posts_complete).where(latest.c.n == 1)
        )
        return {account_id: (total, complete) for account_id, total, complete in rows}


def _posts_as_stored(account: Account, profile, stored: tuple[int | None, bool] | None) -> bool | None:
    """Whether the account's feed can go unread: a Bluesky or Mastodon profile, read in a batch,
    shows the same post count as the last collection (``stored``), so the feed would give the
    posts stored then. Returns that collection's completeness (a feed read up to its page cap
    stays capped), or None when the feed is to be read.

    A post deleted and another written between two runs leave the count as it was; that new
    post is picked up when the count next moves.
    """
    if not PLATFORMS[_platform(account)].posts_counted_in_profile or profile is None or isinstance(profile, Exception):
        return None
    if profile.posts_total is None or profile.moved_to:
        return None
    return stored[1] if stored is not None and stored[0] == profile.posts_total else None


def _platform(account: Account) -> str:
    """The platform an account is on: its key's prefix ("bluesky:…")."""
    return account.key.partition(":")[0]


def _check_account(ctx: Context, session, account: SocialAccount, activity, run_id: int) -> Links:
    """What the account (or the website) says about itself, for each councillor it is linked to.

    Two-way checks (``cllr.pipeline.verification``) upgrade or withdraw a link's evidence; a
    website the council links to adds, as ``own_website`` evidence, the accounts it links to.
    """
    links = Links()
    linked = _linked_councillors(session, account)
    if not linked:
        return links
    profile = Profile(account.platform, account.url, account.handle, activity.profile_links, activity.profile_text)
    found = [(h, role) for h, role in activity.site_links or () if h.key != account.key]
    holdings = Holdings(session, [c.id for c, _ in linked], [account.key, *(h.key for h, _ in found)])
    platform = PLATFORMS[account.platform]
    for councillor, level in linked:
        if platform.profile_confirms and activity.platform_id:  # no id: the profile was not read (RSS)
            holds = checks(profile, _holder(ctx, holdings, councillor))
            links += reconcile_checks(session, councillor.id, account, holds, run_id=run_id, holdings=holdings)
        elif platform.links_are_evidence and level in VOUCHING:
            if activity.site_links is None:  # the page is unchanged: what it showed still holds
                touch_evidence(session, account.url, run_id=run_id, councillor_id=councillor.id, holdings=holdings)
            else:
                links += record_links(
                    session,
                    councillor.id,
                    found,
                    method="own_website",
                    source_url=account.url,
                    run_id=run_id,
                    holdings=holdings,
                )
    return links


def _linked_councillors(session, account: SocialAccount) -> list[tuple[Councillor, str]]:
    """The councillors an account is linked to now, each with the link's level (and their councils, in one query)."""
    by_councillor: dict[int, list[AccountEvidence]] = {}
    for evidence in account.evidence:
        by_councillor.setdefault(evidence.councillor_id, []).append(evidence)
    levels = {cid: level for cid, rows in by_councillor.items() if (level := link_level(rows)) is not None}
    if not levels:
        return []
    councillors = session.scalars(
        select(Councillor)
        .options(joinedload(Councillor.council))
        .where(Councillor.id.in_(list(levels)))
        .order_by(Councillor.id)
    )
    return [(councillor, levels[councillor.id]) for councillor in councillors]


def _holder(ctx: Context, holdings: Holdings, councillor: Councillor) -> Holder:
    """What we hold about a councillor that an account's profile can confirm."""
    websites = sorted(
        {
            e.account.url
            for e in holdings.evidence(councillor.id, withdrawn_at=None)
            if e.level in VOUCHING and e.account.platform == "web"
        }
    )
    return holder(
        ctx.settings.site_url,
        councillor.slug,
        councillor.profile_url,
        websites,
        ctx.council_domains().get(councillor.council_id),
        councillor.council.roster_url,
    )


def _same_account(session, account: SocialAccount, platform_id: str | None) -> SocialAccount | None:
    """The older account row with the same stable platform id, if there is one."""
    if not platform_id:
        return None
    return session.scalar(
        select(SocialAccount)
        .where(
            SocialAccount.platform == account.platform,
            SocialAccount.platform_id == platform_id,
            SocialAccount.id < account.id,
        )
        .order_by(SocialAccount.id)
    )


def _follow_move(session, account: SocialAccount, activity, run_id: int) -> None:
    """A Mastodon move: link the new account to the old one's councillors, and record where it went."""
    try:
        target = normalise(activity.moved_to, account.platform)
    except NotAnAccount as exc:
        note_change(
            session, account, "moved_to", None, f"unreadable: {exc}", source_url=activity.source_url, run_id=run_id
        )
        return
    note_change(session, account, "moved_to", None, target.key, source_url=activity.source_url, run_id=run_id)
    for councillor_id in sorted({e.councillor_id for e in account.evidence}):
        level = link_level(e for e in account.evidence if e.councillor_id == councillor_id)
        if level is not None:  # only links still held move with the account
            link_account(
                session,
                councillor_id,
                target,
                method="moved_from",
                source_url=account.url,
                run_id=run_id,
                role=account.role,
                inherited=level,
            )


def _accounts(ctx: Context, account_ids: list[int]) -> list[Account]:
    """The batch's accounts as the collectors are given them, in id order."""
    with ctx.db.session() as session:
        rows = session.scalars(
            select(SocialAccount).where(SocialAccount.id.in_(account_ids)).order_by(SocialAccount.id)
        )
        return [_account(row) for row in rows]


def _account(row: SocialAccount) -> Account:
    return Account(row.id, row.key, row.url, row.platform_id, row.local_id, row.feed_url)


def _read_profiles(reading: Reading, accounts: list[Account]) -> dict:
    """Account id → its profile (or why it could not be read) from each platform's batched reader."""
    by_platform: dict[str, list[Account]] = {}
    for account in accounts:
        by_platform.setdefault(_platform(account), []).append(account)
    found: dict = {}
    for name, members in by_platform.items():
        platform = PLATFORMS.get(name)
        if platform is not None and platform.read_profiles is not None:
            found |= platform.read_profiles(reading, members)
    return found


def _this_month(ctx: Context, count: str) -> int:
    """The sum of a count over this month's activity steps (a paid API's reads, for its spend cap)."""
    month = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with ctx.db.session() as session:
        steps = session.scalars(select(RunStep.counts).where(RunStep.stage == "activity", RunStep.started_at >= month))
        return sum((counts or {}).get(count, 0) for counts in steps)
