"""Merging a council's scraped roster into the directory, safely.

Rules (docs/data-model.md): a roster is checked before anything is written and applied
in the caller's single transaction; councillors are never deleted, only given an end
date; an empty scraped value never blanks a stored one; a change of ward or party ends
one membership period and opens the next. A roster that is empty, or that would end an
implausible share of current memberships, is quarantined instead of applied.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from cllr.names import slugify, ward_key
from cllr.parties import canonical_party
from scrapers.records import Roster, ScrapedCouncillor

from .base import utcnow
from .corrections import disagree, locks_for
from .directory import Council, Councillor, FormerName, Membership, Party, Ward
from .runs import RunStep, StagedRoster
from .store import get_or_create

MAX_REMOVAL_SHARE = 0.2  # of current members, but always allow at least two


class Quarantined(Exception):
    """The roster failed a sanity check; nothing was written. ``code`` names the check."""

    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass
class MergeResult:
    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "inserted": len(self.inserted),
            "updated": len(self.updated),
            "ended": len(self.ended),
            "unchanged": self.unchanged,
        }


SEAT_BAND = (0.7, 1.1)  # a roster's size as a share of the council's seats
MASS_CHANGE_SHARE = 0.5  # of matched councillors having one field changed at once
FILLED_SHARE = 0.8  # a field this widely filled may not empty for everyone at once


@dataclass
class RosterDiff:
    """What applying a roster would do, worked out before anything is written."""

    active: int
    leaving: int
    matched: int
    changed: dict[str, int]  # field -> matched councillors whose value would change
    filled_before: dict[str, int]  # field -> matched councillors with a value now
    emptied: dict[str, int]  # field -> matched councillors whose value would become empty


def diff_roster(existing: dict[str, Councillor], roster: Roster) -> RosterDiff:
    scraped_ids = {c.source_id for c in roster.councillors}
    active = [c for c in existing.values() if c.current is not None]
    columns = ("name", "party", "ward")
    changed = dict.fromkeys(columns, 0)
    filled = dict.fromkeys(columns, 0)
    emptied = dict.fromkeys(columns, 0)
    matched = 0
    for scraped in roster.councillors:
        councillor = existing.get(scraped.source_id)
        current = councillor.current if councillor else None
        if current is None:
            continue
        matched += 1
        now = {"name": councillor.name, "party": current.party_label, "ward": current.ward.name}
        new = {"name": scraped.name, "party": scraped.party, "ward": scraped.ward}
        for column in columns:
            filled[column] += bool(now[column])
            if column == "ward" and ward_key(now[column]) == ward_key(new[column]):
                continue
            if new[column] != now[column] and (new[column] or column == "party"):
                changed[column] += 1
            if now[column] and not new[column]:
                emptied[column] += 1
    return RosterDiff(
        len(active), sum(1 for c in active if c.source_id not in scraped_ids), matched, changed, filled, emptied
    )


def check_roster(roster: Roster, diff: RosterDiff, seats: int | None = None) -> None:
    """Raise :class:`Quarantined` when the roster is not believable as the council's."""
    count = len(roster.councillors)
    if not count:
        raise Quarantined("zero_results", "the roster lists no councillors")
    allowed = max(2, int(diff.active * MAX_REMOVAL_SHARE))
    if diff.leaving > allowed:
        raise Quarantined(
            "too_many_removals",
            f"{diff.leaving} of {diff.active} current councillors would leave (at most {allowed} may)",
        )
    if seats and not SEAT_BAND[0] * seats <= count <= SEAT_BAND[1] * seats:
        raise Quarantined("seat_count", f"{count} councillors for {seats} seats")
    for column, filled in diff.filled_before.items():
        if diff.matched >= 4 and filled >= FILLED_SHARE * diff.matched and diff.emptied[column] >= filled:
            raise Quarantined("field_emptied", f"{column} would become empty for all {filled} councillors who have one")
    for column, changed in diff.changed.items():
        if diff.matched >= 4 and changed > MASS_CHANGE_SHARE * diff.matched:
            raise Quarantined("mass_update", f"{column} would change for {changed} of {diff.matched} councillors")


def apply_roster(
    session: Session,
    council: Council,
    roster: Roster,
    *,
    run_id: int | None,
    today: date,
    now: datetime | None = None,
    checked: bool = True,
) -> MergeResult:
    """Merge ``roster`` into ``council``'s councillors; raise :class:`Quarantined` first if it fails a check.

    ``checked=False`` applies a roster an operator has released from quarantine.
    """
    now = now or utcnow()
    existing = {
        c.source_id: c
        for c in session.scalars(
            select(Councillor)
            .where(Councillor.council_id == council.id)
            .options(selectinload(Councillor.memberships).selectinload(Membership.ward))
        )
    }
    roster = _hold_locked(session, roster, existing, run_id)
    scraped_ids = {c.source_id for c in roster.councillors}
    leaving = [c for c in existing.values() if c.current is not None and c.source_id not in scraped_ids]
    if checked:
        check_roster(roster, diff_roster(existing, roster), council.seat_count)

    result = MergeResult()
    wards = _wards(session, council, roster)
    parties: dict[str, Party | None] = {}
    joining = [scraped for scraped in roster.councillors if scraped.source_id not in existing]
    slugs = iter(free_slugs(session, [f"{council.code.lower()}-{slugify(scraped.name)}" for scraped in joining]))
    for scraped in roster.councillors:
        ward = wards[ward_key(scraped.ward)]
        party = _party(session, parties, scraped.party)
        councillor = existing.get(scraped.source_id)
        if councillor is None:
            councillor = _new_councillor(session, council, scraped, next(slugs), run_id, roster.source_url, now)
            _update_membership(session, councillor, scraped, ward, party, run_id, roster.source_url, today)
            result.inserted.append(councillor.name)
            continue
        changed = _update_councillor(councillor, scraped, run_id, roster.source_url, today)
        changed |= _update_membership(session, councillor, scraped, ward, party, run_id, roster.source_url, today)
        councillor.last_seen_at = now
        if changed:
            result.updated.append(councillor.name)
        else:
            result.unchanged += 1
    for councillor in leaving:
        current = councillor.current
        current.end_date = today
        current.end_reason = "not_in_source"
        current.run_id = run_id
        result.ended.append(councillor.name)
    session.flush()
    _count_seats(session, council, wards, roster, today)
    return result


def _count_seats(session: Session, council: Council, wards: dict[str, Ward], roster: Roster, today: date) -> None:
    """Each ward's vacant seats as the roster lists them, and the council's seats counted from it:
    its current councillors (a correction's changes included) plus the vacant seats."""
    vacant = Counter(ward_key(w) for w in roster.vacancies if w)
    for key, ward in wards.items():
        ward.vacant_seats = vacant.get(key, 0)
    sitting = session.scalar(
        select(func.count())
        .select_from(Membership)
        .join(Councillor, Councillor.id == Membership.councillor_id)
        .where(Councillor.council_id == council.id, Membership.end_date.is_(None))
    )
    council.roster_seats = sitting + len(roster.vacancies)
    council.roster_seats_on = today


def _hold_locked(session: Session, roster: Roster, existing: dict[str, Councillor], run_id: int | None) -> Roster:
    """The roster with every field a correction locked put back to the corrected value.

    Where the scrape says otherwise a disagreement is recorded for review; a councillor
    the council said has left is dropped from the roster (their seat stays ended).
    """
    by_source = {c.source_id: c for c in existing.values()}
    held = locks_for(session, [c.id for c in existing.values()])
    if not held:
        return roster
    people = []
    for scraped in roster.councillors:
        councillor = by_source.get(scraped.source_id)
        locks = held.get(councillor.id, {}) if councillor is not None else {}
        if "left" in locks:
            disagree(
                session,
                councillor.id,
                "left",
                f"left on {locks['left']['left_on']}",
                "listed on the roster",
                source_url=roster.source_url,
                run_id=run_id,
            )
            continue
        kept = {}
        for column, value in (("name", scraped.name), ("party", scraped.party), ("ward", scraped.ward)):
            if column in locks and _differs(column, value, locks[column][column]):
                disagree(
                    session,
                    councillor.id,
                    column,
                    locks[column][column],
                    value or "(empty)",
                    source_url=roster.source_url,
                    run_id=run_id,
                )
                kept[column] = locks[column][column]
        if "name" in kept:
            kept["raw_name"] = councillor.raw_name
        people.append(replace(scraped, **kept) if kept else scraped)
    return replace(roster, councillors=people)


def _differs(column: str, scraped: str, locked: str) -> bool:
    return ward_key(scraped or "") != ward_key(locked) if column == "ward" else scraped != locked


def _wards(session: Session, council: Council, roster: Roster) -> dict[str, Ward]:
    wards = {w.key: w for w in session.scalars(select(Ward).where(Ward.council_id == council.id))}
    for name in [*roster.wards, *(c.ward for c in roster.councillors), *(w for w in roster.vacancies if w)]:
        key = ward_key(name)
        if key not in wards:
            wards[key] = Ward(council_id=council.id, key=key, name=name)
            session.add(wards[key])
    return wards


def _party(session: Session, cache: dict[str, Party | None], label: str) -> Party | None:
    if label not in cache:
        cache[label] = party_for(session, label)
    return cache[label]


def party_for(session: Session, label: str) -> Party | None:
    """The canonical party of a label, created on first use; None when the label records no party."""
    canonical = canonical_party(label)
    if canonical is None:
        return None
    return get_or_create(session, Party, {"key": canonical.key}, name=canonical.name, colour=canonical.colour)


def ward_for(session: Session, council_id: int, key: str) -> Ward | None:
    """One of a council's wards by its normalised name (``cllr.names.ward_key``)."""
    return session.scalar(select(Ward).where(Ward.council_id == council_id, Ward.key == key))


def _new_councillor(session, council, scraped: ScrapedCouncillor, slug: str, run_id, source_url, now):
    councillor = Councillor(
        council_id=council.id,
        source_id=scraped.source_id,
        slug=slug,
        name=scraped.name,
        raw_name=scraped.raw_name,
        email=scraped.email,
        profile_url=scraped.profile_url,
        photo_url=scraped.photo_url,
        key_posts=list(scraped.key_posts or []),
        first_seen_at=now,
        last_seen_at=now,
        run_id=run_id,
        source_url=source_url,
    )
    session.add(councillor)  # written with the rest of the roster, in one statement a table
    return councillor


def free_slug(session: Session, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``…: the first no councillor has."""
    return free_slugs(session, [base])[0]


def free_slugs(session: Session, bases: list[str]) -> list[str]:
    """A slug for each of ``bases``: the base, or ``base-2``, ``base-3``… when a councillor (or an
    earlier one of ``bases``) has it already."""
    # Most names are free: one look-up of all of them on the unique index first, as LIKE
    # (case-insensitive in SQLite) reads every councillor.
    wanted = sorted(set(bases))
    taken: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        taken.update(session.scalars(select(Councillor.slug).where(Councillor.slug.in_(chunk))))
    for base in taken.copy():
        taken.update(session.scalars(select(Councillor.slug).where(Councillor.slug.like(f"{base}%"))))
    slugs = []
    for base in bases:
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        slugs.append(slug)
    return slugs


def _update_councillor(councillor: Councillor, scraped: ScrapedCouncillor, run_id, source_url, today) -> bool:
    changed = False
    if scraped.name and scraped.name != councillor.name:  # the old name is kept, never overwritten
        councillor.former_names.append(
            FormerName(
                name=councillor.name,
                raw_name=councillor.raw_name,
                used_until=today,
                run_id=run_id,
                source_url=source_url,
            )
        )
    for attr in ("name", "raw_name", "email", "profile_url", "photo_url"):
        value = getattr(scraped, attr)
        if value and value != getattr(councillor, attr):  # empty never overwrites
            setattr(councillor, attr, value)
            changed = True
    # Posts are what the roster says now: none listed is news too, where the source lists posts at all.
    if scraped.key_posts is not None and list(scraped.key_posts) != (councillor.key_posts or []):
        councillor.key_posts = list(scraped.key_posts)
        changed = True
    if changed:
        councillor.run_id = run_id
        councillor.source_url = source_url
    return changed


def _update_membership(session, councillor, scraped, ward, party, run_id, source_url, today) -> bool:
    current = councillor.current
    label = scraped.party
    if current is not None and current.ward_id == ward.id and current.party_label == label:
        if scraped.term_ends and current.term_ends != scraped.term_ends:
            current.term_ends = scraped.term_ends
        return False
    if current is not None:
        current.end_date = today
        current.end_reason = "changed"
        current.run_id = run_id
    # A first period starts when the source says the term began; later ones, today.
    start = today if councillor.memberships else (scraped.term_start or today)
    membership = Membership(
        councillor=councillor,
        ward=ward,
        party=party,
        party_label=label,
        start_date=min(start, today),
        term_ends=scraped.term_ends,
        run_id=run_id,
        source_url=source_url,
    )
    session.add(membership)
    return True


def stage_roster(session: Session, step_id: int, council_id: int, roster: Roster) -> None:
    """Keep a quarantined roster so that an operator can look at it and release it."""
    session.add(
        StagedRoster(step_id=step_id, council_id=council_id, source_url=roster.source_url, payload=roster.to_payload())
    )


class StaleRoster(LookupError):
    """A quarantined roster the council's own pages have moved past: a newer roster was applied since."""


def release_roster(
    session: Session, step_id: int, *, by: str, reason: str, today: date, force: bool = False
) -> MergeResult:
    """Apply a quarantined roster without its checks, once, recording who released it and why.

    Refused (``StaleRoster``) when a later roster of the council was applied or found unchanged
    since: releasing the old one would end its councillors' terms and the next run reopen them,
    a false departure in their history. ``force`` releases it all the same.
    """
    staged = session.scalar(select(StagedRoster).where(StagedRoster.step_id == step_id))
    if staged is None:
        raise LookupError(f"run step {step_id} has no quarantined roster")
    if staged.released_at is not None:
        raise LookupError(
            f"run step {step_id} was released already, by {staged.released_by} on {staged.released_at:%Y-%m-%d}"
        )
    newer = session.scalar(
        select(RunStep)
        .where(
            RunStep.council_id == staged.council_id,
            RunStep.stage == "roster",
            RunStep.status.in_(("applied", "unchanged")),
            RunStep.id > step_id,
        )
        .order_by(RunStep.id.desc())
        .limit(1)
    )
    if newer is not None and not force:
        when = f" on {newer.finished_at:%Y-%m-%d %H:%M}" if newer.finished_at else ""
        raise StaleRoster(
            f"run step {step_id} is stale: the council's roster was read again and {newer.status} since "
            f"(step {newer.id}{when}); releasing this one would end and then reopen its councillors' terms. "
            "Use --force to release it all the same."
        )
    council = session.get(Council, staged.council_id)
    result = apply_roster(
        session, council, Roster.from_payload(staged.payload), run_id=None, today=today, checked=False
    )
    staged.released_at = utcnow()
    staged.released_by = by
    staged.release_reason = reason
    session.add(
        RunStep(
            run_id=session.get(RunStep, step_id).run_id,
            stage="roster",
            council_id=council.id,
            subject=council.code,
            status="applied",
            source_url=staged.source_url,
            reason=f"released from quarantine (step {step_id}) by {by}: {reason}",
            counts=result.counts(),
            finished_at=utcnow(),
        )
    )
    return result
