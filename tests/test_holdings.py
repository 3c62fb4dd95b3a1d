"""A council's batch is written with reads that do not grow with its size: its roster's councillors
in one statement a table, its links' look-ups read ahead (models/merge.py, models/holdings.py)."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from datetime import date

from sqlalchemy import event, select

from cllr.handles import normalise
from models import AccountEvidence, Council, Councillor
from models.holdings import Holdings
from models.links import record_links
from models.merge import apply_roster
from scrapers.records import Roster, ScrapedCouncillor

TODAY = date(2026, 12, 7)


def roster(n: int) -> Roster:
    people = [
        ScrapedCouncillor(
            source_id=str(i), name=f"Person {i}", raw_name=f"Cllr Person {i}", ward=f"Ward {i % 5}", party="Labour"
        )
        for i in range(n)
    ]
    return Roster(people, sorted({p.ward for p in people}), "https://council.example/roster")


@contextmanager
def statements(db):
    """The kinds of statement sent to the database inside the block (SELECT, INSERT, ...), counted."""
    seen: Counter[str] = Counter()

    def count(conn, cursor, statement, parameters, context, executemany):
        seen[statement.split(None, 1)[0].upper()] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def council(db, code: str) -> int:
    with db.session() as session:
        row = Council(
            code=code,
            name=f"Council {code}",
            common_name=code,
            nation="England",
            council_type="NMD",
            cms="moderngov",
            scraper_class="moderngov",
        )
        session.add(row)
        session.flush()
        return row.id


def merged(db, code: str, size: int) -> Counter[str]:
    council_id = council(db, code)
    with db.session() as session:  # the party exists: the first council to name one creates it
        apply_roster(session, session.get(Council, council(db, code + "P")), roster(1), run_id=None, today=TODAY)
    with statements(db) as seen, db.session() as session:
        result = apply_roster(session, session.get(Council, council_id), roster(size), run_id=None, today=TODAY)
    assert len(result.inserted) == size
    return seen


def linked(db, code: str, size: int) -> Counter[str]:
    council_id = council(db, code)
    with db.session() as session:
        apply_roster(session, session.get(Council, council_id), roster(size), run_id=None, today=TODAY)
    with db.session() as session:
        ids = list(session.scalars(select(Councillor.id).where(Councillor.council_id == council_id)))
    found = {i: [(normalise(f"https://bsky.app/profile/{code.lower()}{i}.bsky.social"), "councillor")] for i in ids}
    with statements(db) as seen, db.session() as session:
        holdings = Holdings(session, ids, [h.key for pairs in found.values() for h, _ in pairs])
        for i in ids:
            page = f"https://council.example/person/{i}"
            links = record_links(
                session, i, found[i], method="council_profile", source_url=page, run_id=None, holdings=holdings
            )
            assert links.linked == [found[i][0][0].key]
    with db.session() as session:
        evidence = session.scalars(select(AccountEvidence).where(AccountEvidence.councillor_id.in_(ids))).all()
        assert sorted(e.account.key for e in evidence) == sorted(pairs[0][0].key for pairs in found.values())
    return seen


def test_a_roster_of_new_councillors_is_written_in_the_same_statements_whatever_its_size(db):
    small, large = merged(db, "XHA", 3), merged(db, "XHB", 30)
    assert small["SELECT"] == large["SELECT"]
    assert small["UPDATE"] == large["UPDATE"]
    if db.engine.dialect.name == "postgresql":  # SQLite cannot return the keys of many rows in order: a row a statement
        assert small["INSERT"] == large["INSERT"]


def test_a_councils_links_are_looked_up_in_the_same_reads_whatever_its_size(db):
    small, large = linked(db, "XHA", 3), linked(db, "XHB", 30)
    assert small["SELECT"] == large["SELECT"]
    assert large["INSERT"] >= 30  # every account and its evidence written: what is read ahead is not all
