"""Every page type of the public site, built from the demo web by the real stages."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from cllr.config import Settings
from cllr.demo.server import DemoServer
from cllr.demo.world import build_world, directory_url, write_demo_files
from cllr.handles import normalise
from cllr.pipeline import context, finishing, metrics
from cllr.site.build import build_site
from cllr.site.search import STOPWORDS, account_identity, identity_shard, shard_key, words
from cllr.site.views import figure_history, record_council_figures
from models import Council, CouncilFigure
from models.db import Database

from .test_account_history import collect_everything


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The demo world and the site built from it (SQLite; the stages run as the flow runs them)."""
    world = build_world(councils=5, seed=7, wards=(3, 5))
    folder = tmp_path_factory.mktemp("pages")
    with DemoServer(world) as server:
        settings = Settings(
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'cllr.sqlite3'}",
            **write_demo_files(world, folder),
            **server.settings(),
            request_delay=0,
        )
        with context.open_context(settings) as ctx:
            run_id = context.start_run(ctx, "test")
            started = context.utcnow()
            collect_everything(ctx, run_id)
            metrics.compute_metrics(ctx, run_id)
            finishing.render_site(ctx, run_id)
    return world, settings.output_dir, started


def page(site, path) -> BeautifulSoup:
    return BeautifulSoup((site / path).read_text(encoding="utf-8"), "html.parser")


def test_every_page_type_is_built(built):
    _, site, _ = built
    for path in (
        "index.html",
        "councils/index.html",
        "parties.html",
        "leaderboard.html",
        "leaderboards/councils.html",
        "method.html",
        "changes.html",
        "changes.atom",
        "search.html",
        "about.html",
        "privacy.html",
        "accessibility.html",
        "data.html",
        "sitemap.xml",
    ):
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


def test_every_page_has_its_own_description_and_an_icon_that_is_there(built):
    """Search results and shared links show a page's own description; the icon link stops the
    browser's request for /favicon.ico (a 404 in the console on every page)."""
    _, site, _ = built
    descriptions = {}
    for path in sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")):
        soup = page(site, path)
        text = soup.find("meta", attrs={"name": "description"})["content"].strip()
        assert 40 <= len(text) <= 200 and "{" not in text, (path, text)
        descriptions[path] = text
        icon = soup.find("link", rel="icon")
        assert (site / path).parent.joinpath(icon["href"]).resolve().is_file(), path
    councils = [d for path, d in descriptions.items() if path.startswith("councils/x")]
    people = [d for path, d in descriptions.items() if path.startswith("councillors/")]
    assert len(set(councils)) == len(councils) > 1 and len(set(people)) == len(people) > 1  # each its own


def test_a_council_page_says_when_its_pages_were_checked_in_plain_words(built):
    world, site, _ = built
    soup = page(site, f"councils/{world.councils[0].code.lower()}.html")
    meta = " ".join(soup.find("p", class_="meta").get_text().split())
    assert "We last checked the council's councillor pages on" in meta
    assert "changes were found and taken in." in meta or "nothing had changed." in meta
    assert "Roster" not in meta and "applied" not in meta and "unchanged" not in meta
    assert not re.search(r"\.(Source|Download|Council officers)", meta)  # sentences keep their spaces
    assert ". Source: the council's councillor pages. Download: CSV, JSON." in meta


ACCOUNT_KEY = re.compile(
    r"\b(?:bluesky|mastodon|twitter|youtube|web|facebook|instagram|threads|tiktok|linkedin):[^\s/]"
)


def test_public_pages_write_no_internal_keys_or_codes(built):
    """Accounts as people write them, never as our keys (``mastodon:kit@…``); how a council's
    pages were last read in words, never as the run's status code."""
    _, site, _ = built
    for path in site.rglob("*.html"):
        text = page(site, path.relative_to(site)).find("main").get_text(" ")
        assert not ACCOUNT_KEY.search(text), f"{path}: {ACCOUNT_KEY.search(text).group()}"
    assert not ACCOUNT_KEY.search((site / "changes.atom").read_text(encoding="utf-8"))
    for path in ("index.html", "councils/index.html"):
        table = page(site, path).select("table.councils")[-1]
        column = [th.get_text(" ", strip=True) for th in table.thead.find_all("th")].index("Councillor pages checked")
        cells = [tr.find_all("td")[column].get_text(" ", strip=True) for tr in table.tbody.find_all("tr")]
        assert cells and all(re.fullmatch(r"(changes taken in|no change) \(\d{1,2} \w{3} \d{4}\)", c) for c in cells), (
            cells
        )


@pytest.mark.parametrize(
    ("controller", "contact", "href"),
    [
        ("Civic Data Ltd", "privacy@civic.example", "mailto:privacy@civic.example"),
        (None, None, "https://github.com/councillors-online/councillors-online"),  # CLLR_CONTACT_URL
    ],
)
def test_the_privacy_notice_names_the_controller_the_basis_the_rights_and_the_regulator(
    tmp_path, controller, contact, href
):
    db = Database(f"sqlite:///{tmp_path / 'site.sqlite3'}")
    db.migrate()
    with db.session() as session:
        build_site(
            session,
            tmp_path / "site",
            contact_url=Settings().contact_url,
            controller=controller,
            privacy_contact=contact,
        )
    db.dispose()
    privacy = page(tmp_path / "site", "privacy.html")
    text = " ".join(privacy.get_text().split())
    if controller:
        assert f"run by {controller}, the controller" in text
    for needed in ("Legitimate interests", "object", "erase", "How long we keep it", "Information Commissioner"):
        assert needed in text, needed
    assert privacy.find("a", href=href) and privacy.find("a", href="https://ico.org.uk/make-a-complaint/")
    accessibility = page(tmp_path / "site", "accessibility.html")
    assert accessibility.find("a", href=href)  # a real contact for a barrier
    for name in ("index.html", "data.html"):  # every page links both
        footer = page(tmp_path / "site", name).find("footer")
        assert footer.find("a", href="privacy.html") and footer.find("a", href="accessibility.html")


def test_the_councils_index_carries_what_its_filters_and_sorting_use(built):
    world, site, _ = built
    index = page(site, "councils/index.html")
    rows = index.find("table", id="council-table").tbody.find_all("tr")
    assert len(rows) == len(world.councils)
    assert {r["data-nation"] for r in rows} == {c.nation for c in world.councils}
    assert {o.get_text() for o in index.find("select", id="filter-nation").find_all("option")[1:]} == {
        c.nation for c in world.councils
    }
    assert [th.get("data-sort") for th in index.find("table", id="council-table").thead.find_all("th")] == [
        "text",
        "text",
        "text",
        "num",
        "num",
        "num",
        "text",
    ]
    assert index.find("form", attrs={"data-table": "council-table"}).has_attr("hidden")  # shown by the script only


def test_the_a_to_z_reaches_every_councillor_once_without_javascript(built):
    world, site, _ = built
    listed = Counter(
        a["href"]
        for p in site.glob("councillors/az-*.html")
        for a in page(site, p.relative_to(site)).select("ul.people a")
    )
    expected = {directory_url(c, m).rsplit("/", 1)[1] for c in world.councils for m in c.councillors}
    assert set(listed) == expected and set(listed.values()) == {1}
    letters = page(site, "search.html").select("ul.az a")
    assert len(letters) == len(list(site.glob("councillors/az-*.html")))


def test_the_search_shards_hold_every_councillor_under_each_word(built):
    world, site, _ = built
    shards = {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (site / "search").glob("*.json") if p.stem != "keys"
    }
    assert json.loads((site / "search" / "keys.json").read_text()) == sorted(shards)
    for council in world.councils:
        for m in council.councillors:
            path = f"councillors/{directory_url(council, m).rsplit('/', 1)[1]}"
            for word in words(f"{m.name} {m.ward}"):
                if len(word) > 1 and word not in STOPWORDS:
                    assert path in {entry[3] for entry in shards[shard_key(word)]}, (m.name, word)
    assert max(len(json.dumps(s)) for s in shards.values()) < 20_000  # national figures: docs/benchmarks.md


def test_the_account_index_files_each_linked_account_under_its_identity(built):
    """search/accounts/<hh>.json: every account linked on a councillor's page, found by the
    identity of its key (cllr.handles), in the shard its identity hashes to."""
    world, site, _ = built
    entries = {}
    keys = json.loads((site / "search/accounts/keys.json").read_text())
    for key in keys:
        for entry in json.loads((site / f"search/accounts/{key}.json").read_text()):
            assert identity_shard(entry[0]) == key
            entries.setdefault(entry[0], []).append(entry)
    council = world.councils[0]
    for member in council.councillors:
        for account in member.accounts:
            if not account.on_council_page:
                continue
            identity = account_identity(normalise(account.url).key)
            assert member.name in {e[1] for e in entries.get(identity, [])}, (identity, member.name)
            assert all(
                e[4] == directory_url(council, member).split("/", 3)[3]
                for e in entries[identity]
                if e[1] == member.name
            )


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
    _world, site, _ = built
    changes = page(site, "changes.html").get_text()
    assert "New councillor" in changes and "Account linked" in changes
    feed = ElementTree.fromstring((site / "changes.atom").read_bytes())
    ns = "{http://www.w3.org/2005/Atom}"
    entries = feed.findall(f"{ns}entry")
    assert 0 < len(entries) <= 50
    assert len({e.find(f"{ns}id").text for e in entries}) == len(entries)
    assert all(e.find(f"{ns}id").text.startswith("urn:councillors-online:") for e in entries)


def _figure_cells(row) -> list[str]:
    return [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]


def test_a_council_page_gives_its_adoption_figures_as_kept_for_the_day(built):
    """The metrics stage keeps each council's figures for the day; the page's table shows that row."""
    world, site, _ = built
    db = Database(f"sqlite:///{site.parent / 'cllr.sqlite3'}")
    try:
        with db.session() as session:
            code = world.councils[0].code
            row = session.scalar(select(CouncilFigure).join(Council).where(Council.code == code))
            headline = page(site, f"councils/{code.lower()}.html").find("dl", class_="figures").find_all("dd")
            assert [int(dd.get_text().split()[0]) for dd in headline] == [
                row.seats,
                row.councillors,
                row.with_account,
                row.active,
            ]
            history = page(site, f"councils/{code.lower()}.html").find(
                "section", attrs={"aria-labelledby": "history-heading"}
            )
            rows = history.table.tbody.find_all("tr")
            assert len(rows) == 1 and history.svg is None  # one day: a table, no chart yet
            assert _figure_cells(rows[0])[2:4] == [
                str(row.councillors),
                f"{row.with_account} ({row.with_account * 100 / row.seats:.0f}%)",
            ]
    finally:
        db.dispose()


def test_adoption_history_keeps_the_days_figures_changed_and_charts_them(built, tmp_path):
    world, site, _ = built
    copy = tmp_path / "cllr.sqlite3"
    shutil.copyfile(site.parent / "cllr.sqlite3", copy)
    db = Database(f"sqlite:///{copy}")
    try:
        with db.session() as session:
            today = session.scalar(select(CouncilFigure).join(Council).where(Council.code == world.councils[0].code))
            assert record_council_figures(session, today.as_of, run_id=None) == len(
                world.councils
            )  # the day's rows replaced
            assert session.scalar(select(func.count()).select_from(CouncilFigure)) == len(world.councils)
            earlier = {
                "council_id": today.council_id,
                "seats": today.seats,
                "councillors": today.councillors,
                "posts_30d": 0,
            }
            session.add(CouncilFigure(as_of=today.as_of - timedelta(days=60), with_account=0, active=0, **earlier))
            session.add(
                CouncilFigure(as_of=today.as_of - timedelta(days=30), with_account=0, active=0, **earlier)
            )  # unchanged
            session.add(
                CouncilFigure(
                    as_of=today.as_of - timedelta(days=10), with_account=today.with_account, active=1, **earlier
                )
            )
            session.flush()
            kept = figure_history(session)[today.council_id]
            assert [r.as_of for r in kept] == [today.as_of - timedelta(days=d) for d in (0, 10, 60)]  # newest first
            build_site(session, tmp_path / "site", force=True)
        history = page(tmp_path / "site", f"councils/{world.councils[0].code.lower()}.html").find(
            "section", attrs={"aria-labelledby": "history-heading"}
        )
        cells = [_figure_cells(tr) for tr in history.table.tbody.find_all("tr")]
        assert [c[4] for c in cells] == [
            f"{today.active} ({today.active * 100 / today.seats:.0f}%)",
            f"1 ({100 / today.seats:.0f}%)",
            "0 (0%)",
        ]
        bars = [r.title.get_text().rsplit(": ", 1)[1] for r in history.svg.find_all("rect")]
        assert bars == [
            "0%",
            f"{round(100 / today.seats)}%",
            f"{round(100 * today.active / today.seats)}%",
        ]  # oldest first
    finally:
        db.dispose()


def test_the_home_page_says_how_many_councils_and_seats_the_directory_covers(built):
    world, site, _ = built
    db = Database(f"sqlite:///{site.parent / 'cllr.sqlite3'}")
    try:
        with db.session() as session:
            councils = list(session.scalars(select(Council)))
            held = [c for c in councils if c.roster_seats]  # every demo council's roster was applied
            seats = sum(c.seat_count for c in held)
    finally:
        db.dispose()
    text = " ".join(page(site, "index.html").find("p", class_="coverage").get_text().split())
    assert f"holds the councillors of {len(held)} of the {len(councils)} councils we list" in text
    assert f"with {seats} seats between them" in text and len(held) == len(world.councils)


def test_roles_show_on_the_council_and_councillor_pages_in_the_leaders_ranking_and_the_open_data(built):
    """The demo's ModernGov rosters list key posts: a leader, a deputy, a cabinet, a civic head, chairs."""
    import csv

    from cllr.roles import EXECUTIVE, roles

    world, site, _ = built
    council = next(c for c in world.councils if c.cms == "moderngov")
    leader = next(m for m in council.councillors if m.key_posts == ("Leader of the Council",))
    slug = directory_url(council, leader).rsplit("/", 1)[1].removesuffix(".html")
    leads = page(site, f"councils/{council.code.lower()}.html").find(
        "section", attrs={"aria-labelledby": "leaders-heading"}
    )
    held = {dl_div.dt.get_text(): dl_div.dd.get_text(" ", strip=True) for dl_div in leads.select("dl.leaders > div")}
    assert held["Leader of the council"].startswith(leader.name)
    cabinet = {m.name for m in council.councillors if "cabinet" in roles(m.key_posts)}
    assert cabinet and all(name in held["Cabinet or executive member"] for name in cabinet)
    assert page(site, f"councillors/{slug}.html").find("p", class_="key-posts").get_text() == "Leader of the Council"
    ranked = {
        a.get_text()
        for a in page(site, "leaderboards/leaders.html").select("table.leaderboard tbody a[href*='councillors/']")
    }
    executive = {m.name for c in world.councils for m in c.councillors if EXECUTIVE & set(roles(m.key_posts))}
    assert ranked and ranked <= executive
    rows = {r["slug"]: r for r in csv.DictReader((site / "data" / "councillors.csv").open(encoding="utf-8"))}
    assert (rows[slug]["key_posts"], rows[slug]["roles"]) == ("Leader of the Council", "leader")
    popolo = json.loads((site / "data" / "popolo.json").read_text(encoding="utf-8"))
    posts = [m for m in popolo["memberships"] if m["person_id"] == slug and m.get("role") == "Leader of the Council"]
    assert posts and posts[0]["label"] == "Leader of the council"
