"""YouTube through the channel Atom feed: parsing a real captured feed, channel pages, and collection on a fake web."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from cllr.config import Settings
from cllr.http import Fetcher, FetchError
from cllr.platforms import youtube as reading_youtube
from scrapers import youtube
from scrapers.records import AccountGone, SourceError

from .fakes import Body, FakeClock

CHANNEL = "UC9PBzalIcEQCsiIkq36PyUA"
FIXTURE = Path(__file__).parent / "fixtures" / "platforms" / "youtube" / f"videos.{CHANNEL}.xml"
FEED = f"https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}"
PAGE = "https://www.youtube.com/@CllrJaneSmith"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def atom(*published: str, channel: str = CHANNEL) -> bytes:
    """A small channel feed as YouTube serves it live, one entry per ``published`` time."""
    entries = "".join(
        f"<entry><id>yt:video:vid{i:08d}</id><yt:videoId>vid{i:08d}</yt:videoId><yt:channelId>{channel}</yt:channelId>"
        f"<title>Video {i}</title><published>{when}</published><updated>{when}</updated></entry>"
        for i, when in enumerate(published)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns="http://www.w3.org/2005/Atom">'
        f'<link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id={channel}"/>'
        f"<id>yt:channel:{channel[2:]}</id><yt:channelId>{channel[2:]}</yt:channelId><title>Cllr Jane Smith</title>"
        f"{entries}</feed>"
    ).encode()


# --- feed URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "channel_id", "expected"),
    [
        (f"youtube:channel:{CHANNEL}", None, FEED),
        ("youtube:handle:cllrjanesmith", CHANNEL, FEED),
        ("youtube:custom:janesmithcouncillor", CHANNEL, FEED),
        ("youtube:user:janesmithcllr", None, "https://www.youtube.com/feeds/videos.xml?user=janesmithcllr"),
        ("youtube:user:janesmithcllr", CHANNEL, FEED),
        ("youtube:handle:cllrjanesmith", None, None),
        ("youtube:custom:janesmithcouncillor", None, None),
    ],
)
def test_feed_url_needs_a_channel_id_or_a_legacy_user_name(key, channel_id, expected):
    assert youtube.feed_url(key, channel_id) == expected


def test_channel_key_keeps_the_case_of_its_id():
    assert youtube.feed_url("youtube:channel:UCabcdefghijklmnopqrstuv").endswith("channel_id=UCabcdefghijklmnopqrstuv")


# --- the captured feed ------------------------------------------------------------------------


def test_captured_feed_gives_the_prefixed_channel_id_and_fifteen_videos():
    channel_id, posts = youtube.parse_videos_feed(FIXTURE.read_bytes())
    assert channel_id == CHANNEL  # from the entries: the feed-level yt:channelId is "9PBzalIcEQCsiIkq36PyUA"
    assert len(posts) == 15 == youtube.FEED_SIZE
    assert posts[0].post_id == "yt:video:W_S7iKZZdHw"
    assert posts[0].posted_at == utc(2025, 1, 1, 16, 7, 24)
    assert posts[0].posted_at.utcoffset().total_seconds() == 0
    assert posts[-1].post_id == "yt:video:araZUoSOPmM"
    assert posts[-1].posted_at == utc(2024, 12, 14, 17, 20, 43)
    assert {p.kind for p in posts} == {"video"}
    assert len({p.post_id for p in posts}) == 15


def test_feed_time_is_the_published_time_not_the_updated_time():
    # The first entry was published 16:07:24 and updated 21:08:15 the same day.
    _, posts = youtube.parse_videos_feed(FIXTURE.read_bytes())
    assert posts[0].posted_at.hour == 16


def test_empty_channel_feed_gives_the_channel_id_from_its_self_link():
    assert youtube.parse_videos_feed(atom()) == (CHANNEL, [])


@pytest.mark.parametrize(
    "entry",
    [
        "<entry><id>yt:video:nodate00000</id><updated>2025-01-01T00:00:00+00:00</updated></entry>",
        "<entry><id>yt:video:baddate0000</id><published>not a date</published></entry>",
        "<entry><title>no id at all</title><published>2025-01-01T00:00:00+00:00</published></entry>",
    ],
)
def test_entries_without_a_published_time_or_an_id_are_skipped(entry):
    content = atom("2025-01-02T10:00:00+00:00").replace(b"</feed>", entry.encode() + b"</feed>")
    _, posts = youtube.parse_videos_feed(content)
    assert [p.post_id for p in posts] == ["yt:video:vid00000000"]


@pytest.mark.parametrize("content", [b"<html><body><h1>Not Found</h1></body></html>", b"", b"\x00\xff garbage"])
def test_something_that_is_not_a_feed_is_a_source_error(content):
    with pytest.raises(SourceError):
        youtube.parse_videos_feed(content)


# --- channel pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        f'<html><head><link rel="canonical" href="https://www.youtube.com/channel/{CHANNEL}"></head></html>',
        f'<html><head><meta itemprop="channelId" content="{CHANNEL}"></head></html>',
        f'<html><body><div itemscope><meta itemprop="identifier" content="{CHANNEL}"></div></body></html>',
        f'<html><script>var ytInitialData = {{"metadata":{{"channelMetadataRenderer":{{"externalId":"{CHANNEL}"}}}}}};</script>',
        f'<html><script>var ytInitialPlayerResponse = {{"videoDetails":{{"channelId": "{CHANNEL}"}}}};</script></html>',
    ],
    ids=["canonical-link", "meta-channelId", "meta-identifier", "script-externalId", "script-channelId"],
)
def test_channel_page_gives_its_channel_id(html):
    assert youtube.parse_channel_page(html.encode()) == CHANNEL


def test_channel_page_prefers_the_canonical_link_to_other_channels_in_its_script():
    other = "UCzzzzzzzzzzzzzzzzzzzzzz"
    html = f'<link rel="canonical" href="https://www.youtube.com/channel/{CHANNEL}"><script>{{"channelId":"{other}"}}</script>'
    assert youtube.parse_channel_page(html.encode()) == CHANNEL


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><title>Before you continue to YouTube</title></head></html>",
        '<html><link rel="canonical" href="https://www.youtube.com/@CllrJaneSmith"></html>',
        '<html><meta itemprop="identifier" content="UCtooshort"></html>',
        '<html><p>"externalId":"UC9PBzalIcEQCsiIkq36PyUA" outside any script</p></html>',
    ],
)
def test_page_without_a_channel_id_is_a_source_error(html):
    with pytest.raises(SourceError, match="no YouTube channel id"):
        youtube.parse_channel_page(html.encode())


# --- collection on a fake web -------------------------------------------------------------------


class Web:
    """Replies by path (robots.txt is absent: all allowed); every request is logged."""

    def __init__(self, page=(200, b""), feed=(200, b"")):
        self.replies = {"/robots.txt": (404, b""), "/@CllrJaneSmith": page, "/feeds/videos.xml": feed}
        self.log: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        status, body = self.replies.get(request.url.path, (404, b""))
        return httpx.Response(status, stream=Body(body))

    def urls(self) -> list[str]:
        return [str(r.url) for r in self.log]


def collect(web: Web, key: str, channel_id: str | None = None, since: datetime | None = None):
    fetcher = Fetcher(Settings(request_delay=0), httpx.MockTransport(web), clock=FakeClock())
    return reading_youtube.collect(fetcher, key, PAGE, channel_id, since or utc(2024, 12, 1))


CANONICAL = (
    f'<html><head><link rel="canonical" href="https://www.youtube.com/channel/{CHANNEL}"></head></html>'.encode()
)


def test_handle_is_resolved_through_the_channel_page_then_the_feed_is_read_by_channel_id():
    web = Web(page=(200, CANONICAL), feed=(200, FIXTURE.read_bytes()))
    activity = collect(web, "youtube:handle:cllrjanesmith")
    assert web.urls() == ["https://www.youtube.com/robots.txt", PAGE, FEED]
    assert web.log[1].headers["accept"] == "text/html"
    assert activity.platform_id == CHANNEL
    assert activity.source_url == activity.feed_url == FEED
    assert len(activity.posts) == 15
    assert (activity.followers, activity.following, activity.posts_total) == (None, None, None)


@pytest.mark.parametrize(
    ("key", "channel_id"),
    [(f"youtube:channel:{CHANNEL}", None), ("youtube:handle:cllrjanesmith", CHANNEL)],
    ids=["channel-key", "handle-with-stored-channel-id"],
)
def test_known_channel_id_reads_the_feed_directly_without_the_page_or_robots(key, channel_id):
    web = Web(page=(500, b"must not be fetched"), feed=(200, FIXTURE.read_bytes()))
    activity = collect(web, key, channel_id)
    assert web.urls() == [FEED]
    assert activity.platform_id == CHANNEL


def test_legacy_user_reads_the_user_feed_and_learns_the_channel_id_from_it():
    web = Web(feed=(200, FIXTURE.read_bytes()))
    activity = collect(web, "youtube:user:janesmithcllr")
    assert web.urls() == ["https://www.youtube.com/feeds/videos.xml?user=janesmithcllr"]
    assert activity.platform_id == CHANNEL


@pytest.mark.parametrize(
    ("feed", "since", "posts", "complete"),
    [
        # all 15 (the cap) inside the window: older uploads may be missing, counts are lower bounds
        (FIXTURE.read_bytes(), utc(2024, 12, 1), 15, False),
        # the oldest of the 15 (14 Dec 17:20:43) is before the window: nothing is missing
        (FIXTURE.read_bytes(), utc(2024, 12, 20), 10, True),
        (FIXTURE.read_bytes(), utc(2024, 12, 14, 17, 20, 43), 15, False),  # since is inclusive
        (FIXTURE.read_bytes(), utc(2024, 12, 14, 17, 20, 44), 14, True),
        (FIXTURE.read_bytes(), utc(2025, 6, 1), 0, True),
        # fewer than 15 uploads: the feed holds the channel's whole history
        (atom("2025-01-02T10:00:00+00:00", "2024-12-31T09:30:00Z"), utc(2024, 1, 1), 2, True),
        (atom(), utc(2024, 1, 1), 0, True),
    ],
)
def test_window_and_completeness(feed, since, posts, complete):
    activity = collect(Web(feed=(200, feed)), f"youtube:channel:{CHANNEL}", since=since)
    assert len(activity.posts) == posts
    assert all(p.posted_at >= since for p in activity.posts)
    assert activity.complete is complete


def test_posts_before_since_are_left_out():
    activity = collect(Web(feed=(200, FIXTURE.read_bytes())), f"youtube:channel:{CHANNEL}", since=utc(2024, 12, 27))
    assert [p.post_id for p in activity.posts] == [
        "yt:video:W_S7iKZZdHw",
        "yt:video:U-AfiD2NgYg",
        "yt:video:7vihrmynaRI",
        "yt:video:xYA53I_GoFI",
    ]


@pytest.mark.parametrize("status", [404, 410])
def test_missing_channel_page_means_the_channel_is_gone(status):
    web = Web(page=(status, b"<html>This page isn't available.</html>"))
    with pytest.raises(AccountGone):
        collect(web, "youtube:handle:cllrjanesmith")
    assert web.urls() == ["https://www.youtube.com/robots.txt", PAGE]


@pytest.mark.parametrize("status", [404, 500])
def test_failing_feed_is_a_fetch_error_never_account_gone(status):
    web = Web(page=(200, CANONICAL), feed=(status, b"<html>Error</html>"))
    with pytest.raises(FetchError) as caught:
        collect(web, "youtube:handle:cllrjanesmith")
    assert caught.value.status == status
    assert not isinstance(caught.value, AccountGone)


def test_channel_page_without_an_id_is_a_source_error_not_account_gone():
    web = Web(page=(200, b"<html><title>Before you continue to YouTube</title></html>"))
    with pytest.raises(SourceError) as caught:
        collect(web, "youtube:handle:cllrjanesmith")
    assert not isinstance(caught.value, AccountGone)
    assert FEED not in web.urls()
