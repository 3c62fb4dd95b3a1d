"""Open-data downloads: the directory as CSV, JSON, Popolo JSON and a SQLite database.

One entry point, :func:`write_downloads`, writes every file into the site's ``data/``
folder (the caller builds the site around it and swaps the whole folder into place).
What the files hold, and under what licence, is in docs/open-data.md and in the
``README.md`` written beside them, which is generated from :data:`COLUMNS`: the same
definitions give the CSV headers and the JSON keys, so the dictionary cannot drift.

Rules shared with the site (``cllr.site.build``): a councillor is sitting while their latest
open membership is current, and former otherwise; a link between a councillor and an
account is current while some of its evidence is not withdrawn
(``models.links.link_level``); merged accounts are not published as accounts; a
councillor is active when they posted in the last 30 days on a confirmed account of
their own (role ``councillor`` or ``personal``).

Safety: JSON is written by the json module's encoder (never templated). Every CSV text cell that
a spreadsheet would run as a formula is defused (:func:`defuse_cell`). Nothing here
reads or writes home addresses or phone numbers: the database does not hold them.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Column as SAColumn
from sqlalchemy import ForeignKey, MetaData, Table, UniqueConstraint, func, select, type_coerce
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.types import NullType

from models import (
    AccountEvidence, AccountMetric, Council, Councillor, FormerName, Membership, Party, SocialAccount, Ward,
)  # fmt: skip
from models.base import NAMING_CONVENTION, Base
from models.links import link_level

from cllr.evidence import COUNTED_ROLES, LEVELS, confirmed

# ---------------------------------------------------------------------------------------
# The data dictionary: one table of column definitions for every CSV and JSON record.
# ---------------------------------------------------------------------------------------

TYPES = {
    "text": "Text.",
    "integer": "A whole number (may be negative where said).",
    "decimal": "A decimal number.",
    "boolean": "`true` or `false`.",
    "date": "A date, `YYYY-MM-DD`.",
    "datetime": "A UTC time, `YYYY-MM-DDTHH:MM:SSZ`.",
    "list": "A list of codes: an array in JSON, joined with `; ` in CSV.",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a key of TYPES
    description: str
    optional: bool = False  # may be empty (CSV) or null (JSON)
    # For the councillors' columns: where the value sits in JSON, on the councillor, on each of
    # their ``memberships`` or on both (a CSV row is one membership, with its councillor's values).
    scope: str = "councillor"  # councillor | membership | both


COLUMNS: dict[str, tuple[Column, ...]] = {
    "councils": (
        Column("code", "text", "The council's register code (three letters; the demo's invented councils' codes start with X)."),
        Column("gss", "text", "The council's GSS code (ONS).", optional=True),
        Column("name", "text", "The council's official name."),
        Column("nation", "text", "England, Scotland, Wales or Northern Ireland."),
        Column("council_type", "text", "The register's type code: NMD, UA, MD, LBO, CTY, CC, SCO, WPA or NID."),
        Column("seats", "integer", "Seats on the council, when known.", optional=True),
        Column("fictional", "boolean", "`true` for the invented councils of the demo: nothing about them is real."),
        Column("councillors", "integer", "Current councillors we list (0 for a council whose roster we have not read)."),
        Column("former_councillors", "integer", "Councillors who have left the council's roster since we started reading it."),
        Column("with_confirmed_account", "integer", "Current councillors with at least one confirmed account."),
        Column("active", "integer", "Current councillors who posted in the last 30 days on a confirmed account of their "
                                    "own (role `councillor` or `personal`)."),
        Column("active_share_of_seats", "decimal", "`active` divided by `seats` (0 to 1, four decimals); empty when "
                                                  "the seat count is unknown or below the councillors listed, or when "
                                                  "we list none.",
               optional=True),
    ),
    "councillors": (
        Column("council_code", "text", "The council's register code (see councils)."),
        Column("council_name", "text", "The council's official name."),
        Column("council_gss", "text", "The council's GSS code.", optional=True),
        Column("councillor_id", "integer", "Our id for the councillor (`councillor.id` in cllr.sqlite3)."),
        Column("slug", "text", "The councillor's stable name in this directory: their page is `councillors/<slug>.html`."),
        Column("name", "text", "The name the council lists them under (titles removed)."),
        Column("ward", "text", "The ward or division of this membership.", scope="membership"),
        Column("ward_gss", "text", "The ward's (or county electoral division's) GSS code, when known: matched by name to the ONS Postcode Directory's, or set by hand (docs/postcodes.md).",
               optional=True, scope="membership"),
        Column("party", "text", "The canonical party; empty when the council records no party.", optional=True,
               scope="membership"),
        Column("party_label", "text", "The party exactly as the council writes it.", optional=True, scope="membership"),
        Column("start_date", "date", "When this membership (one ward, one party label) began: the start of the term "
                                     "when the council gives it, else the day we first saw it on the roster.",
               scope="membership"),
        Column("end_date", "date", "The day we saw it end (gone from the roster, or a new ward or party label); empty "
                                   "while current.", optional=True, scope="membership"),
        Column("current", "boolean", "`true` while the membership is current, so the councillor is sitting; on a JSON "
                                     "councillor, `true` for a sitting councillor.", scope="both"),
        Column("profile_url", "text", "The councillor's page on the council's website.", optional=True),
        Column("email", "text", "The contact e-mail address the council publishes for them.", optional=True),
        Column("confirmed_accounts", "integer", "The councillor's current links to accounts at a confirmed level."),
        Column("active", "boolean", "The councillor posted in the last 30 days on a confirmed account of their own "
                                    "(role `councillor` or `personal`)."),
        Column("posts_30d", "integer", "The councillor's posts in the last 30 days on those accounts, added up."),
    ),
    "accounts": (
        Column("councillor_slug", "text", "The councillor linked (`slug` in councillors)."),
        Column("account_id", "integer", "Our id for the account (`social_account.id` in cllr.sqlite3)."),
        Column("platform", "text", "bluesky, mastodon, youtube, web, twitter, facebook, instagram, threads, linkedin, "
                                   "tiktok, linktree..."),
        Column("handle", "text", "The account's handle (or a website's address) as last seen."),
        Column("url", "text", "The account's public address."),
        Column("platform_id", "text", "The platform's stable id (Bluesky DID, Mastodon account URI, YouTube channel id), "
                                      "once resolved.", optional=True),
        Column("role", "text", "`councillor` (their account as a councillor), `personal` (a personal account they "
                               "declare) or `campaign` (a party, campaign or ward-team account)."),
        Column("level", "text", "How sure the link is, strongest first: " + ", ".join(f"`{lv}`" for lv in LEVELS)
               + ". Every level but `unconfirmed` (a name match only) is confirmed (docs/metrics.md)."),
        Column("methods", "list", "How the link is known: the methods of its current evidence (docs/metrics.md)."),
        Column("first_seen_at", "datetime", "When a source first linked this account to this councillor."),
        Column("last_checked_at", "datetime", "When the account was last collected.", optional=True),
        Column("status", "text", "The account as last collected: `new` (not collected yet), `active`, `moved`, "
                                 "`not_found`, `unsupported` (a platform we do not measure) or `error`."),
        Column("metrics_as_of", "date", "The day of the activity figures; empty when the account is not measured.",
               optional=True),
        Column("posts_7d", "integer", "Posts in the 7 days to `metrics_as_of` (posts, replies, articles, videos; never "
                                      "reposts).", optional=True),
        Column("posts_30d", "integer", "Posts in the 30 days to `metrics_as_of`.", optional=True),
        Column("posts_90d", "integer", "Posts in the 90 days to `metrics_as_of`.", optional=True),
        Column("replies_30d", "integer", "Replies among the posts of the last 30 days.", optional=True),
        Column("last_post_at", "datetime", "The time of the latest post seen.", optional=True),
        Column("followers", "integer", "Followers at the latest collection.", optional=True),
        Column("followers_change_30d", "integer", "Followers now minus followers 30 or more days before (negative when "
                                                  "fewer); empty until the account has been followed that long.",
               optional=True),
        Column("complete", "boolean", "`false` when the source shows only its newest items and the counts are lower "
                                      "bounds.", optional=True),
    ),
}

# The tables copied into cllr.sqlite3. Not the run ledger, staged rosters, suggestions
# under review, post identities or the HTTP validators' own database.
PUBLISHED_TABLES = (
    "council", "ward", "party", "councillor", "membership", "former_name", "social_account",
    "account_evidence", "account_change", "account_metric", "profile_snapshot", "council_figure",
)  # fmt: skip
TABLE_NOTES = {
    "council": "The registry: codes, names, nation, type, how the roster is read (CMS, roster URL), seats.",
    "ward": "Wards and divisions; `key` is the normalised name that matches a ward across runs.",
    "party": "Canonical parties and their colours.",
    "councillor": "Councillors: the council system's own id, clean and raw names, published e-mail, profile and photo "
                  "URLs, first and last seen.",
    "membership": "Every period a councillor sat for one ward with one party label, ended or not.",
    "former_name": "Names a council listed a councillor under before, with the day it stopped.",
    "social_account": "Accounts, including `merged` rows (a second row for one account, folded into the first by "
                      "their shared stable id; kept as history, never current).",
    "account_evidence": "Why an account is linked to a councillor: method, level, source, and `withdrawn_at` when a "
                        "source stopped showing it (withdrawn evidence is kept).",
    "account_change": "Account history: renames, new stable ids, moves, vanished accounts, merges.",
    "account_metric": "Daily activity figures per account.",
    "profile_snapshot": "The platforms' own counters (followers, following, total posts) at each collection.",
    "council_figure": "Each council's adoption figures (seats, councillors, with a confirmed account, active, posts "
                      "in 30 days) on each day they were computed: the history behind the council pages.",
}

# ---------------------------------------------------------------------------------------
# Licence and attribution.
# ---------------------------------------------------------------------------------------

LICENCE = {
    "name": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "attribution": "Councillors Online. Contains data from mySociety (CC BY 4.0), Democracy Club (LGSF, MIT) "
                   "and UK councils' websites.",
}
# The sources of the bundled council registry (cllr/data/councils.MANIFEST.md, "Sources").
REGISTRY_SOURCES = (
    {
        "name": "Democracy Club, LGSF (Local Government Scraper Framework)",
        "repository": "DemocracyClub/LGSF",
        "url": "https://github.com/DemocracyClub/LGSF",
        "commit": "5d40e23c6860b8be049b57a4ca9b177696a3c02f",
        "licence": "MIT (the repository's LICENSE); its EveryElection organisation blocks are Democracy Club data",
        "used_for": "council register codes, roster URLs, CMS family, shared-instance e-mail domains",
    },
    {
        "name": "mySociety, UK local authority names and codes (data package uk_la_future v1.7.3)",
        "repository": "mysociety/uk_local_authority_names_and_codes",
        "url": "https://github.com/mysociety/uk_local_authority_names_and_codes",
        "commit": "67ef8b118938678401a452f4f19f669a7221cc73",
        "licence": "CC BY 4.0 (the data package's datapackage.yaml)",
        "used_for": "council GSS codes, names, common names, nations and types",
    },
)

# ---------------------------------------------------------------------------------------
# Cells and values.
# ---------------------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def defuse_cell(text: str) -> str:
    """A CSV text cell a spreadsheet will show as text: ``'`` in front of one that could run as a formula.

    Cells starting with ``= + - @``, a tab or a carriage return get the prefix, unless
    they are a plain number ("-3"); so do cells already starting with ``'``, so that the
    rule can be undone: remove one leading ``'`` from a cell that has one.
    """
    if text.startswith("'") or (text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text)):
        return "'" + text
    return text


def restore_cell(text: str) -> str:
    """The original value of a defused CSV text cell (the inverse of :func:`defuse_cell`)."""
    return text[1:] if text.startswith("'") else text


def _timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC times")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _csv_value(column: Column, value: Any) -> Any:
    if value is None:
        return ""
    if column.type == "boolean":
        return "true" if value else "false"
    if column.type in ("integer", "decimal"):
        return value
    if column.type == "datetime":
        return _timestamp(value)
    if column.type == "date":
        return value.isoformat()
    if column.type == "list":
        return defuse_cell("; ".join(value))
    return defuse_cell(str(value))


def _json_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.type == "datetime":
        return _timestamp(value)
    if column.type == "date":
        return value.isoformat()
    if column.type == "list":
        return list(value)
    return value


# ---------------------------------------------------------------------------------------
# Reading the directory: a handful of queries, no per-row queries.
# ---------------------------------------------------------------------------------------


@dataclass
class _Data:
    councils: list[dict]  # records with the "councils" columns, plus "_id"
    # records with the councillor-scope columns, plus "_council_id", "_memberships" (records with the
    # membership-scope columns) and "_accounts" (records with the "accounts" columns)
    councillors: list[dict]
    memberships: list[Any]  # every membership row of a published councillor
    former_names: dict[int, list[Any]]
    wards: dict[int, Any]
    parties: dict[int, Any]
    council_by_id: dict[int, Any]


def _latest_metrics(session: Session) -> dict[int, Any]:
    latest_day = (
        select(AccountMetric.account_id, func.max(AccountMetric.as_of).label("as_of"))
        .group_by(AccountMetric.account_id)
        .subquery()
    )
    query = select(
        AccountMetric.account_id, AccountMetric.as_of, AccountMetric.posts_7d, AccountMetric.posts_30d,
        AccountMetric.posts_90d, AccountMetric.replies_30d, AccountMetric.last_post_at, AccountMetric.followers,
        AccountMetric.followers_change_30d, AccountMetric.complete,
    ).join(latest_day, (AccountMetric.account_id == latest_day.c.account_id)
           & (AccountMetric.as_of == latest_day.c.as_of))  # fmt: skip
    return {row.account_id: row for row in session.execute(query)}


def _read(session: Session) -> _Data:
    council_by_id = {
        row.id: row
        for row in session.execute(select(Council.id, Council.code, Council.gss, Council.name, Council.nation,
                                          Council.council_type, Council.seats, Council.fictional))  # fmt: skip
    }
    wards = {row.id: row for row in session.execute(select(Ward.id, Ward.council_id, Ward.name, Ward.gss))}
    parties = {row.id: row for row in session.execute(select(Party.id, Party.key, Party.name))}
    people = list(session.execute(select(Councillor.id, Councillor.council_id, Councillor.slug, Councillor.name,
                                         Councillor.email, Councillor.profile_url)))  # fmt: skip
    memberships_of: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(
        select(Membership.id, Membership.councillor_id, Membership.ward_id, Membership.party_id, Membership.party_label,
               Membership.start_date, Membership.end_date).order_by(Membership.id)
    ):  # fmt: skip
        memberships_of[row.councillor_id].append(row)
    former_names: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(
        select(FormerName.councillor_id, FormerName.name, FormerName.used_until).order_by(FormerName.id)
    ):
        former_names[row.councillor_id].append(row)
    accounts = {
        row.id: row
        for row in session.execute(
            select(SocialAccount.id, SocialAccount.platform, SocialAccount.handle, SocialAccount.url,
                   SocialAccount.platform_id, SocialAccount.role, SocialAccount.status, SocialAccount.last_checked_at)
            .where(SocialAccount.status != "merged")  # shown once, as the account it was merged into
        )
    }  # fmt: skip
    evidence: dict[int, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in session.execute(
        select(AccountEvidence.id, AccountEvidence.councillor_id, AccountEvidence.account_id, AccountEvidence.method,
               AccountEvidence.level, AccountEvidence.first_seen_at, AccountEvidence.withdrawn_at)
        .order_by(AccountEvidence.id)
    ):  # fmt: skip
        if row.account_id in accounts:
            evidence[row.councillor_id][row.account_id].append(row)
    metrics = _latest_metrics(session)

    councillors, memberships = [], []
    for person in people:
        periods = memberships_of.get(person.id)
        if not periods:
            continue
        memberships.extend(periods)
        # Sitting: the latest open membership is current (as on the site); only it counts as current.
        current_id = next((m.id for m in reversed(periods) if m.end_date is None), None)
        links = _links(person.slug, evidence.get(person.id, {}), accounts, metrics)
        counted = [a for a in links if confirmed(a["level"]) and a["role"] in COUNTED_ROLES]
        council = council_by_id[person.council_id]
        councillors.append({
            "council_code": council.code, "council_name": council.name, "council_gss": council.gss or None,
            "councillor_id": person.id, "slug": person.slug, "name": person.name, "current": current_id is not None,
            "profile_url": person.profile_url or None, "email": person.email or None,
            "confirmed_accounts": sum(1 for a in links if confirmed(a["level"])),
            "active": any((a["posts_30d"] or 0) > 0 for a in counted),
            "posts_30d": sum(a["posts_30d"] or 0 for a in counted),
            "_council_id": person.council_id, "_accounts": links,
            "_memberships": [_membership(m, m.id == current_id, wards, parties)
                             for m in sorted(periods, key=lambda m: (m.start_date, m.id))],
        })  # fmt: skip
    councillors.sort(key=lambda c: (c["council_code"], c["name"].casefold(), c["slug"]))

    by_council: dict[int, list[dict]] = defaultdict(list)
    for person in councillors:
        by_council[person["_council_id"]].append(person)
    councils = []
    for council_id, council in council_by_id.items():  # every council in the registry, read yet or not
        group = by_council.get(council_id, [])
        sitting = [p for p in group if p["current"]]
        active = sum(1 for p in sitting if p["active"])
        seats = council.seats or 0
        if seats < len(sitting) or not sitting:  # a stale seat count is no denominator (as on the site);
            seats = 0  # and with nobody listed (a roster not read yet) there is nothing to share out
        councils.append({
            "code": council.code, "gss": council.gss or None, "name": council.name, "nation": council.nation,
            "council_type": council.council_type, "seats": council.seats, "fictional": bool(council.fictional),
            "councillors": len(sitting), "former_councillors": len(group) - len(sitting),
            "with_confirmed_account": sum(1 for p in sitting if p["confirmed_accounts"]), "active": active,
            "active_share_of_seats": round(active / seats, 4) if seats else None, "_id": council_id,
        })  # fmt: skip
    councils.sort(key=lambda c: c["code"])
    return _Data(councils, councillors, memberships, former_names, wards, parties, council_by_id)


def _membership(m: Any, current: bool, wards: dict[int, Any], parties: dict[int, Any]) -> dict:
    ward, party = wards[m.ward_id], parties.get(m.party_id) if m.party_id is not None else None
    return {"ward": ward.name, "ward_gss": ward.gss or None, "party": party.name if party else None,
            "party_label": m.party_label or None, "start_date": m.start_date, "end_date": m.end_date,
            "current": current}  # fmt: skip


def _links(slug: str, evidence: dict[int, list[Any]], accounts: dict[int, Any], metrics: dict[int, Any]) -> list[dict]:
    """A councillor's current links (some evidence not withdrawn), strongest first."""
    links = []
    for account_id, rows in evidence.items():
        level = link_level(rows)
        if level is None:  # every source has withdrawn it
            continue
        account, metric = accounts[account_id], metrics.get(account_id)
        current = sorted((r for r in rows if r.withdrawn_at is None),
                         key=lambda r: (LEVELS.index(r.level) if r.level in LEVELS else len(LEVELS), r.id))  # fmt: skip
        links.append({
            "councillor_slug": slug, "account_id": account_id, "platform": account.platform, "handle": account.handle,
            "url": account.url, "platform_id": account.platform_id, "role": account.role, "level": level,
            "methods": list(dict.fromkeys(r.method for r in current)),
            "first_seen_at": min(r.first_seen_at for r in rows), "last_checked_at": account.last_checked_at,
            "status": account.status, "metrics_as_of": metric.as_of if metric else None,
            "posts_7d": metric.posts_7d if metric else None, "posts_30d": metric.posts_30d if metric else None,
            "posts_90d": metric.posts_90d if metric else None, "replies_30d": metric.replies_30d if metric else None,
            "last_post_at": metric.last_post_at if metric else None, "followers": metric.followers if metric else None,
            "followers_change_30d": metric.followers_change_30d if metric else None,
            "complete": metric.complete if metric else None,
        })  # fmt: skip
    links.sort(key=lambda a: (LEVELS.index(a["level"]), a["platform"], a["handle"], a["account_id"]))
    return links


# ---------------------------------------------------------------------------------------
# Writing.
# ---------------------------------------------------------------------------------------


@contextmanager
def _replacing(path: Path, **open_args) -> Iterator[Any]:
    """Open a temporary file beside ``path``; move it into place only once it is complete."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", **open_args) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _membership_rows(councillors: Iterable[dict]) -> Iterator[dict]:
    """The rows of councillors.csv: one per membership, with its councillor's values."""
    for person in councillors:
        for membership in person["_memberships"]:
            yield {**person, **membership}


def _write_csv(path: Path, table: str, records: Iterable[dict]) -> Path:
    columns = COLUMNS[table]
    # RFC 4180: a header row, CRLF line ends, quotes only where needed; plain UTF-8 (no BOM).
    with _replacing(path, encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([c.name for c in columns])
        for record in records:
            writer.writerow([_csv_value(c, record[c.name]) for c in columns])
    return path


def _json_record(table: str, record: dict, scopes: tuple[str, ...] = ("councillor", "both")) -> dict:
    return {c.name: _json_value(c, record[c.name]) for c in COLUMNS[table] if c.scope in scopes}


def _write_json(path: Path, document: dict) -> Path:
    # The json module's encoder (its C version: json.dumps, which json.dump does not use), never a template.
    text = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    with _replacing(path, encoding="utf-8") as fh:
        fh.write(text + "\n")
    return path


def _councillor_json(person: dict) -> dict:
    item = _json_record("councillors", person)
    item["memberships"] = [_json_record("councillors", m, ("membership", "both")) for m in person["_memberships"]]
    item["accounts"] = [_json_record("accounts", a) for a in person["_accounts"]]
    return item


def _directory_document(generated_at: datetime, councils: list[dict], councillors: list[dict]) -> dict:
    return {
        "generated_at": _timestamp(generated_at),
        "licence": LICENCE,
        "councils": [_json_record("councils", c) for c in councils],
        "councillors": [person["_json"] for person in councillors],
    }


def _file_stem(code: str, council_id: int) -> str:
    stem = code.lower()
    return stem if re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,30}", stem) else f"council-{council_id}"


def write_downloads(session: Session, out_dir: Path, generated_at: datetime) -> list[Path]:
    """Write every download into ``out_dir`` (created if missing); return the paths written.

    ``generated_at`` (timezone-aware) is stamped into the JSON files and the README.
    """
    _timestamp(generated_at)  # refuse a naive time before writing anything
    out_dir = Path(out_dir)
    (out_dir / "councils").mkdir(parents=True, exist_ok=True)
    data = _read(session)
    for person in data.councillors:
        person["_json"] = _councillor_json(person)  # once, for directory.json and the council's file
    written = [
        _write_csv(out_dir / "councils.csv", "councils", data.councils),
        _write_csv(out_dir / "councillors.csv", "councillors", _membership_rows(data.councillors)),
        _write_csv(out_dir / "accounts.csv", "accounts", (a for p in data.councillors for a in p["_accounts"])),
        _write_json(out_dir / "directory.json", _directory_document(generated_at, data.councils, data.councillors)),
        _write_json(out_dir / "directory.schema.json", directory_schema()),
        _write_json(out_dir / "popolo.json", _popolo(data)),
    ]
    by_council: dict[int, list[dict]] = defaultdict(list)
    for person in data.councillors:
        by_council[person["_council_id"]].append(person)
    for council in data.councils:
        stem = _file_stem(council["code"], council["_id"])
        people = by_council[council["_id"]]
        written.append(_write_csv(out_dir / "councils" / f"{stem}.csv", "councillors", _membership_rows(people)))
        written.append(_write_json(out_dir / "councils" / f"{stem}.json",
                                   _directory_document(generated_at, [council], people)))  # fmt: skip
    written.append(write_sqlite(session, out_dir / "cllr.sqlite3"))
    with _replacing(out_dir / "README.md", encoding="utf-8") as fh:
        fh.write(readme(generated_at))
    written.append(out_dir / "README.md")
    return written


# ---------------------------------------------------------------------------------------
# Popolo (http://www.popoloproject.com/): persons, organizations, memberships.
# ---------------------------------------------------------------------------------------


def _popolo(data: _Data) -> dict:
    persons = []
    for person in data.councillors:
        item: dict[str, Any] = {"id": person["slug"], "name": person["name"]}
        former = data.former_names.get(person["councillor_id"], [])
        if former:
            item["other_names"] = [{"name": f.name, "end_date": f.used_until.isoformat(), "note": "former name"}
                                   for f in former]  # fmt: skip
        # Only confirmed links: a Popolo consumer cannot see our levels, and a name match is not a fact.
        links = [{"url": a["url"], "note": a["platform"]} for a in person["_accounts"] if confirmed(a["level"])]
        if links:
            item["links"] = links
        if person["email"]:
            item["contact_details"] = [{"type": "email", "value": person["email"], "label": "Council e-mail"}]
        if person["profile_url"]:
            item["sources"] = [{"url": person["profile_url"], "note": "council profile page"}]
        persons.append(item)

    organizations = []
    for council in data.councils:
        org: dict[str, Any] = {"id": _council_org(council["code"]), "name": council["name"], "classification": "council",
                               "identifiers": [{"scheme": "local-authority-code", "identifier": council["code"]}]}  # fmt: skip
        if council["gss"]:
            org["identifiers"].insert(0, {"scheme": "gss", "identifier": council["gss"]})
        organizations.append(org)
    used_parties = sorted({m.party_id for m in data.memberships if m.party_id is not None},
                          key=lambda pid: data.parties[pid].key)  # fmt: skip
    organizations += [{"id": _party_org(data.parties[pid].key), "name": data.parties[pid].name,
                       "classification": "party"} for pid in used_parties]  # fmt: skip

    slugs = {p["councillor_id"]: p["slug"] for p in data.councillors}
    memberships = []
    for m in sorted(data.memberships, key=lambda m: m.id):
        ward = data.wards[m.ward_id]
        council = data.council_by_id[ward.council_id]
        item = {"id": f"membership:{m.id}", "person_id": slugs[m.councillor_id],
                "organization_id": _council_org(council.code), "role": "councillor",
                "area": {"id": f"ward:{m.ward_id}", "name": ward.name, "classification": "ward"}}  # fmt: skip
        if ward.gss:
            item["area"]["identifier"] = ward.gss
        if m.party_id is not None:
            item["on_behalf_of_id"] = _party_org(data.parties[m.party_id].key)
        item["start_date"] = m.start_date.isoformat()
        if m.end_date is not None:
            item["end_date"] = m.end_date.isoformat()
        memberships.append(item)
    return {"persons": persons, "organizations": organizations, "memberships": memberships}


def _council_org(code: str) -> str:
    return f"council:{code}"


def _party_org(key: str) -> str:
    return f"party:{key}"


# ---------------------------------------------------------------------------------------
# The SQLite database: the published tables only, from the models' own schema.
# ---------------------------------------------------------------------------------------

COPY_BATCH = 5000


def published_metadata() -> MetaData:
    """The published tables' schema; columns pointing at unpublished tables (``run_id``) are left out."""
    meta = MetaData(naming_convention=NAMING_CONVENTION)
    for name in PUBLISHED_TABLES:
        source = Base.metadata.tables[name]
        columns = []
        for col in source.columns:
            targets = {fk.column.table.name for fk in col.foreign_keys}
            if targets - set(PUBLISHED_TABLES):
                continue
            columns.append(SAColumn(col.name, col.type, *(ForeignKey(fk.target_fullname) for fk in col.foreign_keys),
                                    primary_key=col.primary_key, nullable=col.nullable, index=col.index,
                                    unique=col.unique))  # fmt: skip
        kept = {c.name for c in columns}
        uniques = [UniqueConstraint(*(c.name for c in uq.columns)) for uq in source.constraints
                   if isinstance(uq, UniqueConstraint) and {c.name for c in uq.columns} <= kept
                   and len(uq.columns) > 1]  # fmt: skip
        Table(name, meta, *columns, *uniques)
    return meta


def write_sqlite(session: Session, path: Path) -> Path:
    """Copy the published tables into a fresh SQLite file at ``path``, in batches, then VACUUM it.

    The schema is created by SQLAlchemy from the models; rows are read through the
    session (SQLite or PostgreSQL alike) and written with the SQLite driver directly,
    each value converted by the column type's own SQLite bind processing (so times are
    stored exactly as the application stores them in SQLite).
    """
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    meta = published_metadata()
    dialect = sqlite_dialect()
    quote = dialect.identifier_preparer.quote
    # From SQLite, the stored values are already in SQLite's form: copied as they are.
    as_stored = session.get_bind().dialect.name == "sqlite"
    try:
        dest = sqlite3.connect(tmp, isolation_level=None)
        try:
            dest.execute("PRAGMA synchronous=OFF")  # a scratch file until it is moved into place
            dest.execute("BEGIN")
            for table in meta.sorted_tables:  # the tables now, their indexes once they are filled
                dest.execute(str(CreateTable(table).compile(dialect=dialect)))
            for table in meta.sorted_tables:
                source = Base.metadata.tables[table.name]
                processors = [] if as_stored else [
                    (i, p) for i, c in enumerate(table.columns)
                    if (p := c.type.dialect_impl(dialect).bind_processor(dialect)) is not None
                ]  # fmt: skip
                sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in table.columns)}) "
                       f"VALUES ({', '.join('?' for _ in table.columns)})")  # fmt: skip
                columns = [source.c[c.name] for c in table.columns]
                if as_stored:
                    columns = [type_coerce(c, NullType()).label(c.name) for c in columns]
                query = select(*columns).order_by(*source.primary_key.columns)
                for rows in session.execute(query.execution_options(yield_per=COPY_BATCH)).partitions():
                    if processors:
                        rows = [list(row) for row in rows]
                        for values in rows:
                            for i, process in processors:
                                values[i] = process(values[i])
                    dest.executemany(sql, rows)
            for table in meta.sorted_tables:
                for index in sorted(table.indexes, key=lambda ix: ix.name):
                    dest.execute(str(CreateIndex(index).compile(dialect=dialect)))
            if dest.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise RuntimeError("the copy has rows whose foreign keys point nowhere")
            dest.execute("COMMIT")
            dest.execute("VACUUM")
        finally:
            dest.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------------------------------
# The schema of directory.json and the README (data dictionary and licence notes).
# ---------------------------------------------------------------------------------------

_JSON_TYPES = {
    "text": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "datetime": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"},
    "list": {"type": "array", "items": {"type": "string"}},
}


def _record_schema(table: str, scopes: tuple[str, ...] = ("councillor", "both"), **extra: dict) -> dict:
    properties = {}
    for column in (c for c in COLUMNS[table] if c.scope in scopes):
        schema = dict(_JSON_TYPES[column.type], description=column.description)
        if column.optional:
            schema["type"] = [schema["type"], "null"]
        properties[column.name] = schema
    properties.update(extra)
    return {"type": "object", "required": list(properties), "additionalProperties": False, "properties": properties}


def directory_schema() -> dict:
    """A JSON Schema (2020-12) for directory.json and the per-council JSON files."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Councillors Online: the directory",
        "type": "object",
        "required": ["generated_at", "licence", "councils", "councillors"],
        "additionalProperties": False,
        "properties": {
            "generated_at": _JSON_TYPES["datetime"],
            "licence": {"type": "object", "required": ["name", "url", "attribution"],
                        "properties": {k: {"type": "string"} for k in ("name", "url", "attribution")}},  # fmt: skip
            "councils": {"type": "array", "items": {"$ref": "#/$defs/council"}},
            "councillors": {"type": "array", "items": {"$ref": "#/$defs/councillor"}},
        },
        "$defs": {
            "council": _record_schema("councils"),
            "councillor": _record_schema("councillors",
                                         memberships={"type": "array", "items": {"$ref": "#/$defs/membership"}},
                                         accounts={"type": "array", "items": {"$ref": "#/$defs/account"}}),
            "membership": _record_schema("councillors", ("membership", "both")),
            "account": _record_schema("accounts"),
        },
    }


def columns_markdown() -> str:
    """The column tables of the data dictionary, as Markdown (also pasted into docs/open-data.md)."""
    titles = {
        "councils": "councils.csv, and `councils` in the JSON files",
        "councillors": "councillors.csv and councils/&lt;code&gt;.csv (one row per membership), and `councillors` "
                       "and their `memberships` in the JSON files",
        "accounts": "accounts.csv, and `accounts` within each councillor in the JSON files",
    }
    where = {"councillor": "councillor", "membership": "`memberships`", "both": "both"}
    parts = []
    for table, columns in COLUMNS.items():
        if table == "councillors":
            parts.append(f"### {titles[table]}\n\n| Column | Type | May be empty | In JSON, on | Meaning |\n"
                         "|---|---|---|---|---|")
            parts += [f"| `{c.name}` | {c.type} | {'yes' if c.optional else ''} | {where[c.scope]} | {c.description} |"
                      for c in columns]  # fmt: skip
        else:
            parts.append(f"### {titles[table]}\n\n| Column | Type | May be empty | Meaning |\n|---|---|---|---|")
            parts += [f"| `{c.name}` | {c.type} | {'yes' if c.optional else ''} | {c.description} |" for c in columns]
        parts.append("")
    parts.append("Types: " + " ".join(f"**{name}**: {text}" for name, text in TYPES.items()))
    return "\n".join(parts) + "\n"


def _sqlite_markdown() -> str:
    lines = ["| Table | Columns | Holds |", "|---|---|---|"]
    tables = published_metadata().tables
    for table in (tables[name] for name in PUBLISHED_TABLES):
        lines.append(f"| `{table.name}` | {', '.join(f'`{c.name}`' for c in table.columns)} | {TABLE_NOTES[table.name]} |")
    return "\n".join(lines) + "\n"


def readme(generated_at: datetime) -> str:
    """The README written beside the downloads: files, formats, the data dictionary and licence notes."""
    sources = "\n".join(
        f"- **{s['name']}**, <{s['url']}> (commit `{s['commit']}`): {s['used_for']}. Licence: {s['licence']}."
        for s in REGISTRY_SOURCES
    )
    return f"""# Councillors Online: open data

Generated {_timestamp(generated_at)}. Licence: [{LICENCE['name']}]({LICENCE['url']}); see "Licence" below.

## Files

| File | What it holds | Opens with |
|---|---|---|
| `councillors.csv` | One row per membership (a time in one ward with one party label), current and former, with the councillor's contacts as the council publishes them and their activity | any spreadsheet; Python's `csv` module |
| `accounts.csv` | One row per current link between a councillor and an account, with its evidence level and latest activity figures | as above |
| `councils.csv` | One row per council in the registry, with counts | as above |
| `councils/<code>.csv` | One council's rows of `councillors.csv` (`<code>` is the register code in lower case) | as above |
| `directory.json` | Councils, and councillors with their memberships and accounts nested; valid against `directory.schema.json` | any JSON reader |
| `councils/<code>.json` | The same for one council | any JSON reader |
| `popolo.json` | Persons, organizations (councils and parties) and every membership period, in the [Popolo](http://www.popoloproject.com/) format | any JSON reader; Popolo tools |
| `cllr.sqlite3` | The published tables of the database, history included | `sqlite3`, DB Browser for SQLite, Datasette |

## Formats

- **CSV**: plain UTF-8 (no byte-order mark), a header row, fields quoted only when needed
  and CRLF line ends (RFC 4180). Empty means none or unknown. To stop spreadsheets running
  text as formulas, a text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
  return (and is not a plain number), or with `'`, is written with one `'` in front:
  remove one leading `'` to get the value back. Numbers are never changed.
- **JSON**: UTF-8, written by a JSON encoder. Times are UTC (`YYYY-MM-DDTHH:MM:SSZ`),
  dates `YYYY-MM-DD`, missing values `null`. Text is as the source gave it (no `'` prefix).
- **Popolo**: `persons` (`id` is the councillor's slug; `other_names` their former names;
  `links` their *confirmed* accounts, `note` the platform; `contact_details` only the
  council-published e-mail; `sources` the council profile page), `organizations` (each
  council, classification `council`, identifiers `gss` and `local-authority-code`; each
  party, classification `party`) and `memberships` (one per membership period: the
  council, `on_behalf_of_id` the party, `area` the ward, `start_date`/`end_date`).
- **SQLite**: the tables below, copied from the live database. The `run_id` columns are
  left out (the run ledger is not published); `source_url` is kept on every fact.
  Accounts with `status` = `merged` are included as history; they are never current.

## Data dictionary

{columns_markdown()}
### cllr.sqlite3

{_sqlite_markdown()}
## Licence

The compiled data is offered under the **{LICENCE['name']}** licence
(<{LICENCE['url']}>). Attribute it as: *{LICENCE['attribution']}*

Sources, which reusers must credit too:

{sources}
- **Councils' own websites**: councillors' names, wards, party labels, profile pages and
  the contact e-mail addresses councils publish. The page each fact was read from is kept
  (`source_url` in `cllr.sqlite3`). Where a council publishes under the Open Government
  Licence v3.0: *Contains public sector information licensed under the Open Government
  Licence v3.0.*
- **Social platforms' public profiles**: handles, stable ids, follower counts and the
  times of posts, from which the activity figures are counted. No post text is kept.

This is personal data about people in public office. Reuse it for their public role, and
mind data-protection law (UK GDPR) where it applies to you.

## What is never included

Home addresses, phone numbers, post text, photos (only the council's photo URL is in
the database), the pipeline's run ledger, quarantined rosters, suggestions awaiting
review, and the HTTP cache.
"""
