"""The postcode directory in the database (cllr/postcodes/importer.py), the wards' codes (cllr/postcodes/wardcodes.py) and the
site's postcode files (cllr/site/postcode_shards.py), on a small directory with the ONS's real columns.

The postcodes are in the Q area, which does not exist; the codes have the ONS's formats.
"""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cllr.cli import cli
from cllr.demo.postcodes import ONSPD_COLUMNS, ONSUD_COLUMNS
from cllr.postcodes import onspd
from cllr.postcodes.importer import import_directory
from cllr.postcodes.wardcodes import match_wards, read_overrides
from cllr.site.postcode_shards import write_postcode_shards
from cllr.site.views import gather_people
from models import Area, Council, Councillor, Membership, Place, Postcode, PostcodeRelease, RetiredPostcode, Ward
from models.db import Database

from .test_onspd import onspd_row, table

DISTRICT, COUNTY, UNITARY, ELSEWHERE = "E07000001", "E10000001", "E06000001", "E07000099"
# Roster ward → (the ONS's name for it, its code); None: no ONS ward of that name.
ONS_WARDS = {
    "E05000001": "Abbey and Priory",
    "E05000002": "Saint Mary's",
    "E05000003": "Castle",
    "E05000004": "Old-Town West",
    "E05000005": "Riverside",
    "E05000006": "Riverside Ward",
    "E05000101": "Central",
    "E05000102": "Harbour",
    "E58000001": "Northgate",
    "E58000002": "Southgate Division",
}
LIVE = [
    ("QD1 1AA", DISTRICT, "E05000001", COUNTY, "E58000001"),
    ("QD1 1AB", DISTRICT, "E05000002", COUNTY, "E58000002"),
    ("QD1 1AD", DISTRICT, "E05000003", COUNTY, "E58000001"),
    ("QD2 1AA", DISTRICT, "E05000005", COUNTY, "E58000002"),
    ("QD2 1AB", DISTRICT, "E05000006", COUNTY, "E58000002"),
    ("QD2 1AD", DISTRICT, "E05000004", COUNTY, "E58000001"),
    ("QU1 1AA", UNITARY, "E05000101", "E99999999", "E99999999"),
    ("QU1 1AB", UNITARY, "E05000102", "E99999999", "E99999999"),
]


def write_directory(folder: Path, live=LIVE, *, split: bool = True) -> list[Path]:
    """An ONSPD zip (data and ward, division names) and an ONSUD file putting one address of QD1 1AD in another ward."""
    rows = [onspd_row(pc, lad, ward, county, ced) for pc, lad, ward, county, ced in live]
    rows += [
        onspd_row("QD1 9ZZ", DISTRICT, "E05000001", COUNTY, "E58000001", doterm="202106"),
        onspd_row("GY1 1AA", "L99999999", "L99999999", "L99999999", "L99999999"),
        {"pcds": "Q", "oslaua": DISTRICT, "osward": "E05000001"},
    ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ONSPD_NOV_2026_UK.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Data/ONSPD_NOV_2026_UK.csv", table(ONSPD_COLUMNS, rows))
        archive.writestr(
            "Documents/Ward names and codes UK as at 05_26.csv",
            table(("WD26CD", "WD26NM"), [{"WD26CD": c, "WD26NM": n} for c, n in ONS_WARDS.items() if c[:3] == "E05"]),
        )
        archive.writestr(
            "Documents/County Electoral Division names and codes EN as at 05_26.csv",
            table(
                ("CED26CD", "CED26NM"), [{"CED26CD": c, "CED26NM": n} for c, n in ONS_WARDS.items() if c[:3] == "E58"]
            ),
        )
    paths = [path]
    if split:
        onsud = folder / "ONSUD_NOV_2026_EE.csv"
        onsud.write_bytes(
            table(
                ONSUD_COLUMNS,
                [
                    {
                        "uprn": "1",
                        "pcds": "QD1 1AD",
                        "lad25cd": DISTRICT,
                        "wd25cd": "E05000003",
                        "cty25cd": COUNTY,
                        "ced25cd": "E58000001",
                    },
                    {
                        "uprn": "2",
                        "pcds": "QD1 1AD",
                        "lad25cd": DISTRICT,
                        "wd25cd": "E05000002",
                        "cty25cd": COUNTY,
                        "ced25cd": "E58000002",
                    },
                ],
            )
        )
        paths.append(onsud)
    return paths


ROSTERS = {  # council code → (gss, type, wards with one councillor each)
    "XDD": (DISTRICT, "NMD", ["Abbey & Priory", "St Mary's", "Castle (Shared)", "Old Town", "Riverside"]),
    "XCC": (COUNTY, "CTY", ["Northgate", "Southgate"]),
    "XUU": (UNITARY, "UA", ["Central", "Harbour"]),
    "XNP": (ELSEWHERE, "NMD", ["Lonely"]),
}


def seed(session, rosters=ROSTERS) -> None:
    for code, (gss, kind, wards) in rosters.items():
        council = Council(
            code=code,
            gss=gss,
            name=f"Council {code}",
            common_name=code,
            council_type=kind,
            cms="moderngov",
            nation="Northern Ireland" if kind == "NID" else "England",
            scraper_class="moderngov",
            fictional=True,
        )
        session.add(council)
        session.flush()
        for n, name in enumerate(wards):
            from cllr.names import ward_key

            ward = Ward(
                council_id=council.id, key=ward_key(name), name=name, gss="E05009999" if code == "XNP" else None
            )
            person = Councillor(
                council_id=council.id,
                source_id=str(n),
                slug=f"{code.lower()}-person-{n}",
                name=f"Person {code} {n}",
                raw_name=f"Person {code} {n}",
            )
            session.add_all([ward, person])
            session.flush()
            session.add(Membership(councillor_id=person.id, ward_id=ward.id, start_date=date(2026, 5, 7)))


def counts(session) -> tuple[int, int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in (Postcode, RetiredPostcode, Place, Area))


def test_importing_keeps_postcodes_in_use_with_every_place_they_lie_in_and_retired_ones_apart(db, tmp_path):
    with db.session() as session:
        done = import_directory(session, write_directory(tmp_path))
    release = done.release
    assert (release.rows, release.live, release.retired, release.split) == (13, 8, 1, 1)
    assert (release.outside, release.malformed, release.names) == (1, 1, 10)
    assert (
        release.sources == "ONSPD_NOV_2026_UK.zip:Data/ONSPD_NOV_2026_UK.csv; ONSUD_NOV_2026_EE.csv (+ 2 name lookups)"
    )
    with db.session() as session:
        places = {
            pc: sorted(
                session.get(Place, pid).ward
                for pid in session.scalars(select(Postcode.place_id).where(Postcode.postcode == pc))
            )
            for pc in session.scalars(select(Postcode.postcode).distinct())
        }
        assert places["QD1 1AD"] == ["E05000002", "E05000003"]  # split between two wards
        assert places["QD1 1AA"] == ["E05000001"] and "GY1 1AA" not in places and "QD1 9ZZ" not in places
        assert session.get(RetiredPostcode, "QD1 9ZZ").retired == "202106"
        unitary = session.scalars(select(Place).where(Place.lad == UNITARY)).first()
        assert unitary.county is None and unitary.division is None  # the ONS's nines: no county tier here
        assert (
            session.get(Area, "E58000002").kind == "division" and session.get(Area, "E05000002").name == "Saint Mary's"
        )


def test_a_new_release_replaces_the_last_whole(db, tmp_path):
    with db.session() as session:
        import_directory(session, write_directory(tmp_path / "first"))
    with db.session() as session:
        import_directory(session, write_directory(tmp_path / "second", LIVE[:5], split=False))
    with db.session() as session:
        assert sorted(session.scalars(select(Postcode.postcode))) == [
            "QD1 1AA",
            "QD1 1AB",
            "QD1 1AD",
            "QD2 1AA",
            "QD2 1AB",
        ]
        assert session.scalar(select(func.count()).select_from(PostcodeRelease)) == 2


def test_a_release_with_far_fewer_postcodes_is_refused_unless_allowed(db, tmp_path):
    with db.session() as session:
        import_directory(session, write_directory(tmp_path / "first"))
    with pytest.raises(onspd.DirectoryError, match="2 postcodes in use, fewer than half the 8 held now"):
        with db.session() as session:
            import_directory(session, write_directory(tmp_path / "short", LIVE[:2], split=False))
    with db.session() as session:
        assert session.scalar(select(func.count(func.distinct(Postcode.postcode)))) == 8
    with db.session() as session:
        import_directory(session, write_directory(tmp_path / "part", LIVE[:2], split=False), allow_fewer=True)
    with db.session() as session:
        assert sorted(session.scalars(select(Postcode.postcode))) == ["QD1 1AA", "QD1 1AB"]


@pytest.mark.parametrize("damage", ["wrong shape", "damaged mid-way", "no postcode in use"])
def test_a_bad_file_is_refused_and_the_postcodes_held_before_stay_as_they_were(db, tmp_path, damage):
    with db.session() as session:
        import_directory(session, write_directory(tmp_path / "good"))
    with db.session() as session:
        before = counts(session)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as archive:
        if damage == "wrong shape":
            archive.writestr("Data/councillors.csv", b"name,ward,party\r\nA,B,C\r\n")
        elif damage == "no postcode in use":  # the right header, then only retired postcodes
            archive.writestr(
                "Data/ONSPD_NOV_2026_UK.csv",
                table(ONSPD_COLUMNS, [onspd_row("QD1 9ZZ", DISTRICT, "E05000001", doterm="202106")]),
            )
        else:
            rows = [onspd_row(f"QZ{n % 90 + 1} {n % 9 + 1}AB", DISTRICT, f"E05{n:06d}") for n in range(20_000)]
            archive.writestr("Data/ONSPD_NOV_2026_UK.csv", table(ONSPD_COLUMNS, rows))
    if damage == "damaged mid-way":
        data = bytearray(bad.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64
        bad.write_bytes(bytes(data))
    with pytest.raises(onspd.DirectoryError), db.session() as session:
        import_directory(session, [bad])
    with db.session() as session:
        assert counts(session) == before
        assert session.scalar(select(func.count()).select_from(PostcodeRelease)) == 1
    with db.session() as session:  # and the next good import works (nothing half-made is left behind)
        import_directory(session, write_directory(tmp_path / "again"))


# Roster ward → (status, code) after matching, with the ONS's names above.
MATCHES = {
    ("XDD", "Abbey & Priory"): ("matched", "E05000001"),  # "&" and "and"
    ("XDD", "St Mary's"): ("matched", "E05000002"),  # "St" and "Saint"
    ("XDD", "Castle (Shared)"): ("matched", "E05000003"),  # a "(Shared)" suffix
    ("XDD", "Old Town"): ("unmatched", None),  # the ONS has "Old-Town West": suggested, not taken
    ("XDD", "Riverside"): ("ambiguous", None),  # "Riverside" and "Riverside Ward": the same key
    ("XCC", "Northgate"): ("matched", "E58000001"),
    ("XCC", "Southgate"): ("matched", "E58000002"),  # "Southgate Division"
    ("XUU", "Central"): ("matched", "E05000101"),
    ("XUU", "Harbour"): ("matched", "E05000102"),
}


@pytest.fixture
def matched(db, tmp_path):
    with db.session() as session:
        seed(session)
        import_directory(session, write_directory(tmp_path / "onspd"))
    with db.session() as session:
        yield session, match_wards(session)


def test_wards_get_their_codes_by_name_within_their_council(matched):
    session, matching = matched
    got = {(w.council, w.ward): (w.status, w.gss) for w in matching.wards}
    assert got == MATCHES
    stored = {(c.code, w.name): w.gss for w, c in session.execute(select(Ward, Council).join(Council))}
    assert {k: v for k, v in stored.items() if k in MATCHES} == {k: code for k, (_, code) in MATCHES.items()}
    assert matching.counts() == {"matched": 7, "override": 0, "ambiguous": 1, "unmatched": 1, "override_problems": 0}


def test_the_report_names_the_candidates_of_an_ambiguous_ward_and_the_closest_for_an_unmatched_one(matched):
    _, matching = matched
    by_ward = {w.ward: w for w in matching.wards}
    assert by_ward["Riverside"].candidates == [("E05000005", "Riverside"), ("E05000006", "Riverside Ward")]
    assert by_ward["Old Town"].candidates == [("E05000004", "Old-Town West")]
    assert matching.unused["XDD"] == [
        ("E05000004", "Old-Town West"),
        ("E05000005", "Riverside"),
        ("E05000006", "Riverside Ward"),
    ]


def test_a_council_with_no_postcodes_keeps_the_codes_it_had(matched):
    session, matching = matched
    assert not any(w.council == "XNP" for w in matching.wards)
    assert session.scalars(select(Ward.gss).where(Ward.name == "Lonely")).one() == "E05009999"


def test_the_override_table_wins_over_names_and_its_bad_rows_are_reported_not_fatal(matched, tmp_path):
    session, _ = matched
    table_path = tmp_path / "ward_codes.csv"
    table_path.write_text(
        "council,ward,gss,note\n"
        "xdd,OLD TOWN,E05000004,the ONS added West in 2026\n"
        "XDD,Riverside,E05000005,\n"
        "XDD,Nowhere,E05000007,\n"
        "XDD,Castle,not-a-code,\n",
        encoding="utf-8",
    )
    overrides, problems = read_overrides(table_path)
    assert problems == [f"{table_path} line 5: needs a council code, a ward name and a nine-character GSS code"]
    matching = match_wards(session, overrides, problems)
    got = {w.ward: (w.status, w.gss) for w in matching.wards if w.council == "XDD"}
    assert got["Old Town"] == ("override", "E05000004") and got["Riverside"] == ("override", "E05000005")
    assert got["Castle (Shared)"] == ("matched", "E05000003")
    assert matching.problems[1] == "override for XDD ward 'nowhere' (E05000007): no such ward on the council's roster"
    assert matching.unused["XDD"] == [("E05000006", "Riverside Ward")]


def test_an_override_table_without_the_right_header_is_reported(tmp_path):
    path = tmp_path / "ward_codes.csv"
    path.write_text("code,name\nXDD,Old Town\n", encoding="utf-8")
    assert read_overrides(path) == ({}, [f"{path}: the header must name council, ward and gss (it has code, name)"])


def test_each_outward_code_gets_a_file_with_both_tiers_split_postcodes_and_retired_ones(matched, tmp_path):
    session, _ = matched
    people, _ = gather_people(session)
    councils = list(session.scalars(select(Council)))
    written = write_postcode_shards(session, tmp_path / "postcodes", people, councils)
    assert written["shards"] == 3 and written["postcodes"] == 9  # QD1 1AD counted in each of its places
    assert sorted(p.name for p in (tmp_path / "postcodes").iterdir()) == [
        "QD1.json",
        "QD2.json",
        "QU1.json",
        "index.json",
    ]
    assert json.loads((tmp_path / "postcodes" / "index.json").read_text()) == ["QD1", "QD2", "QU1"]
    shard = json.loads((tmp_path / "postcodes" / "QD1.json").read_text())

    def places(inward: str) -> list[tuple[str, str | None]]:
        found = []
        for (ward, division), codes in zip(shard["places"], shard["live"], strict=True):
            if inward in [codes[i : i + 3] for i in range(0, len(codes), 3)]:
                found.append(
                    (shard["areas"][ward]["name"], shard["areas"][division]["name"] if division is not None else None)
                )
        return sorted(found)

    assert places("1AA") == [("Abbey & Priory", "Northgate")]  # the district's ward and the county's division
    assert places("1AD") == [("Castle (Shared)", "Northgate"), ("St Mary's", "Southgate")]  # split: each place
    assert shard["retired"] == "9ZZ" and shard["retired_on"] == "202106"
    abbey = next(a for a in shard["areas"] if a["name"] == "Abbey & Priory")
    assert abbey == {
        "council": "Council XDD",
        "href": "councils/xdd.html#ward-abbey-priory",
        "kind": "ward",
        "name": "Abbey & Priory",
        "people": [["Person XDD 0", "councillors/xdd-person-0.html", "", 0, 0, []]],
    }
    north = next(a for a in shard["areas"] if a["name"] == "Northgate")
    assert north["kind"] == "division" and north["href"] == "councils/xcc.html#ward-northgate"
    unmatched = json.loads((tmp_path / "postcodes" / "QD2.json").read_text())["areas"]
    assert {a["name"]: a["people"] for a in unmatched if a["kind"] == "ward"} == {
        "Old-Town West": None,
        "Riverside": None,
        "Riverside Ward": None,
    }
    assert all(a["href"] == "councils/xdd.html" for a in unmatched if a["kind"] == "ward")
    unitary = json.loads((tmp_path / "postcodes" / "QU1.json").read_text())
    assert [division for _, division in unitary["places"]] == [None, None] and unitary["retired"] == ""


def test_the_import_command_prints_what_it_read_and_refuses_a_wrong_file_saying_nothing_changed(tmp_path, monkeypatch):
    monkeypatch.setenv("CLLR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    paths = write_directory(tmp_path / "onspd")
    result = CliRunner().invoke(cli, ["postcodes", "import", *map(str, paths)])
    assert result.exit_code == 0, result.output
    assert (
        "Imported 13 rows from ONSPD_NOV_2026_UK.zip:Data/ONSPD_NOV_2026_UK.csv; ONSUD_NOV_2026_EE.csv" in result.output
    )
    assert "8 postcodes in use (1 split between places), 1 retired" in result.output
    assert (
        "rows skipped: 1 in no council area (the Channel Islands, the Isle of Man), 1 malformed" in result.output
        and "line 12: no valid postcode" in result.output
    )
    wrong = tmp_path / "roster.csv"
    wrong.write_text("name,ward,party\nA,B,C\n", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["postcodes", "import", str(wrong)])
    assert refused.exit_code == 1
    assert "no postcode directory in" in refused.output and "The postcodes held before are unchanged." in refused.output


def test_the_wards_command_lists_ambiguous_and_unmatched_wards_with_candidates(tmp_path, monkeypatch):
    monkeypatch.setenv("CLLR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    db = Database(f"sqlite:///{(tmp_path / 'cllr.sqlite3').resolve()}")
    db.migrate()
    with db.session() as session:
        seed(session)
        import_directory(session, write_directory(tmp_path / "onspd"))
    db.dispose()
    result = CliRunner().invoke(cli, ["postcodes", "wards"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  XDD  Riverside  (one of: Riverside E05000005; Riverside Ward E05000006)" in lines
    assert "  XDD  Old Town  (closest: Old-Town West E05000004)" in lines
    assert lines[-1] == "Wards of sitting councillors: 7 matched by name, 0 by override, 1 ambiguous, 1 unmatched."


def test_northern_irish_councillors_sit_for_electoral_areas_found_through_their_wards(db, tmp_path):
    """NI councillors are elected for district electoral areas, which the ONSPD does not name: a
    ward-to-DEA lookup makes each ward's DEA a candidate, and a postcode in a ward shows its DEA's councillors."""
    with db.session() as session:
        seed(session, {"XBE": ("N09000003", "NID", ["Oldpark"])})
    rows = [
        onspd_row("QN1 1AB", "N09000003", "N08000101", "N99999999", "N99999999"),
        onspd_row("QN1 1AD", "N09000003", "N08000102", "N99999999", "N99999999"),
    ]
    path = tmp_path / "ni.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Data/ONSPD_NOV_2026_UK.csv", table(ONSPD_COLUMNS, rows))
        archive.writestr(
            "Documents/Ward to DEA lookup.csv",
            table(
                ("WD14CD", "WD14NM", "DEA14CD", "DEA14NM"),
                [
                    {"WD14CD": "N08000101", "WD14NM": "Ballysillan", "DEA14CD": "N10000101", "DEA14NM": "Oldpark"},
                    {"WD14CD": "N08000102", "WD14NM": "Cliftonville", "DEA14CD": "N10000101", "DEA14NM": "Oldpark"},
                ],
            ),
        )
    with db.session() as session:
        import_directory(session, [path])
        matching = match_wards(session)
        assert [(w.ward, w.status, w.gss) for w in matching.wards] == [("Oldpark", "matched", "N10000101")]
        assert matching.unused == {}  # the wards are covered by their electoral area
        people, _ = gather_people(session)
        write_postcode_shards(session, tmp_path / "postcodes", people, list(session.scalars(select(Council))))
    shard = json.loads((tmp_path / "postcodes" / "QN1.json").read_text())
    assert shard["places"] == [[0, None], [0, None]]  # two wards, one electoral area shown once
    assert shard["areas"][0]["name"] == "Oldpark" and shard["areas"][0]["people"][0][0] == "Person XBE 0"


def test_the_import_command_says_when_no_names_came_with_the_files(tmp_path, monkeypatch):
    monkeypatch.setenv("CLLR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    bare = tmp_path / "ONSPD.csv"
    bare.write_bytes(
        table(ONSPD_COLUMNS, [onspd_row(pc, lad, ward, county, ced) for pc, lad, ward, county, ced in LIVE])
    )
    result = CliRunner().invoke(cli, ["postcodes", "import", str(bare)])
    assert result.exit_code == 0, result.output
    assert "8 postcodes in use" in result.output and "No area names: wards cannot be matched by name" in result.output


def test_the_site_is_built_again_after_a_new_release_and_not_when_nothing_changed(matched, tmp_path):
    from cllr.site.build import build_site

    session, _ = matched
    site = tmp_path / "site"
    first = build_site(session, site)
    assert first.pages > 0 and (site / "postcodes" / "QD1.json").is_file()
    assert build_site(session, site).pages == 0  # the same data: nothing rebuilt
    import_directory(session, write_directory(tmp_path / "again"))
    match_wards(session)
    assert build_site(session, site).pages == first.pages
    # A ward given another code (an override) is also a change the finder's files must show.
    session.execute(Ward.__table__.update().where(Ward.name == "Riverside").values(gss="E05000005"))
    assert build_site(session, site).pages == first.pages
    areas = json.loads((site / "postcodes" / "QD2.json").read_text())["areas"]
    assert next(a for a in areas if a["name"] == "Riverside")["people"] == [
        ["Person XDD 4", "councillors/xdd-person-4.html", "", 0, 0, []]
    ]
