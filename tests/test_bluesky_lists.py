"""Follow your councillors: one Bluesky list per council on the operator's account, created and
kept in step at every run against the demo web's Bluesky-compatible PDS, never the network;
and nothing published without the operator's credentials."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cllr.config import Settings
from cllr.demo.pds import DEMO_OPERATOR_DID
from cllr.demo.server import DemoServer
from cllr.demo.world import build_world, write_demo_files
from cllr.evidence import CONFIRMED
from cllr.pipeline import bluesky_lists, context, metrics
from cllr.platforms.bluesky_lists import CouncilList, marker, plan
from models import AccountEvidence, Council, Councillor, Membership, SocialAccount

from .test_account_history import collect_everything

OPERATOR = "at://did:plc:operator/app.bsky.graph.list"


def held_list(code: str, rkey: str, name: str = "Councillors of X", note: str | None = None) -> dict:
    return {
        "uri": f"{OPERATOR}/{rkey}",
        "value": {"name": name, "description": note if note is not None else f"The councillors of X. {marker(code)}"},
    }


def item(list_rkey: str, did: str, rkey: str) -> dict:
    return {
        "uri": f"at://did:plc:operator/app.bsky.graph.listitem/{rkey}",
        "value": {"list": f"{OPERATOR}/{list_rkey}", "subject": did},
    }


def wanted(code="XAA", members=("did:plc:a", "did:plc:b"), name="Councillors of X") -> CouncilList:
    return CouncilList(code, name, f"The councillors of X. {marker(code)}", frozenset(members))


@pytest.mark.parametrize(
    ("lists", "items", "expected"),
    [
        ([], [], {"create": ["XAA"], "update": [], "add": [], "remove": []}),
        (
            [held_list("XAA", "l1")],
            [item("l1", "did:plc:a", "i1"), item("l1", "did:plc:b", "i2")],
            {"create": [], "update": [], "add": [], "remove": []},
        ),
        (
            [held_list("XAA", "l1")],
            [item("l1", "did:plc:a", "i1")],
            {"create": [], "update": [], "add": ["did:plc:b"], "remove": []},
        ),
        (
            [held_list("XAA", "l1")],
            [item("l1", "did:plc:a", "i1"), item("l1", "did:plc:b", "i2"), item("l1", "did:plc:gone", "i3")],
            {"create": [], "update": [], "add": [], "remove": ["i3"]},
        ),
        (
            [held_list("XAA", "l1")],
            [item("l1", "did:plc:a", "i1"), item("l1", "did:plc:a", "i4"), item("l1", "did:plc:b", "i2")],
            {"create": [], "update": [], "add": [], "remove": ["i4"]},
        ),
        (
            [held_list("XAA", "l1", name="Old name")],
            [item("l1", "did:plc:a", "i1"), item("l1", "did:plc:b", "i2")],
            {"create": [], "update": ["l1"], "add": [], "remove": []},
        ),
        (
            [held_list("XAA", "mine", note="My own list of people I like"), held_list("XAB", "l2")],
            [item("mine", "did:plc:z", "i9"), item("l2", "did:plc:c", "i8")],
            {"create": ["XAA"], "update": [], "add": [], "remove": []},
        ),
    ],
    ids=[
        "new council",
        "in step",
        "a new member",
        "a member gone",
        "an item twice",
        "renamed",
        "others' lists untouched",
    ],
)
def test_the_plan_makes_only_the_writes_that_bring_the_lists_in_step(lists, items, expected):
    steps = plan([wanted()], lists, items)
    assert {
        "create": [c.code for c in steps.create_lists],
        "update": [rkey for rkey, _ in steps.update_lists],
        "add": [did for _, did in steps.add],
        "remove": steps.remove,
    } == expected


def live_bluesky_by_council(session) -> dict[str, set[str]]:
    """Straight from the tables: each council's sitting councillors' confirmed, live Bluesky
    accounts of their own, by DID."""
    rows = session.execute(
        select(Council.code, SocialAccount.platform_id)
        .join(Councillor, Councillor.council_id == Council.id)
        .join(Membership, (Membership.councillor_id == Councillor.id) & Membership.end_date.is_(None))
        .join(AccountEvidence, AccountEvidence.councillor_id == Councillor.id)
        .join(SocialAccount, SocialAccount.id == AccountEvidence.account_id)
        .where(
            SocialAccount.platform == "bluesky",
            SocialAccount.status.not_in(("not_found", "moved", "merged")),
            SocialAccount.role.in_(("councillor", "personal")),
            AccountEvidence.level.in_(CONFIRMED),
            AccountEvidence.withdrawn_at.is_(None),
        )
    )
    found: dict[str, set[str]] = {}
    for code, did in rows:
        found.setdefault(code, set()).add(did)
    return found


def on_the_demo_web(demo_settings: Settings, server: DemoServer, files: dict, **more) -> Settings:
    """The test's settings pointed at this demo web and its files, with ``more`` (validated as the environment's are)."""
    return Settings(**{**demo_settings.model_dump(), **server.settings(), **files, **more})


def published(pds) -> dict[str, set[str]]:
    """The operator's lists on the demo PDS: council code → members' DIDs."""
    lists = pds.records(DEMO_OPERATOR_DID, "app.bsky.graph.list")
    by_uri = {f"at://{DEMO_OPERATOR_DID}/app.bsky.graph.list/{rkey}": value for rkey, value in lists.items()}
    members: dict[str, set[str]] = {
        v["description"].rsplit("(council ", 1)[1].rstrip(")"): set() for v in by_uri.values()
    }
    for value in pds.records(DEMO_OPERATOR_DID, "app.bsky.graph.listitem").values():
        code = by_uri[value["list"]]["description"].rsplit("(council ", 1)[1].rstrip(")")
        members[code].add(value["subject"])
    return members


def test_the_lists_are_created_then_kept_in_step_as_accounts_go(demo_settings, tmp_path):
    world = build_world(councils=5, seed=7, wards=(3, 5))  # its own: the test changes it
    with DemoServer(world) as server:
        files = write_demo_files(world, tmp_path / "web")
        settings = on_the_demo_web(demo_settings, server, files, **server.list_settings())
        pds = server.web.pds
        with context.open_context(settings) as ctx:
            first = context.start_run(ctx, "test")
            collect_everything(ctx, first)
            metrics.compute_metrics(ctx, first)
            outcome = bluesky_lists.publish_lists(ctx, first)
            assert outcome.status == "done", outcome.reason
            with ctx.db.session() as session:
                expected = live_bluesky_by_council(session)
            assert expected and published(pds) == expected
            assert outcome.counts["lists_created"] == len(expected) and outcome.counts["removed"] == 0

            # In step already: the next run writes nothing.
            writes = pds.writes
            again = bluesky_lists.publish_lists(ctx, context.start_run(ctx, "test"))
            assert again.status == "done" and again.counts["writes"] == 0 and pds.writes == writes

            # A Bluesky account vanishes from the platform: the next run takes it off its council's list.
            world.next_day()
            server.web.reindex()
            vanished = next(a for a in world.accounts() if a.gone and a.platform == "bluesky")
            second = context.start_run(ctx, "test")
            collect_everything(ctx, second)
            metrics.compute_metrics(ctx, second)
            after = bluesky_lists.publish_lists(ctx, second)
            with ctx.db.session() as session:
                now = live_bluesky_by_council(session)
                gone_did = session.scalar(
                    select(SocialAccount.platform_id).where(SocialAccount.handle == vanished.handle)
                )
            assert after.status == "done" and after.counts["removed"] >= 1
            assert published(pds) == now and gone_did not in set().union(*now.values())


def test_without_the_operator_s_credentials_nothing_is_published(demo_settings, tmp_path):
    world = build_world(councils=2, seed=7, wards=(3, 4))
    with DemoServer(world) as server:
        files = write_demo_files(world, tmp_path / "web")
        settings = on_the_demo_web(demo_settings, server, files, bluesky_pds=server.list_settings()["bluesky_pds"])
        assert not settings.bluesky_lists_enabled
        with context.open_context(settings) as ctx:
            run = context.start_run(ctx, "test")
            collect_everything(ctx, run)
            outcome = bluesky_lists.publish_lists(ctx, run)
        assert outcome.status == "skipped" and "nothing is published" in outcome.reason
        assert server.web.pds.writes == 0 and server.web.pds.sessions == {}


def test_a_wrong_app_password_fails_the_step_clearly_and_publishes_nothing(demo_settings, tmp_path):
    world = build_world(councils=2, seed=7, wards=(3, 4))
    with DemoServer(world) as server:
        files = write_demo_files(world, tmp_path / "web")
        wrong = {**server.list_settings(), "bluesky_app_password": "not-the-pass-word"}
        settings = on_the_demo_web(demo_settings, server, files, **wrong)
        with context.open_context(settings) as ctx:
            run = context.start_run(ctx, "test")
            collect_everything(ctx, run)
            outcome = bluesky_lists.publish_lists(ctx, run)
        assert outcome.status == "failed" and "HTTP 401" in outcome.reason
        assert server.web.pds.writes == 0
