"""The tables and syntax every account identity is checked against: platforms, known hosts,
reserved words, each identifier's pattern, and the host-name helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

PLATFORMS = (
    "twitter",
    "bluesky",
    "mastodon",
    "facebook",
    "instagram",
    "threads",
    "youtube",
    "linkedin",
    "tiktok",
    "linktree",
    "web",
)


@dataclass(frozen=True)
class Handle:
    platform: str  # one of PLATFORMS
    key: str  # canonical matching key, "platform:identifier"
    url: str  # canonical URL: https://, or http:// for a web site given as http
    handle: str  # display form, case kept where the platform ignores it
    needs_lookup: bool = False  # only a live lookup can confirm or finish it


class NotAnAccount(ValueError):
    """The value names no account; ``str(exc)`` says why."""


# Tables -----------------------------------------------------------------------------

# Field names as sources write them (and platform words in text) → the platform they imply.
FIELDS = {
    "twitter": "twitter",
    "x": "twitter",
    "bluesky": "bluesky",
    "bsky": "bluesky",
    "mastodon": "mastodon",
    "fediverse": "mastodon",
    "facebook": "facebook",
    "instagram": "instagram",
    "threads": "threads",
    "youtube": "youtube",
    "linkedin": "linkedin",
    "tiktok": "tiktok",
    "linktree": "linktree",
    "blog": "web",
    "website": "web",
    "web": "web",
}
PLACEHOLDERS = {
    "",
    "n/a",
    "na",
    "none",
    "-",
    "--",
    "—",
    "null",
    "nil",
    "tbc",
    "tba",
    "no",
    "unknown",
    "not applicable",
    "not known",
}
# Known hosts (after dropping www./m./mobile./...) → platform.
HOSTS = {
    "twitter.com": "twitter",
    "x.com": "twitter",
    "nitter.net": "twitter",
    "fxtwitter.com": "twitter",
    "vxtwitter.com": "twitter",
    "fixupx.com": "twitter",
    "fixvx.com": "twitter",
    "bsky.app": "bluesky",
    "staging.bsky.app": "bluesky",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "instagram.com": "instagram",
    "instagr.am": "instagram",
    "threads.net": "threads",
    "threads.com": "threads",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "linkedin.com": "linkedin",
    "tiktok.com": "tiktok",
    "linktr.ee": "linktree",
}
HOST_PREFIXES = ("www.", "m.", "mobile.", "web.", "touch.", "mbasic.", "business.")
# Shared hosts where a path names one person's site: host → how such paths start
# ("@" for medium.com/@jo). "/@name" on these is not a fediverse account.
SHARED_HOSTS = {"medium.com": ("@",), "substack.com": ("@",), "sites.google.com": ("view", "site")}
# Redirecting short links: only a redirect lookup can tell where they go.
SHORTENERS = {
    "t.co",
    "bit.ly",
    "fb.me",
    "fb.watch",
    "lnkd.in",
    "go.bsky.app",
    "vm.tiktok.com",
    "vt.tiktok.com",
    "tinyurl.com",
    "ow.ly",
    "buff.ly",
    "is.gd",
    "goo.gl",
    "rebrand.ly",
    "shorturl.at",
    "tiny.cc",
    "cutt.ly",
}
# Top-level domains that never name a public site or account server.
PRIVATE_TLDS = {
    "local",
    "localhost",
    "internal",
    "intranet",
    "lan",
    "home",
    "corp",
    "arpa",
    "invalid",
    "test",
    "onion",
    "alt",
}

TWITTER_RESERVED = {
    "share",
    "intent",
    "home",
    "hashtag",
    "search",
    "i",
    "explore",
    "settings",
    "login",
    "logout",
    "compose",
    "messages",
    "notifications",
    "signup",
    "tos",
    "privacy",
    "download",
    "about",
    "jobs",
    "account",
    "following",
    "followers",
    "lists",
    "bookmarks",
    "statuses",
    "widgets",
    "oauth",
}
FACEBOOK_RESERVED = {
    "sharer",
    "sharer.php",
    "share.php",
    "share",
    "plugins",
    "dialog",
    "events",
    "watch",
    "marketplace",
    "gaming",
    "help",
    "search",
    "login",
    "login.php",
    "home.php",
    "photo.php",
    "photo",
    "photos",
    "story.php",
    "permalink.php",
    "media",
    "hashtag",
    "reel",
    "reels",
    "stories",
    "privacy",
    "policies",
    "settings",
    "notifications",
    "messages",
    "friends",
    "business",
    "ads",
    "legal",
    "terms",
    "l.php",
    "pages",
    "people",
    "groups",
    "profile.php",
    "video.php",
    "videos",
    "public",
    "fundraisers",
    "notes",
    "bookmarks",
    "recover",
    "reg",
    "about",
    "places",
    "badges",
}
INSTAGRAM_RESERVED = {
    "p",
    "reel",
    "reels",
    "tv",
    "stories",
    "explore",
    "accounts",
    "direct",
    "about",
    "legal",
    "s",
    "developer",
    "web",
    "challenge",
    "emails",
    "privacy",
    "_u",
}
YOUTUBE_VIDEO = {"watch", "shorts", "embed", "live", "v", "clip", "playlist"}
YOUTUBE_RESERVED = {
    "results",
    "feed",
    "feeds",
    "about",
    "t",
    "account",
    "premium",
    "kids",
    "music",
    "redirect",
    "hashtag",
    "gaming",
    "channel",
    "c",
    "user",
    "signin",
    "logout",
    "upload",
    "ads",
    "creators",
    "trends",
    "howyoutubeworks",
    "attribution_link",
    "oembed",
    "s",
    "new",
    "store",
    "jobs",
    "yt",
    "sw.js",
    "index",
}
YOUTUBE_TABS = {
    "videos",
    "featured",
    "streams",
    "shorts",
    "about",
    "playlists",
    "community",
    "channels",
    "live",
    "podcasts",
    "releases",
    "store",
    "search",
    "posts",
}
LINKEDIN_KINDS = ("in", "company", "school", "showcase")
LINKTREE_RESERVED = {
    "admin",
    "login",
    "register",
    "s",
    "help",
    "blog",
    "discover",
    "marketplace",
    "pricing",
    "privacy",
    "terms",
}

# Syntax of one identifier each.
_TWITTER = re.compile(r"[A-Za-z0-9_]{1,15}")
_DIGITS = re.compile(r"[0-9]{1,25}")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}$)(?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}})")
_BSKY_HANDLE = re.compile(rf"(?=.{{1,253}}$)(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?")
_DID = re.compile(r"did:(?:plc:[a-z2-7]{24}|web:[a-z0-9.-]+\.[a-z]{2,63})")
_MASTODON_USER = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?")
_ACCT = re.compile(r"@?(?P<user>[^@/\s]+)@(?P<domain>[^@/\s]+)")  # user@domain: fediverse or e-mail
_FACEBOOK = re.compile(r"(?=(?:\.*[A-Za-z0-9]){5})[A-Za-z0-9.]{5,50}")  # at least 5 letters or digits
_INSTAGRAM = re.compile(r"(?!\.)(?!.*\.\.)[A-Za-z0-9._]{1,30}(?<!\.)")
_TIKTOK = re.compile(r"[A-Za-z0-9_.]{2,24}")
_LINKTREE = re.compile(r"[A-Za-z0-9_.]{1,60}")
_YT_CHANNEL = re.compile(r"UC[A-Za-z0-9_-]{22}")
_SLUG = re.compile(r"\w[\w.-]{0,99}")  # YouTube, LinkedIn and group names: any letters, quoted in URLs
_PFBID = re.compile(r"pfbid[A-Za-z0-9]{8,100}")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_HOSTLIKE = re.compile(r"(?:[\w-]+\.)+[\w-]+(?::[0-9]{1,5})?(?:[/?#]|$)")
# Control, zero-width, bidi and soft-hyphen characters (not line breaks or tabs: those separate words).
_INVISIBLE = re.compile(
    r"[\u0000-\u0008\u000e-\u001b\u007f-\u0084\u0086-\u009f\u00ad\u061c\u180e"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)
_WRAPPERS = "\"'`<>[](){}“”‘’«»"
_PROSE_PUNCTUATION = ".,;:!?"
MAX_LENGTH = 2048
MAX_DEPTH = 4


def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise NotAnAccount("not a valid host name") from None


def _strip_host(host: str) -> str:
    """``mobile.twitter.com`` → ``twitter.com``: the host as the known-host table has it."""
    while host.count(".") >= 2 and (prefix := next((p for p in HOST_PREFIXES if host.startswith(p)), None)):
        host = host.removeprefix(prefix)
    return host


def _is_platform_host(text: str) -> bool:
    host = _strip_host(re.split(r"[?#:]", text.lower(), maxsplit=1)[0])
    return host in HOSTS or host in SHORTENERS


def _host_platform(bare: str) -> str | None:
    if bare in HOSTS:
        return HOSTS[bare]
    if bare.startswith("nitter."):
        return "twitter"
    if re.fullmatch(r"[a-z]{2,3}\.linkedin\.com", bare):  # uk.linkedin.com
        return "linkedin"
    if bare.endswith(".bsky.social"):  # https://jo.bsky.social
        return "bluesky"
    return None


def _segments(path: str) -> list[str]:
    """The decoded path segments, with ``.`` and ``..`` resolved as a browser would."""
    segments: list[str] = []
    for raw in path.split("/"):
        segment = unquote(raw)
        if segment == "..":
            segments = segments[:-1]
        elif segment not in ("", "."):
            segments.append(segment)
    return segments


def _param(query: dict[str, list[str]], name: str) -> str:
    return (query.get(name) or [""])[0]
