"""The selector-driven HTML family on fixtures written to common council CMS structures (tests/fixtures/html)."""

import json
import random
import re
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from cllr.names import clean_name, tidy
from scrapers.html import HtmlConfig, email_address, merge_pages, next_page_url, parse_html_roster, select_field
from scrapers.records import Roster, ScrapedCouncillor, SourceError

from .expected_records import records

FIXTURES = Path(__file__).parent / "fixtures" / "html"

# The configuration rows a council would have in the registry, one per kind of site.
CONFIGS = {
    "jadu-cards": {
        "container": "ul.councillor-list",
        "councillor": "li.councillor-card",
        "name": "h3.councillor-card__name",
        "ward": "p.councillor-card__ward",
        "ward_label": "Ward:",
        "party": "p.councillor-card__party",
        "party_label": "Party:",
        "profile": "h3.councillor-card__name a@href",
        "email": "a[href^='mailto:']@href",
        "photo": "img@src",
        "id_pattern": r"/councillors/([\w-]+)",
    },
    "drupal-views": {
        "container": "div.view-councillors table.views-table tbody",
        "councillor": "tr",
        "name": "td.views-field-title",
        "ward": "td.views-field-field-ward",
        "party": "td.views-field-field-party",
        "profile": "td.views-field-title a@href",
        "email": "td.views-field-field-email a@href",
        "photo": "td.views-field-field-photo img@src",
        "next_page": "li.pager__item--next a@href",
    },
    "members-table": {
        "councillor": "table.members tr:has(td)",
        "name": "td:nth-of-type(1)",
        "ward": "td:nth-of-type(2)",
        "party": "td:nth-of-type(3)",
        "profile": "td:nth-of-type(1) a@href",
        "email": "a[href^='mailto:' i]@href",
        "id_pattern": r"[?&]id=(\d+)",
    },
}
SINGLE_URL = "https://www.ashcombevale.example/your-council/councillors-a-z"
PAGES = [
    ("single", SINGLE_URL, "jadu-cards"),
    ("members", "http://www.glanmorfa.example/members/members.asp", "members-table"),
]
PAGED_URLS = [
    "https://www.brackenford.example/councillors",
    "https://www.brackenford.example/councillors?page=1",
    "https://www.brackenford.example/councillors?page=2",
]
SINGLE = (FIXTURES / "single.html").read_bytes()
JADU = HtmlConfig.from_mapping(CONFIGS["jadu-cards"])
DRUPAL = HtmlConfig.from_mapping(CONFIGS["drupal-views"])


def expected(stem: str) -> list[dict]:
    return json.loads((FIXTURES / f"{stem}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("stem", "url", "config"), PAGES)
def test_fixture_parses_to_its_expected_records(stem, url, config):
    roster = parse_html_roster((FIXTURES / f"{stem}.html").read_bytes(), url, HtmlConfig.from_mapping(CONFIGS[config]))
    assert records(roster) == expected(stem)
    assert roster.wards == sorted({r["ward"] for r in expected(stem)})


def test_single_page_drops_the_vacancy_and_the_repeat_and_reads_only_the_list():
    roster = parse_html_roster(SINGLE, SINGLE_URL, JADU)
    ids = [c.source_id for c in roster.councillors]
    assert SINGLE.count(b'<li class="councillor-card') == 16  # 13 people, a repeat, a vacancy, the sidebar's leader
    assert len(ids) == len(set(ids)) == 13
    assert ids.count("juno-pellingham-rook") == 1
    assert not any("Vacancy" in c.raw_name for c in roster.councillors)
    # The sidebar's card (outside the container) links to a page that is not a profile.
    assert not any("leader-of-the-council" in (c.profile_url or "") for c in roster.councillors)


def test_without_the_container_the_sidebar_card_is_an_error_not_a_councillor():
    config = HtmlConfig.from_mapping({k: v for k, v in CONFIGS["jadu-cards"].items() if k != "container"})
    with pytest.raises(SourceError, match="'Councillor Morwenna Wyvernshaw' has no identifier"):
        parse_html_roster(SINGLE, SINGLE_URL, config)


def test_notes_carry_the_card_text_and_stored_fields_carry_no_phone_number():
    roster = parse_html_roster(SINGLE, SINGLE_URL, JADU)
    by_id = {c.source_id: c for c in roster.councillors}
    assert by_id["fionnuala-inkpenny"].notes == (
        "Councillor Fionnuala Inkpenny Ward: Lower Saltings Party: Independent Surgery: first Saturday of the month,"
        " 10am to noon, Lower Saltings Library Email Fionnuala Inkpenny",
    )
    yarrowby = by_id["dorothea-yarrowby"]
    assert "01632 960418" in yarrowby.notes[0]
    stored = [v for c in roster.councillors for k, v in vars(c).items() if k != "notes"]
    assert not any("01632" in str(v) or "twitter" in str(v).lower() for v in stored)


# ---------------------------------------------------------------------------
# A paged directory


def paged_site() -> dict[str, bytes]:
    return {url: (FIXTURES / f"paged-{n}.html").read_bytes() for n, url in enumerate(PAGED_URLS, 1)}


def test_following_next_links_reads_every_page_and_the_merge_is_the_expected_roster():
    site = paged_site()
    url, visited, pages = PAGED_URLS[0], [], []
    while url is not None:
        assert url in site and url not in visited
        visited.append(url)
        pages.append(parse_html_roster(site[url], url, DRUPAL))
        url = next_page_url(site[url], url, DRUPAL)
    assert visited == PAGED_URLS
    assert [len(p.councillors) for p in pages] == [5, 5, 2]  # the last page's vacancy is dropped
    merged = merge_pages(pages)
    assert records(merged) == expected("paged")
    assert len(merged.councillors) == 11  # Ebony Tarrantine is on pages 1 and 2
    assert merged.wards == ["Abbotsmead", "Brackenford Central", "Cressfield", "Dunmere", "Eastwold", "Fernhollow"]


def test_a_page_is_parsed_once_for_its_councillors_and_its_next_link(monkeypatch):
    import scrapers.html

    parsed = []
    real = scrapers.html._soup
    monkeypatch.setattr(scrapers.html, "_soup", lambda content: parsed.append(content) or real(content))
    site = paged_site()
    first, second = (site[url] for url in PAGED_URLS[:2])
    parse_html_roster(first, PAGED_URLS[0], DRUPAL)
    assert next_page_url(first, PAGED_URLS[0], DRUPAL) == PAGED_URLS[1]
    assert parsed == [first]
    # another page's link is read from that page, never from the tree kept for the last one
    assert next_page_url(second, PAGED_URLS[1], DRUPAL) == PAGED_URLS[2]
    assert parsed == [first, second]


def test_the_last_page_has_no_next_page():
    assert next_page_url(paged_site()[PAGED_URLS[2]], PAGED_URLS[2], DRUPAL) is None


NEXT = HtmlConfig.from_mapping({"councillor": "li", "name": "a", "ward": "span", "next_page": "a[rel=next]@href"})
PAGE = "https://www.brackenford.example/councillors?page=2"


@pytest.mark.parametrize(
    ("link", "want"),
    [
        ('<a rel="next" href="?page=3">Next</a>', "https://www.brackenford.example/councillors?page=3"),
        (
            '<a rel="next" href="/councillors/all?page=3">Next</a>',
            "https://www.brackenford.example/councillors/all?page=3",
        ),
        (
            '<a rel="next" href="http://WWW.Brackenford.example/councillors?page=3">Next</a>',
            "http://WWW.Brackenford.example/councillors?page=3",
        ),
        ('<a rel="next" href="#">Next</a>', None),
        ('<a rel="next" href="">Next</a>', None),
        ('<a rel="next">Next</a>', None),
        ('<a rel="next" href="javascript:void(0)">Next</a>', None),
        ('<a rel="next" href="mailto:someone@brackenford.example">Next</a>', None),
        ('<a rel="next" href="?page=2">Next</a>', None),  # the page itself
        ('<a rel="next" href="https://www.brackenford.example/councillors?page=2#top">Next</a>', None),
        ('<a rel="prev" href="?page=1">Previous</a>', None),
        ("", None),
    ],
)
def test_next_page_link_rules(link, want):
    assert next_page_url(f"<html><body><nav>{link}</nav></body></html>".encode(), PAGE, NEXT) == want


@pytest.mark.parametrize(
    "href",
    [
        "https://elsewhere.example/councillors?page=3",
        "//elsewhere.example/councillors?page=3",
        "https://www.brackenford.example.elsewhere.example/councillors?page=3",
    ],
)
def test_a_next_link_to_another_host_is_a_source_error(href):
    page = f'<a rel="next" href="{href}">Next</a>'.encode()
    with pytest.raises(SourceError, match="next page link leaves the site: https://"):
        next_page_url(page, PAGE, NEXT)


def test_without_a_next_page_spec_there_is_no_next_page():
    assert next_page_url(paged_site()[PAGED_URLS[0]], PAGED_URLS[0], JADU) is None


def _roster(*people: tuple[str, str]) -> Roster:
    councillors = [ScrapedCouncillor(source_id=i, name=i.title(), raw_name=i.title(), ward=w) for i, w in people]
    return Roster(councillors, sorted({w for _, w in people}), source_url=f"https://x.example/{people[0][0]}")


def test_merge_pages_keeps_page_order_and_the_first_of_repeats():
    merged = merge_pages([_roster(("b", "Zed"), ("a", "Alpha")), _roster(("a", "Moved"), ("c", "Mid"))])
    assert [(c.source_id, c.ward) for c in merged.councillors] == [("b", "Zed"), ("a", "Alpha"), ("c", "Mid")]
    assert merged.wards == ["Alpha", "Mid", "Zed"]
    assert merged.source_url == "https://x.example/b"
    with pytest.raises(ValueError, match="at least one page"):
        merge_pages([])


# ---------------------------------------------------------------------------
# Hostile and broken pages

CARD = '<li class="councillor-card"><h3 class="councillor-card__name">{name}</h3><p class="councillor-card__ward">{ward}</p></li>'


@pytest.mark.parametrize(
    ("page", "error"),
    [
        (b"", "container selector 'ul.councillor-list' matched 0 elements"),
        (
            b"<html><head><title>Page not found</title></head><body><h1>Page not found</h1>"
            b"<p>Sorry, we could not find that page.</p></body></html>",
            "matched 0 elements",
        ),
        (
            b'<ul class="councillor-list"></ul><ul class="councillor-list"></ul>',
            "container selector 'ul.councillor-list' matched 2 elements",
        ),
        (
            b'<ul class="councillor-list"><li class="person">A new design</li></ul>',
            "no councillors matched 'li.councillor-card'",
        ),
        (
            '<ul class="councillor-list">{}</ul>'.format(
                CARD.format(name='<a href="/councillors/x">Cllr X Yz</a>', ward="")
            ).encode(),
            "councillor 'Cllr X Yz' has no ward",
        ),
        (
            '<ul class="councillor-list">{}</ul>'.format(CARD.format(name="", ward="Ward: Somewhere")).encode(),
            "1 elements matched 'li.councillor-card' but none had a name",
        ),
        (
            '<ul class="councillor-list">{}</ul>'.format(
                CARD.format(name='<a href="javascript:show(7)">Cllr X Yz</a>', ward="Ward: Mill")
            ).encode(),
            "councillor 'Cllr X Yz' has no identifier",
        ),
        (
            '<ul class="councillor-list">{}</ul>'.format(
                CARD.format(name='<a href="/people/x-yz">Cllr X Yz</a>', ward="Ward: Mill")
            ).encode(),
            "councillor 'Cllr X Yz' has no identifier",
        ),  # id_pattern does not match
    ],
)
def test_pages_that_are_not_the_configured_roster_are_source_errors(page, error):
    with pytest.raises(SourceError, match=re.escape(error)):
        parse_html_roster(page, SINGLE_URL, JADU)


@pytest.mark.parametrize("inside", [b"", b"\n  ", b"<!-- no members -->"])
def test_an_empty_list_in_its_container_is_zero_councillors_not_an_error(inside):
    roster = parse_html_roster(b'<ul class="councillor-list">' + inside + b"</ul>", SINGLE_URL, JADU)
    assert roster.councillors == [] and roster.wards == []  # the merge quarantines it (zero_results)


def test_a_councillor_smuggled_in_a_script_is_not_read():
    fake = CARD.format(name='<a href="/councillors/fake-person">Councillor Fake Person</a>', ward="Ward: Nowhere")
    single_quoted = fake.replace('"', "'")
    script = f"<script>document.write('{fake}'); var template = \"{single_quoted}\";</script>".encode()
    page = SINGLE.replace(b'<li class="councillor-list__letter" id="letter-b">', script + b'<li id="letter-b">', 1)
    ward = b'<p class="councillor-card__ward">Ward: Bramblecote</p>'
    page = page.replace(ward, script + ward, 1)  # inside Aurelia Brindlecombe's card
    assert page.count(b"fake-person") == 4
    roster = parse_html_roster(page, SINGLE_URL, JADU)
    assert records(roster) == expected("single")
    assert not any("Fake" in note for c in roster.councillors for note in c.notes)


def test_a_truncated_page_parses_what_arrived_or_fails():
    cards = [m.start() for m in re.finditer(rb'<li class="councillor-card', SINGLE)]
    whole = [r["id"] for r in expected("single")]
    # Cut just before the fifth card: the first four councillors, nothing invented.
    roster = parse_html_roster(SINGLE[: cards[4]], SINGLE_URL, JADU)
    assert [c.source_id for c in roster.councillors] == whole[:4]
    # Cut inside the fifth card, after its name and before its ward: a councillor without a ward.
    cut = SINGLE.index(b"</h3>", cards[4]) + len(b"</h3>")
    with pytest.raises(SourceError, match="'Councillor Fionnuala Inkpenny' has no ward"):
        parse_html_roster(SINGLE[:cut], SINGLE_URL, JADU)


@pytest.mark.parametrize(
    ("href", "src", "profile", "photo"),
    [
        (
            "/councillors/x-yz",
            "/p/x.jpg",
            "https://www.ashcombevale.example/councillors/x-yz",
            "https://www.ashcombevale.example/p/x.jpg",
        ),
        ("javascript:void(0)", "data:image/gif;base64,R0lGOD", None, None),
        (" JavaScript:alert(1) ", "javascript:alert(1)", None, None),
        ("ftp://www.ashcombevale.example/councillors/x-yz", "file:///etc/passwd", None, None),
        (
            "http://[::1/councillors/x-yz",
            "//cdn.ashcombevale.example/x.jpg#frag",
            None,
            "https://cdn.ashcombevale.example/x.jpg",
        ),
        (
            "https://www.ashcombevale.example/councillors/x-yz#contact",
            "x.jpg",
            "https://www.ashcombevale.example/councillors/x-yz#contact",
            "https://www.ashcombevale.example/your-council/x.jpg",
        ),
    ],
)
def test_only_web_urls_are_kept(href, src, profile, photo):
    config = HtmlConfig.from_mapping(CONFIGS["jadu-cards"] | {"identifier": "@data-id", "id_pattern": None})
    card = (
        f'<li class="councillor-card" data-id="77"><img src="{src}"><h3 class="councillor-card__name">'
        f'<a href="{href}">Cllr X Yz</a></h3><p class="councillor-card__ward">Ward: Mill</p></li>'
    )
    (councillor,) = parse_html_roster(
        f'<ul class="councillor-list">{card}</ul>'.encode(), SINGLE_URL, config
    ).councillors
    assert (councillor.source_id, councillor.profile_url, councillor.photo_url) == ("77", profile, photo)


@pytest.mark.parametrize(
    ("config", "href", "want"),
    [
        ({}, "/councillors/x-yz/", "x-yz"),
        ({"id_pattern": None}, "/councillors/x-yz/", "/councillors/x-yz"),
        ({"id_pattern": None}, "member.asp?id=9", "/your-council/member.asp?id=9"),
        ({"id_pattern": None}, "https://www.ashcombevale.example/", ""),
        ({"identifier": "@data-uid", "id_pattern": None}, "javascript:void(0)", "U-41"),
        ({"identifier": "@data-uid", "id_pattern": r"U-(\d+)"}, "/councillors/x-yz", "41"),
    ],
)
def test_source_id_comes_from_the_identifier_the_pattern_or_the_profile_path(config, href, want):
    config = HtmlConfig.from_mapping(CONFIGS["jadu-cards"] | config)
    card = (
        f'<li class="councillor-card" data-uid="U-41"><h3 class="councillor-card__name"><a href="{href}">Cllr X Yz</a></h3>'
        '<p class="councillor-card__ward">Mill</p></li>'
    )
    page = f'<ul class="councillor-list">{card}</ul>'.encode()
    if not want:
        with pytest.raises(SourceError, match="has no identifier"):
            parse_html_roster(page, SINGLE_URL, config)
    else:
        assert [c.source_id for c in parse_html_roster(page, SINGLE_URL, config).councillors] == [want]


def test_invalid_utf8_garbles_one_name_not_the_page():
    page = SINGLE.replace(b"Gideon\n          Larkhollow", b"Gid\xff\xfeeon Larkhollow")
    assert page != SINGLE
    roster = parse_html_roster(page, SINGLE_URL, JADU)
    got = {c.source_id: c for c in roster.councillors}
    assert [c.source_id for c in roster.councillors] == [r["id"] for r in expected("single")]
    assert got["gideon-larkhollow"].name == "Gid\ufffd\ufffdeon Larkhollow"
    assert got["kasimir-thistlegate"].ward == "St Wendreda\u2019s"  # the rest is still UTF-8


@pytest.mark.parametrize(
    "page",
    [
        random.Random(0).randbytes(5_000_000),
        bytes(random.Random(1).choices(b"<>/=\"' abcdefghijlu&;#!-\n", k=5_000_000)),
        SINGLE.replace(b"<footer", b"<!-- " + b"junk " * 1_000_000 + b"--><footer", 1),
    ],
    ids=["random-bytes", "tag-soup", "padded-real-page"],
)
def test_a_five_megabyte_page_of_junk_parses_or_fails_in_reasonable_time(page):
    assert len(page) >= 5_000_000
    started = time.monotonic()
    try:
        roster = parse_html_roster(page, SINGLE_URL, JADU)
    except SourceError:
        roster = None
    assert time.monotonic() - started < 60
    if roster is not None:
        assert [c.source_id for c in roster.councillors] == [r["id"] for r in expected("single")]


def test_deeply_nested_markup_is_not_a_crash():
    with pytest.raises(SourceError, match="matched 0 elements"):
        parse_html_roster(b"<div>" * 50_000 + b"<ul>" * 50_000, SINGLE_URL, JADU)


# ---------------------------------------------------------------------------
# Field specs and e-mail addresses

ELEMENT = BeautifulSoup(
    '<li class="card wide" data-id=" 12 "><a href="mailto:a@b.example">Email  <b>me</b></a>'
    '<a href="https://x.example/p?q=1@2">Profile</a><span class="ward">\n Mill\u00a0 End </span></li>',
    "html.parser",
).li


@pytest.mark.parametrize(
    ("spec", "want"),
    [
        ("span.ward", "Mill End"),
        ("a", "Email me"),
        ("a@href", "mailto:a@b.example"),
        ("a[href*='@2']@href", "https://x.example/p?q=1@2"),
        ("a[href*='@2']", "Profile"),
        ("@data-id", "12"),
        ("@class", "card wide"),
        ("@title", ""),
        ("img@src", ""),
        ("span.missing", ""),
    ],
)
def test_select_field(spec, want):
    assert select_field(ELEMENT, spec) == want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("mailto:jo.bloggs@council.example", "jo.bloggs@council.example"),
        ("MAILTO:Jo.Bloggs@Council.example?subject=Hello&body=x", "Jo.Bloggs@Council.example"),
        ("mailto:jo%2Ebloggs%40council.example", "jo.bloggs@council.example"),
        (" jo@council.example ", "jo@council.example"),
        ("Email Jo Bloggs", None),
        ("mailto:", None),
        ("mailto:jo@council", None),
        ("mailto:jo@council.example,al@council.example", None),
        ("javascript:alert('jo@council.example')", None),
        ("", None),
        (None, None),
    ],
)
def test_email_address(value, want):
    assert email_address(value) == want


# ---------------------------------------------------------------------------
# Configuration

GOOD = {"councillor": "li.card", "name": "h3", "ward": "p.ward"}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"name": "h3", "ward": "p"}, "missing required key(s) 'councillor'"),
        ({"councillor": "li"}, "missing required key(s) 'name', 'ward'"),
        (GOOD | {"name": None}, "missing required key(s) 'name'"),
        (GOOD | {"colour": "red"}, "unknown key(s) 'colour'"),
        (GOOD | {"party": 3}, "'party' must be a string, or a mapping with 'from', not int"),
        (GOOD | {"name": ["h3", "h4"]}, "'name' must be a string, or a mapping with 'from', not list"),
        (GOOD | {"councillor": "li["}, "'councillor' is not a valid CSS selector ('li[')"),
        (GOOD | {"container": "div:nonsense"}, "'container' is not a valid CSS selector"),
        (GOOD | {"ward": "p[class=@href"}, "'ward' is not a valid CSS selector ('p[class=')"),
        (GOOD | {"email": "a@"}, "'email' ends with '@' but names no attribute"),
        (GOOD | {"name": "  "}, "'name' is empty"),
        (GOOD | {"profile": ""}, "'profile' is empty"),
        (GOOD | {"profile": "a@href", "id_pattern": "(["}, "'id_pattern' is not a valid regex"),
        (
            GOOD | {"profile": "a@href", "id_pattern": r"/councillors/\w+"},
            "'id_pattern' must have exactly one group, not 0",
        ),
        (
            GOOD | {"profile": "a@href", "id_pattern": r"/(\w+)/(\d+)"},
            "'id_pattern' must have exactly one group, not 2",
        ),
        (GOOD | {"id_pattern": r"(\d+)"}, "'id_pattern' needs 'profile' or 'identifier'"),
        (GOOD | {"next_page": "@href"}, "'next_page' needs a CSS selector"),
        (["li", "h3", "p"], "html config must be a mapping, not list"),
    ],
)
def test_bad_configuration_is_a_value_error_naming_the_key(mapping, message):
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        HtmlConfig.from_mapping(mapping)
    assert "\n" not in str(caught.value)


def test_good_configuration_is_a_frozen_config_with_defaults():
    config = HtmlConfig.from_mapping(GOOD | {"party": None, "ward_label": "Ward:"})
    assert (config.councillor, config.party, config.ward_label, config.next_page) == ("li.card", None, "Ward:", None)
    with pytest.raises(AttributeError):
        config.name = "h4"
    with pytest.raises(ValueError, match="'councillor' is not a valid CSS selector"):
        HtmlConfig(councillor="li[", name="h3", ward="p")  # direct construction is checked too


# ---------------------------------------------------------------------------
# Mutation


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(SINGLE)), st.binary(max_size=40) | st.text(max_size=20).map(str.encode), st.integers(0, 200))
def test_mutated_pages_parse_or_fail_cleanly(position, noise, cut):
    page = SINGLE[:position] + noise + SINGLE[position + cut :]  # noise in, and up to 200 bytes out
    try:
        roster = parse_html_roster(page, SINGLE_URL, JADU)
    except SourceError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    ids = [c.source_id for c in roster.councillors]
    assert len(ids) == len(set(ids))
    # The wards are those of the councillors and of the vacant seats the page lists.
    assert roster.wards == sorted({c.ward for c in roster.councillors} | {w for w in roster.vacancies if w})
    for c in roster.councillors:
        assert c.source_id and c.ward == tidy(c.ward) and c.ward
        assert c.raw_name == tidy(c.raw_name) and c.name == clean_name(c.raw_name) and c.name
        for url in (c.profile_url, c.photo_url):
            assert url is None or url.startswith(("https://", "http://"))
        assert c.email is None or email_address(c.email) == c.email
