"""Merge and quarantine rules, one table row per rule (models/merge.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from models import Council, Councillor
from models.db import Database
from models.merge import Quarantined, apply_roster
from scrapers.records import Roster, ScrapedCouncillor

TODAY = date(2026, 11, 23)
PARTIES = ("Labour", "Conservative", "Green Party", "Independent")


def roster(n: int, **changes) -> Roster:
    people = [
        ScrapedCouncillor(
            source_id=str(i),
            name=f"Person {i}",
            raw_name=f"Cllr Person {i}",
            ward=f"Ward {i % 7}",
            party=PARTIES[i % 4],
            email=f"p{i}@council.example",
        )
        for i in range(n)
    ]
    return Roster(
        [replace(p, **changes) for p in people], sorted({p.ward for p in people}), "https://council.example/roster"
    )


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'merge.sqlite3'}")
    database.migrate()
    yield database
    database.dispose()


def load(db, seats, active):
    with db.session() as session:
        council = Council(
            code="XAA",
            name="Test Council",
            common_name="Test",
            nation="England",
            council_type="NMD",
            cms="moderngov",
            scraper_class="moderngov",
            seats=seats,
        )
        session.add(council)
        session.flush()
        if active:
            apply_roster(session, council, roster(active), run_id=None, today=TODAY)


def state(db):
    with db.session() as session:
        return sorted(
            (
                c.source_id,
                c.name,
                c.current.party_label if c.current else None,
                c.current.ward.name if c.current else None,
            )
            for c in session.scalars(select(Councillor))
        )


def merge(db, candidate):
    with db.session() as session:
        council = session.scalar(select(Council))
        return apply_roster(session, council, candidate, run_id=None, today=TODAY)


@pytest.mark.parametrize(
    ("seats", "active", "candidate", "code"),
    [
        (None, 40, roster(0), "zero_results"),  # D-2
        (None, 0, roster(0), "zero_results"),  # an empty first scrape is no roster either
        (51, 0, roster(12), "seat_count"),  # D-3
        (51, 0, roster(60), "seat_count"),
        (None, 20, roster(15), "too_many_removals"),  # D-4: 5 of 20 leave
        (None, 120, roster(95), "too_many_removals"),  # 25 of 120
        (None, 40, roster(40, party=""), "field_emptied"),  # D-5: every party blank
        (None, 40, roster(40, party="Reform UK"), "mass_update"),  # most parties change at once
        (None, 40, roster(40, ward="Somewhere Else"), "mass_update"),
    ],
    ids=[
        "zero",
        "zero-first",
        "seats-low",
        "seats-high",
        "removals-20",
        "removals-120",
        "parties-emptied",
        "mass-party",
        "mass-ward",
    ],
)
def test_quarantine_rules_leave_everything_as_it_was(db, seats, active, candidate, code):
    load(db, seats, active)
    before = state(db)
    with pytest.raises(Quarantined) as caught:
        merge(db, candidate)
    assert caught.value.code == code
    assert state(db) == before


@pytest.mark.parametrize(
    ("seats", "active", "candidate", "inserted", "ended"),
    [
        (51, 0, roster(49), 49, 0),  # within the seat band
        (None, 20, roster(18), 0, 2),  # two may always leave
        (None, 40, roster(42), 2, 0),  # by-election winners
    ],
)
def test_plausible_rosters_apply(db, seats, active, candidate, inserted, ended):
    load(db, seats, active)
    result = merge(db, candidate)
    assert (len(result.inserted), len(result.ended)) == (inserted, ended)


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"email": None}, "email", "p3@council.example"),  # empty never overwrites
        ({"name": "Person Three-Renamed"}, "name", "Person Three-Renamed"),
        ({"party": "Reform UK"}, "party", "Reform UK"),
        ({"ward": "Ward Nine"}, "ward", "Ward Nine"),
    ],
)
def test_one_councillors_change(db, change, field, expected):
    load(db, None, 10)
    candidate = roster(10)
    candidate.councillors[3] = replace(candidate.councillors[3], **change)
    merge(db, candidate)
    with db.session() as session:
        person = session.scalar(select(Councillor).where(Councillor.source_id == "3"))
        value = {
            "email": person.email,
            "name": person.name,
            "party": person.current.party_label,
            "ward": person.current.ward.name,
        }[field]
        assert value == expected
        if field in ("party", "ward"):  # the old period is closed, not rewritten
            assert [m.end_reason for m in person.memberships] == ["changed", None]
        if field == "name":  # the old name is kept, with the day it stopped being used
            assert [(n.name, n.raw_name, n.used_until) for n in person.former_names] == [
                ("Person 3", "Cllr Person 3", TODAY)
            ]
        else:
            assert person.former_names == []


def test_a_councillor_renamed_twice_keeps_both_old_names_and_a_repeat_adds_none(db):
    load(db, None, 10)
    for new_name in ("Person Three-Wed", "Person Three-Wed", "Person Three"):
        candidate = roster(10)
        candidate.councillors[3] = replace(candidate.councillors[3], name=new_name)
        merge(db, candidate)
    with db.session() as session:
        person = session.scalar(select(Councillor).where(Councillor.source_id == "3"))
        assert person.name == "Person Three"
        assert [n.name for n in person.former_names] == ["Person 3", "Person Three-Wed"]


def test_reimporting_the_same_roster_three_times_changes_nothing(db):
    load(db, None, 30)
    before = state(db)
    for _ in range(3):
        result = merge(db, roster(30))
        assert result.counts() == {"inserted": 0, "updated": 0, "ended": 0, "unchanged": 30}
    assert state(db) == before


def test_an_operator_may_release_a_quarantined_roster(db):
    load(db, None, 20)
    with db.session() as session:
        council = session.scalar(select(Council))
        result = apply_roster(session, council, roster(10), run_id=None, today=TODAY, checked=False)
    assert len(result.ended) == 10
    with pytest.raises(Quarantined):  # the release does not carry over to the next scrape
        merge(db, roster(30, party=""))


def test_councillors_of_one_name_get_their_own_slugs(db):
    load(db, seats=None, active=0)
    names = ["Jo Bloggsworth", "Jo Bloggs", "Jo Bloggs", "Jo Bloggs"]  # a longer name sharing the slug's start first
    people = roster(4).councillors
    named = Roster([replace(p, name=n, raw_name=n) for p, n in zip(people, names, strict=True)], ["Ward 0"])
    with db.session() as session:
        council = session.scalar(select(Council))
        apply_roster(session, council, replace(named, wards=sorted({p.ward for p in people})), run_id=None, today=TODAY)
    with db.session() as session:
        slugs = set(session.scalars(select(Councillor.slug)))
    assert slugs == {"xaa-jo-bloggsworth", "xaa-jo-bloggs", "xaa-jo-bloggs-2", "xaa-jo-bloggs-3"}
