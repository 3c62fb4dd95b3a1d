"""What changed: events read back from the data's own history, for the "what changed" page and its Atom feed.

Nothing extra is recorded for this: a councillor's first sighting, a membership's end, a
former name, a link's first evidence and an account's change rows are the events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from cllr.evidence import CONFIRMED
from models import AccountChange, AccountEvidence, Councillor, FormerName, Membership, SocialAccount


@dataclass(frozen=True)
class Event:
    when: datetime
    kind: str  # New councillor, Departed, Name changed, Account linked, Account renamed, ...
    title: str
    link: str | None  # a site path, relative to its root
    detail: str = ""
    id: str = ""  # stable, for the Atom entry id

    @property
    def when_iso(self) -> str:
        return self.when.isoformat()


def changes(session: Session, limit: int = 2000) -> list[Event]:
    """The newest events first (at most ``limit`` of each kind)."""
    events: list[Event] = []
    for c in session.scalars(select(Councillor).order_by(Councillor.first_seen_at.desc()).limit(limit)):
        events.append(
            Event(
                _aware(c.first_seen_at),
                "New councillor",
                c.name,
                f"councillors/{c.slug}.html",
                c.council.name,
                f"councillor:{c.id}:new",
            )
        )
    ended = select(Membership).where(Membership.end_date.is_not(None), Membership.end_reason == "not_in_source")
    for m in session.scalars(ended.order_by(Membership.end_date.desc()).limit(limit)):
        c = m.councillor
        events.append(
            Event(
                _day(m.end_date),
                "Departed",
                c.name,
                f"councillors/{c.slug}.html",
                f"{m.ward.name}, {c.council.name}",
                f"membership:{m.id}:ended",
            )
        )
    for f in session.scalars(select(FormerName).order_by(FormerName.used_until.desc()).limit(limit)):
        c = session.get(Councillor, f.councillor_id)
        events.append(
            Event(
                _day(f.used_until),
                "Name changed",
                c.name,
                f"councillors/{c.slug}.html",
                f"listed before as {f.name}",
                f"former-name:{f.id}",
            )
        )
    first_links = (
        select(AccountEvidence)
        .join(SocialAccount, SocialAccount.id == AccountEvidence.account_id)
        .where(AccountEvidence.level.in_(CONFIRMED), SocialAccount.status != "merged")
        .order_by(AccountEvidence.first_seen_at.desc())
        .limit(limit)
    )
    seen: set[tuple[int, int]] = set()
    for e in session.scalars(first_links):
        pair = (e.councillor_id, e.account_id)
        if pair in seen:  # one event per link, at its latest first evidence in this window
            continue
        seen.add(pair)
        c = e.councillor
        events.append(
            Event(
                _aware(e.first_seen_at),
                "Account linked",
                f"{c.name}: {e.account.handle}",
                f"councillors/{c.slug}.html",
                e.account.platform,
                f"evidence:{e.id}",
            )
        )
    for ch in session.scalars(select(AccountChange).order_by(AccountChange.changed_at.desc()).limit(limit)):
        account = session.get(SocialAccount, ch.account_id)
        kind, detail = _account_change(ch)
        if kind is None:
            continue
        people = sorted({ev.councillor for ev in account.evidence}, key=lambda c: c.id)
        link = f"councillors/{people[0].slug}.html" if people else None
        events.append(Event(_aware(ch.changed_at), kind, account.handle, link, detail, f"account-change:{ch.id}"))
    return sorted(events, key=lambda e: (e.when, e.id), reverse=True)


def _account_change(change: AccountChange) -> tuple[str | None, str]:
    if change.field == "handle":
        return "Account renamed", f"was {change.old}"
    if change.field == "moved_to":
        return "Account moved", f"to {change.new}"
    if change.field == "status" and change.new == "not_found":
        return "Account gone", "the platform no longer finds it"
    if change.field == "status" and change.old == "not_found":
        return "Account back", "the platform finds it again"
    return None, ""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(day) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
