"""One-off tools: parse a saved file, normalise a handle, fetch one URL through the HTTP layer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cllr.config import Settings


@click.command()
@click.argument("file", type=click.File("rb"))
@click.option("--cms", type=click.Choice(["moderngov", "cmis", "html", "json"]), default="moderngov", show_default=True)
@click.option(
    "--url", "--base-url", "url", help="Where the file was fetched from (ModernGov: the base URL), to resolve links."
)
@click.option("--council", help="Council code whose selectors or field paths to use (html and json families).")
def parse(file, cms: str, url: str | None, council: str | None) -> None:
    """Parse a saved roster response and print its councillors as JSON lines.

    Exits with status 1 and a one-line reason when the file is not a roster, or is a
    roster with no councillors (never a council's real state). HTML and JSON rosters
    are parsed with the council's entry in the scraper configuration (``--council``);
    only the file given is read: what an entry reads from further pages (ward pages,
    councillors' own pages) is read by ``cllr councils try CODE``.

    Examples:

        cllr parse KIR.GetCouncillorsByWard.xml --cms moderngov

        cllr parse councillors.html --cms html --council XYZ --url https://www.xyz.gov.uk/councillors
    """
    from scrapers.families import FAMILIES, read_council_configs, roster_settings
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
            config = family.configure(roster_settings(entry))
        roster = family.parse(file.read(), url, page_url, config)
    except (SourceError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if not roster.councillors:
        raise click.ClickException("the roster lists no councillors: too few to be a council's roster")
    for c in roster.councillors:
        record = {
            "id": c.source_id,
            "name": c.name,
            "raw_name": c.raw_name,
            "party": c.party,
            "ward": c.ward,
            "email": c.email,
            "profile_url": c.profile_url,
            "photo_url": c.photo_url,
            "term_start": c.term_start.isoformat() if c.term_start else None,
            "term_ends": c.term_ends.isoformat() if c.term_ends else None,
        }
        click.echo(json.dumps(record, ensure_ascii=False))


@click.command()
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
    click.echo(
        json.dumps(
            {
                "platform": handle.platform,
                "key": handle.key,
                "url": handle.url,
                "handle": handle.handle,
                "needs_lookup": handle.needs_lookup,
            },
            ensure_ascii=False,
        )
    )


@click.command()
@click.argument("url")
@click.option("--no-robots", is_flag=True, help="Skip robots.txt, as platform API clients do.")
@click.option(
    "--save",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the body to this file (for `cllr parse`).",
)
def fetch(url: str, no_robots: bool, save: Path | None) -> None:
    """Fetch one URL through the pipeline's HTTP layer and say what happened.

    Prints the status, the final URL after redirects, the size and type of the body,
    the cache state (revalidated with a 304, or validators stored for next time), and
    how many requests it took (robots.txt and retries included); exits with status 1
    and a one-line reason when the layer refuses or fails (robots, scheme, size, time).

    Example:

        cllr fetch https://democracy.kirklees.gov.uk/mgWebService.asmx/GetCouncillorsByWard
    """
    from cllr.http import Fetcher, FetchError

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
