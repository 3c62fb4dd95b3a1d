"""YouTube channels through their public Atom feed (no API key): the newest uploads, no counters.

The feed ``https://www.youtube.com/feeds/videos.xml?channel_id=UC…`` lists a channel's
15 newest uploads, so a collection whose oldest entry is still inside the window is
marked incomplete: its counts are lower bounds. Subscriber and view totals need the Data
API and a key, so ``followers`` and ``posts_total`` stay None.

Only channel ids (``UC`` + 22 characters) work reliably in the feed. A legacy
``youtube:user:`` name still has its own ``?user=`` feed; ``@handle`` and ``/c/`` custom
names are resolved once, by reading the channel id off the channel page, and the caller
stores it (``Activity.platform_id``) to pass back next time.

The channel page is a web page and obeys robots.txt; the feed is published for feed
readers and is fetched like a platform API. A 404 of the channel page means the channel
is gone. A failing feed never does: the endpoint intermittently answers 404 or 500 for
valid channels, so its errors are raised as they are, to be retried on a later run.
Quirk: the feed-level ``<yt:channelId>`` and ``<id>`` omit the ``UC`` prefix; the
entries' ``<yt:channelId>`` and the feed's links carry the full id.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

import feedparser
from bs4 import BeautifulSoup

from cllr.http import FetchError, Fetcher

from .records import AccountGone, Activity, PostRecord, SourceError
from .timestamps import parse_iso

SITE = "https://www.youtube.com"  # Settings.youtube_feeds: the demo serves the feeds elsewhere
FEED = f"{SITE}/feeds/videos.xml"
FEED_SIZE = 15  # the feed holds only the newest 15 uploads

_CHANNEL_ID = r"UC[A-Za-z0-9_-]{22}"
_IN_URL = re.compile(rf"(?:/channel/|[?&]channel_id=)({_CHANNEL_ID})(?![A-Za-z0-9_-])")
_IN_SCRIPT = [re.compile(rf'"{name}"\s*:\s*"({_CHANNEL_ID})"') for name in ("externalId", "channelId")]


def feed_url(key: str, channel_id: str | None = None, site: str = SITE) -> str | None:
    """The feed of a channel key, a known channel id or a legacy user name; None until a name is resolved."""
    feed = f"{site.rstrip('/')}/feeds/videos.xml"
    _, kind, name = key.split(":", 2) if key.count(":") >= 2 else (key, "", "")
    if channel_id is None and kind == "channel":
        channel_id = name
    if channel_id:
        return f"{feed}?channel_id={channel_id}"
    if kind == "user" and name:
        return f"{feed}?user={quote(name, safe='')}"
    return None


def parse_channel_page(content: bytes) -> str:
    """The ``UC…`` id of a channel page: canonical link, then page metadata, then the page's script data."""
    soup = BeautifulSoup(content, "html.parser")
    canonical = soup.find("link", rel="canonical", href=True)
    if canonical and (found := _IN_URL.search(canonical["href"])):
        return found.group(1)
    for prop in ("channelId", "identifier"):
        meta = soup.find("meta", itemprop=prop, content=True)
        if meta and re.fullmatch(_CHANNEL_ID, meta["content"].strip()):
            return meta["content"].strip()
    script = "\n".join(s.string or "" for s in soup.find_all("script"))
    for pattern in _IN_SCRIPT:
        if found := pattern.search(script):
            return found.group(1)
    raise SourceError("no YouTube channel id on the page (not a channel page, or a consent or error page)")


def parse_videos_feed(content: bytes) -> tuple[str | None, list[PostRecord]]:
    """A channel feed's ``UC…`` id and its uploads; entries without an id or a published time are skipped."""
    parsed = feedparser.parse(content)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        raise SourceError("not a YouTube videos feed")
    channel_id = next((e.yt_channelid for e in parsed.entries if re.fullmatch(_CHANNEL_ID, e.get("yt_channelid", ""))), None)
    if channel_id is None:  # no entries: the feed's own links carry the full id (its yt:channelId does not)
        hrefs = [link.get("href", "") for link in parsed.feed.get("links", [])]
        channel_id = next((m.group(1) for h in hrefs if (m := _IN_URL.search(h))), None)
    posts = []
    for entry in parsed.entries:
        posted_at = parse_iso(entry.get("published"))
        ident = entry.get("id") or (f"yt:video:{entry.yt_videoid}" if entry.get("yt_videoid") else None)
        if posted_at and ident:
            posts.append(PostRecord(post_id=ident, posted_at=posted_at, kind="video"))
    return channel_id, posts


def collect(fetcher: Fetcher, key: str, url: str, channel_id: str | None, since: datetime, site: str = SITE) -> Activity:
    """Resolve the channel id if needed (from the channel page ``url``), then read the uploads from ``since`` on."""
    feed = feed_url(key, channel_id, site)
    if feed is None:
        try:
            page = fetcher.get(url, accept="text/html")  # a web page: robots.txt applies
        except FetchError as exc:
            if exc.status in (404, 410):
                raise AccountGone(f"YouTube has no channel at {url}") from None
            raise
        channel_id = parse_channel_page(page.content)
        feed = feed_url(key, channel_id, site)
    # Feed errors (404 and 500 included) are raised as they are, never as AccountGone: the endpoint
    # intermittently fails for valid channels, and one failure must not mark a channel dead.
    response = fetcher.get(feed, robots=False)
    feed_channel, posts = parse_videos_feed(response.content)
    return Activity(
        source_url=response.url,
        platform_id=channel_id or feed_channel,
        posts=[p for p in posts if p.posted_at >= since],
        complete=len(posts) < FEED_SIZE or any(p.posted_at < since for p in posts),
        feed_url=feed,
    )
