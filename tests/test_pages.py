"""Every page type of the public site, built from the demo web by the real stages."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup

from cllr import stages
from cllr.config import Settings
from cllr.demo.server import DemoServer
from cllr.demo.world import build_world, directory_url, write_demo_files
from cllr.search import STOPWORDS, shard_key, words

from .test_account_history import collect_everything


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The demo world and the site built from it (SQLite; the stages run as the flow runs them)."""
    world = build_world(councils=5, seed=7, wards=(3, 5))
    folder = tmp_path_factory.mktemp("pages")
    with DemoServer(world) as server:
        settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'cllr.sqlite3'}",
                            **write_demo_files(world, folder), **server.settings(), request_delay=0)  # fmt: skip
        with stages.open_context(settings) as ctx:
            run_id = stages.start_run(ctx, "test")
            started = stages.utcnow()
            collect_everything(ctx, run_id)
            stages.compute_metrics(ctx, run_id)
            stages.render_site(ctx, run_id)
    return world, settings.output_dir, started


def page(site, path) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser")


def test_every_page_type_is_built(built):
    _, site, _ = built
    for path in ("index.html", "councils/index.html", "parties.html", "leaderboard.html", "leaderboards/councils.html",
                 "method.html", "changes.html", "changes.atom", "search.html", "about.html", "privacy.html",
                 "accessibility.html", "data.html", "sitemap.xml"):  # fmt: skip
        assert (site / path).stat().st_size > 0, path
    assert list(site.glob("leaderboards/platform-*.html")) and list(site.glob("leaderboards/party-*.html"))


def test_every_page_has_a_canonical_link_listed_in_the_sitemap(built):
    _, site, _ = built
    sitemap = ElementTree.fromstring((site / "sitemap.xml").read_bytes())
    listed = {loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    pages = [p.relative_to(site).as_posix() for p in site.rglob("*.html")]
    assert listed == {f"https://directory.demo.example/{p}" for p in pages}
    for path in pages[:40]:
        assert page(site, path).find("link", rel="canonical")["href"] == f"https://directory.demo.example/{path}"


def test_the_councils_index_carries_what_its_filters_and_sorting_use(built):
    world, site, _ = built
    index = page(site, "councils/index.html")
    rows = index.find("table", id="council-table").tbody.find_all("tr")
    assert len(rows) == len(world.councils)
    assert {r["data-nation"] for r in rows} == {c.nation for c in world.councils}
    assert {o.get_text() for o in index.find("select", id="filter-nation").find_all("option")[1:]} == {c.nation for c in world.councils}
    assert [th.get("data-sort") for th in index.find("table", id="council-table").thead.find_all("th")] == [
        "text", "text", "text", "num", "num", "num", "text"]  # fmt: skip
    assert index.find("form", attrs={"data-table": "council-table"}).has_attr("hidden")  # shown by the script only


def test_the_a_to_z_reaches_every_councillor_once_without_javascript(built):
    world, site, _ = built
    listed = Counter(a["href"] for p in site.glob("councillors/az-*.html") for a in page(site, p.relative_to(site)).select("ul.people a"))
    expected = {directory_url(c, m).rsplit("/", 1)[1] for c in world.councils for m in c.councillors}
    assert set(listed) == expected and set(listed.values()) == {1}
    letters = page(site, "search.html").select("ul.az a")
    assert len(letters) == len(list(site.glob("councillors/az-*.html")))


def test_the_search_shards_hold_every_councillor_under_each_word(built):
    world, site, _ = built
    shards = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (site / "search").glob("*.json") if p.stem != "keys"}
    assert json.loads((site / "search" / "keys.json").read_text()) == sorted(shards)
    for council in world.councils:
        for m in council.councillors:
            path = f"councillors/{directory_url(council, m).rsplit('/', 1)[1]}"
            for word in words(f"{m.name} {m.ward}"):
                if len(word) > 1 and word not in STOPWORDS:
                    assert path in {entry[3] for entry in shards[shard_key(word)]}, (m.name, word)
    assert max(len(json.dumps(s)) for s in shards.values()) < 20_000  # national figures: docs/benchmarks.md


def test_a_councillors_chart_and_its_table_show_the_same_counts(built):
    world, site, started = built
    council = world.councils[0]
    member = max(council.councillors, key=lambda m: sum(len(a.posts) for a in m.accounts if a.platform == "bluesky"))
    html = page(site, f"councillors/{directory_url(council, member).rsplit('/', 1)[1]}")
    section = html.find("section", attrs={"aria-labelledby": "over-time"})
    table = [int(tr.find_all("td")[1].get_text()) for tr in section.table.tbody.find_all("tr")]
    bars = [int(r.title.get_text().rsplit(": ", 1)[1]) for r in section.svg.find_all("rect")]
    assert bars == table and len(table) == 13
    assert section.svg["role"] == "img" and section.svg.title.get_text()
    cap = {"web": 10, "youtube": 15}  # a blog's feed shows its 10 newest items, a channel's its 15
    own = [p for a in member.accounts for p in a.posts[: cap.get(a.platform)] if p.kind != "repost"]
    in_window = sum(1 for p in own if p.created_at >= started - timedelta(days=91))
    assert abs(sum(table) - in_window) <= 2  # the window's edges move by the seconds the build takes


def test_rankings_count_only_confirmed_own_accounts_and_match_the_councillor_pages(built):
    _, site, _ = built
    for path in site.glob("leaderboards/platform-*.html"):
        rows = page(site, path.relative_to(site)).select("table.leaderboard tbody tr")
        posts = [int(r.find_all("td")[4].get_text()) for r in rows]
        assert posts == sorted(posts, reverse=True) and all(posts)
    ranked = page(site, "leaderboards/councils.html").select("table.leaderboard tbody tr")
    shares = [int(r.find_all("td")[4].get_text().rstrip("%")) for r in ranked if r.find_all("td")[4].get_text() != "–"]
    assert shares == sorted(shares, reverse=True)


def test_what_changed_lists_new_councillors_and_links_and_the_feed_matches(built):
    world, site, _ = built
    changes = page(site, "changes.html").get_text()
    assert "New councillor" in changes and "Account linked" in changes
    feed = ElementTree.fromstring((site / "changes.atom").read_bytes())
    ns = "{http://www.w3.org/2005/Atom}"
    entries = feed.findall(f"{ns}entry")
    assert 0 < len(entries) <= 50
    assert len({e.find(f"{ns}id").text for e in entries}) == len(entries)
    assert all(e.find(f"{ns}id").text.startswith("urn:councillors-online:") for e in entries)
