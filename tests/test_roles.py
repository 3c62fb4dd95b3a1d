"""Which kinds of role a councillor's key posts name. The posts are real: ModernGov key posts
from the roster fixtures in tests/fixtures/moderngov/ (each folder's MANIFEST gives its
source and licence), with a few of the same forms written out."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cllr.roles import EXECUTIVE, KIND_NAMES, KINDS, roles
from scrapers.moderngov import key_posts, parse_councillors_by_ward

FIXTURES = Path(__file__).parent / "fixtures" / "moderngov" / "moderngov-xml-symroe-councillordata"


@pytest.mark.parametrize(
    ("post", "kinds"),
    [
        ("Leader of the Council", ("leader",)),
        ("Leader of the Council and Labour Group", ("leader", "group_leader")),
        ("Leader of the Council. Policy Lead for Strategic Finance (IT Services, Improvement)", ("leader", "cabinet")),
        ("Deputy Leader of the Council and Cabinet Member for Housing", ("deputy_leader", "cabinet")),
        ("Depute Leader of the Council, Policy Lead for Roads, Infrastructure", ("deputy_leader", "cabinet")),
        ("Deputy Leader and Cabinet Member for Strategy, Finance and Corporate Issues", ("deputy_leader", "cabinet")),
        ("Deputy Leader (Finance and Investment)", ("deputy_leader",)),
        ("Deputy Leader of the Council & the Conservative Group", ("deputy_leader",)),
        ("Cabinet Member for Crime and Enforcement", ("cabinet",)),
        ("Cabinet Member Health, Housing and Wellbeing", ("cabinet",)),
        ("Policy Lead for Sustainable Economic Growth (Economic Development, European Affairs)", ("cabinet",)),
        ("Minister for Health and Social Services", ("cabinet",)),
        ("Shadow Cabinet Member for Finance", ()),
        ("Deputy Cabinet Member for Enterprise", ()),
        ("Assistant Cabinet Member for Technology, Innovation and Skills", ()),
        ("Cabinet Support Member for Highways and Transport", ()),
        ("Depute Policy Lead for Roads, Infrastructure, Amenity Services and Special Projects", ()),
        ("Lord Mayor", ("civic_head",)),
        ("The Mayor 2015/16", ("civic_head",)),
        ("Sheriff", ("civic_head",)),
        ("Chairman of the County Council", ("civic_head",)),
        ("Chair of Assembly", ("civic_head",)),
        ("Provost of the Council and  Policy Lead for Island Affairs", ("cabinet", "civic_head")),
        ("Deputy Lord Mayor", ("deputy_civic_head",)),
        ("Deputy Mayor", ("deputy_civic_head",)),
        ("Vice-Chairman of the County Council", ("deputy_civic_head",)),
        ("Mayor of London", ("leader",)),
        ("Chair of Development Control Board", ("committee_chair",)),
        ("Chair of Bute and Cowal Area Committee", ("committee_chair",)),
        ("Lead Member of Safer & Stronger Community Select Committee", ("committee_chair",)),
        ("Deputy Chair of Standards Committee", ()),
        ("Vice Chair of Helensburgh and Lomond Area Committee", ()),
        ("Deputy Lead Member of Public Accounts & Audit Select Committee", ()),
        ("Leader of the Liberal Democrat Group", ("group_leader",)),
        ("Leader - UK Independence Group", ("group_leader",)),
        ("Conservative - Group Leader", ("group_leader",)),
        ("Leader of the Opposition", ("group_leader",)),
        ("Deputy Leader of the Labour Group", ()),
        ("Liberal Democrat - Deputy Leader", ()),
        ("Neighbourhood Lead for Brixton", ()),
        ("Opposition Whip", ()),
    ],
)
def test_a_post_names_the_kinds_of_role_it_holds(post, kinds):
    assert roles([post]) == kinds


def test_each_kind_has_a_name_and_the_executive_is_among_them():
    assert set(KIND_NAMES) == set(KINDS) and set(KINDS) >= EXECUTIVE
    assert roles(["Cabinet Member for Housing", "Leader of the Council"]) == ("leader", "cabinet")  # in KINDS order


def test_the_roster_s_key_posts_are_read_as_the_council_writes_them():
    roster = parse_councillors_by_ward((FIXTURES / "barking-dagenham-gov-uk.GetCouncillorsByWard.xml").read_bytes())
    posts = {c.name: c.key_posts for c in roster.councillors}
    assert posts["Darren Rodwell"] == ("Leader of the Council and Labour Group",)
    assert posts["Laila Butt"] == ("Cabinet Member for Crime and Enforcement",)
    assert sum(1 for p in posts.values() if p) == 29 and all(p is not None for p in posts.values())
    leaders = [name for name, p in posts.items() if "leader" in roles(p)]
    assert leaders == ["Darren Rodwell"]


@pytest.mark.parametrize(
    ("text", "posts"),
    [
        ("", ()),
        ("  \n  ", ()),
        ("Mayor", ("Mayor",)),
        ("Mayor\nChair of Planning Committee\nMayor", ("Mayor", "Chair of Planning Committee")),
    ],
)
def test_key_posts_are_one_a_line_without_blanks_or_repeats(text, posts):
    assert key_posts(text) == posts


def test_a_re_read_roster_replaces_the_posts_and_a_source_without_posts_leaves_them(db):
    from sqlalchemy import select

    from models import Council, Councillor
    from models.merge import apply_roster
    from scrapers.records import Roster, ScrapedCouncillor

    def read(*posts):
        people = [
            ScrapedCouncillor(
                "1", "Jo Bloggs", "Cllr Jo Bloggs", "Abbey", "Labour", key_posts=posts[0] if posts else None
            )
        ]
        return Roster(people, ["Abbey"], "https://council.example/roster")

    with db.session() as session:
        council = Council(
            code="XZZ",
            name="Testshire Council",
            common_name="Testshire",
            nation="England",
            council_type="NMD",
            cms="moderngov",
            scraper_class="moderngov",
        )
        session.add(council)
        session.flush()
        for roster, expected in (
            (read(("Leader of the Council",)), ["Leader of the Council"]),
            (read(None), ["Leader of the Council"]),  # a source that publishes no posts: what we hold stays
            (read(("Cabinet Member for Housing",)), ["Cabinet Member for Housing"]),
            (read(()), []),  # the roster lists none now
        ):
            apply_roster(session, council, roster, run_id=None, today=date(2026, 12, 7), checked=False)
            session.flush()
            assert session.scalar(select(Councillor.key_posts)) == expected
