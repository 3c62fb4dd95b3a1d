"""The flows: the full refresh (registry → rosters → accounts → activity → metrics → ward codes → site),
the activity refresh (accounts → metrics) and the site publish; prefect.yaml deploys them.

One task per provider lane of councils for rosters and profile pages (councils sharing
a politeness slot are fetched in turn anyway), one per batch of accounts for activity;
never one per councillor or per post (docs/architecture.md). HTTP
retries live in the HTTP layer only, so tasks have no Prefect retries.
"""

from __future__ import annotations

import time
from collections import deque
from datetime import date
from queue import Queue
from typing import Any

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from cllr import progress
from cllr.config import Settings
from cllr.pipeline import (
    activity,
    approved_corrections,
    bluesky_lists,
    context,
    finishing,
    metrics,
    registry,
    rosters,
    ward_codes,
)
from cllr.pipeline.ledger import Finished, RunInProgress
from cllr.pipeline.summary import council_rows, summarise, summary_markdown
from models.base import utcnow

TASK = {"cache_policy": NO_CACHE, "retries": 0}
QUEUE_EVERY = 5.0  # seconds between looks for accounts the finished lanes found


def _threads() -> int:
    """The refresh's threads as the environment sets its lanes and batches (``Settings.threads``);
    ``cllr run`` and the benchmarks size the runner from their own settings."""
    try:
        return Settings().threads
    except ValueError:  # a bad setting: the flow reports it when it starts
        return Settings.model_fields["lanes"].default + Settings.model_fields["workers"].default + 1


THREADS = _threads()


@task(**TASK)
def load_registry() -> list[str]:
    return registry.load_registry(context.context())


@task(**TASK)
def scrape_councils(codes: list[str], run_id: int, today: date) -> list[context.Outcome]:
    """Rosters and profile pages of the councils of one provider (one politeness slot)."""
    return rosters.scrape_lane(context.context(), codes, run_id, today)


@task(**TASK)
def collect_activity(account_ids: list[int], run_id: int) -> context.Outcome:
    return activity.collect_activity(context.context(), account_ids, run_id)


@task(**TASK)
def settle_renames(run_id: int) -> context.Outcome:
    return activity.settle_suggested_renames(context.context(), run_id)


@task(**TASK)
def compute_metrics(run_id: int) -> context.Outcome:
    return metrics.compute_metrics(context.context(), run_id)


@task(**TASK)
def match_ward_codes(run_id: int) -> context.Outcome:
    return ward_codes.match_ward_codes(context.context(), run_id)


@task(**TASK)
def render_site(run_id: int) -> context.Outcome:
    return finishing.render_site(context.context(), run_id)


@task(**TASK)
def publish_lists(run_id: int) -> context.Outcome:
    return bluesky_lists.publish_lists(context.context(), run_id)


@flow(name="refresh", task_runner=ThreadPoolTaskRunner(max_workers=THREADS))
def refresh(settings: dict[str, Any] | None = None, trigger: str = "schedule") -> dict[str, Any]:
    """Refresh the directory from the councils and platforms, then rebuild the site.

    ``settings`` overrides the environment's (see ``cllr.config.Settings``), for example
    ``{"councils": ["KIR"]}`` to refresh one council, or ``{"stages": "councils"}`` for the
    rosters and profile pages alone. A run killed part-way is resumed by the next: councils
    and accounts it finished are not redone (``cllr.pipeline.ledger``).
    """
    config = Settings(**(settings or {}))
    report = progress.current()
    with context.open_context(config) as ctx:
        try:
            run_id, done = context.begin_run(ctx, trigger, "refresh")
        except RunInProgress as exc:
            return _skipped(exc)
        today = utcnow().date()
        codes = [code for code in load_registry() if code not in done.councils]
        disabled = registry.record_disabled(ctx, run_id)
        disabled.append(
            approved_corrections.apply_corrections(ctx, run_id)
        )  # before the scrapes, so their locks hold at once
        report.stage("Rosters", len(codes))
        report.stage("Profiles", len(codes))
        report.stage("Activity", 0)
        lanes = rosters.council_lanes(ctx, codes)
        outcomes = disabled + _scrape_and_collect(ctx, lanes, run_id, today, report, done)
        if config.stages != "councils":
            outcomes.append(compute_metrics(run_id))
            outcomes.append(
                match_ward_codes(run_id)
            )  # rosters may have new wards: the postcode finder needs their codes
            outcomes.append(render_site(run_id))
            if config.bluesky_lists_enabled:  # only with the operator's own account: nothing is published otherwise
                outcomes.append(publish_lists(run_id))
        return _finish(ctx, run_id, outcomes, done)


@flow(name="refresh-activity", task_runner=ThreadPoolTaskRunner(max_workers=8))
def refresh_activity(settings: dict[str, Any] | None = None, trigger: str = "schedule") -> dict[str, Any]:
    """Collect activity of the known accounts and recompute the metrics; no council is scraped.

    Between nightly refreshes, so that activity figures are at most a few hours old; the
    site is published by ``publish_site``.
    """
    config = Settings(**(settings or {}))
    report = progress.current()
    with context.open_context(config) as ctx:
        try:
            run_id, done = context.begin_run(ctx, trigger, "activity")
        except RunInProgress as exc:
            return _skipped(exc)
        outcomes = _collect(ctx, run_id, report, done)
        outcomes.append(compute_metrics(run_id))
        return _finish(ctx, run_id, outcomes, done)


@flow(name="publish-site")
def publish_site(settings: dict[str, Any] | None = None, trigger: str = "schedule") -> dict[str, Any]:
    """Rebuild the static site and open data from the database (nothing is rebuilt when nothing changed)."""
    config = Settings(**(settings or {}))
    with context.open_context(config) as ctx:
        try:
            run_id, done = context.begin_run(ctx, trigger, "site")
        except RunInProgress as exc:
            return _skipped(exc)
        return _finish(ctx, run_id, [render_site(run_id)], done)


def _scrape_and_collect(
    ctx: context.Context, lanes: list[list[str]], run_id: int, today: date, report, done: Finished
) -> list[context.Outcome]:
    """Scrape the lanes, collecting every account while they run; return all their outcomes.

    Activity does not wait for the scraping: the accounts known before the run are queued
    at once, and those the lanes find as they finish (looked for at most every
    ``QUEUE_EVERY`` seconds), so the platforms' slots work alongside the councils'. Up to
    ``CLLR_LANES`` lanes run at once (a lane mostly waits for its slot's delay, so every
    slot with work can have a request in flight), busiest first, and up to ``CLLR_WORKERS``
    activity batches; each kind is handed to the task runner only when one of its own
    finishes, so a lane never queues behind activity batches, nor a batch behind lanes.
    """
    queued: set[int] = set(done.accounts)
    batches: deque[list[int]] = deque()
    collect = ctx.settings.stages == "all"

    def queue() -> None:
        if not collect:
            return
        found = activity.account_batches(ctx, skip=queued)
        for batch in found:
            queued.update(batch)
        report.more("Activity", sum(len(b) for b in found))
        batches.extend(found)

    finished: Queue = Queue()
    waiting, outcomes, looked = deque(lanes), [], time.monotonic()
    running = {"lane": 0, "batch": 0}

    def hand_out() -> None:
        while waiting and running["lane"] < max(1, ctx.settings.lanes):
            lane = waiting.popleft()
            future = scrape_councils.submit(lane, run_id, today)
            future.add_done_callback(lambda f, lane=lane: finished.put(("lane", f, lane)))
            running["lane"] += 1
        while batches and running["batch"] < max(1, ctx.settings.workers):
            batch = batches.popleft()
            future = collect_activity.submit(batch, run_id)
            future.add_done_callback(lambda f, batch=batch: finished.put(("batch", f, batch)))
            running["batch"] += 1

    scraping = bool(waiting)
    queue()
    hand_out()
    while running["lane"] or running["batch"]:
        kind, future, work = finished.get()
        running[kind] -= 1
        outcomes += _outcomes(kind, future, work)
        if scraping and (not (waiting or running["lane"]) or time.monotonic() - looked >= QUEUE_EVERY):
            queue()  # the accounts the lanes found (once they are all done, the last of them)
            looked, scraping = time.monotonic(), bool(waiting or running["lane"])
        hand_out()
    if not collect:
        return outcomes
    found = activity.account_batches(ctx, new_only=True)  # linked from councillors' own websites just now
    report.more("Activity", sum(len(b) for b in found))
    outcomes += [f.result() for f in collect_activity.map(found, unmapped(run_id))]
    return [*outcomes, settle_renames(run_id)]


def _outcomes(kind: str, future, work: list) -> list[context.Outcome]:
    """What a lane or a batch did; if its task failed outright (its steps could not even be recorded),
    each of its councils, or the batch, as failed: the run goes on, and the next one does it again."""
    try:
        result = future.result()
    except Exception as exc:
        get_run_logger().exception("a %s failed: %s", kind, exc)
        reason = f"unexpected {type(exc).__name__}: {exc}"
        if kind == "lane":
            return [context.Outcome("roster", code, "failed", reason) for code in work]
        return [context.Outcome("activity", f"x{len(work)}", "failed", reason)]
    return result if kind == "lane" else [result]


def _collect(ctx: context.Context, run_id: int, report, done: Finished) -> list[context.Outcome]:
    batches = activity.account_batches(ctx, skip=done.accounts)
    report.stage("Activity", sum(len(b) for b in batches))
    outcomes = [f.result() for f in collect_activity.map(batches, unmapped(run_id))]
    found = activity.account_batches(ctx, new_only=True)  # linked from councillors' own websites just now
    outcomes += [f.result() for f in collect_activity.map(found, unmapped(run_id))]
    return outcomes


def _finish(ctx: context.Context, run_id: int, outcomes: list[context.Outcome], done: Finished) -> dict[str, Any]:
    summary = summarise(outcomes, ctx.fetcher.stats)
    summary["run_id"] = run_id
    if parsers_mb := ctx.parse.peak_mb():  # the parsing processes' memory, beside the run's own
        summary["parsers_mb"] = parsers_mb
    if done.runs:
        summary["resumed"] = {"runs": done.runs, "councils": len(done.councils), "accounts": len(done.accounts)}
    context.finish_run(ctx, run_id, summary)
    publish_artifacts(summary, outcomes)
    return summary


def _skipped(exc: RunInProgress) -> dict[str, Any]:
    get_run_logger().warning("not started: %s", exc)
    return {"skipped": str(exc)}


def publish_artifacts(summary: dict[str, Any], outcomes: list[context.Outcome]) -> None:
    """The run's summary as Prefect artifacts (stable keys, so the UI keeps each one's history):
    ``run-summary`` (markdown: councils by status, accounts collected, problems) and
    ``run-councils`` (a table: each council's roster and profile-page status)."""
    create_markdown_artifact(
        key="run-summary", markdown=summary_markdown(summary), description=f"Run {summary['run_id']}"
    )
    rows = council_rows(outcomes)
    if rows:
        create_table_artifact(key="run-councils", table=rows, description=f"Run {summary['run_id']}: councils")
