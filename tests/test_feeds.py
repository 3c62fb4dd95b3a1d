"""Alerts by area: an Atom feed for each council, ward and councillor, holding what changed
there, linked from its page, valid as Atom (read with feedparser), its links leading to
pages of the site wherever the site is served."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import feedparser
from bs4 import BeautifulSoup

from cllr.demo.world import directory_url
from cllr.site.changes import Event, council_place, councillor_place, ward_place
from cllr.site.environment import environment
from cllr.site.feeds import ENTRIES, write_feeds

from .test_gone_accounts import site_after_a_move_and_a_vanishing  # noqa: F401  (a fixture: the site after two runs)


def read(site: Path, path: str):
    parsed = feedparser.parse((site / path).read_bytes())
    assert not parsed.bozo, f"{path}: {parsed.bozo_exception}"
    return parsed


def soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text("utf-8"), "html.parser")


def feed_links(html: BeautifulSoup) -> list[str]:
    return [el["href"] for el in html.select('[rel~="alternate"][type="application/atom+xml"]')]


def test_every_council_ward_and_councillor_page_links_a_valid_feed_of_its_own(site_after_a_move_and_a_vanishing):  # noqa: F811
    world, site, *_ = site_after_a_move_and_a_vanishing
    seen = 0
    for council in world.councils:
        page = f"councils/{council.code.lower()}.html"
        links = feed_links(soup(site, page))
        wards = sorted({m.ward for m in council.councillors})
        assert len(links) == 2 + len(wards), links  # the council's (head, and in its text) and one per ward
        for link in set(links):
            path = (site / page).parent.joinpath(link).resolve().relative_to(site.resolve()).as_posix()
            parsed = read(site, path)
            assert parsed.feed.title.startswith("What changed in ") and council.name in parsed.feed.title
            seen += 1
        for member in council.councillors[:3]:
            person = directory_url(council, member).split("/", 3)[3]
            (link,) = set(feed_links(soup(site, person)))
            parsed = read(site, (site / person).parent.joinpath(link).resolve().relative_to(site.resolve()).as_posix())
            assert parsed.feed.title == f"What changed for {member.name}, {council.name}"
            assert any(e.title == f"New councillor: {member.name}" for e in parsed.entries)
    assert seen > len(world.councils)


def test_a_council_s_feed_holds_its_own_changes_and_no_other_council_s(site_after_a_move_and_a_vanishing):  # noqa: F811
    world, site, _vanished, mover, owners, _ = site_after_a_move_and_a_vanishing
    council, member = owners["moved"]
    national = read(site, "changes.atom")
    ours = read(site, f"feeds/councils/{council.code.lower()}.atom")
    names = {m.name for m in council.councillors}
    others = {m.name for c in world.councils if c is not council for m in c.councillors}
    assert ours.entries and len(ours.entries) <= ENTRIES
    for entry in ours.entries:
        named = entry.title.split(": ", 2)[1]
        assert any(n in named for n in names) and not any(n in named for n in others - names), entry.title
    moved = f"Account moved: {member.name}: Mastodon @{mover.handle}"
    assert moved in {e.title for e in ours.entries} and moved in {e.title for e in national.entries}
    ward = read(site, ward_place(member.ward, SimpleNamespace(code=council.code, name=council.name)).feed)
    assert moved in {e.title for e in ward.entries}
    assert ward.feed.link.endswith(
        f"councils/{council.code.lower()}.html#ward-" + member.ward.lower().replace(" ", "-")
    )
    slug = directory_url(council, member).rsplit("/", 1)[1].removesuffix(".html")
    person = read(site, f"feeds/councillors/{slug}.atom")
    assert moved in {e.title for e in person.entries}
    # Another ward of the same council hears nothing of it.
    other_ward = next(m.ward for m in council.councillors if m.ward != member.ward)
    quiet = read(site, ward_place(other_ward, SimpleNamespace(code=council.code, name=council.name)).feed)
    assert moved not in {e.title for e in quiet.entries}


def test_feed_links_lead_to_the_site_s_pages_wherever_it_is_served(tmp_path):
    """With no site URL the feed's xml:base is the path back to the site's root: a reader that
    fetched the feed from any address resolves its links to the pages beside it."""
    council = SimpleNamespace(code="E07000001", name="Testshire District Council")
    councillor = SimpleNamespace(slug="e07000001-jo-example", name="Jo Example", council=council)
    places = (council_place(council), ward_place("North Ward", council), councillor_place(councillor))
    when = datetime(2026, 12, 1, tzinfo=UTC)
    event = Event(
        when,
        "Party changed",
        "Jo Example",
        f"councillors/{councillor.slug}.html",
        "from A to B",
        "membership:1:party",
        places,
    )
    written = write_feeds(environment(), tmp_path, [event], places[:1], site_url=None, generated_at=when)
    assert written == 4  # the national feed, the council's (given), and the ward's and councillor's (from the event)
    for place in (None, *places):
        path = place.feed if place else "changes.atom"
        parsed = feedparser.parse(
            (tmp_path / path).read_bytes(),
            response_headers={
                "content-location": f"https://mirror.example/site/{path}",
                "content-type": "application/atom+xml",
            },
        )
        assert not parsed.bozo, parsed.bozo_exception
        assert [e.link for e in parsed.entries] == ["https://mirror.example/site/councillors/e07000001-jo-example.html"]
        assert parsed.entries[0].summary == "Party changed: Jo Example (from A to B)"
    ward = feedparser.parse(
        (tmp_path / places[1].feed).read_bytes(),
        response_headers={
            "content-location": f"https://m.example/{places[1].feed}",
            "content-type": "application/atom+xml",
        },
    )
    assert ward.feed.link == "https://m.example/councils/e07000001.html#ward-north-ward"


def test_a_place_with_nothing_yet_still_has_a_valid_feed_for_its_page_to_link(tmp_path):
    council = SimpleNamespace(code="E07000002", name="Quietshire Council")
    place = ward_place("Empty Ward", council)
    write_feeds(
        environment(),
        tmp_path,
        [],
        [place],
        site_url="https://councillors.example/",
        generated_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    parsed = feedparser.parse((tmp_path / place.feed).read_bytes())
    assert (
        not parsed.bozo
        and parsed.entries == []
        and parsed.feed.title == "What changed in Empty Ward, Quietshire Council"
    )
    assert parsed.feed.link == "https://councillors.example/councils/e07000002.html#ward-empty-ward"
