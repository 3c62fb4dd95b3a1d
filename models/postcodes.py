"""The ONS Postcode Directory as the site needs it: which wards and divisions each postcode lies in.

Loaded whole by ``cllr postcodes import`` (cllr/postcodes/importer.py), each release replacing the
last in one transaction. Codes are the ONS's nine-character GSS codes; the ONS's own
"no such area" codes (``E99999999`` and the like) are stored as NULL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class PostcodeRelease(Base):
    """One import: the files it read and what it found in them (the latest row describes the postcodes held)."""

    __tablename__ = "postcode_release"

    id: Mapped[int] = mapped_column(primary_key=True)
    sources: Mapped[str] = mapped_column(String(2000))  # the file names read, "; "-separated
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    rows: Mapped[int]  # data rows read
    live: Mapped[int]  # distinct postcodes in use
    retired: Mapped[int]  # distinct postcodes the directory marks terminated (and none in use)
    split: Mapped[int]  # postcodes in use that lie in more than one place (ward and division)
    places: Mapped[int]
    outside: Mapped[int]  # rows in no council area (Channel Islands, Isle of Man)
    malformed: Mapped[int]  # rows skipped: no valid postcode, or no ward
    names: Mapped[int]  # area names read from the lookups


class Area(Base):
    """An ONS area's name: a ward, county electoral division, district electoral area, local authority or county.

    ``parent`` is the area a ward lies in where councillors are elected for groups of
    wards (Northern Ireland's district electoral areas), when a lookup gave it.
    """

    __tablename__ = "ons_area"

    gss: Mapped[str] = mapped_column(String(9), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # ward|division|dea|lad|county
    name: Mapped[str] = mapped_column(String(200))
    parent: Mapped[str | None] = mapped_column(String(9))


class Place(Base):
    """A combination of areas some postcode lies in: a local authority and its ward, and the county and division above."""

    __tablename__ = "postcode_place"
    __table_args__ = (UniqueConstraint("lad", "ward", "county", "division"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    lad: Mapped[str] = mapped_column(String(9), index=True)
    ward: Mapped[str] = mapped_column(String(9))
    county: Mapped[str | None] = mapped_column(String(9), index=True)
    division: Mapped[str | None] = mapped_column(String(9))


class Postcode(Base):
    """A postcode in use, written as the ONS writes it (``SW1A 1AA``), in each place it lies in (more than one: split)."""

    __tablename__ = "postcode"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("postcode_place.id"), primary_key=True)


class RetiredPostcode(Base):
    """A postcode the directory marks terminated, with the month it was (``YYYYMM``): so the site can say so."""

    __tablename__ = "retired_postcode"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    retired: Mapped[str] = mapped_column(String(6))
