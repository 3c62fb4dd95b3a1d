"""A councillor's profile page gives the councillor's accounts, never the council's own from its furniture."""

from pathlib import Path

import pytest
import yaml

from scrapers.profiles import parse_profile_page

PAGE = "https://democracy.example.gov.uk/councillors/ann-example"
OWN = '<a href="https://bsky.app/profile/ann-example.bsky.social">My Bluesky</a>'
COUNCILS = '<a href="https://www.facebook.com/ExampleCouncil">Facebook</a>'


def page(body: str) -> bytes:
    return f"<!DOCTYPE html><html><head><title>Cllr Ann Example</title></head><body>{body}</body></html>".encode()


# (case, body, the accounts found): the councillor's account is kept, the council's never.
CASES = [
    ("html5 footer, no content container", f"<h1>Ann</h1>{OWN}<footer>{COUNCILS}</footer>", ["bluesky"]),
    ("div#footer, no content container", f'<h1>Ann</h1>{OWN}<div id="footer">{COUNCILS}</div>', ["bluesky"]),
    ("contentinfo landmark", f'<h1>Ann</h1>{OWN}<div role="contentinfo">{COUNCILS}</div>', ["bluesky"]),
    ("site header", f'<div id="header">{COUNCILS}</div><h1>Ann</h1>{OWN}', ["bluesky"]),
    ("navigation", f"<nav>{COUNCILS}</nav><h1>Ann</h1>{OWN}", ["bluesky"]),
    (
        "the council's account beside the councillor's email, and in the footer",
        f'<main><h1>Ann</h1><p><a href="mailto:ann@example.gov.uk">Email</a> {COUNCILS}</p>{OWN}</main>'
        f"<footer>{COUNCILS}</footer>",
        ["bluesky"],
    ),
    (
        "an account in the content only is the councillor's",
        f'<main><h1>Ann</h1>{OWN}<a href="https://www.facebook.com/AnnForWard">Facebook</a></main>',
        ["bluesky", "facebook"],
    ),
    (
        "an article's own footer is content, not furniture",
        f"<article><h1>Ann</h1><footer>{OWN}</footer></article><footer>{COUNCILS}</footer>",
        ["bluesky"],
    ),
    ("a page with only the council's accounts", f'<h1>Ann</h1><div id="footer">{COUNCILS}</div>', []),
]


@pytest.mark.parametrize(("case", "body", "platforms"), CASES, ids=[c[0] for c in CASES])
def test_profile_page_accounts_exclude_the_sites_furniture(case, body, platforms):
    assert [handle.platform for handle, _ in parse_profile_page(page(body), PAGE)] == platforms


FIXTURES = Path(__file__).parents[1] / "cllr" / "demo" / "councils"
DETAIL_PAGES = [
    (folder.name, url, folder / name)
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir())
    for url, name in yaml.safe_load((folder / "pages.yaml").read_text()).items()
    if str(name).endswith(".html") and not str(name).startswith("roster")
]


def test_fixture_detail_pages_are_many_and_carry_council_accounts():
    furnished = [path for _, _, path in DETAIL_PAGES if b"facebook.com/" in path.read_bytes()]
    assert len(DETAIL_PAGES) > 100 and len(furnished) > 30


@pytest.mark.parametrize(("code", "url", "path"), DETAIL_PAGES, ids=[f"{c}-{p.name}" for c, _, p in DETAIL_PAGES])
def test_no_fixture_detail_page_gives_the_councils_own_accounts(code, url, path):
    # the fixture people have no accounts on their council pages: whatever is found is the council's
    assert parse_profile_page(path.read_bytes(), url) == []
