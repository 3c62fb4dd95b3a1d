"""Councils that share one roster (one ModernGov instance serving two councils), split by rules held as
data in ``cllr/data/shared_instances.csv`` (``CLLR_SHARED_INSTANCES``), never by code.

Each row names the council, the shared instance it is on (the councils of one instance are
each other's partners) and one rule saying which of the shared roster's councillors are its own:

- ``email_domain``: a work e-mail at that domain (``eastbourne.gov.uk``);
- ``ward_suffix``: a ward whose name carries that mark (Broadland's wards end in ``(BDC)``);
- ``ward``: a ward by name;
- ``include`` / ``exclude``: one councillor, by the shared site's own id, whatever the rules say
  (the exceptions LGSF knows: a Lewes councillor with an Eastbourne address, a councillor with
  no e-mail listed).

A councillor the e-mail rules cannot place (no e-mail, or an address at neither council) is
placed by ward: a ward whose placed councillors are all the council's, or all its partner's,
settles it. One that still cannot be placed is never dropped silently: it is held back from
both councils and listed by name in the run's step and summary, for an operator to add an
``include`` or ``exclude`` row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from pathlib import Path

from cllr.names import ward_key
from scrapers.records import Roster, ScrapedCouncillor

RULES = ("email_domain", "ward_suffix", "ward", "include", "exclude")


@dataclass
class Rules:
    """One council's rules for its share of a shared roster."""

    instance: str = ""
    email_domains: list[str] = field(default_factory=list)
    ward_suffixes: list[str] = field(default_factory=list)
    wards: set[str] = field(default_factory=set)  # ward keys
    include: set[str] = field(default_factory=set)  # source ids
    exclude: set[str] = field(default_factory=set)

    @property
    def by_ward(self) -> bool:
        return bool(self.ward_suffixes or self.wards)

    def owns_ward(self, ward: str) -> bool:
        return ward_key(ward) in self.wards or any(s.casefold() in ward.casefold() for s in self.ward_suffixes)

    def owns_email(self, email: str | None) -> bool:
        address = (email or "").strip().lower()
        return any(address.endswith("@" + d) or address.endswith("." + d) for d in self.email_domains)


def read_rules(path: Path) -> dict[str, Rules]:
    """Council code → its rules; a malformed row is a ``ValueError`` naming its line."""
    rules: dict[str, Rules] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=2):
            code = (row.get("code") or "").strip().upper()
            instance = (row.get("instance") or "").strip()
            rule = (row.get("rule") or "").strip()
            value = (row.get("value") or "").strip()
            if not code or not instance or rule not in RULES or not value:
                raise ValueError(f"{path}:{number}: needs a code, an instance, a rule ({', '.join(RULES)}) and a value")
            found = rules.setdefault(code, Rules(instance))
            if found.instance != instance:
                raise ValueError(
                    f"{path}:{number}: {code} is on one shared instance, not {found.instance!r} and {instance!r}"
                )
            if rule == "email_domain":
                found.email_domains.append(value.lower().lstrip("@"))
            elif rule == "ward_suffix":
                found.ward_suffixes.append(value)
            elif rule == "ward":
                found.wards.add(ward_key(value))
            else:
                getattr(found, rule).add(value)
    return rules


@dataclass
class Share:
    """A council's share of a shared roster, and the councillors no rule could place."""

    roster: Roster
    unplaced: list[ScrapedCouncillor]


def partners_of(code: str, rules: dict[str, Rules]) -> list[Rules]:
    """The rules of the other councils on ``code``'s shared instance."""
    mine = rules[code]
    return [r for other, r in rules.items() if other != code and r.instance == mine.instance]


def own_share(roster: Roster, mine: Rules, partners: list[Rules]) -> Share:
    """The councillors (and vacant seats) of ``roster`` that ``mine`` places with this council."""
    placed: dict[str, bool | None] = {c.source_id: _by_rules(c, mine, partners) for c in roster.councillors}
    by_ward: dict[str, set[bool]] = {}
    for councillor in roster.councillors:
        if placed[councillor.source_id] is not None:
            by_ward.setdefault(ward_key(councillor.ward), set()).add(placed[councillor.source_id])
    unplaced = []
    for councillor in roster.councillors:
        if placed[councillor.source_id] is None:
            sides = by_ward.get(ward_key(councillor.ward), set())
            placed[councillor.source_id] = next(iter(sides)) if len(sides) == 1 else None
            if placed[councillor.source_id] is None:
                unplaced.append(councillor)
    members = [c for c in roster.councillors if placed[c.source_id]]
    own_wards = {ward_key(c.ward) for c in members} | {ward_key(w) for w in roster.wards if mine.owns_ward(w)}
    vacancies = [w for w in roster.vacancies if ward_key(w) in own_wards]
    wards = [w for w in roster.wards if ward_key(w) in own_wards]
    return Share(replace(roster, councillors=members, wards=wards, vacancies=vacancies), unplaced)


def _by_rules(councillor: ScrapedCouncillor, mine: Rules, partners: list[Rules]) -> bool | None:
    """True (ours), False (a partner's) or None (the rules cannot tell)."""
    if councillor.source_id in mine.include:
        return True
    if councillor.source_id in mine.exclude or any(councillor.source_id in p.include for p in partners):
        return False
    if mine.by_ward:
        return mine.owns_ward(councillor.ward)
    if mine.owns_email(councillor.email):
        return True
    if any(p.owns_email(councillor.email) or (p.by_ward and p.owns_ward(councillor.ward)) for p in partners):
        return False
    return None
