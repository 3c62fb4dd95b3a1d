"""A roster shared by two councils is split by rules held as data; a councillor the rules cannot
place is placed by ward, or held back and said, never lost silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from cllr.config import BUNDLED_REGISTRY, BUNDLED_SHARED_INSTANCES
from cllr.pipeline.context import Outcome
from cllr.pipeline.shared_instances import own_share, partners_of, read_rules
from cllr.pipeline.summary import summarise
from models.store import read_registry
from scrapers.records import Roster, ScrapedCouncillor

RULES = read_rules(BUNDLED_SHARED_INSTANCES)


def person(source_id: str, ward: str, email: str | None = None) -> ScrapedCouncillor:
    return ScrapedCouncillor(source_id, f"Person {source_id}", f"Person {source_id}", ward, "Labour", email)


LEWES_EASTBOURNE = Roster(
    [
        person("1", "Meads", "a.one@eastbourne.gov.uk"),
        person("2", "Meads"),  # no e-mail: the ward's others are Eastbourne's
        person("3", "Ouse Valley", "c.three@lewes.gov.uk"),
        person("349", "Seaford South", "d.f@eastbourne.gov.uk"),  # the known exception: Lewes's
        person("5", "Kingston", "e.five@gmail.example"),  # an address at neither, a ward of its own
    ],
    ["Meads", "Ouse Valley", "Seaford South", "Kingston", "Old Town"],
    None,
    ["Meads", "Ouse Valley", "Old Town"],
)


@pytest.mark.parametrize(
    ("code", "members", "vacancies", "unplaced"),
    [
        ("EAS", ["1", "2"], ["Meads"], ["5"]),
        ("LEE", ["3", "349"], ["Ouse Valley"], ["5"]),
    ],
)
def test_a_shared_roster_is_split_by_email_with_exceptions_and_wards(code, members, vacancies, unplaced):
    share = own_share(LEWES_EASTBOURNE, RULES[code], partners_of(code, RULES))
    assert [c.source_id for c in share.roster.councillors] == members
    assert share.roster.vacancies == vacancies  # a vacancy goes with its ward's council; "Old Town" with neither
    assert [c.source_id for c in share.unplaced] == unplaced


@pytest.mark.parametrize(
    ("code", "members"),
    [("BRO", ["1", "3"]), ("SNO", ["2"])],
)
def test_a_shared_roster_is_split_by_the_mark_in_its_ward_names(code, members):
    roster = Roster(
        [
            person("1", "Acle (BDC)"),
            person("2", "Diss (SNC)", "x@southnorfolkandbroadland.gov.uk"),
            person("3", "Wroxham (BDC)"),
        ],
        ["Acle (BDC)", "Diss (SNC)", "Wroxham (BDC)"],
    )
    share = own_share(roster, RULES[code], partners_of(code, RULES))
    assert [c.source_id for c in share.roster.councillors] == members and share.unplaced == []


def test_a_councillor_without_an_email_listed_is_placed_by_an_include_row():
    roster = Roster([person("1414", "Leek North"), person("9", "Leek North", "z@highpeak.gov.uk")], ["Leek North"])
    share = own_share(roster, RULES["STF"], partners_of("STF", RULES))
    assert [c.source_id for c in share.roster.councillors] == ["1414"]
    hig = own_share(roster, RULES["HIG"], partners_of("HIG", RULES))
    assert [c.source_id for c in hig.roster.councillors] == ["9"] and hig.unplaced == []


def test_a_councillor_held_back_is_a_problem_in_the_summary():
    outcome = Outcome("roster", "EAS", "applied", "1 councillor(s) of the shared roster not placed", {"unplaced": 1})
    assert summarise([outcome])["problems"] == ["roster EAS: applied: 1 councillor(s) of the shared roster not placed"]


def test_every_council_of_a_shared_instance_is_in_the_registry_with_a_partner():
    codes = {row["code"] for row in read_registry(BUNDLED_REGISTRY)}
    assert set(RULES) <= codes
    assert all(partners_of(code, RULES) for code in RULES)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,instance,rule,value,note\nEAS,,email_domain,eastbourne.gov.uk,\n", ":2: needs a code, an instance"),
        ("code,instance,rule,value,note\nEAS,x,colour,red,\n", ":2: needs a code, an instance, a rule"),
        (
            "code,instance,rule,value,note\nEAS,x,email_domain,a.uk,\nEAS,y,ward,Meads,\n",
            ":3: EAS is on one shared instance",
        ),
    ],
)
def test_a_malformed_rules_file_names_its_line(tmp_path: Path, text, message):
    path = tmp_path / "shared.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_rules(path)
