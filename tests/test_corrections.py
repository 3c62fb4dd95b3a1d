"""Corrections: the intake over real HTTP (uvicorn on 127.0.0.1), review, locks that survive re-scrapes, the audit."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta

import httpx
import pytest
import uvicorn
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select, text

from cllr.corrections import operations as ops
from cllr.corrections import review
from cllr.corrections.accounts_csv import parse_csv
from cllr.corrections.credentials import issue, revoke
from cllr.corrections.intake import PER_CREDENTIAL, create_app
from cllr.handles import normalise
from cllr.site.build import build_site
from cllr.site.views import gather_people
from models import (
    AccountEvidence,
    Correction,
    CorrectionEvent,
    Council,
    Councillor,
    Disagreement,
    FieldLock,
    RefusalTally,
    SocialAccount,
)
from models.base import utcnow
from models.db import Database
from models.links import link_level, record_links
from models.merge import apply_roster
from scrapers.records import Roster, ScrapedCouncillor

TODAY = date(2026, 11, 23)
EVIDENCE = "https://democracy.north.example/mgUserInfo.aspx?UID=1"


def roster(council_code: str, n: int = 5, **changes) -> Roster:
    people = [
        ScrapedCouncillor(
            source_id=str(i),
            name=f"Person {council_code}{i}",
            raw_name=f"Cllr Person {i}",
            ward=f"Ward {i % 3}",
            party="Labour",
        )
        for i in range(n)
    ]
    people[1] = replace(people[1], **changes)
    return Roster(people, sorted({p.ward for p in people}), f"https://{council_code.lower()}.example/roster")


@pytest.fixture
def db(database_url):
    yield from two_small_councils(database_url)


def two_small_councils(database_url) -> Iterator[Database]:
    """Councils XAA and XAB with five councillors each, from ``roster``."""
    database = Database(database_url)
    database.migrate()
    with database.session() as session:
        for code in ("XAA", "XAB"):
            council = Council(
                code=code,
                name=f"Council {code}",
                common_name=code,
                nation="England",
                council_type="NMD",
                cms="moderngov",
                scraper_class="moderngov",
                fictional=True,
            )
            session.add(council)
            session.flush()
            apply_roster(session, council, roster(code), run_id=None, today=TODAY, checked=False)
    yield database
    database.dispose()


def slug(db, code: str, source_id: str = "1") -> str:
    with db.session() as session:
        return session.scalar(
            select(Councillor.slug).join(Council).where(Council.code == code, Councillor.source_id == source_id)
        )


def token_for(db, code: str, **kwargs) -> str:
    with db.session() as session:
        return issue(session, code, "Democratic Services", **kwargs)[1]


@contextmanager
def serving(app, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` with uvicorn in a background thread on a free port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="error", lifespan="off", proxy_headers=False)
    )  # as `cllr intake` runs it
    thread = threading.Thread(target=server.run, name="intake", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the intake did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


@pytest.fixture
def intake(db):
    """The real ASGI app served by uvicorn on 127.0.0.1; yields an httpx client for it."""
    with serving(create_app(db)) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        yield client


def add(db, code="XAA", account="https://bsky.app/profile/person.north.example", **extra) -> dict:
    return {"op": "add_account", "councillor": slug(db, code), "account": account, "evidence_url": EVIDENCE, **extra}


def post(client, token, *operations, **kwargs):
    return client.post(
        "/api/v1/corrections",
        json={"corrections": list(operations)},
        headers={"Authorization": f"Bearer {token}"},
        **kwargs,
    )


def refusals(db) -> list[tuple]:
    """The refusal tallies: (channel, status, address, prefix, credential id, count), oldest first."""
    with db.session() as session:
        rows = session.scalars(select(RefusalTally).order_by(RefusalTally.hour, RefusalTally.id))
        return [(r.channel, r.status, r.address, r.prefix, r.credential_id, r.count) for r in rows]


def events(db, action=None) -> list[CorrectionEvent]:
    with db.session() as session:
        query = select(CorrectionEvent).order_by(CorrectionEvent.id)
        return list(session.scalars(query.where(CorrectionEvent.action == action) if action else query))


# Credentials (S-8) and authorisation from the credential (S-9) -----------------------------


def test_a_council_token_submits_an_account_and_it_is_approved_for_the_next_run(db, intake):
    token = token_for(db, "XAA")
    response = post(intake, token, add(db))
    assert response.status_code == 201, response.text
    [made] = response.json()["corrections"]
    assert made["status"] == "approved" and made["values"] == {
        "account": "https://bsky.app/profile/person.north.example",
        "role": "councillor",
    }
    assert [e.action for e in events(db)] == ["submitted"]
    with db.session() as session:
        stored = session.scalar(select(Council.id).where(Council.code == "XAA"))
        assert session.scalar(select(Correction.council_id)) == stored


@pytest.mark.parametrize("state", ["unknown", "revoked", "expired", "malformed", "missing"])
def test_unknown_revoked_and_expired_tokens_are_refused_and_audited(db, intake, state):
    issued = {"days": 1, "now": utcnow() - timedelta(days=2)} if state == "expired" else {}  # ended yesterday
    token = token_for(db, "XAA", **issued)
    if state == "revoked":
        with db.session() as session:
            revoke(session, token.split("_")[1])
    headers = {
        "unknown": {"Authorization": f"Bearer {token[:-4]}AAAA"},
        "malformed": {"Authorization": "Bearer x"},
        "missing": {},
    }.get(state, {"Authorization": f"Bearer {token}"})
    response = intake.post("/api/v1/corrections", json={"corrections": [add(db)]}, headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
    assert state in response.json()["error"] or state in ("malformed", "missing")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Correction)) == 0
    prefix = token.split("_")[1] if state in ("unknown", "revoked", "expired") else None
    assert refusals(db) == [("api", 401, "127.0.0.1", prefix, None, 1)] and events(db) == []


def test_a_credential_used_only_to_read_is_shown_as_used(db, intake):
    token = token_for(db, "XAA")
    with db.session() as session:
        assert session.scalar(select(ops.Credential.last_used_at)) is None
    assert intake.get("/api/v1/councillors", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with db.session() as session:
        assert session.scalar(select(ops.Credential.last_used_at)) is not None


def test_a_councils_token_cannot_correct_another_councils_councillor(db, intake):
    token = token_for(db, "XAA")
    response = post(intake, token, add(db, code="XAB"))
    assert response.status_code == 403
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Correction)) == 0
        credential_id = session.scalar(select(ops.Credential.id))
    assert refusals(db) == [("api", 403, "127.0.0.1", None, credential_id, 1)]


def test_the_council_is_taken_from_the_credential_never_the_body(db, intake):
    token = token_for(db, "XAA")
    response = post(intake, token, {**add(db), "council": "XAB"})
    assert response.status_code == 422
    assert {"field": "corrections.0.council", "problem": "is not a field this operation takes"} in response.json()[
        "problems"
    ]


def test_a_council_lists_only_its_own_councillors(db, intake):
    response = intake.get("/api/v1/councillors", headers={"Authorization": f"Bearer {token_for(db, 'XAB')}"})
    assert response.status_code == 200
    assert {p["councillor"].split("-")[0] for p in response.json()["councillors"]} == {"xab"}


def test_one_councils_councillors_are_read_with_one_query_not_the_national_directory(db):
    """The intake shows a council its councillors from a query on that council alone: the same
    views the national read gives for it, with no statement reading every councillor."""
    with db.session() as session:
        council_id = session.scalar(select(Council.id).where(Council.code == "XAB"))
        everyone, _ = gather_people(session)
        statements: list[str] = []
        listen = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            people, former = gather_people(session, council_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
    national = [p.councillor.slug for p in everyone if p.councillor.council_id == council_id]
    assert sorted(p.councillor.slug for p in people) == sorted(national) and len(national) == 5 and former == []
    rows_read = [s for s in statements if s.startswith("SELECT councillor.id, councillor.council_id")]
    assert len(rows_read) == 1 and "WHERE councillor.council_id =" in rows_read[0]
    unfiltered = [s for s in statements if "FROM councillor" in s and "councillor.council_id =" not in s]
    assert unfiltered == []


# Validation (S-12) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"account": "javascript:alert(1)"}, "corrections.0.account"),
        ({"account": "not an account at all"}, "corrections.0.account"),
        ({"evidence_url": "ftp://files.example/x"}, "corrections.0.evidence_url"),
        ({"evidence_url": "https://user:pw@council.example/"}, "corrections.0.evidence_url"),
        ({"role": "owner"}, "corrections.0.role"),
        ({"op": "delete_everything"}, "corrections.0"),
        ({"password": "x"}, "corrections.0.password"),
    ],
)
def test_operations_outside_the_schema_are_refused_with_where_and_why(db, intake, change, field):
    response = post(intake, token_for(db, "XAA"), {**add(db), **change})
    assert response.status_code == 422
    assert field in [p["field"] for p in response.json()["problems"]]
    assert "alert" not in response.text or "javascript" not in response.json()["problems"][0]["problem"]


def test_oversized_and_wrongly_typed_bodies_are_refused(db, intake):
    token = token_for(db, "XAA")
    big = post(intake, token, {**add(db), "note": "x" * 70_000})
    assert big.status_code == 413
    typed = intake.post(
        "/api/v1/corrections", content=b"{}", headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
    )
    assert typed.status_code == 415


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=30),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
        max_leaves=12,
    ),
    op=st.sampled_from([*ops.OPERATIONS, "x"]),
)
def test_generated_payloads_never_cause_a_server_error(db, intake, body, op):
    token = getattr(test_generated_payloads_never_cause_a_server_error, "token", None)
    if token is None or token[0] is not db:
        test_generated_payloads_never_cause_a_server_error.token = token = (db, token_for(db, "XAA", days=1))
    for payload in (body, {"corrections": [body]}, {"corrections": [{"op": op, "councillor": body}]}):
        response = intake.post(
            "/api/v1/corrections",
            content=json.dumps(payload),
            headers={"Authorization": f"Bearer {token[1]}", "Content-Type": "application/json"},
        )
        assert response.status_code in (201, 403, 404, 422, 429), response.text


# Forms: CSRF (S-10) and the public form (S-15) ---------------------------------------------------


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),
        ({"Origin": "https://evil.example"}, 403),
        ({"Sec-Fetch-Site": "same-origin"}, 201),
    ],
)
def test_council_form_posts_from_other_sites_are_refused(db, intake, headers, status):
    data = {**add(db), "token": token_for(db, "XAA")}
    response = intake.post("/council", data=data, headers={"Content-Type": FORM, **headers})
    assert response.status_code == status, response.text
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Correction)) == (1 if status == 201 else 0)


def test_the_intakes_pages_name_an_icon_it_serves(db, intake):
    form = intake.get("/suggest")
    assert form.status_code == 200 and '<link rel="icon" href="/static/favicon.svg"' in form.text
    icon = intake.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_a_public_suggestion_always_waits_for_review(db, intake):
    data = {**add(db), "website": ""}
    response = intake.post("/suggest", data=data, headers={"Content-Type": FORM, "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 201 and "waits for review" in response.text
    with db.session() as session:
        assert session.scalar(select(Correction.status)) == "queued"
        assert session.scalar(select(Correction.credential_id)) is None


def test_the_honeypot_stores_nothing_but_the_refusal(db, intake):
    data = {**add(db), "website": "https://spam.example"}
    response = intake.post("/suggest", data=data, headers={"Content-Type": FORM})
    assert response.status_code == 200
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Correction)) == 0
    assert refusals(db) == [("public", 400, "127.0.0.1", None, None, 1)] and events(db) == []


def test_hostile_text_in_a_form_comes_back_escaped(db, intake):
    data = {"op": "add_account", "councillor": "<script>alert(1)</script>", "account": "x", "evidence_url": "nope"}
    response = intake.post("/suggest", data=data, headers={"Content-Type": FORM})
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.text and "&lt;script&gt;" in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


# Rate limits (S-11) ---------------------------------------------------------------------------------


def test_the_sixty_first_submission_in_an_hour_is_refused_with_retry_after(db, intake):
    token = token_for(db, "XAA")
    with db.session() as session:  # sixty earlier submissions in the hour, as the audit records them
        council_id, credential_id = session.execute(text("SELECT council_id, id FROM council_credential")).one()
        now = ops.utcnow()
        session.add_all(
            CorrectionEvent(
                action="submitted",
                credential_id=credential_id,
                council_id=council_id,
                batch=f"b{i}",
                at=now - timedelta(minutes=59) + timedelta(seconds=i),
            )
            for i in range(PER_CREDENTIAL)
        )
    response = post(intake, token, add(db))
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 61
    other = post(intake, token_for(db, "XAB"), add(db, code="XAB"))
    assert other.status_code == 201  # another credential is not held back


def test_an_address_that_keeps_failing_is_locked_out_for_a_while(db, intake):
    for _ in range(20):
        assert intake.get("/api/v1/councillors", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = intake.get("/api/v1/councillors", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    # a council's own valid token at that address (behind the same proxy or NAT) is not locked out
    ok = intake.get("/api/v1/councillors", headers={"Authorization": f"Bearer {token_for(db, 'XAA')}"})
    assert ok.status_code == 200
    # twenty-one refused requests, two rows: counted per hour, not a row each
    assert refusals(db) == [("api", 401, "127.0.0.1", None, None, 20), ("api", 429, "127.0.0.1", None, None, 1)]


def test_a_credential_prefix_that_keeps_failing_from_many_addresses_is_locked(db, behind_proxy):
    """An attacker rotating addresses against one council's credential is slowed by its prefix."""
    token = token_for(db, "XAA")
    guess = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for n in range(50):
        headers = {"Authorization": f"Bearer {guess}", "X-Forwarded-For": f"198.51.100.{n}"}
        assert behind_proxy.get("/api/v1/councillors", headers=headers).status_code == 401
    fresh = {"Authorization": f"Bearer {guess}", "X-Forwarded-For": "203.0.113.200"}
    response = behind_proxy.get("/api/v1/councillors", headers=fresh)
    assert response.status_code == 429 and "credential" in response.json()["error"]
    other = {"Authorization": f"Bearer {token_for(db, 'XAB')}", "X-Forwarded-For": "198.51.100.3"}
    assert behind_proxy.get("/api/v1/councillors", headers=other).status_code == 200  # other councils go on


@pytest.fixture
def behind_proxy(db):
    """The intake as deployed: behind a TLS reverse proxy on 127.0.0.1 that sets X-Forwarded-For."""
    app = create_app(db, public_url="https://intake.example/", trusted_proxies=["127.0.0.1/32"])
    with serving(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        yield client


def test_behind_a_trusted_proxy_one_clients_failures_do_not_lock_out_another(db, behind_proxy):
    bad = {"Authorization": "Bearer wrong", "X-Forwarded-For": "198.51.100.7"}
    for _ in range(20):
        assert behind_proxy.get("/api/v1/councillors", headers=bad).status_code == 401
    assert behind_proxy.get("/api/v1/councillors", headers=bad).status_code == 429
    council = {"Authorization": f"Bearer {token_for(db, 'XAA')}", "X-Forwarded-For": "203.0.113.9"}
    assert behind_proxy.get("/api/v1/councillors", headers=council).status_code == 200
    # a client cannot pick its own address: the proxy appends the one it saw, and that is the one taken
    spoofed = {**bad, "X-Forwarded-For": "203.0.113.9, 198.51.100.7"}
    assert behind_proxy.get("/api/v1/councillors", headers=spoofed).status_code == 429
    assert {address for _, _, address, *_ in refusals(db)} == {"198.51.100.7"}


def test_forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy(db, intake):
    for n in range(20):  # a direct client rotating the header it writes itself
        headers = {"Authorization": "Bearer wrong", "X-Forwarded-For": f"198.51.100.{n}"}
        assert intake.get("/api/v1/councillors", headers=headers).status_code == 401
    response = intake.get("/api/v1/councillors", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 429 and {address for _, _, address, *_ in refusals(db)} == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("origin", "status"),
    [("https://intake.example", 201), ("http://intake.example", 403), ("https://evil.example", 403)],
)
def test_behind_tls_form_posts_are_checked_against_the_configured_public_origin(db, behind_proxy, origin, status):
    data = {**add(db), "token": token_for(db, "XAA")}
    response = behind_proxy.post("/council", data=data, headers={"Content-Type": FORM, "Origin": origin})
    assert response.status_code == status, response.text


def test_each_further_lockout_of_an_address_lasts_twice_as_long(db, intake):
    three_hours_ago = utcnow() - timedelta(hours=3)
    with db.session() as session:  # twenty failures three hours ago: that hour's lockout is over
        session.add(
            RefusalTally(
                hour=three_hours_ago.replace(minute=0, second=0, microsecond=0),
                channel="api",
                status=401,
                address="127.0.0.1",
                count=20,
                last_at=three_hours_ago,
            )
        )
    wrong = {"Authorization": "Bearer wrong"}
    for _ in range(20):
        assert intake.get("/api/v1/councillors", headers=wrong).status_code == 401
    response = intake.get("/api/v1/councillors", headers=wrong)
    assert response.status_code == 429 and 3600 < int(response.headers["retry-after"]) <= 7201


# Review (S-13), applying, locks (D-9), reverting --------------------------------------------------------


def submit(db, *operations, code="XAA", channel="api"):
    with db.session() as session:
        credential = session.scalar(select(ops.Credential).join(Council).where(Council.code == code))
        if credential is None:
            credential, _ = issue(session, code, "officer")
        return [
            c.id
            for c in ops.submit(
                session,
                [ops.OPERATION.validate_python(o) for o in operations],
                ops.Submitter(channel, "127.0.0.1", credential),
            )
        ]


def statuses(db, ids) -> list[str]:
    with db.session() as session:
        return [session.get(Correction, i).status for i in ids]


def test_a_council_cannot_claim_another_councils_councillors_account_without_review(db):
    """XAB's councillor's account, added by XAA's credential to one of XAA's: it waits for review,
    and nothing is linked until someone approves it."""
    theirs = "https://bsky.app/profile/theirs.south.example"
    [linked] = submit(db, add(db, code="XAB", account=theirs), code="XAB")
    with db.session() as session:
        assert ops.apply_approved(session)[0] == 1
    [claimed] = submit(db, add(db, code="XAA", account=theirs), code="XAA")
    [own] = submit(db, add(db, code="XAA", account="https://bsky.app/profile/ours.north.example"), code="XAA")
    assert statuses(db, [linked, claimed, own]) == ["applied", "queued", "approved"]
    assert "another council" in events(db, "submitted")[-2].detail


def test_a_councils_operations_past_the_volume_allowed_go_to_review(db):
    many = [add(db, account=f"https://bsky.app/profile/p{n}.north.example") for n in range(review.AUTO_PER_REQUEST + 5)]
    ids = submit(db, *many)
    assert statuses(db, ids) == ["approved"] * review.AUTO_PER_REQUEST + ["queued"] * 5
    day = []  # more requests the same day: none beyond AUTO_PER_DAY without review
    while len(day) < review.AUTO_PER_DAY:
        batch = [add(db, account=f"https://bsky.app/profile/d{len(day) + n}.north.example") for n in range(25)]
        day += submit(db, *batch)
    assert statuses(db, day).count("approved") == review.AUTO_PER_DAY - review.AUTO_PER_REQUEST


def test_a_name_change_waits_for_review_and_an_account_applies(db):
    name_id, account_id = submit(
        db, {"op": "set_name", "councillor": slug(db, "XAA"), "name": "Jo Corrected", "evidence_url": EVIDENCE}, add(db)
    )
    with db.session() as session:
        assert ops.apply_approved(session) == (1, [])
        assert session.get(Correction, name_id).status == "queued"
        assert session.get(Correction, account_id).status == "applied"


def test_a_corrected_name_survives_three_rescrapes_with_one_disagreement(db):
    [cid] = submit(
        db, {"op": "set_name", "councillor": slug(db, "XAA"), "name": "Jo Corrected", "evidence_url": EVIDENCE}
    )
    with db.session() as session:
        ops.decide(session, cid, approve=True, reviewer="operator")
        ops.apply_approved(session)
    for _ in range(3):
        with db.session() as session:
            council = session.scalar(select(Council).where(Council.code == "XAA"))
            apply_roster(session, council, roster("XAA"), run_id=None, today=TODAY)
    with db.session() as session:
        person = session.scalar(select(Councillor).where(Councillor.slug == slug(db, "XAA")))
        assert person.name == "Jo Corrected"
        assert session.scalar(select(FieldLock.field).where(FieldLock.councillor_id == person.id)) == "name"
        [row] = session.scalars(select(Disagreement)).all()
        assert (row.field, row.locked, row.scraped, row.times) == ("name", "Jo Corrected", "Person XAA1", 3)


@pytest.mark.parametrize(
    ("operation", "check"),
    [
        ({"op": "set_party", "party": "Green Party"}, lambda p: p.current.party_label == "Green Party"),
        ({"op": "set_ward", "ward": "Ward 2"}, lambda p: p.current.ward.name == "Ward 2"),
        (
            {"op": "mark_left", "left_on": "2026-11-01"},
            lambda p: p.current is None and p.memberships[-1].end_reason == "left",
        ),
    ],
)
def test_corrected_seats_survive_rescrapes_and_a_revert_restores_them(db, operation, check):
    [cid] = submit(db, {**operation, "councillor": slug(db, "XAA"), "evidence_url": EVIDENCE})
    with db.session() as session:
        ops.decide(session, cid, approve=True, reviewer="operator")
        ops.apply_approved(session)
    for _ in range(3):
        with db.session() as session:
            apply_roster(
                session,
                session.scalar(select(Council).where(Council.code == "XAA")),
                roster("XAA"),
                run_id=None,
                today=TODAY,
            )
    with db.session() as session:
        person = session.scalar(select(Councillor).where(Councillor.slug == slug(db, "XAA")))
        assert check(person)
        assert session.scalar(select(Disagreement.times)) == 3
        ops.revert(session, cid, reviewer="operator", note="sent in error")
    with db.session() as session:
        person = session.scalar(select(Councillor).where(Councillor.slug == slug(db, "XAA")))
        assert (person.current.ward.name, person.current.party_label) == ("Ward 1", "Labour")
        assert session.scalar(select(func.count()).select_from(FieldLock)) == 0
    assert [e.action for e in events(db)] == ["submitted", "approved", "applied", "reverted"]


def test_a_removed_account_stays_removed_when_the_council_page_still_lists_it(db):
    page = "https://xaa.example/mgUserInfo.aspx?UID=1"
    handle = normalise("https://bsky.app/profile/person.north.example")
    with db.session() as session:
        person_id = session.scalar(select(Councillor.id).where(Councillor.slug == slug(db, "XAA")))
        record_links(
            session, person_id, [(handle, "councillor")], method="council_profile", source_url=page, run_id=None
        )
    submit(db, {"op": "remove_account", "councillor": slug(db, "XAA"), "account": handle.url, "evidence_url": EVIDENCE})
    with db.session() as session:
        ops.apply_approved(session)
    for _ in range(3):
        with db.session() as session:
            record_links(
                session, person_id, [(handle, "councillor")], method="council_profile", source_url=page, run_id=None
            )
    with db.session() as session:
        evidence = session.scalars(select(AccountEvidence).where(AccountEvidence.councillor_id == person_id)).all()
        assert link_level(evidence) is None
        assert session.scalar(select(Disagreement.times)) == 3


def test_an_added_account_is_council_confirmed_and_a_scrape_never_withdraws_it(db):
    submit(db, add(db))
    with db.session() as session:
        ops.apply_approved(session)
        person_id = session.scalar(select(Councillor.id).where(Councillor.slug == slug(db, "XAA")))
        for _ in range(3):  # the council page lists nothing for them
            record_links(
                session, person_id, [], method="council_profile", source_url="https://xaa.example/p1", run_id=None
            )
        evidence = session.scalars(
            select(AccountEvidence).join(SocialAccount).where(SocialAccount.key == "bluesky:person.north.example")
        ).all()
        assert link_level(evidence) == "council"


# The audit (S-14) -------------------------------------------------------------------------------------


def test_addresses_leave_the_audit_after_ninety_days_and_each_run_clears_them(db):
    now = utcnow()
    with db.session() as session:
        for age in (91, 89):
            session.add(
                CorrectionEvent(
                    action="refused",
                    address=f"192.0.2.{age}",
                    detail="401: unknown credential",
                    at=now - timedelta(days=age),
                )
            )
            session.add(
                RefusalTally(
                    hour=now - timedelta(days=age),
                    channel="api",
                    status=401,
                    address=f"192.0.2.{age}",
                    count=3,
                    last_at=now - timedelta(days=age),
                )
            )
    with db.session() as session:
        assert ops.purge_addresses(session) == 2
    assert [e.address for e in events(db)] == [None, "192.0.2.89"]
    assert [e.detail for e in events(db)] == ["401: unknown credential"] * 2  # the rest of the row stays
    assert [(address, count) for _, _, address, *_, count in refusals(db)] == [(None, 3), ("192.0.2.89", 3)]


def test_a_closed_disagreement_stays_closed_and_a_revert_closes_the_fields_disagreements(db):
    [cid] = submit(
        db, {"op": "set_name", "councillor": slug(db, "XAA"), "name": "Jo Corrected", "evidence_url": EVIDENCE}
    )
    with db.session() as session:
        ops.decide(session, cid, approve=True, reviewer="operator")
        ops.apply_approved(session)

    def rescrape(**changes):
        with db.session() as session:
            apply_roster(
                session,
                session.scalar(select(Council).where(Council.code == "XAA")),
                roster("XAA", **changes),
                run_id=None,
                today=TODAY,
            )

    rescrape()
    with db.session() as session:
        ops.close_disagreement(session, session.scalar(select(Disagreement.id)))
    rescrape()
    rescrape(name="Person Elsewhere")
    with db.session() as session:
        rows = session.scalars(select(Disagreement).order_by(Disagreement.id)).all()
        assert [(d.scraped, d.status, d.times) for d in rows] == [
            ("Person XAA1", "closed", 2),
            ("Person Elsewhere", "open", 1),
        ]
        ops.revert(session, cid, reviewer="operator", note="the council's page was right")
    with db.session() as session:
        assert session.scalars(select(Disagreement.status)).all() == ["closed", "closed"]


def test_the_audit_cannot_be_edited_or_deleted_only_erased(db):
    submit(db, add(db))
    with db.session() as session:
        row = session.scalar(select(CorrectionEvent))
        row_id = row.id
    for statement in (
        f"DELETE FROM correction_event WHERE id = {row_id}",
        f"UPDATE correction_event SET action = 'applied' WHERE id = {row_id}",
        f"UPDATE correction_event SET evidence_url = 'https://other.example/' WHERE id = {row_id}",
        f"UPDATE correction_event SET address = '10.0.0.1' WHERE id = {row_id}",
    ):
        with pytest.raises(Exception, match="append-only"), db.session() as session:
            session.execute(text(statement))
    with db.session() as session:  # the two updates the application makes: clear the address, erase the values
        session.execute(text(f"UPDATE correction_event SET address = NULL WHERE id = {row_id}"))
        session.execute(
            text(
                f"UPDATE correction_event SET erased = true, before = NULL, after = NULL, evidence_url = NULL,"
                f" detail = NULL WHERE id = {row_id}"
            )
        )
    with pytest.raises(Exception, match="append-only"), db.session() as session:
        session.execute(text(f"UPDATE correction_event SET erased = false WHERE id = {row_id}"))


# Bulk CSV ----------------------------------------------------------------------------------------------


def test_a_council_uploads_its_accounts_as_csv(db, intake):
    body = (
        "councillor,action,account,role,evidence_url,note\n"
        f"{slug(db, 'XAA', '1')},add,https://bsky.app/profile/one.north.example,councillor,{EVIDENCE},\n"
        f"{slug(db, 'XAA', '2')},add,@two@mastodon.example,personal,{EVIDENCE},from the officer\n"
    )
    response = intake.post(
        "/api/v1/corrections.csv",
        content=body.encode(),
        headers={"Authorization": f"Bearer {token_for(db, 'XAA')}", "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    assert [c["status"] for c in response.json()["corrections"]] == ["approved", "approved"]


def test_a_csv_with_problems_is_refused_whole_with_line_numbers():
    body = (
        "councillor,action,account,evidence_url\n"
        "xaa-a,add,https://bsky.app/profile/one.north.example,https://council.example/a\n"
        "xaa-b,replace,https://bsky.app/profile/two.north.example,https://council.example/b\n"
        "xaa-c,add,not an account,https://council.example/c\n"
        "xaa-d,add,https://bsky.app/profile/four.north.example,javascript:alert(1)\n"
    )
    operations, problems = parse_csv(body.encode())
    assert operations == []
    assert [(p["line"], p["field"]) for p in problems] == [(3, "action"), (4, "account"), (5, "evidence_url")]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"name,account\nx,y\n", "missing councillor, action, evidence_url; unknown name"),
        (b"\xff\xfe", "is not UTF-8 text"),
        (b"councillor,action,account,evidence_url\n", "has no rows"),
    ],
)
def test_a_csv_of_the_wrong_shape_says_what_is_wrong(body, problem):
    operations, problems = parse_csv(body)
    assert operations == [] and problem in problems[0]["problem"]


# On the site (part 6) ----------------------------------------------------------------------------------


def test_the_site_marks_what_a_correction_set_and_links_each_page_to_its_suggest_form(db, tmp_path):
    person = slug(db, "XAA")
    party = {"op": "set_party", "councillor": person, "party": "Green Party", "evidence_url": EVIDENCE}
    submit(db, add(db), party)
    [_suggested] = submit(
        db,
        {"op": "set_name", "councillor": slug(db, "XAA", "2"), "name": "Person Renamed", "evidence_url": EVIDENCE},
        channel="public",
    )
    with db.session() as session:
        for correction in session.scalars(select(Correction).where(Correction.status == "queued")):
            ops.decide(session, correction.id, approve=True, reviewer="operator")
        assert ops.apply_approved(session) == (3, [])
        applied = session.scalar(select(func.max(Correction.applied_at))).strftime("%-d %b %Y")
        build_site(session, tmp_path, intake_url="https://intake.example/")

    def page(name: str) -> BeautifulSoup:
        return BeautifulSoup((tmp_path / "councillors" / f"{name}.html").read_text(), "html.parser")

    corrected = page(person)
    assert [m.get_text() for m in corrected.select(".corrected")] == [
        f"(corrected by the council on {applied})",
        f"(added by the council on {applied})",
    ]
    assert "Green Party" in corrected.select_one(".corrected").parent.get_text()
    assert (
        corrected.find("a", string="Suggest a correction")["href"]
        == f"https://intake.example/suggest?councillor={person}"
    )
    assert [m.get_text() for m in page(slug(db, "XAA", "2")).select(".corrected")] == [
        f"(corrected after review on {applied})"
    ]
    assert page(slug(db, "XAA", "3")).select(".corrected") == []
    council = BeautifulSoup((tmp_path / "councils" / "xaa.html").read_text(), "html.parser")
    assert council.find("a", string="corrections form")["href"] == "https://intake.example/council"


@pytest.mark.parametrize("days", ["-5", "0", "100000000"])
def test_a_credential_that_would_be_expired_or_last_for_ever_is_refused_in_one_line(database_url, days):
    from click.testing import CliRunner

    from cllr.cli import cli

    db = next(two_small_councils(database_url))
    result = CliRunner(env={"DATABASE_URL": database_url}).invoke(
        cli, ["credentials", "issue", "XAA", "--label", "Democratic Services", "--days", days]
    )
    assert result.exit_code == 2 and "--days" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ops.Credential)) == 0
    with db.session() as session, pytest.raises(ValueError, match="from 1 to"):
        issue(session, "XAA", "Democratic Services", days=int(days))
    db.dispose()
