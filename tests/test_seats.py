"""Seats and vacancies: vacant seats are parsed from every family (not dropped), counted per ward,
and a council's seats counted from its own roster when no published count is held, so that a
share is shown for every council we hold a roster of, and the seat-band check bites."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Council, Ward
from models.db import Database
from models.merge import Quarantined, apply_roster
from scrapers.cmis import parse_person_blocks
from scrapers.html import HtmlConfig, parse_html_roster
from scrapers.jsonapi import JsonConfig, parse_json_roster
from scrapers.moderngov import parse_councillors_by_ward, parse_member_index
from scrapers.records import Roster, ScrapedCouncillor

FIXTURES = Path(__file__).parent / "fixtures"
NEWCASTLE = (
    FIXTURES / "moderngov" / "moderngov-xml-symroe-councillordata" / "newcastle-staffs-gov-uk.GetCouncillorsByWard.xml"
)
TODAY = date(2026, 12, 7)

CMIS = b"""<html><body>
<div class="PE_People_PersonBlock"><div class="NameLink"><a href="/Councillors/id/1/Ann-Smyth.aspx">Ann Smyth</a></div>
<p>Ward: Castle</p><img title="Labour (logo)" src="/l.png"></div>
<div class="PE_People_PersonBlock"><div class="NameLink">Vacancy</div><p>Ward: Abbey</p></div>
</body></html>"""
INDEX = b"""<html><body><div class="mgContent"><h2 class="mgSectionTitle">Town</h2><ul>
<li><p><a href="mgUserInfo.aspx?UID=7">Cllr Ann Smyth</a></p><p>Labour</p></li>
<li><p><a href="mgUserInfo.aspx?UID=8">Vacant Seat</a></p></li></ul></div></body></html>"""
HTML = b"""<html><body><ul><li><a href="/c/1">Ann Smyth</a><span>Castle</span></li>
<li><a href="/c/2">Vacant seat</a><span>Abbey</span></li></ul></body></html>"""
JSON = [{"id": 1, "name": "Ann Smyth", "ward": "Castle"}, {"id": 2, "name": "Vacancy", "ward": "Abbey"}]


@pytest.mark.parametrize(
    ("family", "read", "vacancies"),
    [
        ("moderngov", lambda: parse_councillors_by_ward(NEWCASTLE.read_bytes()), ["Town"]),
        (
            "moderngov member index",
            lambda: parse_member_index(INDEX, "https://mg.example/mgMemberIndex.aspx"),
            ["Town"],
        ),
        ("cmis", lambda: parse_person_blocks(CMIS, "https://cmis.example/Councillors.aspx"), ["Abbey"]),
        (
            "html",
            lambda: parse_html_roster(
                HTML,
                "https://c.example/",
                HtmlConfig.from_mapping({"councillor": "li", "name": "a", "ward": "span", "profile": "a@href"}),
            ),
            ["Abbey"],
        ),
        (
            "json",
            lambda: parse_json_roster(
                json.dumps(JSON).encode(),
                "https://c.example/",
                JsonConfig.from_mapping({"records": "", "id": "id", "name": "name", "ward": "ward"}),
            ),
            ["Abbey"],
        ),
    ],
)
def test_vacant_seats_are_parsed_with_their_ward_not_dropped(family, read, vacancies):
    roster = read()
    assert roster.vacancies == vacancies
    assert not [c for c in roster.councillors if "vacan" in c.raw_name.lower()]
    assert set(vacancies) <= set(roster.wards)  # a ward whose seat is vacant is still one of the council's


def test_vacancies_survive_a_quarantine_payload():
    roster = Roster([], ["Town"], "https://x.example", ["Town", ""])
    assert Roster.from_payload(json.loads(json.dumps(roster.to_payload()))).vacancies == ["Town", ""]


def people(n: int, ward_of=lambda i: f"Ward {i % 3}") -> list[ScrapedCouncillor]:
    return [ScrapedCouncillor(str(i), f"Person {i}", f"Person {i}", ward_of(i), "Labour") for i in range(n)]


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'seats.sqlite3'}")
    database.migrate()
    yield database
    database.dispose()


def council(session, seats=None) -> Council:
    row = Council(
        code="XSE", name="Seat Council", common_name="Seat", nation="England", council_type="NMD",
        cms="html", scraper_class="html", seats=seats,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def test_seats_are_counted_from_the_roster_when_none_is_published(db):
    with db.session() as session:
        row = council(session)
        assert (row.seat_count, row.seats_source) == (None, None)
        apply_roster(
            session, row, Roster(people(30), [], None, ["Ward 1", "Ward 1", "Ward 9"]), run_id=None, today=TODAY
        )
        assert (row.roster_seats, row.roster_seats_on, row.seat_count, row.seats_source) == (33, TODAY, 33, "roster")
        vacant = dict(session.execute(select(Ward.name, Ward.vacant_seats).where(Ward.council_id == row.id)).all())
        assert vacant == {"Ward 0": 0, "Ward 1": 2, "Ward 2": 0, "Ward 9": 1}  # a ward of vacancies only is kept


def test_a_filled_vacancy_is_counted_again_and_the_ward_cleared(db):
    with db.session() as session:
        row = council(session)
        apply_roster(session, row, Roster(people(30), [], None, ["Ward 1"]), run_id=None, today=TODAY)
        apply_roster(session, row, Roster(people(31), [], None, []), run_id=None, today=TODAY)
        assert row.roster_seats == 31
        assert session.scalar(select(Ward.vacant_seats).where(Ward.name == "Ward 1")) == 0


def test_a_published_seat_count_wins_over_the_counted_one(db):
    with db.session() as session:
        row = council(session, seats=32)
        apply_roster(session, row, Roster(people(30), [], None, []), run_id=None, today=TODAY)
        assert (row.seat_count, row.seats_source, row.roster_seats) == (32, "published", 30)


def test_the_seat_band_check_bites_on_counted_seats(db):
    """A roster far larger than the seats the council's own last roster counted (another council's
    list, a page of every candidate) is held back, and counts nothing."""
    with db.session() as session:
        row = council(session)
        apply_roster(session, row, Roster(people(40), [], None, []), run_id=None, today=TODAY)
        with pytest.raises(Quarantined) as caught:
            apply_roster(session, row, Roster(people(50), [], None, []), run_id=None, today=TODAY)
        assert caught.value.code == "seat_count"
        assert row.roster_seats == 40
        apply_roster(session, row, Roster(people(43), [], None, []), run_id=None, today=TODAY)  # within the band
        assert row.roster_seats == 43
