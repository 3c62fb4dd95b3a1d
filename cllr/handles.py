"""Canonical identity of public accounts: any handle or URL → platform, key and URL.

One normaliser for everything that names an account: links on council pages, handles
in free text, corrections. It cleans the text, unwraps redirectors (Outlook Safe Links,
Google, Facebook), classifies by host, extracts the account from profile, tab and post
links, validates it with the platform's syntax and returns a :class:`Handle`, or raises
:class:`NotAnAccount` with a short reason. Rules and cases: docs/handles.md.

Keys are ``platform:identifier``, lower-cased where the platform ignores case
(``twitter:cllrjanesmith``, ``mastodon:jane@toot.wales``, ``youtube:channel:UC…``,
``web:https://janesmith.example.org``). Nothing here touches the network: values that
only a lookup can finish (short links, YouTube handles) are rejected or flagged with
``needs_lookup``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlsplit

PLATFORMS = (
    "twitter", "bluesky", "mastodon", "facebook", "instagram", "threads", "youtube",
    "linkedin", "tiktok", "linktree", "web",
)  # fmt: skip


@dataclass(frozen=True)
class Handle:
    platform: str
    key: str
    url: str
    handle: str
    needs_lookup: bool = False


class NotAnAccount(ValueError):
    """The value names no account; ``str(exc)`` says why."""


# Field names as sources write them → the platform they imply.
FIELDS = {
    "twitter": "twitter", "x": "twitter", "bluesky": "bluesky", "bsky": "bluesky",
    "mastodon": "mastodon", "fediverse": "mastodon", "facebook": "facebook", "instagram": "instagram",
    "threads": "threads", "youtube": "youtube", "linkedin": "linkedin", "tiktok": "tiktok",
    "linktree": "linktree", "blog": "web", "website": "web", "web": "web",
}  # fmt: skip
PLACEHOLDERS = {"", "n/a", "na", "none", "-", "--", "null", "tbc", "tba", "nil", "no", "not applicable", "unknown"}
SHORTENERS = {
    "t.co", "bit.ly", "fb.me", "lnkd.in", "tinyurl.com", "ow.ly", "buff.ly", "go.bsky.app",
    "vm.tiktok.com", "is.gd", "goo.gl", "rebrand.ly", "shorturl.at",
}  # fmt: skip
TRACKING = {
    "s", "t", "si", "ref", "ref_src", "ref_url", "mibextid", "hl", "lang", "locale", "locale2",
    "feature", "__tn__", "__cft__", "fbclid", "gclid", "igsh", "igshid", "src", "sa", "ust",
}  # fmt: skip
STRIP_SUBDOMAINS = ("www.", "m.", "mobile.", "web.", "touch.", "mbasic.", "business.")
HOSTS = {
    "twitter.com": "twitter", "x.com": "twitter", "nitter.net": "twitter", "fxtwitter.com": "twitter",
    "vxtwitter.com": "twitter", "fixupx.com": "twitter", "fixvx.com": "twitter",
    "bsky.app": "bluesky", "staging.bsky.app": "bluesky",
    "facebook.com": "facebook", "fb.com": "facebook",
    "instagram.com": "instagram", "instagr.am": "instagram",
    "threads.net": "threads", "threads.com": "threads",
    "youtube.com": "youtube", "youtu.be": "youtube",
    "linkedin.com": "linkedin", "tiktok.com": "tiktok", "linktr.ee": "linktree",
}  # fmt: skip
# Hosts where "/@name" is not a fediverse account; the key keeps the user's path.
USER_PATH_SITES = {"medium.com"}

_INVISIBLE = re.compile(r"[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_WRAPPERS = "\"'`<>[](){}“”‘’«»"
_TWITTER = re.compile(r"[A-Za-z0-9_]{1,15}")
_BSKY_HANDLE = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")
_DID = re.compile(r"did:(plc:[a-z2-7]{24}|web:[a-z0-9.-]+\.[a-z]{2,}(%3a\d+)?)")
_MASTODON_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_FACEBOOK = re.compile(r"[A-Za-z0-9.]{5,50}")
_INSTAGRAM = re.compile(r"(?!.*\.\.)(?!\.)[A-Za-z0-9._]{1,30}(?<!\.)")
_TIKTOK = re.compile(r"[A-Za-z0-9_.]{2,24}")
_YT_CHANNEL = re.compile(r"UC[A-Za-z0-9_-]{22}")
_SLUG = re.compile(r"[A-Za-z0-9_.%-]{1,100}")
_MENTION = re.compile(r"@?([A-Za-z0-9_][A-Za-z0-9_.-]*)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_URL_IN_TEXT = re.compile(
    r"(?:https?://|www\.|\b(?:twitter|x|facebook|fb|instagram|bsky|linkedin|tiktok|threads|youtube|linktr)"
    r"\.(?:com|app|net|ee)/)[^\s<>\"'“”]+",
    re.IGNORECASE,
)
_LABELLED = re.compile(
    r"\b(?P<label>twitter|tweets?|x|bluesky|bsky|mastodon|fediverse|instagram|insta|threads|tiktok)\b"
    r"(?:\s*(?:-|–|—|:|\bat\b|\bis\b|\bon\b|\()\s*|\s+)(?P<value>@[A-Za-z0-9_.@-]+|[A-Za-z0-9_]+\.[A-Za-z0-9_.-]+)",
    re.IGNORECASE,
)
LABEL_FIELDS = {"tweet": "twitter", "tweets": "twitter", "insta": "instagram"}


def normalise(value: str, field: str | None = None) -> Handle:
    """Return the account ``value`` names, or raise :class:`NotAnAccount`.

    ``field`` is the platform the value was given for (``twitter``, ``bluesky``,
    ``mastodon``, ``blog``...), or None/``any`` for free text and generic links.
    """
    platform = FIELDS.get((field or "any").strip().lower())
    return _normalise(value, platform, depth=0)


def _normalise(value: str, platform: str | None, depth: int) -> Handle:
    if not isinstance(value, str):
        raise NotAnAccount("not text")
    text = _clean(value)
    if text.lower() in PLACEHOLDERS:
        raise NotAnAccount("a placeholder, not a value")
    if len(text) > 2048:
        raise NotAnAccount("too long to be a handle or profile URL")
    if any(ch.isspace() for ch in text):
        return _from_prose(text, platform, depth)
    lowered = text.lower()
    if lowered.startswith("at://"):
        return _bluesky(text[5:].split("/")[0], platform)
    if lowered.startswith("acct:"):
        text, lowered = text[5:], lowered[5:]
    if lowered.startswith("did:"):
        return _bluesky(text, platform)
    if "/" not in text and (mention := _MENTION.fullmatch(text)):
        if platform == "mastodon" or text.startswith("@"):
            return _mastodon(mention.group(1), mention.group(2).lower())
        raise NotAnAccount("looks like an e-mail address (a fediverse address needs a WebFinger lookup)")
    if platform == "bluesky" and "/" not in text and ":" not in text:
        return _bluesky(text, platform)  # a domain-like handle, not a website
    url = _as_url(text)
    if url is None:
        return _bare(text, platform)
    return _from_url(url, platform, depth)


def _clean(value: str) -> str:
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", value)).replace("\u00a0", " ").strip()
    previous = None
    while text != previous:
        previous = text
        text = text.strip().strip(_WRAPPERS).rstrip(".,;:!?").strip()
    return text


def _from_prose(text: str, platform: str | None, depth: int) -> Handle:
    """A value with spaces: take the one URL or handle it contains."""
    found = find_handles(text)
    if platform:
        found = [h for h in found if h.platform == platform] or found
    if not found:
        raise NotAnAccount("free text that names no account")
    return found[0]


def _as_url(text: str):
    lowered = text.lower()
    scheme, sep, _ = lowered.partition(":")
    if sep and re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme) and scheme not in ("http", "https"):
        if not re.fullmatch(r"[a-z0-9.-]+", scheme) or lowered.startswith(f"{scheme}:/") or scheme in (
            "javascript", "data", "file", "vbscript", "mailto", "tel", "ftp", "sms", "gopher", "about", "blob",
        ):  # fmt: skip
            raise NotAnAccount(f"a {scheme}: link, not a web address")
    if not lowered.startswith(("http://", "https://")):
        if lowered.startswith("//"):
            text = "https:" + text
        elif re.match(r"[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?(/|$|\?|#)", lowered):
            text = "https://" + text
        else:
            return None
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        raise NotAnAccount("not a well-formed URL") from None
    if not host or parts.username or parts.password:
        raise NotAnAccount("not a usable web address")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise NotAnAccount("not a valid host name") from None
    if not _DOMAIN.fullmatch(host):
        raise NotAnAccount("not a public host name")
    if port not in (None, 80, 443):
        raise NotAnAccount("an unusual port: not a public profile URL")
    return parts._replace(netloc=host), host


def _strip_host(host: str) -> str:
    for prefix in STRIP_SUBDOMAINS:
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix) :]
    return host


def _from_url(url, platform: str | None, depth: int) -> Handle:
    parts, host = url
    query = parse_qs(parts.query)
    target = _unwrap(host, parts.path, query)
    if target is not None:
        if depth >= 3:
            raise NotAnAccount("too many nested redirect wrappers")
        return _normalise(target, platform, depth + 1)
    bare = _strip_host(host)
    if bare in SHORTENERS or host in SHORTENERS or bare == "facebook.com" and parts.path.startswith("/share/"):
        raise NotAnAccount("a short link: only a redirect lookup can tell where it goes")
    path = parts.path
    if parts.fragment.startswith("!/"):
        path = parts.fragment[1:]
    segments = [unquote(s) for s in path.split("/") if s]
    kind = HOSTS.get(bare)
    if kind is None and re.fullmatch(r"[a-z]{2,3}\.linkedin\.com", host):
        kind = "linkedin"
    if kind == "twitter":
        return _twitter_url(segments, query)
    if kind == "bluesky":
        return _bluesky_url(segments)
    if kind == "facebook":
        return _facebook_url(segments, query, parts)
    if kind == "instagram":
        return _instagram_url(segments)
    if kind == "threads":
        return _threads_url(segments)
    if kind == "youtube":
        return _youtube_url(bare, segments)
    if kind == "linkedin":
        return _linkedin_url(segments)
    if kind == "tiktok":
        return _tiktok_url(segments)
    if kind == "linktree":
        return _linktree_url(segments)
    if bare not in USER_PATH_SITES and (account := _fediverse_path(segments, host)):
        return account
    if platform == "mastodon":
        raise NotAnAccount("a Mastodon profile URL has /@name in its path")
    return _website(parts, host, bare, segments)


def _unwrap(host: str, path: str, query: dict) -> str | None:
    """The real target of a redirector link, if this is one."""
    if host.endswith("safelinks.protection.outlook.com"):
        return (query.get("url") or [None])[0]
    if re.fullmatch(r"(www\.)?google\.[a-z.]+", host) and path == "/url":
        return (query.get("q") or query.get("url") or [None])[0]
    if host in ("l.facebook.com", "lm.facebook.com") and path == "/l.php":
        return (query.get("u") or [None])[0]
    return None


def _bare(text: str, platform: str | None) -> Handle:
    """A handle without a URL: its meaning depends on the field it came from."""
    if platform == "twitter":
        return _twitter(text.lstrip("@"))
    if platform == "bluesky":
        return _bluesky(text, platform)
    if platform == "mastodon":
        raise NotAnAccount("a Mastodon address needs its server: @name@server")
    if platform == "instagram":
        return _instagram(text.lstrip("@"))
    if platform == "threads":
        return _threads(text.lstrip("@"))
    if platform == "tiktok":
        return _tiktok(text.lstrip("@"))
    if platform == "facebook":
        return _facebook_vanity(text.lstrip("@"))
    if platform == "youtube" and text.startswith("@"):
        return _youtube_url("youtube.com", [text])
    if platform == "youtube" and _YT_CHANNEL.fullmatch(text):
        return _youtube_url("youtube.com", ["channel", text])
    raise NotAnAccount("a bare name says nothing about which platform it is on")


# Platforms ---------------------------------------------------------------------

TWITTER_RESERVED = {
    "share", "intent", "home", "hashtag", "search", "i", "explore", "settings", "login", "logout",
    "compose", "messages", "notifications", "signup", "tos", "privacy", "download", "about", "jobs",
    "account", "following", "followers", "lists", "bookmarks",
}  # fmt: skip


def _twitter(name: str) -> Handle:
    if not _TWITTER.fullmatch(name):
        raise NotAnAccount("not a valid X/Twitter handle")
    if name.lower() in TWITTER_RESERVED:
        raise NotAnAccount(f"x.com/{name} is a page of the site, not an account")
    return Handle("twitter", f"twitter:{name.lower()}", f"https://x.com/{name}", name)


def _twitter_url(segments: list[str], query: dict) -> Handle:
    if not segments:
        raise NotAnAccount("the X/Twitter home page, not an account")
    first = segments[0].lower()
    if first == "intent" and len(segments) > 1 and segments[1].lower() in ("user", "follow"):
        name = (query.get("screen_name") or [""])[0]
        return _twitter(name.lstrip("@"))
    if first == "i" and len(segments) > 2 and segments[1] == "user" and segments[2].isdigit():
        return Handle("twitter", f"twitter:id:{segments[2]}", f"https://x.com/i/user/{segments[2]}", segments[2])
    if first in TWITTER_RESERVED:
        raise NotAnAccount(f"x.com/{segments[0]} is a share, search or site page, not an account")
    return _twitter(segments[0].lstrip("@"))


def _bluesky(identifier: str, platform: str | None) -> Handle:
    ident = identifier.strip().lstrip("@")
    lowered = ident.lower()
    if lowered.startswith("did:"):
        if not _DID.fullmatch(lowered):
            raise NotAnAccount("not a valid Bluesky DID")
        return Handle("bluesky", f"bluesky:{lowered}", f"https://bsky.app/profile/{lowered}", lowered)
    if lowered == "handle.invalid":
        raise NotAnAccount("handle.invalid marks a broken Bluesky handle: the DID is needed")
    guess = f"{lowered}.bsky.social"
    if "." not in lowered and platform == "bluesky" and _BSKY_HANDLE.fullmatch(guess):
        return Handle("bluesky", f"bluesky:{guess}", f"https://bsky.app/profile/{guess}", guess, needs_lookup=True)
    if not _BSKY_HANDLE.fullmatch(lowered):
        raise NotAnAccount("not a valid Bluesky handle")
    return Handle("bluesky", f"bluesky:{lowered}", f"https://bsky.app/profile/{lowered}", lowered)


def _bluesky_url(segments: list[str]) -> Handle:
    if len(segments) >= 2 and segments[0] == "profile":
        return _bluesky(segments[1], "bluesky")
    raise NotAnAccount("a Bluesky page that is not a profile")


def _mastodon(user: str, domain: str) -> Handle:
    user = user.lstrip("@")
    if not _MASTODON_USER.fullmatch(user) or not _DOMAIN.fullmatch(domain):
        raise NotAnAccount("not a valid fediverse address")
    return Handle("mastodon", f"mastodon:{user.lower()}@{domain}", f"https://{domain}/@{user}", f"@{user}@{domain}")


def _fediverse_path(segments: list[str], host: str) -> Handle | None:
    """``/@user``, ``/@user@other``, ``/users/user``, ``/web/@user`` and status links."""
    if segments and segments[0] == "web":
        segments = segments[1:]
    if not segments:
        return None
    first = segments[0]
    if first.startswith("@") and len(first) > 1:
        rest = segments[1:]
        if rest and not (rest[0].isdigit() or rest[0] in ("with_replies", "media", "followers", "following")):
            return None
        user, _, other = first[1:].partition("@")
        return _mastodon(user, other.lower() or host)
    if first == "users" and len(segments) >= 2:
        return _mastodon(segments[1], host)
    return None


FACEBOOK_RESERVED = {
    "sharer", "sharer.php", "share.php", "share", "plugins", "dialog", "events", "watch", "marketplace",
    "gaming", "help", "search", "login", "login.php", "home.php", "photo.php", "photo", "photos",
    "story.php", "permalink.php", "media", "hashtag", "reel", "reels", "stories", "privacy", "policies",
    "settings", "notifications", "messages", "friends", "business", "ads", "legal", "terms", "l.php",
}  # fmt: skip


def _facebook_vanity(name: str, display_url: str | None = None) -> Handle:
    if name.lower() in FACEBOOK_RESERVED:
        raise NotAnAccount(f"facebook.com/{name} is a share, plugin or site page, not an account")
    if not _FACEBOOK.fullmatch(name):
        raise NotAnAccount("not a valid Facebook username")
    return Handle("facebook", f"facebook:{name.lower().replace('.', '')}", f"https://www.facebook.com/{name}", name)


def _facebook_id(number: str) -> Handle:
    return Handle("facebook", f"facebook:id:{number}", f"https://www.facebook.com/profile.php?id={number}", number)


def _facebook_url(segments: list[str], query: dict, parts) -> Handle:
    if not segments:
        raise NotAnAccount("the Facebook home page, not an account")
    first = segments[0].lower()
    if first == "profile.php":
        number = (query.get("id") or [""])[0]
        if number.isdigit():
            return _facebook_id(number)
        raise NotAnAccount("a Facebook profile link without a numeric id")
    if first in ("pages", "people") and len(segments) >= 3:
        if segments[2].isdigit():
            return _facebook_id(segments[2])
        if first == "people" and segments[2].startswith("pfbid"):
            path = "/".join(quote(s) for s in segments[:3])
            url = f"https://www.facebook.com/{path}"
            return Handle("facebook", f"facebook:url:{url}", url + "/", segments[1])
    if first == "p" and len(segments) >= 2 and (m := re.search(r"-(\d{6,})$", segments[1])):
        return _facebook_id(m.group(1))
    if first == "groups" and len(segments) >= 2:
        group = segments[1]
        if not _SLUG.fullmatch(group):
            raise NotAnAccount("not a valid Facebook group")
        return Handle("facebook", f"facebook:group:{group.lower()}", f"https://www.facebook.com/groups/{group}/", group)
    if first == "pg" and len(segments) >= 2:
        return _facebook_vanity(segments[1])
    return _facebook_vanity(segments[0])


INSTAGRAM_RESERVED = {"p", "reel", "reels", "tv", "stories", "explore", "accounts", "direct", "about", "legal"}


def _instagram(name: str) -> Handle:
    if not _INSTAGRAM.fullmatch(name):
        raise NotAnAccount("not a valid Instagram username")
    lowered = name.lower()
    return Handle("instagram", f"instagram:{lowered}", f"https://www.instagram.com/{lowered}/", lowered)


def _instagram_url(segments: list[str]) -> Handle:
    if not segments:
        raise NotAnAccount("the Instagram home page, not an account")
    if segments[0].lower() in INSTAGRAM_RESERVED:
        raise NotAnAccount("an Instagram post or site page: it does not name the account")
    return _instagram(segments[0].lstrip("@"))


def _threads(name: str) -> Handle:
    if not _INSTAGRAM.fullmatch(name):
        raise NotAnAccount("not a valid Threads username")
    lowered = name.lower()
    return Handle("threads", f"threads:{lowered}", f"https://www.threads.com/@{lowered}", lowered)


def _threads_url(segments: list[str]) -> Handle:
    if segments and segments[0].startswith("@"):
        return _threads(segments[0][1:])
    raise NotAnAccount("a Threads page that is not a profile")


YOUTUBE_VIDEO = {"watch", "shorts", "embed", "live", "v", "clip"}
YOUTUBE_RESERVED = {"results", "feed", "playlist", "about", "t", "account", "premium", "kids", "music", "redirect", "hashtag", "gaming"}


def _youtube_url(bare: str, segments: list[str]) -> Handle:
    if bare == "youtu.be" or (segments and segments[0].lower() in YOUTUBE_VIDEO):
        raise NotAnAccount("a YouTube video: only a lookup can tell whose channel it is")
    if not segments:
        raise NotAnAccount("the YouTube home page, not a channel")
    first = segments[0]
    if first == "channel" and len(segments) >= 2:
        if not _YT_CHANNEL.fullmatch(segments[1]):
            raise NotAnAccount("not a valid YouTube channel id")
        cid = segments[1]
        return Handle("youtube", f"youtube:channel:{cid}", f"https://www.youtube.com/channel/{cid}", cid)
    if first.startswith("@") and _SLUG.fullmatch(first[1:] or "!"):
        name = first[1:]
        return Handle("youtube", f"youtube:handle:{name.lower()}", f"https://www.youtube.com/@{name}", f"@{name}",
                      needs_lookup=True)  # fmt: skip
    if first in ("c", "user") and len(segments) >= 2 and _SLUG.fullmatch(segments[1]):
        kind = "custom" if first == "c" else "user"
        name = segments[1]
        return Handle("youtube", f"youtube:{kind}:{name.lower()}", f"https://www.youtube.com/{first}/{name}", name,
                      needs_lookup=True)  # fmt: skip
    if first.lower() not in YOUTUBE_RESERVED and len(segments) <= 2 and _SLUG.fullmatch(first):
        return Handle("youtube", f"youtube:custom:{first.lower()}", f"https://www.youtube.com/c/{first}", first,
                      needs_lookup=True)  # fmt: skip
    raise NotAnAccount("a YouTube page that is not a channel")


def _linkedin_url(segments: list[str]) -> Handle:
    if len(segments) >= 2 and segments[0] in ("in", "company", "school", "showcase"):
        kind, slug = segments[0], segments[1].lower()
        if not _SLUG.fullmatch(slug):
            raise NotAnAccount("not a valid LinkedIn profile name")
        return Handle("linkedin", f"linkedin:{kind}:{slug}", f"https://www.linkedin.com/{kind}/{slug}/", slug)
    if len(segments) >= 5 and segments[0] == "pub":
        slug = f"{segments[1]}-{segments[4]}{segments[3]}{segments[2]}".lower()
        if not _SLUG.fullmatch(slug):
            raise NotAnAccount("not a valid LinkedIn profile name")
        return Handle("linkedin", f"linkedin:in:{slug}", f"https://www.linkedin.com/in/{slug}/", slug)
    raise NotAnAccount("a LinkedIn post or page that is not a profile")


def _tiktok(name: str) -> Handle:
    if not _TIKTOK.fullmatch(name):
        raise NotAnAccount("not a valid TikTok username")
    lowered = name.lower()
    return Handle("tiktok", f"tiktok:{lowered}", f"https://www.tiktok.com/@{lowered}", lowered)


def _tiktok_url(segments: list[str]) -> Handle:
    if segments and segments[0].startswith("@"):
        return _tiktok(segments[0][1:])
    raise NotAnAccount("a TikTok page that is not a profile")


def _linktree_url(segments: list[str]) -> Handle:
    if len(segments) == 1 and re.fullmatch(r"[A-Za-z0-9_.]{1,60}", segments[0]):
        name = segments[0]
        return Handle("linktree", f"linktree:{name.lower()}", f"https://linktr.ee/{name}", name)
    raise NotAnAccount("a Linktree page that is not a profile")


def _website(parts, host: str, bare: str, segments: list[str]) -> Handle:
    """A personal site or blog: the key is its root (or the user's path on shared hosts)."""
    scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
    site = host.removeprefix("www.") if host.count(".") >= 2 else host
    if bare in USER_PATH_SITES and segments and segments[0].startswith("@"):
        user = segments[0].lower()
        path = quote(user, safe="@")
        return Handle("web", f"web:https://{site}/{path}", f"{scheme}://{host}/{path}", f"{site}/{user}")
    return Handle("web", f"web:https://{site}", f"{scheme}://{host}/", site)


# Free text -----------------------------------------------------------------------


def find_handles(text: str) -> list[Handle]:
    """The accounts named in free text, in order, without duplicates; never raises.

    Finds URLs, ``@user@server`` fediverse mentions, and handles that a platform word
    labels ("Twitter - @name", "Bluesky: name.bsky.social"). A bare ``@name`` with no
    label names no platform and is ignored, as are e-mail addresses.
    """
    if not isinstance(text, str) or not text:
        return []
    text = _INVISIBLE.sub(" ", unicodedata.normalize("NFC", text))[:20_000]
    found: list[tuple[int, Handle]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, value: str, field: str | None) -> None:
        if any(a < end and start < b for a, b in taken):
            return
        try:
            handle = _normalise(value, field, depth=0)
        except NotAnAccount:
            return
        taken.append((start, end))
        found.append((start, handle))

    for match in _URL_IN_TEXT.finditer(text):
        add(match.start(), match.end(), match.group(0), None)
    for match in _LABELLED.finditer(text):
        label = match.group("label").lower()
        field = FIELDS.get(label) or LABEL_FIELDS.get(label)
        value = match.group("value")
        if field in ("twitter", "instagram", "threads", "tiktok") and "@" in value.lstrip("@"):
            continue  # an e-mail address or fediverse mention after the label
        add(match.start("value"), match.end("value"), value, field)
    for match in _MENTION.finditer(text):
        start = match.start()
        if text[start] == "@" and (start == 0 or not text[start - 1].isalnum()):
            add(start, match.end(), match.group(0), "mastodon")
    seen: dict[str, Handle] = {}
    for _, handle in sorted(found, key=lambda item: item[0]):
        seen.setdefault(handle.key, handle)
    return list(seen.values())
