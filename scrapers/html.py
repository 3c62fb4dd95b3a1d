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
from dataclasses import MISSING, dataclass, fields
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import soupsieve
from bs4 import BeautifulSoup, Tag
from bs4.dammit import EncodingDetector
from bs4.exceptions import ParserRejectedMarkup

from cllr.names import clean_name, is_vacancy, tidy

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


def set_fields(config, family: str):
    """A configuration's fields that are set, as (name, value); each must be a string."""
    for f in fields(config):
        value = getattr(config, f.name)
        if value is None and f.default is None:
            continue
        if not isinstance(value, str):
            raise ValueError(f"{family} config: {f.name!r} must be a string, not {type(value).__name__}")
        yield f.name, value


def config_values(cls, mapping, family: str) -> dict:
    """Check a configuration mapping's keys against dataclass ``cls``; return the kwargs.

    Keys whose value is None count as absent. Raises ``ValueError`` with a one-line message.
    """
    if not isinstance(mapping, dict):
        raise ValueError(f"{family} config must be a mapping, not {type(mapping).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(str(k) for k in mapping if k not in known)
    if unknown:
        raise ValueError(f"{family} config: unknown key(s) {', '.join(repr(k) for k in unknown)}")
    values = {k: v for k, v in mapping.items() if v is not None}
    required = [f.name for f in fields(cls) if f.default is MISSING]
    missing = [k for k in required if k not in values]
    if missing:
        raise ValueError(f"{family} config: missing required key(s) {', '.join(repr(k) for k in missing)}")
    for key, value in values.items():
        if not isinstance(value, str):
            raise ValueError(f"{family} config: {key!r} must be a string, not {type(value).__name__}")
    return values


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
    selector, attribute = _split_spec(spec)
    if attribute is None and selector.endswith("@"):
        raise ValueError(f"html config: {key!r} ends with '@' but names no attribute ({spec!r})")
    if needs_selector and not selector:
        raise ValueError(f"html config: {key!r} needs a CSS selector before '@' ({spec!r})")
    if selector:
        _check_selector(key, selector)


@dataclass(frozen=True)
class HtmlConfig:
    """How to read one council's roster page. Construct with :meth:`from_mapping`."""

    councillor: str  # CSS selector of one councillor's element
    name: str  # field spec
    ward: str  # field spec
    container: str | None = None  # CSS selector that must match exactly one element
    party: str | None = None
    profile: str | None = None  # field spec giving the profile URL, usually "a@href"
    email: str | None = None  # e.g. "a[href^='mailto:']@href"
    photo: str | None = None  # e.g. "img@src"
    identifier: str | None = None  # field spec for the council's own id (default: from the profile URL)
    id_pattern: str | None = None  # regex with one group, applied to the identifier (or the profile URL)
    ward_label: str | None = None  # a label to strip from the ward text, e.g. "Ward:"
    party_label: str | None = None  # likewise, e.g. "Party:"
    next_page: str | None = None  # field spec of the next page's link, e.g. "a[rel=next]@href"

    def __post_init__(self) -> None:
        for name, value in set_fields(self, "html"):
            if not value.strip() and name not in ("ward_label", "party_label"):
                raise ValueError(f"html config: {name!r} is empty")
        for key in ("councillor", "container"):
            if getattr(self, key) is not None:
                _check_selector(key, getattr(self, key))
        for key in ("name", "ward", "party", "profile", "email", "photo", "identifier"):
            if getattr(self, key) is not None:
                _check_spec(key, getattr(self, key))
        if self.next_page is not None:
            _check_spec("next_page", self.next_page, needs_selector=True)
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

    @classmethod
    def from_mapping(cls, mapping: dict) -> HtmlConfig:
        """Validate a council's configuration row. Raises ``ValueError`` on bad configuration."""
        return cls(**config_values(cls, mapping, "html"))


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


def _decode(content: bytes) -> str | bytes:
    """The page as text when it is (or says it is) UTF-8; otherwise the bytes, for Beautiful Soup to decode.

    A page that declares UTF-8 but holds a stray invalid byte is decoded as UTF-8 with that
    byte replaced, rather than guessed to be Windows-1252 and garbled throughout.
    """
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    declared = EncodingDetector.find_declared_encoding(content, is_html=True)
    if declared and declared.lower().replace("_", "-") in ("utf-8", "utf8"):
        return content.decode("utf-8", errors="replace")
    return content


def _soup(content: bytes) -> BeautifulSoup:
    try:
        return BeautifulSoup(_decode(content), "html.parser")
    except ParserRejectedMarkup as exc:
        raise SourceError(f"unparseable HTML: {tidy(str(exc))[:200]}") from None


def parse_html_roster(content: bytes, page_url: str, config: HtmlConfig) -> Roster:
    """Parse one roster page with ``config``.

    Raises :class:`SourceError` when the page is not the roster the configuration
    describes (no councillor elements, unless the container is there and wholly empty,
    which parses to zero councillors for the merge to quarantine; a container matching other than one element, a
    councillor without a ward or an identifier), so that a changed site design can never
    be mistaken for a council with no members. Vacancies and repeated councillors are dropped.
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
        councillors: list[ScrapedCouncillor] = []
        seen: set[str] = set()
        named = 0
        for element in elements:
            raw_name = select_field(element, config.name)
            if not raw_name:
                continue
            named += 1
            if is_vacancy(raw_name):
                continue
            councillor = _councillor(element, raw_name, page_url, config)
            if councillor.source_id not in seen:
                seen.add(councillor.source_id)
                councillors.append(councillor)
    except RecursionError:
        raise SourceError("HTML nested too deeply to read") from None
    if not named:
        raise SourceError(
            f"{len(elements)} elements matched {config.councillor!r} but none had a name at {config.name!r}"
        )
    return Roster(councillors=councillors, wards=sorted({c.ward for c in councillors}))


def _councillor(element: Tag, raw_name: str, page_url: str, config: HtmlConfig) -> ScrapedCouncillor:
    ward = _unlabel(select_field(element, config.ward), config.ward_label)
    if not ward:
        raise SourceError(f"councillor {raw_name!r} has no ward at {config.ward!r}")
    profile = web_url(select_field(element, config.profile), page_url) if config.profile else None
    source_id = _source_id(element, profile, config)
    if not source_id:
        raise SourceError(f"councillor {raw_name!r} has no identifier")
    return ScrapedCouncillor(
        source_id=source_id,
        name=clean_name(raw_name),
        raw_name=raw_name,
        ward=ward,
        party=_unlabel(select_field(element, config.party), config.party_label) if config.party else "",
        email=email_address(select_field(element, config.email)) if config.email else None,
        profile_url=profile,
        photo_url=photo_url(select_field(element, config.photo), page_url) if config.photo else None,
        notes=(tidy(element.get_text(" ")),),
    )


def _source_id(element: Tag, profile: str | None, config: HtmlConfig) -> str:
    source = select_field(element, config.identifier) if config.identifier else profile
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
    try:
        link = soupsieve.select_one(selector, _soup(content))
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
    wards = sorted({c.ward for c in councillors})
    return Roster(councillors=councillors, wards=wards, source_url=pages[0].source_url)
