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
    AccountEvidence, AccountMetric, Council, Councillor, Membership, Post, ProfileSnapshot, Run,
    RunStep, SocialAccount,
)  # fmt: skip
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
    assert counts["Labour"] == sum(1 for c in small_world.councils for m in c.councillors
                                   if m.party in ("Labour", "Labour and Co-operative Party"))  # one Labour family  # fmt: skip
    leaderboard = (site / "leaderboard.html").read_text()
    top = max(small_world.accounts(), key=lambda a: sum(1 for p in a.posts if p.kind != "repost"
                                                     and p.created_at >= small_world.now - timedelta(days=30)))
    assert any(top in m.accounts and m.name in leaderboard for c in small_world.councils for m in c.councillors)
    for html in site.rglob("*.html"):
        text = html.read_text()
        assert "Fictional Row" not in text and "07700 900" not in text
    db.dispose()

    # A second run over an unchanged web changes nothing in the directory, and the
    # council pages are revalidated (304) rather than fetched and parsed again; a paged
    # directory is fetched in full, since any of its pages may have changed.
    again = run_flow(demo_settings)
    one_page = [c for c in small_world.councils if c.cms != "html"]
    assert again["http"]["3xx"] == len(one_page) + people
    assert again["counts"]["profiles.unchanged"] == people
    assert again["statuses"] == {**again["statuses"], "roster:unchanged": len(small_world.councils)}
    assert again["counts"].get("roster.inserted", 0) == 0
    assert again["counts"].get("profiles.accounts_linked", 0) == 0
    assert again["counts"].get("activity.posts_new", 0) == 0
