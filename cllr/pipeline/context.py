"""What the stages of a run share: its settings, database and HTTP layer (the context), the
small :class:`Outcome` each unit of work returns, and the run's steps in the ledger.

Each stage works on one unit (a council, a batch of accounts), records what happened
in the run ledger, and returns an :class:`Outcome`. A failing unit is recorded and
reported, never raised: one broken council page cannot stop the run. The Prefect flow
in ``flows/refresh.py`` only composes the stages."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from cllr.config import Settings
from cllr.http import Fetcher
from cllr.pipeline import ledger
from cllr.pipeline.ledger import Finished
from cllr.pipeline.overrides import ca_bundles
from cllr.pipeline.parsing import Parsers
from cllr.pipeline.shared_instances import Rules, read_rules
from cllr.pipeline.shared_slots import SharedSlots
from cllr.pipeline.verification import own_domains
from models import Council, Run, RunStep
from models.base import utcnow
from models.db import Database
from models.store import read_registry
from scrapers.families import read_council_configs

log = logging.getLogger("cllr")


@dataclass
class Outcome:
    """What one unit of work did; small enough to pass between tasks."""

    stage: str
    subject: str
    status: str  # applied|unchanged|quarantined|failed|skipped|skipped_robots|disabled|done
    reason: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    changes: dict[str, list[str]] = field(default_factory=dict)
    step_id: int | None = None  # its row in the run ledger


@dataclass
class Context:
    """What the stages of one run share: settings, the database and the HTTP layer."""

    settings: Settings
    db: Database
    fetcher: Fetcher
    parse: Parsers = field(default_factory=lambda: Parsers(0))  # runs a pure parser, on another core when it may
    _configs: dict[str, dict] | None = None
    _domains: dict[int, str] | None = None
    _shared: dict[str, Rules] | None = None
    # Council code → its councillors' own pages read with its roster (URL → body, URL read),
    # until the council's accounts are looked for in them (profiles.discover_accounts).
    own_pages: dict[str, dict[str, tuple[bytes, str]]] = field(default_factory=dict)

    def council_domains(self) -> dict[int, str]:
        """Council id → the council's own domain (``verification.own_domains``), read once per run."""
        if self._domains is None:
            with self.db.session() as session:
                self._domains = own_domains(session.execute(select(Council.id, Council.roster_url)).all())
        return self._domains

    def shared_instances(self) -> dict[str, Rules]:
        """Council code → its rules on a shared roster (``Settings.shared_instances``), read once per run."""
        if self._shared is None:
            self._shared = read_rules(self.settings.shared_instances)
        return self._shared

    def council_configs(self) -> dict[str, dict]:
        """Council code → selectors or field paths (``Settings.scrapers``), read once per run."""
        if self._configs is None:
            self._configs = read_council_configs(self.settings.scrapers)
        return self._configs


_context: Context | None = None


@contextmanager
def open_context(settings: Settings) -> Iterator[Context]:
    """Open the database (migrating it) and the HTTP layer for a run."""
    global _context
    db = Database(settings.db_url, pool_size=settings.threads + 4)  # a connection for each thread of the run, and spare
    db.migrate()
    fetcher = Fetcher(settings, ca_bundles=ca_bundles(read_registry(settings.registry), settings.overrides))
    if settings.shared_slots:  # one pace per provider across every worker (docs/operations.md)
        fetcher.slots = SharedSlots(fetcher.clock, settings.request_delay, db.engine)
    _context = Context(settings, db, fetcher, Parsers(settings.parse_processes))
    try:
        yield _context
    finally:
        _context.parse.close()
        _context = None
        fetcher.close()
        db.dispose()


def context() -> Context:
    if _context is None:
        raise RuntimeError("no pipeline context is open (use context.open_context)")
    return _context


def start_run(ctx: Context, trigger: str) -> int:
    with ctx.db.session() as session:
        run = Run(trigger=trigger, started_at=utcnow())
        session.add(run)
        session.flush()
        return run.id


def begin_run(ctx: Context, trigger: str, kind: str = "refresh") -> tuple[int, Finished]:
    """Start a run that may not overlap another and resumes an interrupted one (``cllr.pipeline.ledger``).

    Returns the run's id and what the runs it resumes finished; the HTTP validators those
    runs stored are forgotten, so that their unfinished pages are read in full again (and
    all of them on a database's first run). Raises ``RunInProgress``.
    """
    with ctx.db.session() as session:
        run = ledger.begin(session, trigger, kind)
        run_id, done = run.id, ledger.finished_work(session, run)
        fresh = session.scalar(select(func.count()).select_from(Run)) == 1
    if fresh:  # a new database beside an old validator store: what those validators describe is not in it
        ctx.fetcher.validators.forget_since(0)
    elif done.since is not None:  # pages fetched by the killed run may never have had their content stored
        ctx.fetcher.validators.forget_since(done.since.timestamp())
    return run_id, done


def finish_run(ctx: Context, run_id: int, summary: dict[str, Any]) -> None:
    with ctx.db.session() as session:
        run = session.get(Run, run_id)
        run.finished_at = utcnow()
        run.status = "finished"
        run.summary = summary


def record_step(
    ctx: Context,
    run_id: int,
    outcome: Outcome,
    *,
    council_id=None,
    source_url=None,
    started_at: datetime | None = None,
    http: Counter[str] | None = None,
) -> Outcome:
    """Write the outcome as a step of the run ledger, with its HTTP tally (``Fetcher.tally``)."""
    http = Counter(http or {})
    bytes_read = http.pop("bytes", 0)
    with ctx.db.session() as session:
        step = RunStep(
            run_id=run_id,
            stage=outcome.stage,
            council_id=council_id,
            subject=outcome.subject,
            status=outcome.status,
            reason=outcome.reason,
            counts=outcome.counts,
            source_url=source_url,
            http=dict(sorted(http.items())),
            bytes_read=bytes_read,
            started_at=started_at or utcnow(),
            finished_at=utcnow(),
        )
        session.add(step)
        session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=step.finished_at))  # a sign of life
        session.flush()
        outcome.step_id = step.id
    return outcome
