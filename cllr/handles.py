"""Canonical identity of public accounts: any handle or URL → platform, key and URL.

One normaliser for everything that names an account: links on council pages, handles
in free text, corrections. :func:`normalise` cleans the text, unwraps redirectors
(Outlook Safe Links, Google, Facebook), classifies by host, extracts the account from
profile, tab and post links, validates it with the platform's syntax and returns a
:class:`Handle`, or raises :class:`NotAnAccount` with a short reason.
:func:`find_handles` finds the accounts written in free text. Rules and cases:
docs/handles.md and tests/fixtures/platforms/normalisation/cases.json.

Keys are ``platform:identifier``, lower-cased where the platform ignores case
(``twitter:cllrjanesmith``, ``mastodon:jane@toot.wales``, ``youtube:channel:UC…``,
``web:https://janesmith.example.org``); a key given back to :func:`normalise` gives the
same key. Canonical URLs are rebuilt from the identifier, so every query parameter
(tracking included) is dropped. Nothing here touches the network: values that only a
lookup can finish are refused (short links, videos) or flagged ``needs_lookup``
(guessed Bluesky names, YouTube handles and custom names).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, quote, unquote, urlsplit

PLATFORMS = (
    "twitter", "bluesky", "mastodon", "facebook", "instagram", "threads", "youtube",
    "linkedin", "tiktok", "linktree", "web",
)  # fmt: skip


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
    "twitter": "twitter", "x": "twitter", "bluesky": "bluesky", "bsky": "bluesky",
    "mastodon": "mastodon", "fediverse": "mastodon", "facebook": "facebook",
    "instagram": "instagram", "threads": "threads", "youtube": "youtube", "linkedin": "linkedin",
    "tiktok": "tiktok", "linktree": "linktree", "blog": "web", "website": "web", "web": "web",
}  # fmt: skip
PLACEHOLDERS = {
    "", "n/a", "na", "none", "-", "--", "—", "null", "nil", "tbc", "tba", "no", "unknown",
    "not applicable", "not known",
}  # fmt: skip
# Known hosts (after dropping www./m./mobile./...) → platform.
HOSTS = {
    "twitter.com": "twitter", "x.com": "twitter", "nitter.net": "twitter",
    "fxtwitter.com": "twitter", "vxtwitter.com": "twitter", "fixupx.com": "twitter", "fixvx.com": "twitter",
    "bsky.app": "bluesky", "staging.bsky.app": "bluesky",
    "facebook.com": "facebook", "fb.com": "facebook",
    "instagram.com": "instagram", "instagr.am": "instagram",
    "threads.net": "threads", "threads.com": "threads",
    "youtube.com": "youtube", "youtu.be": "youtube",
    "linkedin.com": "linkedin",
    "tiktok.com": "tiktok",
    "linktr.ee": "linktree",
}  # fmt: skip
HOST_PREFIXES = ("www.", "m.", "mobile.", "web.", "touch.", "mbasic.", "business.")
# Shared hosts where a path names one person's site: host → how such paths start
# ("@" for medium.com/@jo). "/@name" on these is not a fediverse account.
SHARED_HOSTS = {"medium.com": ("@",), "substack.com": ("@",), "sites.google.com": ("view", "site")}
# Redirecting short links: only a redirect lookup can tell where they go.
SHORTENERS = {
    "t.co", "bit.ly", "fb.me", "fb.watch", "lnkd.in", "go.bsky.app", "vm.tiktok.com", "vt.tiktok.com",
    "tinyurl.com", "ow.ly", "buff.ly", "is.gd", "goo.gl", "rebrand.ly", "shorturl.at", "tiny.cc", "cutt.ly",
}  # fmt: skip
# Top-level domains that never name a public site or account server.
PRIVATE_TLDS = {
    "local", "localhost", "internal", "intranet", "lan", "home", "corp", "arpa", "invalid", "test", "onion", "alt",
}  # fmt: skip

TWITTER_RESERVED = {
    "share", "intent", "home", "hashtag", "search", "i", "explore", "settings", "login", "logout",
    "compose", "messages", "notifications", "signup", "tos", "privacy", "download", "about", "jobs",
    "account", "following", "followers", "lists", "bookmarks", "statuses", "widgets", "oauth",
}  # fmt: skip
FACEBOOK_RESERVED = {
    "sharer", "sharer.php", "share.php", "share", "plugins", "dialog", "events", "watch", "marketplace",
    "gaming", "help", "search", "login", "login.php", "home.php", "photo.php", "photo", "photos",
    "story.php", "permalink.php", "media", "hashtag", "reel", "reels", "stories", "privacy", "policies",
    "settings", "notifications", "messages", "friends", "business", "ads", "legal", "terms", "l.php",
    "pages", "people", "groups", "profile.php", "video.php", "videos", "public", "fundraisers", "notes",
    "bookmarks", "recover", "reg", "about", "places", "badges",
}  # fmt: skip
INSTAGRAM_RESERVED = {
    "p", "reel", "reels", "tv", "stories", "explore", "accounts", "direct", "about", "legal", "s",
    "developer", "web", "challenge", "emails", "privacy", "_u",
}  # fmt: skip
YOUTUBE_VIDEO = {"watch", "shorts", "embed", "live", "v", "clip", "playlist"}
YOUTUBE_RESERVED = {
    "results", "feed", "feeds", "about", "t", "account", "premium", "kids", "music", "redirect", "hashtag",
    "gaming", "channel", "c", "user", "signin", "logout", "upload", "ads", "creators", "trends",
    "howyoutubeworks", "attribution_link", "oembed", "s", "new", "store", "jobs", "yt", "sw.js", "index",
}  # fmt: skip
YOUTUBE_TABS = {
    "videos", "featured", "streams", "shorts", "about", "playlists", "community", "channels", "live",
    "podcasts", "releases", "store", "search", "posts",
}  # fmt: skip
LINKEDIN_KINDS = ("in", "company", "school", "showcase")
LINKTREE_RESERVED = {
    "admin", "login", "register", "s", "help", "blog", "discover", "marketplace", "pricing", "privacy", "terms",
}  # fmt: skip

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


# Entry point --------------------------------------------------------------------------


def normalise(value: str, field: str | None = None) -> Handle:
    """Return the account ``value`` names, or raise :class:`NotAnAccount` (and nothing else).

    ``field`` is the platform the value was given for ('twitter', 'x', 'bluesky',
    'mastodon', 'facebook', 'instagram', 'threads', 'youtube', 'linkedin', 'tiktok',
    'blog', 'website'), or None/'any' for free text and generic links.
    """
    platform = FIELDS.get(field.strip().lower()) if isinstance(field, str) else None
    try:
        return _normalise(value, platform, depth=0)
    except NotAnAccount:
        raise
    except (ValueError, UnicodeError) as exc:  # urllib/idna on hostile input: a backstop, never relied on
        raise NotAnAccount("not readable as a handle or URL") from exc


def _normalise(value: str, platform: str | None, depth: int, *, is_key: bool = False) -> Handle:
    if depth > MAX_DEPTH:
        raise NotAnAccount("too many nested redirects or labels")
    if not isinstance(value, str):
        raise NotAnAccount("not text")
    text = _clean(value)
    if text.lower() in PLACEHOLDERS and not (is_key and text):  # "twitter:none" is @none's key
        raise NotAnAccount("a placeholder, not a value")
    if len(text) > MAX_LENGTH:
        raise NotAnAccount("too long to be a handle or profile URL")
    if any(ch.isspace() for ch in text):
        return _from_prose(text, platform, depth)
    label, colon, rest = text.partition(":")
    if colon and label.lower() in FIELDS and not rest.startswith("/"):
        return _from_key(FIELDS[label.lower()], rest, depth)  # a key, or "Twitter:@name"
    lowered = text.lower()
    if lowered.startswith("at://"):
        return _bluesky(text[5:].split("/")[0])
    if lowered.startswith("did:"):
        return _bluesky(text)
    explicit_acct = lowered.startswith("acct:")
    if explicit_acct:
        text = text[5:]
    if "/" not in text and (acct := _ACCT.fullmatch(text)):
        if platform == "mastodon" or explicit_acct or text.startswith("@"):
            return _mastodon(acct["user"], acct["domain"])
        raise NotAnAccount("looks like an e-mail address (a fediverse address needs a WebFinger lookup)")
    # In a platform's own field, a name without "/" is a username ("jo.smith" on Instagram)
    # unless it is a platform's host name ("facebook.com"); Bluesky handles are host names.
    is_name = "/" not in text and (platform == "bluesky" or is_key or not _is_platform_host(text))
    if platform not in (None, "web") and is_name:
        return _bare(text, platform)
    url = _as_url(text)
    if url is None:
        return _bare(text, platform)
    return _from_url(url, platform, depth)


def _clean(value: str) -> str:
    """NFC; no invisible characters, surrounding space, quotes, brackets or prose punctuation."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", value))
    previous = None
    while text != previous:
        previous = text
        text = text.strip().strip(_WRAPPERS).rstrip(_PROSE_PUNCTUATION)
    return text


def _from_prose(text: str, platform: str | None, depth: int) -> Handle:
    """A value with spaces: the account it names, preferring the field's platform."""
    found = find_handles(text)
    if platform:
        found = [h for h in found if h.platform == platform] or found
    if found:
        return found[0]
    if platform not in (None, "web"):  # the field labels the whole value: "@jo (personal)"
        for token in text.split():
            if token.startswith("@"):
                try:
                    return _normalise(token, platform, depth + 1)
                except NotAnAccount:
                    continue
    raise NotAnAccount("free text that names no account")


def _from_key(platform: str, rest: str, depth: int) -> Handle:
    """``twitter:jo``, ``youtube:channel:UC…``, ``facebook:id:123``: a key or labelled value."""
    kind, colon, ident = rest.partition(":")
    reader = TYPED_KEYS.get((platform, kind.lower())) if colon else None
    if reader is not None:
        return reader(ident)
    return _normalise(rest, platform, depth + 1, is_key=True)


def _bare(text: str, platform: str | None) -> Handle:
    """A name without a host: its meaning depends on the field it came from."""
    name = text.removeprefix("@")
    if platform == "twitter":
        return _twitter(name)
    if platform == "bluesky":
        return _bluesky(text, guess=True)
    if platform == "mastodon":
        raise NotAnAccount("a Mastodon address needs its server: @name@server")
    if platform == "facebook":
        return _facebook_id(name) if _DIGITS.fullmatch(name) else _facebook_vanity(name)
    if platform == "instagram":
        return _instagram(name)
    if platform == "threads":
        return _threads(name)
    if platform == "tiktok":
        return _tiktok(name)
    if platform == "linktree":
        return _linktree(name)
    if platform == "linkedin":
        return _linkedin("in", name)
    if platform == "youtube":
        if text.startswith("@"):
            return _youtube_named("handle", name)
        return _youtube_channel(text)
    if platform == "web":
        raise NotAnAccount("not a web address")
    raise NotAnAccount("a bare name says nothing about which platform it is on")


# URLs ---------------------------------------------------------------------------------


def _as_url(text: str) -> SplitResult | None:
    """The value as an http(s) URL with a public host name; None if it is not URL-shaped."""
    scheme = _SCHEME.match(text)
    if scheme and scheme[1].lower() not in ("http", "https") and not _HOSTLIKE.match(text):
        raise NotAnAccount(f"a {scheme[1].lower()}: link, not a web address")
    if text.lower().startswith(("http://", "https://")):
        pass
    elif text.startswith("//"):
        text = "https:" + text
    elif _HOSTLIKE.match(text):
        text = "https://" + text
    else:
        return None
    parts = urlsplit(text)
    if parts.username is not None or parts.password is not None:
        raise NotAnAccount("a URL with a user name or password in it")
    host = _idna((parts.hostname or "").rstrip("."))
    if not _DOMAIN.fullmatch(host) or host.rsplit(".", 1)[-1] in PRIVATE_TLDS:
        raise NotAnAccount("not a public host name")
    if parts.port not in (None, 80, 443):
        raise NotAnAccount("an unusual port: not a public profile URL")
    return parts._replace(netloc=host)


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


def _from_url(parts: SplitResult, platform: str | None, depth: int) -> Handle:
    host = parts.netloc
    query = parse_qs(parts.query)
    target = _unwrap(host, parts, query)
    if target is not None:
        return _normalise(target, platform, depth + 1)
    bare = _strip_host(host)
    path = parts.path
    if parts.fragment.startswith(("!/", "%21/")):  # twitter.com/#!/name
        path = "/" + parts.fragment.split("/", 1)[1].split("?")[0]
    segments = _segments(path)
    if bare in SHORTENERS or (bare == "facebook.com" and segments[:1] == ["share"]):
        raise NotAnAccount("a short link: it needs a redirect lookup to tell where it goes")
    kind = _host_platform(bare)
    if kind is not None:
        return URL_READERS[kind](bare, segments, query)
    if bare not in SHARED_HOSTS and (account := _fediverse(host, segments, platform)):
        return account
    if platform == "mastodon":
        raise NotAnAccount("a Mastodon profile URL has /@name in its path")
    return _website(parts.scheme, host, bare, segments)


def _unwrap(host: str, parts: SplitResult, query: dict[str, list[str]]) -> str | None:
    """The real target of a redirector link (Safe Links, Google, Facebook, Proofpoint), if it is one."""
    if host.endswith(".safelinks.protection.outlook.com"):
        return _param(query, "url") or None
    if re.fullmatch(r"(?:www\.)?google\.[a-z.]+", host) and parts.path == "/url":
        return _param(query, "q") or _param(query, "url") or None
    if host in ("l.facebook.com", "lm.facebook.com", "l.instagram.com") or (
        _strip_host(host) == "facebook.com" and parts.path == "/l.php"
    ):
        return _param(query, "u") or None
    if host == "urldefense.com":  # Proofpoint: /v3/__<target>__;<signature>
        wrapped = parts.path + ("?" + parts.query if parts.query else "")
        return m[1] if (m := re.match(r"/v3/__(.+?)__;", wrapped)) else None
    return None


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
    "twitter": _twitter_url, "bluesky": _bluesky_url, "facebook": _facebook_url,
    "instagram": _instagram_url, "threads": _threads_url, "youtube": _youtube_url,
    "linkedin": _linkedin_url, "tiktok": _tiktok_url, "linktree": _linktree_url,
}  # fmt: skip
# Keys with a type part ("youtube:channel:UC…") → the reader of that identifier.
TYPED_KEYS = {
    ("twitter", "id"): _twitter_id,
    ("facebook", "id"): _facebook_id,
    ("facebook", "group"): _facebook_group,
    ("facebook", "url"): lambda url: _normalise(url, "facebook", MAX_DEPTH),
    ("youtube", "channel"): _youtube_channel,
    ("youtube", "handle"): lambda name: _youtube_named("handle", name),
    ("youtube", "custom"): lambda name: _youtube_named("custom", name),
    ("youtube", "user"): lambda name: _youtube_named("user", name),
    **{("linkedin", kind): (lambda slug, kind=kind: _linkedin(kind, slug)) for kind in LINKEDIN_KINDS},
}


# Free text ----------------------------------------------------------------------------

MAX_TEXT = 100_000
# Words that say which platform a handle written next to them is on.
TEXT_LABELS = FIELDS | {"tweet": "twitter", "tweets": "twitter", "insta": "instagram", "ig": "instagram"}
_LABEL_WORDS = "|".join(sorted((w for w in TEXT_LABELS if w not in ("web", "linktree")), key=len, reverse=True))
# Between a label and its handle: separators and a few filler words; a line break only after a colon.
_GAP = r"(?:[ \t]*(?::[ \t]*\r?\n|[-–—:|/()=>]|\b(?:at|is|on|me|via|handle|account|formerly|twitter|x)\b))*[ \t]*"
# "Twitter - @name", "Follow me on Twitter @name", "Bluesky: name.bsky.social".
_LABELLED = re.compile(rf"\b(?P<label>{_LABEL_WORDS})\b{_GAP}(?P<value>@?\w[\w.@-]{{0,253}})", re.IGNORECASE)
# "@name on Twitter".
_LABEL_AFTER = re.compile(
    rf"(?<![\w@])(?P<value>@\w[\w.-]{{0,63}})[ \t]+(?:on|at|via)[ \t]+(?P<label>{_LABEL_WORDS})\b", re.IGNORECASE
)
_MENTION = re.compile(r"(?<![\w@./:])@\w[\w.-]{0,63}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,10}")
_KNOWN_HOSTS = "|".join(re.escape(h) for h in sorted(HOSTS, key=len, reverse=True))
# Links: with a scheme, starting www., or on a known platform host ("x.com/name").
_URL_IN_TEXT = re.compile(
    rf"(?<![\w@./-])(?:https?://|www\.|(?:[\w-]{{1,63}}\.)?(?:{_KNOWN_HOSTS})/)[^\s<>\"'“”‘’]{{1,2048}}",
    re.IGNORECASE,
)


def find_handles(text: str) -> list[Handle]:
    """The accounts named in free text, in order of appearance, without duplicates; never raises.

    Finds links, ``@user@server`` fediverse mentions, and handles that a platform word
    labels ("Twitter - @name", "Follow me on X @name", "Bluesky: name.bsky.social",
    "@name on Instagram"). A bare ``@name`` with no platform word names no platform and
    is ignored, as are e-mail addresses.
    """
    if not isinstance(text, str) or not text:
        return []
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text[:MAX_TEXT]))
    text = re.sub(r"[^\S\n]", " ", text)  # no-break and other spaces are plain spaces; lines stay lines
    found: list[tuple[int, Handle]] = []
    taken = bytearray(len(text))  # characters already read as part of an account

    def add(start: int, end: int, value: str, platform: str | None) -> None:
        if any(taken[start:end]):
            return
        try:
            handle = _normalise(value, platform, depth=0)
        except (ValueError, UnicodeError):  # NotAnAccount, or a backstop like normalise's
            return
        taken[start:end] = b"\1" * (end - start)
        found.append((start, handle))

    for match in _URL_IN_TEXT.finditer(text):
        add(match.start(), match.end(), match[0], None)
    for match in _MENTION.finditer(text):
        add(match.start(), match.end(), match[0], "mastodon")
    for pattern in (_LABELLED, _LABEL_AFTER):
        for match in pattern.finditer(text):
            label, value = match["label"], match["value"]
            if label == "x" or ("@" not in value and "." not in value):
                continue  # a lower-case "x" is a letter; a plain word after a label is prose
            add(match.start("value"), match.end("value"), value, TEXT_LABELS[label.lower()])
    unique: dict[str, Handle] = {}
    for _, handle in sorted(found, key=lambda item: item[0]):
        unique.setdefault(handle.key, handle)
    return list(unique.values())
