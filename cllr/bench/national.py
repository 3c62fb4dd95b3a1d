"""The national benchmark: the whole pipeline (the refresh flow) on a generated national-size
demo web with injected latency, on SQLite and on PostgreSQL, then again with the council
sites answering ``304 Not Modified``. The web is the fictional demo's, or the rehearsal of
the real registry (``cllr.demo.rehearsal``: its councils, hosts, families and entries)."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from cllr.bench.audit import audit
from cllr.bench.common import NATIONAL_SHARES, cpu_seconds, database_mb, throwaway_database
from cllr.bench.web import web_process
from cllr.config import Settings
from cllr.demo.rehearsal import pick, read_rows
from cllr.demo.server import Arrival
from cllr.demo.world import BLUESKY_APPVIEW_HOST
from cllr.http import slot_key
from cllr.platforms import PLATFORMS


def bench_national(
    councils: int = 400,
    per_council: int = 50,
    latency: float = 0.05,
    delay: float = 0.2,
    workers: int = 16,
    databases: tuple[str, ...] = ("sqlite", "postgresql"),
    shared_every: int = 6,
    shares: tuple[float, float, float] = NATIONAL_SHARES,
    seed: int = 2026,
    postgres_admin: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    echo=print,
    world: str = "demo",
    crawl_delayed: float = 0.03,
    unavailable: float = 0.0,
) -> list[dict]:
    """Run the refresh flow twice on a generated national-size web, per database; return the figures of each run.

    The first run starts from an empty database; in the second the sites answer
    conditional requests with ``304 Not Modified`` and no account has posted (nothing
    changed). The demo web is served by a process of its own, as the real web is not in
    ours. Council sites are paced at ``delay`` and the platform APIs at their documented
    paces scaled by the same factor (``delay`` over the default ``request_delay``). Wall
    time is set against the politeness lower bound of the requests actually made: a
    slot's requests start at least its pace apart (or the slower spacing a council override
    gives its site), so no run beats its busiest slot, ``(requests − 1) × pace + latency``. CPU time and peak memory are the pipeline's
    process with the site's forked renderer and the processes that parse pages (Prefect's API and
    the demo web run in processes of their own): the CPU time of all of them, and the pipeline's
    maximum resident size plus the memory the renderer held on its own and the parsing processes'.

    ``world="rehearsal"``: the rehearsal of the registry instead, ``councils`` of its councils
    spread over it (all of them when ``councils`` is at least their number), each at about its
    real size (``per_council`` and ``shared_every`` are the demo's).

    The web is as hostile as the real one can be: ``crawl_delayed``, the share of councils on
    their own domains whose robots.txt says ``Crawl-delay: 2``; ``unavailable``, the share of
    requests answered ``503`` with ``Retry-After: 1``. Each run is audited from the server's log
    (``cllr.bench.audit``): gaps under a slot's pace or Crawl-delay, requests before a Retry-After
    passed, requests in flight per slot; and the lower bound is that of the requests it made.
    """
    import resource

    _warm_prefect()
    paced = ["request_delay"] + [p.pace for p in PLATFORMS.values() if p.pace]
    documented = {name: Settings.model_fields[name].default for name in paced}
    paces = {name: round(value * delay / documented["request_delay"], 6) for name, value in documented.items()}
    figures = []
    for kind in databases:
        options = {"seed": seed, "shares": shares, "now": datetime.now(UTC)}
        if world == "rehearsal":
            options["codes"] = pick(read_rows(), councils)
        else:
            options |= {
                "councils": councils,
                "shared_every": shared_every,
                "wards": (max(1, per_council // 2 - 5), per_council // 2 + 5),
            }
        with (
            tempfile.TemporaryDirectory(prefix="cllr-bench-national-") as tmp,
            web_process(world, options, latency, Path(tmp), crawl_delayed, unavailable) as web,
            throwaway_database(kind, Path(tmp), postgres_admin) as url,
        ):
            echo(
                f"{kind}: {world} web, {web.councils} councils, {web.people} councillors, {web.accounts} accounts; "
                f"latency {latency} s, paces {paces}; {len(web.crawl_delays)} sites with Crawl-delay 2, "
                f"{unavailable:.0%} of requests answered 503"
            )
            overrides = {"data_dir": tmp, "database_url": url, **web.settings, **paces, "workers": workers}
            for label in ("first", "unchanged"):
                web.arrivals()  # from now on
                before, web_before = cpu_seconds(), web.cpu_seconds()
                started, started_wall = time.monotonic(), time.time()
                summary = _refresh(overrides, workers)
                wall = time.monotonic() - started
                cpu = cpu_seconds() - before
                web_cpu = web.cpu_seconds() - web_before
                after = resource.getrusage(resource.RUSAGE_SELF)
                renderer = summary["counts"].get("site.renderer_mb", 0)  # the site's forked renderer, on its own
                parsers = summary.get("parsers_mb", 0)  # the processes that parse pages (cllr.pipeline.parsing)
                arrivals = web.arrivals()
                per_slot = Counter(slot_key(a.host) for a in arrivals)
                floors = _floors(web.settings["registry"])
                checked = audit(arrivals, partial(_slot_pace, paces=paces, floors=floors), web.crawl_delays, latency)
                busiest = checked["bound_slot"]
                row = {
                    "database": kind,
                    "world": world,
                    "run": label,
                    "councils": web.councils,
                    "councillors": web.people,
                    "accounts": web.accounts,
                    "requests": sum(per_slot.values()),
                    "busiest_slot": busiest,
                    "busiest_requests": per_slot[busiest],
                    "busiest_pace_s": _slot_pace(busiest, paces, floors),
                    "lower_bound_s": round(checked["bound_s"], 1),
                    "wall_s": round(wall, 1),
                    # from the run's start to the first request a council's site received (its clock)
                    "first_council_request_s": _first_council_request(arrivals, web.settings["registry"], started_wall),
                    "ratio": round(wall / checked["bound_s"], 3),
                    "cpu_s": round(cpu, 1),
                    "cpu_ms_per_request": round(cpu * 1000 / max(1, sum(per_slot.values())), 1),
                    "web_cpu_s": round(web_cpu, 1),  # the demo web's own process, on the same machine
                    "peak_rss_mb": round(after.ru_maxrss / 1024),
                    "renderer_mb": renderer,
                    "parsers_mb": parsers,
                    "peak_mb": round(after.ru_maxrss / 1024) + renderer + parsers,
                    "database_mb": database_mb(url),
                    "stages_s": _stage_times(url, summary["run_id"]),
                    "rosters": {
                        k.split(":", 1)[1]: v for k, v in summary["statuses"].items() if k.startswith("roster:")
                    },
                    "audit": {k: v for k, v in checked.items() if k not in ("bound_s", "bound_slot", "requests")},
                }
                shown = {k: v for k, v in row.items() if k not in ("database", "world", "councils")}
                echo("  " + ", ".join(f"{k}={v}" for k, v in shown.items()))
                figures.append(row)
    for kind in databases:
        first, unchanged = (
            next(r for r in figures if r["database"] == kind and r["run"] == label) for label in ("first", "unchanged")
        )
        echo(f"{kind}: the unchanged run took 1/{first['wall_s'] / unchanged['wall_s']:.1f} of the first")
    return figures


def _slot_pace(slot: str, paces: dict[str, float], floors: dict[str, float]) -> float:
    """The spacing the run keeps for a slot: its pace, or the slower one a council override gives its site."""
    return max(_pace(slot, paces), floors.get(slot, 0.0))


def _pace(slot: str, paces: dict[str, float]) -> float:
    """The pace the pipeline keeps for a slot of the demo web (``Fetcher.get``'s ``pace``)."""
    from cllr.demo.world import MASTODON_SERVERS

    if slot == slot_key(BLUESKY_APPVIEW_HOST):
        return paces[PLATFORMS["bluesky"].pace]
    if slot in {slot_key(server) for server in MASTODON_SERVERS}:
        return paces[PLATFORMS["mastodon"].pace]
    return paces["request_delay"]


def _first_council_request(arrivals: list[Arrival], registry: str, started: float) -> float | None:
    """Seconds from ``started`` (epoch) to the first request any council's site received."""
    from urllib.parse import urlsplit

    from models.store import read_registry

    hosts = {urlsplit(row.get("roster_url") or "").hostname for row in read_registry(Path(registry))}
    first = min((a.arrived for a in arrivals if a.host in hosts), default=None)
    return None if first is None else round(first - started, 2)


def _floors(registry: str) -> dict[str, float]:
    """Slots that the council overrides (``council_overrides.csv``) give a slower spacing, as the run
    applies them (unscaled: a council that asks for 10 s gets 10 s)."""
    from urllib.parse import urlsplit

    from cllr.pipeline.overrides import read_overrides
    from models.store import read_registry

    overrides = read_overrides(Settings().overrides)
    floors: dict[str, float] = {}
    for row in read_registry(Path(registry)):
        delay = (overrides.get(row["code"].strip().upper()) or {}).get("request_delay")
        if delay and row.get("roster_url"):
            slot = slot_key(urlsplit(row["roster_url"]).hostname or "")
            floors[slot] = max(floors.get(slot, 0.0), float(delay))
    return floors


def _warm_prefect() -> None:
    """Start Prefect's temporary API before timing, as a deployment's server is already running."""
    import flows.refresh  # noqa: F401 (first: it sets Prefect's quiet, offline defaults before Prefect loads)

    # isort: split
    from prefect import flow

    @flow(name="bench-warm-up")
    def warm_up() -> None:
        return None

    warm_up()


def _refresh(overrides: dict, workers: int) -> dict:
    import json

    from flows.refresh import refresh  # first: it sets Prefect's quiet defaults before Prefect loads

    # isort: split
    from prefect.task_runners import ThreadPoolTaskRunner

    flow = refresh.with_options(task_runner=ThreadPoolTaskRunner(max_workers=Settings(**overrides).threads))
    return flow(settings=json.loads(json.dumps(overrides, default=str)), trigger="benchmark")


def _stage_times(url: str, run_id: int) -> dict[str, float]:
    """Each stage's span in the run: from its first step's start to its last step's end."""
    from sqlalchemy import func, select

    from models import RunStep
    from models.db import Database

    db = Database(url)
    with db.session() as session:
        rows = session.execute(
            select(RunStep.stage, func.min(RunStep.started_at), func.max(RunStep.finished_at))
            .where(RunStep.run_id == run_id)
            .group_by(RunStep.stage)
        ).all()
    db.dispose()
    return {stage: round((end - start).total_seconds(), 1) for stage, start, end in sorted(rows, key=lambda r: r[1])}


# The postcode finder at national size -------------------------------------------------------------

# Principal councils by type, as the registry counts them (cllr/data/councils.MANIFEST.md).
