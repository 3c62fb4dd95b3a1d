"""The site is rendered safely: escaped text, only http(s) links, no scripts."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from cllr.site.build import build_site
from cllr.urls import safe_url
from models import Council, Councillor, FormerName, Membership, Party, Ward
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
        council = Council(
            code="XAA",
            name="Test <b>Council</b>",
            common_name="Test",
            nation="England",
            council_type="NMD",
            cms="moderngov",
            scraper_class="moderngov",
            fictional=True,
        )
        session.add(council)
        session.flush()
        ward = Ward(council_id=council.id, key="w", name=HOSTILE_WARD)
        party = Party(key="labour", name="Labour", colour="#d50000")
        person = Councillor(
            council_id=council.id,
            source_id="1",
            slug="xaa-hostile",
            name=HOSTILE_NAME,
            raw_name=HOSTILE_NAME,
            profile_url="javascript:alert(1)",
        )
        session.add_all([ward, party, person])
        session.flush()
        session.add(
            Membership(councillor=person, ward=ward, party=party, party_label="Labour", start_date=date(2026, 5, 7))
        )
        session.add(FormerName(councillor_id=person.id, name=HOSTILE_WARD, raw_name="x", used_until=date(2026, 6, 1)))
    out = tmp_path / "site"
    with db.session() as session:
        build_site(session, out)
    pages = list(out.rglob("*.html"))
    assert len(pages) >= 4
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        assert not soup.find_all(["img", "iframe", "object", "embed", "base"])
        # The site's own script files, never inline code: site.js, and on the search page handles.js before it.
        assert [(s.get("src", ""), s.string) for s in soup.find_all("script")] == [
            (s["src"], None) for s in soup.find_all("script")
        ]
        scripts = [s["src"].rsplit("/", 1)[-1] for s in soup.find_all("script")]
        assert scripts == (["handles.js", "site.js"] if page.name == "search.html" else ["site.js"]), page
        assert "script-src 'self'" in soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
        for tag in soup.find_all(True):
            assert not [a for a in tag.attrs if a.lower().startswith("on") or a == "style"]
        for link in soup.find_all(href=True):
            href = link["href"]
            assert not re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith(
                ("http://", "https://", "mailto:")
            )
    # The feed is well-formed XML whose text is the name itself; the search index is JSON holding it as data.
    feed = ElementTree.fromstring((out / "changes.atom").read_bytes())
    titles = [t.text for t in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert f"New councillor: {HOSTILE_NAME}" in titles
    shards = [json.loads(f.read_text(encoding="utf-8")) for f in (out / "search").glob("*.json") if f.stem != "keys"]
    assert any(entry[0] == HOSTILE_NAME and entry[1] == HOSTILE_WARD for shard in shards for entry in shard)
    person = BeautifulSoup((out / "councillors" / "xaa-hostile.html").read_text(encoding="utf-8"), "html.parser")
    assert person.h1.get_text(strip=True) == HOSTILE_NAME
    assert HOSTILE_WARD in person.get_text()
    assert f"Listed by the council before as {HOSTILE_WARD} (until 1 Jun 2026)" in person.get_text()
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


def test_the_published_site_is_readable_by_a_web_server_and_an_interrupted_builds_staging_is_removed(tmp_path):
    import os
    import time

    db = Database(f"sqlite:///{tmp_path / 'site.sqlite3'}")
    db.migrate()
    interrupted, fresh = tmp_path / ".site-interrupted", tmp_path / ".site-building-now"
    for folder in (interrupted, fresh):
        (folder / "councillors").mkdir(parents=True)
    long_ago = time.time() - 2 * 3600
    os.utime(interrupted, (long_ago, long_ago))
    with db.session() as session:
        build_site(session, tmp_path / "site")
    assert (tmp_path / "site").stat().st_mode & 0o777 == 0o755  # a web server running as another user reads it
    assert not interrupted.exists() and fresh.exists()  # another build's may still be under way
    db.dispose()


def _one_councillor(tmp_path: Path) -> tuple[Database, Path]:
    """A database of one fictional council with one councillor (xaa-jo), and where its site goes."""
    db = Database(f"sqlite:///{tmp_path / 'site.sqlite3'}")
    db.migrate()
    out = tmp_path / "site"
    with db.session() as session:
        council = Council(
            code="XAA",
            name="Fictional Council",
            common_name="Fictional",
            nation="England",
            council_type="NMD",
            cms="moderngov",
            scraper_class="moderngov",
            fictional=True,
            seats=3,
        )
        session.add(council)
        session.flush()
        ward = Ward(council_id=council.id, key="w", name="North")
        person = Councillor(
            council_id=council.id, source_id="1", slug="xaa-jo", name="Jo Fictional", raw_name="Jo Fictional"
        )
        session.add_all([ward, person])
        session.flush()
        session.add(Membership(councillor=person, ward=ward, start_date=date(2026, 5, 7)))
    return db, out


def test_a_page_that_cannot_be_written_fails_the_build_and_leaves_the_published_site(tmp_path, monkeypatch):
    db, out = _one_councillor(tmp_path)
    with db.session() as session:
        build_site(session, out)
    published = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    write_bytes = Path.write_bytes

    def full_disk(path, content):
        if path.name == "xaa-jo.html":
            raise OSError(28, "No space left on device")
        return write_bytes(path, content)

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with db.session() as session:  # the page changes, so it is written, not kept
        session.scalar(select(Councillor)).name = "Jo Renamed"
    with db.session() as session, pytest.raises(OSError, match="No space left"):
        build_site(session, out, force=True)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == published
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site")]
    db.dispose()


def test_an_unchanged_rebuild_writes_nothing_and_unchanged_pages_keep_their_files(tmp_path):
    db, out = _one_councillor(tmp_path)
    with db.session() as session:
        assert build_site(session, out).pages > 0
    inodes = {p.relative_to(out): p.stat().st_ino for p in out.rglob("*.html")}
    with db.session() as session:
        assert build_site(session, out).pages == 0  # same data, templates and day: nothing to do
    assert {p.relative_to(out): p.stat().st_ino for p in out.rglob("*.html")} == inodes
    with db.session() as session:  # the council's name changes: that page is new, the privacy page is the old file
        session.scalar(select(Council)).name = "Renamed Fictional Council"
    with db.session() as session:
        assert build_site(session, out).pages > 0
    assert (out / "privacy.html").stat().st_ino == inodes[Path("privacy.html")]
    assert (out / "councils" / "index.html").stat().st_ino != inodes[Path("councils/index.html")]
    assert "Renamed Fictional Council" in (out / "councils" / "index.html").read_text(encoding="utf-8")
    assert {p.name for p in (out / "data").iterdir()} >= {"councillors.csv", "popolo.json", "cllr.sqlite3", "README.md"}
    db.dispose()


def test_the_site_is_the_same_whether_the_councillor_pages_are_rendered_in_a_child_process_or_not(
    tmp_path, monkeypatch
):
    db, out = _one_councillor(tmp_path)
    with db.session() as session:
        forked = build_site(session, out)
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    page = (out / "councillors" / "xaa-jo.html").read_bytes()
    monkeypatch.delattr(os, "fork")  # a system without fork: everything in this process
    with db.session() as session:
        alone = build_site(session, out, force=True)
    assert forked.renderer_private_mb is not None and alone.renderer_private_mb is None
    assert alone.pages == forked.pages == sum(1 for _ in out.rglob("*.html"))  # every page once, none counted twice
    assert sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) == files
    assert (out / "councillors" / "xaa-jo.html").read_bytes() == page
    db.dispose()
