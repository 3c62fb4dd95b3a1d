"""Councils that publish their own roster (issue 23, part 7): the CSV schema and its reader, the intake
(over real HTTP on 127.0.0.1), and the run that applies it instead of reading the council's pages."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from cllr.config import Settings
from cllr.corrections import operations as ops
from cllr.corrections import published
from cllr.corrections.credentials import issue
from cllr.corrections.intake import PER_CREDENTIAL, create_app
from cllr.corrections.roster_csv import MAX_BYTES, MAX_ROWS, parse_roster_csv
from cllr.pipeline import context, rosters
from models import CorrectionEvent, Council, Councillor, Membership, RefusalTally, RunStep, StagedRoster, Ward
from models.base import utcnow
from models.corrections import PublishedRoster
from models.merge import release_roster
from tests.test_corrections import serving, token_for, two_small_councils

TODAY = date(2026, 12, 8)
HEADER = "id,name,ward,party,email,profile_url\n"
GOOD = (
    HEADER + "0,Person XAA0,Ward 0,Labour,,\n"
    "1,Person XAA1,Ward 1,Labour,person1@xaa.example,https://xaa.example/councillors/1\n"
    "2,Person XAA2,Ward 2,Labour,,\n"
    "3,Person XAA3,Ward 0,Labour,,\n"
    "9,Cllr Sam Newcomer OBE,Ward 1,Green Party,sam.newcomer@xaa.example,\n"
    ",Vacant,Ward 2,,,\n"
)


# The reader: the published schema ------------------------------------------------------------------


def rows(n: int) -> str:
    return HEADER + "".join(f"{i},Person {i},Ward {i % 7},Labour,,\n" for i in range(n))


CASES = [
    # (case, file, (line, field) of each problem; [] when the file is good)
    ("good", GOOD, []),
    ("columns in any order", "ward,name,id\nNorth,Jo Bloggs,17\n", []),
    ("a byte-order mark", "\ufeff" + GOOD, []),
    ("a vacancy row", HEADER + "1,Jo Bloggs,North,,,\n,Vacant,North,,,\n,Vacant seat,South,,,\n", []),
    ("missing column", "id,name\n1,Jo Bloggs\n", [(1, "header")]),
    ("duplicate id", HEADER + "1,Jo Bloggs,North,,,\n2,Sam Smith,North,,,\n1,Al Jones,South,,,\n", [(4, "id")]),
    ("missing id", HEADER + "1,Jo Bloggs,North,,,\n,Sam Smith,North,,,\n", [(3, "id")]),
    ("bad email", HEADER + "1,Jo Bloggs,North,,jo at council,\n", [(2, "email")]),
    ("non-http profile", HEADER + "1,Jo Bloggs,North,,,javascript:alert(1)\n", [(2, "profile_url")]),
    ("phone column refused", "id,name,ward,phone\n1,Jo Bloggs,North,01234 567890\n", [(1, "phone")]),
    ("home address column refused", "id,name,ward,home_address\n1,Jo,North,1 High St\n", [(1, "home_address")]),
    ("any other column refused", "id,name,ward,council\n1,Jo Bloggs,North,XAB\n", [(1, "council")]),
    ("a vacancy with a party", HEADER + "1,Jo Bloggs,North,,,\n,Vacant,North,Labour,,\n", [(3, "party")]),
    ("a row with no ward", HEADER + "1,Jo Bloggs,,,,\n", [(2, "ward")]),
    ("more cells than the header", HEADER + "1,Jo Bloggs,North,,,,extra\n", [(2, "row")]),
    ("only vacancies", HEADER + ",Vacant,North,,,\n", [(1, "file")]),
    ("no rows", HEADER, [(1, "file")]),
    ("too many rows", rows(MAX_ROWS + 1), [(MAX_ROWS + 2, "file")]),
    ("as many rows as allowed", rows(MAX_ROWS), []),
    (
        "every problem listed",
        HEADER + "1,Jo Bloggs,North,,x@,\n1,Sam Smith,North,,,ftp://x.example/\n2,<b>,North,,,\n",
        [(2, "email"), (3, "id"), (3, "profile_url"), (4, "name")],
    ),
]


@pytest.mark.parametrize(("body", "where"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_roster_csv_reader(body, where):
    roster, problems = parse_roster_csv(body.encode("utf-8"), source_url="council-published:1")
    assert [(p["line"], p["field"]) for p in problems] == where
    assert (roster is None) == bool(where)  # refused whole: no roster at all when anything is wrong
    if roster is not None:
        assert roster.source_url == "council-published:1" and roster.councillors


def test_a_good_roster_reads_as_a_scraper_would_read_it():
    roster, _ = parse_roster_csv(GOOD.encode())
    by_id = {c.source_id: c for c in roster.councillors}
    assert sorted(by_id) == ["0", "1", "2", "3", "9"]
    assert (by_id["9"].name, by_id["9"].raw_name, by_id["9"].party) == (
        "Sam Newcomer",
        "Cllr Sam Newcomer OBE",
        "Green Party",
    )
    assert (by_id["1"].email, by_id["1"].profile_url) == ("person1@xaa.example", "https://xaa.example/councillors/1")
    assert by_id["0"].email is None and by_id["0"].profile_url is None
    assert roster.wards == ["Ward 0", "Ward 1", "Ward 2"] and roster.vacancies == ["Ward 2"]


@pytest.mark.parametrize("column", ["phone", "telephone", "mobile", "address", "home_address", "postcode"])
def test_personal_details_columns_are_refused_saying_they_are_never_taken(column):
    roster, [problem] = parse_roster_csv(f"id,name,ward,{column}\n1,Jo Bloggs,North,x\n".encode())
    assert roster is None and problem["field"] == column
    assert "never taken" in problem["problem"] and "remove the column" in problem["problem"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b"\xff\xfe\x00i", "is not UTF-8 text"), (HEADER.encode() + b"x" * MAX_BYTES, "is larger than 256 KiB")],
)
def test_a_file_that_is_not_a_roster_at_all_says_so(data, problem):
    assert parse_roster_csv(data) == (None, [{"line": 1, "field": "file", "problem": problem}])


# The intake ------------------------------------------------------------------------------------------


@pytest.fixture
def db(database_url):
    yield from two_small_councils(database_url)


@pytest.fixture
def intake(db):
    with serving(create_app(db)) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        yield client


def put(client, token: str | None, body: str | bytes, content_type: str = "text/csv"):
    headers = {"Content-Type": content_type} | ({"Authorization": f"Bearer {token}"} if token else {})
    return client.put("/api/v1/roster", content=body.encode() if isinstance(body, str) else body, headers=headers)


def directory(db) -> list[tuple]:
    """Every councillor and seat as stored, with its provenance."""
    with db.session() as session:
        return session.execute(
            select(
                Council.code,
                Councillor.source_id,
                Councillor.name,
                Councillor.email,
                Councillor.source_url,
                Membership.end_date,
                Membership.source_url,
            )
            .join(Councillor.council)
            .join(Membership, Membership.councillor_id == Councillor.id)
            .order_by(Council.code, Councillor.source_id, Membership.id)
        ).all()


def stored(db) -> list[PublishedRoster]:
    with db.session() as session:
        return list(session.scalars(select(PublishedRoster).order_by(PublishedRoster.id)))


def audit(db) -> list[CorrectionEvent]:
    with db.session() as session:
        return list(session.scalars(select(CorrectionEvent).order_by(CorrectionEvent.id)))


def tallies(db) -> list[RefusalTally]:
    with db.session() as session:
        rows = list(session.scalars(select(RefusalTally).order_by(RefusalTally.id)))
        session.expunge_all()
        return rows


def council_id(db, code: str) -> int:
    with db.session() as session:
        return session.scalar(select(Council.id).where(Council.code == code))


def test_a_councils_token_publishes_its_roster_for_the_next_run(db, intake):
    before = directory(db)
    response = put(intake, token_for(db, "XAA"), GOOD)
    assert response.status_code == 202, response.text
    body = response.json()["roster"]
    [row] = stored(db)
    assert body | {"received_at": None} == {
        "published_roster": row.id,
        "source_url": f"council-published:{row.id}",
        "councillors": 5,
        "vacancies": 1,
        "status": "queued",
        "received_at": None,
        "applies": "at the next refresh run, instead of reading the council's pages",
    }
    assert (row.council_id, row.status, row.channel) == (council_id(db, "XAA"), "queued", "api")
    assert row.payload["source_url"] == f"council-published:{row.id}" and row.payload["vacancies"] == ["Ward 2"]
    assert directory(db) == before  # nothing changes until the run: XAA's councillors and XAB's alike
    [event] = audit(db)
    with db.session() as session:
        prefix = session.get(ops.Credential, row.credential_id).prefix
    assert (event.action, event.operation, event.council_id, event.actor, event.channel) == (
        "submitted",
        "publish_roster",
        council_id(db, "XAA"),
        f"council:{prefix}",
        "api",
    )
    assert event.after["published_roster"] == row.id and event.address == "127.0.0.1"
    listed = intake.get("/api/v1/roster", headers={"Authorization": f"Bearer {token_for(db, 'XAA')}"})
    assert [r["published_roster"] for r in listed.json()["rosters"]] == [row.id]
    other = intake.get("/api/v1/roster", headers={"Authorization": f"Bearer {token_for(db, 'XAB')}"})
    assert other.json()["rosters"] == []


def test_the_council_is_the_credentials_never_one_the_file_names(db, intake):
    assert put(intake, token_for(db, "XAB"), GOOD).status_code == 202
    assert [r.council_id for r in stored(db)] == [council_id(db, "XAB")]
    named = put(intake, token_for(db, "XAB"), "id,name,ward,council\n1,Jo Bloggs,North,XAA\n")
    assert named.status_code == 422 and named.json()["problems"][0]["field"] == "council"
    assert len(stored(db)) == 1


@pytest.mark.parametrize("token", [None, "Bearer-less", "cllr_00000000_" + "A" * 43])
def test_the_public_cannot_publish_a_roster(db, intake, token):
    response = put(intake, token, GOOD)
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
    assert stored(db) == []
    assert audit(db) == [] and [(r.status, r.count) for r in tallies(db)] == [(401, 1)]
    form = intake.post(
        "/council/roster",
        data={"csv": GOOD, **({"token": token} if token else {})},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert form.status_code == 401 and stored(db) == []
    assert intake.put("/suggest", content=GOOD.encode()).status_code == 405  # the public form takes no rosters


def test_a_bad_roster_is_refused_whole_with_line_numbers_and_nothing_stored(db, intake):
    before = directory(db)
    body = HEADER + "0,Person XAA0,Ward 0,Labour,,\n0,Person XAA1,Ward 1,,,\n2,Person XAA2,Ward 2,,not-an-email,\n"
    response = put(intake, token_for(db, "XAA"), body)
    assert response.status_code == 422
    assert response.json()["error"] == "the roster is not valid; nothing was stored"
    assert [(p["line"], p["field"]) for p in response.json()["problems"]] == [(3, "id"), (4, "email")]
    assert stored(db) == [] and directory(db) == before
    assert audit(db) == [] and [(r.channel, r.status, r.count) for r in tallies(db)] == [("api", 422, 1)]


def test_a_roster_of_the_wrong_type_or_size_is_refused(db, intake):
    token = token_for(db, "XAA")
    assert put(intake, token, GOOD, content_type="application/json").status_code == 415
    assert put(intake, token, HEADER + "x" * MAX_BYTES).status_code == 413
    assert stored(db) == []


def test_the_council_form_takes_a_pasted_roster_from_its_own_pages_only(db, intake):
    data = {"token": token_for(db, "XAA"), "csv": GOOD}
    refused = intake.post("/council/roster", data=data, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403 and stored(db) == []
    page = intake.post("/council/roster", data=data, headers={"Sec-Fetch-Site": "same-origin"})
    assert page.status_code == 202 and "5 councillors and 1 vacant seat" in page.text
    [row] = stored(db)
    assert (row.channel, row.status) == ("form", "queued")
    bad = intake.post(
        "/council/roster", data={**data, "csv": "id,name,ward,phone\n1,Jo,N,1\n"}, headers={"Sec-Fetch-Site": "none"}
    )
    assert bad.status_code == 422 and "Line 1: phone" in bad.text and len(stored(db)) == 1
    assert 'href="/council/roster"' in intake.get("/council").text


def test_a_newer_roster_replaces_one_still_waiting(db, intake):
    token = token_for(db, "XAA")
    assert put(intake, token, GOOD).status_code == 202
    assert put(intake, token, GOOD).status_code == 202
    assert [r.status for r in stored(db)] == ["superseded", "queued"]


def test_publishing_counts_against_the_credentials_rate_limit(db, intake):
    token = token_for(db, "XAA")
    with db.session() as session:
        credential = session.scalar(select(ops.Credential))
        now = utcnow()
        session.add_all(
            CorrectionEvent(
                action="submitted",
                credential_id=credential.id,
                council_id=credential.council_id,
                batch=f"b{i}",
                at=now - timedelta(minutes=59) + timedelta(seconds=i),
            )
            for i in range(PER_CREDENTIAL)
        )
    response = put(intake, token, GOOD)
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    assert stored(db) == []


# The run -------------------------------------------------------------------------------------------


@pytest.fixture
def ctx(db, tmp_path, database_url):
    """A pipeline context on the two councils' database (nothing here fetches: no council site is asked)."""
    with db.session() as session:  # a council with no scraper at all
        session.add(
            Council(
                code="XAC",
                name="Council XAC",
                common_name="XAC",
                nation="England",
                council_type="NMD",
                cms="none",
                scraper_class="none",
                fictional=True,
            )
        )
    settings = Settings(data_dir=tmp_path, database_url=database_url, request_delay=0, retries=0)
    with context.open_context(settings) as opened:
        yield opened


def publish(db, code: str, body: str) -> int:
    roster, problems = parse_roster_csv(body.encode())
    assert problems == []
    with db.session() as session:
        credential, _ = issue(session, code, "Democratic Services")
        return published.publish(session, roster, ops.Submitter("api", "127.0.0.1", credential)).id


def run(ctx, code: str):
    run_id = context.start_run(ctx, "test")
    return run_id, rosters.scrape_roster(ctx, code, run_id, TODAY)


def test_a_published_roster_is_applied_at_the_next_run_instead_of_the_pages(db, intake, ctx):
    assert put(intake, token_for(db, "XAA"), GOOD).status_code == 202
    [row] = stored(db)
    url = f"council-published:{row.id}"
    untouched = [r for r in directory(db) if r[0] == "XAB"]
    run_id, outcome = run(ctx, "XAA")
    assert outcome.status == "applied", outcome.reason
    assert outcome.reason.startswith(f"published by the council on {row.received_at:%Y-%m-%d}")
    assert (outcome.counts["inserted"], outcome.counts["ended"], outcome.counts["councillors"]) == (1, 1, 5)
    with db.session() as session:
        step = session.get(RunStep, outcome.step_id)
        assert (step.status, step.source_url, step.http) == ("applied", url, {})  # not one request
        assert "published by the council on" in step.reason
        newcomer = session.scalar(select(Councillor).where(Councillor.source_id == "9"))
        assert (newcomer.name, newcomer.source_url, newcomer.run_id) == ("Sam Newcomer", url, run_id)
        assert (newcomer.current.source_url, newcomer.current.run_id, newcomer.current.party_label) == (
            url,
            run_id,
            "Green Party",
        )
        emailed = session.scalar(
            select(Councillor).join(Council).where(Council.code == "XAA", Councillor.source_id == "1")
        )
        assert (emailed.email, emailed.source_url) == ("person1@xaa.example", url)
        gone = session.scalar(
            select(Councillor).join(Council).where(Council.code == "XAA", Councillor.source_id == "4")
        )
        assert (gone.current, gone.memberships[-1].end_reason) == (None, "not_in_source")
        xaa = session.scalar(select(Council).where(Council.code == "XAA"))
        assert xaa.roster_seats == 6  # five councillors and the vacant seat
        assert session.scalar(select(Ward.vacant_seats).where(Ward.council_id == xaa.id, Ward.name == "Ward 2")) == 1
    assert [r for r in directory(db) if r[0] == "XAB"] == untouched
    [row] = stored(db)
    assert (row.status, row.step_id) == ("applied", outcome.step_id)
    assert [(e.action, e.actor, e.operation) for e in audit(db)][-1] == ("applied", "run", "publish_roster")


def test_a_published_roster_removing_most_councillors_is_quarantined_not_applied(db, ctx):
    publish(db, "XAA", GOOD)
    assert run(ctx, "XAA")[1].status == "applied"
    before = directory(db)
    second = publish(db, "XAA", HEADER + "0,Person XAA0,Ward 0,Labour,,\n1,Person XAA1,Ward 1,Labour,,\n")
    _, outcome = run(ctx, "XAA")
    assert outcome.status == "quarantined" and "too_many_removals" in outcome.reason
    assert f"cllr runs approve {outcome.step_id}" in outcome.reason
    assert directory(db) == before
    assert [r.status for r in stored(db)] == ["applied", "quarantined"]
    with db.session() as session:
        staged = session.scalar(select(StagedRoster).where(StagedRoster.step_id == outcome.step_id))
        assert staged.source_url == f"council-published:{second}" and len(staged.payload["councillors"]) == 2
        result = release_roster(session, outcome.step_id, by="ops", reason="the council confirmed", today=TODAY)
    assert len(result.ended) == 3  # released the same way as a scraped roster
    current = [r for r in directory(db) if r[0] == "XAA" and r[5] is None]
    assert sorted(r[1] for r in current) == ["0", "1"]


def test_a_council_with_no_scraper_can_publish_its_roster(db, ctx):
    assert run(ctx, "XAC")[1].status == "skipped"  # as before: nothing to read its pages with
    pid = publish(db, "XAC", HEADER + "a1,Jo Bloggs,North,Independent,,\na2,Sam Smith,South,,,\n,Vacant,South,,,\n")
    _, outcome = run(ctx, "XAC")
    assert outcome.status == "applied" and outcome.counts["inserted"] == 2
    people = [r for r in directory(db) if r[0] == "XAC"]
    assert {(r[1], r[4], r[6]) for r in people} == {
        ("a1", f"council-published:{pid}", f"council-published:{pid}"),
        ("a2", f"council-published:{pid}", f"council-published:{pid}"),
    }
    _, again = run(ctx, "XAC")
    assert again.status == "skipped"  # taken once: the next run is as before, and what it set stays
    assert [r for r in directory(db) if r[0] == "XAC"] == people
    with db.session() as session:
        assert (
            session.scalar(select(func.count()).select_from(PublishedRoster).where(PublishedRoster.status == "queued"))
            == 0
        )
