"""The configuration extensions that let real HTML and JSON councils be read without code: text
transforms, fields from each councillor's own page, the ward from a heading above a group, ward
pages, and a JSON detail request per councillor. Pages here are written by us, people fictional."""

from __future__ import annotations

import json
import re

import pytest

from cllr.pipeline.roster_pages import NotModified, read_roster
from scrapers.families import FAMILIES
from scrapers.fields import Field, read_field
from scrapers.html import HtmlConfig
from scrapers.jsonapi import JsonConfig
from scrapers.records import SourceError
from tests.council_fixtures import FixturePage

BASE = "https://www.council.example/councillors"


def site(pages: dict[str, str | bytes | dict | list]):
    asked: list[tuple[str, bool]] = []

    def fetch(url: str, accept: str, conditional: bool) -> FixturePage:
        asked.append((url, conditional))
        body = pages[url]
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        return FixturePage(url, body.encode() if isinstance(body, str) else body)

    return fetch, asked


def names_and_wards(roster) -> list[tuple[str, str, str]]:
    return [(c.name, c.ward, c.party) for c in roster.councillors]


# Transforms --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "text", "value"),
    [
        ({"from": "h1", "pattern": r"^Ward \d+ - (.+?) - "}, "Ward 4 - Coldside - Ann Smyth", "Coldside"),
        ({"from": "h1", "pattern": r"\d+"}, "Ward 12", "12"),  # no group: the whole match
        ({"from": "h1", "pattern": r"^Ward (\d+)"}, "Coldside", ""),  # no match: nothing, never the text
        ({"from": "p", "split": " | ", "part": 0}, "Labour | Bangor East", "Labour"),
        ({"from": "p", "split": " | ", "part": -1}, "Labour | Bangor East", "Bangor East"),
        ({"from": "p", "split": " | ", "part": 3}, "Labour | Bangor East", ""),
        ({"from": "p", "split": "("}, "Anderston (Ward 10)", "Anderston"),  # part 0 by default
        ({"from": "h2", "last_first": True}, "Smyth, Ann Marie", "Ann Marie Smyth"),
        ({"from": "h2", "last_first": True}, "Ann Smyth", "Ann Smyth"),
        ({"from": "td", "default": "Independent"}, "", "Independent"),
        ({"from": "td", "default": "Independent"}, "Green", "Green"),
        ({"from": "h1", "pattern": r"^(.*?) Member$", "default": "Independent"}, "SNP Member", "SNP"),
        ("h1", "  Plain  text ", "Plain text"),
    ],
)
def test_a_fields_transforms_turn_its_text_into_the_value(spec, text, value):
    assert read_field("html", "ward", spec).value(text) == value


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"pattern": "x"}, "needs 'from'"),
        ({"from": "h1", "colour": "red"}, "unknown key(s) 'colour'"),
        ({"from": "h1", "pattern": "(["}, "'pattern' is not a valid regex"),
        ({"from": "h1", "pattern": "(a)(b)"}, "at most one group"),
        ({"from": "h1", "part": 1}, "'part' needs 'split'"),
        ({"from": "h1", "split": " ", "part": "1"}, "'part' must be a whole number"),
        ({"from": "h1", "split": ""}, "'split' is empty"),
        ({"from": "h1", "last_first": "yes"}, "'last_first' must be true or false"),
        (["h1"], "must be a string, or a mapping with 'from', not list"),
    ],
)
def test_a_malformed_field_is_a_value_error_naming_it(spec, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        read_field("html", "ward", spec)


def test_a_field_with_transforms_is_checked_as_a_selector_too():
    with pytest.raises(ValueError, match="'ward' is not a valid CSS selector"):
        HtmlConfig.from_mapping({"councillor": "li", "name": "a", "ward": {"from": "p[", "split": "|"}})


# Fields from each councillor's own page (HTML) ------------------------------------------------

LIST = f"""<html><body><nav><a href="/">Home</a></nav><ul class="members">
<li><a href="{BASE}/1">Cllr Ann Smyth</a></li>
<li><a href="{BASE}/2">Cllr Bo Reid</a></li>
<li><span>Vacancy</span></li>
</ul><footer><a href="https://x.com/council">Council on X</a></footer></body></html>"""
PAGE = "<html><body><h1>{name}</h1><p class='meta'>{party} | {ward}</p><a href='mailto:{mail}'>e-mail</a></body></html>"
DETAIL = {
    "councillor": "ul.members li",
    "profile": "a@href",
    "detail": {
        "name": "h1",
        "party": {"from": "p.meta", "split": " | ", "part": 0},
        "ward": {"from": "p.meta", "split": " | ", "part": 1},
        "email": "a[href^='mailto:']@href",
    },
}


def test_fields_are_read_from_each_councillors_own_page_and_the_pages_are_handed_on():
    fetch, asked = site(
        {
            BASE: LIST,
            f"{BASE}/1": PAGE.format(
                name="Councillor Ann Smyth", party="Labour", ward="Bangor East", mail="a@c.example"
            ),
            f"{BASE}/2": PAGE.format(name="Bo Reid", party="Alliance", ward="Holywood", mail="not an address"),
        }
    )
    read = read_roster(FAMILIES["html"], HtmlConfig.from_mapping(DETAIL), BASE, BASE, fetch)
    assert names_and_wards(read.roster) == [("Ann Smyth", "Bangor East", "Labour"), ("Bo Reid", "Holywood", "Alliance")]
    assert [c.email for c in read.roster.councillors] == ["a@c.example", None]
    assert read.roster.wards == ["Bangor East", "Holywood"]
    assert sorted(read.own_pages) == [f"{BASE}/1", f"{BASE}/2"]  # for account discovery, without asking again
    assert asked == [(BASE, False), (f"{BASE}/1", False), (f"{BASE}/2", False)]  # read in full: pages may change


def test_a_councillors_page_without_a_ward_fails_the_roster_rather_than_losing_the_ward():
    fetch, _ = site({BASE: LIST, f"{BASE}/1": "<html><body><h1>Ann Smyth</h1></body></html>", f"{BASE}/2": ""})
    with pytest.raises(SourceError, match=re.escape("has no ward at 'p.meta'")):
        read_roster(FAMILIES["html"], HtmlConfig.from_mapping(DETAIL), BASE, BASE, fetch)


def test_a_councillors_page_showing_a_vacancy_drops_the_seat():
    fetch, _ = site(
        {
            BASE: LIST,
            f"{BASE}/1": PAGE.format(name="Vacant seat", party="", ward="Bangor East", mail=""),
            f"{BASE}/2": PAGE.format(name="Bo Reid", party="Alliance", ward="Holywood", mail=""),
        }
    )
    read = read_roster(FAMILIES["html"], HtmlConfig.from_mapping(DETAIL), BASE, BASE, fetch)
    assert names_and_wards(read.roster) == [("Bo Reid", "Holywood", "Alliance")]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"councillor": "li", "detail": {"ward": "p"}}, "missing required key(s) 'name'"),
        ({"councillor": "li", "name": "a", "detail": {"ward": "p"}}, "'detail' needs 'profile'"),
        (
            {"councillor": "li", "name": "a", "ward": "p", "profile": "a@href", "detail": {"colour": "p"}},
            "unknown key(s) 'colour'",
        ),
        ({"councillor": "li", "name": "a", "profile": "a@href", "detail": "h1"}, "'detail' must be a mapping"),
        ({"councillor": "li", "name": "a"}, "missing required key(s) 'ward'"),
    ],
)
def test_detail_configuration_is_checked(mapping, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        HtmlConfig.from_mapping(mapping)


# The ward from the heading above a group -------------------------------------------------------

GROUPED = """<html><body><main>
<h2>Ward 1 - Ballyclare</h2><div class="c"><span class="n">Smyth, Ann</span><span class="p">DUP</span></div>
<div class="c"><span class="n">Reid, Bo</span><span class="p">UUP</span></div>
<h2>Ward 2 - Glengormley</h2><div class="c"><span class="n">Lowe, Cy</span><span class="p">Alliance</span></div>
</main></body></html>"""


def test_the_ward_is_the_nearest_heading_above_each_councillor():
    config = HtmlConfig.from_mapping(
        {
            "councillor": "div.c",
            "name": {"from": "span.n", "last_first": True},
            "party": "span.p",
            "identifier": "span.n",
            "ward_heading": {"from": "h2", "pattern": r"^Ward \d+ - (.+)$"},
        }
    )
    fetch, _ = site({BASE: GROUPED})
    roster = read_roster(FAMILIES["html"], config, BASE, BASE, fetch).roster
    assert names_and_wards(roster) == [
        ("Ann Smyth", "Ballyclare", "DUP"),
        ("Bo Reid", "Ballyclare", "UUP"),
        ("Cy Lowe", "Glengormley", "Alliance"),
    ]


def test_a_councillor_above_every_heading_has_no_ward_and_fails_the_page():
    config = HtmlConfig.from_mapping({"councillor": "div.c", "name": "span.n", "ward_heading": "h3"})
    fetch, _ = site(
        {
            BASE: GROUPED.replace("<h2>Ward 2", "<h3>Ward 2").replace(
                '</h2><div class="c"><span class="n">Lowe', '</h3><div class="c"><span class="n">Lowe'
            )
        }
    )
    with pytest.raises(SourceError, match="has no ward at 'h3'"):
        read_roster(FAMILIES["html"], config, BASE, BASE, fetch)


# Ward pages ------------------------------------------------------------------------------------

INDEX = f"""<html><body><ul class="wards"><li><a href="{BASE}/ward/a">Ampthill</a></li>
<li><a href="/councillors/ward/b#top">Biggleswade North</a></li><li><a href="/councillors/ward/a">Ampthill</a></li></ul></body></html>"""
WARD = "<html><body><div class='m'><a href='/c/{id}'>{name}</a><span class='party'>{party}</span></div></body></html>"
BY_WARD = {
    "councillor": "div.m",
    "name": "a",
    "profile": "a@href",
    "party": "span.party",
    "ward_pages": "ul.wards a@href",
}


def test_each_ward_page_is_read_with_its_links_text_as_the_ward():
    fetch, asked = site(
        {
            BASE: INDEX,
            f"{BASE}/ward/a": WARD.format(id=1, name="Ann Smyth", party="Conservative"),
            f"{BASE}/ward/b": WARD.format(id=2, name="Bo Reid", party="Labour"),
        }
    )
    roster = read_roster(FAMILIES["html"], HtmlConfig.from_mapping(BY_WARD), BASE, BASE, fetch).roster
    assert names_and_wards(roster) == [
        ("Ann Smyth", "Ampthill", "Conservative"),
        ("Bo Reid", "Biggleswade North", "Labour"),
    ]
    assert [url for url, _ in asked] == [BASE, f"{BASE}/ward/a", f"{BASE}/ward/b"]  # each once, fragment dropped


def test_a_ward_page_link_off_the_site_is_refused():
    fetch, _ = site({BASE: INDEX.replace(f"{BASE}/ward/a", "https://elsewhere.example/ward/a")})
    with pytest.raises(SourceError, match="a ward page link leaves the site"):
        read_roster(FAMILIES["html"], HtmlConfig.from_mapping(BY_WARD), BASE, BASE, fetch)


def test_a_ward_index_with_no_ward_links_is_an_error_not_an_empty_council():
    fetch, _ = site({BASE: "<html><body><p>Page moved</p></body></html>"})
    with pytest.raises(SourceError, match="no ward pages linked"):
        read_roster(FAMILIES["html"], HtmlConfig.from_mapping(BY_WARD), BASE, BASE, fetch)


# A JSON detail request per councillor ------------------------------------------------------------

API = "https://info.council.example/Democracy.asmx"
JSON_DETAIL = {
    "records": "",
    "id": "memberRef",
    "detail_template": f"{API}/GetCouncillor?councillorRef={{id}}",
    "detail": {"name": "fullName", "ward": "ward", "party": "affiliation", "email": "emailAddress"},
}


def test_a_json_roster_of_ids_is_completed_by_one_request_per_councillor():
    fetch, asked = site(
        {
            f"{API}/GetAllCouncillors": [{"memberRef": "17"}, {"memberRef": "4 2"}],
            f"{API}/GetCouncillor?councillorRef=17": {
                "fullName": "Cllr Ann Smyth",
                "ward": "Alfreton",
                "affiliation": "Labour",
            },
            f"{API}/GetCouncillor?councillorRef=4%202": {
                "fullName": "Bo Reid",
                "ward": "Belper East",
                "affiliation": "Conservative",
                "emailAddress": "bo.reid@council.example",
            },
        }
    )
    read = read_roster(FAMILIES["json"], JsonConfig.from_mapping(JSON_DETAIL), f"{API}/GetAllCouncillors", API, fetch)
    assert names_and_wards(read.roster) == [
        ("Ann Smyth", "Alfreton", "Labour"),
        ("Bo Reid", "Belper East", "Conservative"),
    ]
    assert [c.source_id for c in read.roster.councillors] == ["17", "4 2"]
    assert read.roster.councillors[1].email == "bo.reid@council.example"
    assert read.own_pages == {}  # detail records are not profile pages
    assert len(asked) == 3


def test_a_json_detail_document_that_is_not_the_record_fails_the_roster():
    fetch, _ = site({f"{API}/GetAllCouncillors": [{"memberRef": "17"}], f"{API}/GetCouncillor?councillorRef=17": []})
    with pytest.raises(SourceError, match="no object at the top level of the detail document"):
        read_roster(FAMILIES["json"], JsonConfig.from_mapping(JSON_DETAIL), f"{API}/GetAllCouncillors", API, fetch)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"records": "", "id": "x", "detail": {"ward": "w"}, "name": "n"}, "'detail' needs 'detail_template'"),
        (
            {"records": "", "id": "x", "name": "n", "ward": "w", "detail_template": "https://a.example/{id}"},
            "'detail_template' needs 'detail'",
        ),
        (
            {
                "records": "",
                "id": "x",
                "detail_template": "https://a.example/{ref}",
                "detail": {"name": "n", "ward": "w"},
            },
            "may use only '{id}'",
        ),
        (
            {"records": "", "id": "x", "detail": {"name": "n"}, "detail_template": "https://a.example/{id}"},
            "missing required key(s) 'ward'",
        ),
    ],
)
def test_json_detail_configuration_is_checked(mapping, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        JsonConfig.from_mapping(mapping)


# Conditional reading ---------------------------------------------------------------------------------


def test_only_a_one_page_roster_is_read_conditionally_and_its_304_means_nothing_to_do():
    asked = []

    def fetch(url, accept, conditional):
        asked.append(conditional)
        return FixturePage(url, b"", not_modified=True)

    config = HtmlConfig.from_mapping({"councillor": "li", "name": "a", "ward": "span"})
    with pytest.raises(NotModified):
        read_roster(FAMILIES["html"], config, BASE, BASE, fetch)
    assert asked == [True]
    assert isinstance(config.name, Field)
