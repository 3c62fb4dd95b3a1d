"""The deadline of a whole fetch: connect, TLS, headers, body, every redirect hop and retry.

httpx's timeouts bound each network operation, not their sum, so a server that drips its
response headers (or its robots.txt) a byte at a time, each byte inside the read timeout,
could hold a request, and the lane or batch behind it, for as long as it liked. Here every
``Fetcher.get`` call has one budget of ``CLLR_DEADLINE`` seconds (:func:`budget`); its clock
runs only while an exchange is on the network (:func:`running`), not while the request
waits its politeness turn or a backoff; and every socket operation of the exchange, at the
network backend (``addresses.GuardedBackend`` wraps its streams in :class:`DeadlineStream`),
is given at most the time that is left, and refused once none is.

A fetch made inside another (a certificate's issuer fetched to complete a chain) has its
own budget and is held to its caller's as well.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpcore

_local = threading.local()


class Budget:
    """Seconds left for one fetch, and when the exchange under way must end (None: none is)."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds
        self.ends: float | None = None

    @property
    def spent(self) -> bool:
        now = time.monotonic()
        return self.left <= 0 or (self.ends is not None and now >= self.ends)


def _budgets() -> list[Budget]:
    if not hasattr(_local, "budgets"):
        _local.budgets = []
    return _local.budgets


@contextmanager
def budget(seconds: float) -> Iterator[Budget]:
    """One fetch's budget, for the calling thread."""
    held = Budget(seconds)
    budgets = _budgets()
    budgets.append(held)
    try:
        yield held
    finally:
        budgets.remove(held)


def current() -> Budget | None:
    """The calling thread's innermost fetch budget, if a fetch is under way."""
    budgets = _budgets()
    return budgets[-1] if budgets else None


@contextmanager
def running() -> Iterator[Budget | None]:
    """An exchange of the innermost fetch is on the network: its budget's clock runs."""
    held = current()
    if held is None or held.ends is not None:  # no fetch, or this exchange is inside one already running
        yield held
        return
    held.ends = time.monotonic() + held.left
    try:
        yield held
    finally:
        held.left = max(0.0, held.ends - time.monotonic())
        held.ends = None


def remaining() -> float | None:
    """Seconds the calling thread's exchanges may still take (None: no fetch is running)."""
    ends = [held.ends for held in _budgets() if held.ends is not None]
    return min(ends) - time.monotonic() if ends else None


def clamp(timeout: float | None, timed_out: type[Exception]) -> float | None:
    """A socket operation's timeout cut to what is left, or ``timed_out`` raised if nothing is."""
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise timed_out("the fetch's deadline has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation is held to the running fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        return DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, clamp(timeout, httpcore.ConnectTimeout))
        )

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)
