"""Reading the ONS postcode files (cllr/postcodes/onspd.py): pure, files in and records out, no database.

The files here are made in the test with the ONS's real column names (the ONSPD's, the
NSPL's and the ONS UPRN Directory's) and the ONS's code formats, including its "no such
area" codes of nines; the postcodes are in the Q area, which does not exist.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest

from cllr.demo.postcodes import ONSPD_COLUMNS, ONSUD_COLUMNS
from cllr.postcodes import onspd

NSPL_COLUMNS = (
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "osgrdind",
    "oa11",
    "cty",
    "ced",
    "laua",
    "ward",
    "hlthau",
    "nhser",
    "ctry",
    "rgn",
    "pcon",
)


def table(columns, rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode("utf-8")


def onspd_row(
    pcds: str, lad: str, ward: str, county: str = "E99999999", ced: str = "E99999999", doterm: str = ""
) -> dict:
    outward, inward = pcds.split(" ")
    return {
        "pcd": f"{outward:<4}{inward}",
        "pcd2": f"{outward:<5}{inward}",
        "pcds": pcds,
        "dointr": "198001",
        "doterm": doterm,
        "oscty": county,
        "ced": ced,
        "oslaua": lad,
        "osward": ward,
        "ctry": "E92000001",
    }


def read(data, source: str = "test.csv") -> tuple[list[onspd.Record], onspd.Tally]:
    tally = onspd.Tally()
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    return list(onspd.records(stream, source, tally)), tally


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("  qa1   2ab ", "QA1 2AB"),
        ("QA12AB", "QA1 2AB"),
        ("QA10 2AB", "QA10 2AB"),
        ("Q1 2AB", "Q1 2AB"),
        ("QA1 2A", None),
        ("12345", None),
        ("", None),
        ("QA1 2AB X", None),
    ],
)
def test_a_postcode_is_written_as_the_ons_writes_it_whatever_its_spacing_and_case(typed, expected):
    assert onspd.postcode(typed) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("E05011234", "E05011234"),
        (" e05011234 ", "E05011234"),
        ("E99999999", None),
        ("S99999999", None),
        ("L99999999", None),
        ("", None),
        ("E0501123", None),
        ("not-a-code", None),
    ],
)
def test_a_code_of_nines_or_a_malformed_code_reads_as_no_area(value, expected):
    assert onspd.area_code(value) == expected


@pytest.mark.parametrize(
    ("columns", "row", "expected"),
    [
        (
            ONSPD_COLUMNS,
            onspd_row("QA1 1AB", "E07000001", "E05000001", "E10000001", "E58000001"),
            ("QA1 1AB", "E07000001", "E05000001", "E10000001", "E58000001", ""),
        ),
        (
            NSPL_COLUMNS,
            {"pcds": "QA1 1AB", "laua": "W06000001", "ward": "W05000001", "cty": "W99999999", "ced": "W99999999"},
            ("QA1 1AB", "W06000001", "W05000001", None, None, ""),
        ),
        (
            ONSUD_COLUMNS,
            {
                "uprn": "1",
                "pcds": "QA1 1AB",
                "lad25cd": "E07000001",
                "wd25cd": "E05000002",
                "cty25cd": "E10000001",
                "ced25cd": "E58000002",
            },
            ("QA1 1AB", "E07000001", "E05000002", "E10000001", "E58000002", ""),
        ),
        (
            ("PCD7", "LAD25CD", "WD25CD"),
            {"PCD7": "QA1 1AB", "LAD25CD": "S12000001", "WD25CD": "S13000001"},
            ("QA1 1AB", "S12000001", "S13000001", None, None, ""),
        ),
    ],
    ids=["onspd", "nspl", "onsud", "year-coded"],
)
def test_each_family_of_ons_columns_reads_the_same_way(columns, row, expected):
    records, tally = read(table(columns, [row]))
    assert records == [expected] and tally.rows == 1 and tally.malformed == 0


def test_terminated_postcodes_are_marked_retired_and_places_outside_councils_are_counted_not_kept():
    data = table(
        ONSPD_COLUMNS,
        [
            onspd_row("QA1 1AB", "E07000001", "E05000001"),
            onspd_row("QA1 9ZZ", "E07000001", "E05000001", doterm="202106"),
            onspd_row("GY1 1AA", "L99999999", "L99999999"),  # Guernsey: in no council area
            onspd_row("QA1 1AD", "E07000001", "E99999999"),  # an authority but no ward
            {"pcds": "NOT A CODE", "oslaua": "E07000001", "osward": "E05000001"},
        ],
    )
    records, tally = read(data, "ONSPD.csv")
    assert records == [
        ("QA1 1AB", "E07000001", "E05000001", None, None, ""),
        ("QA1 9ZZ", "E07000001", "E05000001", None, None, "202106"),
    ]
    assert (tally.rows, tally.retired, tally.outside, tally.malformed) == (5, 1, 1, 2)
    assert tally.examples == ["ONSPD.csv line 5: no ward", "ONSPD.csv line 6: no valid postcode"]


def test_a_short_row_is_skipped_and_counted_not_fatal():
    data = table(ONSPD_COLUMNS, [onspd_row("QA1 1AB", "E07000001", "E05000001")]) + b"QA1 1AD,QA1  1AD\r\n"
    records, tally = read(data)
    assert len(records) == 1 and tally.malformed == 1 and "columns" in tally.examples[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"councillor,ward,party\r\nA,B,C\r\n", "not a postcode directory: no lad or postcode column"),
        (b"pcds,oslaua\r\nQA1 1AB,E07000001\r\n", "no ward column"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "not a postcode directory"),
    ],
    ids=["empty", "a roster", "no ward", "a PDF"],
)
def test_a_file_of_the_wrong_shape_is_refused_with_the_reason_and_its_name(data, message):
    with pytest.raises(onspd.DirectoryError, match=message) as raised:
        read(data, "upload.csv")
    assert str(raised.value).startswith("upload.csv")


def test_lookups_give_names_and_northern_ireland_wards_their_electoral_areas():
    wards = table(
        ("WD25CD", "WD25NM", "WD25NMW", "LAD25CD", "LAD25NM"),
        [
            {
                "WD25CD": "W05000001",
                "WD25NM": "Aber-porth  a'r Ferwig",
                "WD25NMW": "Aber-porth",
                "LAD25CD": "W06000008",
                "LAD25NM": "Ceredigion",
            }
        ],
    )
    dea = table(
        ("WD14CD", "WD14NM", "DEA14CD", "DEA14NM"),
        [{"WD14CD": "N08000101", "WD14NM": "Ballysillan", "DEA14CD": "N10000101", "DEA14NM": "Oldpark"}],
    )
    assert sorted(onspd.names(io.BytesIO(wards), "w.csv")) == [
        ("W05000001", "ward", "Aber-porth a'r Ferwig", None),
        ("W06000008", "lad", "Ceredigion", None),
    ]
    assert sorted(onspd.names(io.BytesIO(dea), "dea.csv")) == [
        ("N08000101", "ward", "Ballysillan", "N10000101"),
        ("N10000101", "dea", "Oldpark", None),
    ]


def test_a_lookup_in_windows_1252_is_read_with_its_accents():
    data = "CED25CD,CED25NM\r\nE58000001,Ystradgynlais & Tawe\r\nE58000002,Pontardawe Gŵyr\r\n"
    cp = "CED25CD,CED25NM\r\nE58000003,Caf\xe9 Quarter\r\n".encode("cp1252")
    assert [n[2] for n in onspd.names(io.BytesIO(data.encode("utf-8-sig")), "a.csv")] == [
        "Ystradgynlais & Tawe",
        "Pontardawe Gŵyr",
    ]
    assert [n[2] for n in onspd.names(io.BytesIO(cp), "b.csv")] == ["Café Quarter"]


def test_the_ons_zip_is_read_by_header_and_the_area_split_copy_of_the_rows_is_skipped(tmp_path: Path):
    rows = table(ONSPD_COLUMNS, [onspd_row("QA1 1AB", "E07000001", "E05000001")])
    path = tmp_path / "ONSPD_NOV_2026_UK.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Data/ONSPD_NOV_2026_UK.csv", rows)
        archive.writestr("Data/multi_csv/ONSPD_NOV_2026_UK_QA.csv", rows)
        archive.writestr("Documents/Ward names and codes UK as at 11_26.csv", b"WD26CD,WD26NM\r\nE05000001,Abbey\r\n")
        archive.writestr("Documents/LSOA (2021) names and codes.csv", b"LSOA21CD,LSOA21NM\r\nE01000001,x\r\n")
        archive.writestr("User Guide/ONSPD User Guide.pdf", b"%PDF-1.4")
    found = onspd.sources([path])
    assert [m.name for m in found.data] == ["ONSPD_NOV_2026_UK.zip:Data/ONSPD_NOV_2026_UK.csv"]
    assert [m.name for m in found.names] == ["ONSPD_NOV_2026_UK.zip:Documents/Ward names and codes UK as at 11_26.csv"]
    assert sorted(found.ignored) == [
        "ONSPD_NOV_2026_UK.zip:Data/multi_csv/ONSPD_NOV_2026_UK_QA.csv",
        "ONSPD_NOV_2026_UK.zip:Documents/LSOA (2021) names and codes.csv",
    ]
    with found.data[0].open() as stream:
        assert read(stream.read())[0][0][0] == "QA1 1AB"


def test_only_the_area_split_files_are_read_when_the_whole_file_is_not_there(tmp_path: Path):
    path = tmp_path / "multi.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for area in ("QA", "QB"):
            archive.writestr(
                f"Data/multi_csv/ONSPD_NOV_2026_UK_{area}.csv",
                table(ONSPD_COLUMNS, [onspd_row(f"{area}1 1AB", "E07000001", "E05000001")]),
            )
    assert len(onspd.sources([path]).data) == 2


def test_a_damaged_zip_or_missing_file_is_a_clear_error(tmp_path: Path):
    broken = tmp_path / "broken.zip"
    rows = [onspd_row(f"QA{n % 90 + 1} {n % 9 + 1}AB", f"E07{n:06d}", f"E05{n:06d}") for n in range(20_000)]
    with zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Data/ONSPD.csv", table(ONSPD_COLUMNS, rows))
    data = bytearray(broken.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = b"\xff" * 64  # damage the compressed rows, past the header
    broken.write_bytes(bytes(data))
    found = onspd.sources([broken])
    assert len(found.data) == 1
    with pytest.raises(onspd.DirectoryError, match=re.escape("broken.zip:Data/ONSPD.csv: cannot be read after line")):
        with found.data[0].open() as stream:
            read(stream, found.data[0].name)
    with pytest.raises(onspd.DirectoryError, match="no such file"):
        onspd.sources([tmp_path / "absent.zip"])
