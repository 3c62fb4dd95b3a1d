"""Politeness slots shared by every worker of a deployment, kept in the database (``CLLR_SHARED_SLOTS``)."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from cllr.http import Clock
from cllr.http.slots import Slots
from models.runs import PolitenessSlot


class SharedSlots(Slots):
    """Slots kept in the database (table ``politeness_slot``), so that every worker process and
    machine of a deployment keeps one pace per provider (``CLLR_SHARED_SLOTS``).

    Each request start is one short transaction: an atomic ``UPDATE … RETURNING`` takes the
    slot's next start (never earlier than now) and pushes it on by the delay; the caller
    then sleeps until the start it took. Threads of one process queue on the local lock
    first, so they do not crowd the database. Starts are wall-clock seconds since the
    epoch, so the workers' clocks must be synchronised (NTP), as for any shared schedule.
    """

    # A request sent this much later than the start it took pushes the shared start on again
    # (a TLS handshake or a wait for a connection came between); a smaller slip is not worth a transaction.
    SLIP = 0.005

    def __init__(self, clock: Clock, delay: float, engine, wall=time.time):
        super().__init__(clock, delay)
        self.engine = engine
        self.wall = wall
        self._taken: dict[str, float] = {}  # the start this process last took per slot (epoch seconds)

    def wait(self, key: str, check: Callable[[], None] | None = None) -> float:
        """Block until the start this process took from the database; returns that start (epoch seconds)."""
        slot = self._slot(key)
        with slot.lock:
            self._await_wire(slot, check)  # this process's previous request on the slot went out first
            start = self._push(key, after=self.wall(), by=self.delay_for(key))
            pause = start - self.wall()
            if pause > 0:
                self.clock.sleep(pause)
            self._taken[key] = max(start, self.wall())
            with slot.state:
                self._claim(slot)
        return start

    def set_floor(self, key: str, seconds: float) -> None:
        """A site's ``Crawl-delay`` governs every worker's very next request: the shared next start
        is pushed to this process's last start plus the floor."""
        super().set_floor(key, seconds)
        if (taken := self._taken.get(key)) is not None:
            self._push(key, after=taken + self.delay_for(key), by=0.0)

    def sent(self, key: str, at: float, *, release: bool = True) -> None:
        """The request went on the wire at ``at`` (this process's clock): when that was later than the
        start it took, every worker's next start counts from the send."""
        super().sent(key, at, release=False)
        wall_at = self.wall() - (self.clock.monotonic() - at)
        taken = self._taken.get(key)
        if taken is not None and wall_at - taken > self.SLIP:
            self._taken[key] = wall_at
            self._push(key, after=wall_at + self.delay_for(key), by=0.0)
        if release:
            self.release(key)

    def back_off(self, key: str, seconds: float) -> None:
        super().back_off(key, seconds)
        self._push(key, after=self.wall() + seconds, by=0.0)

    def _push(self, key: str, *, after: float, by: float) -> float:
        """Atomically set the slot's next start to max(it, ``after``) + ``by``; return the start taken (before ``by``)."""
        table = PolitenessSlot.__table__
        with self.engine.begin() as connection:
            postgres = connection.dialect.name == "postgresql"
            greatest = func.greatest if postgres else func.max
            update = (
                table.update()
                .where(table.c.key == key)
                .values(next_start=greatest(table.c.next_start, after) + by)
                .returning(table.c.next_start)
            )
            taken = connection.execute(update).scalar()
            if taken is None:
                insert = postgresql_insert if postgres else sqlite_insert
                connection.execute(insert(table).values(key=key, next_start=0.0).on_conflict_do_nothing())
                taken = connection.execute(update).scalar()
        return taken - by
