"""Bluesky through the public AppView (no credentials): profile counters and the author feed.

Posts are the account's own records: reposts (feed items with a ``reason``) are left out,
replies are kept and marked. A post's time is ``min(record.createdAt, post.indexedAt)``,
the AppView's own rule, because client clocks can be wrong.

Profiles can be read in batches of 25 (``get_profiles``); ``collect`` then reads only the
author feed. The batch call silently drops unknown and suspended actors, so an actor it
does not answer is collected on its own, and its ``getProfile`` gives the definite answer.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from cllr.http import FetchError, Fetcher

from .records import AccountGone, Activity, PostRecord, SourceError
from .timestamps import parse_iso

MAX_PAGES = 20
BATCH = 25  # app.bsky.actor.getProfiles takes at most 25 actors


def parse_profile(data: dict) -> Activity:
    """Read ``app.bsky.actor.getProfile`` output; counters missing from it stay None."""
    if not isinstance(data, dict) or not data.get("did") or not data.get("handle"):
        raise SourceError("not a Bluesky profile: no did/handle")
    return Activity(
        source_url="",
        platform_id=data["did"],
        handle=data["handle"].lower(),
        followers=data.get("followersCount"),
        following=data.get("followsCount"),
        posts_total=data.get("postsCount"),
        profile_links=[(data["website"], False)] if isinstance(data.get("website"), str) else [],
        profile_text=data.get("description") if isinstance(data.get("description"), str) else "",
    )


def parse_author_feed(data: dict, did: str) -> tuple[list[PostRecord], str | None]:
    """Read one ``app.bsky.feed.getAuthorFeed`` page: the author's own posts and the next cursor."""
    if not isinstance(data, dict) or not isinstance(data.get("feed"), list):
        raise SourceError("not a Bluesky author feed: no feed list")
    posts = []
    for item in data["feed"]:
        post = item.get("post") or {}
        if item.get("reason") or (post.get("author") or {}).get("did") != did:
            continue  # a repost, or someone else's post
        record = post.get("record") or {}
        times = [t for t in (parse_iso(record.get("createdAt")), parse_iso(post.get("indexedAt"))) if t]
        if not post.get("uri") or not times:
            continue
        kind = "reply" if record.get("reply") else "post"
        posts.append(PostRecord(post_id=post["uri"], posted_at=min(times), kind=kind))
    return posts, data.get("cursor") or None


def get_profiles(fetcher: Fetcher, appview: str, actors: list[str]) -> dict[str, Activity]:
    """Each requested actor (handle or DID, as given) mapped to its profile, from batched ``getProfiles`` calls.

    The AppView drops unknown and suspended actors and does not promise an order, so
    results are matched by DID or handle, never by position; an actor not answered is
    absent. A malformed profile is skipped; a batch refused as invalid (400) is left out.
    """
    url = appview.rstrip("/") + "/xrpc/app.bsky.actor.getProfiles"
    found: dict[str, Activity] = {}
    for start in range(0, len(actors), BATCH):
        batch = actors[start : start + BATCH]
        try:
            response = _xrpc(fetcher, url, {"actors": batch})
        except FetchError as exc:
            if exc.status == 400:  # a malformed identifier fails its batch; each is then read alone
                continue
            raise
        data = response.json()
        if not isinstance(data, dict) or not isinstance(data.get("profiles"), list):
            raise SourceError("not a Bluesky profile list: no profiles")
        by_key: dict[str, Activity] = {}
        for item in data["profiles"]:
            try:
                activity = parse_profile(item)
            except SourceError:
                continue
            activity.source_url = response.url
            by_key[activity.platform_id.lower()] = by_key[activity.handle] = activity
        for actor in batch:
            if (activity := by_key.get(actor.lower())) is not None:
                found[actor] = activity
    return found


def collect(fetcher: Fetcher, appview: str, actor: str, since: datetime, profile: Activity | None = None) -> Activity:
    """Fetch an account's counters and its posts back to ``since``.

    ``profile``, from :func:`get_profiles`, saves the ``getProfile`` call (it is not changed).
    """
    base = appview.rstrip("/") + "/xrpc/"
    if profile is not None:
        activity = replace(profile, posts=[])
    else:
        try:
            response = _xrpc(fetcher, base + "app.bsky.actor.getProfile", {"actor": actor})
        except FetchError as exc:
            if exc.status in (400, 404):
                raise AccountGone(f"Bluesky has no profile {actor!r}") from None
            raise
        activity = parse_profile(response.json())
        activity.source_url = response.url
    cursor, complete = None, False
    for _ in range(MAX_PAGES):
        params = {"actor": activity.platform_id, "limit": 100, "filter": "posts_with_replies"}
        if cursor:
            params["cursor"] = cursor
        page = _xrpc(fetcher, base + "app.bsky.feed.getAuthorFeed", params)
        posts, cursor = parse_author_feed(page.json(), activity.platform_id)
        activity.posts.extend(p for p in posts if p.posted_at >= since)
        if not cursor or any(p.posted_at < since for p in posts):
            complete = True
            break
    activity.complete = complete
    return activity


def _xrpc(fetcher: Fetcher, url: str, params: dict):
    """A read from the AppView: an API (no robots.txt), at the pace Bluesky asks for (``bluesky_delay``)."""
    return fetcher.get(url, params=params, robots=False, pace=fetcher.settings.bluesky_delay)
