"""The refresh flow: registry → rosters → accounts → activity → metrics → site.

One task per provider lane of councils for rosters and profile pages (councils sharing
a politeness slot are fetched in turn anyway), one per batch of accounts for activity;
never one per councillor or per post (docs/architecture.md). HTTP
retries live in the HTTP layer only, so tasks have no Prefect retries.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from cllr import progress, stages
from cllr.config import Settings
from models.base import utcnow

TASK = {"cache_policy": NO_CACHE, "retries": 0}


@task(**TASK)
def load_registry() -> list[str]:
    return stages.load_registry(stages.context())


@task(**TASK)
def scrape_councils(codes: list[str], run_id: int, today: date) -> list[stages.Outcome]:
    """Rosters and profile pages of the councils of one provider (one politeness slot)."""
    return stages.scrape_lane(stages.context(), codes, run_id, today)


@task(**TASK)
def collect_activity(account_ids: list[int], run_id: int) -> stages.Outcome:
    return stages.collect_activity(stages.context(), account_ids, run_id)


@task(**TASK)
def compute_metrics(run_id: int) -> stages.Outcome:
    return stages.compute_metrics(stages.context(), run_id)


@task(**TASK)
def render_site(run_id: int) -> stages.Outcome:
    return stages.render_site(stages.context(), run_id)


@flow(name="refresh", task_runner=ThreadPoolTaskRunner(max_workers=8))
def refresh(settings: dict[str, Any] | None = None, trigger: str = "schedule") -> dict[str, Any]:
    """Refresh the directory from the councils and platforms, then rebuild the site.

    ``settings`` overrides the environment's (see ``cllr.config.Settings``), for example
    ``{"councils": ["KIR"]}`` to refresh one council.
    """
    config = Settings(**(settings or {}))
    report = progress.current()
    with stages.open_context(config) as ctx:
        run_id = stages.start_run(ctx, trigger)
        today = utcnow().date()
        codes = load_registry()
        disabled = stages.record_disabled(ctx, run_id)
        disabled.append(stages.apply_corrections(ctx, run_id))  # before the scrapes, so their locks hold at once
        report.stage("Rosters", len(codes))
        report.stage("Profiles", len(codes))
        lanes = stages.council_lanes(ctx, codes)
        futures = scrape_councils.map(lanes, unmapped(run_id), unmapped(today))
        outcomes = disabled + [outcome for future in futures for outcome in future.result()]
        batches = stages.account_batches(ctx)
        report.stage("Activity", sum(len(b) for b in batches))
        outcomes += [f.result() for f in collect_activity.map(batches, unmapped(run_id))]
        found = stages.account_batches(ctx, new_only=True)  # linked from councillors' own websites just now
        outcomes += [f.result() for f in collect_activity.map(found, unmapped(run_id))]
        outcomes.append(compute_metrics(run_id))
        outcomes.append(render_site(run_id))
        summary = stages.summarise(outcomes, ctx.fetcher.stats)
        summary["run_id"] = run_id
        stages.finish_run(ctx, run_id, summary)
    return summary
