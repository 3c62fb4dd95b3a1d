"""Benchmarks that print figures (docs/benchmarks.md); speed is never asserted in tests.

``fetch``: the pipeline's fetch stage (rosters and profile pages, as the flow runs them:
provider lanes on a thread pool) against a generated web of many councils, some on one
shared provider, each answer delayed by an injected latency. It prints the wall time
next to the lower bound the politeness rules allow: a slot's requests start at least
``delay`` apart, so no run can be faster than its busiest slot,
``(requests − 1) × delay + latency``.

``site``: the static site's build on a generated national-size directory, in full and
again with nothing changed.

``national``: the whole pipeline (the refresh flow) on a generated national-size demo
web with injected latency, on SQLite and on PostgreSQL, then again with the council
sites answering ``304 Not Modified``.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

from cllr.config import Settings
from cllr.demo.server import DemoServer
from cllr.demo.world import BLUESKY_APPVIEW_HOST, build_world, write_demo_files
from cllr.http import slot_key
from cllr.pipeline import context, registry, rosters
from cllr.platforms import PLATFORMS


def bench_fetch(
    councils: int = 60,
    latency: float = 0.02,
    delay: float = 0.1,
    workers: int = 8,
    shared_every: int = 5,
    seed: int = 2026,
) -> dict:
    """Run the fetch stage once on a generated web; return the figures."""
    world = build_world(councils=councils, seed=seed, wards=(4, 8), shared_every=shared_every)
    with tempfile.TemporaryDirectory(prefix="cllr-bench-") as tmp, DemoServer(world, latency=latency) as server:
        settings = Settings(
            data_dir=Path(tmp),
            **write_demo_files(world, Path(tmp)),
            connect_to=server.connect_to(),
            bluesky_appview=f"https://{BLUESKY_APPVIEW_HOST}",
            request_delay=delay,
            workers=workers,
        )
        with context.open_context(settings) as ctx:
            run_id = context.start_run(ctx, "benchmark")
            codes = registry.load_registry(ctx)
            lanes = rosters.council_lanes(ctx, codes)
            today = date.today()
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(lambda lane: rosters.scrape_lane(ctx, lane, run_id, today), lanes))
            wall = time.monotonic() - started
        per_slot = Counter(slot_key(host) for host in server.web.log)
    busiest, requests = per_slot.most_common(1)[0]
    bound = (requests - 1) * delay + latency
    statuses = Counter(o.status for lane in results for o in lane if o.stage == "roster")
    return {
        "councils": councils,
        "councillors": sum(len(c.councillors) for c in world.councils),
        "requests": sum(per_slot.values()),
        "slots": len(per_slot),
        "lanes": len(lanes),
        "busiest_slot": busiest,
        "busiest_requests": requests,
        "delay": delay,
        "latency": latency,
        "workers": workers,
        "lower_bound_s": round(bound, 2),
        "wall_s": round(wall, 2),
        "ratio": round(wall / bound, 3),
        "rosters": dict(statuses),
    }


def bench_site(councillors: int = 20_000, councils: int = 400, posts_per_account: int = 30, seed: int = 2026) -> dict:
    """Build the site of a generated national-size directory twice: in full, then with nothing changed.

    The directory is written straight into a SQLite database (fictional councils,
    councillors, accounts with evidence, 13 weeks of posts, metrics), not scraped: this
    measures the build alone. Peak memory is the process's maximum resident size.
    """
    import random
    import resource

    from sqlalchemy import insert

    from cllr.demo.world import FIRST_NAMES, SURNAME_HEADS, SURNAME_TAILS
    from cllr.parties import known_parties
    from cllr.pipeline import metrics
    from cllr.site.build import build_site
    from models import Council, Councillor, Membership, Party, Post, ProfileSnapshot, Ward
    from models.db import Database
    from models.store import seed_parties

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="cllr-bench-site-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        db.migrate()
        now = context.utcnow()
        started = time.monotonic()
        with db.session() as session:
            seed_parties(session, known_parties())
            parties = [p.id for p in session.query(Party).all()]
            session.execute(
                insert(Council),
                [
                    {
                        "code": f"X{i:03d}",
                        "name": f"Fictional Council {i}",
                        "common_name": f"Fictional {i}",
                        "nation": ("England", "Wales", "Scotland", "Northern Ireland")[i % 4],
                        "council_type": "UA",
                        "cms": "moderngov",
                        "scraper_class": "moderngov",
                        "seats": councillors // councils,
                        "fictional": True,
                    }
                    for i in range(councils)
                ],
            )
            council_ids = [c.id for c in session.query(Council).order_by(Council.id)]
            session.execute(
                insert(Ward),
                [{"council_id": cid, "key": f"w{w}", "name": f"Ward {w}"} for cid in council_ids for w in range(20)],
            )
            wards = {(w.council_id, w.key): w.id for w in session.query(Ward)}
            people = []
            for i in range(councillors):
                cid = council_ids[i % councils]
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAME_HEADS)}{rng.choice(SURNAME_TAILS)}"
                people.append(
                    {
                        "council_id": cid,
                        "source_id": str(i),
                        "slug": f"x{i:05d}-{name.lower().replace(' ', '-')}",
                        "name": name,
                        "raw_name": name,
                        "first_seen_at": now,
                        "last_seen_at": now,
                    }
                )
            session.execute(insert(Councillor), people)
            ids = [(c.id, c.council_id) for c in session.query(Councillor).order_by(Councillor.id)]
            session.execute(
                insert(Membership),
                [
                    {
                        "councillor_id": pid,
                        "ward_id": wards[(cid, f"w{n % 20}")],
                        "party_id": rng.choice(parties),
                        "party_label": "",
                        "start_date": date(2026, 5, 7),
                    }
                    for n, (pid, cid) in enumerate(ids)
                ],
            )
            keys = _link_accounts(session, [pid for pid, _ in ids], (0.45, 0.2, 0.15), rng, now)
            posts = [
                {
                    "account_id": aid,
                    "post_id": f"{aid}-{k}",
                    "posted_at": now - timedelta(days=rng.uniform(0, 91)),
                    "kind": "post",
                    "first_seen_at": now,
                }
                for aid in keys.values()
                for k in range(rng.randint(0, 2 * posts_per_account))
            ]
            for start in range(0, len(posts), 50_000):
                session.execute(insert(Post), posts[start : start + 50_000])
            session.execute(
                insert(ProfileSnapshot),
                [
                    {"account_id": aid, "taken_at": now, "followers": rng.randint(0, 5000), "posts_complete": True}
                    for aid in keys.values()
                ],
            )
            metrics.compute(session, now, run_id=None)
        generated = time.monotonic() - started
        site = Path(tmp) / "site"
        timings = {}
        for label, force in (("full", True), ("unchanged", False)):
            started = time.monotonic()
            with db.session() as session:
                build = build_site(session, site, force=force)
            timings[label] = (round(time.monotonic() - started, 2), build.pages, build.renderer_private_mb)
        shard = max(p.stat().st_size for p in (site / "search").glob("*.json"))
        files = sum(1 for p in site.rglob("*") if p.is_file())
        db.dispose()
    return {
        "councils": councils,
        "councillors": councillors,
        "accounts": len(keys),
        "posts": len(posts),
        "generate_s": round(generated, 1),
        "full_build_s": timings["full"][0],
        "pages": timings["full"][1],
        "files": files,
        "unchanged_rebuild_s": timings["unchanged"][0],
        "pages_rebuilt": timings["unchanged"][1],
        "largest_search_shard_kb": round(shard / 1024),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "renderer_private_mb": timings["full"][2],
    }


# A national world's accounts: about 12,000 for 20,000 councillors (Bluesky, Mastodon, blogs).
NATIONAL_SHARES = (0.34, 0.12, 0.08)


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
) -> list[dict]:
    """Run the refresh flow twice on a generated national-size web, per database; return the figures of each run.

    The first run starts from an empty database; in the second the sites answer
    conditional requests with ``304 Not Modified`` and no account has posted (nothing
    changed). The demo web is served by a process of its own, as the real web is not in
    ours. Council sites are paced at ``delay`` and the platform APIs at their documented
    paces scaled by the same factor (``delay`` over the default ``request_delay``). Wall
    time is set against the politeness lower bound of the requests actually made: a
    slot's requests start at least its pace apart, so no run beats its busiest slot,
    ``(requests − 1) × pace + latency``. CPU time and peak memory are the pipeline's
    process with the site's forked renderer (Prefect's API and the demo web run in
    processes of their own): the CPU time of both, and the pipeline's maximum resident
    size plus the memory the renderer held on its own.
    """
    import resource

    _warm_prefect()
    paced = ["request_delay"] + [p.pace for p in PLATFORMS.values() if p.pace]
    documented = {name: Settings.model_fields[name].default for name in paced}
    paces = {name: round(value * delay / documented["request_delay"], 6) for name, value in documented.items()}
    figures = []
    for kind in databases:
        world = {
            "councils": councils,
            "seed": seed,
            "shared_every": shared_every,
            "shares": shares,
            "wards": (max(1, per_council // 2 - 5), per_council // 2 + 5),
            "now": datetime.now(UTC),
        }
        with (
            tempfile.TemporaryDirectory(prefix="cllr-bench-national-") as tmp,
            _demo_web_process(world, latency, Path(tmp)) as web,
            _bench_database(kind, Path(tmp), postgres_admin) as url,
        ):
            echo(
                f"{kind}: {councils} councils, {web.people} councillors, {web.accounts} accounts; "
                f"latency {latency} s, paces {paces}"
            )
            overrides = {"data_dir": tmp, "database_url": url, **web.settings, **paces, "workers": workers}
            for label in ("first", "unchanged"):
                web.requests()  # from now on
                before = _cpu_s()
                started = time.monotonic()
                summary = _refresh(overrides, workers)
                wall = time.monotonic() - started
                cpu = _cpu_s() - before
                after = resource.getrusage(resource.RUSAGE_SELF)
                renderer = summary["counts"].get("site.renderer_mb", 0)  # the site's forked renderer, on its own
                per_slot = web.requests()
                bounds = {slot: (n - 1) * _pace(slot, paces) + latency for slot, n in per_slot.items()}
                busiest = max(bounds, key=bounds.get)
                row = {
                    "database": kind,
                    "run": label,
                    "councils": councils,
                    "councillors": web.people,
                    "accounts": web.accounts,
                    "requests": sum(per_slot.values()),
                    "busiest_slot": busiest,
                    "busiest_requests": per_slot[busiest],
                    "busiest_pace_s": _pace(busiest, paces),
                    "lower_bound_s": round(bounds[busiest], 1),
                    "wall_s": round(wall, 1),
                    "ratio": round(wall / bounds[busiest], 3),
                    "cpu_s": round(cpu, 1),
                    "peak_rss_mb": round(after.ru_maxrss / 1024),
                    "renderer_mb": renderer,
                    "peak_mb": round(after.ru_maxrss / 1024) + renderer,
                    "database_mb": _database_mb(url),
                    "stages_s": _stage_times(url, summary["run_id"]),
                    "rosters": {
                        k.split(":", 1)[1]: v for k, v in summary["statuses"].items() if k.startswith("roster:")
                    },
                }
                echo("  " + ", ".join(f"{k}={v}" for k, v in row.items() if k not in ("database", "councils")))
                figures.append(row)
    for kind in databases:
        first, unchanged = (
            next(r for r in figures if r["database"] == kind and r["run"] == label) for label in ("first", "unchanged")
        )
        echo(f"{kind}: the unchanged run took 1/{first['wall_s'] / unchanged['wall_s']:.1f} of the first")
    return figures


def _cpu_s() -> float:
    """CPU time of this process and of its children that have ended (the site's forked renderer)."""
    import resource

    return sum(
        u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def _pace(slot: str, paces: dict[str, float]) -> float:
    """The pace the pipeline keeps for a slot of the demo web (``Fetcher.get``'s ``pace``)."""
    from cllr.demo.world import BLUESKY_APPVIEW_HOST, MASTODON_SERVERS

    if slot == slot_key(BLUESKY_APPVIEW_HOST):
        return paces[PLATFORMS["bluesky"].pace]
    if slot in {slot_key(server) for server in MASTODON_SERVERS}:
        return paces[PLATFORMS["mastodon"].pace]
    return paces["request_delay"]


@dataclass
class _WebProcess:
    settings: dict
    people: int
    accounts: int
    connection: Connection

    def requests(self) -> Counter[str]:
        """Requests served per politeness slot since the last call."""
        self.connection.send("requests")
        return self.connection.recv()


@contextmanager
def _demo_web_process(world: dict, latency: float, directory: Path) -> Iterator[_WebProcess]:
    """The demo web of ``build_world(**world)``, served by a process of its own (``spawn``: no
    state of ours is copied into it); its registry and scraper configuration written to ``directory``."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve_world, args=(theirs, world, latency, str(directory)), daemon=True)
    process.start()
    try:
        settings, people, accounts = ours.recv()
        yield _WebProcess(settings, people, accounts, ours)
    finally:
        ours.send("stop")
        process.join(timeout=30)
        if process.is_alive():
            process.kill()


def _serve_world(connection: Connection, world: dict, latency: float, directory: str) -> None:
    """The demo web process: build the world, serve it, answer the benchmark's questions until told to stop."""
    built = build_world(**world)
    with DemoServer(built, latency=latency) as server:
        files = write_demo_files(built, Path(directory))
        connection.send(
            ({**files, **server.settings()}, sum(len(c.councillors) for c in built.councils), len(built.accounts()))
        )
        while (command := connection.recv()) != "stop":
            if command == "requests":
                log, server.web.log[:] = list(server.web.log), []
                connection.send(Counter(slot_key(host) for host in log))


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

    flow = refresh.with_options(task_runner=ThreadPoolTaskRunner(max_workers=workers))
    return flow(settings=json.loads(json.dumps(overrides, default=str)), trigger="benchmark")


@contextmanager
def _bench_database(kind: str, tmp: Path, admin: str) -> Iterator[str]:
    """A fresh database of the kind asked for: a SQLite file in ``tmp``, or a throwaway PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"cllr_bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _database_mb(url: str) -> float:
    from sqlalchemy import create_engine, text

    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20, 1)
    engine = create_engine(url)
    with engine.connect() as connection:
        size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    return round(size / 2**20, 1)


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
COUNCIL_MIX = {"CTY": 21, "NMD": 164, "MD": 36, "LBO": 33, "UA": 63, "SCO": 32, "WPA": 22, "NID": 11}


def bench_postcodes(
    rows: int = 2_700_000,
    databases: tuple[str, ...] = ("sqlite", "postgresql"),
    seed: int = 2026,
    postgres_admin: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    echo=print,
) -> list[dict]:
    """Import a generated ONSPD of ``rows`` rows with the real columns and build the postcode finder's files; per database.

    The directory is generated and written straight into the database (382 fictional
    councils of the real types, two-tier areas included, with wards, divisions and
    councillors), as is a zip shaped as the ONS publishes the directory. The import
    (``cllr postcodes import``: read, load, match the wards) and the shard build (read
    the councillors, write the files) each run in a process of their own (``spawn``),
    whose peak resident memory is its own.
    """
    from cllr.demo.postcodes import write_national_directory

    figures = []
    with tempfile.TemporaryDirectory(prefix="cllr-bench-postcodes-") as tmp:
        started = time.monotonic()
        places, names, directory = _national_places(seed)
        zipped = Path(tmp) / "ONSPD_BENCH_UK.zip"
        written = write_national_directory(zipped, places, names, rows=rows, seed=seed)
        echo(
            f"generated {written['rows']:,} rows ({written['live_rows']:,} in use) in {written['outward_codes']:,} outward codes "
            f"over {len(places):,} places: {zipped.stat().st_size / 2**20:.0f} MB zipped, "
            f"in {time.monotonic() - started:.0f} s"
        )
        for kind in databases:
            with _bench_database(kind, Path(tmp), postgres_admin) as url:
                _seed_directory(url, directory, seed)
                imported = _in_own_process(_timed_import, url, str(zipped))
                built = _in_own_process(_timed_shards, url, str(Path(tmp) / f"site-{kind}"))
                row = {
                    "database": kind,
                    "rows": written["rows"],
                    "zip_mb": round(zipped.stat().st_size / 2**20),
                    "csv_mb": round(zipfile.ZipFile(zipped).infolist()[0].file_size / 2**20),
                    **imported,
                    **built,
                    "database_mb": _database_mb(url),
                }
                echo("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
                figures.append(row)
    return figures


def _national_places(seed: int):
    """The national directory's councils, wards and divisions; the places postcodes lie in, in map order; and the ONS names."""
    import random

    from cllr.demo.postcodes import ons_name
    from cllr.demo.world import PLACES, WARD_WORDS

    rng = random.Random(seed)
    types = [t for t, n in COUNCIL_MIX.items() for _ in range(n)]
    rng.shuffle(types)
    councils, names, places = [], {}, []
    ward_number = division_number = 0
    for i, council_type in enumerate(types):
        gss = f"X{'10' if council_type == 'CTY' else '07' if council_type == 'NMD' else '06'}{i + 1:06d}"
        stem = f"{PLACES[i % len(PLACES)]} {i + 1}"
        count = rng.randint(40, 80) if council_type == "CTY" else rng.randint(12, 36)
        wards = []
        for n in range(count):
            if council_type == "CTY":
                division_number += 1
                code = f"X58{division_number:06d}"
            else:
                ward_number += 1
                code = f"X05{ward_number:06d}"
            name = f"{stem} {WARD_WORDS[n % len(WARD_WORDS)]}" + (
                f" {n // len(WARD_WORDS) + 1}" if n >= len(WARD_WORDS) else ""
            )
            wards.append((code, name))
            names[code] = ("division" if council_type == "CTY" else "ward", ons_name(name))
        names[gss] = ("county" if council_type == "CTY" else "lad", f"{stem} Council")
        councils.append(
            {"code": f"Q{i:03d}", "gss": gss, "type": council_type, "name": f"{stem} Council", "wards": wards}
        )
    counties = [c for c in councils if c["type"] == "CTY"]
    districts = [c for c in councils if c["type"] == "NMD"]
    county_of = {d["code"]: counties[n % len(counties)] for n, d in enumerate(districts)}
    in_county: dict[str, list] = {c["code"]: [d for d in districts if county_of[d["code"]] is c] for c in counties}
    for council in councils:
        if council["type"] == "CTY":
            continue
        county = county_of.get(council["code"])
        if county is None:
            places += [(council["gss"], code, "", "") for code, _ in council["wards"]]
            continue
        # The county's divisions cover its districts' wards in runs, in order.
        siblings = in_county[county["code"]]
        total = sum(len(d["wards"]) for d in siblings)
        before = sum(len(d["wards"]) for d in siblings[: siblings.index(council)])
        for n, (code, _) in enumerate(council["wards"]):
            division = county["wards"][(before + n) * len(county["wards"]) // total][0]
            places.append((council["gss"], code, county["gss"], division))
    return places, names, councils


def _seed_directory(url: str, councils: list[dict], seed: int) -> None:
    """Write the national directory's councils, wards, councillors and accounts straight into the database."""
    import random

    from sqlalchemy import insert, select

    from cllr.demo.world import FIRST_NAMES, SURNAME_HEADS, SURNAME_TAILS
    from cllr.names import ward_key
    from models import Council, Councillor, Membership, Ward
    from models.db import Database

    rng = random.Random(seed)
    db = Database(url)
    db.migrate()
    now = context.utcnow()
    with db.session() as session:
        session.execute(
            insert(Council),
            [
                {
                    "code": c["code"],
                    "gss": c["gss"],
                    "name": c["name"],
                    "common_name": c["name"],
                    "nation": "England",
                    "council_type": c["type"],
                    "cms": "moderngov",
                    "scraper_class": "moderngov",
                    "fictional": True,
                }
                for c in councils
            ],
        )
        ids = dict(session.execute(select(Council.code, Council.id)).all())
        session.execute(
            insert(Ward),
            [
                {"council_id": ids[c["code"]], "key": ward_key(name), "name": name}
                for c in councils
                for _, name in c["wards"]
            ],
        )
        people, seats = [], []
        for ward_id, council_id in session.execute(select(Ward.id, Ward.council_id)).all():
            for _ in range(rng.randint(1, 3)):
                n = len(people)
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAME_HEADS)}{rng.choice(SURNAME_TAILS)}"
                people.append(
                    {
                        "council_id": council_id,
                        "source_id": str(n),
                        "slug": f"q{n:05d}",
                        "name": name,
                        "raw_name": name,
                        "first_seen_at": now,
                        "last_seen_at": now,
                    }
                )
                seats.append(ward_id)
        session.execute(insert(Councillor), people)
        person_ids = list(session.scalars(select(Councillor.id).order_by(Councillor.id)))
        session.execute(
            insert(Membership),
            [
                {"councillor_id": pid, "ward_id": wid, "party_label": "Independent", "start_date": date(2026, 5, 7)}
                for pid, wid in zip(person_ids, seats, strict=True)
            ],
        )
        _link_accounts(session, person_ids, NATIONAL_SHARES, rng, now)
    db.dispose()


def _link_accounts(session, person_ids: list[int], shares: tuple[float, float, float], rng, now) -> dict[str, int]:
    """Give councillors Bluesky, Mastodon and web accounts at these shares, listed on their council profiles; key → id."""
    from sqlalchemy import insert, select

    from models import AccountEvidence, SocialAccount

    accounts, links = [], []
    for pid in person_ids:
        for platform, share in zip(("bluesky", "mastodon", "web"), shares, strict=True):
            if rng.random() < share:
                key = f"{platform}:bench{pid}.{platform}.example"
                accounts.append(
                    {
                        "platform": platform,
                        "key": key,
                        "handle": f"bench{pid}.{platform}.example",
                        "url": f"https://bench{pid}.{platform}.example/",
                        "status": "active",
                        "first_seen_at": now,
                        "last_checked_at": now,
                    }
                )
                links.append((pid, key))
    session.execute(insert(SocialAccount), accounts)
    keys = dict(session.execute(select(SocialAccount.key, SocialAccount.id)).all())
    session.execute(
        insert(AccountEvidence),
        [
            {
                "councillor_id": pid,
                "account_id": keys[key],
                "method": "council_profile",
                "level": "listed",
                "source_url": f"https://council.example/{pid}",
                "first_seen_at": now,
                "last_seen_at": now,
                "last_checked_at": now,
            }
            for pid, key in links
        ],
    )
    return keys


def _in_own_process(target, *args) -> dict:
    """Run ``target(*args)`` in a fresh interpreter (``spawn``) and return its figures, with its own peak memory."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_report, args=(theirs, target, args))
    process.start()
    try:
        figures = ours.recv()
    finally:
        process.join(timeout=60)
    if isinstance(figures, BaseException):
        raise figures
    return figures


def _report(connection: Connection, target, args) -> None:
    import resource

    try:
        figures = target(*args)
        figures[f"{target.__name__.removeprefix('_timed_')}_peak_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        )
        connection.send(figures)
    except BaseException as exc:  # sent back, raised in the benchmark's process
        connection.send(exc)


def _timed_import(url: str, path: str) -> dict:
    from cllr.postcodes.importer import import_directory
    from cllr.postcodes.wardcodes import match_wards
    from models.db import Database

    db = Database(url)
    started = time.monotonic()
    with db.session() as session:
        done = import_directory(session, [Path(path)])
        loaded = time.monotonic() - started
        counts = match_wards(session).counts()
    total = time.monotonic() - started
    db.dispose()
    release = done.release
    return {
        "import_s": round(total, 1),
        "load_s": round(loaded, 1),
        "match_s": round(total - loaded, 1),
        "postcodes_live": release.live,
        "postcodes_retired": release.retired,
        "places": release.places,
        "wards_matched": counts["matched"],
        "wards_unmatched": counts["unmatched"] + counts["ambiguous"],
    }


def _timed_shards(url: str, folder: str) -> dict:
    from sqlalchemy import select

    from cllr.site.postcode_shards import write_postcode_shards
    from cllr.site.views import gather_people
    from models import Council
    from models.db import Database

    db = Database(url)
    with db.session() as session:
        started = time.monotonic()
        people, _ = gather_people(session)
        councils = list(session.scalars(select(Council)))
        read = time.monotonic() - started
        started = time.monotonic()
        written = write_postcode_shards(session, Path(folder), people, councils)
        shards = time.monotonic() - started
    db.dispose()
    largest = max(p.stat().st_size for p in Path(folder).glob("*.json"))
    return {
        "people_read_s": round(read, 1),
        "shards_s": round(shards, 1),
        "shards": written["shards"],
        "shards_mb": round(written["bytes"] / 2**20, 1),
        "largest_shard_kb": round(largest / 1024, 1),
        "shard_postcodes": written["postcodes"],
    }
