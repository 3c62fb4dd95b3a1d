"""CMS families: how to find a council's roster from its registry URL, and how to parse it.

A family is data plus pure functions; a council names its family in the registry
(``cms``), and the families that need per-council selectors or field paths (``html``,
``json``) read them from the council's entry in ``cllr/data/council_scrapers.yaml``.
Adding a council on a known CMS needs no code: a registry row, and for HTML or JSON
sites an entry of selectors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import cmis, html, jsonapi, moderngov
from .records import Roster, ScrapedCouncillor

MAX_PAGES = 50  # a paged directory (or a list of ward pages) longer than this is a crawl trap, not a council
# Keys of a council's entry that describe the entry rather than how to read the roster.
ENTRY_NOTES = ("checked_live", "source", "note")


@dataclass(frozen=True)
class Details:
    """One more document per councillor (their own page, or a detail record) completing what the roster gives."""

    wanted: Callable[[Any], bool]  # config → whether this council's councillors need it
    url: Callable[[Any, ScrapedCouncillor, str], str | None]  # (config, councillor, roster URL) → its URL
    parse: Callable[[bytes, str, Any, ScrapedCouncillor], ScrapedCouncillor | None]  # → completed (None: a vacancy)
    accept: str


@dataclass(frozen=True)
class Family:
    name: str
    roster_url: Callable[[str], str]  # registry URL → the roster's (first page's) URL
    parse: Callable[[bytes, str, str, Any], Roster]  # (body, registry URL, fetched URL, council config) → roster
    accept: str
    configure: Callable[[dict], Any] | None = None  # a council's YAML entry → its parser config; None: none needed
    next_page: Callable[[bytes, str, Any], str | None] | None = None  # (body, fetched URL, config) → next page
    fallback: Family | None = None  # read when the roster's source answers with an error or the wrong thing
    # (body, fetched URL, config) → the ward pages the roster page links to, as (URL, ward); [] when none
    ward_pages: Callable[[bytes, str, Any], list[tuple[str, str]]] | None = None
    parse_ward: Callable[[bytes, str, Any, str], Roster] | None = None  # (body, URL, config, ward) → that ward's
    details: Details | None = None


FAMILIES = {
    "moderngov": Family(
        "moderngov",
        moderngov.roster_url,
        lambda content, base, _url, _config: moderngov.parse_councillors_by_ward(content, base),
        "text/xml",
        fallback=Family(
            "moderngov member index",
            moderngov.member_index_url,
            lambda content, _base, url, _config: moderngov.parse_member_index(content, url),
            "text/html",
        ),
    ),
    "cmis": Family(
        "cmis",
        lambda base: base,
        lambda content, _base, url, _config: cmis.parse_person_blocks(content, url),
        "text/html",
    ),
    "html": Family(
        "html",
        lambda base: base,
        lambda content, _base, url, config: html.parse_html_roster(content, url, config),
        "text/html",
        configure=html.HtmlConfig.from_mapping,
        next_page=html.next_page_url,
        ward_pages=html.ward_page_links,
        parse_ward=lambda content, url, config, ward: html.parse_html_roster(content, url, config, ward),
        details=Details(
            lambda config: bool(config.detail),
            lambda _config, councillor, _url: councillor.profile_url,
            html.parse_detail_page,
            "text/html",
        ),
    ),
    "json": Family(
        "json",
        lambda base: base,
        lambda content, _base, url, config: jsonapi.parse_json_roster(content, url, config),
        "application/json",
        configure=jsonapi.JsonConfig.from_mapping,
        details=Details(
            lambda config: config.detail_template is not None,
            jsonapi.detail_url,
            jsonapi.parse_detail_record,
            "application/json",
        ),
    ),
}


def merge_pages(pages: list[Roster]) -> Roster:
    """The pages of a paged roster as one roster."""
    return pages[0] if len(pages) == 1 else html.merge_pages(pages)


def roster_settings(entry: dict) -> dict:
    """A council's entry without its notes (``checked_live``, ``source``, ``note``): what its family reads."""
    return {key: value for key, value in entry.items() if key not in ENTRY_NOTES}


def read_council_configs(path: Path) -> dict[str, dict]:
    """Council code → its selectors or field paths, from the YAML file; a broken file is a clear ValueError."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read council scraper configuration {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError(f"{path}: expected a mapping of council code → settings")
    return {str(code).strip().upper(): entry for code, entry in data.items()}
