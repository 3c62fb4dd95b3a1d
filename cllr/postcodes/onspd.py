"""Reading the ONS's postcode files: the ONS Postcode Directory (ONSPD), the ONS UPRN Directory
(ONSUD) and the ONS area names and codes lookups. Pure: files in, records out; no database.

The ONSPD, published every quarter under the Open Government Licence, is a zip with the
whole UK in ``Data/ONSPD_<MON>_<YEAR>_UK.csv`` (and the same rows again split by area in
``Data/multi_csv/``, which is skipped when the whole file is there), and the names of the
areas its codes stand for in ``Documents/*.csv``. Each member is recognised by its header,
not its name, so a CSV taken out of the zip, an NSPL, or an ONSUD file (one row per address:
the way to see a postcode whose addresses lie in more than one ward) reads the same way.

Columns are found by name, in any order, whichever of the ONS's spellings a release uses:

============  ==============================================
postcode      ``pcds`` (``SW1A 1AA``), else ``pcd``, ``pcd7``, ``pcd8``, ``pcd2``
authority     ``oslaua`` (ONSPD), ``laua`` (NSPL), ``lad25cd`` and the like
ward          ``osward``, ``ward``, ``wd25cd``
county        ``oscty``, ``cty``, ``cty25cd`` (optional)
division      ``ced``, ``ced25cd`` (optional: county electoral division)
terminated    ``doterm`` (optional; ``YYYYMM`` when the postcode was retired)
============  ==============================================

The ONS writes "no such area" as a code of nines (``E99999999``); that reads as None.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

POSTCODE_COLUMNS = ("pcds", "pcd", "pcd7", "pcd8", "pcd2")
AREA_COLUMNS = {
    "lad": re.compile(r"oslaua|laua|lad\d\dcd"),
    "ward": re.compile(r"osward|ward|wd\d\dcd"),
    "county": re.compile(r"oscty|cty|cty\d\dcd"),
    "division": re.compile(r"ced|ced\d\dcd"),
}
REQUIRED = ("lad", "ward")
# The lookups' code and name columns: WD25CD with WD25NM, and so on.
NAME_COLUMN = re.compile(r"(WD|CED|DEA|LAD|CTY)(\d\d)(CD|NM)", re.IGNORECASE)
NAME_KINDS = {"WD": "ward", "CED": "division", "DEA": "dea", "LAD": "lad", "CTY": "county"}
_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
_CODE = re.compile(r"[A-Z][0-9]{8}")


class DirectoryError(ValueError):
    """A file that is not what it should be; the message says which file and why."""


def postcode(text: str) -> str | None:
    """The postcode as the ONS writes it (``SW1A 1AA``), from any spacing and case; None if it is not one.

    >>> postcode("sw1a1aa")
    'SW1A 1AA'
    """
    code = "".join(text.split()).upper()
    return f"{code[:-3]} {code[-3:]}" if _POSTCODE.fullmatch(code) else None


def area_code(text: str) -> str | None:
    """A GSS code, or None for a blank or the ONS's "no such area" code of nines."""
    code = text.strip().upper()
    return code if _CODE.fullmatch(code) and not code.endswith("99999999") else None


@dataclass(frozen=True)
class Member:
    """One CSV file: on disk, or in a zip."""

    name: str
    size: int  # bytes, uncompressed
    open: Callable[[], BinaryIO]


@dataclass
class Sources:
    """The files given, sorted by what their headers show them to be."""

    data: list[Member] = field(default_factory=list)
    names: list[Member] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def sources(paths: list[Path]) -> Sources:
    """Every CSV in the files given (zips opened), sorted into postcode data and name lookups by header."""
    found = Sources()
    for path in paths:
        for member in _members(Path(path)):
            kind = _kind(_header(member))
            (found.data if kind == "data" else found.names if kind == "names" else found.ignored).append(
                member if kind else member.name
            )
    whole = [m for m in found.data if "/multi_csv/" not in f"/{m.name}"]
    if whole and len(whole) < len(found.data):  # the same rows twice: the whole file, and split by area
        found.ignored += [m.name for m in found.data if m not in whole]
        found.data = whole
    return found


def _members(path: Path) -> list[Member]:
    if not path.is_file():
        raise DirectoryError(f"{path}: no such file")
    if zipfile.is_zipfile(path):
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise DirectoryError(f"{path}: a damaged zip ({exc})") from None
        return [
            Member(f"{path.name}:{info.filename}", info.file_size, lambda info=info: archive.open(info))
            for info in archive.infolist()
            if info.filename.lower().endswith(".csv") and not info.is_dir()
        ]
    return [Member(path.name, path.stat().st_size, lambda: open(path, "rb"))]


def _header(member: Member) -> list[str]:
    try:
        with member.open() as stream:
            first = stream.readline(64_000)
    except (OSError, zipfile.BadZipFile) as exc:
        raise DirectoryError(f"{member.name}: cannot be read ({exc})") from None
    try:
        return next(csv.reader([first.decode("utf-8-sig", errors="replace")]), [])
    except csv.Error:
        return []


def _kind(header: list[str]) -> str | None:
    names = {h.strip().lower() for h in header}
    if names & set(POSTCODE_COLUMNS) and any(any(p.fullmatch(n) for n in names) for p in AREA_COLUMNS.values()):
        return "data"
    codes = {
        m.group(1).upper() for h in header if (m := NAME_COLUMN.fullmatch(h.strip())) and m.group(3).upper() == "CD"
    }
    named = {
        m.group(1).upper() for h in header if (m := NAME_COLUMN.fullmatch(h.strip())) and m.group(3).upper() == "NM"
    }
    return "names" if codes & named else None


@dataclass(frozen=True)
class Columns:
    """Where each wanted column is in a data file's rows."""

    postcode: int
    lad: int
    ward: int
    county: int | None
    division: int | None
    terminated: int | None


def columns(header: list[str], source: str) -> Columns:
    """The positions of the wanted columns; a clear error naming what is missing."""
    names = [h.strip().lower() for h in header]
    pc = next((names.index(c) for c in POSTCODE_COLUMNS if c in names), None)
    found = {
        key: next((i for i, n in enumerate(names) if pattern.fullmatch(n)), None)
        for key, pattern in AREA_COLUMNS.items()
    }
    missing = [key for key in REQUIRED if found[key] is None] + (["postcode"] if pc is None else [])
    if missing:
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        raise DirectoryError(
            f"{source}: not a postcode directory: no {' or '.join(missing)} column "
            f"(expected e.g. pcds, oslaua, osward; its columns are: {shown or 'none'})"
        )
    return Columns(
        pc,
        found["lad"],
        found["ward"],
        found["county"],
        found["division"],
        names.index("doterm") if "doterm" in names else None,
    )


@dataclass
class Tally:
    """What the data rows held."""

    rows: int = 0
    retired: int = 0  # rows of terminated postcodes
    outside: int = 0  # rows in no council area (the Channel Islands and the Isle of Man)
    malformed: int = 0  # rows without a valid postcode or ward
    examples: list[str] = field(default_factory=list)  # the first few malformed rows, by file and line


# A record: (postcode, local authority, ward, county, division, month retired or "").
Record = tuple[str, str, str, "str | None", "str | None", str]


def records(stream: BinaryIO, source: str, tally: Tally) -> Iterator[Record]:
    """The data rows of one file as records, counting what was skipped in ``tally``."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise DirectoryError(f"{source}: empty file") from None
    except csv.Error as exc:
        raise DirectoryError(f"{source}: not CSV ({exc})") from None
    cols = columns(header, source)
    width = max(
        i for i in (cols.postcode, cols.lad, cols.ward, cols.county, cols.division, cols.terminated) if i is not None
    )
    line = 1
    try:
        for row in reader:
            line += 1
            tally.rows += 1
            if len(row) <= width:
                _malformed(tally, source, line, f"{len(row)} columns")
                continue
            code = postcode(row[cols.postcode])
            lad, ward = area_code(row[cols.lad]), area_code(row[cols.ward])
            if code is None or (lad and ward is None):
                _malformed(tally, source, line, "no valid postcode" if code is None else "no ward")
                continue
            retired = row[cols.terminated].strip() if cols.terminated is not None else ""
            if retired:
                tally.retired += 1
                yield code, lad or "", ward or "", None, None, retired
                continue
            if lad is None:
                tally.outside += 1
                continue
            county = area_code(row[cols.county]) if cols.county is not None else None
            division = area_code(row[cols.division]) if cols.division is not None else None
            yield code, lad, ward, county, division, ""
    except csv.Error as exc:
        raise DirectoryError(f"{source}: line {line + 1}: not CSV ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:  # a damaged zip or a failing disk
        raise DirectoryError(f"{source}: cannot be read after line {line} ({exc})") from None


def _malformed(tally: Tally, source: str, line: int, why: str) -> None:
    tally.malformed += 1
    if len(tally.examples) < 5:
        tally.examples.append(f"{source} line {line}: {why}")


# A name: (code, kind, name, parent code or None).
Name = tuple[str, str, str, "str | None"]


def names(stream: BinaryIO, source: str) -> Iterator[Name]:
    """The areas a lookup names. A lookup that gives each ward's district electoral area (Northern
    Ireland) also gives the ward's parent."""
    data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # older ONS lookups are in Windows-1252
        text = data.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    pairs: dict[str, dict[str, int]] = {}
    for i, h in enumerate(header):
        if m := NAME_COLUMN.fullmatch(h.strip()):
            pairs.setdefault(m.group(1).upper(), {})[m.group(3).upper()] = i
    pairs = {prefix: cols for prefix, cols in pairs.items() if {"CD", "NM"} <= cols.keys()}
    for row in reader:
        for prefix, cols in pairs.items():
            if max(cols.values()) >= len(row):
                continue
            code, name = area_code(row[cols["CD"]]), " ".join(row[cols["NM"]].split())
            if code and name:
                parent = area_code(row[pairs["DEA"]["CD"]]) if prefix == "WD" and "DEA" in pairs else None
                yield code, NAME_KINDS[prefix], name, parent
