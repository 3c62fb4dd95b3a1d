"""Running the pipeline: the demo, a real run, serving the site and the corrections intake."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cllr.cli.common import DEMO_INTAKE_PORT, run_refresh
from cllr.config import Settings


@click.command()
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
    from cllr.demo.corrections import council_corrects, held
    from cllr.demo.postcodes import import_demo_directory
    from cllr.demo.server import DemoServer
    from cllr.demo.world import build_world, write_demo_files
    from models.db import Database

    world = build_world(councils=councils, seed=seed)
    files = write_demo_files(world, data_dir)
    (data_dir / "cllr.sqlite3").unlink(missing_ok=True)
    with DemoServer(world) as server:
        click.echo(f"Demo web: {len(world.councils)} fictional councils served on http://{server.address}")
        overrides = {
            "data_dir": str(data_dir),
            **files,
            **server.settings(),
            **server.list_settings(),  # the demo operator's fictional Bluesky account: the lists go to the demo PDS
            "request_delay": 0.01,  # the demo web is local: no need for a polite second between requests
            "bluesky_delay": 0.01,
            "mastodon_delay": 0.01,
            "intake_url": f"http://127.0.0.1:{DEMO_INTAKE_PORT}",  # where `cllr intake` serves the demo's intake
        }
        directory = import_demo_directory(world, data_dir, Settings(**overrides).db_url).release
        click.echo(
            f"Fictional postcode directory imported: {directory.live} postcodes in use ({directory.split} split "
            f"between wards), {directory.retired} retired (cllr postcodes import {data_dir / 'onspd-demo.zip'} "
            f"{data_dir / 'onsud-demo.csv'})"
        )
        first = run_refresh(overrides, trigger="demo")
        changed = world.next_day()
        db = Database(Settings(**overrides).db_url)
        corrected = council_corrects(world, db)
        server.web.reindex()
        click.echo("\nThe demo web moves on: " + "; ".join(f"{kind}: {what}" for kind, what in changed.items()))
        click.echo(
            f"{corrected.council} corrects its record through the intake with a council credential: "
            f"by the API, {corrected.by_api}; by CSV, {corrected.by_csv}."
        )
        second = run_refresh(overrides, trigger="demo")
        kept = held(db, corrected)
        db.dispose()
        click.echo(
            f"After the re-scrape, the council's corrections hold: {kept['applied']} applied, "
            f"{kept['added_confirmed']} added account(s) confirmed by the council, "
            f"{kept['removed_unlinked']} removed account unlinked though the council's page still lists it "
            f"({kept['disagreements']} disagreement(s) kept for review: cllr corrections disagreements)."
        )
    site = (data_dir / "site" / "index.html").resolve()
    click.echo(f"\nThe site is built. Open {site.as_uri()}")
    click.echo(f"or serve it with: make serve  (cllr serve {data_dir / 'site'})")
    click.echo(
        f'Its corrections intake (the pages\' "Suggest a correction" links): '
        f"CLLR_DATA_DIR={data_dir} cllr intake --port {DEMO_INTAKE_PORT}"
    )
    broken = [
        k
        for run in (first, second)
        for k, n in run.get("statuses", {}).items()
        if n and k in ("roster:failed", "roster:quarantined")
    ]
    sys.exit(1 if broken else 0)


@click.command()
@click.option("--council", "councils", multiple=True, help="Only this council code (repeatable).")
@click.option(
    "--registry",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Council registry CSV (default: the bundled one).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the database and the built site live (CLLR_DATA_DIR; default var).",
)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    help="Seconds between request starts per site (CLLR_REQUEST_DELAY; default 1).",
)
@click.option(
    "--stages",
    type=click.Choice(["all", "no-activity", "councils"]),
    help="Which stages run (CLLR_STAGES; default all): no-activity asks no platform; "
    "councils reads the rosters and profile pages alone.",
)
@click.option(
    "--lanes",
    type=click.IntRange(min=1),
    help="Council lanes (politeness slots) worked at once (CLLR_LANES; default 48).",
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Activity batches collected at once (CLLR_WORKERS; default 8)."
)
def run(
    councils: tuple[str, ...],
    registry: Path | None,
    data_dir: Path | None,
    delay: float | None,
    stages: str | None,
    lanes: int | None,
    workers: int | None,
) -> None:
    """Run the pipeline against the real councils and platforms.

    Every option falls back to its CLLR_ setting (docs/operations.md lists them all).

    Examples:

        cllr run --council KIR

        cllr run --stages councils --delay 2
    """
    overrides: dict = {}
    if councils:
        overrides["councils"] = [c.upper() for c in councils]
    if registry:
        overrides["registry"] = str(registry)
    given = {"data_dir": data_dir, "request_delay": delay, "stages": stages, "lanes": lanes, "workers": workers}
    overrides |= {name: value for name, value in given.items() if value is not None}
    run_refresh(overrides, trigger="manual")


@click.command()
@click.argument("directory", default="var/demo/site", type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", default=8000, show_default=True)
def serve(directory: Path, port: int) -> None:
    """Serve the built site on http://127.0.0.1:PORT for a look before it is published: its files only
    (no listings, no dotfiles, nothing outside it), with a static host's security headers.

    Example:

        cllr serve var/demo/site --port 8000
    """
    from cllr.site.serving import site_server

    if not (directory / "index.html").exists():
        raise click.ClickException(f"no site in {directory}: run `make demo` (or `cllr demo`) first")
    with site_server(directory, port) as server:
        click.echo(f"Serving {directory} on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=DEMO_INTAKE_PORT, show_default=True)
def intake(host: str, port: int) -> None:
    """Serve the corrections intake (JSON API and forms) with uvicorn; put it behind an HTTPS proxy in production."""
    import uvicorn

    from cllr.corrections.intake import create_app
    from models.db import Database

    settings = Settings()
    db = Database(settings.db_url)
    db.migrate()
    click.echo(f"Corrections intake on http://{host}:{port}/ (council form /council, public form /suggest)")
    app = create_app(
        db, site_url=settings.site_url, public_url=settings.intake_url, trusted_proxies=settings.trusted_proxies
    )
    # uvicorn's own proxy headers are off: the intake reads X-Forwarded-For from CLLR_TRUSTED_PROXIES only
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
