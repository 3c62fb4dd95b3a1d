"""Loading the ONS Postcode Directory into the database (``cllr postcodes import``).

A release replaces the last whole, in one transaction: the rows are streamed into a
temporary table (PostgreSQL's COPY, SQLite's executemany, never all in memory), then the
postcodes in use, each with every place (ward and division) its rows put it in, and the
retired ones go into their tables. A file of the wrong shape is refused before anything is
written; any failure part way leaves the postcodes held before as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from cllr.postcodes import onspd
from cllr.progress import SILENT, Reporter
from models import Area, Place, Postcode, PostcodeRelease, RetiredPostcode

PROGRESS = "Postcode files (MB)"
_STAGING = "postcode_rows"


@dataclass
class Imported:
    release: PostcodeRelease
    tally: onspd.Tally
    ignored: list[str] = field(default_factory=list)


def import_directory(
    session: Session, paths: list[Path], report: Reporter = SILENT, *, allow_fewer: bool = False
) -> Imported:
    """Read the files (zips or CSVs; see cllr.postcodes.onspd) and make them the postcodes held.

    Refused, leaving what is held, when the files hold no postcode in use, or fewer than
    half as many as are held now (a file cut short?) unless ``allow_fewer``.
    """
    found = onspd.sources(paths)
    if not found.data:
        listed = ", ".join(found.ignored[:8]) or "no CSV files"
        raise onspd.DirectoryError(
            f"no postcode directory in {', '.join(str(p) for p in paths)} "
            f"(a zip or CSV with columns such as pcds, oslaua, osward; found: {listed})"
        )
    named: dict[str, onspd.Name] = {}
    for member in found.names:
        with member.open() as stream:
            for row in onspd.names(stream, member.name):
                named[row[0]] = row
    held = session.scalar(select(func.count(func.distinct(Postcode.postcode))))
    tally = onspd.Tally()
    places: dict[tuple, int] = {}
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    if not postgres:  # SQLite keeps a temporary table for the connection, past a rolled-back import
        conn.execute(text(f"DROP TABLE IF EXISTS temp.{_STAGING}"))
    conn.execute(
        text(
            f"CREATE TEMPORARY TABLE {_STAGING} (postcode VARCHAR(8) NOT NULL, place_id INTEGER, "
            f"retired VARCHAR(6) NOT NULL){' ON COMMIT DROP' if postgres else ''}"
        )
    )
    report.stage(PROGRESS, max(1, round(sum(m.size for m in found.data) / 2**20)))
    rows = _staged(found.data, tally, places, report)
    raw = conn.connection.driver_connection
    if postgres:
        with raw.cursor() as cursor, cursor.copy(f"COPY {_STAGING} (postcode, place_id, retired) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        raw.executemany(f"INSERT INTO {_STAGING} (postcode, place_id, retired) VALUES (?, ?, ?)", rows)
    # Replace what was held: places, postcodes, retired postcodes; names only when the files had some.
    session.execute(delete(Postcode))
    session.execute(delete(RetiredPostcode))
    session.execute(delete(Place))
    if places:
        session.execute(
            insert(Place),
            [{"id": pid, "lad": k[0], "ward": k[1], "county": k[2], "division": k[3]} for k, pid in places.items()],
        )
    conn.execute(
        text(
            f"INSERT INTO postcode (postcode, place_id) SELECT DISTINCT postcode, place_id "
            f"FROM {_STAGING} WHERE place_id IS NOT NULL"
        )
    )
    conn.execute(
        text(
            f"INSERT INTO retired_postcode (postcode, retired) SELECT s.postcode, MAX(s.retired) FROM {_STAGING} s "
            f"WHERE s.place_id IS NULL AND NOT EXISTS (SELECT 1 FROM postcode p WHERE p.postcode = s.postcode) "
            f"GROUP BY s.postcode"
        )
    )
    if not postgres:
        conn.execute(text(f"DROP TABLE {_STAGING}"))
    if named:
        session.execute(delete(Area))
        session.execute(
            insert(Area),
            [
                {"gss": code, "kind": kind, "name": name, "parent": parent}
                for code, kind, name, parent in named.values()
            ],
        )
    live = session.scalar(select(func.count(func.distinct(Postcode.postcode))))
    if not live:
        raise onspd.DirectoryError(f"{_described(found)}: no postcode in use among {tally.rows:,} rows")
    if live < held / 2 and not allow_fewer:
        raise onspd.DirectoryError(
            f"{_described(found)}: {live:,} postcodes in use, fewer than half the {held:,} held now "
            f"(a file cut short?); to load it all the same, allow fewer"
        )
    split = session.scalar(
        select(func.count()).select_from(
            select(Postcode.postcode).group_by(Postcode.postcode).having(func.count() > 1).subquery()
        )
    )
    release = PostcodeRelease(
        sources=_described(found)[:2000],
        rows=tally.rows,
        live=live,
        retired=session.scalar(select(func.count()).select_from(RetiredPostcode)),
        split=split,
        places=len(places),
        outside=tally.outside,
        malformed=tally.malformed,
        names=len(named) or session.scalar(select(func.count()).select_from(Area)),
    )
    session.add(release)
    session.flush()
    return Imported(release, tally, found.ignored)


def _described(found: onspd.Sources) -> str:
    lookups = f" (+ {len(found.names)} name lookup{'s' if len(found.names) != 1 else ''})" if found.names else ""
    return "; ".join(m.name for m in found.data) + lookups


def _staged(
    members: list[onspd.Member], tally: onspd.Tally, places: dict[tuple, int], report: Reporter
) -> Iterator[tuple]:
    """(postcode, place id or None when retired, month retired or "") for every row; numbers the places as they come."""
    for member in members:
        read_mb = 0
        with member.open() as stream:
            for n, (code, lad, ward, county, division, retired) in enumerate(onspd.records(stream, member.name, tally)):
                if retired:
                    yield code, None, retired
                    continue
                key = (lad, ward, county, division)
                pid = places.get(key)
                if pid is None:
                    pid = places[key] = len(places) + 1
                yield code, pid, ""
                if n % 65_536 == 0:
                    now_mb = _position(stream) // 2**20
                    if now_mb > read_mb:
                        report.advance(PROGRESS, amount=now_mb - read_mb)
                        read_mb = now_mb
        whole = round(member.size / 2**20)
        if whole > read_mb:
            report.advance(PROGRESS, amount=whole - read_mb)


def _position(stream) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


def latest_release(session: Session) -> PostcodeRelease | None:
    return session.scalars(select(PostcodeRelease).order_by(PostcodeRelease.id.desc()).limit(1)).first()
