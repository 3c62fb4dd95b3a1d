"""The CMIS list-page parser on fixtures written to CMIS's published structure (tests/fixtures/cmis)."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrapers.cmis import parse_person_blocks
from scrapers.records import SourceError

FIXTURES = Path(__file__).parent / "fixtures" / "cmis"
PAGES = [
    ("councillors", "https://cmis.fictional.example/cmis5/Councillors.aspx"),
    ("divisions", "https://cmis.county.example/cmis/Members.aspx"),
]


@pytest.mark.parametrize(("stem", "url"), PAGES)
def test_fixture_parses_to_its_expected_records(stem, url):
    roster = parse_person_blocks((FIXTURES / f"{stem}.html").read_bytes(), url)
    got = [
        {
            "id": c.source_id,
            "name": c.name,
            "raw_name": c.raw_name,
            "ward": c.ward,
            "party": c.party,
            "profile_url": c.profile_url,
            "photo_url": c.photo_url,
        }
        for c in roster.councillors
    ]
    assert got == json.loads((FIXTURES / f"{stem}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "page",
    [b"", b"<html><body><h1>Sorry, the page cannot be found</h1></body></html>", b"\x00\xff garbage", b"{}"],
)
def test_pages_without_person_blocks_are_source_errors_not_empty_councils(page):
    with pytest.raises(SourceError, match="no person blocks"):
        parse_person_blocks(page, "https://cmis.example/Councillors.aspx")


def test_a_block_without_a_ward_is_a_source_error():
    page = b'<div class="PE_People_PersonBlock"><a href="/id/5/">x</a><div class="NameLink">A Person</div></div>'
    with pytest.raises(SourceError, match="no ward"):
        parse_person_blocks(page, "https://cmis.example/")


REAL = (FIXTURES / "councillors.html").read_bytes()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(REAL)), st.binary(max_size=40))
def test_mutated_pages_parse_or_fail_cleanly(position, noise):
    page = REAL[:position] + noise + REAL[position:]
    try:
        roster = parse_person_blocks(page, "https://cmis.fictional.example/")
    except SourceError:
        return
    for c in roster.councillors:
        assert c.name and "<" not in c.name and c.source_id.isdigit()
