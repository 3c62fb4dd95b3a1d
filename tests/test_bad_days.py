"""A broken council site never corrupts or deletes what is stored, and never stops the run."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from cllr.config import Settings
from cllr.demo.server import DemoServer
from cllr.demo.world import build_world, write_demo_files
from cllr.pipeline import context, profiles, registry, rosters
from models import AccountEvidence, Councillor, Membership, RunStep

MEMBER_INDEX = "/mgMemberIndex.aspx"
ROSTER = "/mgWebService.asmx/GetCouncillorsByWard"
TODAY = date(2026, 11, 23)


@pytest.fixture
def world():
    return build_world(councils=5, seed=11, wards=(3, 4))  # ModernGov (own site, shared), CMIS, HTML, JSON


@pytest.fixture
def site(world, tmp_path, database_url):
    """A served world and an open pipeline context on a fresh database, after one good run."""
    with DemoServer(world) as server:
        settings = Settings(
            data_dir=tmp_path,
            database_url=database_url,
            **write_demo_files(world, tmp_path),
            **server.settings(),
            request_delay=0,
            backoff_base=0.01,
        )
        with context.open_context(settings) as ctx:
            run_id = context.start_run(ctx, "test")
            for code in registry.load_registry(ctx):
                assert rosters.scrape_roster(ctx, code, run_id, TODAY).status == "applied"
            yield server, ctx


def current_members(ctx, code):
    with ctx.db.session() as session:
        rows = session.execute(
            select(Councillor.source_id, Membership.end_date, Membership.end_reason)
            .join(Membership, Membership.councillor_id == Councillor.id)
            .join(Councillor.council)
            .where(Councillor.council.has(code=code))
        ).all()
    return {sid for sid, end, _ in rows if end is None}, {sid: reason for sid, end, reason in rows if end}


def rescrape(ctx, code):
    run_id = context.start_run(ctx, "test")
    return rosters.scrape_roster(ctx, code, run_id, TODAY)


@pytest.mark.parametrize(
    ("reply", "status", "reason"),
    [
        (
            (200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html><body>Server Error</body></html>"),
            "failed",
            "HTML page",
        ),
        (
            (
                200,
                {"Content-Type": "text/xml"},
                b'<?xml version="1.0"?><councillorsbyward><wards></wards></councillorsbyward>',
            ),
            "quarantined",
            "zero_results",
        ),
        ((503, {"Content-Type": "text/plain"}, b"down for maintenance"), "failed", "HTTP 503"),
        ((200, {"Content-Type": "text/xml"}, b"<councillorsbyward><wards><ward>"), "failed", "not well-formed"),
    ],
    ids=["html-error-page", "empty-roster", "server-error", "truncated-xml"],
)
def test_a_broken_roster_changes_nothing(site, world, reply, status, reason):
    server, ctx = site
    council = world.councils[0]
    before = current_members(ctx, council.code)
    server.web.faults[(council.host, ROSTER)] = reply
    server.web.faults[(council.host, MEMBER_INDEX)] = reply  # the fallback is broken too
    outcome = rescrape(ctx, council.code)
    assert outcome.status == status and reason in outcome.reason
    assert current_members(ctx, council.code) == before
    with ctx.db.session() as session:
        step = session.scalars(select(RunStep).order_by(RunStep.id.desc())).first()
        assert (step.status, step.subject) == (status, council.code)
    # The other councils are unaffected.
    assert rescrape(ctx, world.councils[1].code).status == "unchanged"


@pytest.mark.parametrize(
    "reply",
    [
        (404, {"Content-Type": "text/html"}, b"<html><body>Not found</body></html>"),
        (200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html><body>Web service disabled</body></html>"),
    ],
    ids=["service-404", "service-html"],
)
def test_when_the_web_service_is_off_the_member_index_is_read_instead(site, world, reply):
    server, ctx = site
    council = world.councils[0]
    before = current_members(ctx, council.code)
    server.web.faults[(council.host, ROSTER)] = reply
    outcome = rescrape(ctx, council.code)
    assert outcome.status == "unchanged" and outcome.reason.startswith("read the moderngov member index")
    assert outcome.counts["unchanged"] == len(before[0])
    assert current_members(ctx, council.code) == before
    with ctx.db.session() as session:
        step = session.scalars(select(RunStep).order_by(RunStep.id.desc())).first()
        assert step.source_url.endswith("mgMemberIndex.aspx?FN=WARD&VW=LIST&PIC=0")


FAMILIES = [(0, "moderngov"), (1, "moderngov"), (2, "cmis"), (3, "html"), (4, "json")]


@pytest.mark.parametrize(("index", "family"), FAMILIES, ids=[f"{i}-{f}" for i, f in FAMILIES])
def test_losing_60_percent_of_councillors_is_quarantined_in_every_family(site, world, index, family):
    _server, ctx = site
    council = world.councils[index]
    assert council.cms == family
    before = current_members(ctx, council.code)
    council.councillors[:] = council.councillors[: len(council.councillors) * 2 // 5]
    outcome = rescrape(ctx, council.code)
    assert outcome.status == "quarantined" and "too_many_removals" in outcome.reason
    assert current_members(ctx, council.code) == before and not before[1]  # all still active, none ended


@pytest.mark.parametrize(("index", "family"), FAMILIES, ids=[f"{i}-{f}" for i, f in FAMILIES])
def test_a_roster_of_zero_councillors_changes_nothing_in_every_family(site, world, index, family):
    _server, ctx = site
    council = world.councils[index]
    before = current_members(ctx, council.code)
    council.councillors.clear()
    outcome = rescrape(ctx, council.code)
    if family == "cmis":  # a CMIS page without person blocks cannot be told from an error page
        assert outcome.status == "failed" and "no person blocks" in outcome.reason
    else:
        assert outcome.status == "quarantined" and "zero_results" in outcome.reason
    assert current_members(ctx, council.code) == before and not before[1]


def test_a_councillor_who_leaves_is_end_dated_not_deleted(site, world):
    _server, ctx = site
    council = world.councils[0]
    leaver = council.councillors.pop()
    outcome = rescrape(ctx, council.code)
    assert outcome.status == "applied" and outcome.counts["ended"] == 1
    current, ended = current_members(ctx, council.code)
    assert str(leaver.uid) not in current
    assert ended[str(leaver.uid)] == "not_in_source"


def test_a_change_of_party_opens_a_new_membership(site, world):
    _server, ctx = site
    council = world.councils[0]
    member = council.councillors[0]
    member.party = "Independent" if member.party != "Independent" else "Green Party"
    assert rescrape(ctx, council.code).counts["updated"] == 1
    with ctx.db.session() as session:
        person = session.scalar(
            select(Councillor).where(Councillor.source_id == str(member.uid), Councillor.council.has(code=council.code))
        )
        assert [(m.party_label, m.end_reason) for m in person.memberships][-2:] == [
            (person.memberships[-2].party_label, "changed"),
            (member.party, None),
        ]


def test_an_unmodified_roster_is_not_parsed_again(site, world):
    _server, ctx = site
    outcome = rescrape(ctx, world.councils[2].code)
    assert (outcome.status, outcome.reason) == ("unchanged", "not modified since the last run (304)")
    assert outcome.counts == {}


def test_the_same_roster_applied_twice_changes_nothing(site, world, monkeypatch):
    _, ctx = site
    monkeypatch.setattr(ctx.settings, "conditional", False)  # a full fetch and parse, as if the cache were gone
    outcome = rescrape(ctx, world.councils[2].code)
    assert outcome.status == "unchanged" and outcome.reason is None
    assert outcome.counts["inserted"] == outcome.counts["updated"] == outcome.counts["ended"] == 0
    assert outcome.counts["unchanged"] == len(world.councils[2].councillors)


def test_an_unreachable_council_fails_alone(world, tmp_path):
    files = write_demo_files(world, tmp_path)
    with DemoServer(world) as server:
        mapping = server.connect_to()
        mapping[world.councils[0].host] = "127.0.0.1:9"  # nothing listens on the discard port
        settings = Settings(
            data_dir=tmp_path, **files, connect_to=mapping, request_delay=0, timeout=5, backoff_base=0.01
        )
        with context.open_context(settings) as ctx:
            run_id = context.start_run(ctx, "test")
            outcomes = {code: rosters.scrape_roster(ctx, code, run_id, TODAY) for code in registry.load_registry(ctx)}
    assert outcomes[world.councils[0].code].status == "failed"
    assert "robots.txt unreachable" in outcomes[world.councils[0].code].reason  # RFC 9309: then no page requests
    assert {o.status for c, o in outcomes.items() if c != world.councils[0].code} == {"applied"}


def test_a_missing_profile_page_is_counted_not_fatal(site, world):
    server, ctx = site
    council = world.councils[1]
    server.web.faults[(council.host, "/mgUserInfo.aspx")] = (500, {}, b"oops")
    outcome = profiles.discover_accounts(ctx, council.code, context.start_run(ctx, "test"))
    assert outcome.counts["failed"] == len(council.councillors)
    assert outcome.status == "failed" and "HTTP 500" in outcome.reason


def test_a_page_whose_links_cannot_be_written_is_the_only_one_lost(site, world, monkeypatch):
    """A council's pages are written in one transaction; when it fails, each page in its own."""
    from models.links import record_links

    _server, ctx = site
    council = next(c for c in world.councils if sum(bool(m.accounts) for m in c.councillors) >= 2)
    linked = [m for m in council.councillors if m.accounts]
    with ctx.db.session() as session:
        broken = session.scalar(
            select(Councillor.profile_url).where(
                Councillor.council.has(code=council.code), Councillor.name == linked[0].name
            )
        )

    def failing(session, councillor_id, found, *, source_url, **kwargs):
        if source_url == broken:
            raise RuntimeError("disk full")
        return record_links(session, councillor_id, found, source_url=source_url, **kwargs)

    monkeypatch.setattr(profiles, "record_links", failing)
    outcome = profiles.discover_accounts(ctx, council.code, context.start_run(ctx, "test"))
    assert outcome.counts["failed"] == 1 and outcome.status == "done"
    assert f"{broken}: unexpected RuntimeError('disk full')" in outcome.reason
    assert outcome.counts["pages"] == len(council.councillors) - 1
    with ctx.db.session() as session:
        written = set(
            session.scalars(
                select(Councillor.name)
                .join(AccountEvidence, AccountEvidence.councillor_id == Councillor.id)
                .where(AccountEvidence.method == "council_profile", Councillor.council.has(code=council.code))
            )
        )
    assert written == {m.name for m in linked[1:]}  # every page but the broken one, none lost with it


def test_a_quarantined_roster_is_kept_and_released_only_by_an_audited_command(site, world, database_url):
    from click.testing import CliRunner

    from cllr.cli import cli

    _server, ctx = site
    council = world.councils[0]
    before = current_members(ctx, council.code)
    kept = council.councillors[:2]
    council.councillors[:] = kept
    outcome = rescrape(ctx, council.code)
    assert outcome.status == "quarantined" and f"cllr runs approve {outcome.step_id}" in outcome.reason
    assert current_members(ctx, council.code) == before

    runner = CliRunner(env={"DATABASE_URL": database_url})
    listed = runner.invoke(cli, ["runs", "list", "--status", "quarantined"])
    assert str(outcome.step_id) in listed.output and council.code in listed.output
    refused = runner.invoke(cli, ["runs", "approve", str(outcome.step_id)])
    assert refused.exit_code != 0 and "--reason" in refused.output  # a reason is required
    released = runner.invoke(
        cli, ["runs", "approve", str(outcome.step_id), "--reason", "boundary review", "--by", "ops"]
    )
    assert released.exit_code == 0, released.output
    assert f"{len(before[0]) - 2} left" in released.output
    assert current_members(ctx, council.code)[0] == {str(m.uid) for m in kept}
    with ctx.db.session() as session:
        step = session.scalars(select(RunStep).order_by(RunStep.id.desc())).first()
        assert step.status == "applied" and "by ops: boundary review" in step.reason
    again = runner.invoke(cli, ["runs", "approve", str(outcome.step_id), "--reason", "twice"])
    assert again.exit_code == 1 and "released already" in again.output


def test_a_quarantined_roster_the_council_has_moved_past_is_not_released_without_force(site, world, database_url):
    """A roster quarantined, then the council's page recovers and is applied: releasing the stale
    one would end its councillors' terms and reopen them at the next run, a false departure."""
    from click.testing import CliRunner

    from cllr.cli import cli

    _server, ctx = site
    council = world.councils[0]
    everyone = list(council.councillors)
    before = current_members(ctx, council.code)
    council.councillors[:] = everyone[:2]
    stale = rescrape(ctx, council.code)
    assert stale.status == "quarantined"
    council.councillors[:] = everyone  # the page recovers
    assert rescrape(ctx, council.code).status in ("applied", "unchanged")

    runner = CliRunner(env={"DATABASE_URL": database_url})
    refused = runner.invoke(cli, ["runs", "approve", str(stale.step_id), "--reason", "late review"])
    assert refused.exit_code == 1 and "stale" in refused.output and "--force" in refused.output
    assert current_members(ctx, council.code) == before  # nobody ended, nobody reopened
    forced = runner.invoke(cli, ["runs", "approve", str(stale.step_id), "--reason", "really", "--force"])
    assert forced.exit_code == 0, forced.output
    assert current_members(ctx, council.code)[0] == {str(m.uid) for m in everyone[:2]}


def test_an_account_whose_activity_cannot_be_written_is_the_only_one_lost(site, world, monkeypatch):
    """A batch's accounts are written in one transaction; when it fails, each account in its own."""
    from cllr.pipeline import activity
    from models import ProfileSnapshot
    from models.store import record_activity

    _server, ctx = site
    run_id = context.start_run(ctx, "test")
    for council in world.councils:
        profiles.discover_accounts(ctx, council.code, run_id)
    batch = max(activity.account_batches(ctx), key=len)
    assert len(batch) >= 2
    broken = batch[0]

    def failing(session, account, activity_read, *, run_id):
        if account.id == broken:
            raise RuntimeError("disk full")
        return record_activity(session, account, activity_read, run_id=run_id)

    monkeypatch.setattr(activity, "record_activity", failing)
    outcome = activity.collect_activity(ctx, batch, run_id)
    assert outcome.counts["failed"] == 1
    assert f"account {broken}: unexpected RuntimeError('disk full')" in outcome.reason
    with ctx.db.session() as session:
        collected = set(
            session.scalars(select(ProfileSnapshot.account_id).where(ProfileSnapshot.account_id.in_(batch)))
        )
    assert collected == set(batch) - {broken}  # every account but the broken one, none lost with it


def test_a_lane_or_batch_past_its_time_limit_reports_what_it_did_not_reach_and_the_next_run_takes_it(site, world):
    """CLLR_TASK_TIME_LIMIT: a lane of councils (or a batch of accounts) stops taking new work once
    its time is up; what it did not reach is reported, left as it was, and read by the next run."""
    from cllr.pipeline import activity

    server, ctx = site
    codes = [c.code for c in world.councils[:2]]
    before = {code: current_members(ctx, code) for code in codes}
    accounts = [i for batch in activity.account_batches(ctx, new_only=False) for i in batch]
    assert accounts
    server.web.take_arrivals()
    late = replace(ctx, settings=ctx.settings.model_copy(update={"task_time_limit": 1e-9}))
    run_id = context.start_run(late, "test")
    lane = rosters.scrape_lane(late, codes, run_id, TODAY)
    batch = activity.collect_activity(late, accounts, run_id)
    assert [(o.subject, o.status) for o in lane] == [(code, "failed") for code in codes]
    assert all("time limit" in o.reason for o in lane)
    assert batch.counts["not_read"] == len(accounts) and batch.counts["accounts"] == 0
    assert server.web.take_arrivals() == []  # nothing was asked of anyone
    assert {code: current_members(ctx, code) for code in codes} == before

    run_id = context.start_run(ctx, "test")  # the next run, with its time
    assert {o.status for o in rosters.scrape_lane(ctx, codes, run_id, TODAY) if o.stage == "roster"} <= {
        "applied",
        "unchanged",
    }
    assert activity.collect_activity(ctx, accounts, run_id).counts["accounts"] == len(accounts)
