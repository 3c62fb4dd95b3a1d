"""The directory as readers see it: councillors with their current links, evidence and latest metrics.

One reading for the site, the open data's shares and the adoption history, so a figure
means the same wherever it appears (definitions in docs/metrics.md): a link is current
while some of its evidence is not withdrawn; it is confirmed at the levels in
``cllr.evidence.CONFIRMED``; its activity counts when it is confirmed and the
councillor's own voice (role ``councillor`` or ``personal``); a councillor is active
with a post in the last 30 days on a counted account.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from cllr.evidence import COUNTED_ROLES, LEVELS, confirmed
from cllr.handles import NotAnAccount, normalise
from cllr.platforms import label
from cllr.roles import KINDS, roles
from cllr.site.gc_pause import collector_paused
from models import (
    AccountEvidence,
    AccountMetric,
    Correction,
    Council,
    CouncilFigure,
    Councillor,
    FieldLock,
    Membership,
    SocialAccount,
)
from models.accounts import GONE
from models.links import link_level


@dataclass
class AccountView:
    account: SocialAccount
    metric: AccountMetric | None
    evidence: list[AccountEvidence]

    @property
    def level(self) -> str | None:
        """The link's level: the best of its current evidence (None when every source has withdrawn it)."""
        return link_level(self.evidence)

    @property
    def confirmed(self) -> bool:
        return confirmed(self.level)

    @property
    def live(self) -> bool:
        """Whether the platform still has the account where we hold it (not gone, not moved away)."""
        return self.account.status not in GONE

    @property
    def moved_to(self) -> str | None:
        """The key of the account it moved to, when it moved."""
        moves = [c.new for c in self.account.changes if c.field == "moved_to" and c.new]
        return moves[-1] if self.account.status == "moved" and moves else None

    @property
    def gone_note(self) -> str | None:
        """What became of a gone or moved account, in words; None while it is live."""
        if self.account.status == "not_found":
            return "gone: the platform no longer finds it"
        if self.account.status == "moved":
            return f"moved to {written(self.moved_to)}" if self.moved_to else "moved"
        return None

    @property
    def counted(self) -> bool:
        """Whether its activity counts towards the councillor's: confirmed, live, and their own
        voice (not a campaign account)."""
        return self.confirmed and self.live and self.account.role in COUNTED_ROLES

    @property
    def posts_30d(self) -> int:
        return self.metric.posts_30d if self.metric else 0

    @property
    def active(self) -> bool:
        return self.counted and self.posts_30d > 0


def written(key: str | None) -> str:
    """An account key (``mastodon:kit@example.social``) as people write the account: its
    platform's name and its handle (``Mastodon @kit@example.social``)."""
    if not key:
        return "an account we could not read"
    try:
        account = normalise(key)
    except NotAnAccount:
        return key
    return as_written(account.platform, account.handle)


def as_written(platform: str, handle: str) -> str:
    """An account as people write it: its platform's name and its handle."""
    return f"{label(platform)} {handle}"


@dataclass
class PersonView:
    councillor: Councillor
    membership: Membership
    accounts: list[AccountView] = field(default_factory=list)

    withdrawn: list[AccountView] = field(default_factory=list)  # links no source shows any more
    corrected: dict[str, Correction] = field(default_factory=dict)  # locked field → the applied correction that set it

    def correction(self, field: str, account: SocialAccount | None = None) -> Correction | None:
        """The applied correction that set ``field`` (``name``, ``party``, ``ward``, ``left``), or this account's link."""
        return self.corrected.get(f"account:{account.key}" if account is not None else field)

    @property
    def posts_30d(self) -> int:
        return sum(a.posts_30d for a in self.accounts if a.counted)

    @property
    def key_posts(self) -> list[str]:
        """The key posts the council lists them in now (none for a former councillor)."""
        return list(self.councillor.key_posts or []) if self.membership.end_date is None else []

    @cached_property
    def roles(self) -> tuple[str, ...]:
        """What those posts are (cllr.roles.KINDS): read once, as every council page and ranking asks."""
        return roles(self.key_posts)

    @property
    def confirmed(self) -> bool:
        """Whether they have a confirmed account that is live: a gone or moved one is not counted."""
        return any(a.confirmed and a.live for a in self.accounts)

    @property
    def active(self) -> bool:
        """Posted in the last 30 days on a confirmed account of their own (docs/metrics.md)."""
        return any(a.active for a in self.accounts)

    @property
    def last_post_at(self) -> datetime | None:
        times = [a.metric.last_post_at for a in self.accounts if a.counted and a.metric and a.metric.last_post_at]
        return max(times, default=None)

    def weekly(self, by_account: dict[int, list[int]], weeks: int) -> list[int]:
        """Posts per week, oldest first, over the counted accounts (``by_account``: account id → its weeks)."""
        totals = [0] * weeks
        for view in self.accounts:
            if view.counted:
                totals = [a + b for a, b in zip(totals, by_account.get(view.account.id, [0] * weeks), strict=True)]
        return totals


@collector_paused()
def gather_people(session: Session, council_id: int | None = None) -> tuple[list[PersonView], list[PersonView]]:
    """Every councillor as a view, or one council's (``council_id``): (sitting, former). Merged
    accounts are shown once, as the account they were merged into; links every source has
    withdrawn are kept apart."""
    query = select(Councillor).options(
        selectinload(Councillor.council),
        selectinload(Councillor.memberships).selectinload(Membership.ward),
        selectinload(Councillor.memberships).selectinload(Membership.party),
        selectinload(Councillor.former_names),
    )
    locks = select(FieldLock, Correction).join(Correction, FieldLock.correction_id == Correction.id)
    # Each account with its history (shown on every page that lists it): two queries, not one an account.
    evidence = select(AccountEvidence).options(
        selectinload(AccountEvidence.account).selectinload(SocialAccount.changes)
    )
    if council_id is not None:
        members = select(Councillor.id).where(Councillor.council_id == council_id)
        query = query.where(Councillor.council_id == council_id)
        locks = locks.where(FieldLock.councillor_id.in_(members))
        evidence = evidence.where(AccountEvidence.councillor_id.in_(members))
    councillors = session.scalars(query).all()
    corrected: dict[int, dict[str, Correction]] = defaultdict(dict)
    for lock, correction in session.execute(locks):
        corrected[lock.councillor_id][lock.field] = correction
    evidence_by_person: dict[int, dict[int, list[AccountEvidence]]] = defaultdict(lambda: defaultdict(list))
    for ev in session.scalars(evidence):
        evidence_by_person[ev.councillor_id][ev.account_id].append(ev)
    accounts = {a for by_account in evidence_by_person.values() for a in by_account} if council_id is not None else None
    metrics = latest_metrics(session, accounts)
    people, former = [], []
    for c in councillors:
        views = [
            AccountView(evs[0].account, metrics.get(account_id), sorted(evs, key=_evidence_order))
            for account_id, evs in evidence_by_person[c.id].items()
            if evs[0].account.status != "merged"
        ]
        views.sort(key=lambda a: (LEVELS.index(a.level) if a.level else len(LEVELS), -a.posts_30d, a.account.platform))
        accounts = [v for v in views if v.level is not None]
        withdrawn = [v for v in views if v.level is None]
        if c.current is not None:
            people.append(PersonView(c, c.current, accounts, withdrawn, corrected.get(c.id, {})))
        elif c.memberships:
            former.append(PersonView(c, c.memberships[-1], accounts, withdrawn, corrected.get(c.id, {})))
    return people, former


def latest_metrics(session: Session, accounts: Collection[int] | None = None) -> dict[int, AccountMetric]:
    """Account id → its newest metric row; of the ``accounts`` given, else of every account."""
    latest = select(AccountMetric.account_id, func.max(AccountMetric.as_of).label("as_of"))
    if accounts is not None:
        latest = latest.where(AccountMetric.account_id.in_(sorted(accounts)))
    latest_day = latest.group_by(AccountMetric.account_id).subquery()
    return {
        m.account_id: m
        for m in session.scalars(
            select(AccountMetric).join(
                latest_day,
                (AccountMetric.account_id == latest_day.c.account_id) & (AccountMetric.as_of == latest_day.c.as_of),
            )
        )
    }


def _evidence_order(evidence: AccountEvidence):
    return (
        evidence.withdrawn_at is not None,
        LEVELS.index(evidence.level) if evidence.level in LEVELS else 99,
        evidence.id,
    )


def figures(people: list[PersonView], seats: int | None = None) -> dict:
    """Counts for a group of councillors. ``seats`` is the denominator of the shares: a council's
    seats when known (vacancies included); for a nation or party, its councillors."""
    platforms = Counter(a.account.platform for p in people for a in p.accounts if a.confirmed and a.live)
    if seats is not None and seats < len(people):  # a stale seat count is no denominator
        seats = 0
    return {
        "councillors": len(people),
        "seats": seats if seats is not None else len(people),
        "with_account": sum(1 for p in people if p.confirmed),
        "active": sum(1 for p in people if p.active),
        "unconfirmed": sum(1 for p in people if p.accounts and not any(a.confirmed for a in p.accounts)),
        "posts_30d": sum(p.posts_30d for p in people),
        "platforms": platforms.most_common(),
    }


def record_council_figures(session: Session, as_of: date, *, run_id: int | None) -> int:
    """Keep each council's figures for the day (replacing the day's row on a second run); returns how many.

    Councils with no sitting councillors and no row yet are skipped (nothing read so far).
    """
    people, _ = gather_people(session)
    by_council: dict[int, list[PersonView]] = defaultdict(list)
    for person in people:
        by_council[person.councillor.council_id].append(person)
    existing = {
        row.council_id: row for row in session.scalars(select(CouncilFigure).where(CouncilFigure.as_of == as_of))
    }
    written = 0
    for council in session.scalars(select(Council).order_by(Council.id)):
        group = by_council.get(council.id, [])
        if not group and council.id not in existing:
            continue
        counts = figures(group, seats=council.seat_count or 0)
        row = existing.get(council.id) or CouncilFigure(council_id=council.id, as_of=as_of)
        row.seats = counts["seats"] or None
        for key in ("councillors", "with_account", "active", "posts_30d"):
            setattr(row, key, counts[key])
        row.run_id = run_id
        session.add(row)
        written += 1
    return written


def figure_history(session: Session) -> dict[int, list[CouncilFigure]]:
    """Council id → its figures, newest first, keeping only the days the figures changed (and the first)."""
    history: dict[int, list[CouncilFigure]] = defaultdict(list)
    for row in session.scalars(select(CouncilFigure).order_by(CouncilFigure.council_id, CouncilFigure.as_of)):
        rows = history[row.council_id]
        if not rows or _counts(rows[-1]) != _counts(row):
            rows.append(row)
    return {council_id: rows[::-1] for council_id, rows in history.items()}


def _counts(row: CouncilFigure) -> tuple:
    return (row.seats, row.councillors, row.with_account, row.active)


def leadership(people: list[PersonView]) -> list[tuple[str, list[PersonView]]]:
    """Who holds each kind of role on a council (cllr.roles.KINDS, in order), from its sitting
    councillors' key posts; kinds nobody holds are left out."""
    held = [(kind, [p for p in people if kind in p.roles]) for kind in KINDS]
    return [(kind, holders) for kind, holders in held if holders]
