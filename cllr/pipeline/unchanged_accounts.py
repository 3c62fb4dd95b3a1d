"""Accounts whose batched profile shows nothing new, recorded in bulk.

Most Bluesky and Mastodon accounts have not posted, been renamed or changed their
profile between two runs. For those, a collection stores a snapshot of the counters,
marks the account checked, and finds the two-way checks (``cllr.pipeline.verification``) holding
exactly as the evidence already says. :func:`record_unchanged` does that for a whole
batch in a few statements, instead of a dozen queries an account; any account for which
anything would change (a new post, a new handle, a check that now holds or no longer
does, a correction or an erasure touching it, an open rename) is left to the full,
one-account-at-a-time path in ``cllr.pipeline.activity``, which gives the same result when nothing
changed.

The checks themselves are re-run every time on what the profile says now: nothing is
assumed from an earlier run but the evidence rows the checks are compared with.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from cllr.evidence import PROFILE_METHODS, VOUCHING
from cllr.pipeline.verification import Profile, checks, holder
from cllr.platforms import PLATFORMS
from models import AccountEvidence, Council, Councillor, ProfileSnapshot, SocialAccount
from models.corrections import FieldLock, erased_among, erased_digest
from scrapers.records import Activity

CHUNK = 500  # ids in one IN (...) list


def record_unchanged(
    session: Session,
    profiles: Mapping[int, object],
    *,
    run_id: int | None,
    now: datetime,
    site_url: str | None,
    council_domains: Mapping[int, str],
    renames: Collection[tuple[str, str]] = (),
) -> dict[int, str]:
    """Record the accounts of ``profiles`` (account id → what its batched profile read) that
    changed nothing since their last collection; returns their ids (with their platforms),
    the rest untouched."""
    candidates = {aid: p for aid, p in profiles.items() if _quiet(p)}
    if not candidates:
        return {}
    accounts = {
        row.id: row
        for row in _chunked(
            session,
            candidates,
            lambda ids: select(
                SocialAccount.id,
                SocialAccount.platform,
                SocialAccount.key,
                SocialAccount.handle,
                SocialAccount.url,
                SocialAccount.platform_id,
                SocialAccount.local_id,
                SocialAccount.feed_url,
                SocialAccount.status,
            ).where(SocialAccount.id.in_(ids)),
        )
    }
    last = _last_snapshots(session, list(accounts))
    same = [
        aid
        for aid, account in accounts.items()
        if _same_account_row(account, candidates[aid], renames)
        and aid in last
        and last[aid][0] == candidates[aid].posts_total
    ]
    if not same:
        return {}
    evidence = _chunked(
        session,
        same,
        lambda ids: select(
            AccountEvidence.id,
            AccountEvidence.account_id,
            AccountEvidence.councillor_id,
            AccountEvidence.method,
            AccountEvidence.source_url,
            AccountEvidence.withdrawn_at,
        ).where(AccountEvidence.account_id.in_(ids)),
    )
    by_account: dict[int, list] = {}
    for row in evidence:
        by_account.setdefault(row.account_id, []).append(row)
    linked = {
        aid: sorted({e.councillor_id for e in rows if e.withdrawn_at is None}) for aid, rows in by_account.items()
    }
    councillor_ids = sorted({cid for cids in linked.values() for cid in cids})
    people = {
        row.id: row
        for row in _chunked(
            session,
            councillor_ids,
            lambda ids: (
                select(
                    Councillor.id,
                    Councillor.slug,
                    Councillor.profile_url,
                    Councillor.council_id,
                    Council.roster_url,
                )
                .join(Council, Council.id == Councillor.council_id)
                .where(Councillor.id.in_(ids))
            ),
        )
    }
    websites: dict[int, set[str]] = {}
    for cid, url in _chunked(
        session,
        councillor_ids,
        lambda ids: (
            select(AccountEvidence.councillor_id, SocialAccount.url)
            .join(SocialAccount, SocialAccount.id == AccountEvidence.account_id)
            .where(
                AccountEvidence.councillor_id.in_(ids),
                AccountEvidence.withdrawn_at.is_(None),
                AccountEvidence.level.in_(VOUCHING),
                SocialAccount.platform == "web",
            )
        ),
    ):
        websites.setdefault(cid, set()).add(url)
    locked = {
        (lock.councillor_id, lock.field)
        for lock in _chunked(
            session,
            councillor_ids,
            lambda ids: select(FieldLock.councillor_id, FieldLock.field).where(
                FieldLock.councillor_id.in_(ids), FieldLock.field.like("account:%")
            ),
        )
    }
    digests = {erased_digest(accounts[aid].key): aid for aid in same}
    erased = {digests[d] for d in erased_among(session, digests)}

    done: list[int] = []
    seen: list[int] = []  # evidence confirmed again
    checked: list[int] = []  # withdrawn checks looked at again
    for aid in same:
        account, activity = accounts[aid], candidates[aid]
        if aid in erased:
            continue
        profile = Profile(account.platform, account.url, account.handle, activity.profile_links, activity.profile_text)
        confirm: list[int] = []
        recheck: list[int] = []
        for cid in linked.get(aid, ()):  # the councillors it is linked to now (its checks are theirs)
            if (cid, f"account:{account.key}") in locked:
                break
            person = people[cid]
            holds = checks(
                profile,
                holder(
                    site_url,
                    person.slug,
                    person.profile_url,
                    websites.get(cid, ()),
                    council_domains.get(person.council_id),
                    person.roster_url,
                ),
            )
            rows = [e for e in by_account.get(aid, ()) if e.councillor_id == cid and e.method in PROFILE_METHODS]
            current = {(e.method, e.source_url): e for e in rows if e.withdrawn_at is None}
            if set(current) != holds:
                break
            confirm += [e.id for e in current.values()]
            recheck += [e.id for e in rows if e.withdrawn_at is not None]
        else:
            done.append(aid)
            seen += confirm
            checked += recheck
    if not done:
        return {}
    session.execute(
        insert(ProfileSnapshot),
        [
            {
                "account_id": aid,
                "taken_at": now,
                "followers": candidates[aid].followers,
                "following": candidates[aid].following,
                "posts_total": candidates[aid].posts_total,
                "posts_complete": last[aid][1],
                "source_url": candidates[aid].source_url,
                "run_id": run_id,
            }
            for aid in done
        ],
    )
    for ids in _chunks(done):
        session.execute(
            update(SocialAccount).where(SocialAccount.id.in_(ids)).values(last_checked_at=now),
            execution_options={"synchronize_session": False},
        )
    for ids in _chunks(seen):
        session.execute(
            update(AccountEvidence)
            .where(AccountEvidence.id.in_(ids))
            .values(last_seen_at=now, last_checked_at=now, run_id=run_id),
            execution_options={"synchronize_session": False},
        )
    for ids in _chunks(checked):
        session.execute(
            update(AccountEvidence).where(AccountEvidence.id.in_(ids)).values(last_checked_at=now),
            execution_options={"synchronize_session": False},
        )
    return {aid: accounts[aid].platform for aid in done}


def _quiet(profile: object) -> bool:
    """A profile read in a batch that could show an unchanged account (its feed then needs no reading)."""
    return (
        isinstance(profile, Activity)
        and profile.posts_total is not None
        and not profile.moved_to
        and bool(profile.platform_id)
    )


def _same_account_row(account, activity: Activity, renames: Collection[tuple[str, str]]) -> bool:
    """Whether storing ``activity`` would change nothing on the account's own row (``store.record_activity``)."""
    platform = PLATFORMS.get(account.platform)
    return (
        platform is not None
        and platform.posts_counted_in_profile
        and platform.profile_confirms
        and account.status == "active"
        and activity.platform_id == account.platform_id
        and activity.handle in (None, "", account.handle)
        and activity.local_id in (None, "", account.local_id)
        and activity.feed_url in (None, "", account.feed_url)
        and (account.platform, account.handle) not in renames
    )


def _last_snapshots(session: Session, account_ids: list[int]) -> dict[int, tuple[int | None, bool]]:
    """Account id → (posts total, posts complete) of its latest snapshot."""
    latest = {}
    for ids in _chunks(account_ids):
        ranked = (
            select(
                ProfileSnapshot.account_id,
                ProfileSnapshot.posts_total,
                ProfileSnapshot.posts_complete,
                func.row_number()
                .over(
                    partition_by=ProfileSnapshot.account_id,
                    order_by=(ProfileSnapshot.taken_at.desc(), ProfileSnapshot.id.desc()),
                )
                .label("rank"),
            )
            .where(ProfileSnapshot.account_id.in_(ids))
            .subquery()
        )
        for aid, total, complete, _ in session.execute(select(ranked).where(ranked.c.rank == 1)):
            latest[aid] = (total, complete)
    return latest


def _chunks(ids: list) -> list[list]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def _chunked(session: Session, ids, query) -> list:
    """The rows of ``query(chunk)`` for every chunk of ``ids``."""
    return [row for chunk in _chunks(list(ids)) for row in session.execute(query(chunk))]
