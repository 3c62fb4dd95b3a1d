"""Politeness slots: one per provider (registrable domain), not per host.

``a.moderngov.co.uk`` and ``b.moderngov.co.uk`` share the slot ``moderngov.co.uk``:
about seventy councils sit on one hosting provider, and per-host politeness there would
not be politeness. Registrable domains come from the bundled public-suffix list (the
``publicsuffixlist`` package ships its data; nothing is downloaded at run time).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass, field
from functools import cache

from publicsuffixlist import PublicSuffixList

from cllr.http.clock import Clock


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def slot_key(host: str) -> str:
    """The politeness slot of a host name: its registrable domain (an IP address is its own)."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    return _psl().privatesuffix(host) or host


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0
    floor: float = 0.0  # the site's own Crawl-delay, honoured as a minimum
    pace: float | None = None  # a platform API's own documented pace, in place of the default delay


class Slots:
    """Spaces request starts per slot; different slots never wait for each other."""

    def __init__(self, clock: Clock, delay: float):
        self.clock = clock
        self.delay = delay
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()

    def _slot(self, key: str) -> _Slot:
        with self._lock:
            return self._slots.setdefault(key, _Slot())

    def set_floor(self, key: str, seconds: float) -> None:
        slot = self._slot(key)
        slot.floor = max(slot.floor, seconds)

    def set_pace(self, key: str, seconds: float) -> None:
        """Space this slot's requests by a platform's documented pace rather than the sites' delay."""
        self._slot(key).pace = seconds

    def delay_for(self, key: str) -> float:
        slot = self._slot(key)
        return max(self.delay if slot.pace is None else slot.pace, slot.floor)

    def wait(self, key: str) -> None:
        """Block until the slot allows another request to start, and claim that start."""
        slot = self._slot(key)
        with slot.lock:
            now = self.clock.monotonic()
            if slot.next_start > now:
                self.clock.sleep(slot.next_start - now)
                now = self.clock.monotonic()
            slot.next_start = now + self.delay_for(key)

    def back_off(self, key: str, seconds: float) -> None:
        """Push the slot's next start later (after a 429 or 503); never earlier."""
        slot = self._slot(key)
        with slot.lock:
            slot.next_start = max(slot.next_start, self.clock.monotonic() + seconds)


class SharedSlots(Slots):
    """Slots kept in the database (table ``politeness_slot``), so that every worker process and
    machine of a deployment keeps one pace per provider (``CLLR_SHARED_SLOTS``).

    Each request start is one short transaction: an atomic ``UPDATE … RETURNING`` takes the
    slot's next start (never earlier than now) and pushes it on by the delay; the caller
    then sleeps until the start it took. Threads of one process queue on the local lock
    first, so they do not crowd the database. Starts are wall-clock seconds since the
    epoch, so the workers' clocks must be synchronised (NTP), as for any shared schedule.
    """

    def __init__(self, clock: Clock, delay: float, engine, wall=time.time):
        super().__init__(clock, delay)
        self.engine = engine
        self.wall = wall

    def wait(self, key: str) -> float:
        """Block until the start this process took from the database; returns that start (epoch seconds)."""
        slot = self._slot(key)
        with slot.lock:
            start = self._push(key, after=self.wall(), by=self.delay_for(key))
            pause = start - self.wall()
            if pause > 0:
                self.clock.sleep(pause)
        return start

    def back_off(self, key: str, seconds: float) -> None:
        super().back_off(key, seconds)
        self._push(key, after=self.wall() + seconds, by=0.0)

    def _push(self, key: str, *, after: float, by: float) -> float:
        """Atomically set the slot's next start to max(it, ``after``) + ``by``; return the start taken (before ``by``)."""
        from sqlalchemy import func

        from models.runs import PolitenessSlot

        table = PolitenessSlot.__table__
        with self.engine.begin() as connection:
            postgres = connection.dialect.name == "postgresql"
            greatest = func.greatest if postgres else func.max
            update = (table.update().where(table.c.key == key)
                      .values(next_start=greatest(table.c.next_start, after) + by).returning(table.c.next_start))  # fmt: skip
            taken = connection.execute(update).scalar()
            if taken is None:
                if postgres:
                    from sqlalchemy.dialects.postgresql import insert
                else:
                    from sqlalchemy.dialects.sqlite import insert
                connection.execute(insert(table).values(key=key, next_start=0.0).on_conflict_do_nothing())
                taken = connection.execute(update).scalar()
        return taken - by
