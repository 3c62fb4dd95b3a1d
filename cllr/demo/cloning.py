"""The rehearsal's HTML and JSON councils: each one's fixture pages (``cllr/demo/councils/<CODE>/``,
written to the structure of its entry in ``cllr/data/council_scrapers.yaml``) cloned into as many
generated, fictional councillors as it is given, served at the URLs its entry reads.

A fixture councillor is the template: their element on the roster page (the entry's
``councillor`` selector), the page it links to (``profile``; the ``detail`` fields) or their
JSON record and detail document. Each generated councillor is a copy of one template with the
template's name, ward, party and own numbers (the ids in its URLs) swapped for the generated
ones, in every form the pages write them (as written, upper and lower case, without accents,
as slugs, in e-mail addresses). A council that gives the ward by a heading has its ward groups
(the heading and its councillors) cloned the same way, one per generated ward; one that splits
its roster into ward pages has its ward pages and their links cloned. Paged rosters keep their
pages (the councillors shared out between them); vacancies, header rows and furniture stay as
written. Every HTML page's title says it is fictional. The result is read back with the
pipeline's own ``read_roster`` (:func:`problems`), so a council whose pages would not give
exactly its generated councillors is found when the rehearsal is built, not in a run.
"""

from __future__ import annotations

import html as markup
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import soupsieve
import yaml
from bs4 import BeautifulSoup, NavigableString, Tag

from cllr.pipeline.roster_pages import read_roster
from scrapers import html as html_family
from scrapers import jsonapi
from scrapers.families import FAMILIES, Family, roster_settings
from scrapers.profiles import CONTENT_SELECTORS
from scrapers.records import ScrapedCouncillor

COUNCIL_PAGES = Path(__file__).parent / "councils"
UNITS = "\ue000"  # where a page's (or a ward group's) councillors go
GROUPS = "\ue001"  # where a page's ward groups go
LABEL = " (fictional rehearsal)"
HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Person:
    """A generated councillor, before their council's pages are written."""

    first: str
    last: str
    ward: str
    party: str
    links: tuple[tuple[str, str], ...] = ()  # (URL, words) of accounts their own page links to

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass
class Cloned:
    """A council's generated pages and the records its entry must read from them."""

    pages: dict[str, tuple[str, bytes]]  # URL → (content type, body)
    expected: list[dict[str, str]]  # id, name, ward, party


@dataclass
class Fixture:
    """A council's fixture folder, with its entry read and its roster's first page."""

    code: str
    family: Family
    config: Any
    base: str  # the registry's roster_url
    url: str  # the roster's first page
    pages: dict[str, bytes]
    records: list[dict[str, str]]


def fixture_codes() -> list[str]:
    return sorted(p.name for p in COUNCIL_PAGES.iterdir() if (p / "pages.yaml").is_file())


def load_fixture(code: str, entry: dict, row: dict) -> Fixture:
    folder = COUNCIL_PAGES / code
    files = yaml.safe_load((folder / "pages.yaml").read_text(encoding="utf-8"))
    records = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    family = FAMILIES[row["cms"]]
    return Fixture(
        code,
        family,
        family.configure(roster_settings(entry)),
        row["roster_url"],
        family.roster_url(row["roster_url"]),
        {url: (folder / name).read_bytes() for url, name in files.items()},
        [
            {key: str(r.get(key) or "") for key in ("id", "name", "ward", "party")}
            for r in records
            if "vacancy" not in r
        ],
    )


def clone(fixture: Fixture, people: list[Person]) -> Cloned:
    """The council's pages with ``people`` in place of its fixture councillors."""
    cloner = _Cloner(fixture)
    return cloner.json(people) if fixture.family.name == "json" else cloner.html(people)


# Swapping a template's words for a generated councillor's ------------------------------------------------

_LETTER = r"[^\W_]"
_TOP = ("body", "html", "[document]")  # never cloned: the page itself
_NOT_LOWER = r"[^\W_a-zß-öø-ÿ]"


class Swap:
    """Words put in place of words (in every form a page writes them) and numbers in place of numbers, in one pass."""

    def __init__(self, pairs: list[tuple[str, str]], numbers: dict[str, str] | None = None):
        words: dict[str, str] = {}
        for old, new in pairs:
            if old and old != new:
                for a, b in _forms(old, new):
                    if len(a) >= 2:
                        words.setdefault(a, b)
        numbers = numbers or {}
        self.table = {**words, **numbers}
        parts = []
        for capital in (True, False):  # a capitalised word may follow a lower-case letter: "CllrGideon"
            chosen = sorted((w for w in words if w[:1].isupper() == capital), key=len, reverse=True)
            if chosen:
                before = _NOT_LOWER if capital else _LETTER
                parts.append(rf"(?<!{before})(?:{'|'.join(map(re.escape, chosen))})(?!{_LETTER})")
        if numbers:
            parts.append(rf"(?<!\d)(?:{'|'.join(map(re.escape, sorted(numbers, key=len, reverse=True)))})(?!\d)")
        self.pattern = re.compile("|".join(parts)) if parts else None

    def __call__(self, text: str) -> str:
        return self.pattern.sub(lambda m: self.table[m.group(0)], text) if self.pattern else text


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _forms(old: str, new: str) -> Iterator[tuple[str, str]]:
    """``old`` and ``new`` as pages write a name: as written, cased, unaccented, slugged, escaped."""
    for o, n in ((old, new), (_fold(old), _fold(new))):
        yield o, n
        yield o.upper(), n.upper()
        yield o.lower(), n.lower()
    words_old, words_new = re.findall(r"[^\W_]+", _fold(old)), re.findall(r"[^\W_]+", _fold(new))
    for joiner in ("-", "_", "", "+", "%20", " "):
        o, n = joiner.join(words_old), joiner.join(words_new)
        yield o, n
        yield o.lower(), n.lower()
        yield o.upper(), n.upper()
    yield markup.escape(old), markup.escape(new)
    yield markup.escape(old, quote=False).replace("'", "&#39;"), markup.escape(new, quote=False).replace("'", "&#39;")
    yield json.dumps(old)[1:-1], json.dumps(new)[1:-1]


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d{2,}", text))


def _personal(texts: list[str]) -> list[list[str]]:
    """The numbers of each text that not every other text has (a councillor's own id, not the section's)."""
    found = [_numbers(t) for t in texts]
    common = set.intersection(*found) if len(found) > 1 else set()
    return [sorted(f - common) for f in found]


# Pages -------------------------------------------------------------------------------------------------


def _soup(content: bytes | str) -> BeautifulSoup:
    return BeautifulSoup(content.decode("utf-8") if isinstance(content, bytes) else content, "html.parser")


def _label(text: str) -> str:
    return text.replace("</title>", LABEL + "</title>", 1)


def _with_links(text: str, links: tuple[tuple[str, str], ...]) -> str:
    """A councillor's page with links to their accounts at the end of its content (where discovery reads)."""
    soup = _soup(text)
    area = next((found for sel in CONTENT_SELECTORS if (found := soup.select_one(sel))), soup)
    items = " ".join(f'<a href="{markup.escape(url)}">{markup.escape(words)}</a>' for url, words in links)
    area.append(_soup(f'<div class="councillor-accounts"><h2>Social media</h2><div>{items}</div></div>'))
    return str(soup)


def _links(text: str, page_url: str) -> set[str]:
    return {urljoin(page_url, markup.unescape(h)).split("#")[0] for h in re.findall(r'href="([^"]*)"', text)}


def _unit(tag: Tag) -> Tag:
    """``tag``, or the wrapper around it that holds nothing else (a list item around a link)."""
    while (
        tag.parent is not None
        and tag.parent.name not in _TOP
        and [c for c in tag.parent.children if isinstance(c, Tag)] == [tag]
        and tag.parent.get_text(" ").strip() == tag.get_text(" ").strip()
    ):
        tag = tag.parent
    return tag


@dataclass
class _RosterPage:
    """A roster page of the fixture: its tree, its fixture councillors' elements (with their index), its
    container, and every element the ``councillor`` selector and the ward heading match (by id)."""

    url: str
    soup: BeautifulSoup
    elements: list[tuple[Tag, int]]
    scope: Tag
    matches: set[int]
    headings: set[int]


def _depth(element: Tag, page: _RosterPage) -> int:
    """How many wrappers around a councillor's element hold it alone (no other councillor, no ward heading)."""
    depth, node = 0, element
    while (parent := node.parent) is not None and parent is not page.scope and parent.name not in _TOP:
        inside = [id(t) for t in parent.find_all(True)]
        if sum(i in page.matches for i in inside) != 1 or any(i in page.headings for i in inside):
            break
        depth, node = depth + 1, parent
    return depth


def _lift(element: Tag, depth: int) -> Tag:
    for _ in range(depth):
        element = element.parent
    return element


def _put_in(tags: list[Tag], mark: str) -> None:
    """The first of ``tags`` replaced by ``mark``, the rest taken out."""
    for index, tag in enumerate(tags):
        if index == 0:
            tag.replace_with(NavigableString(mark))
        else:
            tag.extract()


def _run(heading: Tag, elements: list[Tag], stop: set[int]) -> list:
    """The nodes holding a ward's heading and its councillors: the siblings from the heading's to the last
    councillor's, or the one element around them all that holds nothing else."""
    chains = [[*reversed(list(node.parents)), node] for node in (heading, *elements)]
    depth = 0
    while all(len(c) > depth + 1 for c in chains) and len({id(c[depth + 1]) for c in chains}) == 1:
        depth += 1
    parent = chains[0][depth]
    siblings = list(parent.children)
    first, last = chains[0][depth + 1], chains[-1][depth + 1]
    run = siblings[siblings.index(first) : siblings.index(last) + 1]
    while (
        parent.name not in _TOP and id(parent) not in stop and all(not isinstance(c, Tag) or c in run for c in siblings)
    ):
        run, parent = [parent], parent.parent
        siblings = list(parent.children)
    return run


@dataclass
class _Template:
    """A page (or a ward group, or a ward link) with its councillors taken out: where they go is marked."""

    text: str
    records: list[int]  # the fixture councillors it held, by index
    url: str  # the page it is on (or is)


class _Cloner:
    def __init__(self, fixture: Fixture):
        self.fx = fixture
        self.numbers = 0  # handed out
        self.config = fixture.config
        family = fixture.family
        self.details = family.details if family.details is not None and family.details.wanted(self.config) else None
        self.index = {r["id"]: i for i, r in enumerate(fixture.records)}
        read = read_roster(family, self.config, fixture.url, fixture.base, self._fixture_fetch)
        scraped = {c.source_id: c for c in read.roster.councillors}
        self.detail_urls = [
            self.details.url(self.config, scraped[r["id"]], fixture.url) if self.details else None
            for r in fixture.records
        ]
        texts = [r["id"] + " " + (u or "") for r, u in zip(fixture.records, self.detail_urls, strict=True)]
        self.own_numbers = _personal(texts)
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.expected: list[dict[str, str]] = []

    def _fixture_fetch(self, url: str, _accept: str, _conditional: bool):
        return _Page(url, self.fx.pages[url])

    def _new_number(self, old: str) -> str:
        """A number for a generated councillor (or ward page) in place of a fixture one: as long, from 7000 on."""
        self.numbers += 1
        return str(7 * 10 ** (max(len(old), 4) - 1) + self.numbers)

    def _councillor(self, record: int, person: Person, unit: str) -> str:
        """One generated councillor's element (or record), and their own page or document served."""
        template = self.fx.records[record]
        url = self.detail_urls[record]
        page = self.fx.pages[url].decode("utf-8") if url is not None else ""
        first, _, last = template["name"].partition(" ")
        pairs = [(first, person.first), (last, person.last), (template["ward"], person.ward)]
        party = template["party"]
        if party and Swap([(party, party + "x")])(unit + page) != unit + page:
            pairs.append((party, person.party))
            party = person.party  # else the entry's default, or none: the pages write no party
        swap = Swap(pairs, {n: self._new_number(n) for n in self.own_numbers[record]})
        self.expected.append({"id": swap(template["id"]), "name": person.name, "ward": person.ward, "party": party})
        if url is not None:
            page = swap(page)
            self._serve(
                swap(url), _with_links(page, person.links) if person.links and not self._is_json(page) else page
            )
        return swap(unit)

    def _serve(self, url: str, text: str) -> None:
        url = url.replace(" ", "%20")  # a ward's name in a URL
        if self.fx.family.name == "json" and self._is_json(text):
            self.pages[url] = (JSON_TYPE, text.encode())
        else:
            spaced = re.sub(r'href="([^"]*)"', lambda m: 'href="' + m.group(1).replace(" ", "%20") + '"', text)
            self.pages[url] = (HTML_TYPE, _label(spaced).encode())

    @staticmethod
    def _is_json(text: str) -> bool:
        return text.lstrip()[:1] in ("{", "[")

    def _usable(self, record: int) -> bool:
        """Whether a fixture councillor's name shares no word with their ward or party (Oswin Stretham of Stretham)."""
        template = self.fx.records[record]
        words = lambda text: set(re.findall(r"[^\W_]+", _fold(text).lower()))  # noqa: E731
        name = words(template["name"])
        return len(name) == len(template["name"].split()) and not name & (
            words(template["ward"]) | words(template["party"])
        )

    def _units(self, people: list[Person], records: list[int], units: dict[int, str]) -> list[str]:
        """Each person's element (or record), cloned from the templates of this page or group in turn."""
        usable = [r for r in sorted(units) if self._usable(r)] or sorted(units)
        choices = [r for r in records if r in usable] or usable
        return [
            self._councillor(choices[n % len(choices)], p, units[choices[n % len(choices)]])
            for n, p in enumerate(people)
        ]

    # HTML -----------------------------------------------------------------------------------------------

    def html(self, people: list[Person]) -> Cloned:
        fx, config = self.fx, self.config
        first = fx.pages[fx.url]
        if config.ward_pages:
            links = fx.family.ward_pages(first, fx.url, config)
            lists = [url for url, _ in links]
        else:
            lists = [fx.url]
            while config.next_page and (following := fx.family.next_page(fx.pages[lists[-1]], lists[-1], config)):
                if following in lists:
                    break
                lists.append(following)
        units: dict[int, str] = {}
        read = [self._read(url) for url in lists]
        depth = min(_depth(element, page) for page in read for element, _ in page.elements)
        templates = [self._list_template(page, depth, units) for page in read]
        handled = set(lists) | {u for u in self.detail_urls if u} | ({fx.url} if config.ward_pages else set())
        others = [u for u in fx.pages if u not in handled]
        if config.ward_pages:
            self._ward_pages(people, links, templates, units, others)
        elif config.ward_heading is not None:
            if len(templates) != 1:
                raise ValueError(f"{fx.code}: ward headings on a paged roster are not cloned")
            page, groups = templates[0]
            self._serve(lists[0], page.text.replace(GROUPS, self._groups(people, groups, units, others), 1))
        else:
            share = -(-len(people) // len(templates))
            for number, (url, (page, _)) in enumerate(zip(lists, templates, strict=True)):
                chunk = people[number * share : (number + 1) * share]
                self._serve(url, page.text.replace(UNITS, "".join(self._units(chunk, page.records, units)), 1))
        for url in others:
            if url not in self.pages:
                self._serve(url, fx.pages[url].decode("utf-8"))
        return Cloned(self.pages, self.expected)

    def _read(self, url: str) -> _RosterPage:
        """A roster page of the fixture, with its councillors' elements found."""
        config = self.config
        soup = _soup(self.fx.pages[url])
        scope = soupsieve.select(config.container, soup)[0] if config.container else soup
        matches = soupsieve.select(config.councillor, scope)
        found = []
        for element in matches:
            profile = html_family.web_url(html_family.read(element, config.profile), url) if config.profile else None
            source_id = html_family._source_id(element, profile, config)
            if source_id in self.index:
                found.append((element, self.index[source_id]))
        headings = soupsieve.select(config.ward_heading.place, soup) if config.ward_heading is not None else []
        return _RosterPage(url, soup, found, scope, {id(m) for m in matches}, {id(h) for h in headings})

    def _list_template(self, page: _RosterPage, depth: int, units: dict[int, str]) -> tuple[_Template, list[_Template]]:
        """A roster page with its councillors (and its ward groups, when headings give the ward) marked out;
        each councillor's element (lifted ``depth`` wrappers) kept in ``units``."""
        url, soup, elements, stop = page.url, page.soup, page.elements, {id(page.scope)}
        lifted = [(_lift(element, depth), record) for element, record in elements]
        for element, record in lifted:
            units.setdefault(record, str(element))
        groups: list[_Template] = []
        if self.config.ward_heading is not None:
            heading = self.config.ward_heading
            order = {id(tag): n for n, tag in enumerate(soup.find_all(True))}
            headings = sorted(soupsieve.select(heading.place, soup), key=lambda t: order[id(t)])
            members: dict[int, list[tuple[Tag, int]]] = {}
            for (element, record), (unit, _) in zip(elements, lifted, strict=True):
                before = [h for h in headings if order[id(h)] < order[id(element)]]
                members.setdefault(id(before[-1]), []).append((unit, record))
            runs = []
            for tag in headings:
                if id(tag) in members:
                    group = members[id(tag)]
                    run = _run(tag, [e for e, _ in group], stop)
                    _put_in([e for e, _ in group], UNITS)
                    groups.append(_Template("".join(map(str, run)), [r for _, r in group], url))
                    runs.append(run)
            _put_in([node for run in runs for node in run][:1], GROUPS)
            for node in [node for run in runs for node in run][1:]:
                node.extract()
        else:
            _put_in([e for e, _ in lifted], UNITS)
        return _Template(str(soup), [r for _, r in elements], url), groups

    def _grouped(self, people: list[Person]) -> list[tuple[str, list[Person]]]:
        wards: dict[str, list[Person]] = {}
        for person in people:
            wards.setdefault(person.ward, []).append(person)
        return list(wards.items())

    def _ward_name(self, group: _Template) -> str:
        return self.fx.records[group.records[0]]["ward"] if group.records else ""

    def _groups(self, people: list[Person], groups: list[_Template], units: dict[int, str], others: list[str]) -> str:
        """The ward groups of a page whose headings give the ward: one per generated ward."""
        out = []
        for n, (ward, members) in enumerate(self._grouped(people)):
            group = groups[n % len(groups)]
            swap = Swap([(self._ward_name(group), ward)])
            self._others(swap, group.text, group.url, others)
            out.append(swap(group.text).replace(UNITS, "".join(self._units(members, group.records, units)), 1))
        return "".join(out)

    def _others(self, swap: Swap, text: str, url: str, others: list[str]) -> None:
        """Pages a cloned group links to that are no councillor's (a vacant seat's), cloned with it."""
        for other in _links(text, url) & set(others):
            self._serve(swap(other), swap(self.fx.pages[other].decode("utf-8")))

    def _ward_pages(self, people, links, templates, units, others) -> None:
        """The ward index with one link and one ward page per generated ward."""
        fx = self.fx
        soup = _soup(fx.pages[fx.url])
        selector, _attribute = html_family._split_spec(self.config.ward_pages)
        by_url = {url: n for n, (url, _) in enumerate(links)}
        found: dict[int, Tag] = {}
        for link in soupsieve.select(selector, soup):
            url = html_family.web_url(link.get("href"), fx.url)
            if url in by_url:
                found.setdefault(by_url[url], _unit(link))
        texts = {n: str(tag) for n, tag in found.items()}
        _put_in(list(found.values()), GROUPS)
        own = _personal([url for url, _ in links])
        out = []
        for n, (ward, members) in enumerate(self._grouped(people)):
            k = n % len(links)
            page, _ = templates[k]
            numbers = {old: self._new_number(old) for old in own[k]}
            swap = Swap([(links[k][1], ward), (self._ward_name(page), ward)], numbers)
            out.append(swap(texts[k]))
            self._others(swap, page.text, page.url, others)
            body = swap(page.text).replace(UNITS, "".join(self._units(members, page.records, units)), 1)
            self._serve(swap(links[k][0]), body)
        self._serve(fx.url, str(soup).replace(GROUPS, "".join(out), 1))

    # JSON -----------------------------------------------------------------------------------------------

    def json(self, people: list[Person]) -> Cloned:
        fx, config = self.fx, self.config
        document = json.loads(fx.pages[fx.url].decode("utf-8-sig"))
        records = jsonapi._get(document, config.records)
        kept, units = [], {}
        for n, record in enumerate(records):
            source_id = jsonapi._reader(record, n)(config.id)
            if source_id in self.index:
                units.setdefault(self.index[source_id], json.dumps(record, ensure_ascii=False))
            else:
                kept.append(record)  # a vacancy: as it was
        cloned = [json.loads(text) for text in self._units(people, [], units)]
        document = _put(document, config.records, cloned + kept)
        self.pages[fx.url] = (JSON_TYPE, json.dumps(document, ensure_ascii=False).encode())
        for url, body in fx.pages.items():
            if url not in self.pages and url not in self.detail_urls:
                self.pages[url] = (JSON_TYPE, body)
        return Cloned(self.pages, self.expected)


def _put(document, path: str, value):
    """``document`` with ``value`` at the dotted ``path`` ("" for the document itself)."""
    if not path:
        return value
    node = document
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    return document


@dataclass
class _Page:
    url: str
    content: bytes
    not_modified: bool = False


def key(url: str) -> str:
    """How a served URL is looked up: its path and query, unquoted, without its fragment."""
    parts = urlsplit(url)
    return unquote(parts.path or "/") + ("?" + unquote(parts.query) if parts.query else "")


def read_back(fixture: Fixture, pages: dict[str, tuple[str, bytes]]) -> list[ScrapedCouncillor]:
    """What the council's entry reads from ``pages`` with the pipeline's own ``read_roster``."""
    served = {(urlsplit(url).hostname, key(url)): body for url, (_, body) in pages.items()}

    def fetch(url: str, _accept: str, _conditional: bool) -> _Page:
        body = served.get((urlsplit(url).hostname, key(url)))
        if body is None:
            raise LookupError(f"{fixture.code}: the entry asked for {url}, which the rehearsal does not serve")
        return _Page(url, body)

    return read_roster(fixture.family, fixture.config, fixture.url, fixture.base, fetch).roster.councillors


def problems(fixture: Fixture, cloned: Cloned, read: list[ScrapedCouncillor] | None = None) -> list[str]:
    """How what the entry reads from the cloned pages (or ``read`` from them) differs from the generated
    councillors; [] when it does not."""
    try:
        read = read_back(fixture, cloned.pages) if read is None else read
    except Exception as exc:  # reported, with the council's code
        return [f"{fixture.code}: {type(exc).__name__}: {exc}"]
    got = [{"id": c.source_id, "name": c.name, "ward": c.ward, "party": c.party} for c in read]
    order = lambda r: r["id"]  # noqa: E731
    got, want = sorted(got, key=order), sorted(cloned.expected, key=order)
    found = [f"{fixture.code}: read {g}, generated {w}" for g, w in zip(got, want, strict=False) if g != w]
    if len(got) != len(want):
        found.append(f"{fixture.code}: {len(got)} councillors read, {len(want)} generated")
    return found
