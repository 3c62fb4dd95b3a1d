"""Councillors' profile pages on council sites, mined for the accounts they link to.

Only the page's content area is read (a council's own footer links to the council's
accounts, not the councillor's); links back to the council's own site are ignored, and
handles written in prose ("Twitter - @name") are found too.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from cllr.handles import Handle, NotAnAccount, find_handles, normalise
from cllr.http import slot_key

# Where the councillor's own details sit: ModernGov's container, then generic ones.
CONTENT_SELECTORS = ("#modgov", "main", "[role=main]", "#content", "body")


def parse_profile_page(content: bytes, page_url: str) -> list[Handle]:
    """The accounts a councillor's profile page links to or names, in page order, deduplicated."""
    soup = BeautifulSoup(content, "html.parser")
    area = next((found for sel in CONTENT_SELECTORS if (found := soup.select_one(sel))), soup)
    own_site = _site(page_url)
    found: dict[str, Handle] = {}
    for link in area.find_all("a", href=True):
        url = urljoin(page_url, link["href"].strip())
        if urlsplit(url).scheme not in ("http", "https") or _site(url) == own_site:
            continue
        try:
            handle = normalise(url)
        except NotAnAccount:
            continue
        found.setdefault(handle.key, handle)
    for handle in find_handles(area.get_text(" ")):
        if handle.platform == "web" and _site(handle.url) == own_site:
            continue
        found.setdefault(handle.key, handle)
    return list(found.values())


def _site(url: str) -> str:
    """The registrable domain of a URL: links within it are the council's own."""
    return slot_key(urlsplit(url).hostname or "")
