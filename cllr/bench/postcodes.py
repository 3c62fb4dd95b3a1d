"""The postcode benchmark: a generated national-size ONS Postcode Directory imported, and the site's postcode files written from it."""

from __future__ import annotations

import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

from cllr.bench.common import NATIONAL_SHARES, database_mb, in_own_process, link_accounts, throwaway_database
from cllr.pipeline import context

COUNCIL_MIX = {"CTY": 21, "NMD": 164, "MD": 36, "LBO": 33, "UA": 63, "SCO": 32, "WPA": 22, "NID": 11}


def bench_postcodes(
    rows: int = 2_700_000,
    databases: tuple[str, ...] = ("sqlite", "postgresql"),
    seed: int = 2026,
    postgres_admin: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    echo=print,
) -> list[dict]:
    """Import a generated ONSPD of ``rows`` rows with the real columns and build the postcode finder's files; per database.

    The directory is generated and written straight into the database (382 fictional
    councils of the real types, two-tier areas included, with wards, divisions and
    councillors), as is a zip shaped as the ONS publishes the directory. The import
    (``cllr postcodes import``: read, load, match the wards) and the shard build (read
    the councillors, write the files) each run in a process of their own (``spawn``),
    whose peak resident memory is its own.
    """
    from cllr.demo.postcodes import write_national_directory

    figures = []
    with tempfile.TemporaryDirectory(prefix="cllr-bench-postcodes-") as tmp:
        started = time.monotonic()
        places, names, directory = _national_places(seed)
        zipped = Path(tmp) / "ONSPD_BENCH_UK.zip"
        written = write_national_directory(zipped, places, names, rows=rows, seed=seed)
        echo(
            f"generated {written['rows']:,} rows ({written['live_rows']:,} in use) in {written['outward_codes']:,} outward codes "
            f"over {len(places):,} places: {zipped.stat().st_size / 2**20:.0f} MB zipped, "
            f"in {time.monotonic() - started:.0f} s"
        )
        for kind in databases:
            with throwaway_database(kind, Path(tmp), postgres_admin) as url:
                _seed_directory(url, directory, seed)
                imported = in_own_process(_timed_import, url, str(zipped))
                built = in_own_process(_timed_shards, url, str(Path(tmp) / f"site-{kind}"))
                row = {
                    "database": kind,
                    "rows": written["rows"],
                    "zip_mb": round(zipped.stat().st_size / 2**20),
                    "csv_mb": round(zipfile.ZipFile(zipped).infolist()[0].file_size / 2**20),
                    **imported,
                    **built,
                    "database_mb": database_mb(url),
                }
                echo("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
                figures.append(row)
    return figures


def _national_places(seed: int):
    """The national directory's councils, wards and divisions; the places postcodes lie in, in map order; and the ONS names."""
    import random

    from cllr.demo.postcodes import ons_name
    from cllr.demo.world import PLACES, WARD_WORDS

    rng = random.Random(seed)
    types = [t for t, n in COUNCIL_MIX.items() for _ in range(n)]
    rng.shuffle(types)
    councils, names, places = [], {}, []
    ward_number = division_number = 0
    for i, council_type in enumerate(types):
        gss = f"X{'10' if council_type == 'CTY' else '07' if council_type == 'NMD' else '06'}{i + 1:06d}"
        stem = f"{PLACES[i % len(PLACES)]} {i + 1}"
        count = rng.randint(40, 80) if council_type == "CTY" else rng.randint(12, 36)
        wards = []
        for n in range(count):
            if council_type == "CTY":
                division_number += 1
                code = f"X58{division_number:06d}"
            else:
                ward_number += 1
                code = f"X05{ward_number:06d}"
            name = f"{stem} {WARD_WORDS[n % len(WARD_WORDS)]}" + (
                f" {n // len(WARD_WORDS) + 1}" if n >= len(WARD_WORDS) else ""
            )
            wards.append((code, name))
            names[code] = ("division" if council_type == "CTY" else "ward", ons_name(name))
        names[gss] = ("county" if council_type == "CTY" else "lad", f"{stem} Council")
        councils.append(
            {"code": f"Q{i:03d}", "gss": gss, "type": council_type, "name": f"{stem} Council", "wards": wards}
        )
    counties = [c for c in councils if c["type"] == "CTY"]
    districts = [c for c in councils if c["type"] == "NMD"]
    county_of = {d["code"]: counties[n % len(counties)] for n, d in enumerate(districts)}
    in_county: dict[str, list] = {c["code"]: [d for d in districts if county_of[d["code"]] is c] for c in counties}
    for council in councils:
        if council["type"] == "CTY":
            continue
        county = county_of.get(council["code"])
        if county is None:
            places += [(council["gss"], code, "", "") for code, _ in council["wards"]]
            continue
        # The county's divisions cover its districts' wards in runs, in order.
        siblings = in_county[county["code"]]
        total = sum(len(d["wards"]) for d in siblings)
        before = sum(len(d["wards"]) for d in siblings[: siblings.index(council)])
        for n, (code, _) in enumerate(council["wards"]):
            division = county["wards"][(before + n) * len(county["wards"]) // total][0]
            places.append((council["gss"], code, county["gss"], division))
    return places, names, councils


def _seed_directory(url: str, councils: list[dict], seed: int) -> None:
    """Write the national directory's councils, wards, councillors and accounts straight into the database."""
    import random

    from sqlalchemy import insert, select

    from cllr.demo.world import FIRST_NAMES, SURNAME_HEADS, SURNAME_TAILS
    from cllr.names import ward_key
    from models import Council, Councillor, Membership, Ward
    from models.db import Database

    rng = random.Random(seed)
    db = Database(url)
    db.migrate()
    now = context.utcnow()
    with db.session() as session:
        session.execute(
            insert(Council),
            [
                {
                    "code": c["code"],
                    "gss": c["gss"],
                    "name": c["name"],
                    "common_name": c["name"],
                    "nation": "England",
                    "council_type": c["type"],
                    "cms": "moderngov",
                    "scraper_class": "moderngov",
                    "fictional": True,
                }
                for c in councils
            ],
        )
        ids = dict(session.execute(select(Council.code, Council.id)).all())
        session.execute(
            insert(Ward),
            [
                {"council_id": ids[c["code"]], "key": ward_key(name), "name": name}
                for c in councils
                for _, name in c["wards"]
            ],
        )
        people, seats = [], []
        for ward_id, council_id in session.execute(select(Ward.id, Ward.council_id)).all():
            for _ in range(rng.randint(1, 3)):
                n = len(people)
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAME_HEADS)}{rng.choice(SURNAME_TAILS)}"
                people.append(
                    {
                        "council_id": council_id,
                        "source_id": str(n),
                        "slug": f"q{n:05d}",
                        "name": name,
                        "raw_name": name,
                        "first_seen_at": now,
                        "last_seen_at": now,
                    }
                )
                seats.append(ward_id)
        session.execute(insert(Councillor), people)
        person_ids = list(session.scalars(select(Councillor.id).order_by(Councillor.id)))
        session.execute(
            insert(Membership),
            [
                {"councillor_id": pid, "ward_id": wid, "party_label": "Independent", "start_date": date(2026, 5, 7)}
                for pid, wid in zip(person_ids, seats, strict=True)
            ],
        )
        link_accounts(session, person_ids, NATIONAL_SHARES, rng, now)
    db.dispose()


def _timed_import(url: str, path: str) -> dict:
    from cllr.postcodes.importer import import_directory
    from cllr.postcodes.wardcodes import match_wards
    from models.db import Database

    db = Database(url)
    started = time.monotonic()
    with db.session() as session:
        done = import_directory(session, [Path(path)])
        loaded = time.monotonic() - started
        counts = match_wards(session).counts()
    total = time.monotonic() - started
    db.dispose()
    release = done.release
    return {
        "import_s": round(total, 1),
        "load_s": round(loaded, 1),
        "match_s": round(total - loaded, 1),
        "postcodes_live": release.live,
        "postcodes_retired": release.retired,
        "places": release.places,
        "wards_matched": counts["matched"],
        "wards_unmatched": counts["unmatched"] + counts["ambiguous"],
    }


def _timed_shards(url: str, folder: str) -> dict:
    from sqlalchemy import select

    from cllr.site.postcode_shards import write_postcode_shards
    from cllr.site.views import gather_people
    from models import Council
    from models.db import Database

    db = Database(url)
    with db.session() as session:
        started = time.monotonic()
        people, _ = gather_people(session)
        councils = list(session.scalars(select(Council)))
        read = time.monotonic() - started
        started = time.monotonic()
        written = write_postcode_shards(session, Path(folder), people, councils)
        shards = time.monotonic() - started
    db.dispose()
    largest = max(p.stat().st_size for p in Path(folder).glob("*.json"))
    return {
        "people_read_s": round(read, 1),
        "shards_s": round(shards, 1),
        "shards": written["shards"],
        "shards_mb": round(written["bytes"] / 2**20, 1),
        "largest_shard_kb": round(largest / 1024, 1),
        "shard_postcodes": written["postcodes"],
    }
