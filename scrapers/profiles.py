"""Councillors' profile pages on council sites, mined for the accounts they link to.

Only the page's content area is read, and never its furniture: the site's header, footer and
navigation link to the council's own accounts, not the councillor's. An account that the
furniture links to is the council's wherever else the page links it ("Fife Council on
Facebook" beside a councillor's email). Links back to the council's own site are ignored, and
handles written in prose ("Twitter - @name") are found too. A link's words ("my personal
account", "Ward Labour Party") give the account's role (``cllr.evidence.role_from_label``).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from cllr.evidence import role_from_label
from cllr.handles import Handle, NotAnAccount, find_handles, normalise
from cllr.urls import registrable_domain

# Where the councillor's own details sit: ModernGov's container, then generic ones.
CONTENT_SELECTORS = ("#modgov", "main", "[role=main]", "#content", "body")
# The site's own furniture, by element, landmark role and the ids and classes older sites use.
FURNITURE = (
    "header, footer, nav, [role=banner], [role=contentinfo], [role=navigation],"
    " #header, #footer, #site-header, #site-footer, .site-header, .site-footer, #navigation"
)
# An element inside one of these is the content's own (an article's footer), not the site's.
SECTIONS = frozenset({"article", "aside", "main", "section"})


def parse_profile_page(content: bytes, page_url: str) -> list[tuple[Handle, str]]:
    """The accounts a councillor's profile page links to or names, with their roles, in page order,
    deduplicated: none that the site's furniture links to."""
    soup = BeautifulSoup(content, "html.parser")
    furniture = [tag for tag in soup.select(FURNITURE) if not _in_section(tag)]
    the_sites = {handle.key for tag in furniture for handle, _ in links_in(tag, page_url)}
    for tag in furniture:
        tag.decompose()
    area = next((found for sel in CONTENT_SELECTORS if (found := soup.select_one(sel))), soup)
    return [(handle, role) for handle, role in links_in(area, page_url) if handle.key not in the_sites]


def _in_section(tag: Tag) -> bool:
    """Whether an element sits inside the content's own sectioning (or the content container)."""
    return any(parent.name in SECTIONS or parent.get("id") in ("modgov", "content") for parent in tag.parents)


def links_in(area: Tag, page_url: str) -> list[tuple[Handle, str]]:
    """The accounts an element links to or names (not its own site's pages), each with the role its words give."""
    own_site = _site(page_url)
    found: dict[str, tuple[Handle, str]] = {}
    for link in area.find_all("a", href=True):
        url = urljoin(page_url, link["href"].strip())
        if urlsplit(url).scheme not in ("http", "https") or _site(url) == own_site:
            continue
        try:
            handle = normalise(url)
        except NotAnAccount:
            continue
        found.setdefault(handle.key, (handle, role_from_label(_label(link))))
    for handle in find_handles(area.get_text(" ")):
        if handle.platform == "web" and _site(handle.url) == own_site:
            continue
        found.setdefault(handle.key, (handle, "councillor"))
    return list(found.values())


def _label(link: Tag) -> str:
    """The words that describe a link: its text, title and aria-label, and the text just before it."""
    before = link.previous_sibling
    words = [link.get_text(" "), link.get("title") or "", link.get("aria-label") or ""]
    if isinstance(before, NavigableString):
        words.append(str(before)[-80:])
    return " ".join(words)


def _site(url: str) -> str:
    """The registrable domain of a URL: links within it are the council's own."""
    return registrable_domain(urlsplit(url).hostname or "")
