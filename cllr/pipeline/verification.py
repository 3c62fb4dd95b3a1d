"""Two-way checks made on an account's own profile: which of them hold for one councillor now.

The council's page (or the councillor's site) says an account is theirs; these checks
find the account saying so back:

- ``self_claim``: the profile links to the councillor's page in this directory (a
  Mastodon profile field, or the Bluesky description or website);
- ``rel_me``: a Mastodon profile field, verified by the server with ``rel="me"``, links
  to the council's page for the councillor or to the councillor's own website;
- ``domain_handle``: the Bluesky handle is on the councillor's own website's domain, or
  on the council's own domain (Bluesky checks the handle's owner controls the domain).

A pure function of what the collection read and what we hold, so it is tested as a table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cllr.urls import registrable_domain

# URLs written in a profile's text, with or without a scheme ("example.org/me").
_URL = re.compile(r"(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/[^\s<>\"')\]]*)?", re.IGNORECASE)


@dataclass(frozen=True)
class Holder:
    """What we hold about one councillor that an account's profile can confirm."""

    directory_url: str | None  # the councillor's page in this directory (needs Settings.site_url)
    council_page: str | None  # the council's profile page for them
    websites: tuple[str, ...] = ()  # their own websites, as linked by the council
    council_domain: str | None = None  # the council's own registrable domain, if no other council shares it
    council_url: str | None = None  # where that domain was read (the roster URL)


def holder(
    site_url: str | None,
    slug: str,
    council_page: str | None,
    websites: Iterable[str],
    council_domain: str | None,
    council_url: str | None,
) -> Holder:
    """What we hold about a councillor, with their page in this directory when the site's address is set."""
    return Holder(
        directory_url=f"{site_url.rstrip('/')}/councillors/{slug}.html" if site_url else None,
        council_page=council_page,
        websites=tuple(sorted(websites)),
        council_domain=council_domain,
        council_url=council_url,
    )


@dataclass
class Profile:
    """What a collection read on the account's own profile."""

    platform: str
    url: str  # the account's profile page: the source of what it says about itself
    handle: str | None
    links: list[tuple[str, bool]] = field(default_factory=list)  # (URL, verified by the server)
    text: str = ""  # free text that may hold URLs (a Bluesky description)


def checks(profile: Profile, holder: Holder) -> set[tuple[str, str]]:
    """The (method, source URL) pairs that hold now for this councillor and account."""
    holds: set[tuple[str, str]] = set()
    links = [(url, verified) for url, verified in profile.links if url]
    links += [(url, False) for url in urls_in(profile.text)]
    if holder.directory_url and any(same_page(url, holder.directory_url) for url, _ in links):
        holds.add(("self_claim", profile.url))
    pages = [page for page in (holder.council_page, *holder.websites) if page]
    if profile.platform == "mastodon" and any(
        verified and same_page(url, page) for url, verified in links for page in pages
    ):
        holds.add(("rel_me", profile.url))
    if profile.platform == "bluesky" and profile.handle:
        domain = profile.handle.lower().rstrip(".")
        for site in holder.websites:
            host = _host(site)
            if host and (domain == host or domain.endswith("." + host)):
                holds.add(("domain_handle", site))
        if holder.council_domain and registrable_domain(domain) == holder.council_domain and holder.council_url:
            holds.add(("domain_handle", holder.council_url))
    return holds


def urls_in(text: str) -> list[str]:
    return [match.rstrip(".,;:!?") for match in _URL.findall(text or "")]


def same_page(a: str, b: str) -> bool:
    """Whether two URLs name one page: scheme, ``www.``, case of the host, a trailing slash and the fragment ignored."""
    return _page_key(a) == _page_key(b) and _page_key(a) != ""


def own_domains(councils: Iterable[tuple[int, str | None]]) -> dict[int, str]:
    """Council id → its roster site's registrable domain, for councils that share it with no other (not a hosting provider)."""
    domains = {cid: registrable_domain(urlsplit(url).hostname or "") for cid, url in councils if url}
    used: dict[str, int] = {}
    for domain in domains.values():
        used[domain] = used.get(domain, 0) + 1
    return {cid: domain for cid, domain in domains.items() if domain and used[domain] == 1}


def _page_key(url: str) -> str:
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host:
        return ""
    return f"{host}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")


def _host(url: str) -> str:
    return (urlsplit(url if "://" in url else "https://" + url).hostname or "").lower().removeprefix("www.")
