"""The ``cllr`` command line."""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click

from cllr import __version__
from cllr.config import Settings


@click.group()
@click.version_option(__version__, prog_name="cllr")
def cli() -> None:
    """Councillors Online: UK councillors, their public accounts and how active they are."""


DEMO_INTAKE_PORT = 8400


@cli.command()
@click.option("--councils", default=10, show_default=True, help="How many fictional councils to generate.")
@click.option("--seed", default=2026, show_default=True, help="Seed of the generated world.")
@click.option("--data-dir", default="var/demo", show_default=True, type=click.Path(path_type=Path))
def demo(councils: int, seed: int, data_dir: Path) -> None:
    """Run the real pipeline twice on a generated, fictional demo web served on 127.0.0.1.

    Between the two runs the demo web moves on: a Bluesky account is renamed, another
    vanishes, a Mastodon account moves server, followers and posts change; and the first
    council corrects its record through the corrections intake, by its JSON API and by
    CSV. The second run applies the corrections, records that history and a second
    snapshot of every account; its re-scrape does not undo the corrections, which the
    site marks. Each demo starts from a fresh demo database (DATA_DIR/cllr.sqlite3).

    Example:

        cllr demo && cllr serve var/demo/site
    """
    from models.db import Database

    from cllr.demo.corrections import council_corrects, held
    from cllr.demo.postcodes import import_demo_directory
    from cllr.demo.server import DemoServer
    from cllr.demo.world import build_world, write_demo_files

    world = build_world(councils=councils, seed=seed)
    files = write_demo_files(world, data_dir)
    (data_dir / "cllr.sqlite3").unlink(missing_ok=True)
    with DemoServer(world) as server:
        click.echo(f"Demo web: {len(world.councils)} fictional councils served on http://{server.address}")
        overrides = {
            "data_dir": str(data_dir),
            **files,
            **server.settings(),
            "request_delay": 0.01,  # the demo web is local: no need for a polite second between requests
            "bluesky_delay": 0.01,
            "mastodon_delay": 0.01,
            "intake_url": f"http://127.0.0.1:{DEMO_INTAKE_PORT}",  # where `cllr intake` serves the demo's intake
        }
        directory = import_demo_directory(world, data_dir, Settings(**overrides).db_url).release
        click.echo(f"Fictional postcode directory imported: {directory.live} postcodes in use ({directory.split} split "
                   f"between wards), {directory.retired} retired (cllr postcodes import {data_dir / 'onspd-demo.zip'} "
                   f"{data_dir / 'onsud-demo.csv'})")  # fmt: skip
        first = _run(overrides, trigger="demo")
        changed = world.next_day()
        db = Database(Settings(**overrides).db_url)
        corrected = council_corrects(world, db)
        server.web.reindex()
        click.echo("\nThe demo web moves on: " + "; ".join(f"{kind}: {what}" for kind, what in changed.items()))
        click.echo(f"{corrected.council} corrects its record through the intake with a council credential: "
                   f"by the API, {corrected.by_api}; by CSV, {corrected.by_csv}.")  # fmt: skip
        second = _run(overrides, trigger="demo")
        kept = held(db, corrected)
        db.dispose()
        click.echo(f"After the re-scrape, the council's corrections hold: {kept['applied']} applied, "
                   f"{kept['added_confirmed']} added account(s) confirmed by the council, "
                   f"{kept['removed_unlinked']} removed account unlinked though the council's page still lists it "
                   f"({kept['disagreements']} disagreement(s) kept for review: cllr corrections disagreements).")  # fmt: skip
    site = (data_dir / "site" / "index.html").resolve()
    click.echo(f"\nThe site is built. Open {site.as_uri()}")
    click.echo(f"or serve it with: make serve  (cllr serve {data_dir / 'site'})")
    click.echo(f"Its corrections intake (the pages' \"Suggest a correction\" links): "
               f"CLLR_DATA_DIR={data_dir} cllr intake --port {DEMO_INTAKE_PORT}")
    broken = [k for run in (first, second) for k, n in run.get("statuses", {}).items()
              if n and k in ("roster:failed", "roster:quarantined")]  # fmt: skip
    sys.exit(1 if broken else 0)


@cli.command()
@click.option("--council", "councils", multiple=True, help="Only this council code (repeatable).")
@click.option("--registry", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Council registry CSV (default: the bundled one).")  # fmt: skip
def run(councils: tuple[str, ...], registry: Path | None) -> None:
    """Run the pipeline against the real councils and platforms.

    Example:

        cllr run --council KIR
    """
    overrides: dict = {}
    if councils:
        overrides["councils"] = [c.upper() for c in councils]
    if registry:
        overrides["registry"] = str(registry)
    _run(overrides, trigger="manual")


def _run(overrides: dict, trigger: str) -> dict:
    from flows.refresh import refresh  # first: it sets Prefect's quiet defaults before Prefect loads
    from prefect.task_runners import ThreadPoolTaskRunner

    from cllr import progress
    from cllr.pipeline.summary import render_summary

    settings = Settings(**overrides)
    started = time.monotonic()
    with progress.Reporter() as reporter:
        progress.use(reporter)
        try:
            flow = refresh.with_options(task_runner=ThreadPoolTaskRunner(max_workers=settings.workers))
            summary = flow(settings=_jsonable(overrides), trigger=trigger)
        finally:
            progress.use(progress.SILENT)
    if "skipped" in summary:  # another run holds the directory (cllr/pipeline/ledger.py)
        raise click.ClickException(f"not started: {summary['skipped']}")
    click.echo(render_summary(summary, time.monotonic() - started))
    return summary


def _jsonable(overrides: dict) -> dict:
    return json.loads(json.dumps(overrides, default=str))


@cli.command()
@click.argument("file", type=click.File("rb"))
@click.option("--cms", type=click.Choice(["moderngov", "cmis", "html", "json"]), default="moderngov", show_default=True)
@click.option("--url", "--base-url", "url", help="Where the file was fetched from (ModernGov: the base URL), to resolve links.")
@click.option("--council", help="Council code whose selectors or field paths to use (html and json families).")
def parse(file, cms: str, url: str | None, council: str | None) -> None:
    """Parse a saved roster response and print its councillors as JSON lines.

    Exits with status 1 and a one-line reason when the file is not a roster, or is a
    roster with no councillors (never a council's real state). HTML and JSON rosters
    are parsed with the council's entry in the scraper configuration (``--council``).

    Examples:

        cllr parse KIR.GetCouncillorsByWard.xml --cms moderngov

        cllr parse councillors.html --cms html --council XYZ --url https://www.xyz.gov.uk/councillors
    """
    from scrapers.families import FAMILIES, read_council_configs
    from scrapers.records import SourceError

    family = FAMILIES[cms]
    page_url = url or "https://council.invalid/"
    config = None
    try:
        if family.configure is not None:
            if not council:
                raise click.UsageError(f"--council CODE is needed: {cms} rosters are parsed with a council's selectors")
            settings = Settings()
            entry = read_council_configs(settings.scrapers).get(council.upper())
            if entry is None:
                raise click.ClickException(f"no entry for {council.upper()} in {settings.scrapers}")
            config = family.configure(entry)
        roster = family.parse(file.read(), url, page_url, config)
    except (SourceError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if not roster.councillors:
        raise click.ClickException("the roster lists no councillors: too few to be a council's roster")
    for c in roster.councillors:
        record = {
            "id": c.source_id, "name": c.name, "raw_name": c.raw_name, "party": c.party,
            "ward": c.ward, "email": c.email, "profile_url": c.profile_url, "photo_url": c.photo_url,
            "term_start": c.term_start.isoformat() if c.term_start else None,
            "term_ends": c.term_ends.isoformat() if c.term_ends else None,
        }  # fmt: skip
        click.echo(json.dumps(record, ensure_ascii=False))


@cli.command()
@click.argument("value")
@click.option("--field", help="The platform the value was given for (twitter, bluesky, mastodon, website...).")
def normalise(value: str, field: str | None) -> None:
    """Print the canonical identity of a handle or URL as JSON.

    Prints ``{"platform", "key", "url", "handle", "needs_lookup"}``, or ``{"key": null,
    "reason": ...}`` and exits 1 when the value names no account (a share link, a
    placeholder, an e-mail address...). The same normaliser reads council pages and
    corrections (docs/handles.md).

    Examples:

        cllr normalise "https://twitter.com/intent/follow?screen_name=CllrJaneSmith"

        cllr normalise janesmith --field bluesky
    """
    from cllr.handles import NotAnAccount
    from cllr.handles import normalise as normalise_value

    try:
        handle = normalise_value(value, field)
    except NotAnAccount as exc:
        click.echo(json.dumps({"key": None, "reason": str(exc)}, ensure_ascii=False))
        sys.exit(1)
    click.echo(json.dumps({"platform": handle.platform, "key": handle.key, "url": handle.url,
                           "handle": handle.handle, "needs_lookup": handle.needs_lookup}, ensure_ascii=False))  # fmt: skip


@cli.command()
@click.argument("url")
@click.option("--no-robots", is_flag=True, help="Skip robots.txt, as platform API clients do.")
@click.option("--save", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write the body to this file (for `cllr parse`).")  # fmt: skip
def fetch(url: str, no_robots: bool, save: Path | None) -> None:
    """Fetch one URL through the pipeline's HTTP layer and say what happened.

    Prints the status, the final URL after redirects, the size and type of the body,
    the cache state (revalidated with a 304, or validators stored for next time), and
    how many requests it took (robots.txt and retries included); exits with status 1
    and a one-line reason when the layer refuses or fails (robots, scheme, size, time).

    Example:

        cllr fetch https://democracy.kirklees.gov.uk/mgWebService.asmx/GetCouncillorsByWard
    """
    from cllr.http import FetchError, Fetcher

    with Fetcher(Settings()) as fetcher:
        try:
            response = fetcher.get(url, robots=not no_robots, conditional=save is None)
        except FetchError as exc:
            raise click.ClickException(str(exc)) from None
        stats = dict(fetcher.stats)
        if response.not_modified:
            cache = "not modified (304): the copy fetched last time is current"
        elif fetcher.validators.headers(url):
            cache = "validators stored: the next fetch will revalidate"
        else:
            cache = "nothing to revalidate with (no ETag or Last-Modified)"
    click.echo(f"status:   {response.status}")
    click.echo(f"url:      {response.url}")
    click.echo(f"bytes:    {len(response.content)}")
    click.echo(f"type:     {response.headers.get('content-type', '-')}")
    click.echo(f"cache:    {cache}")
    click.echo(f"requests: {stats.get('requests', 0)} (retries {stats.get('retries', 0)})")
    if save:
        save.write_bytes(response.content)
        click.echo(f"saved:    {save}")


@cli.command()
@click.argument("directory", default="var/demo/site", type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", default=8000, show_default=True)
def serve(directory: Path, port: int) -> None:
    """Serve the built site on http://127.0.0.1:PORT (optional: the files also open from disk).

    Example:

        cllr serve var/demo/site --port 8000
    """
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    if not (directory / "index.html").exists():
        raise click.ClickException(f"no site in {directory}: run `make demo` (or `cllr demo`) first")
    handler = partial(SimpleHTTPRequestHandler, directory=str(directory))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        click.echo(f"Serving {directory} on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


@cli.group()
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

    settings = Settings()
    db = Database(settings.db_url)
    db.migrate()
    with db.session() as session:
        load_registry(session, read_registry(settings.registry))
        last = {s.council_id: s for s in session.scalars(select(RunStep).where(RunStep.stage == "roster").order_by(RunStep.id))}
        members = dict(session.execute(
            select(Councillor.council_id, func.count()).join(Membership, Membership.councillor_id == Councillor.id)
            .where(Membership.end_date.is_(None)).group_by(Councillor.council_id)
        ).all())  # fmt: skip
        query = select(Council).order_by(Council.code)
        if family:
            query = query.where(Council.cms == family)
        click.echo(f"{'code':<5} {'family':<10} {'last run':<17} {'status':<14} {'councillors':>11}  name")
        for council in session.scalars(query):
            step = last.get(council.id)
            status = "disabled" if council.disabled else (step.status if step else "never run")
            if failing and status not in ("failed", "quarantined"):
                continue
            when = f"{step.finished_at:%Y-%m-%d %H:%M}" if step and step.finished_at else "-"
            click.echo(f"{council.code:<5} {council.cms:<10} {when:<17} {status:<14} {members.get(council.id, 0):>11}  {council.name}")
    db.dispose()


@cli.group()
def runs() -> None:
    """The run ledger, and quarantined rosters."""


@runs.command("list")
@click.option("--status", help="Only steps with this status (applied, unchanged, quarantined, failed, skipped, skipped_robots, disabled, done).")
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
            click.echo(f"{step.id:>6}  {when}  {step.stage:<9} {step.subject or '-':<12} {step.status:<11} {step.reason or ''}")
    db.dispose()


@runs.command("approve")
@click.argument("step_id", type=int)
@click.option("--reason", required=True, help="Why this roster is right after all (kept in the ledger).")
@click.option("--by", "by", default=lambda: os.environ.get("USER", "operator"), show_default="$USER",
              help="Who releases it.")  # fmt: skip
def runs_approve(step_id: int, reason: str, by: str) -> None:
    """Release a quarantined roster: apply it once, recording who released it and why.

    The next scrape of that council is checked as usual.

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
            result = release_roster(session, step_id, by=by, reason=reason, today=utcnow().date())
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.dispose()
    counts = result.counts()
    click.echo(f"Released step {step_id}: {counts['inserted']} new, {counts['updated']} updated, "
               f"{counts['ended']} left, {counts['unchanged']} unchanged.")  # fmt: skip


@cli.group()
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
            click.echo(f"{s.id:>5} {s.status:<8} {s.councillor.name} ({s.councillor.council.code}): {s.key}\n"
                       f"      found by {s.method} at {s.source_url}\n      {s.reason}")  # fmt: skip
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


@contextmanager
def _database():
    """The application database, migrated, for one command; a refusal or lookup failure becomes a clear error."""
    from models.db import Database

    from cllr.corrections.operations import Refused

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


@cli.group()
def credentials() -> None:
    """Council credentials for the corrections intake (docs/corrections.md)."""


@credentials.command("issue")
@click.argument("council")
@click.option("--label", required=True, help="Who holds it, e.g. 'Democratic Services, J. Officer'.")
@click.option("--days", default=365, show_default=True, help="Days until it expires.")
def credentials_issue(council: str, label: str, days: int) -> None:
    """Issue COUNCIL (its code, e.g. XAA) a credential; the token is printed once and never stored.

    Example:

        cllr credentials issue XAA --label "Democratic Services"
    """
    from cllr.corrections.credentials import issue

    with _database() as session:
        credential, token = issue(session, council, label, days=days)
        click.echo(f"Credential {credential.prefix} for {credential.council.name}, expires {credential.expires_at:%Y-%m-%d}.")
        click.echo("Give this token to the officer by a secure channel. It is shown only now:")
        click.echo(token)


@credentials.command("list")
def credentials_list() -> None:
    """Every credential: prefix, council, holder, expiry, last use and whether it is revoked."""
    from sqlalchemy import select

    from models.corrections import Credential

    with _database() as session:
        for c in session.scalars(select(Credential).order_by(Credential.id)):
            state = f"revoked {c.revoked_at:%Y-%m-%d}" if c.revoked_at else f"expires {c.expires_at:%Y-%m-%d}"
            used = f"last used {c.last_used_at:%Y-%m-%d}" if c.last_used_at else "never used"
            click.echo(f"{c.prefix}  {c.council.code}  {c.label}  {state}  {used}")


@credentials.command("revoke")
@click.argument("prefix")
def credentials_revoke(prefix: str) -> None:
    """Revoke the credential whose token starts cllr_PREFIX_ (at once, for good)."""
    from cllr.corrections.credentials import revoke

    with _database() as session:
        credential = revoke(session, prefix)
        click.echo(f"Credential {credential.prefix} of {credential.council.name} revoked.")


@cli.group()
def corrections() -> None:
    """Review corrections from councils and the public (docs/corrections.md)."""


@corrections.command("list")
@click.option("--status", default="queued", show_default=True,
              type=click.Choice(["queued", "approved", "applied", "rejected", "reverted", "all"]))  # fmt: skip
def corrections_list(status: str) -> None:
    """Corrections with a status (those waiting for review unless said)."""
    from sqlalchemy import select

    from models.corrections import Correction

    with _database() as session:
        query = select(Correction).order_by(Correction.id)
        for c in session.scalars(query if status == "all" else query.where(Correction.status == status)):
            click.echo(f"{c.id}  {c.status}  {c.channel}  {c.council.code}  {c.councillor.slug}  {c.operation}  "
                       f"{json.dumps(c.payload, ensure_ascii=False)}")  # fmt: skip


@corrections.command("show")
@click.argument("correction_id", type=int)
def corrections_show(correction_id: int) -> None:
    """One correction with its audit trail."""
    from sqlalchemy import select

    from models.corrections import Correction, CorrectionEvent

    with _database() as session:
        c = session.get(Correction, correction_id)
        if c is None:
            raise LookupError(f"no correction {correction_id}")
        click.echo(f"Correction {c.id}: {c.operation} for {c.councillor.name} ({c.councillor.slug}), {c.council.name}")
        click.echo(f"  values:   {json.dumps(c.payload, ensure_ascii=False)}")
        click.echo(f"  evidence: {c.evidence_url}")
        click.echo(f"  note:     {c.note or '-'}")
        click.echo(f"  status:   {c.status} (from {c.channel}{', credential ' + c.credential.prefix if c.credential else ''})")
        for e in session.scalars(select(CorrectionEvent).where(CorrectionEvent.correction_id == c.id).order_by(CorrectionEvent.id)):
            click.echo(f"  {e.at:%Y-%m-%d %H:%M} {e.action} by {e.actor or '-'}{': ' + e.detail if e.detail else ''}")


@corrections.command("approve")
@click.argument("correction_id", type=int)
@click.option("--by", "reviewer", required=True, help="Who decided.")
@click.option("--note", default=None)
def corrections_approve(correction_id: int, reviewer: str, note: str | None) -> None:
    """Approve a queued correction; it applies at the next run (or with `cllr corrections apply`)."""
    from cllr.corrections.operations import decide

    with _database() as session:
        decide(session, correction_id, approve=True, reviewer=reviewer, note=note)
        click.echo(f"Correction {correction_id} approved.")


@corrections.command("reject")
@click.argument("correction_id", type=int)
@click.option("--by", "reviewer", required=True)
@click.option("--note", required=True, help="Why (kept in the audit).")
def corrections_reject(correction_id: int, reviewer: str, note: str) -> None:
    """Reject a queued correction."""
    from cllr.corrections.operations import decide

    with _database() as session:
        decide(session, correction_id, approve=False, reviewer=reviewer, note=note)
        click.echo(f"Correction {correction_id} rejected.")


@corrections.command("revert")
@click.argument("correction_id", type=int)
@click.option("--by", "reviewer", required=True)
@click.option("--note", required=True, help="Why (kept in the audit).")
def corrections_revert(correction_id: int, reviewer: str, note: str) -> None:
    """Undo an applied correction: the values it replaced come back and its lock is released."""
    from cllr.corrections.operations import revert

    with _database() as session:
        revert(session, correction_id, reviewer=reviewer, note=note)
        click.echo(f"Correction {correction_id} reverted.")


@corrections.command("apply")
def corrections_apply() -> None:
    """Apply every approved correction now (each run does this first)."""
    from cllr.corrections.operations import apply_approved

    with _database() as session:
        applied, problems = apply_approved(session, actor="operator")
        click.echo(f"{applied} correction(s) applied.")
        for problem in problems:
            click.echo(f"  not applied: {problem}")


@corrections.command("disagreements")
@click.option("--all", "show_all", is_flag=True, help="Closed ones too.")
def corrections_disagreements(show_all: bool) -> None:
    """Where scrapes say something else than a correction locked: councillor, field, both values, how often.

    Settle one by closing it (the correction stands) or by reverting the correction (the
    next scrape's value then applies).

    Example:

        cllr corrections disagreements
    """
    from sqlalchemy import select

    from models import Councillor
    from models.corrections import Disagreement

    with _database() as session:
        query = select(Disagreement).order_by(Disagreement.id)
        rows = session.scalars(query if show_all else query.where(Disagreement.status == "open")).all()
        for d in rows:
            person = session.get(Councillor, d.councillor_id)
            click.echo(f"{d.id:>5} {d.status:<6} {person.name} ({person.slug}) {d.field}: corrected {d.locked!r}, "
                       f"scrape says {d.scraped!r}, {d.times} time(s) since {d.first_seen_at:%Y-%m-%d}\n"
                       f"      source: {d.source_url or '-'}")  # fmt: skip
        if not rows:
            click.echo("No open disagreements." if not show_all else "No disagreements yet.")


@corrections.command("close-disagreement")
@click.argument("disagreement_id", type=int)
def corrections_close_disagreement(disagreement_id: int) -> None:
    """Close a disagreement: looked into, the correction stands (the same scraped value will not reopen it)."""
    from cllr.corrections.operations import close_disagreement

    with _database() as session:
        row = close_disagreement(session, disagreement_id)
        click.echo(f"Disagreement {row.id} closed.")


@corrections.command("purge-addresses")
@click.option("--days", default=90, show_default=True, help="Keep addresses this many days.")
def corrections_purge_addresses(days: int) -> None:
    """Clear client addresses older than DAYS from the audit (each run does this too, at 90 days)."""
    from cllr.corrections.operations import purge_addresses

    with _database() as session:
        click.echo(f"{purge_addresses(session, days=days)} address(es) cleared.")


@cli.command()
@click.argument("councillor")
@click.argument("value")
@click.option("--by", "actor", required=True, help="Who carries out the request (kept in the audit).")
@click.option("--reason", required=True, help="The request's reference, e.g. 'request 2026-11-23/4' (kept; not the value).")
@click.option("--yes", is_flag=True, help="Erase; without it, only say what would be erased.")
def erase(councillor: str, value: str, actor: str, reason: str, yes: bool) -> None:
    """Erase a councillor's VALUE (an account, a former name, an address…) everywhere we hold it.

    COUNCILLOR is the slug of their page. An account of theirs is deleted with all that
    was collected from it and never stored again; every other occurrence is cleared;
    the audit keeps only that an erasure happened. Then the database is vacuumed and the
    site (with the open data) rebuilt. See docs/corrections.md.

    Example:

        cllr erase kir-jo-bloggs https://bsky.app/profile/jo.example --by "J. Operator" --reason "request 2026-11-23/4"
    """
    from models.db import Database

    from cllr.corrections.operations import Refused
    from cllr.corrections.erasure import compact, erase as erase_value
    from cllr.site.build import build_site

    settings = Settings()
    db = Database(settings.db_url)
    db.migrate()
    try:
        with db.session() as session:
            done = erase_value(session, councillor, value, actor=actor, reason=reason, dry_run=not yes)
        click.echo(("Erased" if yes else "Would erase") + f" the value for {done.councillor}:")
        for line in done.lines() or ["nothing else held it"]:
            click.echo(f"  {line}")
        if not yes:
            click.echo("Nothing has changed. Run again with --yes to erase.")
            return
        compact(db, done)
        site = settings.output_dir
        if (site / "index.html").is_file():
            with db.session() as session:
                pages = build_site(session, site, site_url=settings.site_url, contact_url=settings.contact_url,
                                   intake_url=settings.intake_url, force=True).pages  # fmt: skip
            click.echo(f"Site rebuilt without it: {pages} pages in {site}. Publish it to replace the copy online.")
    except Refused as exc:
        raise click.ClickException(exc.message) from None
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.dispose()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=DEMO_INTAKE_PORT, show_default=True)
def intake(host: str, port: int) -> None:
    """Serve the corrections intake (JSON API and forms) with uvicorn; put it behind an HTTPS proxy in production."""
    import uvicorn

    from models.db import Database

    from cllr.corrections.intake import create_app

    settings = Settings()
    db = Database(settings.db_url)
    db.migrate()
    click.echo(f"Corrections intake on http://{host}:{port}/ (council form /council, public form /suggest)")
    uvicorn.run(create_app(db, site_url=settings.site_url), host=host, port=port, log_level="info", proxy_headers=False)


@cli.group()
def postcodes() -> None:
    """The ONS Postcode Directory, behind the site's postcode finder (docs/postcodes.md)."""


@postcodes.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--allow-fewer", is_flag=True, help="Load files with fewer than half the postcodes held now (a part of the UK).")
def postcodes_import(files: tuple[Path, ...], allow_fewer: bool) -> None:
    """Load the ONS Postcode Directory in place of the postcodes held, then match the wards to its codes.

    FILES: the ONSPD zip as the ONS publishes it (its ward, division, authority and county
    names are read from its Documents folder), or CSVs taken out of it, name lookups, and
    ONS UPRN Directory files (which show postcodes split between wards). Terminated
    postcodes are kept apart, so the site can say a postcode is no longer in use. Files
    with no postcode in use, or fewer than half those held now (a download cut short?),
    are refused unless --allow-fewer.

    Example:

        cllr postcodes import ONSPD_AUG_2025.zip
    """
    from models.db import Database

    from cllr import progress
    from cllr.postcodes.onspd import DirectoryError
    from cllr.postcodes.importer import import_directory
    from cllr.postcodes.wardcodes import match_wards, read_overrides

    settings = Settings()
    db = Database(settings.db_url)
    db.migrate()
    started = time.monotonic()
    try:
        with progress.Reporter() as reporter, db.session() as session:
            done = import_directory(session, list(files), report=reporter, allow_fewer=allow_fewer)
            matching = match_wards(session, *read_overrides(settings.ward_codes))
    except DirectoryError as exc:
        raise click.ClickException(f"{exc}. The postcodes held before are unchanged.") from None
    finally:
        db.dispose()
    r = done.release
    click.echo(f"Imported {r.rows:,} rows from {r.sources} in {time.monotonic() - started:.1f} s:")
    click.echo(f"  {r.live:,} postcodes in use ({r.split:,} split between places), {r.retired:,} retired, "
               f"{r.places:,} places (ward and division), {r.names:,} area names")  # fmt: skip
    click.echo(f"  rows skipped: {r.outside:,} in no council area (the Channel Islands, the Isle of Man), {r.malformed:,} malformed")
    for example in done.tally.examples:
        click.echo(f"    {example}")
    if done.ignored:
        click.echo(f"  not read: {', '.join(done.ignored[:5])}{' ...' if len(done.ignored) > 5 else ''}")
    if not r.names:
        click.echo("  No area names: wards cannot be matched by name. Add the ONS's ward and county electoral division "
                   "names and codes lookups (CSV, from the Open Geography Portal) to the command.")  # fmt: skip
    counts = matching.counts()
    click.echo(f"Wards of sitting councillors: {counts['matched']} matched by name, {counts['override']} by override, "
               f"{counts['ambiguous']} ambiguous, {counts['unmatched']} unmatched (cllr postcodes wards lists them).")  # fmt: skip


@postcodes.command("wards")
@click.option("--council", "council", help="Only this council code.")
def postcodes_wards(council: str | None) -> None:
    """Match the rosters' wards to the ONS codes again, and list those that did not match.

    Settle an unmatched or ambiguous ward with a row in the override table
    (CLLR_WARD_CODES, default cllr/data/ward_codes.csv: council,ward,gss,note).

    Example:

        cllr postcodes wards --council KIR
    """
    from cllr.postcodes.wardcodes import match_wards, read_overrides

    settings = Settings()
    with _database() as session:
        matching = match_wards(session, *read_overrides(settings.ward_codes))
    shown = [w for w in matching.wards if w.sitting and (not council or w.council == council.upper())]
    if not matching.directory:
        raise click.ClickException("no postcode directory is held: cllr postcodes import FILE")
    for status in ("ambiguous", "unmatched"):
        wards = [w for w in shown if w.status == status]
        click.echo(f"{status.capitalize()}: {len(wards)}")
        for w in wards:
            hint = "; ".join(f"{name} {code}" for code, name in w.candidates)
            click.echo(f"  {w.council}  {w.ward}" + (f"  ({'one of' if status == 'ambiguous' else 'closest'}: {hint})" if hint else ""))
    for code, areas in sorted(matching.unused.items()):
        if not council or code == council.upper():
            click.echo(f"{code}: ONS areas no roster ward matched: " + "; ".join(f"{name} {gss}" for gss, name in areas[:10])
                       + (" ..." if len(areas) > 10 else ""))  # fmt: skip
    for problem in matching.problems:
        click.echo(f"Override not used: {problem}")
    counts = matching.counts()
    click.echo(f"Wards of sitting councillors: {counts['matched']} matched by name, {counts['override']} by override, "
               f"{counts['ambiguous']} ambiguous, {counts['unmatched']} unmatched.")  # fmt: skip


@cli.group()
def bench() -> None:
    """Benchmarks that print figures (recorded in docs/benchmarks.md)."""


@bench.command("national")
@click.option("--councils", default=400, show_default=True)
@click.option("--per-council", default=50, show_default=True, help="Councillors per council, on average.")
@click.option("--latency", default=0.05, show_default=True, help="Seconds added to every answer of the demo web.")
@click.option("--delay", default=0.2, show_default=True,
              help="Seconds between request starts per site (CLLR_REQUEST_DELAY); platform paces scale with it.")
@click.option("--workers", default=16, show_default=True)
@click.option("--database", "databases", multiple=True, type=click.Choice(["sqlite", "postgresql"]),
              help="Repeatable; both unless given.")  # fmt: skip
def bench_national_command(councils: int, per_council: int, latency: float, delay: float, workers: int,
                           databases: tuple[str, ...]) -> None:  # fmt: skip
    """Run the whole pipeline on a generated national-size demo web, then again with the sites answering 304; print the figures.

    Example:

        cllr bench national --database sqlite --database postgresql
    """
    from cllr.bench import bench_national

    figures = bench_national(councils=councils, per_council=per_council, latency=latency, delay=delay, workers=workers,
                             databases=databases or ("sqlite", "postgresql"), echo=click.echo)  # fmt: skip
    click.echo(json.dumps(figures, indent=2))


@bench.command("site")
@click.option("--councillors", default=20_000, show_default=True)
@click.option("--councils", default=400, show_default=True)
def bench_site_command(councillors: int, councils: int) -> None:
    """Build the site of a generated national-size directory in full, then again with nothing changed; print the figures.

    Example:

        cllr bench site --councillors 20000 --councils 400
    """
    from cllr.bench import bench_site

    for name, value in bench_site(councillors, councils).items():
        click.echo(f"{name:>24}: {value}")


@bench.command("postcodes")
@click.option("--rows", default=2_700_000, show_default=True, help="Rows of the generated ONS Postcode Directory.")
@click.option("--database", "databases", multiple=True, type=click.Choice(["sqlite", "postgresql"]),
              help="Repeatable; both unless given.")  # fmt: skip
def bench_postcodes_command(rows: int, databases: tuple[str, ...]) -> None:
    """Import a generated national-size postcode directory and build the postcode finder's files; print the figures.

    Example:

        cllr bench postcodes --rows 2700000 --database sqlite
    """
    from cllr.bench import bench_postcodes

    figures = bench_postcodes(rows=rows, databases=databases or ("sqlite", "postgresql"), echo=click.echo)
    click.echo(json.dumps(figures, indent=2))


@bench.command("fetch")
@click.option("--councils", default=60, show_default=True)
@click.option("--latency", default=0.02, show_default=True, help="Seconds added to every answer.")
@click.option("--delay", default=0.1, show_default=True, help="Politeness delay between starts per slot.")
@click.option("--workers", default=8, show_default=True)
@click.option("--shared-every", default=5, show_default=True, help="Every Nth council is on the shared provider.")
def bench_fetch_command(councils: int, latency: float, delay: float, workers: int, shared_every: int) -> None:
    """Time the fetch stage on a generated web against the politeness lower bound.

    Example:

        cllr bench fetch --councils 60 --latency 0.02 --delay 0.1
    """
    from cllr.bench import bench_fetch

    figures = bench_fetch(councils, latency, delay, workers, shared_every)
    for key, value in figures.items():
        click.echo(f"{key:<17} {value}")


@cli.group()
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


def main() -> None:
    cli()
