"""The directory's state: councils, runs and their steps, suggestions waiting for review, the database."""

from __future__ import annotations

import json
import os
from datetime import date

import click

from cllr.config import Settings


@click.group()
def councils() -> None:
    """The councils in the registry and how their scrapes are going."""


@councils.command("list")
@click.option("--family", help="Only this CMS family (moderngov, cmis, html, json).")
@click.option("--failing", is_flag=True, help="Only councils whose last roster step failed or was quarantined.")
def councils_list(family: str | None, failing: bool) -> None:
    """List each council with its CMS family, last run, status and counts.

    Reads the registry into the database first, so it works before any run.

    Example:

        cllr councils list --failing
    """
    from sqlalchemy import func, select

    from models import Council, Councillor, Membership, RunStep
    from models.db import Database
    from models.store import load_registry, read_registry
    from scrapers.families import read_council_configs

    settings = Settings()
    db = Database(settings.db_url)
    db.migrate()
    with db.session() as session:
        load_registry(session, read_registry(settings.registry))
        last = {
            s.council_id: s
            for s in session.scalars(select(RunStep).where(RunStep.stage == "roster").order_by(RunStep.id))
        }
        members = dict(
            session.execute(
                select(Councillor.council_id, func.count())
                .join(Membership, Membership.councillor_id == Councillor.id)
                .where(Membership.end_date.is_(None))
                .group_by(Councillor.council_id)
            ).all()
        )
        query = select(Council).order_by(Council.code)
        if family:
            query = query.where(Council.cms == family)
        shown = list(session.scalars(query))
        click.echo(f"{'code':<5} {'family':<10} {'last run':<17} {'status':<14} {'councillors':>11}  name")
        for council in shown:
            step = last.get(council.id)
            abolished = council.end_date is not None and council.end_date < date.today()
            status = (
                "abolished" if abolished else "disabled" if council.disabled else (step.status if step else "never run")
            )
            if failing and status not in ("failed", "quarantined"):
                continue
            when = f"{step.finished_at:%Y-%m-%d %H:%M}" if step and step.finished_at else "-"
            click.echo(
                f"{council.code:<5} {council.cms:<10} {when:<17} {status:<14} {members.get(council.id, 0):>11}  {council.name}"
            )
        if not failing:
            click.echo("")
            for line in coverage_lines(shown, read_council_configs(settings.scrapers)):
                click.echo(line)
    db.dispose()


def coverage_lines(councils: list, entries: dict[str, dict]) -> list[str]:
    """Coverage at a glance: which councils a run can read, which it skips and why, and the
    configured entries never checked against their council's live page."""
    from scrapers.families import FAMILIES

    skipped: dict[str, list[str]] = {}
    runnable = 0
    today = date.today()
    for council in councils:
        family = FAMILIES.get(council.cms)
        ended = getattr(council, "end_date", None)
        if ended is not None and ended < today:
            why = "abolished (kept, no longer read)"
        elif council.disabled:
            why = "disabled in the registry"
        elif family is None:
            why = f"no scraper for the {council.cms!r} family"
        elif family.configure is not None and council.code not in entries:
            why = f"no {council.cms} entry in the scraper configuration"
        else:
            runnable += 1
            continue
        skipped.setdefault(why, []).append(council.code)
    never = sorted(
        c.code for c in councils if c.code in entries and str(entries[c.code].get("checked_live", "never")) == "never"
    )
    lines = [f"Coverage: {runnable} of {len(councils)} councils can be read"]
    lines += [f"  skipped, {why}: {len(codes)} ({', '.join(codes)})" for why, codes in sorted(skipped.items())]
    if never:
        lines.append(f"  entries never checked against the live page: {len(never)} ({', '.join(never)})")
    return lines


@councils.command("try")
@click.argument("code")
def councils_try(code: str) -> None:
    """Read one council's roster from its site as a run would, through the HTTP layer (every page
    its entry reads: next pages, ward pages, councillors' own pages), and print its councillors
    as JSON lines; nothing is stored. The way to check an entry before setting its
    ``checked_live`` (docs/councils.md).

    Example:

        cllr councils try CAN
    """
    from cllr.http import Fetcher, FetchError
    from cllr.pipeline.roster_pages import read_roster
    from models.store import read_registry
    from scrapers.families import FAMILIES, read_council_configs, roster_settings
    from scrapers.records import SourceError

    settings = Settings()
    row = next((r for r in read_registry(settings.registry) if r["code"].strip().upper() == code.upper()), None)
    if row is None:
        raise click.ClickException(f"no council {code.upper()} in {settings.registry}")
    family = FAMILIES.get(row["cms"])
    if family is None:
        raise click.ClickException(f"no scraper for the {row['cms']!r} CMS family")
    try:
        config = None
        if family.configure is not None:
            entry = read_council_configs(settings.scrapers).get(code.upper())
            if entry is None:
                raise click.ClickException(f"no entry for {code.upper()} in {settings.scrapers}")
            config = family.configure(roster_settings(entry))
        with Fetcher(settings) as fetcher:
            fetch = lambda url, accept, conditional: fetcher.get(url, accept=accept)  # noqa: E731 (never conditional here)
            read = read_roster(family, config, family.roster_url(row["roster_url"]), row["roster_url"], fetch)
    except (FetchError, SourceError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    for c in read.roster.councillors:
        record = {"id": c.source_id, "name": c.name, "ward": c.ward, "party": c.party, "profile_url": c.profile_url}
        click.echo(json.dumps(record, ensure_ascii=False))
    click.echo(f"{len(read.roster.councillors)} councillors in {len(read.roster.wards)} wards", err=True)


@click.group()
def runs() -> None:
    """The run ledger, and quarantined rosters."""


@runs.command("list")
@click.option(
    "--status",
    help="Only steps with this status (applied, unchanged, quarantined, failed, skipped, skipped_robots, disabled, done).",
)
@click.option("--limit", default=50, show_default=True)
def runs_list(status: str | None, limit: int) -> None:
    """List the latest steps of runs: id, time, stage, council, status and reason.

    Example:

        cllr runs list --status quarantined
    """
    from sqlalchemy import select

    from models import RunStep
    from models.db import Database

    db = Database(Settings().db_url)
    db.migrate()
    with db.session() as session:
        query = select(RunStep).order_by(RunStep.id.desc()).limit(limit)
        if status:
            query = query.where(RunStep.status == status)
        for step in session.scalars(query):
            when = f"{step.finished_at or step.started_at:%Y-%m-%d %H:%M}"
            click.echo(
                f"{step.id:>6}  {when}  {step.stage:<9} {step.subject or '-':<12} {step.status:<11} {step.reason or ''}"
            )
    db.dispose()


@runs.command("approve")
@click.argument("step_id", type=int)
@click.option("--reason", required=True, help="Why this roster is right after all (kept in the ledger).")
@click.option(
    "--by", "by", default=lambda: os.environ.get("USER", "operator"), show_default="$USER", help="Who releases it."
)
@click.option("--force", is_flag=True, help="Release it even though a newer roster of the council was applied since.")
def runs_approve(step_id: int, reason: str, by: str, force: bool) -> None:
    """Release a quarantined roster: apply it once, recording who released it and why.

    The next scrape of that council is checked as usual. A roster the council's pages have
    moved past (a newer one applied since) is refused unless --force is given.

    Example:

        cllr runs approve 1234 --reason "boundary review: 51 seats became 39"
    """
    from models.base import utcnow
    from models.db import Database
    from models.merge import release_roster

    db = Database(Settings().db_url)
    db.migrate()
    try:
        with db.session() as session:
            result = release_roster(session, step_id, by=by, reason=reason, today=utcnow().date(), force=force)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.dispose()
    counts = result.counts()
    click.echo(
        f"Released step {step_id}: {counts['inserted']} new, {counts['updated']} updated, "
        f"{counts['ended']} left, {counts['unchanged']} unchanged."
    )


@click.group()
def suggestions() -> None:
    """Accounts discovery found but did not link, because they conflict with what we hold."""


@suggestions.command("list")
@click.option("--all", "show_all", is_flag=True, help="Decided ones too, not only those waiting for review.")
def suggestions_list(show_all: bool) -> None:
    """List suggestions: id, councillor, the account, where it was found and why it waits.

    Example:

        cllr suggestions list
    """
    from sqlalchemy import select

    from models import AccountSuggestion
    from models.db import Database

    db = Database(Settings().db_url)
    db.migrate()
    with db.session() as session:
        query = select(AccountSuggestion).order_by(AccountSuggestion.id)
        if not show_all:
            query = query.where(AccountSuggestion.status == "open")
        rows = session.scalars(query).all()
        for s in rows:
            click.echo(
                f"{s.id:>5} {s.status:<8} {s.councillor.name} ({s.councillor.council.code}): {s.key}\n"
                f"      found by {s.method} at {s.source_url}\n      {s.reason}"
            )
        if not rows:
            click.echo("Nothing waits for review." if not show_all else "No suggestions yet.")
    db.dispose()


@suggestions.command("decide")
@click.argument("suggestion_id", type=int)
@click.argument("decision", type=click.Choice(["accept", "reject"]))
@click.option("--note", required=True, help="Why (kept with the decision).")
def suggestions_decide(suggestion_id: int, decision: str, note: str) -> None:
    """Accept a suggestion (link the account, with the evidence it was found with) or reject it for good.

    Example:

        cllr suggestions decide 12 accept --note "council page updated after a new account"
    """
    from models.db import Database
    from models.links import decide

    db = Database(Settings().db_url)
    db.migrate()
    try:
        with db.session() as session:
            done = decide(session, suggestion_id, accept=decision == "accept", note=note)
            click.echo(f"Suggestion {suggestion_id} {done.status}: {done.key} for {done.councillor.name}.")
    except (LookupError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.dispose()


@click.group()
def db() -> None:
    """The application database."""


@db.command()
def upgrade() -> None:
    """Apply the schema migrations to DATABASE_URL (or the default SQLite file).

    Example:

        DATABASE_URL=postgresql+psycopg://localhost/cllr cllr db upgrade
    """
    from models.db import upgrade as migrate

    settings = Settings()
    migrate(settings.db_url)
    click.echo(f"Database at {settings.db_url.split('@')[-1]} is up to date.")
