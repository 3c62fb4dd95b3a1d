"""The demo web served by a process of its own, for the benchmarks: the crawler's CPU and the
server's are then measured apart, and the server reads every arrival on time rather than when a
busy crawler lets it have the interpreter (``cllr.bench.audit``)."""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from cllr.bench.audit import own_domains
from cllr.demo.rehearsal import build_rehearsal
from cllr.demo.server import Arrival, DemoServer
from cllr.demo.world import build_world, write_demo_files


@dataclass
class WebProcess:
    settings: dict
    councils: int
    people: int
    accounts: int
    crawl_delays: dict[str, float]
    connection: Connection

    def arrivals(self) -> list[Arrival]:
        """The requests served since the last call, as the server saw them."""
        self.connection.send("arrivals")
        return self.connection.recv()

    def cpu_seconds(self) -> float:
        """The CPU time the web's process has used so far (serving, and building its world)."""
        self.connection.send("cpu")
        return self.connection.recv()


@contextmanager
def web_process(
    world: str,
    options: dict,
    latency: float,
    directory: Path,
    crawl_delayed: float = 0.0,
    unavailable: float = 0.0,
    crawl_delay: float = 2.0,
) -> Iterator[WebProcess]:
    """The demo web of ``build_world(**options)`` (or the rehearsal, ``build_rehearsal(**options)``),
    served by a process of its own (``spawn``: no state of ours is copied into it); its registry and
    scraper configuration written to ``directory``. Hostile: ``crawl_delayed`` of the councils (on
    their own domains) ask for ``crawl_delay`` seconds in robots.txt, and ``unavailable`` of the
    requests are answered ``503`` with ``Retry-After: 1``."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    args = (theirs, world, options, latency, str(directory), (crawl_delayed, crawl_delay, unavailable))
    process = context.Process(target=_serve_world, args=args, daemon=True)
    process.start()
    try:
        settings, councils, people, accounts, crawl_delays = ours.recv()
        yield WebProcess(settings, councils, people, accounts, crawl_delays, ours)
    finally:
        ours.send("stop")
        process.join(timeout=30)
        if process.is_alive():
            process.kill()


def _serve_world(
    connection: Connection,
    world: str,
    options: dict,
    latency: float,
    directory: str,
    hostile: tuple[float, float, float],
) -> None:
    """The demo web process: build the world, serve it, answer the benchmark's questions until told to stop."""
    rehearsal = build_rehearsal(**options) if world == "rehearsal" else None
    if rehearsal is not None:
        built, pages, councils, people = rehearsal.world, rehearsal.pages, len(rehearsal.rows), rehearsal.people
    else:
        built, pages = build_world(**options), None
        councils, people = len(built.councils), sum(len(c.councillors) for c in built.councils)
    crawl_delayed, crawl_delay, unavailable = hostile
    crawl_delays = dict.fromkeys(own_domains(built, crawl_delayed), crawl_delay)
    with DemoServer(
        built,
        latency=latency,
        pages=pages,
        crawl_delays=crawl_delays,
        unavailable=unavailable,
        seed=options.get("seed", 0),
    ) as server:
        files = rehearsal.files(Path(directory)) if rehearsal else write_demo_files(built, Path(directory))
        connection.send(({**files, **server.settings()}, councils, people, len(built.accounts()), crawl_delays))
        while (command := connection.recv()) != "stop":
            if command == "arrivals":
                connection.send(server.web.take_arrivals())
            elif command == "cpu":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                connection.send(usage.ru_utime + usage.ru_stime)
