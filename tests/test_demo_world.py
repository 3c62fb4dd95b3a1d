"""The demo world is fictional, deterministic and shaped like the real services."""

import re
from pathlib import Path

from cllr.demo.server import DemoWeb, roster_xml
from cllr.demo.world import build_world, registry_rows
from scrapers.moderngov import parse_councillors_by_ward

REAL = Path(__file__).parent / "fixtures" / "moderngov"
REGISTRY = Path(__file__).parent.parent / "cllr" / "data" / "councils.csv"


def test_the_same_seed_gives_the_same_world():
    a, b = build_world(councils=4, seed=3), build_world(councils=4, seed=3)
    assert [(m.name, m.ward, m.party) for c in a.councils for m in c.councillors] == [
        (m.name, m.ward, m.party) for c in b.councils for m in c.councillors
    ]


def test_demo_people_carry_no_real_councillors_names():
    world = build_world(councils=18)
    real = set()
    for path in REAL.rglob("*.xml"):
        real |= {m.lower() for m in re.findall(r"<fullusername>([^<]*)<", path.read_text(encoding="utf-8"))}
    for council in world.councils:
        for member in council.councillors:
            assert not any(member.name.lower() in raw for raw in real)


def test_demo_hosts_and_codes_cannot_be_real():
    world = build_world(councils=30)
    web = DemoWeb(world)
    assert all(host.endswith(".example") for host in web.hosts)
    real_codes = {line.split(",")[0] for line in REGISTRY.read_text(encoding="utf-8").splitlines()[1:]}
    codes = [row["code"] for row in registry_rows(world)]
    assert len(set(codes)) == len(codes) and not set(codes) & real_codes
    assert all(row["fictional"] == "true" for row in registry_rows(world))
    for account in world.accounts():
        assert account.platform in ("bluesky", "mastodon", "web", "youtube")  # never X or Facebook handles
        if account.platform == "youtube":  # channel ids that spell out what they are
            assert account.handle.startswith("UCfictional") and len(account.handle) == 24
        else:
            assert account.handle.endswith(".example")


def test_demo_rosters_parse_like_real_ones():
    world = build_world(councils=2)
    council = world.councils[0]
    roster = parse_councillors_by_ward(roster_xml(council).encode(), council.base_url)
    assert len(roster.councillors) == len(council.councillors)
    assert roster.councillors[0].raw_name.startswith("The Mayor. Councillor ")
    assert roster.councillors[0].name == council.councillors[0].name


def test_demo_cmis_pages_parse_like_real_ones():
    from cllr.demo.server import cmis_list_page
    from scrapers.cmis import parse_person_blocks

    world = build_world(councils=3)
    council = next(c for c in world.councils if c.cms == "cmis")
    roster = parse_person_blocks(cmis_list_page(council).encode(), council.roster_url)
    assert [c.name for c in roster.councillors] == [m.name for m in council.councillors]
    assert all(c.profile_url.startswith(council.base_url + "/People/") for c in roster.councillors)
