"""The run ledger: one row per pipeline run, one per step of it (a council scrape, a batch of accounts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


class Run(Base):
    """One pipeline run. A run killed part-way stays ``running`` with a silent heartbeat until
    the next run marks it ``interrupted`` and resumes it (``resumed_from``)."""

    __tablename__ = "run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # running|finished|failed|interrupted (killed part-way: silent past STALE, see cllr.runs)
    status: Mapped[str] = mapped_column(String(20), default="running")
    trigger: Mapped[str] = mapped_column(String(40), default="manual")  # manual|demo|schedule|test
    kind: Mapped[str] = mapped_column(String(20), default="refresh", server_default="refresh")  # refresh|activity|site
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    heartbeat_at: Mapped[datetime | None]  # the last step recorded: a sign of life
    resumed_from: Mapped[int | None] = mapped_column(ForeignKey("run.id"))  # the interrupted run this one finishes

    steps: Mapped[list[RunStep]] = relationship(back_populates="run", cascade="all, delete-orphan")


class RunStep(Base):
    """One unit of work in a run, with its outcome.

    ``status`` is one of: applied, unchanged, quarantined, failed, skipped (no scraper
    or configuration for the council yet), skipped_robots (robots.txt refuses us),
    disabled (switched off in the registry), done (a stage with no merge). ``http`` is
    the step's requests by HTTP status ("200", "304", "404", "error", "retries"...),
    ``bytes_read`` the bytes they returned (see ``Fetcher.tally``).
    """

    __tablename__ = "run_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id"), index=True)
    stage: Mapped[str] = mapped_column(String(40))  # roster|profiles|activity|metrics|site
    council_id: Mapped[int | None] = mapped_column(ForeignKey("council.id"), index=True)
    subject: Mapped[str | None] = mapped_column(String(200))  # e.g. "bluesky batch 3"
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_url: Mapped[str | None] = mapped_column(String(2048))
    http: Mapped[dict[str, int]] = mapped_column(JSON, default=dict, server_default="{}")
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    run: Mapped[Run] = relationship(back_populates="steps")


class StagedRoster(Base):
    """A quarantined roster, kept so that an operator can release it (``cllr runs approve``).

    The release is audited here: who, when and why. It applies that roster once; the
    next scrape is checked as usual.
    """

    __tablename__ = "staged_roster"

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("run_step.id"), unique=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("council.id"), index=True)
    source_url: Mapped[str | None] = mapped_column(String(2048))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(200))
    release_reason: Mapped[str | None] = mapped_column(Text)


class PolitenessSlot(Base):
    """When a politeness slot (a provider's registrable domain) may next start a request,
    shared by every process and machine of a deployment (``CLLR_SHARED_SLOTS``)."""

    __tablename__ = "politeness_slot"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    next_start: Mapped[float] = mapped_column(Float)  # seconds since the epoch
