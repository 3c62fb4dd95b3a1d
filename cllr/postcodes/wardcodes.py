"""Giving the wards and divisions the rosters name their ONS codes, by name within each council.

A council's candidates are the areas its postcodes lie in: the wards of a district,
unitary, London borough, metropolitan district, Scottish or Welsh council (``lad`` in the
postcode directory), the electoral divisions of a county (``county``), and, where a lookup
gave them, the district electoral areas Northern Ireland's wards make up. A roster's ward
matches the candidate whose ONS name has the same key (``cllr.names.ward_key``: case,
accents, punctuation, "&" and "and", "St" and "Saint", "(Shared)" and a trailing "Ward"
or "Division" do not count). Two candidates with one key are ambiguous; none is
unmatched (the report suggests the closest names). An operator settles either in the
override table (``Settings.ward_codes``, CSV: ``council,ward,gss,note``), which wins
over the names. A council with no postcodes keeps the codes it had.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cllr.names import ward_key
from models import Area, Council, Membership, Place, Ward

OVERRIDE_COLUMNS = ("council", "ward", "gss", "note")
_CODE = re.compile(r"[A-Z][0-9]{8}")


@dataclass
class WardCode:
    council: str  # register code
    ward: str  # the roster's name
    status: str  # matched|override|ambiguous|unmatched
    gss: str | None
    sitting: bool  # a sitting councillor represents it
    candidates: list[tuple[str, str]] = field(
        default_factory=list
    )  # ambiguous: the codes; unmatched: the closest names


@dataclass
class Matching:
    wards: list[WardCode] = field(default_factory=list)
    unused: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # council → ONS areas no roster ward matched
    problems: list[str] = field(default_factory=list)  # override rows not used, and why
    directory: bool = False  # whether a postcode directory is held at all

    def counts(self) -> dict[str, int]:
        tally: dict[str, int] = defaultdict(int)
        for w in self.wards:
            if w.sitting:
                tally[w.status] += 1
        return {key: tally[key] for key in ("matched", "override", "ambiguous", "unmatched")} | {
            "override_problems": len(self.problems)
        }


def read_overrides(path: Path | None) -> tuple[dict[tuple[str, str], str], list[str]]:
    """(council code, ward key) → code from the override table, and the rows refused (by line)."""
    if path is None or not Path(path).is_file():
        return {}, []
    table, problems = {}, []
    with open(path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        if not {"council", "ward", "gss"} <= set(header):
            return {}, [f"{path}: the header must name council, ward and gss (it has {', '.join(header) or 'nothing'})"]
        for line, row in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
            code, ward, gss = row.get("council", "").upper(), row.get("ward", ""), row.get("gss", "").upper()
            if not code or not ward or not _CODE.fullmatch(gss):
                problems.append(f"{path} line {line}: needs a council code, a ward name and a nine-character GSS code")
                continue
            table[(code, ward_key(ward))] = gss
    return table, problems


def match_wards(
    session: Session, overrides: dict[tuple[str, str], str] | None = None, problems: list[str] | None = None
) -> Matching:
    """Set each ward's ``gss`` from the postcode directory's areas; return what matched and what did not."""
    overrides = overrides or {}
    result = Matching(problems=list(problems or []))
    names = {a.gss: a for a in session.scalars(select(Area))}
    within: dict[str, set[str]] = defaultdict(set)  # a council's GSS code → its candidate area codes
    for lad, ward, county, division in session.execute(
        select(Place.lad, Place.ward, Place.county, Place.division).distinct()
    ):
        within[lad].add(ward)
        if ward in names and names[ward].parent:
            within[lad].add(names[ward].parent)
        if county and division:
            within[county].add(division)
    if not within:
        return result
    result.directory = True
    sitting = set(session.scalars(select(Membership.ward_id).where(Membership.end_date.is_(None))))
    wards_of: dict[int, list[Ward]] = defaultdict(list)  # every ward, read once
    for ward in session.scalars(select(Ward).order_by(Ward.name)):
        wards_of[ward.council_id].append(ward)
    used_overrides = set()
    for council in session.scalars(select(Council).where(Council.gss.is_not(None)).order_by(Council.code)):
        codes = within.get(council.gss)
        if not codes:
            continue
        by_key: dict[str, list[str]] = defaultdict(list)
        for code in sorted(codes):
            if code in names:
                by_key[ward_key(names[code].name)].append(code)
        matched = set()
        for ward in wards_of[council.id]:
            key = ward_key(ward.name)
            found = by_key.get(key, [])
            if (council.code, key) in overrides:
                used_overrides.add((council.code, key))
                entry = WardCode(
                    council.code, ward.name, "override", overrides[(council.code, key)], ward.id in sitting
                )
            elif len(found) == 1:
                entry = WardCode(council.code, ward.name, "matched", found[0], ward.id in sitting)
            elif found:
                entry = WardCode(
                    council.code,
                    ward.name,
                    "ambiguous",
                    None,
                    ward.id in sitting,
                    [(code, names[code].name) for code in found],
                )
            else:
                close = difflib.get_close_matches(key, list(by_key), n=3, cutoff=0.6)
                entry = WardCode(
                    council.code,
                    ward.name,
                    "unmatched",
                    None,
                    ward.id in sitting,
                    [(code, names[code].name) for k in close for code in by_key[k]],
                )
            if ward.gss != entry.gss:
                ward.gss = entry.gss
            matched.add(entry.gss)
            result.wards.append(entry)
        matched.discard(None)
        parent = {code: names[code].parent for code in codes if code in names and names[code].parent}
        unused = sorted(
            (code, names[code].name if code in names else "(no name)")
            for code in codes
            if code not in matched and parent.get(code) not in matched
        )
        if unused:
            result.unused[council.code] = unused
    for (code, key), gss in overrides.items():
        if (code, key) not in used_overrides:
            result.problems.append(f"override for {code} ward {key!r} ({gss}): no such ward on the council's roster")
    return result
