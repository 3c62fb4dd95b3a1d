"""The data-quality report: what a council's officers should check in its record, each with
the way to fix it, and the national ranking of councils by how complete their records are."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from cllr.site.quality import OpenItems, council_quality
from cllr.site.views import AccountView, PersonView
from models import (
    AccountEvidence,
    AccountSuggestion,
    Correction,
    Councillor,
    Disagreement,
    Membership,
    Party,
    RunStep,
    SocialAccount,
)

from .test_corrections import intake  # noqa: F401  (a fixture: the corrections intake served on 127.0.0.1)
from .test_pages import built  # noqa: F401  (a fixture: the demo site built by the real stages)

FORM = "https://intake.example/council"


def person(i: int, *, email=True, party=True, accounts=()) -> PersonView:
    councillor = Councillor(
        id=i, slug=f"xaa-person-{i}", name=f"Person {i}", email="p@council.example" if email else None
    )
    councillor.profile_url = f"https://council.example/councillors/{i}"
    membership = Membership(party=Party(key="lab", name="Labour") if party else None)
    return PersonView(councillor, membership, list(accounts))


def linked(level: str, platform="bluesky", handle="jo.bsky.social") -> AccountView:
    account = SocialAccount(
        platform=platform, key=f"{platform}:{handle}", handle=handle, url=f"https://bsky.app/profile/{handle}"
    )
    account.changes = []
    return AccountView(account, None, [AccountEvidence(level=level, method="name_match")])


def section(report, key):
    return next(problems for k, _, problems in report.sections if k == key)


def asked(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


def test_each_gap_is_listed_under_its_heading_with_the_fix_filled_in():
    people = [
        person(1, email=False, accounts=[linked("verified")]),
        person(2, party=False, accounts=[linked("verified")]),
        person(3, accounts=[]),
        person(4, accounts=[linked("unconfirmed", handle="maybe.bsky.social")]),
    ]
    report = council_quality(people, OpenItems(), council_id=1, form=FORM)
    assert [p.person.councillor.id for p in section(report, "no-email")] == [1]
    assert (
        section(report, "no-email")[0].href == "https://council.example/councillors/1"
    )  # fixed on the council's own page
    [party] = section(report, "no-party")
    assert asked(party.href) == {"op": "set_party", "councillor": "xaa-person-2"}
    [none] = section(report, "no-account")
    assert none.person.councillor.id == 3 and asked(none.href)["op"] == "add_account"
    [maybe] = section(report, "name-only")
    assert maybe.what == "Bluesky maybe.bsky.social matches only by name"
    assert asked(maybe.href) == {
        "op": "add_account",
        "councillor": "xaa-person-4",
        "account": "https://bsky.app/profile/maybe.bsky.social",
    }
    assert (report.councillors, report.complete, report.completeness) == (4, 2, 0.5)
    assert report.open == 4 and report.count("no-party") == 1


def test_what_waits_on_someone_is_listed_with_what_to_do():
    people = [person(1, accounts=[linked("verified")]), person(2, accounts=[linked("verified")])]
    items = OpenItems(
        suggestions={
            1: [
                AccountSuggestion(
                    platform="mastodon",
                    handle="@jo@toot.example",
                    url="https://toot.example/@jo",
                    method="council_profile",
                    reason="the council's page names another account",
                )
            ]
        },
        disagreements={
            1: [Disagreement(field="party", locked="Labour", scraped="Independent")],
            2: [
                Disagreement(
                    field="account:bluesky:old.bsky.social",
                    locked="removed by a correction",
                    scraped="linked by council_roster",
                    source_url="https://council.example/roster",
                )
            ],
        },
        waiting={2: [Correction(operation="set_ward")]},
        last_failure={7: RunStep(status="failed", reason="HTTP 503")},
    )
    report = council_quality(people, items, council_id=7, form=FORM)
    suggestion, correction = section(report, "waiting")
    assert (
        suggestion.what
        == "Mastodon @jo@toot.example was found (linked from the council's profile page): the council's page names another account"
    )
    assert asked(suggestion.href) == {
        "op": "add_account",
        "councillor": "xaa-person-1",
        "account": "https://toot.example/@jo",
    }
    assert correction.what == "Your correction (their ward) waits for our review" and correction.href is None
    party, account = section(report, "disagreements")
    assert party.what == "Their party: your correction says “Labour”, your page says “Independent”"
    assert asked(party.href) == {"op": "set_party", "councillor": "xaa-person-1", "party": "Independent"}
    assert (
        account.what
        == "Bluesky old.bsky.social: your correction removed it, but a page still links it (written in the council's roster entry)"
    )
    assert account.href == "https://council.example/roster"
    assert report.last_failure.reason == "HTTP 503"


def test_without_a_corrections_form_the_report_still_says_what_to_do_but_links_nowhere_it_cannot():
    report = council_quality([person(1, party=False)], OpenItems(), council_id=1, form=None)
    [problem] = section(report, "no-party")
    assert problem.href is None and problem.fix == "correct their party (or Independent)"
    assert council_quality([], OpenItems(), council_id=1, form=None).completeness is None


def test_councils_rank_by_complete_records_with_none_complete_above_none_known():
    from types import SimpleNamespace

    from cllr.site.quality import by_completeness

    def row(name, people):
        return {"council": SimpleNamespace(name=name), "quality": council_quality(people, OpenItems(), 1, None)}

    rows = [
        row("Empty", []),
        row("Nothing complete", [person(1, email=False)]),
        row("Half", [person(2), person(3, party=False)]),
        row("All", [person(4)]),
    ]
    assert [r["council"].name for r in by_completeness(rows)] == ["All", "Half", "Nothing complete", "Empty"]


def test_the_built_site_has_a_report_per_council_and_ranks_them_by_completeness(built):  # noqa: F811
    world, site, _ = built
    index = BeautifulSoup((site / "quality/index.html").read_text("utf-8"), "html.parser")
    rows = index.select("main table tbody tr")
    assert len(rows) == len(world.councils)
    shares = [float(r.find_all("td")[1]["data-value"]) for r in rows]
    assert shares == sorted(shares, reverse=True)
    for council in world.councils:
        page = BeautifulSoup((site / f"quality/{council.code.lower()}.html").read_text("utf-8"), "html.parser")
        assert page.h1.get_text() == f"Data quality: {council.name}"
        headings = [h.get_text(" ", strip=True) for h in page.select("main section h2")]
        assert len(headings) == 6 and all(h.endswith(")") for h in headings)
        listed = {a.get_text() for a in page.select("ul.problems li > a:first-child")}
        assert listed <= {m.name for m in council.councillors}
        council_page = BeautifulSoup((site / f"councils/{council.code.lower()}.html").read_text("utf-8"), "html.parser")
        assert council_page.find("a", href=f"../quality/{council.code.lower()}.html")


@pytest.mark.parametrize(
    ("query", "selected", "shown", "absent"),
    [
        ("op=set_party&councillor=xaa-jo-bloggs", "set_party", 'value="xaa-jo-bloggs"', None),
        (
            "op=add_account&councillor=xaa-jo&account=https://bsky.app/profile/jo.bsky.social",
            "add_account",
            'value="https://bsky.app/profile/jo.bsky.social"',
            None,
        ),
        ("op=drop_tables&councillor=x", None, 'value="x"', "drop_tables"),
        ('councillor="><script>alert(1)</script>', None, "&#34;&gt;&lt;script&gt;", "<script>alert"),
    ],
    ids=["party", "account", "unknown operation", "hostile value"],
)
def test_the_corrections_form_is_filled_in_from_the_report_s_link(intake, query, selected, shown, absent):  # noqa: F811
    response = intake.get(f"/council?{query}")
    assert response.status_code == 200
    form = BeautifulSoup(response.text, "html.parser")
    chosen = form.find("option", selected=True)
    assert (chosen["value"] if chosen else None) == selected
    assert shown in response.text
    if absent:
        assert absent not in response.text
