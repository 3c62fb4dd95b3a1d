"""The directory: councils, wards, parties, councillors and their membership periods."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Provenance, utcnow


class Council(Base):
    __tablename__ = "council"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # register code, e.g. "KIR"
    gss: Mapped[str | None] = mapped_column(String(9))
    name: Mapped[str] = mapped_column(String(200))
    common_name: Mapped[str] = mapped_column(String(200))
    nation: Mapped[str] = mapped_column(String(30))
    council_type: Mapped[str] = mapped_column(String(8))
    cms: Mapped[str] = mapped_column(String(20))
    scraper_class: Mapped[str] = mapped_column(String(20))
    roster_url: Mapped[str | None] = mapped_column(String(2048))
    # In office from start_date (a shadow authority is listed ahead of it) until end_date (an
    # abolished council is kept, with its councillors' history, and no longer read).
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    seats: Mapped[int | None]  # as a published source gives it (the registry), when one does
    # Counted from the council's own roster when it was last applied: councillors plus the
    # vacant seats it lists; the seat count when no published one is held (seat_count).
    roster_seats: Mapped[int | None]
    roster_seats_on: Mapped[date | None]
    disabled: Mapped[bool] = mapped_column(default=False)
    # Demo councils, and everyone and everything attached to them, are invented.
    fictional: Mapped[bool] = mapped_column(default=False)

    wards: Mapped[list[Ward]] = relationship(back_populates="council")
    councillors: Mapped[list[Councillor]] = relationship(back_populates="council")

    @property
    def seat_count(self) -> int | None:
        """The council's seats: as published when a source gives them, else as its own roster counts them."""
        return self.seats or self.roster_seats

    @property
    def seats_source(self) -> str | None:
        """Where ``seat_count`` comes from: "published" (the registry), "roster" (counted from it), or None."""
        return "published" if self.seats else "roster" if self.roster_seats else None


class Ward(Base):
    """A ward or county division. ``key`` is the normalised name that matches it across runs."""

    __tablename__ = "ward"
    __table_args__ = (UniqueConstraint("council_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    gss: Mapped[str | None] = mapped_column(String(9))
    vacant_seats: Mapped[int] = mapped_column(default=0, server_default="0")  # as the last applied roster lists them

    council: Mapped[Council] = relationship(back_populates="wards")


class Party(Base):
    """A canonical party; the exact label a council used is kept on each membership."""

    __tablename__ = "party"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    colour: Mapped[str] = mapped_column(String(7), default="#888888")


class Councillor(Provenance, Base):
    __tablename__ = "councillor"
    __table_args__ = (UniqueConstraint("council_id", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    source_id: Mapped[str] = mapped_column(String(64))  # the council system's own id
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    raw_name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))  # public work address only
    profile_url: Mapped[str | None] = mapped_column(String(2048))
    photo_url: Mapped[str | None] = mapped_column(String(2048))
    # The key posts the council's roster lists them in now (ModernGov's keyposts: "Leader of the
    # Council", "Cabinet Member for Housing"), as written; what each is: cllr.roles.
    key_posts: Mapped[list[str] | None] = mapped_column(JSON)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    council: Mapped[Council] = relationship(back_populates="councillors")
    memberships: Mapped[list[Membership]] = relationship(back_populates="councillor", order_by="Membership.id")
    former_names: Mapped[list[FormerName]] = relationship(order_by="FormerName.id")

    @property
    def current(self) -> Membership | None:
        return next((m for m in reversed(self.memberships) if m.end_date is None), None)


class FormerName(Provenance, Base):
    """A name the council listed a councillor under before (a marriage, a title dropped).

    A name change never overwrites history: the old clean and raw names are kept here
    with the day the roster stopped using them; ``Councillor.name`` is the current one.
    """

    __tablename__ = "former_name"

    id: Mapped[int] = mapped_column(primary_key=True)
    councillor_id: Mapped[int] = mapped_column(ForeignKey("councillor.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    raw_name: Mapped[str] = mapped_column(String(300))
    used_until: Mapped[date]


class Membership(Provenance, Base):
    """A period in which a councillor sat for one ward with one party label.

    A change of ward or party ends the period (``end_reason`` = ``changed``) and opens
    another; leaving the council's roster ends it with ``not_in_source``.
    """

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    councillor_id: Mapped[int] = mapped_column(ForeignKey("councillor.id"), index=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("ward.id"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id"), index=True)
    party_label: Mapped[str] = mapped_column(String(200), default="")
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))
    term_ends: Mapped[date | None]  # the scheduled end of the term, when the source gives it

    councillor: Mapped[Councillor] = relationship(back_populates="memberships")
    ward: Mapped[Ward] = relationship()
    party: Mapped[Party | None] = relationship()
