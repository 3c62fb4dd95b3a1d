"""The councillor page's line at a glance: what it says for each kind of record, counting
what the figures count (confirmed, live accounts of their own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cllr.site.glance import at_a_glance
from cllr.site.views import AccountView, PersonView
from models import AccountEvidence, AccountMetric, Councillor, Membership, SocialAccount

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def account(
    platform="bluesky",
    *,
    level="verified",
    posts=None,
    days_ago=None,
    role="councillor",
    status="active",
    complete=True,
):
    """One linked account: its level of evidence, and a metric when ``posts`` is given."""
    row = SocialAccount(
        platform=platform, key=f"{platform}:x", handle="x", url="https://x.example", role=role, status=status
    )
    row.changes = []
    metric = None
    if posts is not None:
        last = NOW - timedelta(days=days_ago) if days_ago is not None else None
        metric = AccountMetric(posts_30d=posts, last_post_at=last, complete=complete)
    return AccountView(row, metric, [AccountEvidence(level=level, method="rel_me")])


def person(*accounts: AccountView) -> PersonView:
    return PersonView(Councillor(name="Jo Example"), Membership(), list(accounts))


@pytest.mark.parametrize(
    ("accounts", "said"),
    [
        (
            [account("bluesky", posts=10, days_ago=2), account("mastodon", posts=6, days_ago=5)],
            "Active on Bluesky and Mastodon: 16 posts in the last 30 days; last post 2 days ago.",
        ),
        ([account("bluesky", posts=1, days_ago=0)], "Active on Bluesky: 1 post in the last 30 days; last post today."),
        (
            [account("web", posts=4, days_ago=1, complete=False)],
            "Active on their website: 4 or more posts in the last 30 days; last post yesterday.",
        ),
        (
            [account("bluesky", posts=0, days_ago=45), account("mastodon", posts=0)],
            "No posts in the last 30 days on Bluesky and Mastodon; last post 45 days ago.",
        ),
        ([account("facebook")], "A confirmed account on Facebook; we do not measure its activity."),
        (
            [account("bluesky", posts=9, days_ago=1, role="campaign")],
            "Only campaign or party accounts are confirmed (Bluesky): they are shown, not counted.",
        ),
        (
            [account("bluesky", posts=9, days_ago=1, status="not_found"), account("mastodon", posts=3, status="moved")],
            "Every confirmed account they had is gone or has moved; none is counted.",
        ),
        (
            [account("bluesky", posts=9, days_ago=1, level="unconfirmed")],
            "No confirmed account: those below only match the name, and are not counted.",
        ),
        ([], "We know of no public account for this councillor."),
    ],
    ids=[
        "active on two",
        "one post today",
        "a feed's lower bound",
        "quiet",
        "not measured",
        "campaign only",
        "all gone",
        "name match only",
        "none",
    ],
)
def test_the_line_at_a_glance_says_what_the_figures_count(accounts, said):
    assert at_a_glance(person(*accounts), NOW, 30) == said


def test_a_gone_account_s_posts_are_not_counted_beside_a_live_one():
    live, gone = account("mastodon", posts=3, days_ago=3), account("bluesky", posts=50, days_ago=1, status="not_found")
    assert (
        at_a_glance(person(live, gone), NOW, 30)
        == "Active on Mastodon: 3 posts in the last 30 days; last post 3 days ago."
    )
