"""Politeness slots kept in the database hold one pace per provider across processes (CLLR_SHARED_SLOTS)."""

from __future__ import annotations

import itertools
import multiprocessing
import time

import pytest

from cllr.config import Settings
from cllr.http.clock import SystemClock
from cllr.pipeline import context
from cllr.pipeline.shared_slots import SharedSlots
from models.db import Database, make_engine

from .fakes import FakeClock


def shared(database_url: str, clock: FakeClock, delay: float = 1.0) -> SharedSlots:
    return SharedSlots(clock, delay, make_engine(database_url), wall=clock.monotonic)


def test_two_workers_on_one_database_take_turns_on_a_provider_but_not_on_another(database_url):
    Database(database_url).migrate()
    clock = FakeClock()  # one wall clock, two workers that share nothing but the database
    first, second = shared(database_url, clock), shared(database_url, clock)
    first.wait("moderngov.co.uk")
    second.wait("moderngov.co.uk")
    second.wait("cmis.example")
    first.wait("moderngov.co.uk")
    assert clock.sleeps == [1.0, 1.0]  # the second worker waited its turn, then the first; cmis did not wait


def test_a_back_off_seen_by_one_worker_holds_the_others_back(database_url):
    Database(database_url).migrate()
    clock = FakeClock()
    first, second = shared(database_url, clock), shared(database_url, clock)
    first.wait("example.gov.uk")
    first.back_off("example.gov.uk", 30)  # a 429 with Retry-After: 30
    second.wait("example.gov.uk")
    assert clock.sleeps == [30.0]


def test_the_pipeline_uses_shared_slots_when_asked(database_url, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=database_url, shared_slots=True)
    with context.open_context(settings) as ctx:
        assert isinstance(ctx.fetcher.slots, SharedSlots)


def _take_turns(url: str, key: str, delay: float, times: int, starts) -> None:
    slots = SharedSlots(SystemClock(), delay, make_engine(url))
    for _ in range(times):
        taken = slots.wait(key)
        starts.put((taken, time.time()))


def test_processes_sharing_the_database_never_start_requests_closer_than_the_delay(database_url):
    Database(database_url).migrate()
    spawn = multiprocessing.get_context("spawn")
    starts = spawn.Queue()
    workers = [
        spawn.Process(target=_take_turns, args=(database_url, "moderngov.co.uk", 0.2, 4, starts)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    taken = sorted(starts.get(timeout=60) for _ in range(8))
    for worker in workers:
        worker.join(30)
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(taken)]
    assert min(gaps) >= 0.2 - 1e-6, gaps  # the starts the two processes took from the database
    assert all(woke >= start - 0.001 for start, woke in taken)  # and each waited for its own


def test_a_crawl_delay_one_worker_reads_governs_every_workers_next_request(database_url):
    Database(database_url).migrate()
    clock = FakeClock()
    first, second = shared(database_url, clock, delay=0.05), shared(database_url, clock, delay=0.05)
    first.wait("example.gov.uk")  # the robots.txt request, taken at the default delay
    first.set_floor("example.gov.uk", 2.0)  # it said Crawl-delay: 2
    second.wait("example.gov.uk")
    assert clock.sleeps == [2.0]


def test_a_request_sent_late_pushes_every_workers_next_start_from_the_send(database_url):
    Database(database_url).migrate()
    clock = FakeClock()
    first, second = shared(database_url, clock, delay=1.0), shared(database_url, clock, delay=1.0)
    first.wait("example.gov.uk")
    clock.sleep(0.3)  # a TLS handshake: the request went on the wire 0.3 s after its start
    first.sent("example.gov.uk", clock.monotonic())
    clock.sleeps.clear()
    second.wait("example.gov.uk")
    assert clock.sleeps == [pytest.approx(1.0)]  # 1 s after the send, not 0.7 s after now
