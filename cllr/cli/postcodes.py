"""The ONS Postcode Directory: import a release, report how the wards matched."""

from __future__ import annotations

import time
from pathlib import Path

import click

from cllr.cli.common import database
from cllr.config import Settings


@click.group()
def postcodes() -> None:
    """The ONS Postcode Directory, behind the site's postcode finder (docs/postcodes.md)."""


@postcodes.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--allow-fewer", is_flag=True, help="Load files with fewer than half the postcodes held now (a part of the UK)."
)
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
    from cllr import progress
    from cllr.postcodes.importer import import_directory
    from cllr.postcodes.onspd import DirectoryError
    from cllr.postcodes.wardcodes import match_wards, read_overrides
    from models.db import Database

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
    click.echo(
        f"  {r.live:,} postcodes in use ({r.split:,} split between places), {r.retired:,} retired, "
        f"{r.places:,} places (ward and division), {r.names:,} area names"
    )
    click.echo(
        f"  rows skipped: {r.outside:,} in no council area (the Channel Islands, the Isle of Man), {r.malformed:,} malformed"
    )
    for example in done.tally.examples:
        click.echo(f"    {example}")
    if done.ignored:
        click.echo(f"  not read: {', '.join(done.ignored[:5])}{' ...' if len(done.ignored) > 5 else ''}")
    if not r.names:
        click.echo(
            "  No area names: wards cannot be matched by name. Add the ONS's ward and county electoral division "
            "names and codes lookups (CSV, from the Open Geography Portal) to the command."
        )
    counts = matching.counts()
    click.echo(
        f"Wards of sitting councillors: {counts['matched']} matched by name, {counts['override']} by override, "
        f"{counts['ambiguous']} ambiguous, {counts['unmatched']} unmatched (cllr postcodes wards lists them)."
    )


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
    with database() as session:
        matching = match_wards(session, *read_overrides(settings.ward_codes))
    shown = [w for w in matching.wards if w.sitting and (not council or w.council == council.upper())]
    if not matching.directory:
        raise click.ClickException("no postcode directory is held: cllr postcodes import FILE")
    for status in ("ambiguous", "unmatched"):
        wards = [w for w in shown if w.status == status]
        click.echo(f"{status.capitalize()}: {len(wards)}")
        for w in wards:
            hint = "; ".join(f"{name} {code}" for code, name in w.candidates)
            click.echo(
                f"  {w.council}  {w.ward}"
                + (f"  ({'one of' if status == 'ambiguous' else 'closest'}: {hint})" if hint else "")
            )
    for code, areas in sorted(matching.unused.items()):
        if not council or code == council.upper():
            click.echo(
                f"{code}: ONS areas no roster ward matched: "
                + "; ".join(f"{name} {gss}" for gss, name in areas[:10])
                + (" ..." if len(areas) > 10 else "")
            )
    for problem in matching.problems:
        click.echo(f"Override not used: {problem}")
    counts = matching.counts()
    click.echo(
        f"Wards of sitting councillors: {counts['matched']} matched by name, {counts['override']} by override, "
        f"{counts['ambiguous']} ambiguous, {counts['unmatched']} unmatched."
    )
