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
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from multiprocessing.connection import Connection
from pathlib import Path

from . import stages
from .config import Settings
from .demo.server import DemoServer
from .demo.world import BLUESKY_APPVIEW_HOST, build_world, write_demo_files
from .http import slot_key


def bench_fetch(councils: int = 60, latency: float = 0.02, delay: float = 0.1, workers: int = 8,
                shared_every: int = 5, seed: int = 2026) -> dict:  # fmt: skip
    """Run the fetch stage once on a generated web; return the figures."""
    world = build_world(councils=councils, seed=seed, wards=(4, 8), shared_every=shared_every)
    with tempfile.TemporaryDirectory(prefix="cllr-bench-") as tmp, DemoServer(world, latency=latency) as server:
        settings = Settings(data_dir=Path(tmp), **write_demo_files(world, Path(tmp)), connect_to=server.connect_to(),
                            bluesky_appview=f"https://{BLUESKY_APPVIEW_HOST}", request_delay=delay, workers=workers)  # fmt: skip
        with stages.open_context(settings) as ctx:
            run_id = stages.start_run(ctx, "benchmark")
            codes = stages.load_registry(ctx)
            lanes = stages.council_lanes(ctx, codes)
            today = date.today()
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(lambda lane: stages.scrape_lane(ctx, lane, run_id, today), lanes))
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

    from models import AccountEvidence, Council, Councillor, Membership, Party, Post, ProfileSnapshot, SocialAccount, Ward
    from models.db import Database
    from models.store import seed_parties

    from . import metrics
    from .demo.world import FIRST_NAMES, SURNAME_HEADS, SURNAME_TAILS
    from .parties import known_parties
    from .site import build_site

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="cllr-bench-site-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        db.migrate()
        now = stages.utcnow()
        started = time.monotonic()
        with db.session() as session:
            seed_parties(session, known_parties())
            parties = [p.id for p in session.query(Party).all()]
            session.execute(insert(Council), [
                {"code": f"X{i:03d}", "name": f"Fictional Council {i}", "common_name": f"Fictional {i}",
                 "nation": ("England", "Wales", "Scotland", "Northern Ireland")[i % 4], "council_type": "UA",
                 "cms": "moderngov", "scraper_class": "moderngov", "seats": councillors // councils, "fictional": True}
                for i in range(councils)])  # fmt: skip
            council_ids = [c.id for c in session.query(Council).order_by(Council.id)]
            session.execute(insert(Ward), [{"council_id": cid, "key": f"w{w}", "name": f"Ward {w}"}
                                           for cid in council_ids for w in range(20)])  # fmt: skip
            wards = {(w.council_id, w.key): w.id for w in session.query(Ward)}
            people = []
            for i in range(councillors):
                cid = council_ids[i % councils]
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAME_HEADS)}{rng.choice(SURNAME_TAILS)}"
                people.append({"council_id": cid, "source_id": str(i), "slug": f"x{i:05d}-{name.lower().replace(' ', '-')}",
                               "name": name, "raw_name": name, "first_seen_at": now, "last_seen_at": now})  # fmt: skip
            session.execute(insert(Councillor), people)
            ids = [(c.id, c.council_id) for c in session.query(Councillor).order_by(Councillor.id)]
            session.execute(insert(Membership), [
                {"councillor_id": pid, "ward_id": wards[(cid, f"w{n % 20}")], "party_id": rng.choice(parties),
                 "party_label": "", "start_date": date(2026, 5, 7)} for n, (pid, cid) in enumerate(ids)])  # fmt: skip
            accounts, links = [], []
            for n, (pid, _) in enumerate(ids):
                for platform in ("bluesky", "mastodon", "web"):
                    if rng.random() < {"bluesky": 0.45, "mastodon": 0.2, "web": 0.15}[platform]:
                        key = f"{platform}:bench{n}.{platform}.example"
                        accounts.append({"platform": platform, "key": key, "handle": f"bench{n}.example",
                                         "url": f"https://bench{n}.{platform}.example/", "status": "active",
                                         "first_seen_at": now, "last_checked_at": now})  # fmt: skip
                        links.append((pid, key))
            session.execute(insert(SocialAccount), accounts)
            keys = {a.key: a.id for a in session.query(SocialAccount)}
            session.execute(insert(AccountEvidence), [
                {"councillor_id": pid, "account_id": keys[key], "method": "council_profile", "level": "listed",
                 "source_url": f"https://council.example/{pid}", "first_seen_at": now, "last_seen_at": now,
                 "last_checked_at": now} for pid, key in links])  # fmt: skip
            posts = [{"account_id": aid, "post_id": f"{aid}-{k}", "posted_at": now - timedelta(days=rng.uniform(0, 91)),
                      "kind": "post", "first_seen_at": now}
                     for aid in keys.values() for k in range(rng.randint(0, 2 * posts_per_account))]  # fmt: skip
            for start in range(0, len(posts), 50_000):
                session.execute(insert(Post), posts[start : start + 50_000])
            session.execute(insert(ProfileSnapshot), [{"account_id": aid, "taken_at": now, "followers": rng.randint(0, 5000),
                                                       "posts_complete": True} for aid in keys.values()])  # fmt: skip
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
        "councils": councils, "councillors": councillors, "accounts": len(accounts), "posts": len(posts),
        "generate_s": round(generated, 1), "full_build_s": timings["full"][0], "pages": timings["full"][1], "files": files,
        "unchanged_rebuild_s": timings["unchanged"][0], "pages_rebuilt": timings["unchanged"][1],
        "largest_search_shard_kb": round(shard / 1024), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "renderer_private_mb": timings["full"][2],
    }  # fmt: skip


# A national world's accounts: about 12,000 for 20,000 councillors (Bluesky, Mastodon, blogs).
NATIONAL_SHARES = (0.34, 0.12, 0.08)


def bench_national(councils: int = 400, per_council: int = 50, latency: float = 0.05, delay: float = 0.2,
                   workers: int = 16, databases: tuple[str, ...] = ("sqlite", "postgresql"), shared_every: int = 6,
                   shares: tuple[float, float, float] = NATIONAL_SHARES, seed: int = 2026,
                   postgres_admin: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                   echo=print) -> list[dict]:  # fmt: skip
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
    documented = {name: Settings.model_fields[name].default for name in ("request_delay", "bluesky_delay", "mastodon_delay")}
    paces = {name: round(value * delay / documented["request_delay"], 6) for name, value in documented.items()}
    figures = []
    for kind in databases:
        world = {"councils": councils, "seed": seed, "shared_every": shared_every, "shares": shares,
                 "wards": (max(1, per_council // 2 - 5), per_council // 2 + 5), "now": datetime.now(timezone.utc)}  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="cllr-bench-national-") as tmp, \
                _demo_web_process(world, latency, Path(tmp)) as web, _bench_database(kind, Path(tmp), postgres_admin) as url:  # fmt: skip
            echo(f"{kind}: {councils} councils, {web.people} councillors, {web.accounts} accounts; "
                 f"latency {latency} s, paces {paces}")  # fmt: skip
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
                    "database": kind, "run": label, "councils": councils, "councillors": web.people,
                    "accounts": web.accounts, "requests": sum(per_slot.values()), "busiest_slot": busiest,
                    "busiest_requests": per_slot[busiest], "busiest_pace_s": _pace(busiest, paces),
                    "lower_bound_s": round(bounds[busiest], 1),
                    "wall_s": round(wall, 1), "ratio": round(wall / bounds[busiest], 3),
                    "cpu_s": round(cpu, 1),
                    "peak_rss_mb": round(after.ru_maxrss / 1024), "renderer_mb": renderer,
                    "peak_mb": round(after.ru_maxrss / 1024) + renderer, "database_mb": _database_mb(url),
                    "stages_s": _stage_times(url, summary["run_id"]),
                    "rosters": {k.split(":", 1)[1]: v for k, v in summary["statuses"].items() if k.startswith("roster:")},
                }  # fmt: skip
                echo("  " + ", ".join(f"{k}={v}" for k, v in row.items() if k not in ("database", "councils")))
                figures.append(row)
    for kind in databases:
        first, unchanged = (next(r for r in figures if r["database"] == kind and r["run"] == label)
                            for label in ("first", "unchanged"))  # fmt: skip
        echo(f"{kind}: the unchanged run took 1/{first['wall_s'] / unchanged['wall_s']:.1f} of the first")
    return figures


def _cpu_s() -> float:
    """CPU time of this process and of its children that have ended (the site's forked renderer)."""
    import resource

    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))


def _pace(slot: str, paces: dict[str, float]) -> float:
    """The pace the pipeline keeps for a slot of the demo web (``Fetcher.get``'s ``pace``)."""
    from .demo.world import BLUESKY_APPVIEW_HOST, MASTODON_SERVERS

    if slot == slot_key(BLUESKY_APPVIEW_HOST):
        return paces["bluesky_delay"]
    if slot in {slot_key(server) for server in MASTODON_SERVERS}:
        return paces["mastodon_delay"]
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
        connection.send(({**files, **server.settings()}, sum(len(c.councillors) for c in built.councils),
                         len(built.accounts())))  # fmt: skip
        while (command := connection.recv()) != "stop":
            if command == "requests":
                log, server.web.log[:] = list(server.web.log), []
                connection.send(Counter(slot_key(host) for host in log))


def _warm_prefect() -> None:
    """Start Prefect's temporary API before timing, as a deployment's server is already running."""
    import flows.refresh  # noqa: F401 (first: it sets Prefect's quiet, offline defaults before Prefect loads)
    from prefect import flow

    @flow(name="bench-warm-up")
    def warm_up() -> None:
        return None

    warm_up()


def _refresh(overrides: dict, workers: int) -> dict:
    import json

    from flows.refresh import refresh
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
        rows = session.execute(select(RunStep.stage, func.min(RunStep.started_at), func.max(RunStep.finished_at))
                               .where(RunStep.run_id == run_id).group_by(RunStep.stage)).all()  # fmt: skip
    db.dispose()
    return {stage: round((end - start).total_seconds(), 1) for stage, start, end in sorted(rows, key=lambda r: r[1])}
