"""ModernGov: the CMS of most UK councils, read through its XML web service.

The roster is one request, ``<base>/mgWebService.asmx/GetCouncillorsByWard``; each
councillor's profile page is ``<base>/mgUserInfo.aspx?UID=<id>``. Where a council has
switched the web service off, the HTML member index listed by ward
(``mgMemberIndex.aspx?FN=WARD&VW=LIST``) is read instead. Parsing is a pure
function of the response bytes. Only names, wards, parties, ids, photos, terms and the
published e-mail address are read: postal addresses and phone numbers never are.

Ward titles may carry a label ("Electoral Division: Foo", "DEA: Lisburn North", "Ward
No. 4 - Coldside", Welsh "Adran Etholiadol: Foo" on the Welsh-language endpoint), which
``cllr.names.area_name`` removes. ``districttitle`` is not the ward: most councils fill
it with the district of the councillor's own address (Barking, Staffordshire's
parishes), so it is never read.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, ParseError

from bs4 import BeautifulSoup, Tag
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from cllr.names import area_name, clean_name, is_vacancy, split_area_label, tidy, ward_key

from .records import Roster, ScrapedCouncillor, SourceError, Vacancy

ROSTER_PATH = "mgWebService.asmx/GetCouncillorsByWard"
MEMBER_INDEX_PATH = "mgMemberIndex.aspx?FN=WARD&VW=LIST&PIC=0"
_NOT_ROSTER = "the XML is not a roster"
_UID = re.compile(r"mgUserInfo\.aspx\?(?:[^#]*&)?UID=(\d+)", re.IGNORECASE)


def roster_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/{ROSTER_PATH}"


def member_index_url(base_url: str) -> str:
    """The HTML member index by ward: the fallback when the web service is switched off."""
    return f"{base_url.rstrip('/')}/{MEMBER_INDEX_PATH}"


def profile_url(base_url: str, councillor_id: str) -> str:
    return f"{base_url.rstrip('/')}/mgUserInfo.aspx?UID={councillor_id}"


def parse_councillors_by_ward(content: bytes, base_url: str | None = None) -> Roster:
    """Parse a ``GetCouncillorsByWard`` response into a roster.

    Vacant seats are counted (``Roster.vacancies``), not listed as councillors. Raises :class:`SourceError` when the bytes are not a
    ModernGov roster at all (an HTML error page or a redirect stub served with status
    200), so that such a response can never be mistaken for a council with no members.
    A well-formed roster with no councillors parses to an empty roster; judging whether
    that is plausible is the caller's job.
    """
    root = _parse_xml(content)
    if root.tag != "councillorsbyward":
        raise SourceError(
            f"not a ModernGov roster: the document is <{root.tag}>, not <councillorsbyward> ({_looks_like(content)})"
        )
    councillors: list[ScrapedCouncillor] = []
    wards: list[str] = []
    vacancies: list[str] = []
    seen: set[str] = set()
    for ward in root.iterfind("wards/ward"):
        ward_name = area_name(_text(ward, "wardtitle"))
        wards.append(ward_name)
        for element in ward.iterfind("councillors/councillor"):
            if is_vacancy(_text(element, "fullusername")):
                vacancies.append(ward_name)
                continue
            councillor = _councillor(element, ward_name, base_url)
            if councillor is None or councillor.source_id in seen:
                continue
            seen.add(councillor.source_id)
            councillors.append(councillor)
    return Roster(councillors=councillors, wards=wards, vacancies=vacancies)


def _councillor(element: Element, ward: str, base_url: str | None) -> ScrapedCouncillor | None:
    raw_name = _text(element, "fullusername")
    source_id = _text(element, "councillorid")
    if not raw_name or is_vacancy(raw_name):
        return None
    if not source_id:
        raise SourceError(f"councillor {raw_name!r} in ward {ward!r} has no councillorid")
    terms = element.findall("termsofoffice/termofoffice")
    last = terms[-1] if terms else None
    notes = tuple(text for line in element.iterfind("surgerydetails/*") if (text := tidy(line.text)))
    return ScrapedCouncillor(
        source_id=source_id,
        name=clean_name(raw_name),
        raw_name=tidy(raw_name),
        ward=ward,
        party=_text(element, "politicalpartytitle"),
        # The published contact address: the work block's, else the contact block's.
        email=_text(element, "workaddress/email") or _text(element, "homeaddress/email") or None,
        profile_url=profile_url(base_url, source_id) if base_url else None,
        photo_url=_text(element, "photobigurl") or None,
        term_start=_date(last, "startdate"),
        term_ends=_date(last, "enddate"),
        key_posts=key_posts(element.findtext("keyposts") or "") if element.find("keyposts") is not None else None,
        notes=notes,
    )


def key_posts(text: str) -> tuple[str, ...]:
    """The key posts of a ``<keyposts>`` element: one post a line where the council writes one a
    line, else the text as one (a comma is as often inside a post's name as between posts)."""
    return tuple(dict.fromkeys(post for line in text.splitlines() if (post := tidy(line))))


def parse_member_index(content: bytes, page_url: str) -> Roster:
    """Parse ``mgMemberIndex.aspx?FN=WARD&VW=LIST``: a ``h2.mgSectionTitle`` per ward, then a list item per member.

    Each item links to ``mgUserInfo.aspx?UID=<id>`` with the member's name; the item's
    other paragraphs hold the party (and, in some templates, the ward again, plain or
    labelled: "Ward: Foo", "Division: Foo", "DEA: Foo"). Headings lose their labels too.
    A page with no member links is a :class:`SourceError`; so is a member under no ward
    heading whose item names no labelled ward either (the index was not listed by ward).
    Vacancies are counted, under their ward heading.
    """
    soup = BeautifulSoup(content, "html.parser")
    area = soup.select_one(".mgContent") or soup
    if area.find("a", href=_UID) is None:
        raise SourceError("not a ModernGov member index: no links to mgUserInfo.aspx")
    councillors: list[ScrapedCouncillor] = []
    wards: list[str] = []
    vacancies: list[str] = []
    seen: set[str] = set()
    ward = ""
    for tag in area.find_all(["h2", "li"]):
        if tag.name == "h2":
            ward = area_name(tag.get_text(" "))
            wards.append(ward)
            continue
        councillor = _index_item(tag, ward, page_url)
        if isinstance(councillor, Vacancy):
            vacancies.append(councillor.ward)
        elif councillor is not None and councillor.source_id not in seen:
            seen.add(councillor.source_id)
            councillors.append(councillor)
    wards += [w for w in dict.fromkeys(c.ward for c in councillors) if w not in wards]  # named only in items
    return Roster(councillors=councillors, wards=[w for w in wards if w], vacancies=vacancies)


def _index_item(item: Tag, ward: str, page_url: str) -> ScrapedCouncillor | Vacancy | None:
    links = [a for a in item.find_all("a", href=_UID) if tidy(a.get_text(" "))]
    if not links:
        return None  # a list item that is not a member (menus, pictures only)
    raw_name = tidy(links[0].get_text(" "))
    if is_vacancy(raw_name):
        return Vacancy(ward)
    others = [text for p in item.find_all("p") if not p.find("a", href=_UID) and (text := tidy(p.get_text(" ")))]
    labelled = [rest for text in others if (rest := split_area_label(text))]
    ward = ward or next(iter(labelled), "")
    if not ward:
        raise SourceError(f"member index lists {raw_name!r} under no ward heading: not listed by ward (FN=WARD)")
    party = next((text for text in others if split_area_label(text) is None and ward_key(text) != ward_key(ward)), "")
    image = item.find("img", src=True)
    return ScrapedCouncillor(
        source_id=_UID.search(links[0]["href"]).group(1),
        name=clean_name(raw_name),
        raw_name=raw_name,
        ward=ward,
        party=party,
        profile_url=urljoin(page_url, links[0]["href"]),
        photo_url=urljoin(page_url, image["src"].replace("smallpic", "bigpic")) if image else None,
    )


def _parse_xml(content: bytes) -> Element:
    if not content.strip():
        raise SourceError("not a ModernGov roster: the response is empty")
    try:
        return fromstring(content, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        reason = _looks_like(content)
        if reason == _NOT_ROSTER:
            reason = f"the response is not well-formed XML ({exc})"
        raise SourceError(f"not a ModernGov roster: {reason}") from None


def _looks_like(content: bytes) -> str:
    head = content[:2048].lower()
    if b"<html" in head or b"<!doctype html" in head:
        return "an HTML page was served instead"
    if b"<script" in head:
        return "a script (redirect stub) was served instead"
    return _NOT_ROSTER


def _text(element: Element, path: str) -> str:
    return tidy(element.findtext(path))


def _date(term: Element | None, tag: str) -> date | None:
    if term is None:
        return None
    value = _text(term, tag)
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        return None  # "unspecified", blank or malformed
