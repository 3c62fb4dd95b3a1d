"""The selector-driven HTML family: a council's roster page read with configured CSS selectors.

Many councils publish their councillors on an ordinary CMS page (Jadu, Drupal, Umbraco,
hand-written tables). Rather than code per council, a council's configuration row names
CSS selectors: ``councillor`` picks each councillor's element (inside ``container``, when
given, which must match exactly one element), and *field specs* pick the name, ward and
other fields inside it. A field spec is ``"<selector>"`` (the first match's text),
``"<selector>@<attribute>"`` (that attribute of the first match) or ``"@<attribute>"``
(an attribute of the councillor element itself).

Only the configured fields are read, so phone numbers and home addresses on a page are
never stored; the element's whole text goes to ``notes`` (mined for handles, never
stored). A paged directory is read page by page with :func:`next_page_url`, which never
leaves the site, and the pages joined with :func:`merge_pages`. Parsing is a pure
function of the bytes.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from dataclasses import dataclass, replace
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import soupsieve
from bs4 import BeautifulSoup, Tag
from bs4.exceptions import ParserRejectedMarkup

from cllr.names import clean_name, is_vacancy, tidy

from .fields import Field, config_values, missing, read_field
from .markup import decoded
from .records import Roster, ScrapedCouncillor, SourceError

# "<selector>@<attribute>": the attribute is the bare name after the last "@", so an "@"
# inside an attribute selector ("a[href*='@']@href") stays part of the selector.
_FIELD = re.compile(r"^(?P<selector>.*)@(?P<attribute>[A-Za-z_:][-\w:.]*)$", re.DOTALL)
_EMAIL = re.compile(r"[\w.+'%-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)
_LABEL_PUNCTUATION = " :\u2013\u2014-"


# ---------------------------------------------------------------------------
# Shared helpers (also used by the JSON family)


def web_url(value: str | None, base: str) -> str | None:
    """``value`` resolved against ``base``, if it is an http(s) URL with a host; else None."""
    value = tidy(value)
    if not value:
        return None
    try:
        url = urljoin(base, value)
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[::1" — an unclosed IPv6 host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def photo_url(value: str | None, base: str) -> str | None:
    """Like :func:`web_url`, without any fragment (Joomla appends ``#joomlaImage://…``)."""
    url = web_url(value, base)
    return urldefrag(url).url if url else None


def email_address(value: str | None) -> str | None:
    """An e-mail address from a ``mailto:`` link or text, or None if it does not look like one."""
    value = tidy(value)
    if value[:7].lower() == "mailto:":
        value = value[7:]
    value = tidy(unquote(value.split("?", 1)[0]))
    return value if _EMAIL.fullmatch(value) else None


# ---------------------------------------------------------------------------
# Configuration


def _check_selector(key: str, selector: str) -> None:
    try:
        soupsieve.compile(selector)
    except soupsieve.SelectorSyntaxError as exc:
        reason = str(exc).splitlines()[0]
        raise ValueError(f"html config: {key!r} is not a valid CSS selector ({selector!r}): {reason}") from None


def _split_spec(spec: str) -> tuple[str, str | None]:
    """A field spec as (selector, attribute); an empty selector means the element itself."""
    match = _FIELD.match(spec)
    if match:
        return match.group("selector").strip(), match.group("attribute")
    return spec.strip(), None


def _check_spec(key: str, spec: str, *, needs_selector: bool = False) -> None:
    if not spec.strip():
        raise ValueError(f"html config: {key!r} is empty")
    selector, attribute = _split_spec(spec)
    if attribute is None and selector.endswith("@"):
        raise ValueError(f"html config: {key!r} ends with '@' but names no attribute ({spec!r})")
    if needs_selector and not selector:
        raise ValueError(f"html config: {key!r} needs a CSS selector before '@' ({spec!r})")
    if selector:
        _check_selector(key, selector)


def _as_field(key: str, value) -> Field | None:
    """A field given as a string or mapping (direct construction), as a checked :class:`Field`."""
    if value is None:
        return None
    field = value if isinstance(value, Field) else read_field("html", key, value)
    _check_spec(key, field.place)
    return field


FIELD_KEYS = ("name", "ward", "party", "profile", "email", "photo", "identifier", "ward_heading")
DETAIL_KEYS = ("name", "ward", "party", "email", "photo")


@dataclass(frozen=True)
class HtmlConfig:
    """How to read one council's roster. Construct with :meth:`from_mapping`.

    Fields (``name``, ``ward``...) are :class:`~scrapers.fields.Field`: a field spec and
    the transforms of its text. ``detail`` holds fields read from each councillor's own
    page (its ``profile`` link); ``ward_heading`` gives the ward from the nearest heading
    above a councillor; ``ward_pages`` names links to one page per ward, each read as a roster page.
    """

    councillor: str  # CSS selector of one councillor's element
    name: Field | None = None  # required unless the detail page gives it
    ward: Field | None = None  # required unless a heading, the ward pages or the detail page gives it
    container: str | None = None  # CSS selector that must match exactly one element
    party: Field | None = None
    profile: Field | None = None  # the profile URL, usually "a@href"
    email: Field | None = None  # e.g. "a[href^='mailto:']@href"
    photo: Field | None = None  # e.g. "img@src"
    identifier: Field | None = None  # the council's own id (default: from the profile URL)
    id_pattern: str | None = None  # regex with one group, applied to the identifier (or the profile URL)
    ward_label: str | None = None  # a label to strip from the ward text, e.g. "Ward:"
    party_label: str | None = None  # likewise, e.g. "Party:"
    next_page: str | None = None  # field spec of the next page's link, e.g. "a[rel=next]@href"
    ward_heading: Field | None = None  # the ward: the nearest element before the councillor matching this
    ward_pages: str | None = None  # field spec of the links to one page per ward, e.g. "ul.wards a@href"
    detail: dict | None = None  # field name → Field, read from each councillor's own page

    def __post_init__(self) -> None:
        for key in FIELD_KEYS:
            object.__setattr__(self, key, _as_field(key, getattr(self, key)))
        for key in ("councillor", "container", "id_pattern", "ward_label", "party_label", "next_page", "ward_pages"):
            value = getattr(self, key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"html config: {key!r} must be a string, not {type(value).__name__}")
            if value is not None and not value.strip() and key not in ("ward_label", "party_label"):
                raise ValueError(f"html config: {key!r} is empty")
        object.__setattr__(self, "detail", self._detail())
        detail = self.detail or {}
        needed = [k for k in ("name", "ward") if getattr(self, k) is None and k not in detail]
        if "ward" in needed and (self.ward_heading is not None or self.ward_pages is not None):
            needed.remove("ward")
        if needed:
            raise missing("html", needed)
        for key in ("councillor", "container"):
            if getattr(self, key) is not None:
                _check_selector(key, getattr(self, key))
        for key in ("next_page", "ward_pages"):
            if getattr(self, key) is not None:
                _check_spec(key, getattr(self, key), needs_selector=True)
        if detail and self.profile is None:
            raise ValueError("html config: 'detail' needs 'profile', the link to each councillor's page")
        if self.id_pattern is not None:
            try:
                groups = re.compile(self.id_pattern).groups
            except re.error as exc:
                raise ValueError(
                    f"html config: 'id_pattern' is not a valid regex ({self.id_pattern!r}): {exc}"
                ) from None
            if groups != 1:
                raise ValueError(f"html config: 'id_pattern' must have exactly one group, not {groups}")
            if self.profile is None and self.identifier is None:
                raise ValueError("html config: 'id_pattern' needs 'profile' or 'identifier' to apply to")

    def _detail(self) -> dict | None:
        if self.detail is None:
            return None
        if not isinstance(self.detail, dict) or not self.detail:
            raise ValueError("html config: 'detail' must be a mapping of fields read from each councillor's page")
        unknown = sorted(str(k) for k in self.detail if k not in DETAIL_KEYS)
        if unknown:
            raise ValueError(f"html config: 'detail' has unknown key(s) {', '.join(repr(k) for k in unknown)}")
        return {key: _as_field(f"detail.{key}", value) for key, value in self.detail.items() if value is not None}

    @classmethod
    def from_mapping(cls, mapping: dict) -> HtmlConfig:
        """Validate a council's configuration row. Raises ``ValueError`` on bad configuration."""
        values = config_values(cls, mapping, "html", field_keys=FIELD_KEYS, mappings=("detail",))
        detail = values.get("detail") or {}
        needed = [key for key in ("councillor", "name") if key not in values and key not in detail]
        if not ({"ward", "ward_heading", "ward_pages"} & set(values) or "ward" in detail):
            needed.append("ward")
        if needed:
            raise missing("html", needed)
        return cls(**values)


# ---------------------------------------------------------------------------
# Parsing


def select_field(element: Tag, spec: str) -> str:
    """The value a field spec picks inside ``element``, whitespace-tidied; "" if nothing."""
    selector, attribute = _split_spec(spec)
    target = soupsieve.select_one(selector, element) if selector else element
    if target is None:
        return ""
    if attribute is None:
        return tidy(target.get_text(" "))
    value = target.get(attribute)
    if isinstance(value, list):  # multi-valued attributes (class, rel)
        value = " ".join(value)
    return tidy(value)


# The page this thread parsed last, while its next link is still to be read (``_pages`` asks for it
# at once): a roster page is parsed once, not again for the link.
_for_next = threading.local()


def _soup(content: bytes) -> BeautifulSoup:
    try:
        return BeautifulSoup(decoded(content), "html.parser")
    except ParserRejectedMarkup as exc:
        raise SourceError(f"unparseable HTML: {tidy(str(exc))[:200]}") from None


def read(element: Tag, field: Field | None) -> str:
    """A configured field's value inside ``element``: its spec's text through its transforms; "" if not configured."""
    return field.value(select_field(element, field.place)) if field is not None else ""


def parse_html_roster(content: bytes, page_url: str, config: HtmlConfig, ward: str | None = None) -> Roster:
    """Parse one roster page with ``config``; ``ward``: the page's ward, when it is one of the ward pages.

    Raises :class:`SourceError` when the page is not the roster the configuration
    describes (no councillor elements, unless the container is there and wholly empty,
    which parses to zero councillors for the merge to quarantine; a container matching other than one element, a
    councillor without a ward or an identifier), so that a changed site design can never
    be mistaken for a council with no members. Vacancies and repeated councillors are dropped.
    With ``detail`` configured, what the councillors' own pages give is still to be read
    (:func:`parse_detail_page`): a name or ward missing here is not yet an error.
    """
    soup = _soup(content)
    try:
        scope: Tag = soup
        if config.container is not None:
            matches = soupsieve.select(config.container, soup)
            if len(matches) != 1:
                raise SourceError(f"container selector {config.container!r} matched {len(matches)} elements")
            scope = matches[0]
        elements = soupsieve.select(config.councillor, scope)
        if not elements and config.container is not None and not tidy(scope.get_text()) and not scope.find(True):
            return Roster(councillors=[], wards=[])  # the list is there and empty: judged by the merge (quarantine)
        if not elements:
            raise SourceError(f"no councillors matched {config.councillor!r}")
        headings = _headings(soup, elements, config.ward_heading)
        detail = config.detail or {}
        councillors: list[ScrapedCouncillor] = []
        vacancies: list[str] = []
        seen: set[str] = set()
        named = 0
        for element in elements:
            raw_name = read(element, config.name)
            if not raw_name and not ("name" in detail and read(element, config.profile)):
                continue
            named += 1
            if raw_name and is_vacancy(raw_name):
                vacancies.append(_vacancy_ward(element, config, headings.get(id(element)) or ward))
                continue
            councillor = _councillor(element, raw_name, page_url, config, headings.get(id(element)) or ward)
            if councillor.source_id not in seen:
                seen.add(councillor.source_id)
                councillors.append(councillor)
    except RecursionError:
        raise SourceError("HTML nested too deeply to read") from None
    if not named:
        where = config.name.place if config.name else config.profile.place
        raise SourceError(f"{len(elements)} elements matched {config.councillor!r} but none had a name at {where!r}")
    wards = sorted({c.ward for c in councillors if c.ward} | {w for w in vacancies if w})
    _for_next.page = (content, soup) if config.next_page is not None else None  # kept for its next link alone
    return Roster(councillors=councillors, wards=wards, vacancies=vacancies)


def _vacancy_ward(element: Tag, config: HtmlConfig, ward: str | None) -> str:
    """The ward of a vacant seat, as far as the list gives it ("" when only its own page would)."""
    if config.ward is not None:
        return _unlabel(read(element, config.ward), config.ward_label) or (ward or "")
    return ward or ""


def _headings(soup: BeautifulSoup, elements: list[Tag], heading: Field | None) -> dict[int, str]:
    """Each councillor element's ward from the nearest element matching ``heading`` before it, in document order."""
    if heading is None:
        return {}
    order = {id(tag): index for index, tag in enumerate(soup.find_all(True))}
    found = sorted((order[id(h)], heading.value(tidy(h.get_text(" ")))) for h in soupsieve.select(heading.place, soup))
    positions = [position for position, _ in found]
    wards = {}
    for element in elements:
        before = bisect_left(positions, order[id(element)])
        wards[id(element)] = found[before - 1][1] if before else ""
    return wards


def _councillor(element: Tag, raw_name: str, page_url: str, config: HtmlConfig, ward: str | None) -> ScrapedCouncillor:
    detail = config.detail or {}
    label = raw_name or read(element, config.profile)
    if config.ward is not None:
        ward = _unlabel(read(element, config.ward), config.ward_label)
    ward = ward or ""
    if not ward and "ward" not in detail:
        where = (
            config.ward.place
            if config.ward
            else (config.ward_heading.place if config.ward_heading else "its ward page")
        )
        raise SourceError(f"councillor {label!r} has no ward at {where!r}")
    profile = web_url(read(element, config.profile), page_url) if config.profile else None
    if detail and profile is None:
        raise SourceError(f"councillor {label!r} has no link to their own page at {config.profile.place!r}")
    source_id = _source_id(element, profile, config)
    if not source_id:
        raise SourceError(f"councillor {label!r} has no identifier")
    return ScrapedCouncillor(
        source_id=source_id,
        name=clean_name(raw_name) if raw_name else "",
        raw_name=raw_name,
        ward=ward,
        party=_unlabel(read(element, config.party), config.party_label) if config.party else "",
        email=email_address(read(element, config.email)) if config.email else None,
        profile_url=profile,
        photo_url=photo_url(read(element, config.photo), page_url) if config.photo else None,
        notes=(tidy(element.get_text(" ")),),
    )


def _source_id(element: Tag, profile: str | None, config: HtmlConfig) -> str:
    source = read(element, config.identifier) if config.identifier else profile
    if not source:
        return ""
    if config.id_pattern:
        match = re.search(config.id_pattern, source)
        return tidy(match.group(1)) if match and match.group(1) else ""
    if config.identifier:
        return source
    parts = urlsplit(source)
    path = parts.path.rstrip("/")
    # A profile page chosen by its query ("member.asp?id=7") keeps the query, or every
    # councillor would share one id.
    return f"{path}?{parts.query}" if parts.query else path


def parse_detail_page(content: bytes, page_url: str, config: HtmlConfig, councillor: ScrapedCouncillor):
    """``councillor`` completed from their own page with the ``detail`` fields: what the page gives wins.

    Returns None when the page shows a vacancy. Raises :class:`SourceError` when the
    councillor is still without a name or a ward, so that a changed page never passes as a
    councillor with no ward.
    """
    soup = _soup(content)
    try:
        found = {key: read(soup, field) for key, field in (config.detail or {}).items()}
    except RecursionError:
        raise SourceError("HTML nested too deeply to read") from None
    changes: dict = {}
    if found.get("name"):
        if is_vacancy(found["name"]):
            return None
        changes |= {"name": clean_name(found["name"]), "raw_name": found["name"]}
    if found.get("ward"):
        changes["ward"] = _unlabel(found["ward"], config.ward_label)
    if found.get("party"):
        changes["party"] = _unlabel(found["party"], config.party_label)
    if found.get("email") and (email := email_address(found["email"])):
        changes["email"] = email
    if found.get("photo") and (photo := photo_url(found["photo"], page_url)):
        changes["photo_url"] = photo
    completed = replace(councillor, **changes)
    if not completed.name:
        raise SourceError(f"the page of councillor {councillor.source_id!r} has no name at {_place(config, 'name')!r}")
    if not completed.ward:
        raise SourceError(f"the page of {completed.raw_name!r} has no ward at {_place(config, 'ward')!r}")
    return completed


def _place(config: HtmlConfig, key: str) -> str:
    field = (config.detail or {}).get(key) or getattr(config, key)
    return field.place if field is not None else "(not configured)"


def ward_page_links(content: bytes, page_url: str, config: HtmlConfig) -> list[tuple[str, str]]:
    """The ward pages linked from the roster page: (URL, the link's text as the ward), in page order, once each.

    A link to another host is a :class:`SourceError`, as for a next page; no links at all is one too.
    """
    if config.ward_pages is None:
        return []
    selector, attribute = _split_spec(config.ward_pages)
    try:
        links = soupsieve.select(selector, _soup(content))
    except RecursionError:
        raise SourceError("HTML nested too deeply to read") from None
    found: dict[str, str] = {}
    for link in links:
        url = web_url(select_field(link, f"@{attribute or 'href'}"), page_url)
        if url is None:
            continue
        if (urlsplit(url).hostname or "") != (urlsplit(page_url).hostname or ""):
            raise SourceError(f"a ward page link leaves the site: {url[:200]}")
        found.setdefault(urldefrag(url).url, tidy(link.get_text(" ")))
    if not found:
        raise SourceError(f"no ward pages linked at {config.ward_pages!r}")
    return list(found.items())


def _unlabel(text: str, label: str | None) -> str:
    """``text`` without a leading ``label`` (case-insensitive) and the punctuation after it."""
    label = tidy(label)
    if label and text[: len(label)].casefold() == label.casefold():
        text = text[len(label) :].lstrip(_LABEL_PUNCTUATION)
    return tidy(text)


def next_page_url(content: bytes, page_url: str, config: HtmlConfig) -> str | None:
    """The absolute URL of the page after this one, or None on the last page.

    None, too, when ``next_page`` is not configured, when the link is empty, ``#``, or
    not http(s), or when it points back at this page. A link to another host is a
    :class:`SourceError`: a hostile page must not steer the crawl off the council's site.
    """
    if config.next_page is None:
        return None
    selector, attribute = _split_spec(config.next_page)
    kept, _for_next.page = getattr(_for_next, "page", None), None
    try:
        link = soupsieve.select_one(selector, kept[1] if kept and kept[0] is content else _soup(content))
    except RecursionError:
        raise SourceError("HTML nested too deeply to read") from None
    if link is None:
        return None
    value = select_field(link, f"@{attribute}") if attribute else tidy(link.get_text(" "))
    if not value or value.startswith("#"):
        return None
    url = web_url(value, page_url)
    if url is None:
        return None
    if (urlsplit(url).hostname or "") != (urlsplit(page_url).hostname or ""):
        raise SourceError(f"next page link leaves the site: {url[:200]}")
    if urldefrag(url).url == urldefrag(page_url).url:
        return None
    return url


def merge_pages(pages: list[Roster]) -> Roster:
    """The pages' councillors in page order, repeats dropped (the first wins); wards sorted."""
    if not pages:
        raise ValueError("merge_pages needs at least one page")
    councillors: list[ScrapedCouncillor] = []
    seen: set[str] = set()
    for page in pages:
        for councillor in page.councillors:
            if councillor.source_id not in seen:
                seen.add(councillor.source_id)
                councillors.append(councillor)
    vacancies = [ward for page in pages for ward in page.vacancies]
    wards = sorted({c.ward for c in councillors} | {w for w in vacancies if w})
    return Roster(councillors=councillors, wards=wards, source_url=pages[0].source_url, vacancies=vacancies)
