"""Writers for the registry, accounts and activity (the roster merge is in ``merge``)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scrapers.records import Activity

from .accounts import AccountChange, AccountMetric, Post, ProfileSnapshot, SocialAccount
from .base import utcnow
from .directory import Council, Party

REGISTRY_FIELDS = (
    "code",
    "gss",
    "name",
    "common_name",
    "nation",
    "council_type",
    "cms",
    "roster_url",
    "scraper_class",
    "disabled",
    "seats",
    "start_date",
    "end_date",
)


def read_registry(path: Path) -> list[dict]:
    """Read a council registry CSV (the bundled one, or the demo's) into row dicts."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    missing = {"code", "name", "cms", "roster_url"} - set(rows[0] if rows else {})
    if missing:
        raise ValueError(f"{path}: not a council registry (missing columns {sorted(missing)})")
    return rows


def _date(row: dict, column: str) -> date | None:
    """A registry date (``YYYY-MM-DD``), or None when blank; a malformed one names its council."""
    value = (row.get(column) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"council {row.get('code')}: {column} {value!r} is not a date (YYYY-MM-DD)") from None


def load_registry(session: Session, rows: Iterable[dict]) -> int:
    """Insert or update councils from registry rows; returns how many rows were read."""
    existing = {c.code: c for c in session.scalars(select(Council))}
    count = 0
    for row in rows:
        values = {
            "code": row["code"].strip().upper(),
            "gss": row.get("gss") or None,
            "name": row["name"],
            "common_name": row.get("common_name") or row["name"],
            "nation": row.get("nation", ""),
            "council_type": row.get("council_type", ""),
            "cms": row.get("cms") or "none",
            "scraper_class": row.get("scraper_class") or row.get("cms") or "none",
            "roster_url": row.get("roster_url") or None,
            "seats": int(row["seats"]) if (row.get("seats") or "").isdigit() else None,
            "start_date": _date(row, "start_date"),
            "end_date": _date(row, "end_date"),
            "disabled": (row.get("disabled") or "").strip().lower() == "true",
            "fictional": (row.get("fictional") or "").strip().lower() == "true",
        }
        council = existing.get(values["code"])
        if council is None:
            session.add(Council(**values))
        else:
            for key, value in values.items():
                setattr(council, key, value)
        count += 1
    session.flush()
    return count


def get_or_create(session: Session, model, lookup: dict, **defaults):
    """The row matching ``lookup``, inserting it if missing; safe against a concurrent insert."""
    row = session.scalar(select(model).filter_by(**lookup))
    return row if row is not None else create_or_get(session, model, lookup, **defaults)


def create_or_get(session: Session, model, lookup: dict, **defaults):
    """Insert the row matching ``lookup``, known to be missing when it was looked for (no second look);
    or, when another worker inserted it since, that row.

    Two workers may create the same party or account at once: the loser's insert fails
    on the unique key inside a savepoint, and it reads the winner's row instead.
    """
    try:
        with session.begin_nested():
            row = model(**lookup, **defaults)
            session.add(row)
    except IntegrityError:
        row = session.scalar(select(model).filter_by(**lookup))
        if row is None:
            raise
    return row


def seed_parties(session: Session, parties) -> None:
    """Make sure the canonical parties exist, with their current names and colours."""
    for party in parties:
        row = get_or_create(session, Party, {"key": party.key}, name=party.name, colour=party.colour)
        row.name, row.colour = party.name, party.colour


def record_activity(session: Session, account: SocialAccount, activity: Activity, *, run_id: int | None) -> int:
    """Store a snapshot of the account's counters and any posts not seen before; returns new posts."""
    now = utcnow()
    changes = {
        "platform_id": activity.platform_id,
        "handle": activity.handle,
        "status": "moved" if activity.moved_to else "active",
    }
    for name, value in changes.items():
        if value and value != getattr(account, name):
            worth_noting = name != "status" or {account.status, value} & {"not_found", "moved"}
            if getattr(account, name) is not None and worth_noting:
                note_change(
                    session, account, name, getattr(account, name), value, source_url=activity.source_url, run_id=run_id
                )
            setattr(account, name, value)
    if activity.feed_url:
        account.feed_url = activity.feed_url
    if activity.local_id:
        account.local_id = activity.local_id
    account.last_checked_at = now
    session.add(
        ProfileSnapshot(
            account_id=account.id,
            taken_at=now,
            followers=activity.followers,
            following=activity.following,
            posts_total=activity.posts_total,
            posts_complete=activity.complete,
            source_url=activity.source_url,
            run_id=run_id,
        )
    )
    if not activity.posts:
        return 0
    known = set(session.scalars(select(Post.post_id).where(Post.account_id == account.id)))
    new = []
    for post in activity.posts:
        if post.post_id not in known:
            known.add(post.post_id)
            new.append(
                {
                    "account_id": account.id,
                    "post_id": post.post_id,
                    "posted_at": post.posted_at,
                    "kind": post.kind,
                    "first_seen_at": now,
                    "run_id": run_id,
                }
            )
    if new:  # in one statement: a first collection brings up to a feed's window of posts at once
        session.execute(insert(Post.__table__), new)  # Core: the ORM adds nothing to plain rows
    return len(new)


def note_change(
    session: Session,
    account: SocialAccount,
    field: str,
    old: str | None,
    new: str | None,
    *,
    source_url: str | None,
    run_id: int | None,
) -> None:
    """Record a change to an account (a rename, a move, a disappearance) in its history."""
    session.add(
        AccountChange(
            account_id=account.id,
            field=field,
            old=old,
            new=new,
            changed_at=utcnow(),
            source_url=source_url,
            run_id=run_id,
        )
    )


def merge_into(
    session: Session, duplicate: SocialAccount, keeper: SocialAccount, *, source_url: str | None, run_id: int | None
) -> None:
    """Fold a second row for one account (a new handle found before the rename was seen) into the first.

    Its evidence moves to the keeper (kept, not deleted, unless the keeper holds the same);
    the row stays, marked ``merged``, with the change in its history.
    """
    held = {(e.councillor_id, e.method, e.source_url) for e in keeper.evidence}
    for evidence in list(duplicate.evidence):
        if (evidence.councillor_id, evidence.method, evidence.source_url) not in held:
            evidence.account_id = keeper.id
    note_change(session, duplicate, "merged_into", None, keeper.key, source_url=source_url, run_id=run_id)
    duplicate.status = "merged"
    duplicate.last_checked_at = utcnow()


def save_metrics(session: Session, rows: list[dict], *, as_of: date, run_id: int | None) -> None:
    """Insert or replace the day's metric rows (one per account), in two statements."""
    held = dict(
        session.execute(select(AccountMetric.account_id, AccountMetric.id).where(AccountMetric.as_of == as_of)).all()
    )
    new = [row | {"as_of": as_of, "run_id": run_id} for row in rows if row["account_id"] not in held]
    again = [row | {"id": held[row["account_id"]], "run_id": run_id} for row in rows if row["account_id"] in held]
    if new:
        session.execute(insert(AccountMetric), new)
    if again:  # by primary key, in executemany batches
        session.execute(update(AccountMetric), again)
