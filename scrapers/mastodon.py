"""Mastodon (and Mastodon-API servers), read on the account's home instance without credentials.

Boosts are left out, replies kept and marked. Pages follow the ``Link: rel="next"``
header. An account that has moved is reported with the new account's address.

Servers in whitelist mode or with ``DISALLOW_UNAUTHENTICATED_API_ACCESS`` refuse API reads
(401, or 403). Then the account's public RSS feed (``/@user.rss``) is read instead: it holds
only the newest public posts (about 20), no replies and no boosts. That fallback gives the
posts in the window (all kind "post"), marked incomplete unless the feed reaches back past
the window, so its counts are lower bounds. When the lookup itself was refused there are no
counters and no stable id (None); when only the statuses were, the lookup's counters stand.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import httpx
from bs4 import BeautifulSoup

from cllr.http import FetchError, Fetcher

from .feeds import parse_feed
from .records import AccountGone, Activity, PostRecord, SourceError
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


def get_accounts(fetcher: Fetcher, domain: str, ids: list[str]) -> dict[str, Activity]:
    """Accounts of one server by their ids there, 40 a request (``GET /api/v1/accounts?id[]=``,
    Mastodon 4.3 and later): id → counters and profile, as a lookup gives them.

    Accounts the server no longer shows are left out, for the caller to read one by one
    (which tells a gone account from a failing server). A server without the endpoint
    (older, 404) or refusing API reads gives an empty result: read them one by one.
    """
    found: dict[str, Activity] = {}
    for start in range(0, len(ids), BATCH):
        try:
            response = _api(fetcher, f"https://{domain}/api/v1/accounts", {"id[]": ids[start : start + BATCH]})
        except FetchError as exc:
            if exc.status in (400, 404, 422, *REFUSED):
                return found
            raise
        data = response.json()
        if not isinstance(data, list):
            raise SourceError(f"{domain}: accounts by id is not a list")
        for item in data:
            try:
                activity = parse_account(item)
            except SourceError:  # one malformed entry: that account is read one by one
                continue
            found[activity.local_id] = activity
    return found


def collect(fetcher: Fetcher, acct: str, since: datetime, profile: Activity | None = None) -> Activity:
    """Fetch ``user@domain``'s counters and posts back to ``since`` from its home instance.

    ``profile``, from :func:`get_accounts`, saves the lookup. A server that refuses
    unauthenticated API reads is read through the account's RSS feed.
    """
    user, _, domain = acct.partition("@")
    base = f"https://{domain}/api/v1/"
    if profile is not None and profile.local_id:
        activity = replace(profile, posts=[])
    else:
        try:
            response = _api(fetcher, base + "accounts/lookup", {"acct": user})
        except FetchError as exc:
            if exc.status in (404, 410):
                raise AccountGone(f"{domain} has no account {user!r}") from None
            if exc.status in REFUSED:
                return collect_rss(fetcher, domain, user, since, exc.status)
            raise
        activity = parse_account(response.json())
        activity.source_url = response.url
    if not activity.local_id:
        raise SourceError(f"{domain}: the account {user!r} has no id")
    url: str | None = f"{base}accounts/{activity.local_id}/statuses?limit=40&exclude_reblogs=true"
    complete = False
    for _ in range(MAX_PAGES):
        try:
            page = _api(fetcher, url)
        except FetchError as exc:
            if exc.status not in REFUSED:
                raise
            # The counters from the lookup stand; the posts come from the feed alone.
            rss = collect_rss(fetcher, domain, user, since, exc.status)
            activity.posts, activity.complete = rss.posts, rss.complete
            return activity
        posts = parse_statuses(page.json())
        activity.posts.extend(p for p in posts if p.posted_at >= since)
        url = next_page(page.headers.get("link"))
        if not url or not posts or any(p.posted_at < since for p in posts):
            complete = True
            break
    activity.complete = complete
    return activity


def collect_rss(fetcher: Fetcher, domain: str, user: str, since: datetime, refused: int) -> Activity:
    """The account's public posts from its RSS feed, for a server that refused the API with HTTP ``refused``."""
    try:
        feed = fetcher.get(f"https://{domain}/@{user}.rss")
        posts = parse_rss(feed.content)
    except (FetchError, SourceError) as exc:
        raise SourceError(f"{domain} refuses unauthenticated API reads (HTTP {refused}) and its RSS feed failed: {exc}") from exc
    return Activity(
        source_url=feed.url,
        posts=[p for p in posts if p.posted_at >= since],
        complete=any(p.posted_at < since for p in posts),
    )


def _api(fetcher: Fetcher, url: str, params: dict | None = None):
    """A read from a server's REST API (no robots.txt), at the pace its rate limit allows (``mastodon_delay``)."""
    return fetcher.get(url, params=params, robots=False, pace=fetcher.settings.mastodon_delay)
