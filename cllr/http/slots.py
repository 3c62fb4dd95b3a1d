"""Politeness slots: one per provider (registrable domain), not per host.

``a.moderngov.co.uk`` and ``b.moderngov.co.uk`` share the slot ``moderngov.co.uk``:
about seventy councils sit on one hosting provider, and per-host politeness there would
not be politeness. Registrable domains come from the bundled public-suffix list (the
``publicsuffixlist`` package ships its data; nothing is downloaded at run time).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from cllr.http.clock import Clock
from cllr.urls import registrable_domain


def slot_key(host: str) -> str:
    """The politeness slot of a host name: its registrable domain (an IP address is its own)."""
    return registrable_domain(host)


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0
    last_start: float | None = None  # when the slot's last request was sent (or, until known, allowed to start)
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
        """A site's ``Crawl-delay``: a minimum between its request starts, governing the very next one
        (the robots.txt request that declared it has already claimed a start at the old spacing)."""
        slot = self._slot(key)
        with slot.lock:
            slot.floor = max(slot.floor, seconds)
            if slot.last_start is not None:
                slot.next_start = max(slot.next_start, slot.last_start + slot.floor)

    def set_pace(self, key: str, seconds: float) -> None:
        """Space this slot's requests by a platform's documented pace rather than the sites' delay."""
        self._slot(key).pace = seconds

    def delay_for(self, key: str) -> float:
        slot = self._slot(key)
        return max(self.delay if slot.pace is None else slot.pace, slot.floor)

    def wait(self, key: str, check: Callable[[], None] | None = None) -> None:
        """Block until the slot allows another request to start, and claim that start. ``check`` runs
        once the slot is this caller's, before any sleep: it raises to give the request up (a site
        whose circuit opened while the caller queued is not waited for)."""
        slot = self._slot(key)
        with slot.lock:
            if check is not None:
                check()
            now = self.clock.monotonic()
            if slot.next_start > now:
                self.clock.sleep(slot.next_start - now)
                now = self.clock.monotonic()
            slot.last_start = now
            slot.next_start = now + self.delay_for(key)

    def sent(self, key: str, at: float) -> None:
        """The slot's request went on the wire at ``at`` (its headers began to be written): the gap to
        the next start counts from then, not from when the slot allowed it (a wait for a pooled
        connection or a TCP or TLS handshake comes between the two)."""
        slot = self._slot(key)
        with slot.lock:
            slot.last_start = max(slot.last_start or at, at)
            slot.next_start = max(slot.next_start, at + self.delay_for(key))

    def back_off(self, key: str, seconds: float) -> None:
        """Push the slot's next start later (after a 429 or 503); never earlier."""
        slot = self._slot(key)
        with slot.lock:
            slot.next_start = max(slot.next_start, self.clock.monotonic() + seconds)
