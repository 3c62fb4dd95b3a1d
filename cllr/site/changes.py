"""What changed: events read back from the data's own history, for the "what changed" page
and the Atom feeds (national, and per council, ward and councillor: cllr/site/feeds.py).

Nothing extra is recorded for this: a councillor's first sighting, the end of a membership
(they left; or a new one opened with another party or ward), a former name, a link's first
evidence and an account's change rows are the events. Each event names the councils,
wards and councillors it concerns, so that each place's feed holds its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from cllr.evidence import CONFIRMED
from cllr.names import slugify
from cllr.site.postcode_shards import council_page, ward_anchor
from cllr.site.views import as_written, written
from models import AccountChange, AccountEvidence, Council, Councillor, Membership, SocialAccount


@dataclass(frozen=True)
class Place:
    """A council, ward or councillor with a feed of its own: the feed's path, its title, and
    the page it is the feed of (paths relative to the site's root)."""

    feed: str
    title: str
    page: str


def council_place(council: Council) -> Place:
    page = council_page(council)
    return Place(f"feeds/councils/{council.code.lower()}.atom", f"What changed in {council.name}", page)


def ward_place(ward: str, council: Council) -> Place:
    """A ward by its name on the council's page (the roster's name)."""
    return Place(
        f"feeds/wards/{council.code.lower()}/{slugify(ward)}.atom",
        f"What changed in {ward}, {council.name}",
        f"{council_page(council)}#{ward_anchor(ward)}",
    )


def councillor_place(councillor: Councillor) -> Place:
    return Place(
        f"feeds/councillors/{councillor.slug}.atom",
        f"What changed for {councillor.name}, {councillor.council.name}",
        f"councillors/{councillor.slug}.html",
    )


@dataclass(frozen=True)
class Event:
    when: datetime
    kind: str  # New councillor, Departed, Party changed, Ward changed, Name changed, Account linked, ...
    title: str
    link: str | None  # a site path, relative to its root
    detail: str = ""
    id: str = ""  # stable, for the Atom entry id
    places: tuple[Place, ...] = ()  # the councils, wards and councillors it concerns: the feeds it is in

    @property
    def when_iso(self) -> str:
        return self.when.isoformat()


def changes(session: Session, councillors: Iterable[Councillor]) -> list[Event]:
    """Every event about ``councillors`` (those the site has pages for, with their council,
    memberships, wards, parties and former names loaded, as cllr.site.views reads them), newest first."""
    councillors = {c.id: c for c in councillors}
    events: list[Event] = []
    for c in councillors.values():
        events += _councillor_events(c)
    events += _links(session, councillors)
    events += _account_changes(session, councillors)
    return sorted(events, key=lambda e: (e.when, e.id), reverse=True)


def _councillor_events(c: Councillor) -> list[Event]:
    page = f"councillors/{c.slug}.html"
    where = _places(c)
    events = [
        Event(
            _aware(c.first_seen_at),
            "New councillor",
            c.name,
            page,
            c.council.name,
            f"councillor:{c.id}:new",
            _places(c, c.memberships[:1]),
        )
    ]
    for m in c.memberships:
        if m.end_date and m.end_reason in ("not_in_source", "left"):  # off the roster, or the council said so
            events.append(
                Event(
                    _day(m.end_date),
                    "Departed",
                    c.name,
                    page,
                    f"{m.ward.name}, {c.council.name}",
                    f"membership:{m.id}:ended",
                    _places(c, [m]),
                )
            )
    for before, after in zip(c.memberships, c.memberships[1:], strict=False):
        if before.end_reason not in ("changed", "corrected"):  # a new period: another party or ward
            continue
        if _party(before) != _party(after):
            events.append(
                Event(
                    _day(after.start_date),
                    "Party changed",
                    c.name,
                    page,
                    f"from {_party(before)} to {_party(after)}",
                    f"membership:{after.id}:party",
                    _places(c, [after]),
                )
            )
        if before.ward_id != after.ward_id:
            events.append(
                Event(
                    _day(after.start_date),
                    "Ward changed",
                    c.name,
                    page,
                    f"from {before.ward.name} to {after.ward.name}",
                    f"membership:{after.id}:ward",
                    _places(c, [before, after]),
                )
            )
    for f in c.former_names:
        events.append(
            Event(
                _day(f.used_until),
                "Name changed",
                c.name,
                page,
                f"listed before as {f.name}",
                f"former-name:{f.id}",
                where,
            )
        )
    return events


def _links(session: Session, councillors: dict[int, Councillor]) -> list[Event]:
    """A link's first confirmed evidence: one event per link, at its latest first evidence."""
    rows = session.execute(
        select(
            AccountEvidence.id, AccountEvidence.councillor_id, AccountEvidence.account_id, AccountEvidence.first_seen_at
        )
        .add_columns(SocialAccount.platform, SocialAccount.handle)
        .join(SocialAccount, SocialAccount.id == AccountEvidence.account_id)
        .where(AccountEvidence.level.in_(CONFIRMED), SocialAccount.status != "merged")
        .order_by(AccountEvidence.first_seen_at.desc(), AccountEvidence.id.desc())
    )
    seen: set[tuple[int, int]] = set()
    events = []
    for evidence_id, councillor_id, account_id, first_seen, platform, handle in rows:
        c = councillors.get(councillor_id)
        if c is None or (councillor_id, account_id) in seen:
            continue
        seen.add((councillor_id, account_id))
        events.append(
            Event(
                _aware(first_seen),
                "Account linked",
                f"{c.name}: {as_written(platform, handle)}",
                f"councillors/{c.slug}.html",
                c.council.name,
                f"evidence:{evidence_id}",
                _places(c),
            )
        )
    return events


def _account_changes(session: Session, councillors: dict[int, Councillor]) -> list[Event]:
    """A rename, a move, an account gone or back: an event for the councillors it is linked to."""
    changed = session.execute(
        select(AccountChange, SocialAccount.platform, SocialAccount.handle).join(
            SocialAccount, SocialAccount.id == AccountChange.account_id
        )
    ).all()
    owners: dict[int, set[int]] = defaultdict(set)
    if changed:
        for account_id, councillor_id in session.execute(
            select(AccountEvidence.account_id, AccountEvidence.councillor_id).distinct()
        ):
            owners[account_id].add(councillor_id)
    events = []
    for ch, platform, handle in changed:
        kind, detail = _account_change(ch)
        if kind is None:
            continue
        people = sorted((councillors[i] for i in owners[ch.account_id] if i in councillors), key=lambda c: c.id)
        account = as_written(platform, handle)
        events.append(
            Event(
                _aware(ch.changed_at),
                kind,
                f"{', '.join(c.name for c in people)}: {account}" if people else account,
                f"councillors/{people[0].slug}.html" if people else None,
                detail,
                f"account-change:{ch.id}",
                tuple(dict.fromkeys(place for c in people for place in _places(c))),
            )
        )
    return events


def _account_change(change: AccountChange) -> tuple[str | None, str]:
    if change.field == "handle":
        return "Account renamed", f"was {change.old}"
    if change.field == "moved_to":
        return "Account moved", f"to {written(change.new)}"
    if change.field == "status" and change.new == "not_found":
        return "Account gone", "the platform no longer finds it"
    if change.field == "status" and change.old == "not_found":
        return "Account back", "the platform finds it again"
    return None, ""


def _places(c: Councillor, memberships: list[Membership] | None = None) -> tuple[Place, ...]:
    """The feeds an event about ``c`` is in: their council's, the wards of ``memberships``
    (by default the latest: the ward they sit, or last sat, for) and their own."""
    chosen = c.memberships[-1:] if memberships is None else memberships
    wards = [ward_place(m.ward.name, c.council) for m in chosen]
    return (council_place(c.council), *dict.fromkeys(wards), councillor_place(c))


def _party(m: Membership) -> str:
    return m.party_label or (m.party.name if m.party else "no party recorded")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(day) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
