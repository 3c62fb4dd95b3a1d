"""The one HTTP layer: every request the system makes, to councils or platforms, goes here.

A :class:`Fetcher` sends one honest User-Agent, spaces request starts to the same site
(one politeness slot per registrable domain, so sibling sub-domains of one hosting
provider share a slot), caps response sizes, and reports failures as
:class:`FetchError` with a one-line reason. Parsers never see HTTP: they get bytes.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from .config import Settings

# Second-level labels under which registrations happen (gov.uk, co.uk ...). A bundled
# public-suffix list replaces this approximation when the hardened layer lands.
_SECOND_LEVEL = {"ac", "co", "gov", "ltd", "me", "net", "nhs", "org", "plc", "sch", "police"}


class FetchError(Exception):
    """A request that produced no usable response. ``status`` is set for HTTP errors."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        super().__init__(f"{reason} ({url})")
        self.url = url
        self.reason = reason
        self.status = status


@dataclass
class Response:
    url: str
    status: int
    headers: httpx.Headers
    content: bytes

    def json(self):
        return json.loads(self.content)


def slot_key(url: str) -> str:
    """The politeness slot of a URL: its registrable domain (``a.moderngov.co.uk`` → ``moderngov.co.uk``)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


class _ConnectTo(httpx.BaseTransport):
    """Send requests for mapped host names to a local address over plain HTTP.

    The URL and the Host header keep the real name; only the connection changes, like
    curl's ``--connect-to``. The demo web and the tests use this; nothing else should.
    """

    def __init__(self, inner: httpx.BaseTransport, mapping: dict[str, str]):
        self._inner = inner
        self._mapping = mapping

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = self._mapping.get(request.url.host.lower())
        if target:
            host, _, port = target.rpartition(":")
            # A new request, so the client's (and the response's) URL keeps the real name.
            request = httpx.Request(
                request.method,
                request.url.copy_with(scheme="http", host=host, port=int(port)),
                headers=request.headers,
                stream=request.stream,
                extensions=request.extensions,
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0


class Fetcher:
    """A polite, bounded HTTP client shared by every scraper and platform client (thread-safe)."""

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        inner = transport or httpx.HTTPTransport(retries=0)
        if settings.connect_to:
            inner = _ConnectTo(inner, settings.connect_to)
        self._client = httpx.Client(
            transport=inner,
            headers={"User-Agent": settings.user_agent},
            timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
            follow_redirects=True,
            max_redirects=5,
        )
        self._slots: dict[str, _Slot] = {}
        self._slots_lock = threading.Lock()
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, *, params: dict | None = None, accept: str | None = None) -> Response:
        """GET ``url`` and return its body; raise :class:`FetchError` unless the status is 2xx."""
        headers = {"Accept": accept} if accept else {}
        self._wait_for_slot(url)
        try:
            with self._client.stream("GET", url, params=params, headers=headers) as response:
                content = self._read_capped(response, url)
        except httpx.TooManyRedirects:
            self._count("error")
            raise FetchError(url, "too many redirects") from None
        except httpx.TimeoutException:
            self._count("error")
            raise FetchError(url, "timed out") from None
        except httpx.HTTPError as exc:
            self._count("error")
            raise FetchError(url, f"connection failed: {type(exc).__name__}") from None
        self._count(f"{response.status_code // 100}xx", len(content))
        if not 200 <= response.status_code < 300:
            raise FetchError(url, f"HTTP {response.status_code}", response.status_code)
        return Response(str(response.url), response.status_code, response.headers, content)

    def _read_capped(self, response: httpx.Response, url: str) -> bytes:
        cap = self.settings.max_response_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(url, f"response larger than {cap} bytes")
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > cap:
                raise FetchError(url, f"response larger than {cap} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _wait_for_slot(self, url: str) -> None:
        """Block until this URL's politeness slot allows another request to start."""
        key = slot_key(url)
        with self._slots_lock:
            slot = self._slots.setdefault(key, _Slot())
        with slot.lock:
            now = time.monotonic()
            if slot.next_start > now:
                time.sleep(slot.next_start - now)
            slot.next_start = time.monotonic() + self.settings.request_delay

    def _count(self, outcome: str, size: int = 0) -> None:
        with self._stats_lock:
            self.stats["requests"] += 1
            self.stats[outcome] += 1
            self.stats["bytes"] += size
