"""The benchmarks (docs/benchmarks.md): each prints its figures."""

from __future__ import annotations

import json

import click


@click.group()
def bench() -> None:
    """Benchmarks that print figures (recorded in docs/benchmarks.md)."""


def hostile_web(crawl_delayed: float):
    """The options of a benchmark's hostile web: sites asking for a Crawl-delay, and 503s with Retry-After."""

    def options(command):
        command = click.option(
            "--unavailable",
            default=0.0,
            show_default=True,
            type=click.FloatRange(0, 1),
            help="Share of requests answered 503 with Retry-After: 1 (0.03 for the hostile run).",
        )(command)
        return click.option(
            "--crawl-delayed",
            default=crawl_delayed,
            show_default=True,
            type=click.FloatRange(0, 1),
            help="Share of councils (on their own domains) whose robots.txt says Crawl-delay: 2.",
        )(command)

    return options


@bench.command("national")
@click.option(
    "--world",
    type=click.Choice(["demo", "rehearsal"]),
    default="demo",
    show_default=True,
    help="The fictional demo web, or the rehearsal of the real registry (its councils, hosts and entries; fictional people).",
)
@click.option(
    "--councils",
    default=400,
    show_default=True,
    help="Councils (rehearsal: that many spread over the registry; all of it when at least its size).",
)
@click.option(
    "--per-council", default=50, show_default=True, help="Councillors per council, on average (the demo only)."
)
@click.option("--latency", default=0.05, show_default=True, help="Seconds added to every answer of the demo web.")
@click.option(
    "--delay",
    default=0.2,
    show_default=True,
    help="Seconds between request starts per site (CLLR_REQUEST_DELAY); platform paces scale with it.",
)
@click.option("--workers", default=16, show_default=True)
@click.option(
    "--database",
    "databases",
    multiple=True,
    type=click.Choice(["sqlite", "postgresql"]),
    help="Repeatable; both unless given.",
)
@hostile_web(crawl_delayed=0.03)
def bench_national_command(
    world: str,
    councils: int,
    per_council: int,
    latency: float,
    delay: float,
    workers: int,
    databases: tuple[str, ...],
    crawl_delayed: float,
    unavailable: float,
) -> None:
    """Run the whole pipeline on a generated national-size demo web, then again with the sites answering 304; print the figures.

    Examples:

        cllr bench national --database sqlite --database postgresql

        cllr bench national --world rehearsal --database sqlite
    """
    from cllr.bench.national import bench_national

    figures = bench_national(
        councils=councils,
        per_council=per_council,
        latency=latency,
        delay=delay,
        workers=workers,
        databases=databases or ("sqlite", "postgresql"),
        echo=click.echo,
        world=world,
        crawl_delayed=crawl_delayed,
        unavailable=unavailable,
    )
    click.echo(json.dumps(figures, indent=2))


@bench.command("site")
@click.option("--councillors", default=20_000, show_default=True)
@click.option("--councils", default=400, show_default=True)
def bench_site_command(councillors: int, councils: int) -> None:
    """Build the site of a generated national-size directory in full, then again with nothing changed; print the figures.

    Example:

        cllr bench site --councillors 20000 --councils 400
    """
    from cllr.bench.site import bench_site

    for name, value in bench_site(councillors, councils).items():
        click.echo(f"{name:>24}: {value}")


@bench.command("postcodes")
@click.option("--rows", default=2_700_000, show_default=True, help="Rows of the generated ONS Postcode Directory.")
@click.option(
    "--database",
    "databases",
    multiple=True,
    type=click.Choice(["sqlite", "postgresql"]),
    help="Repeatable; both unless given.",
)
def bench_postcodes_command(rows: int, databases: tuple[str, ...]) -> None:
    """Import a generated national-size postcode directory and build the postcode finder's files; print the figures.

    Example:

        cllr bench postcodes --rows 2700000 --database sqlite
    """
    from cllr.bench.postcodes import bench_postcodes

    figures = bench_postcodes(rows=rows, databases=databases or ("sqlite", "postgresql"), echo=click.echo)
    click.echo(json.dumps(figures, indent=2))


@bench.command("fetch")
@click.option("--councils", default=60, show_default=True)
@click.option("--latency", default=0.02, show_default=True, help="Seconds added to every answer.")
@click.option("--delay", default=0.1, show_default=True, help="Politeness delay between starts per slot.")
@click.option("--lanes", default=48, show_default=True, help="Council lanes worked at once (CLLR_LANES).")
@click.option("--per-council", default=12, show_default=True, help="Councillors per council, on average.")
@click.option(
    "--shared-every", default=5, show_default=True, help="Every Nth council is on the shared provider (0: none)."
)
@hostile_web(crawl_delayed=0.0)
def bench_fetch_command(
    councils: int,
    per_council: int,
    latency: float,
    delay: float,
    lanes: int,
    shared_every: int,
    crawl_delayed: float,
    unavailable: float,
) -> None:
    """Time the fetch stage on a generated web against the politeness lower bound, with the server's audit.

    Examples:

        cllr bench fetch --councils 60 --latency 0.02 --delay 0.1

        cllr bench fetch --crawl-delayed 0.03 --unavailable 0.03

        cllr bench fetch --councils 300 --per-council 10 --shared-every 0 --delay 1 --lanes 300
    """
    from cllr.bench.fetch import bench_fetch

    figures = bench_fetch(
        councils, latency, delay, lanes, shared_every, 2026, crawl_delayed, unavailable, per_council=per_council
    )
    for key, value in figures.items():
        click.echo(f"{key:<17} {value}")
