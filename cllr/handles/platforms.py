"""Each platform's identifiers and profile URLs: the rules that make a name or a path one
account's canonical :class:`~cllr.handles.syntax.Handle` (docs/handles.md)."""

from __future__ import annotations

import re
from urllib.parse import quote

from cllr.handles.syntax import (
    _BSKY_HANDLE,
    _DID,
    _DIGITS,
    _DOMAIN,
    _FACEBOOK,
    _INSTAGRAM,
    _LINKTREE,
    _MASTODON_USER,
    _PFBID,
    _SLUG,
    _TIKTOK,
    _TWITTER,
    _YT_CHANNEL,
    FACEBOOK_RESERVED,
    INSTAGRAM_RESERVED,
    LINKEDIN_KINDS,
    LINKTREE_RESERVED,
    PRIVATE_TLDS,
    SHARED_HOSTS,
    TWITTER_RESERVED,
    YOUTUBE_RESERVED,
    YOUTUBE_TABS,
    YOUTUBE_VIDEO,
    Handle,
    NotAnAccount,
    _host_platform,
    _idna,
    _param,
    _strip_host,
)

# Platforms ----------------------------------------------------------------------------


def _twitter(name: str) -> Handle:
    if not _TWITTER.fullmatch(name):
        raise NotAnAccount("not a valid X/Twitter handle")
    if name.lower() in TWITTER_RESERVED:
        raise NotAnAccount(f"x.com/{name} is a page of the site, not an account")
    return Handle("twitter", f"twitter:{name.lower()}", f"https://x.com/{name}", name)


def _twitter_id(number: str) -> Handle:
    if not _DIGITS.fullmatch(number):
        raise NotAnAccount("not a numeric X/Twitter user id")
    return Handle("twitter", f"twitter:id:{number}", f"https://x.com/i/user/{number}", number)


def _twitter_url(bare: str, segments: list[str], query: dict[str, list[str]]) -> Handle:
    if not segments:
        raise NotAnAccount("the X/Twitter home page, not an account")
    first = segments[0].lower()
    if first == "intent" and len(segments) > 1 and segments[1].lower() in ("user", "follow"):
        if not _param(query, "screen_name") and _param(query, "user_id"):
            return _twitter_id(_param(query, "user_id"))
        return _twitter(_param(query, "screen_name").removeprefix("@"))
    if first == "i" and len(segments) > 2 and segments[1] == "user":
        return _twitter_id(segments[2])
    if first in TWITTER_RESERVED:
        raise NotAnAccount(f"x.com/{segments[0]} is a share, search or site page, not an account")
    return _twitter(segments[0].removeprefix("@"))


def _bluesky(identifier: str, guess: bool = False) -> Handle:
    """A handle (a domain name) or DID; with ``guess``, a dotless name becomes name.bsky.social."""
    ident = identifier.removeprefix("@").lower()
    if ident.startswith("did:"):
        if not _DID.fullmatch(ident):
            raise NotAnAccount("not a valid Bluesky DID")
        return Handle("bluesky", f"bluesky:{ident}", f"https://bsky.app/profile/{ident}", ident)
    if ident == "handle.invalid":
        raise NotAnAccount("handle.invalid marks a broken Bluesky handle: the DID is needed")
    needs_lookup = guess and "." not in ident
    if needs_lookup:
        ident = f"{ident}.bsky.social"
    if not _BSKY_HANDLE.fullmatch(ident) or ident.rsplit(".", 1)[-1] in PRIVATE_TLDS:
        raise NotAnAccount("not a valid Bluesky handle")
    return Handle("bluesky", f"bluesky:{ident}", f"https://bsky.app/profile/{ident}", ident, needs_lookup)


def _bluesky_url(bare: str, segments: list[str], query: dict[str, list[str]]) -> Handle:
    if bare.endswith(".bsky.social"):
        return _bluesky(bare)
    if len(segments) >= 2 and segments[0] == "profile":
        return _bluesky(segments[1])
    raise NotAnAccount("a Bluesky page that is not a profile")


def _mastodon(user: str, domain: str) -> Handle:
    user = user.removeprefix("@")
    domain = _idna(domain.rstrip("."))
    if not _MASTODON_USER.fullmatch(user) or not _DOMAIN.fullmatch(domain):
        raise NotAnAccount("not a valid fediverse address")
    if domain.rsplit(".", 1)[-1] in PRIVATE_TLDS:
        raise NotAnAccount("not a public fediverse server")
    kind = _host_platform(_strip_host(domain))
    if kind == "threads":  # @name@threads.net: Threads accounts federate
        return _threads(user)
    if kind is not None or domain in SHARED_HOSTS:
        raise NotAnAccount(f"{domain} is not a fediverse server")
    return Handle("mastodon", f"mastodon:{user.lower()}@{domain}", f"https://{domain}/@{user}", f"@{user}@{domain}")


def _fediverse(host: str, segments: list[str], platform: str | None) -> Handle | None:
    """``/@user``, ``/@user@other``, ``/web/@user``, status and tab links; ``/users/user`` actor URLs."""
    if segments[:1] == ["web"]:
        segments = segments[1:]
    if not segments:
        return None
    first = segments[0]
    if first.startswith("@") and len(first) > 1:  # the profile, or one of its posts or tabs
        user, _, home = first[1:].partition("@")
        return _mastodon(user, home or host)
    is_actor = len(segments) == 2 or (len(segments) == 4 and segments[2] == "statuses")
    if first == "users" and is_actor and platform != "web":  # not in a website field: too weak a sign
        return _mastodon(segments[1], host)
    return None


def _facebook_vanity(name: str) -> Handle:
    if name.lower() in FACEBOOK_RESERVED:
        raise NotAnAccount(f"facebook.com/{name} is a share, plugin or site page, not an account")
    if not _FACEBOOK.fullmatch(name):
        raise NotAnAccount("not a valid Facebook username")
    return Handle("facebook", f"facebook:{name.lower().replace('.', '')}", f"https://www.facebook.com/{name}", name)


def _facebook_id(number: str) -> Handle:
    if not _DIGITS.fullmatch(number):
        raise NotAnAccount("not a numeric Facebook id")
    return Handle("facebook", f"facebook:id:{number}", f"https://www.facebook.com/profile.php?id={number}", number)


def _facebook_group(group: str) -> Handle:
    if not _SLUG.fullmatch(group):
        raise NotAnAccount("not a valid Facebook group")
    url = f"https://www.facebook.com/groups/{quote(group, safe='')}/"
    return Handle("facebook", f"facebook:group:{group.lower()}", url, group)


def _facebook_opaque(name: str, token: str) -> Handle:
    """``/people/<name>/pfbid…``: the token is opaque, so the URL is the identity."""
    if not _PFBID.fullmatch(token):
        raise NotAnAccount("not a valid Facebook profile token")
    url = f"https://www.facebook.com/people/{quote(name, safe='')}/{token}"
    return Handle("facebook", f"facebook:url:{url}", url + "/", name)


def _facebook_url(bare: str, segments: list[str], query: dict[str, list[str]]) -> Handle:
    if not segments:
        raise NotAnAccount("the Facebook home page, not an account")
    first = segments[0].lower()
    if first == "profile.php":
        return _facebook_id(_param(query, "id"))
    if first in ("pages", "people") and len(segments) >= 3 and _DIGITS.fullmatch(segments[2]):
        return _facebook_id(segments[2])
    if first == "people" and len(segments) >= 3 and segments[2].startswith("pfbid"):
        return _facebook_opaque(segments[1], segments[2])
    if first == "p" and len(segments) >= 2 and (m := re.search(r"-([0-9]{6,25})$", segments[1])):
        return _facebook_id(m[1])
    if first == "groups" and len(segments) >= 2:
        return _facebook_group(segments[1])
    if first == "pg" and len(segments) >= 2:
        return _facebook_vanity(segments[1])
    if m := re.fullmatch(r"(?:.+-(?=[0-9]{8}))?([0-9]{1,25})", segments[0]):  # /1000641234, /Jane-Smith-1000641234
        return _facebook_id(m[1])
    return _facebook_vanity(segments[0])


def _instagram(name: str) -> Handle:
    if not _INSTAGRAM.fullmatch(name) or name.lower() in INSTAGRAM_RESERVED:
        raise NotAnAccount("not a valid Instagram username")
    lowered = name.lower()
    return Handle("instagram", f"instagram:{lowered}", f"https://www.instagram.com/{lowered}/", lowered)


def _instagram_url(bare: str, segments: list[str], query: dict[str, list[str]]) -> Handle:
    if segments[:1] == ["_u"]:  # app deep link
        segments = segments[1:]
    if not segments:
        raise NotAnAccount("the Instagram home page, not an account")
    if segments[0].lower() in INSTAGRAM_RESERVED:
        raise NotAnAccount("an Instagram post or site page: it does not name the account")
    return _instagram(segments[0].removeprefix("@"))


def _threads(name: str) -> Handle:
    if not _INSTAGRAM.fullmatch(name):
        raise NotAnAccount("not a valid Threads username")
    lowered = name.lower()
    return Handle("threads", f"threads:{lowered}", f"https://www.threads.com/@{lowered}", lowered)


def _threads_url(bare: str, segments: list[str], query: dict[str, list[str]]) -> Handle:
    if segments and segments[0].startswith("@"):
        return _threads(segments[0][1:])
    raise NotAnAccount("a Threads page that is not a profile")


def _youtube_channel(cid: str) -> Handle:
    if not _YT_CHANNEL.fullmatch(cid):
        raise NotAnAccount("not a valid YouTube channel id")
    return Handle("youtube", f"youtube:channel:{cid}", f"https://www.youtube.com/channel/{cid}", cid)


def _youtube_named(kind: str, name: str) -> Handle:
    """An @handle, /c/ custom name or /user/ name: only a lookup gives the channel id."""
    if not _SLUG.fullmatch(name):
        raise NotAnAccount("not a valid YouTube name")
    path = {"handle": "@", "custom": "c/", "user": "user/"}[kind] + quote(name, safe="")
    display = f"@{name}" if kind == "handle" else name
    return Handle("youtube", f"youtube:{kind}:{name.lower()}", f"https://www.youtube.com/{path}", display, True)


def _youtube_url(bare: str, segments: list[str], query: dict[str, list[str]]) -> Handle:
    first = segments[0] if segments else ""
    if bare == "youtu.be" or first.lower() in YOUTUBE_VIDEO:
        raise NotAnAccount("a YouTube video: only a lookup can tell whose channel it is")
    if first == "feeds" and _param(query, "channel_id"):
        return _youtube_channel(_param(query, "channel_id"))
    if first == "feeds" and _param(query, "user"):
        return _youtube_named("user", _param(query, "user"))
    if first == "channel" and len(segments) >= 2:
        return _youtube_channel(segments[1])
    if first.startswith("@"):
        return _youtube_named("handle", first[1:])
    if first in ("c", "user") and len(segments) >= 2:
        return _youtube_named("custom" if first == "c" else "user", segments[1])
    is_legacy_name = first and first.lower() not in YOUTUBE_RESERVED and all(s in YOUTUBE_TABS for s in segments[1:2])
    if is_legacy_name:  # youtube.com/JaneSmith: a custom name
        return _youtube_named("custom", first)
    raise NotAnAccount("a YouTube page that is not a channel")


def _linkedin(kind: str, slug: str) -> Handle:
    if not _SLUG.fullmatch(slug):
        raise NotAnAccount("not a valid LinkedIn profile name")
    slug = slug.lower()
    url = f"https://www.linkedin.com/{kind}/{quote(slug, safe='')}/"
    return Handle("linkedin", f"linkedin:{kind}:{slug}", url, slug)


def _linkedin_url(bare: str, segments: list[str], query: dict[str, list[str]]) -> Handle:
    first = segments[0].lower() if segments else ""
    if first in LINKEDIN_KINDS and len(segments) >= 2:
        return _linkedin(first, segments[1])
    legacy_ids = segments[2:5]
    if first == "pub" and len(legacy_ids) == 3 and all(re.fullmatch(r"[0-9a-z]{1,3}", s) for s in legacy_ids):
        return _linkedin("in", f"{segments[1]}-{''.join(reversed(legacy_ids))}")  # /pub/n/4/a83/573 → /in/n-573a834
    raise NotAnAccount("a LinkedIn post or page that is not a profile")


def _tiktok(name: str) -> Handle:
    if not _TIKTOK.fullmatch(name):
        raise NotAnAccount("not a valid TikTok username")
    lowered = name.lower()
    return Handle("tiktok", f"tiktok:{lowered}", f"https://www.tiktok.com/@{lowered}", lowered)


def _tiktok_url(bare: str, segments: list[str], query: dict[str, list[str]]) -> Handle:
    if segments and segments[0].startswith("@"):
        return _tiktok(segments[0][1:])
    raise NotAnAccount("a TikTok page that is not a profile")


def _linktree(name: str) -> Handle:
    if not _LINKTREE.fullmatch(name) or name.lower() in LINKTREE_RESERVED:
        raise NotAnAccount("not a valid Linktree name")
    return Handle("linktree", f"linktree:{name.lower()}", f"https://linktr.ee/{name}", name)


def _linktree_url(bare: str, segments: list[str], query: dict[str, list[str]]) -> Handle:
    if len(segments) == 1:
        return _linktree(segments[0].removeprefix("@"))
    raise NotAnAccount("a Linktree page that is not a profile")


def _site_path(bare: str, segments: list[str]) -> list[str]:
    """The leading path segments that name one person's site on a shared host (medium.com/@jo)."""
    prefixes = SHARED_HOSTS.get(bare, ())
    if "@" in prefixes and segments and segments[0].startswith("@") and len(segments[0]) > 1:
        return segments[:1]
    if len(segments) >= 2 and segments[0] in prefixes:
        return segments[:2]
    return []


def _website(scheme: str, host: str, bare: str, segments: list[str]) -> Handle:
    """A personal site or blog: its root (post links reduce to it), or its path on a shared host."""
    site = host
    while site.startswith("www.") and site.count(".") >= 2:
        site = site.removeprefix("www.")
    path = "/".join(quote(s, safe="@") for s in _site_path(bare, segments))
    if not path:
        return Handle("web", f"web:https://{site}", f"{scheme}://{host}/", site)
    return Handle("web", f"web:https://{site}/{path.lower()}", f"{scheme}://{host}/{path}", f"{site}/{path}")


URL_READERS = {
    "twitter": _twitter_url,
    "bluesky": _bluesky_url,
    "facebook": _facebook_url,
    "instagram": _instagram_url,
    "threads": _threads_url,
    "youtube": _youtube_url,
    "linkedin": _linkedin_url,
    "tiktok": _tiktok_url,
    "linktree": _linktree_url,
}
