"""The site is rendered safely: escaped text, only http(s) links, no scripts."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from cllr.site import build_site, safe_url
from models import Council, Councillor, Membership, Party, Ward
from models.db import Database

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_WARD = '"><img src=x onerror=alert(1)>'


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://democracy.example.gov.uk/mgUserInfo.aspx?UID=1", True),
        ("http://democracy.example.gov.uk/", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        (" javascript:alert(1)", False),
        ("\tjavascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox", False),
        ("//evil.example/", False),
        ("javascript&colon;alert(1)", False),
        ("https://user:pass@evil.example/", False),
        ("https://exa mple.org/", False),
        ("https://example.org/" + "a" * 3000, False),
        ("", False),
        (None, False),
    ],
)
def test_safe_url(url, ok):
    assert (safe_url(url) is not None) is ok


def test_hostile_scraped_values_render_as_inert_text(tmp_path):
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    db = Database(url)
    db.migrate()
    with db.session() as session:
        council = Council(code="XAA", name="Test <b>Council</b>", common_name="Test", nation="England",
                          council_type="NMD", cms="moderngov", scraper_class="moderngov", fictional=True)  # fmt: skip
        session.add(council)
        session.flush()
        ward = Ward(council_id=council.id, key="w", name=HOSTILE_WARD)
        party = Party(key="labour", name="Labour", colour="#d50000")
        person = Councillor(council_id=council.id, source_id="1", slug="xaa-hostile", name=HOSTILE_NAME,
                            raw_name=HOSTILE_NAME, profile_url="javascript:alert(1)")  # fmt: skip
        session.add_all([ward, party, person])
        session.flush()
        session.add(Membership(councillor=person, ward=ward, party=party, party_label="Labour", start_date=date(2026, 5, 7)))
    out = tmp_path / "site"
    with db.session() as session:
        build_site(session, out)
    pages = list(out.rglob("*.html"))
    assert len(pages) >= 4
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html
        assert "<img" not in html
        assert not re.search(r"\son\w+=", html)
        assert "javascript:" not in html.lower()
        for href in re.findall(r'href="([^"]*)"', html):
            assert not re.match(r"^[a-z]+:", href) or href.startswith(("http://", "https://", "mailto:"))
    person_page = (out / "councillors" / "xaa-hostile.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in person_page
    db.dispose()


def test_a_rebuild_replaces_the_site_whole(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'site.sqlite3'}")
    db.migrate()
    out = tmp_path / "site"
    out.mkdir()
    (out / "stale.html").write_text("old")
    with db.session() as session:
        build_site(session, out)
        assert session.scalars(select(Council)).all() == []
    assert (out / "index.html").exists() and not (out / "stale.html").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site")]
    db.dispose()
