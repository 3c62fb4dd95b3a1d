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
    lock: threading.Lock = field(default_factory=threading.Lock)  # held by a caller until it claims a start
    state: threading.Lock = field(default_factory=threading.Lock)  # guards the fields below, briefly
    next_start: float = 0.0
    last_start: float | None = None  # when the slot's last request was sent (or, until known, allowed to start)
    floor: float = 0.0  # the site's own Crawl-delay, honoured as a minimum
    pace: float | None = None  # a platform API's own documented pace, in place of the default delay
    claimant: int | None = None  # the thread whose claimed request has not yet gone on the wire
    free: threading.Event = field(default_factory=threading.Event)  # set while there is no claimant

    def __post_init__(self) -> None:
        self.free.set()


# The longest a caller waits for the previous request to go on the wire (a send that never reports
# back, from a bug, must not stop the slot for good); any request's own timeout is far shorter.
ON_WIRE_WAIT = 120.0


class Slots:
    """Spaces request starts per slot; different slots never wait for each other.

    A slot's next request waits until the one before it has gone on the wire (``sent``) or been
    given up (``release``), then until the delay after that send: with several threads on one
    slot, a request slow to go out (a new connection, a busy interpreter) can never be overtaken
    by the next one's start, nor the next follow it closer than the delay.
    """

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
        with slot.state:
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
            self._await_wire(slot, check)
            while True:
                with slot.state:
                    now = self.clock.monotonic()
                    pause = slot.next_start - now
                    if pause <= 0:  # a floor raised or a back-off asked for while asleep is waited out too
                        slot.last_start = now
                        slot.next_start = now + self.delay_for(key)
                        self._claim(slot)
                        return
                self.clock.sleep(pause)

    def _await_wire(self, slot: _Slot, check: Callable[[], None] | None) -> None:
        """Wait for the previous claimant's request to go on the wire (another thread's), then run ``check``."""
        if slot.claimant not in (None, threading.get_ident()):
            slot.free.wait(ON_WIRE_WAIT)
        if check is not None:
            check()

    @staticmethod
    def _claim(slot: _Slot) -> None:
        slot.claimant = threading.get_ident()
        slot.free.clear()

    def sent(self, key: str, at: float, *, release: bool = True) -> None:
        """The slot's request went on the wire at ``at`` (its headers had been handed to the kernel):
        the gap to the next start counts from then, not from when the slot allowed it (a wait for a
        pooled connection or a TCP or TLS handshake comes between the two). ``release=False`` keeps
        the next request waiting until :meth:`release` (a robots.txt whose Crawl-delay must be read
        before anything else is sent)."""
        slot = self._slot(key)
        with slot.state:
            slot.last_start = max(slot.last_start or at, at)
            slot.next_start = max(slot.next_start, at + self.delay_for(key))
        if release:
            self.release(key)

    def release(self, key: str) -> None:
        """This thread's claimed request is on the wire or given up: the next may have its turn."""
        slot = self._slot(key)
        with slot.state:
            if slot.claimant == threading.get_ident():
                slot.claimant = None
                slot.free.set()

    def back_off(self, key: str, seconds: float) -> None:
        """Push the slot's next start later (after a 429 or 503); never earlier."""
        slot = self._slot(key)
        with slot.state:
            slot.next_start = max(slot.next_start, self.clock.monotonic() + seconds)
