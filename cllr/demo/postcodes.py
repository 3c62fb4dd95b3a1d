"""A fictional postcode directory for the demo web's councils, in the ONS's own formats.

``onspd-demo.zip`` is laid out as the ONS Postcode Directory's zip is (``Data/`` with the
postcodes, ``Documents/`` with the ward, division, authority and county names) and has its
columns; ``onsud-demo.csv`` has the ONS UPRN Directory's columns, one row per (fictional)
address, and shows the postcodes whose addresses lie in two wards. ``cllr demo`` imports
both, as an operator imports the real files.

Every postcode is in an area that does not exist: no real postcode area starts with Q.
Every code starts with X, which no GSS code does. A district's postcodes are also in the
county after it in the world (councils 0 and 1 are in county 2), so the demo has both
tiers; the ONS names are written as the ONS might ("and" for "&", "St." for "St"), so
matching them to the rosters' names is exercised.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cllr.demo.world import Council, World, council_gss, ward_gss

ONSPD_COLUMNS = (
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "oscty",
    "ced",
    "oslaua",
    "osward",
    "parish",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "osgrdind",
    "oshlthau",
    "nhser",
    "ctry",
    "rgn",
    "streg",
    "pcon",
    "eer",
    "teclec",
    "ttwa",
    "pct",
    "itl",
    "statsward",
    "oa01",
    "casward",
    "npark",
    "lsoa01",
    "msoa01",
    "ur01ind",
    "oac01",
    "oa11",
    "lsoa11",
    "msoa11",
    "wz11",
    "sicbl",
    "bua24",
    "ru11ind",
    "oac11",
    "lat",
    "long",
    "lep1",
    "lep2",
    "pfa",
    "imd",
    "calncv",
    "icb",
    "oa21",
    "lsoa21",
    "msoa21",
    "ruc21ind",
    "globalid",
)
ONSUD_COLUMNS = (
    "uprn",
    "gridgb1e",
    "gridgb1n",
    "pcds",
    "cty25cd",
    "ced25cd",
    "lad25cd",
    "wd25cd",
    "parncp25cd",
    "hlth19cd",
    "ctry25cd",
    "rgn25cd",
    "pcon24cd",
    "eer20cd",
    "ttwa15cd",
    "itl25cd",
    "npark16cd",
    "oa21cd",
    "lsoa21cd",
    "msoa21cd",
    "wz11cd",
    "sicbl24cd",
    "bua24cd",
    "ruc21ind",
    "oac11ind",
    "lep21cd1",
    "lep21cd2",
    "pfa23cd",
    "imd19ind",
)
NONE = "X99999999"
INWARD = ("AB", "AD", "EF")
RETIRED_ON = "202106"


def ons_name(name: str) -> str:
    """A ward's name as the demo's ONS lookups write it."""
    return name.replace(" & ", " and ").replace("St ", "St. ")


@dataclass(frozen=True)
class Place:
    council: int  # index in the world
    ward: str
    county: int | None = None
    division: str | None = None


@dataclass
class DemoPostcode:
    postcode: str
    places: list[Place]  # the first from the directory; more where addresses lie in other wards
    retired: str = ""  # YYYYMM


def demo_postcodes(world: World) -> list[DemoPostcode]:
    """Every postcode of the demo directory, with where it lies; decided by the world's order alone."""
    counties = {i: c for i, c in enumerate(world.councils) if c.council_type == "CTY"}
    county_of = {d: i for i in counties for d in (i - 2, i - 1) if d >= 0 and world.councils[d].council_type == "NMD"}
    position: dict[int, int] = {}  # county → its districts' wards counted so far
    result = []
    for index, council in enumerate(world.councils):
        if council.council_type == "CTY":
            continue
        area, base = f"Q{chr(65 + index % 26)}", 1 + 10 * (index // 26)
        county = county_of.get(index)
        for number, ward in enumerate(council.wards):
            division = None
            if county is not None:
                divisions = world.councils[county].wards
                division = divisions[position.get(county, 0) % len(divisions)]
                position[county] = position.get(county, 0) + 1
            outward, digit = f"{area}{base + number // 4}", number % 4 + 1
            place = Place(index, ward, county, division)
            for letters in INWARD:
                result.append(DemoPostcode(f"{outward} {digit}{letters}", [place]))
            if number % 4 == 0:
                result.append(DemoPostcode(f"{outward} {digit}ZZ", [place], retired=RETIRED_ON))
        # The council's first postcode has addresses in its second ward too.
        first = next(p for p in result if p.places[0].council == index)
        if len(council.wards) > 1:
            second = next(p for p in result if p.places[0].council == index and p.places[0].ward == council.wards[1])
            first.places.append(second.places[0])
    return result


def write_demo_directory(world: World, directory: Path) -> list[Path]:
    """Write ``onspd-demo.zip`` and ``onsud-demo.csv`` into ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    postcodes = demo_postcodes(world)
    codes = _codes(world)
    onspd, onsud = directory / "onspd-demo.zip", directory / "onsud-demo.csv"
    with zipfile.ZipFile(onspd, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "Data/ONSPD_DEMO_UK.csv", _csv(ONSPD_COLUMNS, (_onspd_row(p, world, codes) for p in postcodes))
        )
        archive.writestr(
            "Documents/Ward names and codes UK as at 12_26.csv",
            _csv(
                ("WD26CD", "WD26NM"),
                sorted((code, ons_name(name)) for (kind, _, name), code in codes.items() if kind == "ward"),
            ),
        )
        archive.writestr(
            "Documents/County Electoral Division names and codes EN as at 12_26.csv",
            _csv(
                ("CED26CD", "CED26NM"),
                sorted((code, ons_name(name)) for (kind, _, name), code in codes.items() if kind == "division"),
            ),
        )
        archive.writestr(
            "Documents/LA_UA names and codes UK as at 12_26.csv",
            _csv(
                ("LAD26CD", "LAD26NM"),
                [
                    (council_gss(i, c.council_type), c.name)
                    for i, c in enumerate(world.councils)
                    if c.council_type != "CTY"
                ],
            ),
        )
        archive.writestr(
            "Documents/County names and codes UK as at 12_26.csv",
            _csv(
                ("CTY26CD", "CTY26NM"),
                [
                    (council_gss(i, c.council_type), c.name)
                    for i, c in enumerate(world.councils)
                    if c.council_type == "CTY"
                ],
            ),
        )
        archive.writestr(
            "README.txt",
            "A fictional postcode directory for the Councillors Online demo. No postcode, "
            "area or code in it is real; the layout and columns are the ONS Postcode Directory's.\n",
        )
    rows = []
    for number, p in enumerate(x for x in postcodes if len(x.places) > 1):
        for k, place in enumerate(p.places):
            rows.append(_onsud_row(9_000_000_000 + 10 * number + k, p.postcode, place, world, codes))
    onsud.write_text(_csv(ONSUD_COLUMNS, rows), encoding="utf-8")
    return [onspd, onsud]


def _codes(world: World) -> dict[tuple[str, int, str], str]:
    """(kind, council index, name) → the area's code, for every ward and division."""
    codes = {}
    for index, council in enumerate(world.councils):
        kind = "division" if council.council_type == "CTY" else "ward"
        for number, name in enumerate(council.wards):
            codes[(kind, index, name)] = ward_gss(index, number, council.council_type)
    return codes


def _area_codes(place: Place, world: World, codes) -> tuple[str, str, str, str]:
    council: Council = world.councils[place.council]
    county = world.councils[place.county] if place.county is not None else None
    return (
        council_gss(place.council, council.council_type),
        codes[("ward", place.council, place.ward)],
        council_gss(place.county, "CTY") if county else NONE,
        codes[("division", place.county, place.division)] if county else NONE,
    )


def _onspd_row(p: DemoPostcode, world: World, codes) -> list[str]:
    lad, ward, county, division = _area_codes(p.places[0], world, codes)
    outward, inward = p.postcode.split(" ")
    values = {
        "pcd": f"{outward:<4}{inward}",
        "pcd2": f"{outward:<5}{inward}",
        "pcds": p.postcode,
        "dointr": "198001",
        "doterm": p.retired,
        "oscty": county,
        "ced": division,
        "oslaua": lad,
        "osward": ward,
        "usertype": "0",
        "osgrdind": "9",
        "ctry": "X92000001",
        "lat": "99.999999",
        "long": "0.000000",
    }
    return [
        values.get(column, NONE if column not in ("oseast1m", "osnrth1m", "globalid") else "")
        for column in ONSPD_COLUMNS
    ]


def _onsud_row(uprn: int, postcode: str, place: Place, world: World, codes) -> list[str]:
    lad, ward, county, division = _area_codes(place, world, codes)
    values = {
        "uprn": str(uprn),
        "gridgb1e": "",
        "gridgb1n": "",
        "pcds": postcode,
        "cty25cd": county,
        "ced25cd": division,
        "lad25cd": lad,
        "wd25cd": ward,
        "ctry25cd": "X92000001",
    }
    return [values.get(column, NONE) for column in ONSUD_COLUMNS]


def _csv(header, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def import_demo_directory(world: World, directory: Path, db_url: str):
    """Write the demo's postcode files into ``directory`` and import them into the database at ``db_url``."""
    from cllr.postcodes.importer import import_directory
    from models.db import Database

    paths = write_demo_directory(world, directory)
    db = Database(db_url)
    db.migrate()
    try:
        with db.session() as session:
            return import_directory(session, paths)
    finally:
        db.dispose()


# A national-size directory, for the benchmark (cllr bench postcodes) ---------------------------------

INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters the inward code's last two places use
# Values for the columns the pipeline does not read, as long as the ONS's: the file is as big as the real one.
_FILLER = {
    "parish": "E43000191",
    "usertype": "0",
    "oseast1m": "529090",
    "osnrth1m": "179645",
    "osgrdind": "1",
    "oshlthau": "E18000007",
    "nhser": "E40000003",
    "ctry": "E92000001",
    "rgn": "E12000007",
    "streg": "0",
    "pcon": "E14001172",
    "eer": "E15000007",
    "teclec": "E24000014",
    "ttwa": "E30000234",
    "pct": "E16000062",
    "itl": "E06000023",
    "statsward": "00BKGW",
    "oa01": "E00023938",
    "casward": "00BKGW",
    "npark": "E65000001",
    "lsoa01": "E01004736",
    "msoa01": "E02000977",
    "ur01ind": "A",
    "oac01": "3C2",
    "oa11": "E00023938",
    "lsoa11": "E01004736",
    "msoa11": "E02000977",
    "wz11": "E33035213",
    "sicbl": "E38000031",
    "bua24": "E63004976",
    "ru11ind": "A1",
    "oac11": "2B1",
    "lat": "51.501009",
    "long": "-0.141588",
    "lep1": "E37000051",
    "lep2": "",
    "pfa": "E23000001",
    "imd": "17891",
    "calncv": "E56000019",
    "icb": "E54000030",
    "oa21": "E00023938",
    "lsoa21": "E01004736",
    "msoa21": "E02000977",
    "ruc21ind": "UN1",
    "globalid": "6a6a4c0f-3f4c-4a5e-9d35-0d6c1e0a7b21",
}


def outward_codes() -> Iterator[str]:
    """Outward codes of the fictional Q areas: QA1 to QZ99, then QA1A and the like."""
    areas = [f"Q{chr(65 + n)}" for n in range(26)]
    for area in areas:
        for district in range(1, 100):
            yield f"{area}{district}"
    for area in areas:
        for district in range(1, 10):
            for letter in "ABCDEFGHJKMNPRSTUVWXY":
                yield f"{area}{district}{letter}"


def write_national_directory(
    path: Path,
    places: list[tuple[str, str, str, str]],
    names: dict[str, tuple[str, str]],
    rows: int = 2_700_000,
    retired: float = 1 / 3,
    per_outward: int = 900,
    seed: int = 2026,
) -> dict[str, int]:
    """Write an ONSPD-shaped zip of ``rows`` rows at ``path``: each outward code's postcodes drawn
    from a run of neighbouring ``places`` (local authority, ward, county, division, in map order),
    a share of them retired; ``names``: code → (kind, name), written as the ONS's lookups."""
    import random

    rng = random.Random(seed)
    inwards = [f"{d}{a}{b}" for d in range(10) for a in INWARD_LETTERS for b in INWARD_LETTERS]
    outwards = outward_codes()
    per_place = rows / len(places)
    written = live = shards = 0
    position = 0.0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("Data/ONSPD_BENCH_UK.csv", "w", force_zip64=True) as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(ONSPD_COLUMNS)
            template = [_FILLER.get(column, "") for column in ONSPD_COLUMNS]
            at = {column: i for i, column in enumerate(ONSPD_COLUMNS)}
            while written < rows:
                outward = next(outwards)
                shards += 1
                count = min(rows - written, rng.randint(per_outward // 2, per_outward * 3 // 2))
                span = count / per_place  # the places this outward code covers, and a couple either side
                for k, inward in enumerate(inwards[:count]):
                    at_place = int(position + span * k / count) + rng.randint(-2, 2)
                    lad, ward, county, division = places[min(max(at_place, 0), len(places) - 1)]
                    row = template[:]
                    row[at["pcd"]], row[at["pcd2"]] = f"{outward:<4}{inward}", f"{outward:<5}{inward}"
                    row[at["pcds"]], row[at["dointr"]] = f"{outward} {inward}", "198001"
                    row[at["oslaua"]], row[at["osward"]] = lad, ward
                    row[at["oscty"]], row[at["ced"]] = county, division
                    if rng.random() < retired:
                        row[at["doterm"]] = f"20{rng.randint(0, 25):02d}{rng.randint(1, 12):02d}"
                    else:
                        live += 1
                    writer.writerow(row)
                written += count
                position += count / per_place
            out.flush()
            out.detach()
        for kind, header in (("ward", "WD26"), ("division", "CED26"), ("lad", "LAD26"), ("county", "CTY26")):
            archive.writestr(
                f"Documents/{kind} names and codes as at 11_26.csv",
                _csv(
                    (f"{header}CD", f"{header}NM"),
                    sorted((code, name) for code, (k, name) in names.items() if k == kind),
                ),
            )
    return {"rows": written, "live_rows": live, "outward_codes": shards}
