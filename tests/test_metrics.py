"""Activity metrics against figures worked out by hand (docs/metrics.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cllr.pipeline import metrics
from models import AccountMetric, Post, ProfileSnapshot, SocialAccount
from models.db import Database

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


# (days ago, kind) of each stored post; reposts are never stored, so never appear here.
POSTS = [
    (0.5, "post"),
    (3, "reply"),
    (6.9, "post"),
    (7.5, "post"),
    (12, "reply"),
    (29, "post"),
    (31, "post"),
    (60, "reply"),
    (89, "post"),
    (95, "post"),
    (-1, "post"),
]
# By hand: 7 days → 0.5, 3, 6.9 = 3; 30 days → + 7.5, 12, 29 = 6; 90 days → + 31, 60, 89 = 9;
# 95 days is outside every window; the post dated tomorrow (-1) is ignored (a wrong clock).
# Replies in 30 days: 3 and 12 = 2. Last post: 0.5 days ago.


@pytest.fixture
def session(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'metrics.sqlite3'}")
    db.migrate()
    with db.session() as session:
        yield session
    db.dispose()


def account(session, key: str, snapshots: list[tuple[float, int | None]], complete: bool = True) -> SocialAccount:
    row = SocialAccount(platform=key.split(":")[0], key=key, handle=key, url=f"https://{key}.example/")
    session.add(row)
    session.flush()
    for days, followers in snapshots:
        session.add(
            ProfileSnapshot(account_id=row.id, taken_at=ago(days), followers=followers, posts_complete=complete)
        )
    return row


@pytest.mark.parametrize(
    ("snapshots", "followers", "change"),
    [
        ([(40, 100), (31, 110), (10, 120), (0, 150)], 150, 40),  # base: the latest at least 30 days old (110)
        ([(30, 90), (0, 85)], 85, -5),  # exactly 30 days old counts as a base
        ([(29, 100), (0, 150)], 150, None),  # followed for under 30 days: no change is shown
        ([(40, None), (0, 150)], 150, None),  # no count at the base: no change
        ([(40, 100), (0, None)], None, None),  # no count now (a blog): nothing
    ],
    ids=["base-110", "exactly-30", "too-young", "no-base-count", "blog"],
)
def test_followers_and_their_change_over_30_days(session, snapshots, followers, change):
    row = account(session, "bluesky:someone", snapshots)
    metrics.compute(session, NOW, run_id=None)
    metric = session.scalar(select(AccountMetric).where(AccountMetric.account_id == row.id))
    assert (metric.followers, metric.followers_change_30d) == (followers, change)


def test_post_counts_by_window_match_the_hand_count(session):
    row = account(session, "mastodon:someone", [(0, 10)])
    for n, (days, kind) in enumerate(POSTS):
        session.add(Post(account_id=row.id, post_id=str(n), posted_at=ago(days), kind=kind))
    quiet = account(session, "web:quiet", [(0, None)], complete=False)
    assert metrics.compute(session, NOW, run_id=None) == 2
    metric = session.scalar(select(AccountMetric).where(AccountMetric.account_id == row.id))
    assert (metric.posts_7d, metric.posts_30d, metric.posts_90d, metric.replies_30d) == (3, 6, 9, 2)
    assert metric.last_post_at == ago(0.5) and metric.complete and metric.as_of == NOW.date()
    silent = session.scalar(select(AccountMetric).where(AccountMetric.account_id == quiet.id))
    assert (silent.posts_30d, silent.last_post_at, silent.complete) == (0, None, False)


def test_computing_twice_on_one_day_replaces_that_days_row(session):
    row = account(session, "bluesky:again", [(0, 5)])
    metrics.compute(session, NOW, run_id=None)
    session.add(Post(account_id=row.id, post_id="late", posted_at=ago(1), kind="post"))
    metrics.compute(session, NOW + timedelta(hours=1), run_id=None)
    rows = session.scalars(select(AccountMetric).where(AccountMetric.account_id == row.id)).all()
    assert [(r.as_of, r.posts_7d) for r in rows] == [(NOW.date(), 1)]
