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
from .records import Roster

MAX_PAGES = 50  # a paged directory longer than this is a crawl trap, not a council


@dataclass(frozen=True)
class Family:
    name: str
    roster_url: Callable[[str], str]  # registry URL → the roster's (first page's) URL
    parse: Callable[[bytes, str, str, Any], Roster]  # (body, registry URL, fetched URL, council config) → roster
    accept: str
    configure: Callable[[dict], Any] | None = None  # a council's YAML entry → its parser config; None: none needed
    next_page: Callable[[bytes, str, Any], str | None] | None = None  # (body, fetched URL, config) → next page
    fallback: Family | None = None  # read when the roster's source answers with an error or the wrong thing


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
    ),
    "json": Family(
        "json",
        lambda base: base,
        lambda content, _base, url, config: jsonapi.parse_json_roster(content, url, config),
        "application/json",
        configure=jsonapi.JsonConfig.from_mapping,
    ),
}


def merge_pages(pages: list[Roster]) -> Roster:
    """The pages of a paged roster as one roster."""
    return pages[0] if len(pages) == 1 else html.merge_pages(pages)


def read_council_configs(path: Path) -> dict[str, dict]:
    """Council code → its selectors or field paths, from the YAML file; a broken file is a clear ValueError."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read council scraper configuration {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError(f"{path}: expected a mapping of council code → settings")
    return {str(code).strip().upper(): entry for code, entry in data.items()}
