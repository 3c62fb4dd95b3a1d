"""Politeness slots shared by every worker of a deployment, kept in the database (``CLLR_SHARED_SLOTS``)."""

from __future__ import annotations

import time

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
