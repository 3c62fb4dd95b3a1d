"""Blogs and personal sites parsed: RSS/Atom autodiscovery, feed entries (by feedparser) and the accounts a site links to (reading them: ``cllr.platforms.web``)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser

from .markup import tree
from .profiles import links_in
from .records import PostRecord, SourceError

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")


def discover_feed(content: bytes, page_url: str) -> str | None:
    """The first feed a page advertises with ``<link rel="alternate">``, skipping comment feeds."""
    page = tree(content)
    base = page.css_first("base[href]")
    base_url = urljoin(page_url, (base.attributes.get("href") or "").strip()) if base else page_url
    for link in page.css("link[href]"):
        attributes = link.attributes
        rel = (attributes.get("rel") or "").lower().split()
        kind = (attributes.get("type") or "").lower()
        if "alternate" in rel and kind in FEED_TYPES and "comment" not in (attributes.get("title") or "").lower():
            return urljoin(base_url, (attributes.get("href") or "").strip())
    return None


def parse_feed(content: bytes) -> list[PostRecord]:
    """The dated entries of an RSS or Atom feed."""
    parsed = feedparser.parse(content)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        raise SourceError("not an RSS or Atom feed")
    posts = []
    for entry in parsed.entries:
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        ident = entry.get("id") or entry.get("link")
        if not when or not ident:
            continue
        posted_at = datetime.fromtimestamp(calendar.timegm(when), tz=UTC)
        posts.append(PostRecord(post_id=ident, posted_at=posted_at, kind="article"))
    return posts


def parse_site_links(content: bytes, page_url: str):
    """The accounts a councillor's own site links to (its whole page: a personal site's header is theirs too)."""
    page = tree(content)
    return links_in(page.root or page.body, page_url)
