"""The whole pipeline against the local demo web, on SQLite and on PostgreSQL.

The flow runs under a local Prefect API; the bad-day scenarios call the stage
functions directly, as the flow does.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from models import (
    AccountEvidence,
    AccountMetric,
    Council,
    Councillor,
    Membership,
    Post,
    ProfileSnapshot,
    Run,
    RunStep,
    SocialAccount,
)
from models.base import utcnow
from models.db import Database

pytestmark = pytest.mark.flow


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def run_flow(settings):
    from flows.refresh import refresh

    return refresh(settings=settings.model_dump(mode="json"), trigger="test")


def expected_keys(world):
    keys = set()
    for council in world.councils:
        for member in council.councillors:
            for account in member.accounts:
                if account.platform == "bluesky":
                    keys.add(f"bluesky:{account.handle}")
                elif account.platform == "mastodon":
                    keys.add(f"mastodon:{account.handle}")
                elif account.platform == "youtube":
                    keys.add(f"youtube:channel:{account.handle}")
                else:
                    keys.add(f"web:https://{account.handle}")
    return keys


def test_the_pipeline_builds_the_directory_and_the_site(prefect_api, demo_settings, small_world):
    started = utcnow()
    summary = run_flow(demo_settings)
    finished = utcnow()
    assert {c.cms for c in small_world.councils} == {"moderngov", "cmis", "html", "json"}
    assert summary["statuses"]["roster:applied"] == len(small_world.councils)
    assert not summary["problems"]

    db = Database(demo_settings.db_url)
    with db.session() as session:
        assert count(session, Council) == len(small_world.councils)
        people = sum(len(c.councillors) for c in small_world.councils)
        assert count(session, Councillor) == people
        assert session.scalar(select(func.count()).where(Membership.end_date.is_(None))) == people
        # Every account the demo councillors' pages and roster entries name, and no others
        # (the council's own Bluesky account sits outside the profile's content area).
        assert set(session.scalars(select(SocialAccount.key))) == expected_keys(small_world)
        assert session.scalar(select(func.count()).select_from(AccountEvidence)) >= len(expected_keys(small_world))
        # Provenance: every councillor and account points at its source and run.
        assert session.scalar(select(func.count()).where(Councillor.run_id.is_(None))) == 0
        assert session.scalar(select(func.count()).where(SocialAccount.source_url.is_(None))) == 0

        # Activity: a Bluesky account's stored posts are its own posts and replies, never reposts.
        account = next(a for a in small_world.accounts() if a.platform == "bluesky" and len(a.posts) > 5)
        row = session.scalar(select(SocialAccount).where(SocialAccount.key == f"bluesky:{account.handle}"))
        assert row.platform_id.startswith("did:plc:demo")

        def own_ids(moment):
            return {p.id for p in account.posts if p.kind != "repost" and p.created_at >= moment - timedelta(days=90)}

        stored = {s.rsplit("/", 1)[1] for s in session.scalars(select(Post.post_id).where(Post.account_id == row.id))}
        assert own_ids(finished) <= stored <= own_ids(started)
        metric = session.scalar(select(AccountMetric).where(AccountMetric.account_id == row.id))

        def own_since(moment):
            return sum(1 for p in account.posts if p.kind != "repost" and p.created_at >= moment - timedelta(days=30))

        # Metrics are computed at some moment during the run: bracket it.
        assert own_since(finished) <= metric.posts_30d <= own_since(started)
        assert metric.followers == account.followers
        snapshot = session.scalar(select(ProfileSnapshot).where(ProfileSnapshot.account_id == row.id))
        assert snapshot.posts_total == len([p for p in account.posts if p.kind != "repost"])

        # The ledger records the run and a step per council.
        run = session.scalar(select(Run))
        assert run.status == "finished" and run.finished_at is not None
        steps = session.scalars(select(RunStep).where(RunStep.stage == "roster")).all()
        assert {s.status for s in steps} == {"applied"}

        # Published contact details only: the demo roster's home addresses and mobiles are never kept.
        for c in session.scalars(select(Councillor)):
            assert "Fictional Row" not in repr(vars(c)) and "07700" not in repr(vars(c))

    site = demo_settings.output_dir
    assert (site / "index.html").exists() and (site / "leaderboard.html").exists()
    council = small_world.councils[0]
    page = (site / "councils" / f"{council.code.lower()}.html").read_text()
    assert council.councillors[1].name in page
    assert "Demo data" in page
    index = BeautifulSoup((site / "index.html").read_text(), "html.parser")
    by_party = next(t for t in index.find_all("table") if t.caption and t.caption.get_text().startswith("By party"))
    counts = {tr.td.get_text(): int(tr.find_all("td")[1].get_text()) for tr in by_party.tbody.find_all("tr")}
    assert sum(counts.values()) == people  # every current councillor in exactly one party row
    assert counts["Labour"] == sum(
        1 for c in small_world.councils for m in c.councillors if m.party in ("Labour", "Labour and Co-operative Party")
    )  # one Labour family
    leaderboard = (site / "leaderboard.html").read_text()
    top = max(
        small_world.accounts(),
        key=lambda a: sum(
            1 for p in a.posts if p.kind != "repost" and p.created_at >= small_world.now - timedelta(days=30)
        ),
    )
    assert any(top in m.accounts and m.name in leaderboard for c in small_world.councils for m in c.councillors)
    for html in site.rglob("*.html"):
        text = html.read_text()
        assert "Fictional Row" not in text and "07700 900" not in text
    db.dispose()

    # A second run over an unchanged web changes nothing in the directory. Rosters and blog
    # pages are revalidated (304) rather than fetched and parsed again (a paged directory is
    # fetched in full, since any of its pages may have changed); with every roster unchanged
    # and the profile pages read within profile_recheck_days, no profile page is asked for;
    # and no Bluesky or Mastodon feed is read, since the batched profiles' post counts stand.
    again = run_flow(demo_settings)
    one_page = [c for c in small_world.councils if c.cms != "html"]
    blogs = {a.handle for a in small_world.accounts() if a.platform == "web"}
    assert again["http"]["3xx"] == len(one_page) + len(blogs)
    councils = len(small_world.councils)
    assert again["statuses"] == {**again["statuses"], "roster:unchanged": councils, "profiles:unchanged": councils}
    assert "profiles.unchanged" not in again["counts"]
    db = Database(demo_settings.db_url)
    with db.session() as session:
        steps = session.execute(
            select(RunStep.subject, RunStep.http).where(RunStep.run_id == again["run_id"], RunStep.stage == "activity")
        ).all()
    db.dispose()
    social = [a for a in small_world.accounts() if a.platform in ("bluesky", "mastodon")]
    asked = sum(
        int(n)
        for subject, tally in steps
        if subject.split(" x")[0] in ("bluesky", "mastodon")
        for k, n in tally.items()
        if k.isdigit()
    )
    assert 0 < asked < len(social) / 4  # profiles in batches (25 or 40 a request), and no feed
    assert again["counts"].get("roster.inserted", 0) == 0
    assert again["counts"].get("profiles.accounts_linked", 0) == 0
    assert again["counts"].get("activity.posts_new", 0) == 0


@pytest.fixture
def own_world(tmp_path, database_url):
    """A small world of this test's own (free to change), served, with settings that point at it."""
    from cllr.config import Settings
    from cllr.demo.server import DemoServer
    from cllr.demo.world import build_world, write_demo_files

    def make(latency: float = 0.0, **overrides):
        world = build_world(councils=overrides.pop("councils", 3), seed=11, wards=(3, 5), shared_every=2)
        server = DemoServer(world, latency=latency).__enter__()
        servers.append(server)
        settings = Settings(
            data_dir=tmp_path,
            database_url=database_url,
            **write_demo_files(world, tmp_path),
            **server.settings(),
            **{"request_delay": 0, "workers": 4, **overrides},
        )
        return world, server, settings

    servers = []
    yield make
    for server in servers:
        server.__exit__(None, None, None)


def requests_of(settings, run_id: int, stage: str, subject: str = "") -> int:
    """Requests the run's steps of a stage made (from their HTTP tallies), for subjects starting with ``subject``."""
    db = Database(settings.db_url)
    with db.session() as session:
        tallies = session.scalars(
            select(RunStep.http).where(
                RunStep.run_id == run_id, RunStep.stage == stage, RunStep.subject.startswith(subject)
            )
        ).all()
    db.dispose()
    return sum(int(n) for tally in tallies for status, n in tally.items() if status.isdigit())


def test_only_the_feeds_of_accounts_whose_post_count_moved_are_read_again(prefect_api, own_world):
    from cllr.demo import world as demo

    world, _server, settings = own_world()
    run_flow(settings)
    posters = [next(a for a in world.accounts() if a.platform == platform) for platform in ("bluesky", "mastodon")]
    for account in posters:
        account.posts.insert(0, demo.Post("9999ffffff", world.now + timedelta(minutes=5), "post"))
    again = run_flow(settings)
    assert again["counts"]["activity.posts_new"] == 2
    bluesky = sum(1 for a in world.accounts() if a.platform == "bluesky")
    assert requests_of(settings, again["run_id"], "activity", "bluesky") == -(-bluesky // 25) + 1  # profiles, one feed
    servers = {a.handle.split("@")[1] for a in world.accounts() if a.platform == "mastodon"}
    assert (
        requests_of(settings, again["run_id"], "activity", "mastodon") == len(servers) + 1
    )  # accounts by id, one feed
    db = Database(settings.db_url)
    with db.session() as session:
        stored = set(session.scalars(select(SocialAccount.key).join(Post).where(Post.post_id.contains("9999ffffff"))))
    db.dispose()
    assert stored == {f"bluesky:{posters[0].handle}", f"mastodon:{posters[1].handle}"}


def test_profile_pages_behind_an_unchanged_roster_are_read_again_once_the_recheck_days_pass(prefect_api, own_world):
    from sqlalchemy import update

    world, _server, settings = own_world()
    councils = len(world.councils)
    people = sum(len(c.councillors) for c in world.councils)
    run_flow(settings)
    second = run_flow(settings)
    assert second["statuses"]["profiles:unchanged"] == councils
    assert requests_of(settings, second["run_id"], "profiles") == 0
    db = Database(settings.db_url)
    with db.session() as session:  # eight days on, as far as the ledger can tell
        session.execute(
            update(RunStep).where(RunStep.stage == "profiles").values(finished_at=utcnow() - timedelta(days=8))
        )
    db.dispose()
    third = run_flow(settings)
    assert third["statuses"]["profiles:done"] == councils and third["counts"]["profiles.unchanged"] == people
    always = run_flow(settings.model_copy(update={"profile_recheck_days": 0}))
    assert always["statuses"]["profiles:done"] == councils and always["counts"]["profiles.unchanged"] == people


def test_activity_is_collected_while_the_busiest_lane_is_still_scraping(prefect_api, own_world, monkeypatch):
    import flows.refresh

    monkeypatch.setattr(flows.refresh, "QUEUE_EVERY", 0.0)
    # Six councils: three on the shared provider (one lane, read in turn), three on their own.
    _world, _server, settings = own_world(latency=0.02, councils=6, request_delay=0.01, batch_size=5)
    summary = run_flow(settings)
    db = Database(settings.db_url)
    with db.session() as session:
        steps = session.execute(
            select(RunStep.stage, RunStep.started_at, RunStep.finished_at).where(RunStep.run_id == summary["run_id"])
        ).all()
        first_activity = min(start for stage, start, _ in steps if stage == "activity")
        last_profiles = max(end for stage, _, end in steps if stage == "profiles")
        assert first_activity < last_profiles
        snapshots = session.execute(
            select(ProfileSnapshot.account_id, func.count()).group_by(ProfileSnapshot.account_id)
        ).all()
        assert snapshots and {n for _, n in snapshots} == {1}  # each account collected once
        never_read = session.scalar(
            select(func.count()).select_from(SocialAccount).where(SocialAccount.last_checked_at.is_(None))
        )
        assert never_read == 0
    db.dispose()


@pytest.mark.parametrize(
    ("stages", "ran"),
    [
        ("councils", {"corrections", "roster", "profiles"}),
        ("no-activity", {"corrections", "roster", "profiles", "metrics", "wards", "site"}),
    ],
)
def test_a_refresh_runs_only_the_stages_asked_for_and_asks_no_platform_without_activity(
    prefect_api, own_world, stages, ran
):
    world, server, settings = own_world(stages=stages)
    summary = run_flow(settings)
    assert {status.split(":")[0] for status in summary["statuses"]} == ran
    platforms = {"public.api.bsky.app", *(a.handle.split("@")[1] for a in world.accounts() if a.platform == "mastodon")}
    assert server.web.log and not platforms & set(server.web.log)
    assert (settings.output_dir / "index.html").exists() == (stages == "no-activity")


def test_council_lanes_never_wait_behind_activity_batches(prefect_api, own_world, monkeypatch):
    """On a second run every known account is queued for activity before the first council is read:
    with one thread for batches and slow platforms, the councils' requests still start at once."""
    import flows.refresh

    world, server, settings = own_world(latency=0.05, councils=4, workers=1, batch_size=2, lanes=8)
    run_flow(settings)
    server.web.log.clear()
    monkeypatch.setattr(flows.refresh, "QUEUE_EVERY", 3600.0)
    run_flow(settings)
    councils = {council.host for council in world.councils}
    first_council = next(i for i, host in enumerate(server.web.log) if host in councils)
    assert first_council < 5  # not after the platform calls of every queued batch


def test_a_council_or_a_lane_that_fails_outright_fails_alone_and_the_run_goes_on(prefect_api, own_world, monkeypatch):
    """A council whose step cannot even be recorded fails on its own; a lane's task that fails outright
    reports its councils failed; neither stops the run, whose other councils are applied."""
    import flows.refresh
    from cllr.http import slot_key
    from cllr.pipeline import rosters

    world, _server, settings = own_world(councils=4, stages="councils")
    broken, lost = world.councils[0].code, world.councils[3].code
    real_roster, real_lane = rosters.scrape_roster, rosters.scrape_lane

    def roster(ctx, code, *args):
        if code == broken:
            raise RuntimeError("database is locked")
        return real_roster(ctx, code, *args)

    def lane(ctx, codes, *args):
        if lost in codes:
            raise RuntimeError("the task runner lost it")
        return real_lane(ctx, codes, *args)

    monkeypatch.setattr(rosters, "scrape_roster", roster)
    monkeypatch.setattr(flows.refresh.rosters, "scrape_lane", lane)
    summary = run_flow(settings)
    statuses = {k.split(":")[1]: n for k, n in summary["statuses"].items() if k.startswith("roster:")}
    lanes_lost = {c.code for c in world.councils if slot_key(c.host) == slot_key(world.councils[3].host)}
    assert broken not in lanes_lost  # the lost lane: the councils sharing its slot
    assert statuses.get("failed") == len({broken} | lanes_lost)
    assert statuses.get("applied") == len(world.councils) - statuses["failed"]
