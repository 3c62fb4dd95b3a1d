"""The ModernGov roster parser against real council responses (tests/fixtures/moderngov/MANIFEST.md)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from scrapers.moderngov import parse_councillors_by_ward, parse_member_index
from scrapers.records import SourceError

ROOT = Path(__file__).parent / "fixtures" / "moderngov"
SYMROE = ROOT / "moderngov-xml-symroe-councillordata"
SENEDD = ROOT / "moderngov-xml-senedd-e-petitions"


def parse(path: Path):
    return parse_councillors_by_ward(path.read_bytes(), "https://democracy.example.gov.uk")


# file, wards, councillors (entries minus vacancies), councillors with an e-mail
COUNTS = [
    (SYMROE / "canterbury-gov-uk.GetCouncillorsByWard.xml", 21, 39, 39),
    (SYMROE / "kirklees-gov-uk.GetCouncillorsByWard.xml", 23, 69, 68),
    (SYMROE / "cardiff-co-uk.GetCouncillorsByWard.xml", 29, 75, 74),
    (SYMROE / "argyll-bute-gov-uk.GetCouncillorsByWard.xml", 11, 35, 0),
    (SYMROE / "lambeth-gov-uk.GetCouncillorsByWard.xml", 21, 63, 63),
    (SYMROE / "staffordshire-gov-uk.GetCouncillorsByWard.xml", 60, 62, 61),
    (SYMROE / "newcastle-staffs-gov-uk.GetCouncillorsByWard.xml", 24, 59, 59),
    (SYMROE / "swindon-gov-uk.GetCouncillorsByWard.xml", 20, 57, 56),
    (SYMROE / "barking-dagenham-gov-uk.GetCouncillorsByWard.xml", 17, 51, 50),
    (SYMROE / "london-gov-uk.GetCouncillorsByWard.xml", 13, 26, 0),
    (SYMROE / "online-eastherts-gov-uk.GetCouncillorsByWard.xml", 0, 0, 0),
    (SENEDD / "senedd-members_en.GetCouncillorsByWard.xml", 2, 5, 5),
    (SENEDD / "senedd-members_cy.GetCouncillorsByWard.xml", 2, 5, 5),
]


@pytest.mark.parametrize(("path", "wards", "councillors", "emails"), COUNTS, ids=lambda v: getattr(v, "stem", v))
def test_counts_match_the_manifest(path, wards, councillors, emails):
    roster = parse(path)
    assert len(roster.wards) == wards
    assert len(roster.councillors) == councillors
    assert sum(1 for c in roster.councillors if c.email) == emails
    assert len({c.source_id for c in roster.councillors}) == councillors


# file, id, ward, raw name, clean name, party
ROWS = [
    ("canterbury-gov-uk", "4158", "Barton", "Oliver Fawcett", "Oliver Fawcett", "Conservative"),
    ("canterbury-gov-uk", "112", "Wincheap", "Charlotte MacCaul", "Charlotte MacCaul", "Liberal Democrats"),
    ("kirklees-gov-uk", "118", "Almondbury", "Councillor Judith Hughes", "Judith Hughes", "Labour"),
    ("kirklees-gov-uk", "155", "Newsome", "Councillor Julie Stewart-Turner", "Julie Stewart-Turner", "Green Party"),
    ("cardiff-co-uk", "184", "Whitchurch & Tongwynlais", "Councillor Ben Thomas", "Ben Thomas", "Labour"),
    ("argyll-bute-gov-uk", "1029", "Dunoon", "Councillor Michael Breslin", "Michael Breslin", ""),
    (
        "argyll-bute-gov-uk",
        "251",
        "South Kintyre",
        "Councillor Donald Kelly",
        "Donald Kelly",
        "Scottish Conservative and Unionists",
    ),
    ("lambeth-gov-uk", "8918", "Bishop's", "Councillor Kevin Craig", "Kevin Craig", "Labour"),
    ("lambeth-gov-uk", "6804", "Brixton Hill", "Councillor Martin Tiedemann", "Martin Tiedemann", ""),
    ("staffordshire-gov-uk", "4785", "Cannock Chase - Brereton and Ravenhill", "Alan Dudson", "Alan Dudson", "Labour"),
    ("newcastle-staffs-gov-uk", "119", "Audley and Bignall End", "Councillor Ann Beech", "Ann Beech", "Labour"),
    ("swindon-gov-uk", "1578", "Blunsdon & Highworth", "Councillor Alan Bishop", "Alan Bishop", "CONSERVATIVE"),
    ("barking-dagenham-gov-uk", "1725", "Abbey", "Cllr Laila Butt", "Laila Butt", "Labour Party"),
    ("barking-dagenham-gov-uk", "1120", "Whalebone", "Cllr John White", "John White", "Labour Party"),
    ("london-gov-uk", "119", "Bexley and Bromley", "James Cleverly MP", "James Cleverly", "Conservative"),
    ("london-gov-uk", "361", "West Central", "Boris Johnson", "Boris Johnson", ""),
]


@pytest.mark.parametrize(("stem", "uid", "ward", "raw", "clean", "party"), ROWS, ids=lambda v: str(v)[:20])
def test_rows_match_the_manifest(stem, uid, ward, raw, clean, party):
    roster = parse(SYMROE / f"{stem}.GetCouncillorsByWard.xml")
    councillor = next(c for c in roster.councillors if c.source_id == uid)
    assert (councillor.ward, councillor.raw_name, councillor.name, councillor.party) == (ward, raw, clean, party)
    assert councillor.profile_url == f"https://democracy.example.gov.uk/mgUserInfo.aspx?UID={uid}"


@pytest.mark.parametrize(
    ("stem", "raw", "clean"),
    [
        ("lambeth-gov-uk", "Mayor Donatus Anyanwu", "Donatus Anyanwu"),
        ("lambeth-gov-uk", "Deputy Mayor Saleha Jaffer", "Saleha Jaffer"),
        ("newcastle-staffs-gov-uk", "CouncillorMrs Sandra Simpson", "Sandra Simpson"),
        ("newcastle-staffs-gov-uk", "The Mayor. Councillor Sandra Hambleton", "Sandra Hambleton"),
        ("newcastle-staffs-gov-uk", "Mayor's Consort. Councillor Trevor Hambleton", "Trevor Hambleton"),
        ("london-gov-uk", "Mayor John Biggs", "John Biggs"),
    ],
)
def test_titles_are_cleaned_and_the_raw_name_kept(stem, raw, clean):
    roster = parse(SYMROE / f"{stem}.GetCouncillorsByWard.xml")
    assert clean in {c.name for c in roster.councillors if c.raw_name == raw}


def test_known_details_of_individual_councillors():
    canterbury = {c.source_id: c for c in parse(SYMROE / "canterbury-gov-uk.GetCouncillorsByWard.xml").councillors}
    assert canterbury["4158"].email == "oliver.fawcett@councillor.canterbury.gov.uk"
    assert canterbury["4158"].term_ends.isoformat() == "2019-05-08"
    kirklees = {c.source_id: c for c in parse(SYMROE / "kirklees-gov-uk.GetCouncillorsByWard.xml").councillors}
    assert kirklees["149"].term_ends.isoformat() == "2016-05-05"
    cardiff = parse(SYMROE / "cardiff-co-uk.GetCouncillorsByWard.xml").councillors
    assert all(c.term_ends is None for c in cardiff)  # enddate "unspecified"


def test_party_tallies_match_the_manifest():
    parties = Counter(c.party for c in parse(SYMROE / "kirklees-gov-uk.GetCouncillorsByWard.xml").councillors)
    assert parties == {
        "Labour": 33,
        "Conservative": 18,
        "Liberal Democrat": 10,
        "Green Party": 4,
        "Valley Independent": 3,
        "Labour and Co-operative": 1,
    }
    argyll = Counter(c.party for c in parse(SYMROE / "argyll-bute-gov-uk.GetCouncillorsByWard.xml").councillors)
    assert argyll[""] == 3 and argyll["Independent"] == 14


def test_vacant_seats_are_counted_not_listed_as_councillors():
    roster = parse(SYMROE / "newcastle-staffs-gov-uk.GetCouncillorsByWard.xml")
    assert "714" not in {c.source_id for c in roster.councillors}
    assert not [c for c in roster.councillors if "vacant" in c.raw_name.lower()]
    assert roster.vacancies == ["Town"]


def test_welsh_language_roster_keeps_the_same_ids():
    en = {c.source_id: c for c in parse(SENEDD / "senedd-members_en.GetCouncillorsByWard.xml").councillors}
    cy = {c.source_id: c for c in parse(SENEDD / "senedd-members_cy.GetCouncillorsByWard.xml").councillors}
    assert en.keys() == cy.keys()
    # The MANIFEST lists "Welsh Labour and Co-operative Party" here, but the file itself
    # (byte-for-byte from the source) says "Welsh Labour"; the file is the authority.
    assert (en["249"].name, en["249"].party) == ("Vaughan Gething", "Welsh Labour")
    assert (cy["249"].name, cy["249"].party) == ("Vaughan Gething", "Llafur Cymru")
    assert (en["143"].name, cy["5040"].party) == ("Andrew RT Davies", "Annibynnol")


@pytest.mark.parametrize(
    ("stem", "reason"),
    [
        ("leeds-gov-uk", "HTML page"),
        ("denbighshire-gov-uk", "<script>"),
    ],
)
def test_error_pages_served_as_rosters_are_source_errors(stem, reason):
    with pytest.raises(SourceError, match=reason) as caught:
        parse(SYMROE / f"{stem}.GetCouncillorsByWard.xml")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [b"", b"   ", b"not xml at all", b"<councillorsbyward><wards><ward>", b'{"error": "json"}'],
)
def test_garbage_is_a_source_error(content):
    with pytest.raises(SourceError):
        parse_councillors_by_ward(content)


def test_entity_expansion_is_refused():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
<councillorsbyward><wards><ward><wardtitle>&lol2;</wardtitle></ward></wards></councillorsbyward>"""
    with pytest.raises(SourceError):
        parse_councillors_by_ward(bomb)


def test_home_addresses_and_phone_numbers_are_never_read():
    path = SYMROE / "newcastle-staffs-gov-uk.GetCouncillorsByWard.xml"
    text = repr(parse(path).councillors)
    for private in ("Rye Hill Farm", "ST7 8LP", "01782 729126", "07900166169", "07973 119842"):
        assert private in path.read_text(encoding="utf-8")
        assert private not in text


def test_handles_written_in_surgery_details_are_kept_for_mining():
    xml = b"""<councillorsbyward><wards><ward><wardtitle>Town</wardtitle><councillors><councillor>
    <councillorid>393</councillorid><fullusername>Councillor Example Person</fullusername>
    <surgerydetails><line1>Twitter - @CllrExample</line1></surgerydetails>
    </councillor></councillors></ward></wards></councillorsbyward>"""
    (councillor,) = parse_councillors_by_ward(xml).councillors
    assert councillor.notes == ("Twitter - @CllrExample",)


def test_newer_schema_elements_are_ignored():
    xml = b"""<?xml version="1.0" encoding="utf-8"?><councillorsbyward><wards><ward>
    <wardtitle>Caerdydd &amp; Penarth</wardtitle><councillors><councillorcount>1</councillorcount><councillor>
    <councillorid>249</councillorid><fullusername>Councillor Example Name MS</fullusername>
    <photobigurl>https://example.org/UserData/1/bigpic.png</photobigurl>
    <politicalpartytitle>Welsh Labour</politicalpartytitle><politicalgrouptitle>Labour Group</politicalgrouptitle>
    <additionalcontactinfo><line1>Ask about surgeries</line1></additionalcontactinfo>
    <workaddress><email>name@example.org</email></workaddress>
    </councillor></councillors></ward></wards></councillorsbyward>"""
    (c,) = parse_councillors_by_ward(xml, "https://example.org/moderngov/").councillors
    assert (c.name, c.ward, c.party, c.email) == (
        "Example Name",
        "Caerdydd & Penarth",
        "Welsh Labour",
        "name@example.org",
    )
    assert c.profile_url == "https://example.org/moderngov/mgUserInfo.aspx?UID=249"


# The HTML member index, read when a council has switched the web service off.
INDEX = Path(__file__).parent / "fixtures" / "moderngov-html"
INDEX_URL = "https://democracy.fictional-vale.example/mgMemberIndex.aspx?FN=WARD&VW=LIST&PIC=0"


def test_the_member_index_parses_to_its_expected_records():
    roster = parse_member_index((INDEX / "member-index-ward.html").read_bytes(), INDEX_URL)
    got = [
        {
            "id": c.source_id,
            "name": c.name,
            "raw_name": c.raw_name,
            "ward": c.ward,
            "party": c.party,
            "profile_url": c.profile_url,
            "photo_url": c.photo_url,
        }
        for c in roster.councillors
    ]
    assert got == json.loads((INDEX / "member-index-ward.expected.json").read_text(encoding="utf-8"))
    assert roster.wards == ["Abbey & Priory", "Castle Hill", "Ysgol Fawr"]


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (b"", "no links to mgUserInfo.aspx"),
        (b"<html><body><h1>Server Error in '/' Application.</h1></body></html>", "no links to mgUserInfo.aspx"),
        (
            b'<div class="mgContent"><ul><li><p><a href="mgUserInfo.aspx?UID=5">Cllr A Person</a></p></li></ul></div>',
            "under no ward heading",
        ),  # listed alphabetically, not by ward
    ],
    ids=["empty", "error-page", "not-by-ward"],
)
def test_member_index_pages_that_are_not_rosters_are_source_errors(page, reason):
    with pytest.raises(SourceError, match=reason):
        parse_member_index(page, INDEX_URL)


def test_member_links_outside_the_content_area_are_not_members():
    page = (
        b'<div id="footer"><a href="mgUserInfo.aspx?UID=999">Site editor</a></div>'
        b'<div class="mgContent"><h2 class="mgSectionTitle">North</h2><ul>'
        b'<li><p><a href="mgUserInfo.aspx?UID=7">Cllr Bo Larchglen</a></p><p>Green Party</p></li></ul></div>'
    )
    roster = parse_member_index(page, INDEX_URL)
    assert [(c.source_id, c.name, c.ward, c.party) for c in roster.councillors] == [
        ("7", "Bo Larchglen", "North", "Green Party")
    ]
