"""The JSON family on fixtures written to common council web-service structures (tests/fixtures/json)."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cllr.names import clean_name, tidy
from scrapers.html import email_address
from scrapers.jsonapi import JsonConfig, parse_json_roster
from scrapers.records import SourceError

from .expected_records import records

FIXTURES = Path(__file__).parent / "fixtures" / "json"

ASMX_URL = "https://democracy.kestrelford.example/democracy/services/MemberService.asmx/GetMembers"
ASMX = {
    "records": "d.results",
    "id": "MemberId",
    "name": "FullName",
    "ward": "WardName",
    "party": "PartyName",
    "email": "Email",
    "photo": "PhotoUrl",
    "profile": "ProfileUrl",
}
DIRECTORY = {
    "records": "data.items",
    "id": "alias",
    "name": "title",
    "first_name": "fields.first-name.value",
    "last_name": "fields.last-name.value",
    "ward": "fields.ward.value",
    "party": "fields.party.value",
    "email": "fields.email.value",
    "photo": "fields.photo.value",
    "profile_template": "https://www.harrowgate.example/councillors/{id}",
}
DOCUMENTS = [
    ("democracy-asmx", ASMX_URL, ASMX),
    (
        "directory-entries",
        "https://www.harrowgate.example/index.php?option=com_councillors&view=entries&format=json",
        DIRECTORY,
    ),
]
ASMX_BYTES = (FIXTURES / "democracy-asmx.json").read_bytes()
ASMX_CONFIG = JsonConfig.from_mapping(ASMX)


def expected(stem: str) -> list[dict]:
    return json.loads((FIXTURES / f"{stem}.expected.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("stem", "url", "config"), DOCUMENTS)
def test_fixture_parses_to_its_expected_records(stem, url, config):
    roster = parse_json_roster((FIXTURES / f"{stem}.json").read_bytes(), url, JsonConfig.from_mapping(config))
    assert records(roster) == expected(stem)
    assert roster.wards == sorted({r["ward"] for r in expected(stem)})


def test_the_asmx_fixture_drops_its_vacancy_and_repeat_and_reads_no_phone():
    document = json.loads(ASMX_BYTES)["d"]["results"]
    roster = parse_json_roster(ASMX_BYTES, ASMX_URL, ASMX_CONFIG)
    assert len(document) == 11 and len(roster.councillors) == 9  # less a vacancy and a repeat
    assert "0" not in {c.source_id for c in roster.councillors}
    assert not any("01632" in str(v) for c in roster.councillors for v in vars(c).values())


def doc(records, wrap=lambda r: {"d": {"results": r}}) -> bytes:
    return json.dumps(wrap(records)).encode()


ONE = {"MemberId": 7, "FullName": "Councillor Ada Quince", "WardName": "Mill"}


@pytest.mark.parametrize(
    ("content", "config", "ids"),
    [
        (doc([ONE], lambda r: {"d": r}), {"records": "d"}, ["7"]),
        (doc([ONE], lambda r: r), {"records": ""}, ["7"]),
        (doc([ONE], lambda r: {"data": [{"members": r}]}), {"records": "data.0.members"}, ["7"]),
        (doc([ONE], lambda r: {"data": {"0": r}}), {"records": "data.0"}, ["7"]),
        (b"\xef\xbb\xbf" + doc([ONE]), {}, ["7"]),  # a byte-order mark
        (doc([]), {}, []),
        (doc([ONE | {"MemberId": 7.0}, ONE, ONE | {"MemberId": "7"}]), {}, ["7"]),  # one id, three spellings
        (
            doc([ONE | {"MemberId": "007"}, ONE | {"MemberId": 12345678901234567890}]),
            {},
            ["007", "12345678901234567890"],
        ),
        (doc([ONE | {"MemberId": " m-7 "}]), {}, ["m-7"]),
        (doc([{"MemberId": None, "FullName": "Vacant", "WardName": "Mill"}, ONE]), {}, ["7"]),
        (
            doc([{"Member": {"Id": 7, "Names": ["Ada", "Quince"]}, "Ward": {"Name": "Mill"}}]),
            {"id": "Member.Id", "name": "Member.Names", "ward": "Ward.Name"},
            ["7"],
        ),
    ],
)
def test_document_shapes_and_ids(content, config, ids):
    roster = parse_json_roster(content, ASMX_URL, JsonConfig.from_mapping(ASMX | config))
    assert [c.source_id for c in roster.councillors] == ids
    assert roster.wards == (["Mill"] if ids else [])


def test_an_empty_list_is_an_empty_roster_not_an_error():
    roster = parse_json_roster(b'{"d": {"results": []}}', ASMX_URL, ASMX_CONFIG)
    assert roster.councillors == [] and roster.wards == []


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", "not JSON: Expecting value: line 1 column 1 (char 0)"),
        (b"<!DOCTYPE html><html><body><h1>Runtime Error</h1></body></html>", "not JSON:"),
        (b'{"d": {"results": [{"MemberId": 7,', "not JSON:"),
        (b'{"d": {"results": [{"FullName": "Ad\xe9 Quince"}]}}', "not UTF-8: invalid continuation byte at byte 35"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
        (b'{"d": {"results": [{"MemberId": ' + b"9" * 5000 + b"}]}}", "not JSON"),
        (b'{"d": {"results": {"MemberId": 7}}}', "no list at 'd.results' (found object)"),
        (b'{"d": {"results": "none"}}', "no list at 'd.results' (found string)"),
        (b'{"d": {"Results": []}}', "no list at 'd.results' (found nothing)"),
        (b'{"d": null}', "no list at 'd.results' (found nothing)"),
        (b'[{"d": {"results": []}}]', "no list at 'd.results' (found nothing)"),
        (b'{"d": {"results": [7, "Ada"]}}', "record 0 is not an object (found number)"),
        (
            b'{"d": {"results": [{"MemberId": 7, "FullName": "Ada Quince", "WardName": "Mill"}, null]}}',
            "record 1 is not an object (found null)",
        ),
        (doc([ONE, {"MemberId": 8, "WardName": "Mill"}]), "record 1 has no name at 'FullName'"),
        (doc([{"FullName": "Ada Quince", "WardName": "Mill"}]), "record 0 ('Ada Quince') has no id at 'MemberId'"),
        (doc([ONE | {"MemberId": True}]), "record 0 ('Councillor Ada Quince') has no id"),
        (doc([ONE | {"WardName": " "}]), "record 0 ('Councillor Ada Quince') has no ward at 'WardName'"),
        (doc([ONE | {"WardName": {"Name": "Mill"}}]), "record 0: 'WardName' is an object, not a value"),
        (doc([ONE | {"PartyName": [{"Name": "Labour"}]}]), "record 0: 'PartyName' holds arrays or objects, not values"),
        (doc([ONE | {"PartyName": ["Labour", ["Co-operative"]]}]), "record 0: 'PartyName' holds arrays or objects"),
        (
            doc([ONE | {"PartyName": json.loads("[" * 900 + "1" + "]" * 900)}]),
            "record 0: 'PartyName' holds arrays or objects",
        ),
    ],
)
def test_documents_that_are_not_the_configured_roster_are_source_errors(content, error):
    with pytest.raises(SourceError, match=re.escape(error)) as caught:
        parse_json_roster(content, ASMX_URL, ASMX_CONFIG)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value", "want"),
    [
        ("PartyName", "<p>Labour</p>", "Labour"),
        ("PartyName", "<p>Labour <b>and</b>\n Co-operative</p>", "Labour and Co-operative"),
        ("PartyName", "Plaid&nbsp;Cymru", "Plaid Cymru"),
        ("PartyName", "Labour &amp; Co-operative", "Labour & Co-operative"),
        ("PartyName", "<script>alert(1)</script>Green", "Green"),
        ("PartyName", None, ""),
        ("PartyName", ["Independent", None, "", "Residents"], "Independent, Residents"),
        ("PartyName", 42, "42"),
        ("PartyName", 1.5, "1.5"),
        ("Email", "mailto:ada@kestrelford.example?subject=Hi", "ada@kestrelford.example"),
        ("Email", '<a href="mailto:ada@kestrelford.example">ada@kestrelford.example</a>', "ada@kestrelford.example"),
        ("Email", "not published", None),
        ("ProfileUrl", "/democracy/members/7", "https://democracy.kestrelford.example/democracy/members/7"),
        ("ProfileUrl", "/m?id=7&copy=1", "https://democracy.kestrelford.example/m?id=7&copy=1"),  # not HTML-unescaped
        ("ProfileUrl", "javascript:void(0)", None),
        ("ProfileUrl", "data:text/html,<h1>x</h1>", None),
        ("PhotoUrl", "//cdn.kestrelford.example/7.jpg#x", "https://cdn.kestrelford.example/7.jpg"),
        ("PhotoUrl", "data:image/png;base64,iVBOR", None),
        ("PhotoUrl", "", None),
    ],
)
def test_field_values(field, value, want):
    (councillor,) = parse_json_roster(doc([ONE | {field: value}]), ASMX_URL, ASMX_CONFIG).councillors
    got = {
        "PartyName": councillor.party,
        "Email": councillor.email,
        "ProfileUrl": councillor.profile_url,
        "PhotoUrl": councillor.photo_url,
    }[field]
    assert got == want


def test_names_are_cleaned_or_joined_from_their_parts():
    config = JsonConfig.from_mapping(ASMX | {"first_name": "First", "last_name": "Last"})
    people = [
        ONE | {"FullName": "  The Mayor, Cllr\u00a0Ada\n Quince OBE "},
        ONE | {"MemberId": 8, "FullName": None, "First": "Bo", "Last": "Rowan-Teal"},
        ONE | {"MemberId": 9, "FullName": "", "First": None, "Last": "Sallow"},
        ONE | {"MemberId": 10, "FullName": "Vacancy", "First": None, "Last": None},
    ]
    roster = parse_json_roster(doc(people), ASMX_URL, config)
    assert [(c.source_id, c.name, c.raw_name) for c in roster.councillors] == [
        ("7", "Ada Quince", "The Mayor, Cllr Ada Quince OBE"),
        ("8", "Bo Rowan-Teal", "Bo Rowan-Teal"),
        ("9", "Sallow", "Sallow"),
    ]


@pytest.mark.parametrize(
    ("template", "member_id", "want"),
    [
        ("https://x.example/councillor/{id}", 7, "https://x.example/councillor/7"),
        (
            "/councillor/{id}/profile",
            "ada quince/2",
            "https://democracy.kestrelford.example/councillor/ada%20quince%2F2/profile",
        ),
        ("https://x.example/c?id={id}&tab=about", "7", "https://x.example/c?id=7&tab=about"),
    ],
)
def test_profile_template(template, member_id, want):
    config = JsonConfig.from_mapping(ASMX | {"profile": None, "profile_template": template})
    (councillor,) = parse_json_roster(doc([ONE | {"MemberId": member_id}]), ASMX_URL, config).councillors
    assert councillor.profile_url == want


def test_a_profile_path_wins_over_the_template_and_the_template_fills_gaps():
    config = JsonConfig.from_mapping(ASMX | {"profile_template": "https://x.example/c/{id}"})
    roster = parse_json_roster(
        doc([ONE | {"ProfileUrl": "/m/7"}, ONE | {"MemberId": 8, "ProfileUrl": None}]), ASMX_URL, config
    )
    assert [c.profile_url for c in roster.councillors] == [
        "https://democracy.kestrelford.example/m/7",
        "https://x.example/c/8",
    ]


# ---------------------------------------------------------------------------
# Configuration

GOOD = {"records": "d", "id": "Id", "name": "Name", "ward": "Ward"}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"id": "Id", "name": "Name", "ward": "Ward"}, "missing required key(s) 'records'"),
        ({"records": ""}, "missing required key(s) 'id', 'name', 'ward'"),
        (GOOD | {"ward": None}, "missing required key(s) 'ward'"),
        (GOOD | {"wards": "Ward"}, "unknown key(s) 'wards'"),
        (GOOD | {"id": 3}, "'id' must be a string, or a mapping with 'from', not int"),
        (GOOD | {"records": ["d", "results"]}, "'records' must be a string, not list"),
        (GOOD | {"name": ""}, "'name' is empty"),
        (GOOD | {"party": "fields..party"}, "'party' has an empty part in path 'fields..party'"),
        (GOOD | {"records": "d."}, "'records' has an empty part in path 'd.'"),
        (GOOD | {"profile_template": "https://x.example/{name}"}, "'profile_template' may use only '{id}'"),
        (
            GOOD | {"profile_template": "https://x.example/councillor"},
            "'profile_template' may use only '{id}' and must use it",
        ),
        (GOOD | {"profile_template": "https://x.example/{id!r}"}, "'profile_template' may use only '{id}'"),
        (GOOD | {"profile_template": "https://x.example/{id:>9}"}, "'profile_template' may use only '{id}'"),
        (GOOD | {"profile_template": "https://x.example/{id"}, "'profile_template' is not a valid template"),
        (GOOD | {"profile_template": "https://x.example/{}"}, "'profile_template' may use only '{id}'"),
        (GOOD | {"first_name": "First"}, "'first_name' and 'last_name' must be given together"),
        ("records: d", "json config must be a mapping, not str"),
    ],
)
def test_bad_configuration_is_a_value_error_naming_the_key(mapping, message):
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        JsonConfig.from_mapping(mapping)
    assert "\n" not in str(caught.value)


def test_good_configuration_is_a_frozen_config_with_defaults():
    config = JsonConfig.from_mapping(GOOD | {"records": "", "party": None})
    assert (config.records, config.party, config.profile_template) == ("", None, None)
    with pytest.raises(AttributeError):
        config.id = "Other"
    with pytest.raises(ValueError, match="'ward' is empty"):
        JsonConfig(records="", id="Id", name="Name", ward="")  # direct construction is checked too


# ---------------------------------------------------------------------------
# Mutation


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, len(ASMX_BYTES)), st.binary(max_size=40) | st.text(max_size=20).map(str.encode), st.integers(0, 60)
)
def test_mutated_documents_parse_or_fail_cleanly(position, noise, cut):
    content = ASMX_BYTES[:position] + noise + ASMX_BYTES[position + cut :]  # noise in, and up to 60 bytes out
    try:
        roster = parse_json_roster(content, ASMX_URL, ASMX_CONFIG)
    except SourceError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    ids = [c.source_id for c in roster.councillors]
    assert len(ids) == len(set(ids))
    assert roster.wards == sorted({c.ward for c in roster.councillors} | {w for w in roster.vacancies if w})
    for c in roster.councillors:
        assert c.source_id == tidy(c.source_id) and c.source_id and c.ward == tidy(c.ward) and c.ward
        assert c.raw_name == tidy(c.raw_name) and c.name == clean_name(c.raw_name) and c.name
        for url in (c.profile_url, c.photo_url):
            assert url is None or url.startswith(("https://", "http://"))
        assert c.email is None or email_address(c.email) == c.email


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from([*ONE, "d", "results"]), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_arbitrary_json_parses_or_fails_cleanly(value):
    try:
        roster = parse_json_roster(json.dumps(value).encode(), ASMX_URL, ASMX_CONFIG)
    except SourceError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert all(c.source_id and c.name and c.ward for c in roster.councillors)
