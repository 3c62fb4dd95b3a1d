"""What the benchmarks share: a throwaway database, CPU and memory readings, work in a process of its own, and generated accounts."""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

NATIONAL_SHARES = (0.34, 0.12, 0.08)


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the site's forked renderer)."""
    import resource

    return sum(
        u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


@contextmanager
def throwaway_database(kind: str, tmp: Path, admin: str) -> Iterator[str]:
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


def database_mb(url: str) -> float:
    from sqlalchemy import create_engine, text

    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20, 1)
    engine = create_engine(url)
    with engine.connect() as connection:
        size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    return round(size / 2**20, 1)


def link_accounts(session, person_ids: list[int], shares: tuple[float, float, float], rng, now) -> dict[str, int]:
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


def in_own_process(target, *args) -> dict:
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
