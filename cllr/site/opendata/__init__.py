"""Open-data downloads: the directory as CSV, JSON, Popolo JSON and a SQLite database (with
Datasette's ``metadata.json`` beside it, so that it opens described, searchable and with its views).

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
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cllr.evidence import COUNTED_ROLES, LEVELS, confirmed
from cllr.roles import KIND_NAMES, roles
from cllr.site.opendata.api import file_stem, write_api
from cllr.site.opendata.datasette import FILE as DATASETTE_FILE
from cllr.site.opendata.datasette import datasette_metadata
from cllr.site.opendata.dictionary import COLUMNS, LICENCE, csv_value, json_value, timestamp, written_handle
from cllr.site.opendata.readme import directory_schema, readme
from cllr.site.opendata.sqlite import FILE_NAME, write_sqlite
from models import (
    AccountEvidence,
    AccountMetric,
    Council,
    Councillor,
    FormerName,
    Membership,
    Party,
    RunStep,
    SocialAccount,
    Ward,
)
from models.accounts import GONE
from models.links import link_level

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
        AccountMetric.account_id,
        AccountMetric.as_of,
        AccountMetric.posts_7d,
        AccountMetric.posts_30d,
        AccountMetric.posts_90d,
        AccountMetric.replies_30d,
        AccountMetric.last_post_at,
        AccountMetric.followers,
        AccountMetric.followers_change_30d,
        AccountMetric.complete,
    ).join(
        latest_day, (AccountMetric.account_id == latest_day.c.account_id) & (AccountMetric.as_of == latest_day.c.as_of)
    )
    return {row.account_id: row for row in session.execute(query)}


def _read(session: Session) -> _Data:
    council_by_id = {
        row.id: row
        for row in session.execute(
            select(
                Council.id,
                Council.code,
                Council.gss,
                Council.name,
                Council.nation,
                Council.council_type,
                Council.seats,
                Council.roster_seats,
                Council.roster_seats_on,
                Council.fictional,
            )
        )
    }
    last_steps = {
        step.council_id: step
        for step in session.scalars(select(RunStep).where(RunStep.stage == "roster").order_by(RunStep.id))
    }
    vacant = dict(
        session.execute(
            select(Ward.council_id, func.sum(Ward.vacant_seats)).where(Ward.vacant_seats > 0).group_by(Ward.council_id)
        ).all()
    )
    wards = {row.id: row for row in session.execute(select(Ward.id, Ward.council_id, Ward.name, Ward.gss))}
    parties = {row.id: row for row in session.execute(select(Party.id, Party.key, Party.name))}
    people = list(
        session.execute(
            select(
                Councillor.id,
                Councillor.council_id,
                Councillor.slug,
                Councillor.name,
                Councillor.email,
                Councillor.profile_url,
                Councillor.key_posts,
            )
        )
    )
    memberships_of: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(
        select(
            Membership.id,
            Membership.councillor_id,
            Membership.ward_id,
            Membership.party_id,
            Membership.party_label,
            Membership.start_date,
            Membership.end_date,
            Membership.term_ends,
        ).order_by(Membership.id)
    ):
        memberships_of[row.councillor_id].append(row)
    former_names: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(
        select(FormerName.councillor_id, FormerName.name, FormerName.used_until).order_by(FormerName.id)
    ):
        former_names[row.councillor_id].append(row)
    accounts = {
        row.id: row
        for row in session.execute(
            select(
                SocialAccount.id,
                SocialAccount.platform,
                SocialAccount.handle,
                SocialAccount.url,
                SocialAccount.platform_id,
                SocialAccount.role,
                SocialAccount.status,
                SocialAccount.last_checked_at,
            ).where(SocialAccount.status != "merged")  # shown once, as the account it was merged into
        )
    }
    evidence: dict[int, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for row in session.execute(
        select(
            AccountEvidence.id,
            AccountEvidence.councillor_id,
            AccountEvidence.account_id,
            AccountEvidence.method,
            AccountEvidence.level,
            AccountEvidence.first_seen_at,
            AccountEvidence.withdrawn_at,
        ).order_by(AccountEvidence.id)
    ):
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
        live = [a for a in links if confirmed(a["level"]) and a["status"] not in GONE]  # as on the site
        counted = [a for a in live if a["role"] in COUNTED_ROLES]
        council = council_by_id[person.council_id]
        councillors.append(
            {
                "council_code": council.code,
                "council_name": council.name,
                "council_gss": council.gss or None,
                "councillor_id": person.id,
                "slug": person.slug,
                "name": person.name,
                "current": current_id is not None,
                "profile_url": person.profile_url or None,
                "email": person.email or None,
                "key_posts": list(person.key_posts or []),
                "roles": list(roles(person.key_posts or [])),
                "confirmed_accounts": len(live),
                "active": any((a["posts_30d"] or 0) > 0 for a in counted),
                "posts_30d": sum(a["posts_30d"] or 0 for a in counted),
                "_council_id": person.council_id,
                "_accounts": links,
                "_memberships": [
                    _membership(m, m.id == current_id, wards, parties)
                    for m in sorted(periods, key=lambda m: (m.start_date, m.id))
                ],
            }
        )
    councillors.sort(key=lambda c: (c["council_code"], c["name"].casefold(), c["slug"]))

    by_council: dict[int, list[dict]] = defaultdict(list)
    for person in councillors:
        by_council[person["_council_id"]].append(person)
    councils = []
    for council_id, council in council_by_id.items():  # every council in the registry, read yet or not
        group = by_council.get(council_id, [])
        sitting = [p for p in group if p["current"]]
        active = sum(1 for p in sitting if p["active"])
        seats = council.seats or council.roster_seats or 0
        if seats < len(sitting) or not sitting:  # a stale seat count is no denominator (as on the site);
            seats = 0  # and with nobody listed (a roster not read yet) there is nothing to share out
        councils.append(
            {
                "code": council.code,
                "gss": council.gss or None,
                "name": council.name,
                "nation": council.nation,
                "council_type": council.council_type,
                "seats": council.seats or council.roster_seats,
                "seats_source": "published" if council.seats else "roster" if council.roster_seats else None,
                "seats_counted_on": council.roster_seats_on if council.roster_seats and not council.seats else None,
                "vacant_seats": vacant.get(council_id, 0),
                "roster_status": last_steps[council_id].status if council_id in last_steps else "never read",
                "roster_checked_at": last_steps[council_id].finished_at if council_id in last_steps else None,
                "fictional": bool(council.fictional),
                "councillors": len(sitting),
                "former_councillors": len(group) - len(sitting),
                "with_confirmed_account": sum(1 for p in sitting if p["confirmed_accounts"]),
                "active": active,
                "active_share_of_seats": round(active / seats, 4) if seats else None,
                "_id": council_id,
            }
        )
    councils.sort(key=lambda c: c["code"])
    return _Data(councils, councillors, memberships, former_names, wards, parties, council_by_id)


def _membership(m: Any, current: bool, wards: dict[int, Any], parties: dict[int, Any]) -> dict:
    ward, party = wards[m.ward_id], parties.get(m.party_id) if m.party_id is not None else None
    return {
        "ward": ward.name,
        "ward_gss": ward.gss or None,
        "party": party.name if party else None,
        "party_label": m.party_label or None,
        "start_date": m.start_date,
        "end_date": m.end_date,
        "term_ends": m.term_ends,
        "current": current,
    }


def _links(slug: str, evidence: dict[int, list[Any]], accounts: dict[int, Any], metrics: dict[int, Any]) -> list[dict]:
    """A councillor's current links (some evidence not withdrawn), strongest first."""
    links = []
    for account_id, rows in evidence.items():
        level = link_level(rows)
        if level is None:  # every source has withdrawn it
            continue
        account, metric = accounts[account_id], metrics.get(account_id)
        current = sorted(
            (r for r in rows if r.withdrawn_at is None),
            key=lambda r: (LEVELS.index(r.level) if r.level in LEVELS else len(LEVELS), r.id),
        )
        links.append(
            {
                "councillor_slug": slug,
                "account_id": account_id,
                "platform": account.platform,
                "handle": written_handle(account.handle),
                "url": account.url,
                "platform_id": account.platform_id,
                "role": account.role,
                "level": level,
                "methods": list(dict.fromkeys(r.method for r in current)),
                "first_seen_at": min(r.first_seen_at for r in rows),
                "last_checked_at": account.last_checked_at,
                "status": account.status,
                "metrics_as_of": metric.as_of if metric else None,
                "posts_7d": metric.posts_7d if metric else None,
                "posts_30d": metric.posts_30d if metric else None,
                "posts_90d": metric.posts_90d if metric else None,
                "replies_30d": metric.replies_30d if metric else None,
                "last_post_at": metric.last_post_at if metric else None,
                "followers": metric.followers if metric else None,
                "followers_change_30d": metric.followers_change_30d if metric else None,
                "complete": metric.complete if metric else None,
            }
        )
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
            writer.writerow([csv_value(c, record[c.name]) for c in columns])
    return path


def _json_record(table: str, record: dict, scopes: tuple[str, ...] = ("councillor", "both")) -> dict:
    return {c.name: json_value(c, record[c.name]) for c in COLUMNS[table] if c.scope in scopes}


def _write_json(path: Path, document: dict, indent: int | None = None) -> Path:
    # The json module's encoder (its C version: json.dumps, which json.dump does not use), never a template.
    # ``indent`` for a file people edit by hand (Datasette's metadata); the data stays compact.
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=separators, indent=indent)
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
        "generated_at": timestamp(generated_at),
        "licence": LICENCE,
        "councils": [_json_record("councils", c) for c in councils],
        "councillors": [person["_json"] for person in councillors],
    }


def write_downloads(
    session: Session,
    out_dir: Path,
    generated_at: datetime,
    site_url: str | None = None,
    api_dir: Path | None = None,
) -> list[Path]:
    """Write every download into ``out_dir`` (created if missing); return the paths written.

    ``generated_at`` (timezone-aware) is stamped into the JSON files and the README;
    ``site_url``, the site's public address when known, is the source Datasette credits.
    With ``api_dir``, the static JSON API (cllr.site.opendata.api) is written there from the
    same records.
    """
    timestamp(generated_at)  # refuse a naive time before writing anything
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
        stem = file_stem(council["code"], council["_id"])
        people = by_council[council["_id"]]
        written.append(_write_csv(out_dir / "councils" / f"{stem}.csv", "councillors", _membership_rows(people)))
        written.append(
            _write_json(out_dir / "councils" / f"{stem}.json", _directory_document(generated_at, [council], people))
        )
    if api_dir is not None:
        written += write_api(
            Path(api_dir),
            _write_json,
            generated=timestamp(generated_at),
            licence=LICENCE,
            site_url=site_url,
            councils=[
                (file_stem(c["code"], c["_id"]), _json_record("councils", c), by_council[c["_id"]])
                for c in data.councils
                if by_council[c["_id"]]
            ],
            councillor_json=lambda person: person["_json"],
            schema_defs=directory_schema()["$defs"],
        )
    written.append(write_sqlite(session, out_dir / FILE_NAME))
    written.append(_write_json(out_dir / DATASETTE_FILE, datasette_metadata(site_url), indent=2))
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
            item["other_names"] = [
                {"name": f.name, "end_date": f.used_until.isoformat(), "note": "former name"} for f in former
            ]
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
        org: dict[str, Any] = {
            "id": _council_org(council["code"]),
            "name": council["name"],
            "classification": "council",
            "identifiers": [{"scheme": "local-authority-code", "identifier": council["code"]}],
        }
        if council["gss"]:
            org["identifiers"].insert(0, {"scheme": "gss", "identifier": council["gss"]})
        organizations.append(org)
    used_parties = sorted(
        {m.party_id for m in data.memberships if m.party_id is not None}, key=lambda pid: data.parties[pid].key
    )
    organizations += [
        {"id": _party_org(data.parties[pid].key), "name": data.parties[pid].name, "classification": "party"}
        for pid in used_parties
    ]

    slugs = {p["councillor_id"]: p["slug"] for p in data.councillors}
    memberships = []
    for m in sorted(data.memberships, key=lambda m: m.id):
        ward = data.wards[m.ward_id]
        council = data.council_by_id[ward.council_id]
        item = {
            "id": f"membership:{m.id}",
            "person_id": slugs[m.councillor_id],
            "organization_id": _council_org(council.code),
            "role": "councillor",
            "area": {"id": f"ward:{m.ward_id}", "name": ward.name, "classification": "ward"},
        }
        if ward.gss:
            item["area"]["identifier"] = ward.gss
        if m.party_id is not None:
            item["on_behalf_of_id"] = _party_org(data.parties[m.party_id].key)
        item["start_date"] = m.start_date.isoformat()
        if m.end_date is not None:
            item["end_date"] = m.end_date.isoformat()
        memberships.append(item)
    # Key posts (leader, cabinet member, mayor...): a membership of the council in that role, as Popolo has it.
    for person in data.councillors:
        for number, post in enumerate(person["key_posts"] if person["current"] else [], 1):
            item = {
                "id": f"post:{person['councillor_id']}:{number}",
                "person_id": person["slug"],
                "organization_id": _council_org(person["council_code"]),
                "role": post,
            }
            if kinds := roles([post]):
                item["label"] = "; ".join(KIND_NAMES[kind] for kind in kinds)
            memberships.append(item)
    return {"persons": persons, "organizations": organizations, "memberships": memberships}


def _council_org(code: str) -> str:
    return f"council:{code}"


def _party_org(key: str) -> str:
    return f"party:{key}"
