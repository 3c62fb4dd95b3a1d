"""Checking a council's entry in ``cllr/data/council_scrapers.yaml`` against its fixture pages.

Each HTML and JSON council has a folder ``cllr/demo/councils/<CODE>/``: pages written
by us to the structure its entry's selectors describe (after Democracy Club's LGSF
scrapers, MIT; see the folder's MANIFEST.md), with fictional people, and
``expected.yaml``, the records the entry must read from them. ``pages.yaml`` maps each
URL the roster is read from (its first page, next pages, ward pages, councillors' own
pages or detail records) to a file of the folder. The roster is read by the pipeline's own
``read_roster`` with a fetch that serves those files, so every step but the network is the
real one. The folders ship with the package: the rehearsal of the registry
(``cllr.demo.rehearsal``) builds its HTML and JSON councils' pages from them.

Run on entries not yet in the bundled file: ``python -m tests.council_fixtures ENTRIES.yaml [CODE ...]``.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from cllr.demo.cloning import COUNCIL_PAGES
from cllr.pipeline.roster_pages import read_roster
from scrapers.families import FAMILIES, read_council_configs, roster_settings
from scrapers.records import ScrapedCouncillor

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = COUNCIL_PAGES  # cllr/demo/councils: shipped, the rehearsal is built from them
REGISTRY = ROOT / "cllr" / "data" / "councils.csv"
FIELDS = ("id", "name", "ward", "party")


@dataclass
class FixturePage:
    url: str
    content: bytes
    not_modified: bool = False


def registry() -> dict[str, dict]:
    with REGISTRY.open(encoding="utf-8", newline="") as fh:
        return {row["code"]: row for row in csv.DictReader(fh)}


def site(code: str):
    """The fetch of ``read_roster`` over the council's fixture pages; a URL not in pages.yaml fails the check."""
    folder = FIXTURES / code
    pages = yaml.safe_load((folder / "pages.yaml").read_text(encoding="utf-8"))
    asked: list[str] = []

    def fetch(url: str, accept: str, conditional: bool) -> FixturePage:
        asked.append(url)
        if url not in pages:
            raise AssertionError(f"{code}: the entry asked for {url}, which pages.yaml does not have")
        return FixturePage(url, (folder / pages[url]).read_bytes())

    return fetch, asked, pages


def record(councillor: ScrapedCouncillor) -> dict[str, str]:
    return {"id": councillor.source_id, "name": councillor.name, "ward": councillor.ward, "party": councillor.party}


def read(code: str, entry: dict, row: dict) -> list[dict[str, str]]:
    """The councillors the entry reads, then its vacant seats (``{"vacancy": ward}``, "" when no ward is given)."""
    family = FAMILIES[row["cms"]]
    config = family.configure(roster_settings(entry))
    fetch, _asked, _pages = site(code)
    url = family.roster_url(row["roster_url"])
    roster = read_roster(family, config, url, row["roster_url"], fetch).roster
    return [record(c) for c in roster.councillors] + [{"vacancy": ward} for ward in roster.vacancies]


def expected(code: str) -> list[dict[str, str]]:
    """The records of ``expected.yaml``: councillors, then vacant seats written ``{vacancy: ward}``."""
    rows = yaml.safe_load((FIXTURES / code / "expected.yaml").read_text(encoding="utf-8"))
    people = [{key: str(row.get(key) or "") for key in FIELDS} for row in rows if "vacancy" not in row]
    return people + [{"vacancy": str(row["vacancy"] or "")} for row in rows if "vacancy" in row]


def problems(code: str, entry: dict, row: dict) -> list[str]:
    """What is wrong with the council's entry against its fixtures; [] when it reads exactly what is expected."""
    try:
        got = read(code, entry, row)
    except Exception as exc:  # the check reports, it does not stop at the first council
        return [f"{code}: {type(exc).__name__}: {exc}"]
    want = expected(code)
    found = [f"{code}: got {g}, expected {w}" for g, w in zip(got, want, strict=False) if g != w]
    if len(got) != len(want):
        found.append(f"{code}: {len(got)} councillors read, {len(want)} expected")
    return found


def main(argv: list[str]) -> int:
    entries = read_council_configs(Path(argv[0]))
    codes = [c.upper() for c in argv[1:]] or sorted(entries)
    rows = registry()
    found = [p for code in codes for p in problems(code, entries[code], rows[code])]
    print("\n".join(found) or f"{len(codes)} entries read their fixtures as expected")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
