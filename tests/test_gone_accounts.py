"""Nothing dead shown as live: an account the platform no longer finds, and one that moved
server, are marked wherever they are listed (the council page, the postcode finder's
results, the councillor page) and left out of every count, after the real pipeline has
seen them go."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from cllr.config import Settings
from cllr.demo.postcodes import import_demo_directory
from cllr.demo.server import DemoServer
from cllr.demo.world import build_world, directory_url, write_demo_files
from cllr.evidence import CONFIRMED
from cllr.pipeline import context, finishing, metrics, ward_codes
from cllr.platforms import label
from models import AccountEvidence, Membership, SocialAccount

from .test_account_history import collect_everything

GONE_NOTE = "gone: the platform no longer finds it"


@pytest.fixture(scope="module")
def site_after_a_move_and_a_vanishing(tmp_path_factory):
    """Two runs of the real stages (SQLite) on a demo web where, between them, a Bluesky
    account vanishes and a Mastodon account moves server; the site built after the second."""
    world = build_world(councils=5, seed=7, wards=(3, 5))  # its own: the test changes it
    mover = next(a for a in world.accounts() if a.platform == "mastodon")
    folder = tmp_path_factory.mktemp("gone")
    with DemoServer(world) as server:
        settings = Settings(
            data_dir=folder,
            database_url=f"sqlite:///{folder / 'cllr.sqlite3'}",
            **write_demo_files(world, folder / "web"),
            **server.settings(),
            request_delay=0,
        )
        import_demo_directory(world, settings.data_dir, settings.db_url)
        with context.open_context(settings) as ctx:
            collect_everything(ctx, context.start_run(ctx, "test"))
            world.next_day()
            server.web.reindex()
            second = context.start_run(ctx, "test")
            collect_everything(ctx, second)
            metrics.compute_metrics(ctx, second)
            ward_codes.match_ward_codes(ctx, second)  # the postcode finder places councillors by ward code
            finishing.render_site(ctx, second)
            with ctx.db.session() as session:
                live = _live_confirmed_by_platform(session)
    vanished = next(a for a in world.accounts() if a.gone)
    owners = {
        kind: next((c, m) for c in world.councils for m in c.councillors if account in m.accounts)
        for kind, account in (("gone", vanished), ("moved", mover))
    }
    return world, settings.output_dir, vanished, mover, owners, live


def _live_confirmed_by_platform(session) -> dict[str, int]:
    """Straight from the tables: links of sitting councillors to accounts the platform still
    has, with current evidence at a confirmed level, counted once per councillor and account."""
    pairs = session.execute(
        select(SocialAccount.platform, AccountEvidence.councillor_id, AccountEvidence.account_id)
        .join(SocialAccount, SocialAccount.id == AccountEvidence.account_id)
        .join(Membership, Membership.councillor_id == AccountEvidence.councillor_id)
        .where(
            AccountEvidence.level.in_(CONFIRMED),
            AccountEvidence.withdrawn_at.is_(None),
            Membership.end_date.is_(None),
            SocialAccount.status.not_in(("not_found", "moved", "merged")),
        )
        .distinct()
    ).all()
    counts: dict[str, int] = {}
    for platform, _, _ in pairs:
        counts[platform] = counts.get(platform, 0) + 1
    return counts


def _marker_after(html: BeautifulSoup, handle: str) -> str | None:
    """The note written after the link to the account with this handle, if any."""
    link = next(a for a in html.select("main a") if a.get_text().endswith(handle))
    note = link.find_next_sibling("small", class_="gone")
    return note.get_text() if note else None


def test_a_gone_and_a_moved_account_are_marked_on_the_council_and_councillor_pages(site_after_a_move_and_a_vanishing):
    world, site, vanished, mover, owners, _ = site_after_a_move_and_a_vanishing
    target = world.elsewhere[0]
    for kind, account, note in (
        ("gone", vanished, f"({GONE_NOTE})"),
        ("moved", mover, f"(moved to Mastodon @{target.handle})"),
    ):
        council, member = owners[kind]
        council_page = BeautifulSoup((site / f"councils/{council.code.lower()}.html").read_text("utf-8"), "html.parser")
        assert _marker_after(council_page, account.handle) == note, kind
        person_page = site / directory_url(council, member).split("/", 3)[3]
        assert _marker_after(BeautifulSoup(person_page.read_text("utf-8"), "html.parser"), account.handle) == note
    # The account it moved to is listed as it is: live, unmarked.
    council, _ = owners["moved"]
    council_page = BeautifulSoup((site / f"councils/{council.code.lower()}.html").read_text("utf-8"), "html.parser")
    assert _marker_after(council_page, target.handle) is None


def test_a_gone_and_a_moved_account_are_marked_in_the_postcode_finder_results(site_after_a_move_and_a_vanishing):
    _, site, vanished, mover, _owners, _ = site_after_a_move_and_a_vanishing
    listed: dict[str, str] = {}
    for shard in (site / "postcodes").glob("*.json"):
        if shard.name == "index.json":
            continue
        for area in json.loads(shard.read_text("utf-8"))["areas"]:
            for person in area["people"] or []:
                for _platform, _url, handle, note in person[5]:
                    listed[handle.lstrip("@")] = note
    assert vanished.handle.lstrip("@") in listed, sorted(listed)
    assert listed[vanished.handle.lstrip("@")] == GONE_NOTE
    assert listed[mover.handle.lstrip("@")].startswith("moved to Mastodon @")
    assert sum(1 for note in listed.values() if note) == 2  # nothing else marked


def test_the_counts_leave_out_gone_and_moved_accounts(site_after_a_move_and_a_vanishing):
    _, site, _vanished, _mover, _owners, live = site_after_a_move_and_a_vanishing
    home = BeautifulSoup((site / "index.html").read_text("utf-8"), "html.parser")
    table = next(
        t for t in home.select("table") if t.caption and t.caption.get_text() == "Confirmed accounts by platform"
    )
    shown = {tr.find_all("td")[0].get_text(): int(tr.find_all("td")[1].get_text()) for tr in table.tbody.find_all("tr")}
    assert shown == {label(platform): n for platform, n in live.items()}
    assert {"Bluesky", "Mastodon"} <= set(shown)
    chart = {r.title.get_text() for r in home.select("svg.chart rect")}
    assert f"Bluesky: {live['bluesky']}" in chart


def test_what_changed_names_the_councillor_and_the_accounts_as_people_write_them(site_after_a_move_and_a_vanishing):
    world, site, _vanished, mover, owners, _ = site_after_a_move_and_a_vanishing
    _, member = owners["moved"]
    target = world.elsewhere[0]
    changes = BeautifulSoup((site / "changes.html").read_text("utf-8"), "html.parser")
    moved = next(li for li in changes.select("ul.changes li") if li.find(class_="kind").get_text() == "Account moved")
    assert moved.a.get_text() == f"{member.name}: Mastodon @{mover.handle}"
    assert moved.find(class_="meta").get_text() == f"to Mastodon @{target.handle}"
    feed = (site / "changes.atom").read_text("utf-8")
    assert f"<title>Account moved: {member.name}: Mastodon @{mover.handle}</title>" in feed
    assert "mastodon:" not in feed
