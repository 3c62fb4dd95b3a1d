"""CMIS: councillors listed as person blocks on one page, each linking to a profile page.

The list page (often ``Councillors.aspx``) holds a ``div.PE_People_PersonBlock`` per
member: the first link goes to the profile page, whose URL carries the member's id as
``/id/<n>/``; ``div.NameLink`` holds the name; the ward or division follows a label
("Ward:", "Division:", "Electoral Division:", "Constituency:" (Hull), "DEA:" or "DEA -"
(Northern Ireland), "Multi-member Ward:", "Ward No. 4 - Coldside", ...: all that
``cllr.names.split_area_label`` knows, in any case), either in the same text or in an
element of its own, colon or not, with the ward in the next text; the party is the last
image's title (or alt) with " (logo)" removed. Vacancies are dropped. Parsing is a pure
function of the bytes.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from cllr.names import clean_name, is_vacancy, split_area_label, tidy

from .html import web_url
from .records import Roster, ScrapedCouncillor, SourceError, Vacancy

BLOCK_CLASS = "PE_People_PersonBlock"
_ID = re.compile(r"/id/(\d+)(?:/|$)", re.IGNORECASE)


def parse_person_blocks(content: bytes, page_url: str) -> Roster:
    """Parse a CMIS councillors page. A page with no person blocks is a :class:`SourceError`."""
    soup = BeautifulSoup(content, "html.parser")
    blocks = soup.find_all("div", class_=BLOCK_CLASS)
    if not blocks:
        raise SourceError("not a CMIS councillors page: no person blocks")
    councillors: list[ScrapedCouncillor] = []
    vacancies: list[str] = []
    seen: set[str] = set()
    for block in blocks:
        councillor = _councillor(block, page_url)
        if isinstance(councillor, Vacancy):
            vacancies.append(councillor.ward)
        elif councillor is not None and councillor.source_id not in seen:
            seen.add(councillor.source_id)
            councillors.append(councillor)
    wards = sorted({c.ward for c in councillors} | {w for w in vacancies if w})
    return Roster(councillors=councillors, wards=wards, vacancies=vacancies)


def _councillor(block: Tag, page_url: str) -> ScrapedCouncillor | Vacancy | None:
    name_tag = block.find("div", class_="NameLink")
    raw_name = tidy(name_tag.get_text(" ")) if name_tag else ""
    if raw_name and is_vacancy(raw_name):
        return Vacancy(_after_label(block))
    if not raw_name:
        return None
    if "<" in raw_name or ">" in raw_name:  # a tag the parser could not read spilled into the name
        raise SourceError(f"CMIS person block holds broken markup in its name: {raw_name[:60]!r}")
    link = block.find("a", href=True)
    match = _ID.search(link["href"]) if link else None
    profile = web_url(link["href"], page_url) if match else None
    if not profile:
        raise SourceError(f"CMIS person block for {raw_name!r} has no profile link with an id")
    ward = _after_label(block)
    if not ward:
        raise SourceError(f"CMIS person block for {raw_name!r} names no ward or division")
    return ScrapedCouncillor(
        source_id=match.group(1),
        name=clean_name(raw_name),
        raw_name=raw_name,
        ward=ward,
        party=_party(block),
        profile_url=profile,
        photo_url=_photo(block, page_url),
    )


def _after_label(block: Tag) -> str:
    """The ward or division named after the first area label in the block, outside the name.

    The label may share its text with the ward ("Ward: Castle") or stand in an element
    of its own ("<span>Division</span><span>Castle</span>"); then the block's next text
    that is not itself a bare label is the ward. Text past the block is never read.
    """
    texts = [
        text
        for string in block.find_all(string=True)
        if type(string) is NavigableString  # not comments, scripts or styles
        and not string.find_parent("div", class_="NameLink")
        and (text := tidy(string))
    ]
    for index, text in enumerate(texts):
        rest = split_area_label(text)
        if rest is None:
            continue
        if rest:
            return rest
        for following in texts[index + 1 :]:
            value = split_area_label(following)
            if value is None:
                return following
            if value:
                return value
        return ""
    return ""


def _party(block: Tag) -> str:
    images = block.find_all("img")
    if not images:
        return ""
    last = images[-1]
    label = last.get("title") or last.get("alt") or ""
    return tidy(re.sub(r"\(\s*logo\s*\)", "", label, flags=re.IGNORECASE))


def _photo(block: Tag, page_url: str) -> str | None:
    images = block.find_all("img")
    if len(images) < 2:  # the only image is the party logo
        return None
    return web_url(images[0].get("src"), page_url)
