"""The pages a council's roster is read from: its first page and those after it, the ward pages it
links to, and each councillor's own page or detail record where the council's entry reads
them; fetched through a function given to it (the HTTP layer in a run, fixture files in the
tests) and parsed by the family's pure parsers (``scrapers/families.py``).

A roster read from one page is fetched conditionally: a 304 means nothing to do
(:class:`NotModified`). A paged one, one split into ward pages, or one completed from each
councillor's page is read in full, since any of its pages may have changed. The
councillors' own pages read on the way are handed back, so that the accounts they link
to are found without asking for them again (``profiles.discover_accounts``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from scrapers.families import MAX_PAGES, Family, merge_pages
from scrapers.records import Roster, SourceError


class Page(Protocol):
    url: str  # where it was read, after redirects
    content: bytes

    @property
    def not_modified(self) -> bool: ...


# (URL, Accept, conditional) → the page; raises FetchError (the HTTP layer's) when it cannot be read.
Fetch = Callable[[str, str, bool], Page]


class NotModified(Exception):
    """The one-page roster answered 304: nothing to parse or apply."""


@dataclass
class Read:
    roster: Roster
    # Councillors' own pages read for their details: page URL → (body, URL read after redirects).
    own_pages: dict[str, tuple[bytes, str]] = field(default_factory=dict)


def read_roster(family: Family, config: Any, url: str, base: str, fetch: Fetch) -> Read:
    """Fetch and parse a council's roster from ``url`` with its family and configuration."""
    paged = family.next_page is not None and bool(getattr(config, "next_page", None))
    by_ward = family.ward_pages is not None and bool(getattr(config, "ward_pages", None))
    details = family.details if family.details is not None and family.details.wanted(config) else None
    first = fetch(url, family.accept, not (paged or by_ward or details))
    if first.not_modified:
        raise NotModified
    if by_ward:
        roster = _ward_pages(family, config, first, fetch)
    else:
        roster = _pages(family, config, base, first, fetch, paged)
    if details is None:
        return Read(roster)
    return _completed(family, config, roster, first.url, fetch)


def _pages(family: Family, config: Any, base: str, page: Page, fetch: Fetch, paged: bool) -> Roster:
    """The first page and, for a paged directory, the pages its next links lead to (same site, at most MAX_PAGES)."""
    pages: list[Roster] = []
    seen = {page.url}
    while True:
        pages.append(family.parse(page.content, base, page.url, config))
        following = family.next_page(page.content, page.url, config) if paged else None
        if not following or following in seen:
            return merge_pages(pages)
        if len(pages) >= MAX_PAGES:
            raise SourceError(f"more than {MAX_PAGES} pages of councillors: a crawl trap, not a roster")
        seen.add(following)
        page = fetch(following, family.accept, False)


def _ward_pages(family: Family, config: Any, index: Page, fetch: Fetch) -> Roster:
    """Each ward page the index links to, read as a roster page of that ward."""
    links = family.ward_pages(index.content, index.url, config)
    if len(links) > MAX_PAGES * 4:  # 200 wards: more than any council has
        raise SourceError(f"{len(links)} ward pages linked: a crawl trap, not a council's wards")
    rosters = []
    for link, ward in links:
        page = fetch(link, family.accept, False)
        rosters.append(family.parse_ward(page.content, page.url, config, ward))
    return merge_pages(rosters)


def _completed(family: Family, config: Any, roster: Roster, roster_url: str, fetch: Fetch) -> Read:
    """Each councillor completed from their own page or detail record; vacancies there dropped.

    A vacant seat the list places by a ward its own words name ("Ward 7 - Bathgate", from a
    ward page's link) is put in the ward that the councillors listed with it are completed to."""
    details = family.details
    own_pages: dict[str, tuple[bytes, str]] = {}
    councillors = []
    vacancies = list(roster.vacancies)
    completed_wards: dict[str, set[str]] = {}
    for councillor in roster.councillors:
        url = details.url(config, councillor, roster_url)
        if url is None:
            raise SourceError(f"councillor {councillor.raw_name or councillor.source_id!r} has no page to read")
        page = fetch(url, details.accept, False)
        completed = details.parse(page.content, page.url, config, councillor)
        if completed is not None:
            councillors.append(completed)
            completed_wards.setdefault(councillor.ward, set()).add(completed.ward)
        else:  # the seat's own page says it is vacant
            vacancies.append(councillor.ward)
        if details.accept == "text/html":
            own_pages[url] = (page.content, page.url)
    listed = {ward: next(iter(found)) for ward, found in completed_wards.items() if ward and len(found) == 1}
    vacancies = [listed.get(ward, ward) for ward in vacancies]
    wards = sorted({c.ward for c in councillors} | {w for w in vacancies if w})
    return Read(replace(roster, councillors=councillors, wards=wards, vacancies=vacancies), own_pages)
