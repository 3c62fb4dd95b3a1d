"""The platforms' answers on the demo web, as their APIs and feeds write them: Bluesky profiles
and feed items, Mastodon accounts and statuses, blog pages and feeds, YouTube channel feeds,
each built from a fictional account of the demo world."""

from __future__ import annotations

from email.utils import format_datetime
from html import escape

from cllr.demo.world import (
    Account,
)


def demo_did(account: Account) -> str:
    return f"did:plc:demo{account.numeric_id:020d}"


def bluesky_profile(a: Account) -> dict:
    own = [p for p in a.posts if p.kind != "repost"]
    return {
        "did": demo_did(a),
        "handle": a.handle,
        "displayName": a.handle.split(".")[0].replace("-", " ").title() + " (fictional)",
        "description": a.description,
        "followersCount": a.followers,
        "followsCount": a.following,
        "postsCount": len(own),
        "createdAt": "2023-09-01T10:00:00.000Z",
        "indexedAt": "2024-01-01T00:00:00.000Z",
    }


def bluesky_item(a: Account, p) -> dict:
    did = demo_did(a)
    created = p.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if p.kind == "repost":
        other = "did:plc:demo00000000000000000001"
        return {
            "post": {
                "uri": f"at://{other}/app.bsky.feed.post/{p.id}",
                "cid": "demo",
                "author": {"did": other, "handle": "someone-else.demo.example"},
                "record": {"$type": "app.bsky.feed.post", "text": "(fictional)", "createdAt": created},
                "indexedAt": created,
            },
            "reason": {
                "$type": "app.bsky.feed.defs#reasonRepost",
                "by": {"did": did, "handle": a.handle},
                "indexedAt": created,
            },
        }
    record = {"$type": "app.bsky.feed.post", "text": "A fictional post.", "createdAt": created}
    if p.kind == "reply":
        ref = {"uri": f"at://{did}/app.bsky.feed.post/root{p.id}", "cid": "demo"}
        record["reply"] = {"root": ref, "parent": ref}
    return {
        "post": {
            "uri": f"at://{did}/app.bsky.feed.post/{p.id}",
            "cid": "demo",
            "author": {"did": did, "handle": a.handle},
            "record": record,
            "indexedAt": created,
        }
    }


def mastodon_account(a: Account) -> dict:
    user, server = a.handle.split("@")
    last = a.posts[0].created_at.date().isoformat() if a.posts else None
    return {
        "id": str(a.numeric_id),
        "username": user,
        "acct": user,
        "display_name": user.replace("_", " ").title() + " (fictional)",
        "url": f"https://{server}/@{user}",
        "uri": f"https://{server}/users/{user}",
        "followers_count": a.followers,
        "following_count": a.following,
        "statuses_count": len(a.posts),
        "last_status_at": last,
        "locked": False,
        "bot": False,
        "note": "<p>A fictional councillor on a generated demo server.</p>",
        "fields": [_field(url, verified) for url, verified in a.profile_links],
        **({"moved": _moved(a.moved_to)} if a.moved_to else {}),
    }


def _field(url: str, verified: bool) -> dict:
    """A profile field holding a link, as Mastodon renders it; ``verified_at`` when the page links back (rel="me")."""
    scheme, rest = url.split("://", 1)
    value = (
        f'<a href="{escape(url)}" target="_blank" rel="nofollow noopener me" translate="no">'
        f'<span class="invisible">{scheme}://</span><span class="">{escape(rest)}</span></a>'
    )
    return {"name": "Link", "value": value, "verified_at": "2026-01-01T00:00:00.000+00:00" if verified else None}


def _moved(acct: str) -> dict:
    """The ``moved`` account entity of a Mastodon account that has moved to ``acct`` (user@server)."""
    user, server = acct.split("@")
    return {
        "id": "0",
        "username": user,
        "acct": acct,
        "url": f"https://{server}/@{user}",
        "uri": f"https://{server}/users/{user}",
    }


def mastodon_status(a: Account, p) -> dict:
    user, server = a.handle.split("@")
    created = p.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "id": p.id,
        "created_at": created,
        "visibility": "public",
        "in_reply_to_id": f"1{p.id}" if p.kind == "reply" else None,
        "reblog": {"id": f"2{p.id}"} if p.kind == "repost" else None,
        "uri": f"https://{server}/users/{user}/statuses/{p.id}",
        "url": f"https://{server}/@{user}/{p.id}",
        "content": "<p>A fictional post.</p>",
    }


def blog_home(a: Account) -> str:
    links = "".join(f'<li><a rel="me" href="{escape(o.url)}">{escape(o.label)}</a></li>' for o in a.shows)
    return f"""<!DOCTYPE html><html lang="en"><head><title>{escape(a.handle)} (fictional)</title>
<link rel="alternate" type="application/rss+xml" title="Comments feed" href="/comments.xml">
<link rel="alternate" type="application/rss+xml" title="Posts" href="/feed.xml">
</head><body><header><h1>A fictional councillor's blog</h1><ul class="elsewhere">{links}</ul></header></body></html>"""


def youtube_feed(a: Account) -> str:
    """A channel's Atom feed as YouTube serves it: the 15 newest uploads."""
    entries = "".join(
        f"<entry><id>yt:video:{a.handle[-6:]}{p.id}</id><yt:videoId>{a.handle[-6:]}{p.id}</yt:videoId>"
        f"<yt:channelId>{a.handle}</yt:channelId><title>A fictional video</title>"
        f'<link rel="alternate" href="https://www.youtube.com/watch?v={a.handle[-6:]}{p.id}"/>'
        f"<published>{p.created_at.strftime('%Y-%m-%dT%H:%M:%S+00:00')}</published></entry>"
        for p in a.posts[:15]
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
        'xmlns="http://www.w3.org/2005/Atom">'
        f'<link rel="self" href="https://www.youtube.com/feeds/videos.xml?channel_id={a.handle}"/>'
        f"<id>yt:channel:{a.handle[2:]}</id><yt:channelId>{a.handle[2:]}</yt:channelId>"
        f"<title>A fictional channel</title>{entries}</feed>"
    )


def blog_feed(a: Account) -> str:
    items = "".join(
        f"<item><title>Fictional post {p.id}</title><link>{a.url}{p.id}/</link>"
        f"<guid>{a.url}{p.id}/</guid><pubDate>{format_datetime(p.created_at)}</pubDate></item>"
        for p in a.posts[:10]  # like most blogs, the feed holds only the newest items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(a.handle)} (fictional)</title><link>{a.url}</link>{items}</channel></rss>"
    )
