"""The platform table is the one place a platform is described: the handles, the activity stage
and the site read it, so that a platform whose activity can be read is one module and one row."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cllr.config import Settings
from cllr.handles import PLATFORMS as HANDLE_PLATFORMS
from cllr.handles import normalise
from cllr.pipeline import activity, context, registry, rosters
from cllr.platforms import PLATFORMS, Account, Platform, collected, label
from models import Councillor, Membership, Post, SocialAccount
from models.links import link_account
from scrapers.records import Activity, PostRecord


def test_the_table_and_the_handles_name_the_same_platforms():
    assert tuple(PLATFORMS) == HANDLE_PLATFORMS
    assert all(name == row.name for name, row in PLATFORMS.items())


@pytest.mark.parametrize("name", [name for name, row in PLATFORMS.items() if row.pace])
def test_a_platforms_pace_is_a_setting(name):
    assert PLATFORMS[name].pace in Settings.model_fields


@pytest.mark.parametrize(
    "update, expected",
    [
        ({}, ["bluesky", "mastodon", "youtube", "web"]),
        ({"x_bearer_token": "t", "x_monthly_cap_usd": 5.0}, ["twitter", "bluesky", "mastodon", "youtube", "web"]),
    ],
)
def test_the_platforms_read_are_those_measured_and_enabled(update, expected, tmp_path):
    assert [p.name for p in collected(Settings(data_dir=tmp_path, **update))] == expected


@pytest.mark.parametrize(
    "name, shown", [("bluesky", "Bluesky"), ("twitter", "X"), ("web", "Website"), ("somewhere", "somewhere")]
)
def test_a_platform_is_shown_by_its_label(name, shown):
    assert label(name) == shown


def test_a_new_row_is_all_the_activity_stage_needs_to_read_a_platform(demo_settings, monkeypatch):
    """Threads gets a collector in the table only: its accounts are batched, read through it and stored."""
    now = datetime.now(UTC)
    given: list[Account] = []

    def collect(reading, account: Account, since, profile) -> Activity:
        given.append(account)
        posts = [PostRecord(f"t{i}", now - timedelta(days=i), "post") for i in range(3)]
        return Activity(source_url=account.url, platform_id="threads-id-1", followers=12, posts=posts)

    threads = replace(PLATFORMS["threads"], collect=collect, batch=7, counted="posts")
    monkeypatch.setitem(PLATFORMS, "threads", threads)
    handle = normalise("https://www.threads.net/@fictional.councillor")
    with context.open_context(demo_settings) as ctx:
        run_id = context.start_run(ctx, "test")
        first = registry.load_registry(ctx)[0]
        assert rosters.scrape_roster(ctx, first, run_id, now.date()).status == "applied"
        with ctx.db.session() as session:
            councillor_id = session.scalar(select(Councillor.id).join(Membership).order_by(Councillor.id).limit(1))
            link_account(
                session,
                councillor_id,
                handle,
                method="council_profile",
                source_url="https://x.example/p",
                run_id=run_id,
            )
            account_id = session.scalar(select(SocialAccount.id).where(SocialAccount.key == handle.key))
        batches = [b for b in activity.account_batches(ctx) if account_id in b]
        assert batches == [[account_id]]
        outcome = activity.collect_activity(ctx, batches[0], run_id)
        with ctx.db.session() as session:
            stored = session.scalars(select(Post.post_id).where(Post.account_id == account_id).order_by(Post.post_id))
            account = session.get(SocialAccount, account_id)
            assert (list(stored), account.platform_id, account.status) == (["t0", "t1", "t2"], "threads-id-1", "active")
    assert [a.key for a in given] == [handle.key]
    assert outcome.status == "done" and outcome.counts["posts_new"] == 3


def test_a_row_without_a_collector_is_not_read(demo_settings):
    assert not PLATFORMS["threads"].measured
    assert "threads" not in [p.name for p in collected(demo_settings)]
    assert isinstance(PLATFORMS["threads"], Platform)
