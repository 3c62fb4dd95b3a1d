"""Which URLs the directory will show as links or accept as evidence, and whose site a URL is on."""

from __future__ import annotations

import ipaddress
from functools import cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for an href, or None (then templates show text, not a link)."""
    if not url or len(url) > 2048 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return url


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def registrable_domain(host: str) -> str:
    """A host name's registrable domain, from the bundled public-suffix list (``a.moderngov.co.uk``
    → ``moderngov.co.uk``); an IP address is its own."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    return _psl().privatesuffix(host) or host
