"""Adoption figures kept as history: one row per council per day the metrics were computed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class CouncilFigure(Base):
    """A council's adoption figures as of one day (the definitions are in docs/metrics.md).

    ``seats`` is the registry's seat count that day, or None when it was unknown or stale
    (fewer seats than sitting councillors), in which case no share is shown for the day.
    """

    __tablename__ = "council_figure"
    __table_args__ = (UniqueConstraint("council_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    as_of: Mapped[date]
    seats: Mapped[int | None]
    councillors: Mapped[int]
    with_account: Mapped[int]  # councillors with at least one confirmed account
    active: Mapped[int]  # councillors who posted in the last 30 days on a confirmed account of their own
    posts_30d: Mapped[int]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"), index=True)
