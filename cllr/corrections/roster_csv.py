"""A council's whole roster as a CSV file it publishes itself: the published schema (docs/corrections.md) and its pure reader.

For a council whose pages cannot be scraped, its credential may send the roster whole.
UTF-8 (a byte-order mark is fine), a header row naming these columns in any order:

``id``
    the council's own id for the councillor (required, unique in the file, at most 64
    characters): the same id on the next file is the same person.
``name``
    as the council writes it (required); titles and honours are taken off as a scraper
    takes them off ("Cllr", "OBE").
``ward``
    the ward or division they sit for (required).
``party``
    the party label as the council uses it; empty for none.
``email``
    the address the council publishes for the councillor's council work; never a private one.
``profile_url``
    their page on the council's site, http or https only.

A vacant seat is a row whose ``name`` is ``Vacant`` (or begins with it: "Vacant seat"),
with its ``ward`` and nothing else: one row for each vacant seat.

No other column is taken: an unknown column (``phone``, ``address``, ``home_address``
and the like) refuses the file, since home addresses, phone numbers and other personal
details are never taken. At most :data:`MAX_ROWS` rows and :data:`MAX_BYTES` bytes. Every
problem is listed with its line number; a file with any problem is refused whole.
"""

from __future__ import annotations

import csv
import io
import re

from cllr.names import clean_name, is_vacancy, tidy
from cllr.urls import safe_url
from scrapers.records import Roster, ScrapedCouncillor

COLUMNS = ("id", "name", "ward", "party", "email", "profile_url")
REQUIRED = ("id", "name", "ward")
MAX_ROWS = 400  # the largest UK council has about a hundred and twenty seats
MAX_BYTES = 256 * 1024
LIMITS = {"id": 64, "name": 200, "ward": 200, "party": 200, "email": 254, "profile_url": 2048}
# Column names that would carry a person's contact details: refused with that said plainly.
PERSONAL = re.compile(r"phone|tel|mobile|address|postcode|post_code|zip|dob|birth|home|private|personal", re.I)
EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EXTRA = "\x00extra"


def parse_roster_csv(data: bytes, *, source_url: str | None = None) -> tuple[Roster | None, list[dict]]:
    """(roster, problems) from a roster CSV file's bytes; the roster is None whenever problems is not empty.

    Each problem is ``{"line", "field", "problem"}``; the roster's ``source_url`` is the one given.
    """
    if len(data) > MAX_BYTES:
        return None, [_problem(1, "file", f"is larger than {MAX_BYTES // 1024} KiB")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [_problem(1, "file", "is not UTF-8 text")]
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=_EXTRA)
    try:
        header = [re.sub(r"[\s-]+", "_", (h or "").strip().lower()) for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        return None, [_problem(1, "file", f"is not readable as CSV ({exc})")]
    found = _header_problems(header)
    if found:
        return None, found
    reader.fieldnames = header
    people: list[ScrapedCouncillor] = []
    vacancies: list[str] = []
    wards: dict[str, None] = {}  # in the order the file first names them
    seen: dict[str, int] = {}  # id -> the line it is on
    rows = 0
    try:
        for row in reader:
            line = reader.line_num
            if _EXTRA in row:
                found.append(_problem(line, "row", "has more cells than the header"))
                continue
            values = {k: (v or "").strip() for k, v in row.items() if v is not None}
            if not any(values.values()):
                continue  # a blank line
            rows += 1
            if rows > MAX_ROWS:
                return None, [_problem(line, "file", f"has more than {MAX_ROWS} rows")]
            problems = _cell_problems(line, values)
            if problems:
                found.extend(problems)
                continue
            ward = tidy(values["ward"])
            if is_vacancy(values["name"]):
                filled = [c for c in ("id", "party", "email", "profile_url") if values.get(c)]
                found.extend(_problem(line, c, "must be empty on a vacant seat's row") for c in filled)
                vacancies.append(ward)
                wards.setdefault(ward)
                continue
            person = _councillor(line, values, ward, seen, found)
            if person is not None:
                people.append(person)
                wards.setdefault(ward)
    except csv.Error as exc:
        return None, [_problem(reader.line_num, "file", f"is not readable as CSV ({exc})")]
    if not found and not people:
        found.append(_problem(1, "file", "lists no councillors" if rows else "has no rows"))
    if found:
        return None, found
    return Roster(people, list(wards), source_url, vacancies), []


def _header_problems(header: list[str]) -> list[dict]:
    found = [_problem(1, "header", f"must name the column {c}") for c in REQUIRED if c not in header]
    if "" in header:
        found.append(_problem(1, "header", "has a column with no name (a comma too many at the end?)"))
    for column in dict.fromkeys(h for h in header if h and h not in COLUMNS):
        shown = "".join(ch if ch.isprintable() else "?" for ch in column)[:60]
        why = (
            "looks like personal contact details: home addresses, phone numbers and other personal details are never taken"
            if PERSONAL.search(column)
            else "is not a column of the roster: nothing beyond the published columns is taken (never home addresses or phone numbers)"
        )
        found.append(_problem(1, shown, f"{why}; remove the column (the columns are {', '.join(COLUMNS)})"))
    if len(set(header)) != len(header):
        found.append(_problem(1, "header", "names a column twice"))
    return found


def _cell_problems(line: int, values: dict[str, str]) -> list[dict]:
    found = []
    for column, value in values.items():
        if _CONTROL.search(value):
            found.append(_problem(line, column, "contains control characters"))
        elif len(value) > LIMITS[column]:
            found.append(_problem(line, column, f"is longer than {LIMITS[column]} characters"))
    for column in ("name", "ward"):
        if column not in {p["field"] for p in found} and not tidy(values.get(column)):
            found.append(_problem(line, column, "is required"))
    return found


def _councillor(
    line: int, values: dict[str, str], ward: str, seen: dict[str, int], found: list[dict]
) -> ScrapedCouncillor | None:
    """One councillor's row as the record a scraper would make of it; None (with its problems noted) if it is wrong."""
    before = len(found)
    source_id = values.get("id", "")
    if not source_id:
        found.append(_problem(line, "id", "is required (the council's own id for the councillor)"))
    elif source_id in seen:
        found.append(_problem(line, "id", f"repeats the id on line {seen[source_id]}"))
    else:
        seen[source_id] = line
    name = clean_name(values["name"])
    if not name or any(ch in name for ch in "<>{}\\"):
        found.append(_problem(line, "name", "is not a name"))
    email = values.get("email") or None
    if email is not None:
        if email.lower().startswith("mailto:"):
            email = email[7:]
        if not EMAIL.fullmatch(email):
            found.append(_problem(line, "email", "is not an e-mail address"))
    profile_url = values.get("profile_url") or None
    if profile_url is not None and safe_url(profile_url) is None:
        found.append(_problem(line, "profile_url", "must be an http or https address with a host and no credentials"))
    if len(found) > before:
        return None
    return ScrapedCouncillor(
        source_id=source_id,
        name=name,
        raw_name=tidy(values["name"]),
        ward=ward,
        party=tidy(values.get("party")),
        email=email,
        profile_url=profile_url,
    )


def _problem(line: int, field: str, problem: str) -> dict:
    return {"line": line, "field": field, "problem": problem}
