"""Mastodon (and Mastodon-API servers), read on the account's home instance without credentials.

Boosts are left out, replies kept and marked. Pages follow the ``Link: rel="next"``
header. An account that has moved is reported with the new account's address.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from cllr.http import FetchError, Fetcher

from .records import AccountGone, Activity, PostRecord, SourceError
from .timestamps import parse_iso

MAX_PAGES = 10


def parse_account(data: dict) -> Activity:
    """Read a Mastodon ``Account`` entity."""
    if not isinstance(data, dict) or "id" not in data or "username" not in data:
        raise SourceError("not a Mastodon account: no id/username")
    moved = data.get("moved")
    return Activity(
        source_url=data.get("url") or "",
        platform_id=data.get("uri") or data.get("url"),
        followers=data.get("followers_count"),
        following=data.get("following_count"),
        posts_total=data.get("statuses_count"),
        moved_to=moved.get("url") if isinstance(moved, dict) and isinstance(moved.get("url"), str) else None,
    )


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


def collect(fetcher: Fetcher, acct: str, since: datetime) -> Activity:
    """Fetch ``user@domain``'s counters and posts back to ``since`` from its home instance."""
    user, _, domain = acct.partition("@")
    base = f"https://{domain}/api/v1/"
    try:
        response = fetcher.get(base + "accounts/lookup", params={"acct": user}, robots=False)
    except FetchError as exc:
        if exc.status in (404, 410):
            raise AccountGone(f"{domain} has no account {user!r}") from None
        raise
    account = response.json()
    activity = parse_account(account)
    activity.source_url = response.url
    url: str | None = f"{base}accounts/{account['id']}/statuses?limit=40&exclude_reblogs=true"
    complete = False
    for _ in range(MAX_PAGES):
        page = fetcher.get(url, robots=False)
        posts = parse_statuses(page.json())
        activity.posts.extend(p for p in posts if p.posted_at >= since)
        url = next_page(page.headers.get("link"))
        if not url or not posts or any(p.posted_at < since for p in posts):
            complete = True
            break
    activity.complete = complete
    return activity
