"""What the commands share: a refresh run with its progress and summary, and the database for one command."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager

import click

from cllr.config import Settings

DEMO_INTAKE_PORT = 8400


def run_refresh(overrides: dict, trigger: str) -> dict:
    from flows.refresh import refresh  # first: it sets Prefect's quiet defaults before Prefect loads

    # isort: split
    from prefect.task_runners import ThreadPoolTaskRunner

    from cllr import progress
    from cllr.pipeline.summary import render_summary

    settings = Settings(**overrides)
    started = time.monotonic()
    with progress.Reporter() as reporter:
        progress.use(reporter)
        try:
            flow = refresh.with_options(task_runner=ThreadPoolTaskRunner(max_workers=settings.threads))
            summary = flow(settings=jsonable(overrides), trigger=trigger)
        finally:
            progress.use(progress.SILENT)
    if "skipped" in summary:  # another run holds the directory (cllr/pipeline/ledger.py)
        raise click.ClickException(f"not started: {summary['skipped']}")
    click.echo(render_summary(summary, time.monotonic() - started))
    return summary


def jsonable(overrides: dict) -> dict:
    return json.loads(json.dumps(overrides, default=str))


@contextmanager
def database():
    """The application database, migrated, for one command; a refusal or lookup failure becomes a clear error."""
    from cllr.corrections.operations import Refused
    from models.db import Database

    db = Database(Settings().db_url)
    db.migrate()
    try:
        with db.session() as session:
            yield session
    except Refused as exc:
        raise click.ClickException(exc.message) from None
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.dispose()
