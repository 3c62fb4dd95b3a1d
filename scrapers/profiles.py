"""Councillors' profile pages on council sites, mined for the accounts they link to.

Only the page's content area is read, and never its furniture: the site's header, footer and
navigation link to the council's own accounts, not the councillor's. An account that the
furniture links to is the council's wherever else the page links it ("Fife Council on
Facebook" beside a councillor's email). Links back to the council's own site are ignored, and
handles written in prose ("Twitter - @name") are found too. A link's words ("my personal
account", "Ward Labour Party") give the account's role (``cllr.evidence.role_from_label``).

Pages are parsed by lexbor (``scrapers.markup``): real profile pages are 30 to 60 KB, read by
the thousand in a national run.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from cllr.evidence import role_from_label
from cllr.handles import Handle, NotAnAccount, find_handles, normalise
from cllr.urls import registrable_domain

from .markup import LexborNode, tree

# Where the councillor's own details sit: ModernGov's container, then generic ones.
CONTENT_SELECTORS = ("#modgov", "main", "[role=main]", "#content", "body")
# The site's own furniture, by element, landmark role and the ids and classes older sites use.
FURNITURE = (
    "header, footer, nav, [role=banner], [role=contentinfo], [role=navigation],"
    " #header, #footer, #site-header, #site-footer, .site-header, .site-footer, #navigation"
)
# An element inside one of these is the content's own (an article's footer), not the site's.
SECTIONS = frozenset({"article", "aside", "main", "section"})
CONTAINERS = frozenset({"modgov", "content"})
# A link that leaves the page's own site: an absolute http(s) URL, or one relative to the scheme only.
_ABSOLUTE = re.compile(r"(?i)(?:https?:)?//")
# Never read for words: scripts and styles.
UNREAD = "script, style, noscript, template"


def parse_profile_page(content: bytes, page_url: str) -> list[tuple[Handle, str]]:
    """The accounts a councillor's profile page links to or names, with their roles, in page order,
    deduplicated: none that the site's furniture links to."""
    page = tree(content)
    furniture = [node for node in page.css(FURNITURE) if not _in_section(node)]
    leaving = [href for node in furniture for href in _leaving(node)]  # read before the furniture goes
    for node in furniture:
        node.decompose()
    area = next((found for sel in CONTENT_SELECTORS if (found := page.css_first(sel))), page.root)
    found = links_in(area, page_url)
    if not found or not leaving:
        return found
    the_sites = {handle.key for handle in _accounts(leaving, page_url)}
    return [(handle, role) for handle, role in found if handle.key not in the_sites]


def _leaving(node: LexborNode) -> list[str]:
    """The links of an element that leave the page's site (absolute ones), as written."""
    return [href for link in node.css("a[href]") if (href := _absolute(link))]


def _absolute(link: LexborNode) -> str | None:
    """A link's target if it may leave the page's site (a relative link is the site's own page;
    mailto: and the like are no account)."""
    href = (link.attributes.get("href") or "").strip()
    return href if _ABSOLUTE.match(href) else None


def _accounts(hrefs: list[str], page_url: str) -> list[Handle]:
    """The accounts that links (absolute, as written) point at, on sites other than the page's."""
    own_site = _site(page_url)
    accounts = []
    for href in hrefs:
        url = urljoin(page_url, href)
        if _site(url) == own_site:
            continue
        try:
            accounts.append(normalise(url))
        except NotAnAccount:
            continue
    return accounts


def links_in(area: LexborNode, page_url: str) -> list[tuple[Handle, str]]:
    """The accounts an element links to or names in its text (not its own site's pages), each with the role its words give."""
    own_site = _site(page_url)
    found: dict[str, tuple[Handle, str]] = {}
    for link in area.css("a[href]"):
        if (href := _absolute(link)) is None:
            continue
        for handle in _accounts([href], page_url):
            found.setdefault(handle.key, (handle, role_from_label(_label(link))))
    for handle in find_handles(_words(area)):
        if handle.platform == "web" and _site(handle.url) == own_site:
            continue
        found.setdefault(handle.key, (handle, "councillor"))
    return list(found.values())


def _words(area: LexborNode) -> str:
    """The element's text, its scripts and styles left out."""
    if area.css_first(UNREAD) is None:
        return area.text(separator=" ")
    copy = area.clone()
    for node in copy.css(UNREAD):
        node.decompose()
    return copy.text(separator=" ")


def _label(link: LexborNode) -> str:
    """The words that describe a link: its text, title and aria-label, and the text just before it."""
    attributes = link.attributes
    words = [link.text(separator=" "), attributes.get("title") or "", attributes.get("aria-label") or ""]
    before = link.prev
    if before is not None and before.is_text_node:
        words.append((before.text_content or "")[-80:])
    return " ".join(words)


def _in_section(node: LexborNode) -> bool:
    """Whether an element sits inside the content's own sectioning (or the content container)."""
    parent = node.parent
    while parent is not None:
        if parent.tag in SECTIONS or parent.attributes.get("id") in CONTAINERS:
            return True
        parent = parent.parent
    return False


def _site(url: str) -> str:
    """The registrable domain of a URL: links within it are the council's own."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:  # an unclosed IPv6 host: no site
        return ""
    return _domain(host)


@lru_cache(maxsize=4096)
def _domain(host: str) -> str:
    return registrable_domain(host)
