"""cllr.sqlite3 opened as journalists open it: with Datasette and the metadata.json beside it.

The open data is built from the small directory of tests/test_opendata.py (on SQLite, then on
PostgreSQL), with a few more cases: an account gone from its platform and one moved away, each
linked at a confirmed level to a sitting councillor, and two days of council figures. Datasette
serves the file in-process, through its own ASGI client (no socket is opened), and what it
answers is checked: the licence, search, the views, the times and the hidden index tables.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from datasette.app import Datasette
from sqlalchemy import select

from cllr.site.opendata import write_downloads
from cllr.site.opendata.datasette import DATABASE, FILE, index_tables
from cllr.site.opendata.dictionary import ACCOUNT_STATUSES, GONE_STATUSES, LICENCE, PUBLISHED_TABLES, TITLE
from cllr.site.opendata.sqlite import FILE_NAME, SEARCHES, VIEWS
from models import AccountEvidence, Council, CouncilFigure, Councillor, SocialAccount
from models.db import Database
from tests.test_opendata import NOW, TODAY, _build

TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _more(session) -> dict:
    """Accounts that are no longer there, linked at a confirmed level to sitting councillors, and council figures."""
    people = {c.slug: c for c in session.scalars(select(Councillor))}
    councils = {c.code: c for c in session.scalars(select(Council))}

    def linked(councillor, key, platform, handle, status):
        account = SocialAccount(
            key=key, platform=platform, handle=handle, url=f"https://{platform}.example/{handle}", status=status
        )
        session.add(account)
        session.flush()
        session.add(
            AccountEvidence(
                councillor_id=councillor.id,
                account_id=account.id,
                method="council_profile",
                level="listed",
                source_url=f"https://source.example/{councillor.slug}/{key}",
                first_seen_at=NOW - timedelta(days=40),
                last_seen_at=NOW,
            )
        )
        return account.id

    gone = linked(people["xaa-plus"], "bluesky:gone.example", "bluesky", "gone.example", "not_found")
    moved = linked(people["xab-carriage"], "mastodon:old@moved.example", "mastodon", "old@moved.example", "moved")
    alpha, beta = councils["XAA"].id, councils["XAB"].id
    session.add_all(
        [
            CouncilFigure(
                council_id=alpha,
                as_of=TODAY - timedelta(days=1),
                seats=3,
                councillors=2,
                with_account=1,
                active=0,
                posts_30d=0,
            ),
            CouncilFigure(council_id=alpha, as_of=TODAY, seats=3, councillors=2, with_account=1, active=1, posts_30d=5),
            CouncilFigure(
                council_id=beta, as_of=TODAY, seats=None, councillors=2, with_account=1, active=0, posts_30d=0
            ),
        ]
    )
    facebook = session.scalar(select(SocialAccount.id).where(SocialAccount.key == "facebook:switcher"))
    return {"gone": gone, "moved": moved, "facebook": facebook}


@pytest.fixture
def opened(database_url, tmp_path) -> dict:
    db = Database(database_url)
    db.migrate()
    with db.session() as session:
        ids = _build(session)
        ids |= _more(session)
    out = tmp_path / "data"
    with db.session() as session:
        write_downloads(session, out, NOW)
        slugs = {c.id: c.slug for c in session.scalars(select(Councillor))}
    db.dispose()
    metadata = json.loads((out / FILE).read_text(encoding="utf-8"))
    # As `datasette cllr.sqlite3 --metadata metadata.json` opens it.
    datasette = Datasette([str(out / FILE_NAME)], metadata=metadata)
    return {
        "datasette": datasette,
        "metadata": metadata,
        "ids": ids,
        "slugs": slugs,
        "out": out,
        "path": out / FILE_NAME,
    }


def get(datasette: Datasette, path: str) -> Any:
    """A page of Datasette's, in-process: JSON for a ``.json`` path, else the HTML."""

    async def fetch():
        await datasette.invoke_startup()
        response = await datasette.client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        return response.json() if ".json" in path else response.text

    # A loop of its own in a thread of its own: the session may already run one in this thread
    # (Playwright's sync API, for the browser tests, keeps its loop in the main thread).
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, fetch()).result()


def rows(datasette: Datasette, table: str, query: str = "") -> list[dict]:
    return get(datasette, f"/{DATABASE}/{table}.json?_shape=array&_size=max{query}")


# --- what it says about itself -----------------------------------------------------------


def test_the_title_licence_and_source_are_served(opened):
    served = get(opened["datasette"], "/-/metadata.json")
    assert served["title"] == TITLE
    assert (served["license"], served["license_url"]) == (LICENCE["name"], LICENCE["url"])
    assert served["source"] == LICENCE["attribution"] and served["source_url"].startswith("https://")
    page = get(opened["datasette"], f"/{DATABASE}/council_share_active")
    assert LICENCE["name"] in page and LICENCE["url"] in page


def test_every_table_view_and_column_shown_is_described(opened):
    conn = sqlite3.connect(f"file:{opened['path']}?mode=ro", uri=True)
    try:
        shown = {
            name: [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')]
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        }
    finally:
        conn.close()
    described = opened["metadata"]["databases"][DATABASE]["tables"]
    for name, columns in shown.items():
        if described[name].get("hidden"):
            continue
        assert described[name]["description"], name
        assert list(described[name]["columns"]) == columns, name  # every column, in the file's order
        assert all(described[name]["columns"].values()), name
    assert set(shown) - set(PUBLISHED_TABLES) - {v.name for v in VIEWS} == {
        name for search in SEARCHES for name in index_tables(search)
    }
    page = get(opened["datasette"], f"/{DATABASE}/councillor")
    assert described["councillor"]["columns"]["raw_name"] in page  # Datasette shows the column's description


def test_the_search_index_tables_are_hidden(opened):
    tables = {t["name"]: t for t in get(opened["datasette"], f"/{DATABASE}.json")["tables"]}
    indexes = {name for search in SEARCHES for name in index_tables(search)}
    assert indexes <= set(tables)
    assert {name for name, t in tables.items() if t["hidden"]} == indexes
    described = opened["metadata"]["databases"][DATABASE]["tables"]
    assert all(described[name] == {"hidden": True} for name in indexes)  # said, not left to Datasette's guess


# --- search ------------------------------------------------------------------------------


def test_a_councillors_surname_finds_that_councillor_only(opened):
    found = rows(opened["datasette"], "councillor", "&_search=Former")
    assert [row["slug"] for row in found] == ["xab-former"]
    page = get(opened["datasette"], f"/{DATABASE}/councillor")
    assert 'name="_search"' in page  # the search box is there


@pytest.mark.parametrize(
    ("words", "slugs"),
    [
        ("Maiden", {"xab-former"}),  # a former name
        ("Sian", {"xaa-plus"}),  # accents ignored: Sián
        ("Llanfair", {"xab-former", "xab-switcher", "xab-carriage"}),  # a ward
        ("Alpha", {"xaa-hostile", "xaa-plus"}),  # a council
    ],
)
def test_councillors_are_found_by_former_names_wards_and_councils(opened, words, slugs):
    assert {row["slug"] for row in rows(opened["datasette"], "councillor", f"&_search={words}")} == slugs


def test_a_handle_finds_its_account(opened):
    ids = opened["ids"]
    found = rows(opened["datasette"], "social_account", "&_search=jo@social.example")
    assert [row["id"] for row in found] == [ids["masto"]]
    found = rows(opened["datasette"], "social_account", "&_search=hostile.example")
    assert [row["id"] for row in found] == [ids["sky"]]


def test_wards_and_councils_have_their_search_too(opened):
    assert [row["name"] for row in rows(opened["datasette"], "ward", "&_search=llanfair")] == ["Llanfair"]
    assert [row["code"] for row in rows(opened["datasette"], "council", "&_search=beta")] == ["XAB"]


# --- the views ---------------------------------------------------------------------------


def test_the_live_accounts_view_holds_sitting_councillors_live_confirmed_links_only(opened):
    ids = opened["ids"]
    found = rows(opened["datasette"], "sitting_councillor_accounts")
    assert {(row["slug"], row["account_id"]) for row in found} == {
        ("xaa-hostile", ids["sky"]),  # verified (a withdrawn check does not lower it)
        ("xab-switcher", ids["facebook"]),  # listed; unsupported is not gone
    }
    shown = {row["account_id"] for row in found}
    assert ids["gone"] not in shown and ids["moved"] not in shown  # no longer there
    assert ids["merged"] not in shown  # folded into another row
    assert ids["masto"] not in shown and ids["tube"] not in shown  # withdrawn; a name match only
    assert ids["campaign"] not in shown  # its councillor has left
    sky = next(row for row in found if row["account_id"] == ids["sky"])
    assert (sky["council_name"], sky["ward"], sky["party"], sky["platform"]) == (
        "Alpha District Council",
        "-1+2 Ward",
        "Labour",
        "bluesky",
    )
    assert (sky["handle"], sky["url"], sky["level"], sky["posts_30d"]) == (
        "hostile.example",
        "https://bsky.app/profile/hostile.example",
        "verified",
        5,
    )
    searched = rows(opened["datasette"], "sitting_councillor_accounts", "&_search=Llanfair")
    assert [row["slug"] for row in searched] == ["xab-switcher"]  # its search box: the councillors'


def test_the_sitting_councillors_view_counts_their_live_accounts(opened):
    found = {row["slug"]: row["live_accounts"] for row in rows(opened["datasette"], "sitting_councillors")}
    assert found == {"xaa-hostile": 1, "xaa-plus": 0, "xab-switcher": 1, "xab-carriage": 0}


def test_the_share_active_view_is_active_over_seats_from_the_latest_figures(opened):
    found = {row["council_code"]: row for row in rows(opened["datasette"], "council_share_active")}
    assert set(found) == {"XAA", "XAB"}
    alpha = found["XAA"]
    assert (alpha["as_of"], alpha["seats"], alpha["councillors"], alpha["with_account"], alpha["active"]) == (
        TODAY.isoformat(),
        3,
        2,
        1,
        1,
    )
    assert alpha["share_active"] == round(alpha["active"] / alpha["seats"], 4)
    assert found["XAB"]["share_active"] is None  # seats unknown: no share
    first = rows(opened["datasette"], "council_share_active")[0]
    assert first["council_code"] == "XAA"  # the highest share first


def test_live_means_not_gone_from_any_status_an_account_can_have():
    assert set(GONE_STATUSES) < {*ACCOUNT_STATUSES, "merged"}


def test_the_readme_says_how_to_open_it_and_what_the_search_and_views_are(opened):
    readme = (opened["out"] / "README.md").read_text(encoding="utf-8")
    assert f"datasette {FILE_NAME} --metadata {FILE}" in readme
    assert f"`{FILE}`" in readme
    for search in SEARCHES:
        assert f"`{search.name}`" in readme and search.finds in readme
    described = opened["metadata"]["databases"][DATABASE]["tables"]
    for view in VIEWS:
        assert f"`{view.name}`: {view.question}" in readme
        for column, text in described[view.name]["columns"].items():
            assert f"| `{column}` | {text} |" in readme


# --- times -------------------------------------------------------------------------------


def test_times_carry_their_zone_and_dates_stay_plain(opened):
    evidence = rows(opened["datasette"], "account_evidence")
    times = [row[c] for row in evidence for c in ("first_seen_at", "last_seen_at", "withdrawn_at") if row[c]]
    assert times and all(TIME.fullmatch(t) for t in times), times
    assert "2026-11-20T12:00:00Z" in {row["withdrawn_at"] for row in evidence}
    dates = [row["start_date"] for row in rows(opened["datasette"], "membership")]
    assert dates and all(DATE.fullmatch(d) for d in dates), dates


def test_every_time_column_in_the_file_ends_with_z(opened):
    conn = sqlite3.connect(f"file:{opened['path']}?mode=ro", uri=True)
    try:
        for table in PUBLISHED_TABLES:
            for _, column, kind, *_ in conn.execute(f'PRAGMA table_info("{table}")'):
                if kind != "DATETIME":
                    continue
                values = [v for (v,) in conn.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')]
                assert all(isinstance(v, str) and TIME.fullmatch(v) for v in values), (table, column, values[:3])
    finally:
        conn.close()
