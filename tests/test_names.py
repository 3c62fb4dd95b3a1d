"""Name, ward and party normalisation: table-driven, plus properties."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cllr.names import clean_name, is_vacancy, slugify, ward_key
from cllr.parties import canonical_party


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Councillor Ann Beech", "Ann Beech"),
        ("Cllr Laila Butt", "Laila Butt"),
        ("Cynghorydd Siân Pimmspindle", "Siân Pimmspindle"),  # the Welsh title
        ("Mayor Donatus Anyanwu", "Donatus Anyanwu"),
        ("Deputy Mayor Saleha Jaffer", "Saleha Jaffer"),
        ("The Mayor. Councillor Sandra Hambleton", "Sandra Hambleton"),
        ("Mayor's Consort. Councillor Trevor Hambleton", "Trevor Hambleton"),
        ("CouncillorMrs Sandra Simpson", "Sandra Simpson"),
        ("Councillor  Mrs Silvia Burgess", "Silvia Burgess"),
        ("Derek Davis, OBE", "Derek Davis"),
        ("Brian Edwards MBE", "Brian Edwards"),
        ("Sir Example Person KSG", "Example Person"),
        ("James Cleverly MP", "James Cleverly"),
        ("Vaughan Gething MS", "Vaughan Gething"),
        ("Andrew RT Davies AS", "Andrew RT Davies"),
        ("Dr Onkar Sahota", "Onkar Sahota"),
        ("Oliver Fawcett", "Oliver Fawcett"),
        ("Mrinal Mayorga", "Mrinal Mayorga"),  # titles only as whole words
        ("Drew Cllrson", "Drew Cllrson"),
        ("Jo Ms", "Jo Ms"),  # post-nominals are upper case
    ],
)
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


@pytest.mark.parametrize(("raw", "vacant"), [("Vacant seat", True), ("Vacancy", True), ("Vance Smith", False)])
def test_vacancies(raw, vacant):
    assert is_vacancy(raw) is vacant


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Whitchurch & Tongwynlais", "Whitchurch and Tongwynlais"),
        ("St Leonards", "Saint Leonards"),
        ("Bishop's", "Bishops"),
        ("Abbey Ward", "Abbey"),
        ("Town (Shared)", "Town"),
        ("  Blunsdon &  Highworth ", "Blunsdon & Highworth"),
    ],
)
def test_ward_keys_match_variants(a, b):
    assert ward_key(a) == ward_key(b)


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("The Labour Party", "labour"),
        ("Labour", "labour"),
        ("Welsh Labour", "labour"),
        ("Labour and Co-operative", "labour"),
        ("Labour and Co-operative Party", "labour"),
        ("Llafur Cymru", "labour"),
        ("CONSERVATIVE", "conservative"),
        ("Scottish Conservative and Unionists", "conservative"),
        ("Liberal Democrat", "libdem"),
        ("UKIndependence Party", "ukip"),
        ("U K Independence Party", "ukip"),
        ("United Kingdom Independence Party", "ukip"),
        ("UK Independence Party", "ukip"),
        ("Scottish National Party", "snp"),
        ("Plaid Cymru", "plaid"),
        ("Annibynnol", "independent"),
        ("Non Specified", None),
        ("", None),
        ("Hollowmere Residents' Association", "local-hollowmere-residents-association"),
    ],
)
def test_party_labels_map_to_canonical_parties(label, key):
    party = canonical_party(label)
    assert (party.key if party else None) == key


@settings(max_examples=200)
@given(st.text())
def test_name_cleaning_is_total_and_idempotent(text):
    once = clean_name(text)
    assert clean_name(once) == once
    assert "\n" not in once and "\u202e" not in once


@settings(max_examples=200)
@given(st.text())
@example("WARD:")  # "ward" once its colon went, then "" on a second pass
@example("North Ward Ward")
def test_ward_keys_and_slugs_are_total_and_stable(text):
    assert ward_key(ward_key(text)) == ward_key(text)
    slug = slugify(text)
    assert slug and all(ch.isalnum() or ch == "-" for ch in slug)
