"""Runs that cannot overlap and that resume after being killed.

Each step a run records is a heartbeat (``Run.heartbeat_at``). A flow starts its run with
:func:`begin`:

* a ``running`` run silent for longer than ``STALE`` was killed part-way (a worker lost,
  a machine restarted): it is marked ``interrupted``;
* a ``running`` run still alive means this one must not start (:class:`RunInProgress`):
  two runs writing the same rows at once would only duplicate work;
* the newest run of the same kind, if ``interrupted`` less than ``RESUME_WITHIN`` ago, is
  resumed: the new run skips what that run, and any run it resumed in turn, finished
  (:func:`finished_work`): councils whose rosters and profile pages were done, accounts
  whose activity was collected. Each council's merge is one transaction, so a killed run
  leaves no council half-applied; metrics and the site are always redone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Council, ProfileSnapshot, Run, RunStep
from models.base import utcnow

STALE = timedelta(minutes=15)  # far longer than any one step: a politeness wait, a slow page
RESUME_WITHIN = timedelta(hours=24)  # older than a day, start afresh
FINAL_ROSTER = ("failed", "quarantined", "skipped", "skipped_robots", "disabled")  # no profile step follows


class RunInProgress(Exception):
    def __init__(self, run: Run):
        super().__init__(
            f"run {run.id} ({run.kind}) is still in progress, last seen {run.heartbeat_at or run.started_at:%H:%M:%S}"
        )
        self.run_id = run.id


@dataclass
class Finished:
    """What earlier runs of a resumed chain finished: the new run does not redo it."""

    runs: list[int] = field(default_factory=list)
    councils: set[str] = field(default_factory=set)
    accounts: set[int] = field(default_factory=set)
    since: datetime | None = None  # when the oldest of those runs began


def begin(session: Session, trigger: str, kind: str, *, now: datetime | None = None) -> Run:
    """Start a run of ``kind`` (refresh, activity, site); raises :class:`RunInProgress` while another lives."""
    now = now or utcnow()
    for run in session.scalars(select(Run).where(Run.status == "running").order_by(Run.id)):
        last = run.heartbeat_at or run.started_at
        if now - last <= STALE:
            raise RunInProgress(run)
        run.status = "interrupted"
        run.finished_at = last
    session.flush()
    previous = session.scalar(select(Run).where(Run.kind == kind).order_by(Run.id.desc()).limit(1))
    resumed = previous is not None and previous.status == "interrupted" and now - previous.started_at <= RESUME_WITHIN
    run = Run(
        trigger=trigger, kind=kind, started_at=now, heartbeat_at=now, resumed_from=previous.id if resumed else None
    )
    session.add(run)
    session.flush()
    return run


def finished_work(session: Session, run: Run) -> Finished:
    """Councils and accounts finished by the interrupted runs that ``run`` resumes (empty if none)."""
    done = Finished()
    chain = run.resumed_from
    while chain is not None and chain not in done.runs:
        done.runs.append(chain)
        chain = session.scalar(select(Run.resumed_from).where(Run.id == chain))
    if not done.runs:
        return done
    steps = session.execute(
        select(Council.code, RunStep.stage, RunStep.status)
        .join(Council, Council.id == RunStep.council_id)
        .where(RunStep.run_id.in_(done.runs))
    ).all()
    done.since = session.scalar(select(func.min(Run.started_at)).where(Run.id.in_(done.runs)))
    done.councils = {
        code for code, stage, status in steps if stage == "profiles" or (stage == "roster" and status in FINAL_ROSTER)
    }
    done.accounts = set(
        session.scalars(select(ProfileSnapshot.account_id).where(ProfileSnapshot.run_id.in_(done.runs)))
    )
    return done
