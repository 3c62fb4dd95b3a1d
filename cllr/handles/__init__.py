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
from collections.abc import Iterable, Iterator
from urllib.parse import SplitResult, parse_qs, urlsplit

from cllr.handles.platforms import (
    URL_READERS,
    _bluesky,
    _facebook_group,
    _facebook_id,
    _facebook_vanity,
    _fediverse,
    _instagram,
    _linkedin,
    _linktree,
    _mastodon,
    _threads,
    _tiktok,
    _twitter,
    _twitter_id,
    _website,
    _youtube_channel,
    _youtube_named,
)
from cllr.handles.syntax import (
    _ACCT,
    _DIGITS,
    _DOMAIN,
    _HOSTLIKE,
    _INVISIBLE,
    _PROSE_PUNCTUATION,
    _SCHEME,
    _WRAPPERS,
    FIELDS,
    HOSTS,
    LINKEDIN_KINDS,
    MAX_DEPTH,
    MAX_LENGTH,
    PLACEHOLDERS,
    PLATFORMS,
    PRIVATE_TLDS,
    SHARED_HOSTS,
    SHORTENERS,
    Handle,
    NotAnAccount,
    _host_platform,
    _idna,
    _is_platform_host,
    _param,
    _segments,
    _strip_host,
)

__all__ = ["PLATFORMS", "Handle", "NotAnAccount", "find_handles", "normalise"]

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
_SPACES = re.compile(r"[^\S\n]")
_MENTION = re.compile(r"(?<![\w@./:])@\w[\w.-]{0,63}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,10}")
_KNOWN_HOSTS = "|".join(re.escape(h) for h in sorted(HOSTS, key=len, reverse=True))
# Links: with a scheme, starting www., or on a known platform host ("x.com/name").
_URL_IN_TEXT = re.compile(
    rf"(?<![\w@./-])(?:https?://|www\.|(?:[\w-]{{1,63}}\.)?(?:{_KNOWN_HOSTS})/)[^\s<>\"'“”‘’]{{1,2048}}",
    re.IGNORECASE,
)


# Where a link or a label can start, looked for in the lower-cased text: a case-sensitive search for
# literals skips the positions that cannot start one far faster than the full patterns try each.
_LINK_ANCHOR = re.compile(rf"https?://|www\.|(?:{_KNOWN_HOSTS.lower()})/")
_LABEL_ANCHOR = re.compile(rf"\b(?:{_LABEL_WORDS})\b")
_TOKEN = frozenset("_@./-")


def _anchored(pattern: re.Pattern, text: str, starts: Iterable[int]) -> Iterator[re.Match]:
    """``pattern.finditer(text)`` when a match can only start at one of ``starts`` (ascending):
    the same matches, leftmost first and never overlapping, tried at those positions alone."""
    end = 0
    for start in starts:
        if start >= end and (match := pattern.match(text, start)):
            end = match.end()
            yield match


def _links_in_text(text: str) -> Iterator[re.Match]:
    """``_URL_IN_TEXT.finditer(text)``, tried only where a token holding a link's anchor begins
    (a match starts where its lookbehind allows: at the start of a run of ``[\\w@./-]``)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a character whose lower case is longer: positions would not match
        yield from _URL_IN_TEXT.finditer(text)
        return
    starts = []
    for anchor in _LINK_ANCHOR.finditer(lowered):
        start = anchor.start()
        while start and (text[start - 1].isalnum() or text[start - 1] in _TOKEN):
            start -= 1
        starts.append(start)
    yield from _anchored(_URL_IN_TEXT, text, sorted(set(starts)))


def _labelled(text: str) -> Iterator[re.Match]:
    """``_LABELLED.finditer(text)``, tried only where a label word begins."""
    lowered = text.lower()
    if len(lowered) != len(text):
        yield from _LABELLED.finditer(text)
        return
    yield from _anchored(_LABELLED, text, (anchor.start() for anchor in _LABEL_ANCHOR.finditer(lowered)))


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
    text = _SPACES.sub(" ", text)  # no-break and other spaces are plain spaces; lines stay lines
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

    for match in _links_in_text(text):
        add(match.start(), match.end(), match[0], None)
    mentions = "@" in text
    if mentions:
        for match in _MENTION.finditer(text):
            add(match.start(), match.end(), match[0], "mastodon")
    for matches in (_labelled(text), _LABEL_AFTER.finditer(text)) if mentions else (_labelled(text),):
        for match in matches:
            label, value = match["label"], match["value"]
            if label == "x" or ("@" not in value and "." not in value):
                continue  # a lower-case "x" is a letter; a plain word after a label is prose
            add(match.start("value"), match.end("value"), value, TEXT_LABELS[label.lower()])
    unique: dict[str, Handle] = {}
    for _, handle in sorted(found, key=lambda item: item[0]):
        unique.setdefault(handle.key, handle)
    return list(unique.values())
