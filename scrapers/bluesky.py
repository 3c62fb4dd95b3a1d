"""Bluesky's AppView answers parsed: profiles and author-feed pages (reading them: ``cllr.platforms.bluesky``)."""

from __future__ import annotations

from .records import Activity, PostRecord, SourceError
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
