"""The ``cllr`` command line: one module of commands for each part of the work."""

from __future__ import annotations

import sys

import click
from pydantic import ValidationError

from cllr import __version__
from cllr.cli import benchmarks, corrections, directory, postcodes, running, tools


@click.group()
@click.version_option(__version__, prog_name="cllr")
def cli() -> None:
    """Councillors Online: UK councillors, their public accounts and how active they are."""


for command in (
    running.demo,
    running.run,
    tools.parse,
    tools.normalise,
    tools.fetch,
    running.serve,
    directory.councils,
    directory.runs,
    directory.suggestions,
    corrections.credentials,
    corrections.corrections,
    corrections.erase,
    running.intake,
    postcodes.postcodes,
    benchmarks.bench,
    directory.db,
):
    cli.add_command(command)


def main() -> None:
    """The ``cllr`` command; a setting that cannot be read (``CLLR_...``) is a one-line error, not a traceback."""
    try:
        cli(standalone_mode=True)
    except ValidationError as exc:
        problems = "; ".join(f"CLLR_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        click.echo(f"cllr: a setting cannot be read: {problems}", err=True)
        sys.exit(2)
