"""Corrections from councils: credentials, review, apply and revert, disagreements, erasure on request."""

from __future__ import annotations

import json

import click

from cllr.cli.common import database
from cllr.config import Settings
from cllr.corrections.credentials import DEFAULT_DAYS, MAX_DAYS


@click.group()
def credentials() -> None:
    """Council credentials for the corrections intake (docs/corrections.md)."""


@credentials.command("issue")
@click.argument("council")
@click.option("--label", required=True, help="Who holds it, e.g. 'Democratic Services, J. Officer'.")
@click.option(
    "--days",
    default=DEFAULT_DAYS,
    show_default=True,
    type=click.IntRange(1, MAX_DAYS),
    help=f"Days until it expires (1 to {MAX_DAYS}).",
)
def credentials_issue(council: str, label: str, days: int) -> None:
    """Issue COUNCIL (its code, e.g. XAA) a credential; the token is printed once and never stored.

    Example:

        cllr credentials issue XAA --label "Democratic Services"
    """
    from cllr.corrections.credentials import issue

    with database() as session:
        credential, token = issue(session, council, label, days=days)
        click.echo(
            f"Credential {credential.prefix} for {credential.council.name}, expires {credential.expires_at:%Y-%m-%d}."
        )
        click.echo("Give this token to the officer by a secure channel. It is shown only now:")
        click.echo(token)


@credentials.command("list")
def credentials_list() -> None:
    """Every credential: prefix, council, holder, expiry, last use and whether it is revoked."""
    from sqlalchemy import select

    from models.corrections import Credential

    with database() as session:
        for c in session.scalars(select(Credential).order_by(Credential.id)):
            state = f"revoked {c.revoked_at:%Y-%m-%d}" if c.revoked_at else f"expires {c.expires_at:%Y-%m-%d}"
            used = f"last used {c.last_used_at:%Y-%m-%d}" if c.last_used_at else "never used"
            click.echo(f"{c.prefix}  {c.council.code}  {c.label}  {state}  {used}")


@credentials.command("revoke")
@click.argument("prefix")
def credentials_revoke(prefix: str) -> None:
    """Revoke the credential whose token starts cllr_PREFIX_ (at once, for good)."""
    from cllr.corrections.credentials import revoke

    with database() as session:
        credential = revoke(session, prefix)
        click.echo(f"Credential {credential.prefix} of {credential.council.name} revoked.")


@click.group()
def corrections() -> None:
    """Review corrections from councils and the public (docs/corrections.md)."""


@corrections.command("list")
@click.option(
    "--status",
    default="queued",
    show_default=True,
    type=click.Choice(["queued", "approved", "applied", "rejected", "reverted", "all"]),
)
def corrections_list(status: str) -> None:
    """Corrections with a status (those waiting for review unless said)."""
    from sqlalchemy import select

    from models.corrections import Correction

    with database() as session:
        query = select(Correction).order_by(Correction.id)
        for c in session.scalars(query if status == "all" else query.where(Correction.status == status)):
            click.echo(
                f"{c.id}  {c.status}  {c.channel}  {c.council.code}  {c.councillor.slug}  {c.operation}  "
                f"{json.dumps(c.payload, ensure_ascii=False)}"
            )


@corrections.command("show")
@click.argument("correction_id", type=int)
def corrections_show(correction_id: int) -> None:
    """One correction with its audit trail."""
    from sqlalchemy import select

    from models.corrections import Correction, CorrectionEvent

    with database() as session:
        c = session.get(Correction, correction_id)
        if c is None:
            raise LookupError(f"no correction {correction_id}")
        click.echo(f"Correction {c.id}: {c.operation} for {c.councillor.name} ({c.councillor.slug}), {c.council.name}")
        click.echo(f"  values:   {json.dumps(c.payload, ensure_ascii=False)}")
        click.echo(f"  evidence: {c.evidence_url}")
        click.echo(f"  note:     {c.note or '-'}")
        click.echo(
            f"  status:   {c.status} (from {c.channel}{', credential ' + c.credential.prefix if c.credential else ''})"
        )
        for e in session.scalars(
            select(CorrectionEvent).where(CorrectionEvent.correction_id == c.id).order_by(CorrectionEvent.id)
        ):
            click.echo(f"  {e.at:%Y-%m-%d %H:%M} {e.action} by {e.actor or '-'}{': ' + e.detail if e.detail else ''}")


@corrections.command("approve")
@click.argument("correction_id", type=int)
@click.option("--by", "reviewer", required=True, help="Who decided.")
@click.option("--note", default=None)
def corrections_approve(correction_id: int, reviewer: str, note: str | None) -> None:
    """Approve a queued correction; it applies at the next run (or with `cllr corrections apply`)."""
    from cllr.corrections.operations import decide

    with database() as session:
        decide(session, correction_id, approve=True, reviewer=reviewer, note=note)
        click.echo(f"Correction {correction_id} approved.")


@corrections.command("reject")
@click.argument("correction_id", type=int)
@click.option("--by", "reviewer", required=True)
@click.option("--note", required=True, help="Why (kept in the audit).")
def corrections_reject(correction_id: int, reviewer: str, note: str) -> None:
    """Reject a queued correction."""
    from cllr.corrections.operations import decide

    with database() as session:
        decide(session, correction_id, approve=False, reviewer=reviewer, note=note)
        click.echo(f"Correction {correction_id} rejected.")


@corrections.command("revert")
@click.argument("correction_id", type=int)
@click.option("--by", "reviewer", required=True)
@click.option("--note", required=True, help="Why (kept in the audit).")
def corrections_revert(correction_id: int, reviewer: str, note: str) -> None:
    """Undo an applied correction: the values it replaced come back and its lock is released."""
    from cllr.corrections.operations import revert

    with database() as session:
        revert(session, correction_id, reviewer=reviewer, note=note)
        click.echo(f"Correction {correction_id} reverted.")


@corrections.command("apply")
def corrections_apply() -> None:
    """Apply every approved correction now (each run does this first)."""
    from cllr.corrections.operations import apply_approved

    with database() as session:
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

    with database() as session:
        query = select(Disagreement).order_by(Disagreement.id)
        rows = session.scalars(query if show_all else query.where(Disagreement.status == "open")).all()
        for d in rows:
            person = session.get(Councillor, d.councillor_id)
            click.echo(
                f"{d.id:>5} {d.status:<6} {person.name} ({person.slug}) {d.field}: corrected {d.locked!r}, "
                f"scrape says {d.scraped!r}, {d.times} time(s) since {d.first_seen_at:%Y-%m-%d}\n"
                f"      source: {d.source_url or '-'}"
            )
        if not rows:
            click.echo("No open disagreements." if not show_all else "No disagreements yet.")


@corrections.command("close-disagreement")
@click.argument("disagreement_id", type=int)
def corrections_close_disagreement(disagreement_id: int) -> None:
    """Close a disagreement: looked into, the correction stands (the same scraped value will not reopen it)."""
    from cllr.corrections.operations import close_disagreement

    with database() as session:
        row = close_disagreement(session, disagreement_id)
        click.echo(f"Disagreement {row.id} closed.")


@corrections.command("purge-addresses")
@click.option("--days", default=90, show_default=True, help="Keep addresses this many days.")
def corrections_purge_addresses(days: int) -> None:
    """Clear client addresses older than DAYS from the audit (each run does this too, at 90 days)."""
    from cllr.corrections.operations import purge_addresses

    with database() as session:
        click.echo(f"{purge_addresses(session, days=days)} address(es) cleared.")


@click.command()
@click.argument("councillor")
@click.argument("value")
@click.option("--by", "actor", required=True, help="Who carries out the request (kept in the audit).")
@click.option(
    "--reason", required=True, help="The request's reference, e.g. 'request 2026-11-23/4' (kept; not the value)."
)
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
    from cllr.corrections.erasure import compact
    from cllr.corrections.erasure import erase as erase_value
    from cllr.corrections.operations import Refused
    from cllr.site.build import build_site
    from models.db import Database

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
                pages = build_site(
                    session,
                    site,
                    site_url=settings.site_url,
                    contact_url=settings.contact_url,
                    intake_url=settings.intake_url,
                    controller=settings.controller,
                    privacy_contact=settings.privacy_contact,
                    force=True,
                ).pages
            click.echo(f"Site rebuilt without it: {pages} pages in {site}. Publish it to replace the copy online.")
    except Refused as exc:
        raise click.ClickException(exc.message) from None
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.dispose()
