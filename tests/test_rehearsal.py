"""The rehearsal of the real registry (cllr/demo/rehearsal.py): every council as the registry has it,
fictional people, and each HTML and JSON council's pages read with its real entry through the HTTP layer."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import and_, func, select

from cllr.config import BUNDLED_REGISTRY, BUNDLED_SCRAPERS, Settings
from cllr.demo.cloning import fixture_codes
from cllr.demo.rehearsal import build_rehearsal, read_rows
from cllr.demo.server import DemoServer
from cllr.demo.sites import council_accounts, profile_page
from cllr.demo.world import FIRST_NAMES
from cllr.http import Fetcher
from cllr.pipeline.roster_pages import read_roster
from models import Council, Councillor, Membership
from models.db import Database
from scrapers.families import FAMILIES, read_council_configs, roster_settings
from scrapers.profiles import parse_profile_page

REGISTRY = {row["code"]: row for row in read_rows(BUNDLED_REGISTRY)}
ENTRIES = read_council_configs(BUNDLED_SCRAPERS)
WRITTEN = fixture_codes()  # the HTML and JSON councils, whose pages are cloned from their fixtures


@pytest.fixture(scope="module")
def registry_wide():
    """The whole registry, small (each council at a fifth of its size)."""
    return build_rehearsal(scale=0.2, seed=11)


def test_every_council_of_the_registry_is_there_as_the_registry_has_it(registry_wide):
    rows = {row["code"]: row for row in registry_wide.rows}
    assert sorted(rows) == sorted(REGISTRY)
    for code, row in rows.items():
        real = REGISTRY[code]
        assert (row["name"], row["cms"], row["roster_url"], row["disabled"]) == (
            real["name"],
            real["cms"],
            real["roster_url"],
            real["disabled"],
        )
        assert row["fictional"] == "true" and not row["seats"]  # no seat counts: the roster gives them
    assert {code for code, row in rows.items() if row["disabled"] == "true"} == {"AND", "TEW"}
    with DemoServer(registry_wide.world, pages=registry_wide.pages) as server:
        mapped = server.connect_to()
    assert all(urlsplit(row["roster_url"]).hostname in mapped for row in rows.values())
    assert all(target == server.address for target in mapped.values())


def test_its_people_are_generated_and_some_seats_are_vacant(registry_wide):
    people = [m for c in registry_wide.world.councils for m in c.councillors]
    assert all(m.first in FIRST_NAMES for m in people)
    assert sum(registry_wide.vacancies.values()) > 0
    assert all(registry_wide.councillors[code] > 0 for code in REGISTRY)


def test_a_shared_instance_is_one_roster_split_by_its_rules(registry_wide):
    hosts = {c.host: c for c in registry_wide.world.councils if c.cms == "moderngov"}
    shared = hosts["democracy.adur-worthing.gov.uk"]
    assert shared.code == "ADU+WOT"
    domains = {m.email.rsplit("@", 1)[1] for m in shared.councillors}
    assert domains == {"adur.gov.uk", "worthing.gov.uk"}
    broadland = hosts["democracy.southnorfolkandbroadland.gov.uk"]
    assert {w.rsplit(" ", 1)[1] for w in broadland.wards} == {"(BDC)", "(SNC)"}


def test_moderngov_and_cmis_profile_pages_are_real_size_and_their_footers_are_the_councils_own(registry_wide):
    for council in [c for c in registry_wide.world.councils if c.cms in ("moderngov", "cmis")][:40]:
        for member in council.councillors[:3]:
            container = "main" if council.cms == "cmis" else "modgov"
            page = profile_page(council, member, container=container)
            assert 28_000 < len(page.encode()) < 64_000
            found = {h.url.rstrip("/") for h, _ in parse_profile_page(page.encode(), "https://" + council.host)}
            own = {url.rstrip("/") for url, _ in council_accounts(council)}
            assert own <= {u.rstrip("/") for u in re.findall(r'href="([^"]+)"', page)}  # in the footer ...
            assert not found & own  # ... and never the councillor's


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The HTML and JSON councils' rehearsal, served on 127.0.0.1, and a Fetcher that reaches it by their real names."""
    rehearsal = build_rehearsal(WRITTEN, scale=0.5, seed=3)
    with DemoServer(rehearsal.world, pages=rehearsal.pages) as server:
        settings = Settings(
            data_dir=tmp_path_factory.mktemp("rehearsal"), connect_to=server.connect_to(), request_delay=0
        )
        with Fetcher(settings) as fetcher:
            yield rehearsal, server, fetcher


def test_every_html_and_json_council_of_the_registry_is_written():
    assert sorted(c for c, row in REGISTRY.items() if row["cms"] in ("html", "json")) == WRITTEN


@pytest.mark.parametrize("code", WRITTEN)
def test_the_entry_reads_exactly_the_generated_councillors_through_the_http_layer(written, code):
    rehearsal, server, fetcher = written
    row = REGISTRY[code]
    family = FAMILIES[row["cms"]]
    config = family.configure(roster_settings(ENTRIES[code]))
    before = server.web.requests

    def fetch(url, accept, conditional):
        return fetcher.get(url, accept=accept, conditional=conditional)

    read = read_roster(family, config, family.roster_url(row["roster_url"]), row["roster_url"], fetch)
    got = sorted(
        ({"id": c.source_id, "name": c.name, "ward": c.ward, "party": c.party} for c in read.roster.councillors),
        key=str,
    )
    assert got == sorted(rehearsal.expected[code], key=str)
    assert len(got) == rehearsal.councillors[code] and server.web.requests > before
    for councillor in read.roster.councillors:
        assert councillor.name.split()[0] in FIRST_NAMES


# The real pipeline on a handful of councils of every family -----------------------------------------

FLOW = (
    "ADU",  # ModernGov on an instance shared with WOT: its share by e-mail domain
    "BRO",  # ModernGov on an instance shared with SNO: its share by the wards' marks
    "HUN",  # ModernGov under a path (/moderngov/)
    "KEC",  # ModernGov under a path (/Committees)
    "DER",  # CMIS, its councillors page deep in the site
    "WAW",  # CMIS, its councillors page a folder
    "ABC",  # HTML, paged, no pages of their own
    "AGB",  # HTML, paged, with detail pages
    "CBF",  # HTML, ward pages, with detail pages
    "WLN",  # HTML, ward pages (one with a vacant seat), detail pages
    "ANN",  # HTML, wards by heading
    "BIR",  # HTML, detail pages
    "AMB",  # JSON, a detail request per councillor
    "ERY",  # JSON, with detail requests
    "TEW",  # disabled in the registry: stays disabled
)


def run_rehearsal(codes, tmp_path):
    from flows.refresh import refresh

    rehearsal = build_rehearsal(list(codes), scale=0.3, seed=5)
    with DemoServer(rehearsal.world, pages=rehearsal.pages) as server:
        settings = Settings(
            data_dir=tmp_path,
            database_url=f"sqlite:///{tmp_path / 'cllr.sqlite3'}",
            **rehearsal.files(tmp_path),
            **server.settings(),
            request_delay=0,
            backoff_base=0.01,
            workers=4,
        )
        summary = refresh(settings=settings.model_dump(mode="json"), trigger="test")
    db = Database(settings.db_url)
    with db.session() as session:
        sitting = dict(
            session.execute(
                select(Council.code, func.count())
                .join(Councillor, Councillor.council_id == Council.id)
                .join(Membership, and_(Membership.councillor_id == Councillor.id, Membership.end_date.is_(None)))
                .group_by(Council.code)
            ).all()
        )
        seats = dict(session.execute(select(Council.code, Council.roster_seats)).all())
    db.dispose()
    return rehearsal, settings, summary, sitting, seats


@pytest.mark.flow
def test_the_pipeline_applies_every_council_of_a_rehearsal_and_shows_a_share_for_each(prefect_api, tmp_path):
    rehearsal, settings, summary, sitting, seats = run_rehearsal(FLOW, tmp_path)
    statuses = {k: v for k, v in summary["statuses"].items() if k.startswith("roster:")}
    assert statuses == {"roster:applied": len(FLOW) - 1, "roster:disabled": 1}  # none skipped, none failed
    assert not [k for k in summary["statuses"] if k.endswith("failed")]  # every profile page there too
    applied = [code for code in FLOW if code != "TEW"]
    assert {code: sitting[code] for code in applied} == {code: rehearsal.councillors[code] for code in applied}
    for code in applied:
        assert seats[code] >= sitting[code] + rehearsal.vacancies[code] > 0, code  # (fixtures may add vacancies)
        page = BeautifulSoup((settings.output_dir / "councils" / f"{code.lower()}.html").read_text(), "html.parser")
        figures = {
            dt.get_text(strip=True): dt.find_next("dd").get_text(" ", strip=True) for dt in page.select("dl.figures dt")
        }
        assert re.search(r"\(\d+%\)", figures["With a confirmed account"]), (code, figures)
        assert "Seats counted from the council's own list of councillors" in page.get_text(" ")


@pytest.mark.flow
def test_both_councils_of_a_shared_instance_are_applied_on_the_first_run(prefect_api, tmp_path):
    """Found by the rehearsal: both councils of a shared instance read one roster URL, and the second
    was answered 304 with the validators the first stored, so it was recorded unchanged and never applied."""
    _rehearsal, _settings, summary, _sitting, _seats = run_rehearsal(("ADU", "WOT"), tmp_path)
    assert summary["statuses"].get("roster:applied") == 2
