"""Every HTML and JSON council's entry reads its fixture pages (cllr/demo/councils/<CODE>/) as expected (tests/council_fixtures.py)."""

from __future__ import annotations

import pytest

from cllr.config import BUNDLED_SCRAPERS
from scrapers.families import read_council_configs, roster_settings
from tests.council_fixtures import FIXTURES, problems, registry

ENTRIES = read_council_configs(BUNDLED_SCRAPERS)
REGISTRY = registry()
CONFIGURED = ("html", "json")


def test_every_html_and_json_council_has_an_entry_and_fixtures():
    current = sorted(code for code, row in REGISTRY.items() if row["cms"] in CONFIGURED)
    assert [code for code in current if code not in ENTRIES] == []
    assert [code for code in current if not (FIXTURES / code / "expected.yaml").is_file()] == []


@pytest.mark.parametrize("code", sorted(ENTRIES))
def test_the_entry_reads_its_fixtures(code):
    assert problems(code, ENTRIES[code], REGISTRY[code]) == []


@pytest.mark.parametrize("code", sorted(ENTRIES))
def test_the_entry_says_where_it_comes_from_and_whether_it_was_checked_live(code):
    entry = ENTRIES[code]
    assert entry.get("source"), f"{code} has no source"
    assert "checked_live" in entry, f"{code} does not say whether it was checked against the live page"
    assert roster_settings(entry) != entry
