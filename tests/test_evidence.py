"""Evidence levels: the rules as tables, the link writers on a database, and the demo web end to end."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from cllr.demo.world import PROVIDER_HOST, directory_url, profile_url
from cllr.evidence import best, confirmed, level_of, role_from_label
from cllr.handles import normalise
from cllr.pipeline.verification import Holder, Profile, checks, own_domains, same_page
from models import AccountEvidence, AccountSuggestion, Council, Councillor, SocialAccount
from models.db import Database
from models.links import decide, link_level, record_links

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("method", "inherited", "level"),
    [
        ("council_confirmed", None, "council"),
        ("self_claim", None, "verified"),
        ("rel_me", None, "verified"),
        ("domain_handle", None, "verified"),
        ("council_profile", None, "listed"),
        ("council_roster", None, "listed"),
        ("own_website", None, "declared"),
        ("name_match", None, "unconfirmed"),
        ("moved_from", "verified", "verified"),  # a move keeps the old account's level
        ("moved_from", None, "listed"),
        ("something_new", None, "unconfirmed"),  # an unknown method never confirms anything
    ],
)
def test_each_method_gives_its_level(method, inherited, level):
    assert level_of(method, inherited) == level


def test_the_best_level_wins_and_a_name_match_alone_never_confirms():
    assert best(["declared", "verified", "listed"]) == "verified"
    assert best([]) is None
    assert best(["unconfirmed"]) == "unconfirmed" and not confirmed("unconfirmed")
    assert all(confirmed(level) for level in ("council", "verified", "listed", "declared"))


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("Bluesky", "councillor"),
        ("My personal Mastodon", "personal"),
        ("Personal account", "personal"),
        ("Northmere Ward Labour Party", "campaign"),
        ("Re-elect Jo: campaign page", "campaign"),
        ("Twitter - @jo", "councillor"),
        ("Personality of the year", "councillor"),  # words, not fragments
    ],
)
def test_a_links_words_give_the_accounts_role(label, role):
    assert role_from_label(label) == role


HOLDER = Holder(
    directory_url="https://directory.example.org/councillors/abc-jo-bloggs.html",
    council_page="https://democracy.northmere.gov.uk/mgUserInfo.aspx?UID=12",
    websites=("https://jobloggs.example.net/",),
    council_domain="northmere.gov.uk",
    council_url="https://democracy.northmere.gov.uk",
)
MASTO = "https://social.example/@jo"
SKY = "https://bsky.app/profile/x"


@pytest.mark.parametrize(
    ("profile", "holds"),
    [
        # Mastodon: a verified field to the council page or the website; any field to the directory page.
        (Profile("mastodon", MASTO, "jo@social.example", [(HOLDER.council_page, True)]), {("rel_me", MASTO)}),
        (
            Profile("mastodon", MASTO, "jo@social.example", [("http://www.jobloggs.example.net", True)]),
            {("rel_me", MASTO)},
        ),
        (Profile("mastodon", MASTO, "jo@social.example", [(HOLDER.council_page, False)]), set()),  # not verified
        (Profile("mastodon", MASTO, "jo@social.example", [("https://elsewhere.example/", True)]), set()),
        (
            Profile("mastodon", MASTO, "jo@social.example", [(HOLDER.directory_url + "#top", False)]),
            {("self_claim", MASTO)},
        ),
        # Bluesky: the handle on the councillor's site's domain or the council's own; the directory URL in the text.
        (Profile("bluesky", SKY, "jobloggs.example.net"), {("domain_handle", "https://jobloggs.example.net/")}),
        (Profile("bluesky", SKY, "blog.jobloggs.example.net"), {("domain_handle", "https://jobloggs.example.net/")}),
        (Profile("bluesky", SKY, "notjobloggs.example.net"), set()),
        (Profile("bluesky", SKY, "cllr-bloggs.northmere.gov.uk"), {("domain_handle", HOLDER.council_url)}),
        (
            Profile(
                "bluesky",
                SKY,
                "jo.bsky.social",
                text="Councillor. directory.example.org/councillors/abc-jo-bloggs.html.",
            ),
            {("self_claim", SKY)},
        ),
        (
            Profile("bluesky", SKY, "jo.bsky.social", text="directory.example.org/councillors/abc-jo-bloggs-2.html"),
            set(),
        ),
        (Profile("bluesky", SKY, "jo.bsky.social", [(HOLDER.council_page, False)]), set()),  # Bluesky has no rel=me
    ],
)
def test_two_way_checks(profile, holds):
    assert checks(profile, HOLDER) == holds


def test_no_directory_url_means_no_self_claim():
    holder = Holder(directory_url=None, council_page=None)
    assert (
        checks(Profile("mastodon", MASTO, "jo@social.example", [("https://anything.example/", True)]), holder) == set()
    )


def test_a_hosting_providers_domain_is_no_councils_own():
    domains = own_domains(
        [
            (1, "https://a.moderngov.co.uk"),
            (2, "https://b.moderngov.co.uk"),
            (3, "https://democracy.leeds.gov.uk"),
            (4, None),
        ]
    )
    assert domains == {3: "leeds.gov.uk"}


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://www.Example.org/a/", "http://example.org/a", True),
        ("example.org/a?x=1", "https://example.org/a?x=1", True),
        ("https://example.org/a", "https://example.org/b", False),
        ("", "", False),
    ],
)
def test_same_page(a, b, same):
    assert same_page(a, b) is same


# The writers -----------------------------------------------------------------


@pytest.fixture
def session(database_url):
    db = Database(database_url)
    db.migrate()
    with db.session() as session:
        council = Council(
            code="XAA",
            name="Fictional Council",
            common_name="Fictional",
            nation="England",
            council_type="NMD",
            cms="moderngov",
            scraper_class="moderngov",
        )
        session.add(council)
        session.flush()
        session.add(
            Councillor(council_id=council.id, source_id="1", name="Jo Bloggs", raw_name="Jo Bloggs", slug="xaa-jo")
        )
        session.flush()
        yield session
    db.dispose()


PAGE = "https://democracy.fictional.example/mgUserInfo.aspx?UID=1"


def found(*values):
    return [(normalise(v), "councillor") for v in values]


def evidence(session, key):
    return session.scalars(select(AccountEvidence).join(SocialAccount).where(SocialAccount.key == key)).all()


def test_a_source_that_stops_showing_a_link_withdraws_it_and_a_return_restores_it(session):
    cid = session.scalar(select(Councillor.id))
    first = record_links(
        session,
        cid,
        found("https://bsky.app/profile/jo.example", "https://social.example/@jo"),
        method="council_profile",
        source_url=PAGE,
        run_id=None,
    )
    assert sorted(first.linked) == ["bluesky:jo.example", "mastodon:jo@social.example"]
    gone = record_links(
        session,
        cid,
        found("https://bsky.app/profile/jo.example"),
        method="council_profile",
        source_url=PAGE,
        run_id=None,
    )
    assert gone.withdrawn == ["mastodon:jo@social.example"] and not gone.linked
    [row] = evidence(session, "mastodon:jo@social.example")
    assert row.withdrawn_at is not None and link_level([row]) is None  # kept, not deleted
    back = record_links(
        session,
        cid,
        found("https://bsky.app/profile/jo.example", "https://social.example/@jo"),
        method="council_profile",
        source_url=PAGE,
        run_id=None,
    )
    assert not back.linked and row.withdrawn_at is None and link_level([row]) == "listed"


def test_a_source_naming_another_account_on_the_same_platform_makes_a_suggestion(session):
    cid = session.scalar(select(Councillor.id))
    record_links(session, cid, found("@jo@social.example"), method="council_profile", source_url=PAGE, run_id=None)
    result = record_links(
        session, cid, found("@jo2@other.example"), method="council_profile", source_url=PAGE, run_id=None
    )
    assert result.suggested == ["mastodon:jo2@other.example"] and not result.linked
    assert session.scalar(select(SocialAccount).where(SocialAccount.key == "mastodon:jo2@other.example")) is None
    suggestion = session.scalar(select(AccountSuggestion))
    assert "named @jo@social.example before" in suggestion.reason and suggestion.status == "open"
    # Seen again: still one suggestion; rejected, it stays rejected.
    record_links(session, cid, found("@jo2@other.example"), method="council_profile", source_url=PAGE, run_id=None)
    decide(session, suggestion.id, accept=False, note="not theirs")
    record_links(session, cid, found("@jo2@other.example"), method="council_profile", source_url=PAGE, run_id=None)
    assert [(s.status, s.decision_note) for s in session.scalars(select(AccountSuggestion))] == [
        ("rejected", "not theirs")
    ]
    with pytest.raises(ValueError, match="already rejected"):
        decide(session, suggestion.id, accept=True)


def test_a_weaker_source_cannot_displace_a_stronger_one_but_can_add_another_platform(session):
    cid = session.scalar(select(Councillor.id))
    record_links(
        session,
        cid,
        found("https://bsky.app/profile/jo.example"),
        method="council_profile",
        source_url=PAGE,
        run_id=None,
    )
    site = "https://jo.example/"
    result = record_links(
        session,
        cid,
        found("https://bsky.app/profile/jo-other.example", "https://social.example/@jo"),
        method="own_website",
        source_url=site,
        run_id=None,
    )
    assert result.suggested == ["bluesky:jo-other.example"] and result.linked == ["mastodon:jo@social.example"]
    [suggestion] = session.scalars(select(AccountSuggestion)).all()
    decide(session, suggestion.id, accept=True)
    [row] = evidence(session, "bluesky:jo-other.example")
    assert (row.method, row.level, row.source_url) == ("own_website", "declared", site)


# The demo web ----------------------------------------------------------------------


@pytest.mark.flow
def test_the_demo_shows_every_kind_of_evidence(demo_settings, small_world):
    from flows.refresh import refresh

    summary = refresh(settings=demo_settings.model_dump(mode="json"), trigger="test")
    assert not summary["problems"]
    db = Database(demo_settings.db_url)
    with db.session() as session:
        rows = session.execute(
            select(
                SocialAccount.key,
                AccountEvidence.method,
                AccountEvidence.level,
                AccountEvidence.source_url,
                Councillor.name,
            )
            .select_from(AccountEvidence)
            .join(SocialAccount)
            .join(Councillor)
        ).all()
    db.dispose()
    held = {(key, method, source, name) for key, method, _, source, name in rows}
    expected = set()
    for council in small_world.councils:
        for m in council.councillors:
            blog = next((a for a in m.accounts if a.platform == "web"), None)
            for a in m.accounts:
                key = {
                    "bluesky": f"bluesky:{a.handle}",
                    "mastodon": f"mastodon:{a.handle}",
                    "youtube": f"youtube:channel:{a.handle}",
                }.get(a.platform, f"web:https://{a.handle}")
                if a.on_council_page:
                    expected.add((key, "council_profile", profile_url(council, m), m.name))
                if blog is not None and a is not blog:
                    expected.add((key, "own_website", blog.url, m.name))
                if a.platform == "bluesky" and blog is not None:
                    expected.add((key, "domain_handle", blog.url, m.name))
                if (
                    a.platform == "bluesky"
                    and a.handle.endswith(f".{council.slug}.example")
                    and PROVIDER_HOST not in council.host
                ):
                    expected.add((key, "domain_handle", council.roster_url, m.name))  # the council's own domain
                if a.platform == "bluesky" and directory_url(council, m) in a.description:
                    expected.add((key, "self_claim", a.url, m.name))
                links = dict(a.profile_links) if a.platform == "mastodon" else {}
                if any(links.get(page) for page in (profile_url(council, m), blog and blog.url)):
                    expected.add((key, "rel_me", a.url, m.name))
                if directory_url(council, m) in links:
                    expected.add((key, "self_claim", a.url, m.name))
    assert expected <= held
    two_way = {"domain_handle", "self_claim", "rel_me"}
    assert {h for h in held if h[1] in two_way} == {e for e in expected if e[1] in two_way}  # and no others
    methods = {method for _, method, _, _ in held}
    assert {"council_profile", "own_website", "domain_handle", "self_claim", "rel_me"} <= methods
    # Levels follow the methods; nothing in the demo is a bare name match.
    assert {(method, level) for _, method, level, _, _ in rows} <= {
        ("council_profile", "listed"),
        ("council_roster", "listed"),
        ("own_website", "declared"),
        ("domain_handle", "verified"),
        ("self_claim", "verified"),
        ("rel_me", "verified"),
    }
    page = (demo_settings.output_dir / "method.html").read_text()
    assert "Verified both ways" in page and "only the name matches" in page
