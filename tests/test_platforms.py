"""Parsers for platform responses, on real captured responses (tests/fixtures/platforms/MANIFEST.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scrapers import bluesky, feeds, mastodon
from scrapers.records import SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "platforms"


def load(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_bluesky_profile_counters_and_did():
    activity = bluesky.parse_profile(load("bluesky/getProfile.dril.json"))
    assert activity.platform_id == "did:plc:6wpkkitfdkgthatfvspcfmjo"
    assert activity.handle == "dril.bsky.social"
    assert (activity.followers, activity.following, activity.posts_total) == (523417, 116, 387)


def test_bluesky_feed_uses_the_earlier_of_created_and_indexed_times():
    posts, cursor = bluesky.parse_author_feed(
        load("bluesky/getAuthorFeed.dril.json"), "did:plc:6wpkkitfdkgthatfvspcfmjo"
    )
    assert cursor == "2025-02-21T18:38:52.746Z"
    assert len(posts) == 5
    assert [p.kind for p in posts].count("reply") == 1
    first = posts[0]
    assert first.post_id == "at://did:plc:6wpkkitfdkgthatfvspcfmjo/app.bsky.feed.post/3lix6ufungs22"
    # indexedAt 20:29:50.454, createdAt 20:30:07.343 (a fast client clock): the earlier wins.
    assert first.posted_at == datetime(2025, 2, 24, 20, 29, 50, 454000, tzinfo=UTC)


def test_bluesky_feed_leaves_out_other_authors_and_reposts():
    item = load("bluesky/feedViewPost.reply.bsky-app.json")
    author = item["post"]["author"]["did"]
    assert [p.kind for p in bluesky.parse_author_feed({"feed": [item]}, author)[0]] == ["reply"]
    assert bluesky.parse_author_feed({"feed": [item]}, "did:plc:someoneelse")[0] == []
    repost = dict(item, reason={"$type": "app.bsky.feed.defs#reasonRepost"})
    assert bluesky.parse_author_feed({"feed": [repost]}, author)[0] == []


def test_mastodon_account_counters_and_uri():
    activity = mastodon.parse_account(load("mastodon/account.fosstodon.json"))
    assert activity.platform_id == "https://fosstodon.org/users/schochastics"
    assert (activity.followers, activity.following, activity.posts_total) == (1036, 138, 280)


def test_a_moved_mastodon_account_names_where_it_went():
    moved = mastodon.parse_account(load("mastodon/account.moved.social-tchncs-de.json"))
    assert moved.moved_to == "https://emacs.ch/@chainsawriot"
    assert mastodon.parse_account(load("mastodon/account.fosstodon.json")).moved_to is None


def test_mastodon_statuses_and_their_next_page():
    posts = mastodon.parse_statuses(load("mastodon/account_statuses.fosstodon.json"))
    assert len(posts) == 20
    assert posts[0].posted_at == datetime(2025, 6, 24, 17, 35, 19, 898000, tzinfo=UTC)
    replies = sum(1 for s in load("mastodon/account_statuses.fosstodon.json") if s["in_reply_to_id"])
    assert [p.kind for p in posts].count("reply") == replies
    link = load("mastodon/account_statuses.fosstodon.http.json")["headers"]["link"]
    assert mastodon.next_page(link).endswith("max_id=113191408914362368")
    assert mastodon.next_page(None) is None


def test_mastodon_boosts_are_not_posts():
    status = load("mastodon/account_statuses.fosstodon.json")[0]
    boost = dict(status, reblog=dict(status))
    assert mastodon.parse_statuses([boost]) == []


def test_youtube_channel_feed_entries():
    posts = feeds.parse_feed((FIXTURES / "youtube/videos.UC9PBzalIcEQCsiIkq36PyUA.xml").read_bytes())
    assert len(posts) == 15
    assert all(p.posted_at.tzinfo is not None for p in posts)


def test_feed_autodiscovery_skips_comment_feeds_and_resolves_relative_links():
    page = b"""<html><head>
    <link rel="alternate" type="application/rss+xml" title="Comments Feed" href="/comments/feed/">
    <link rel="alternate" type="application/rss+xml" title="Posts" href="feed/">
    </head><body></body></html>"""
    assert feeds.discover_feed(page, "https://blog.example.org/about/") == "https://blog.example.org/about/feed/"
    assert feeds.discover_feed(b"<html><head></head></html>", "https://blog.example.org/") is None


@pytest.mark.parametrize(
    ("parser", "data"),
    [
        (bluesky.parse_profile, {"error": "InvalidRequest"}),
        (lambda d: bluesky.parse_author_feed(d, "did:plc:x"), {"posts": []}),
        (mastodon.parse_account, {"error": "Record not found"}),
        (mastodon.parse_statuses, {"error": "This API requires an authenticated user"}),
        (feeds.parse_feed, b"<html><body>not a feed</body></html>"),
    ],
)
def test_error_bodies_are_source_errors(parser, data):
    with pytest.raises(SourceError):
        parser(data)
