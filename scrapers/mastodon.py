"""Mastodon API answers and RSS feeds parsed: accounts, statuses and their pages (reading them: ``cllr.platforms.mastodon``)."""

from __future__ import annotations

from dataclasses import replace

import httpx
from bs4 import BeautifulSoup

from .feeds import parse_feed
from .records import Activity, PostRecord, SourceError
from .timestamps import parse_iso

MAX_PAGES = 10
BATCH = 40  # accounts per GET /api/v1/accounts?id[]= (the server's limit)
REFUSED = (401, 403)  # the server wants an authenticated user for API reads


def parse_account(data: dict) -> Activity:
    """Read a Mastodon ``Account`` entity."""
    if not isinstance(data, dict) or "id" not in data or "username" not in data:
        raise SourceError("not a Mastodon account: no id/username")
    moved = data.get("moved")
    return Activity(
        profile_links=profile_links(data.get("fields")),
        source_url=data.get("url") or "",
        platform_id=data.get("uri") or data.get("url"),
        local_id=str(data["id"]) if isinstance(data.get("id"), (str, int)) else None,
        followers=data.get("followers_count"),
        following=data.get("following_count"),
        posts_total=data.get("statuses_count"),
        moved_to=moved.get("url") if isinstance(moved, dict) and isinstance(moved.get("url"), str) else None,
    )


def profile_links(fields) -> list[tuple[str, bool]]:
    """The links in an account's profile fields, each with whether the server verified it (``rel="me"``)."""
    links = []
    for item in fields if isinstance(fields, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            continue
        anchor = BeautifulSoup(item["value"], "html.parser").find("a", href=True)
        if anchor is not None:
            links.append((anchor["href"], bool(item.get("verified_at"))))
    return links


def parse_statuses(data: list) -> list[PostRecord]:
    """Read a list of ``Status`` entities: the account's own posts and replies, no boosts."""
    if not isinstance(data, list):
        raise SourceError("not a Mastodon status list")
    posts = []
    for status in data:
        if not isinstance(status, dict) or status.get("reblog") is not None:
            continue
        posted_at = parse_iso(status.get("created_at"))
        if not status.get("id") or posted_at is None:
            continue
        kind = "reply" if status.get("in_reply_to_id") else "post"
        posts.append(PostRecord(post_id=status.get("uri") or status["id"], posted_at=posted_at, kind=kind))
    return posts


def next_page(link_header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header."""
    for link in httpx.Response(200, headers={"link": link_header or ""}).links.values():
        if link.get("rel") == "next":
            return link.get("url")
    return None


def parse_rss(content: bytes) -> list[PostRecord]:
    """The posts of an account's RSS feed (``/@user.rss``): public posts only, so all are kind "post"."""
    return [replace(p, kind="post") for p in parse_feed(content)]
