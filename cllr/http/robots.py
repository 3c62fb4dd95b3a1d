"""robots.txt per origin, with the status rules of RFC 9309 §2.3.1.

- 2xx: the body (read up to a cap) is parsed by Protego: groups chosen by our product
  token, case-insensitively, falling back to ``*``; the longest matching rule wins.
- 4xx (401 and 403 included): no rules, everything allowed.
- 5xx, 429, timeouts and connection errors: the site is unreachable, so everything is
  disallowed for that origin until the decision expires.
Decisions are cached for ``ttl`` seconds (24 hours by default), counted on the injected clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from protego import Protego

from cllr.http.clock import Clock


@dataclass(frozen=True)
class RobotsDecision:
    rules: Protego | None  # None: no rules apply
    allow_all: bool
    note: str
    site_failing: bool = False  # disallowed because robots.txt could not be read (unreachable, 429, 5xx)

    def allows(self, url: str, token: str) -> bool:
        if self.rules is None:
            return self.allow_all
        return self.rules.can_fetch(url, token)

    def crawl_delay(self, token: str) -> float:
        if self.rules is None:
            return 0.0
        return float(self.rules.crawl_delay(token) or 0.0)


# fetch(url) -> (status, body); any exception means "unreachable", except Refused.
RobotsFetch = Callable[[str], tuple[int, bytes]]


class Refused(Exception):
    """Marker for failures that are not about the site at all (a refused address): passed on, not cached."""


class RobotsCache:
    def __init__(self, fetch: RobotsFetch, clock: Clock, ttl: float = 24 * 3600):
        self._fetch = fetch
        self._clock = clock
        self._ttl = ttl
        self._decisions: dict[str, tuple[float, RobotsDecision]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def decision(self, origin: str) -> RobotsDecision:
        """The cached decision for ``origin`` (``scheme://host[:port]``), fetching robots.txt when due."""
        with self._lock:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:
            cached = self._decisions.get(origin)
            now = self._clock.monotonic()
            if cached and now - cached[0] < self._ttl:
                return cached[1]
            decision = self._load(origin)
            self._decisions[origin] = (self._clock.monotonic(), decision)
            return decision

    def _load(self, origin: str) -> RobotsDecision:
        try:
            status, body = self._fetch(origin + "/robots.txt")
        except Refused:
            raise
        except Exception as exc:  # unreachable: RFC 9309 §2.3.1.4
            return RobotsDecision(None, False, f"robots.txt unreachable ({exc}): all disallowed", site_failing=True)
        if 200 <= status < 300:
            return RobotsDecision(Protego.parse(body.decode("utf-8", "replace")), True, "robots.txt rules")
        if status == 429 or status >= 500:
            return RobotsDecision(None, False, f"robots.txt answered {status}: all disallowed", site_failing=True)
        if 400 <= status < 500:
            return RobotsDecision(None, True, f"robots.txt answered {status}: all allowed")
        return RobotsDecision(None, False, f"robots.txt answered {status}: all disallowed")
