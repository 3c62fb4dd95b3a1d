"""The open-data downloads open with their standard tools and stay safe with hostile values.

A small directory is built with the models on SQLite and on PostgreSQL; every CSV is read
back with the csv module, the JSON files are checked against their schemas (Popolo's own,
vendored in tests/fixtures/popolo and resolved offline), and the SQLite copy is opened
with sqlite3.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft3Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT3
from sqlalchemy import event, func, select, update

from cllr.site.opendata import write_downloads
from cllr.site.opendata.datasette import index_tables
from cllr.site.opendata.dictionary import (
    COLUMNS,
    FORMULA_STARTS,
    LICENCE,
    PUBLISHED_TABLES,
    REGISTRY_SOURCES,
    defuse_cell,
    restore_cell,
    written_handle,
)
from cllr.site.opendata.readme import columns_markdown
from cllr.site.opendata.sqlite import SEARCHES
from models import (
    AccountChange,
    AccountEvidence,
    AccountMetric,
    AccountSuggestion,
    Council,
    Councillor,
    FormerName,
    Membership,
    Party,
    ProfileSnapshot,
    Run,
    RunStep,
    SocialAccount,
    Ward,
)
from models.base import Base
from models.db import Database

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.date()

HOSTILE_NAME = '=HYPERLINK("http://evil.example","x")'
PLUS_LABEL = "+Independent Alliance"
MINUS_WARD = "-1+2 Ward"
AT_HANDLE = "@jo@social.example"
TAB_NAME = "\t=cmd|' /C calc'!A0"
CR_NAME = "\r=1+1"

CSV_TABLES = {"councils.csv": "councils", "councillors.csv": "councillors", "accounts.csv": "accounts"}


def _build(session) -> dict:
    """Two fictional councils, with the awkward cases; returns a few ids."""
    alpha = Council(
        code="XAA",
        gss="E07999991",
        name="Alpha District Council",
        common_name="Alpha",
        nation="England",
        council_type="NMD",
        cms="moderngov",
        scraper_class="moderngov",
        seats=3,
        fictional=True,
    )
    beta = Council(
        code="XAB",
        name="Cyngor Sir Bêta",
        common_name="Bêta",
        nation="Wales",
        council_type="WPA",
        cms="cmis",
        scraper_class="cmis",
        fictional=True,
    )
    unread = Council(
        code="XAC",
        name="Gamma Council",
        common_name="Gamma",
        nation="Scotland",
        council_type="SCO",
        cms="html",
        scraper_class="html",
        seats=40,
        fictional=True,
    )  # no roster read yet
    run = Run(trigger="test", status="finished", started_at=NOW, finished_at=NOW)
    session.add_all([alpha, beta, unread, run])
    session.flush()
    session.add(RunStep(run_id=run.id, stage="roster", council_id=alpha.id, status="applied", started_at=NOW))
    north = Ward(council_id=alpha.id, key="north", name="North", gss="E05999991")
    minus = Ward(council_id=alpha.id, key="minus", name=MINUS_WARD)
    llan = Ward(council_id=beta.id, key="llan", name="Llanfair")
    labour = Party(key="labour", name="Labour", colour="#d50000")
    local = Party(key="local-independent-alliance", name=PLUS_LABEL)
    green = Party(key="green", name="Green Party", colour="#02a95b")
    session.add_all([north, minus, llan, labour, local, green])
    session.flush()

    def person(council, slug, name, **kw):
        row = Councillor(
            council_id=council.id,
            source_id=slug,
            slug=slug,
            name=name,
            raw_name=name,
            run_id=run.id,
            source_url=f"https://{council.code.lower()}.example/{slug}",
            **kw,
        )
        session.add(row)
        session.flush()
        return row

    hostile = person(
        alpha, "xaa-hostile", HOSTILE_NAME, email="hostile@alpha.example", profile_url="https://alpha.example/cllr/1"
    )
    plus = person(alpha, "xaa-plus", "Sián Plus")
    former = person(beta, "xab-former", "Gwen Former", email="gwen@beta.example")
    switcher = person(beta, "xab-switcher", TAB_NAME)
    carriage = person(beta, "xab-carriage", CR_NAME)
    session.add_all(
        [
            Membership(
                councillor_id=hostile.id,
                ward_id=minus.id,
                party_id=labour.id,
                party_label="Labour",
                start_date=date(2026, 5, 7),
            ),
            Membership(
                councillor_id=plus.id,
                ward_id=north.id,
                party_id=local.id,
                party_label=PLUS_LABEL,
                start_date=date(2026, 5, 7),
            ),
            Membership(
                councillor_id=former.id,
                ward_id=llan.id,
                party_id=green.id,
                party_label="Green",
                start_date=date(2022, 5, 5),
                end_date=date(2026, 9, 1),
                end_reason="not_in_source",
            ),
            Membership(
                councillor_id=switcher.id,
                ward_id=llan.id,
                party_id=labour.id,
                party_label="Welsh Labour",
                start_date=date(2022, 5, 5),
                end_date=date(2026, 6, 1),
                end_reason="changed",
            ),
            Membership(
                councillor_id=switcher.id, ward_id=llan.id, party_id=None, party_label="", start_date=date(2026, 6, 1)
            ),
            Membership(
                councillor_id=carriage.id,
                ward_id=llan.id,
                party_id=green.id,
                party_label="Green",
                start_date=date(2022, 5, 5),
            ),
        ]
    )
    session.add(
        FormerName(
            councillor_id=former.id, name="Gwen Maiden", raw_name="Cllr Gwen Maiden", used_until=date(2024, 3, 1)
        )
    )

    def account(key, platform, handle, url, role="councillor", status="active", last_checked_at=NOW, **kw):
        row = SocialAccount(
            key=key,
            platform=platform,
            handle=handle,
            url=url,
            role=role,
            status=status,
            first_seen_at=NOW - timedelta(days=60),
            last_checked_at=last_checked_at,
            **kw,
        )
        session.add(row)
        session.flush()
        return row

    sky = account(
        "bluesky:hostile.example",
        "bluesky",
        "hostile.example",
        "https://bsky.app/profile/hostile.example",
        platform_id="did:plc:hostile",
    )
    merged = account(
        "bluesky:old.example",
        "bluesky",
        "old.example",
        "https://bsky.app/profile/old.example",
        status="merged",
        platform_id="did:plc:hostile",
    )
    masto = account("mastodon:jo@social.example", "mastodon", AT_HANDLE, "https://social.example/@jo")
    tube = account("youtube:channel:UCplus", "youtube", "UCplus", "https://www.youtube.com/channel/UCplus")
    campaign = account(
        "web:https://greens.example", "web", "greens.example", "https://greens.example/", role="campaign"
    )
    facebook = account(
        "facebook:switcher",
        "facebook",
        "switcher",
        "https://www.facebook.com/switcher",
        status="unsupported",
        last_checked_at=None,
    )

    def evidence(councillor, acct, method, level, withdrawn=False):
        session.add(
            AccountEvidence(
                councillor_id=councillor.id,
                account_id=acct.id,
                method=method,
                level=level,
                source_url=f"https://source.example/{councillor.slug}/{method}",
                first_seen_at=NOW - timedelta(days=50),
                last_seen_at=NOW,
                last_checked_at=NOW,
                withdrawn_at=NOW if withdrawn else None,
                run_id=run.id,
            )
        )

    evidence(hostile, sky, "council_profile", "listed")
    evidence(hostile, sky, "self_claim", "verified")
    evidence(hostile, sky, "rel_me", "verified", withdrawn=True)
    evidence(hostile, merged, "council_roster", "listed")  # a merged row: history, never current
    evidence(plus, masto, "council_profile", "listed", withdrawn=True)  # every source withdrew it
    evidence(plus, tube, "name_match", "unconfirmed")
    evidence(former, campaign, "council_profile", "listed")
    evidence(switcher, facebook, "council_roster", "listed")
    session.add_all(
        [
            AccountMetric(
                account_id=sky.id,
                as_of=TODAY - timedelta(days=1),
                posts_7d=1,
                posts_30d=2,
                posts_90d=3,
                replies_30d=0,
                followers=100,
                followers_change_30d=1,
                complete=True,
            ),
            AccountMetric(
                account_id=sky.id,
                as_of=TODAY,
                posts_7d=2,
                posts_30d=5,
                posts_90d=9,
                replies_30d=1,
                last_post_at=NOW - timedelta(hours=3),
                followers=97,
                followers_change_30d=-3,
                complete=True,
            ),
            AccountMetric(
                account_id=tube.id,
                as_of=TODAY,
                posts_7d=1,
                posts_30d=4,
                posts_90d=4,
                replies_30d=0,
                followers=10,
                complete=False,
            ),
            AccountMetric(account_id=campaign.id, as_of=TODAY, posts_7d=0, posts_30d=6, posts_90d=6, replies_30d=0),
            ProfileSnapshot(account_id=sky.id, taken_at=NOW, followers=97, following=5, posts_total=300),
            AccountChange(account_id=merged.id, field="merged_into", old=None, new=sky.key, changed_at=NOW),
            AccountSuggestion(
                councillor_id=plus.id,
                platform="bluesky",
                key="bluesky:other.example",
                handle="other.example",
                url="https://bsky.app/profile/other.example",
                method="name_match",
                source_url="https://source.example/s",
                reason="review me",
            ),
        ]
    )
    return {"sky": sky.id, "merged": merged.id, "masto": masto.id, "tube": tube.id, "campaign": campaign.id}


@pytest.fixture
def downloads(database_url, tmp_path):
    db = Database(database_url)
    db.migrate()
    with db.session() as session:
        ids = _build(session)
    out = tmp_path / "site" / "data"
    with db.session() as session:
        written = write_downloads(session, out, NOW)
        counts = {
            t: session.scalar(select(func.count()).select_from(Base.metadata.tables[t])) for t in PUBLISHED_TABLES
        }
    db.dispose()
    return {"out": out, "written": written, "ids": ids, "counts": counts}


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    return reader.fieldnames, rows


def csv_files(out: Path) -> dict[Path, str]:
    files = {out / name: table for name, table in CSV_TABLES.items()}
    files.update(dict.fromkeys((out / "councils").glob("*.csv"), "councillors"))
    return files


# --- cells ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (HOSTILE_NAME, "'" + HOSTILE_NAME),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'quoted", "''quoted"),
        ("-3", "-3"),  # a plain number is not a formula
        ("+1.5", "+1.5"),
        ("-3+2", "'-3+2"),
        ("Plain text", "Plain text"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_a_cell_that_could_run_as_a_formula_is_defused(value, written):
    assert defuse_cell(value) == written
    assert restore_cell(written) == value


@given(st.text())
def test_defusing_can_always_be_undone_and_leaves_no_formula(value):
    cell = defuse_cell(value)
    assert restore_cell(cell) == value
    assert not cell.startswith(FORMULA_STARTS) or re.fullmatch(r"[+-]?[0-9]+(\.[0-9]+)?", cell)


# --- the files ---------------------------------------------------------------------------


def test_write_downloads_returns_every_file_it_wrote(downloads):
    out = downloads["out"]
    on_disk = {p for p in out.rglob("*") if p.is_file()}
    assert set(downloads["written"]) == on_disk
    assert len(downloads["written"]) == len(on_disk)  # each once
    names = {p.relative_to(out).as_posix() for p in on_disk}
    assert names == {
        "councils.csv",
        "councillors.csv",
        "accounts.csv",
        "directory.json",
        "directory.schema.json",
        "popolo.json",
        "cllr.sqlite3",
        "metadata.json",
        "README.md",
        "councils/xaa.csv",
        "councils/xaa.json",
        "councils/xab.csv",
        "councils/xab.json",
        "councils/xac.csv",
        "councils/xac.json",
    }  # (no temporary files left, no -wal or -journal beside the database)


def test_every_csv_opens_with_the_csv_module_and_has_the_dictionarys_columns(downloads):
    for path, table in csv_files(downloads["out"]).items():
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")  # plain UTF-8, no BOM
        assert raw.endswith(b"\r\n") and raw.count(b"\n") == raw.count(b"\r\n")  # CRLF line ends
        header, rows = read_csv(path)
        assert header == [c.name for c in COLUMNS[table]], path
        assert all(None not in row and len(row) == len(header) for row in rows)
    _, people = read_csv(downloads["out"] / "councillors.csv")
    assert len(people) == 6  # one row per membership: five councillors, one of them with two
    assert len({p["slug"] for p in people}) == 5
    _, councils = read_csv(downloads["out"] / "councils.csv")
    assert [c["code"] for c in councils] == ["XAA", "XAB", "XAC"]  # every council in the registry


def test_a_hostile_name_round_trips_as_text_and_numbers_stay_numbers(downloads):
    out = downloads["out"]
    _, people = read_csv(out / "councillors.csv")
    by_slug = {p["slug"]: p for p in people}  # the latest membership of each
    hostile = by_slug["xaa-hostile"]
    assert hostile["name"] == "'" + HOSTILE_NAME and restore_cell(hostile["name"]) == HOSTILE_NAME
    assert hostile["ward"] == "'" + MINUS_WARD and restore_cell(hostile["ward"]) == MINUS_WARD
    assert by_slug["xaa-plus"]["party_label"] == "'" + PLUS_LABEL and by_slug["xaa-plus"]["party"] == "'" + PLUS_LABEL
    assert restore_cell(by_slug["xab-switcher"]["name"]) == TAB_NAME
    assert restore_cell(by_slug["xab-carriage"]["name"]) == CR_NAME  # a CR inside a cell survives the quoting
    _, accounts = read_csv(out / "accounts.csv")
    sky = next(a for a in accounts if a["platform"] == "bluesky")
    assert sky["followers_change_30d"] == "-3" and int(sky["followers_change_30d"]) == -3
    assert int(sky["followers"]) == 97 and int(sky["posts_30d"]) == 5
    # No cell anywhere starts a formula.
    for path in csv_files(out):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert not cell.startswith(FORMULA_STARTS) or re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", cell), (
                        path,
                        cell,
                    )
    # JSON carries the values as they are.
    directory = json.loads((out / "directory.json").read_text(encoding="utf-8"))
    assert HOSTILE_NAME in {p["name"] for p in directory["councillors"]}


def test_links_follow_the_sites_rules(downloads):
    out, ids = downloads["out"], downloads["ids"]
    _, accounts = read_csv(out / "accounts.csv")
    linked = {(a["councillor_slug"], int(a["account_id"])): a for a in accounts}
    facebook_id = next(int(a["account_id"]) for a in accounts if a["platform"] == "facebook")
    assert set(linked) == {
        ("xaa-hostile", ids["sky"]),
        ("xaa-plus", ids["tube"]),
        ("xab-former", ids["campaign"]),
        ("xab-switcher", facebook_id),
    }
    assert ids["merged"] not in {int(a["account_id"]) for a in accounts}  # merged: not published as an account
    assert ids["masto"] not in {int(a["account_id"]) for a in accounts}  # every source withdrew it
    sky = linked[("xaa-hostile", ids["sky"])]
    assert sky["level"] == "verified" and sky["methods"] == "self_claim; council_profile"  # the withdrawn one left out
    assert sky["metrics_as_of"] == TODAY.isoformat() and sky["last_post_at"] == "2026-11-20T09:00:00Z"
    assert linked[("xaa-plus", ids["tube"])]["level"] == "unconfirmed"
    assert linked[("xaa-plus", ids["tube"])]["complete"] == "false"
    facebook = next(a for a in accounts if a["platform"] == "facebook")
    assert facebook["posts_30d"] == "" and facebook["last_checked_at"] == ""  # not measured: empty, not 0

    _, people = read_csv(out / "councillors.csv")
    by_slug = {p["slug"]: p for p in people}  # the latest membership of each
    assert (by_slug["xaa-hostile"]["active"], by_slug["xaa-hostile"]["posts_30d"]) == ("true", "5")
    assert by_slug["xaa-hostile"]["confirmed_accounts"] == "1"
    # An unconfirmed name match and a campaign account do not make anyone active.
    assert (by_slug["xaa-plus"]["active"], by_slug["xaa-plus"]["confirmed_accounts"]) == ("false", "0")
    assert (by_slug["xab-former"]["active"], by_slug["xab-former"]["posts_30d"]) == ("false", "0")
    assert (by_slug["xab-former"]["current"], by_slug["xab-former"]["end_date"]) == ("false", "2026-09-01")
    switcher = [
        (p["current"], p["party"], p["party_label"], p["start_date"], p["end_date"], p["confirmed_accounts"])
        for p in people
        if p["slug"] == "xab-switcher"
    ]  # one row per membership, oldest first
    assert switcher == [
        ("false", "Labour", "Welsh Labour", "2022-05-05", "2026-06-01", "1"),
        ("true", "", "", "2026-06-01", "", "1"),
    ]  # the second: no party recorded

    _, councils = read_csv(out / "councils.csv")
    alpha, beta, unread = councils
    assert (alpha["councillors"], alpha["with_confirmed_account"], alpha["active"]) == ("2", "1", "1")
    assert float(alpha["active_share_of_seats"]) == pytest.approx(1 / 3, abs=1e-4)
    assert (beta["councillors"], beta["former_councillors"], beta["active_share_of_seats"]) == ("2", "1", "")
    assert (unread["councillors"], unread["active"], unread["active_share_of_seats"]) == ("0", "0", "")  # not 0%


def test_per_council_files_hold_only_their_council(downloads):
    out = downloads["out"]
    for code in ("XAA", "XAB"):
        _, rows = read_csv(out / "councils" / f"{code.lower()}.csv")
        assert rows and {r["council_code"] for r in rows} == {code}
        document = json.loads((out / "councils" / f"{code.lower()}.json").read_text(encoding="utf-8"))
        assert [c["code"] for c in document["councils"]] == [code]
        assert {p["council_code"] for p in document["councillors"]} == {code}
        assert {a["councillor_slug"] for p in document["councillors"] for a in p["accounts"]} <= {
            p["slug"] for p in rows
        }
    # A council we list nobody for still has its files (the site links them): a header, an empty list.
    header, rows = read_csv(out / "councils" / "xac.csv")
    assert header == [c.name for c in COLUMNS["councillors"]] and rows == []
    assert json.loads((out / "councils" / "xac.json").read_text(encoding="utf-8"))["councillors"] == []
    _, everyone = read_csv(out / "councillors.csv")
    assert sum(len(read_csv(p)[1]) for p in (out / "councils").glob("*.csv")) == len(everyone)


def test_directory_json_is_valid_against_its_schemas(downloads):
    out = downloads["out"]
    raw = (out / "directory.json").read_bytes()
    assert "Sián Plus".encode() in raw and "Bêta".encode() in raw  # UTF-8, not \\u escapes
    written_by_hand = json.loads((FIXTURES / "opendata" / "directory.schema.json").read_text(encoding="utf-8"))
    published = json.loads((out / "directory.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(published)
    for path in [out / "directory.json", *(out / "councils").glob("*.json")]:
        document = json.loads(path.read_text(encoding="utf-8"))
        for schema in (written_by_hand, published):
            errors = list(Draft202012Validator(schema).iter_errors(document))
            assert not errors, (path, [e.message for e in errors[:3]])
    document = json.loads(raw)
    assert document["generated_at"] == "2026-11-20T12:00:00Z" and document["licence"] == LICENCE
    people = {p["slug"]: p for p in document["councillors"]}
    assert len(people) == len(document["councillors"]) == 5  # one entry per councillor
    columns = COLUMNS["councillors"]
    assert set(people["xaa-hostile"]) == {c.name for c in columns if c.scope != "membership"} | {
        "memberships",
        "accounts",
    }
    assert set(people["xaa-hostile"]["memberships"][0]) == {c.name for c in columns if c.scope != "councillor"}
    sky = people["xaa-hostile"]["accounts"][0]
    assert sky["followers_change_30d"] == -3 and sky["methods"] == ["self_claim", "council_profile"]
    switcher = people["xab-switcher"]
    assert switcher["current"] is True and people["xab-former"]["current"] is False
    assert [(m["party"], m["end_date"], m["current"]) for m in switcher["memberships"]] == [
        ("Labour", "2026-06-01", False),
        (None, None, True),
    ]


def _popolo_registry() -> Registry:
    resources = []
    for path in (FIXTURES / "popolo").glob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT3)
        uri = contents["id"].rstrip("#")
        resources += [(uri, resource), (uri.replace("://www.", "://"), resource)]
    return Registry().with_resources(resources)  # no retrieve: an unknown $ref fails, nothing is fetched


def test_popolo_json_is_valid_against_the_popolo_schemas(downloads):
    document = json.loads((downloads["out"] / "popolo.json").read_text(encoding="utf-8"))
    assert set(document) == {"persons", "organizations", "memberships"}
    registry = _popolo_registry()
    validators = {}
    for kind, schema in (("persons", "person"), ("organizations", "organization"), ("memberships", "membership")):
        contents = json.loads((FIXTURES / "popolo" / f"{schema}.json").read_text(encoding="utf-8"))
        Draft3Validator.check_schema(contents)
        validators[kind] = Draft3Validator(contents, registry=registry, format_checker=Draft3Validator.FORMAT_CHECKER)
        assert document[kind]
        for item in document[kind]:
            errors = list(validators[kind].iter_errors(item))
            assert not errors, (kind, item, [e.message for e in errors])
    # The validators do check: a contact detail without a value, or a bad date, is refused.
    assert not validators["persons"].is_valid({"id": "x", "contact_details": [{"type": "email"}]})
    assert not validators["memberships"].is_valid({"organization_id": "council:XAA", "start_date": "7 May 2026"})

    persons = {p["id"]: p for p in document["persons"]}
    organizations = {o["id"]: o for o in document["organizations"]}
    assert persons["xaa-hostile"]["name"] == HOSTILE_NAME
    assert persons["xaa-hostile"]["links"] == [{"url": "https://bsky.app/profile/hostile.example", "note": "bluesky"}]
    assert persons["xaa-hostile"]["contact_details"] == [
        {"type": "email", "value": "hostile@alpha.example", "label": "Council e-mail"}
    ]
    assert "links" not in persons["xaa-plus"]  # a name match only: not published as the person's link
    assert persons["xab-former"]["other_names"] == [
        {"name": "Gwen Maiden", "end_date": "2024-03-01", "note": "former name"}
    ]
    assert all(d["type"] == "email" for p in persons.values() for d in p.get("contact_details", []))
    assert organizations["council:XAA"]["classification"] == "council"
    assert {"scheme": "gss", "identifier": "E07999991"} in organizations["council:XAA"]["identifiers"]
    assert {o["id"] for o in organizations.values() if o["classification"] == "party"} == {
        "party:labour",
        "party:green",
        "party:local-independent-alliance",
    }
    assert len(document["memberships"]) == 6  # every period, ended ones too
    for m in document["memberships"]:
        assert m["person_id"] in persons and m["organization_id"] in organizations
        assert m.get("on_behalf_of_id") is None or organizations[m["on_behalf_of_id"]]["classification"] == "party"
        assert m["area"]["name"] and m["role"] == "councillor"
    switcher = [m for m in document["memberships"] if m["person_id"] == "xab-switcher"]
    assert [(m.get("on_behalf_of_id"), m["start_date"], m.get("end_date")) for m in switcher] == [
        ("party:labour", "2022-05-05", "2026-06-01"),
        (None, "2026-06-01", None),
    ]
    assert "old.example" not in json.dumps(document)  # the merged row is not published


def test_the_sqlite_copy_holds_the_published_tables_only(downloads):
    path = downloads["out"] / "cllr.sqlite3"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        indexes = {name for search in SEARCHES for name in index_tables(search)}
        assert tables == set(PUBLISHED_TABLES) | indexes  # and the search indexes' own (tests/test_datasette.py)
        for table in PUBLISHED_TABLES:
            assert conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == downloads["counts"][table], table
            columns = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
            assert "run_id" not in columns  # the run ledger is not published
            assert not [c for c in columns if re.search(r"address|phone|tel|mobile|postcode", c)]
        assert conn.execute("SELECT name FROM councillor WHERE slug = 'xaa-hostile'").fetchone() == (HOSTILE_NAME,)
        # Merged accounts are kept as history, marked as such.
        merged = conn.execute(
            "SELECT status FROM social_account WHERE id = ?", (downloads["ids"]["merged"],)
        ).fetchone()
        assert merged == ("merged",)
        # Times are UTC with their zone, as in the CSV and JSON files, and dates plain, whatever the source.
        assert conn.execute(
            "SELECT DISTINCT withdrawn_at FROM account_evidence WHERE withdrawn_at IS NOT NULL"
        ).fetchall() == [("2026-11-20T12:00:00Z",)]
        assert conn.execute("SELECT count(*) FROM account_evidence WHERE withdrawn_at IS NOT NULL").fetchone() == (2,)
        assert conn.execute("SELECT DISTINCT start_date FROM membership ORDER BY 1").fetchall()[0] == ("2022-05-05",)
        assert (
            conn.execute("SELECT posts_30d FROM account_metric ORDER BY as_of DESC, account_id LIMIT 1").fetchone()[0]
            >= 0
        )
    finally:
        conn.close()


def test_the_number_of_queries_does_not_grow_with_the_directory(database_url, tmp_path):
    db = Database(database_url)
    db.migrate()
    with db.session() as session:
        _build(session)
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    def queries(out: Path) -> int:
        statements.clear()
        with db.session() as session:
            write_downloads(session, out, NOW)
        return len(statements)

    before = queries(tmp_path / "before")
    with db.session() as session:
        council = session.scalar(select(Council).where(Council.code == "XAA"))
        ward = session.scalar(select(Ward).where(Ward.council_id == council.id))
        for n in range(30):
            person = Councillor(council_id=council.id, source_id=f"n{n}", slug=f"xaa-n{n}", name=f"N {n}", raw_name="N")
            session.add(person)
            session.flush()
            session.add(Membership(councillor_id=person.id, ward_id=ward.id, party_label="", start_date=TODAY))
    assert 0 < before < 40 and queries(tmp_path / "after") == before
    db.dispose()


def test_no_contact_beyond_the_council_email_is_published(downloads):
    """We never store home addresses or phone numbers; no download has a field for them."""
    names = {c.name for columns in COLUMNS.values() for c in columns}
    assert not [n for n in names if re.search(r"address|phone|tel|mobile|postcode", n)]
    popolo = json.loads((downloads["out"] / "popolo.json").read_text(encoding="utf-8"))
    kinds = {d["type"] for p in popolo["persons"] for d in p.get("contact_details", [])}
    assert kinds == {"email"}


# --- the dictionary and licence ------------------------------------------------------------


def test_the_readme_documents_every_column_the_licence_and_the_sources(downloads):
    readme = (downloads["out"] / "README.md").read_text(encoding="utf-8")
    assert columns_markdown() in readme
    for columns in COLUMNS.values():
        for column in columns:
            assert f"`{column.name}`" in readme
    for table in PUBLISHED_TABLES:
        assert f"`{table}`" in readme
    assert LICENCE["name"] in readme and LICENCE["url"] in readme
    for source in REGISTRY_SOURCES:
        assert source["url"] in readme and source["commit"] in readme
    assert "Home addresses, phone numbers, post text" in readme


def test_the_licence_notes_credit_every_source_of_the_registry():
    manifest = (ROOT / "cllr" / "data" / "councils.MANIFEST.md").read_text(encoding="utf-8")
    sources = re.search(r"## Sources\n(.*?)\n## ", manifest, re.S).group(1)
    rows = [line.split("|")[2].strip() for line in sources.splitlines() if re.match(r"\| \d+ \|", line)]
    assert rows and {s["repository"] for s in REGISTRY_SOURCES} == set(rows)
    for source in REGISTRY_SOURCES:
        assert source["commit"] in sources


def test_the_docs_carry_the_generated_dictionary():
    docs = (ROOT / "docs" / "open-data.md").read_text(encoding="utf-8")
    assert columns_markdown() in docs, "paste cllr.site.opendata.columns_markdown() into docs/open-data.md"
    assert LICENCE["name"] in docs


@pytest.mark.parametrize(
    ("where", "value", "refused"),
    [
        (("councillors", 0, "accounts", 0, "level"), "probably", True),
        (("councillors", 0, "accounts", 0, "role"), "friend", True),
        (("councils", 0, "active_share_of_seats"), 1.5, True),
        (("councils", 0, "active_share_of_seats"), -0.1, True),
        (("councils", 0, "vacant_seats"), -1, True),
        (("councils", 0, "nation"), "Mercia", True),
        (("councils", 0, "active_share_of_seats"), 1.0, False),
        (("councils", 0, "active_share_of_seats"), None, False),
        (("councillors", 0, "accounts", 0, "level"), "verified", False),
    ],
)
def test_the_json_schema_states_the_values_and_bounds_its_readme_promises(downloads, where, value, refused):
    out = downloads["out"]
    schema = json.loads((out / "directory.schema.json").read_text(encoding="utf-8"))
    document = json.loads((out / "directory.json").read_text(encoding="utf-8"))
    document["councillors"] = [p for p in document["councillors"] if p["accounts"]]
    place = document
    for step in where[:-1]:
        place = place[step]
    place[where[-1]] = value
    errors = list(Draft202012Validator(schema).iter_errors(document))
    assert bool(errors) is refused, [e.message for e in errors[:3]]


def test_handles_are_written_without_the_leading_at_so_no_cell_needs_an_apostrophe(downloads, database_url, tmp_path):
    db = Database(database_url)
    with db.session() as session:  # the Mastodon account, linked again by a source
        masto = session.get(SocialAccount, downloads["ids"]["masto"])
        session.execute(update(AccountEvidence).where(AccountEvidence.account_id == masto.id).values(withdrawn_at=None))
        assert masto.handle == AT_HANDLE
    out = tmp_path / "again"
    with db.session() as session:
        write_downloads(session, out, NOW)
    db.dispose()
    _, rows = read_csv(out / "accounts.csv")
    handles = {row["url"]: row["handle"] for row in rows}
    assert handles["https://social.example/@jo"] == "jo@social.example"
    assert not [h for h in handles.values() if h.startswith("'")]
    accounts = [a for p in json.loads((out / "directory.json").read_text())["councillors"] for a in p["accounts"]]
    assert {a["handle"] for a in accounts if a["url"] == "https://social.example/@jo"} == {"jo@social.example"}
    assert defuse_cell(written_handle("@=HYPERLINK(1)")) == "'=HYPERLINK(1)"  # a formula stays defused
