"""YouTube channel pages and uploads feeds parsed (reading them: ``cllr.platforms.youtube``)."""

from __future__ import annotations

import re
from urllib.parse import quote

import feedparser
from bs4 import BeautifulSoup

from .records import PostRecord, SourceError
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
    channel_id = next(
        (e.yt_channelid for e in parsed.entries if re.fullmatch(_CHANNEL_ID, e.get("yt_channelid", ""))), None
    )
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
