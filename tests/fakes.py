"""Stand-ins for time and the network when the HTTP layer is tested with ``httpx.MockTransport``."""

from __future__ import annotations

import httpx


class FakeClock:
    """The Fetcher's clock: sleeping only moves time on (and is recorded)."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


class Body(httpx.SyncByteStream):
    """A body streamed in chunks, as from a socket (the Fetcher reads responses raw; a plain ``content=`` is read at once)."""

    def __init__(self, data: bytes, chunk: int = 65536):
        self.data, self.chunk = data, chunk

    def __iter__(self):
        for i in range(0, len(self.data), self.chunk):
            yield self.data[i : i + self.chunk]
