"""The Fetcher: every request the system makes, to councils or platforms, goes through it.

In order, for each request: only http(s); the origin's circuit breaker; robots.txt
(unless the caller is a platform API client, whose use is governed by the platform's
terms); the provider's politeness slot; the request itself with a size cap; then, on a
connection error, timeout, 408, 429 or 5xx, a bounded number of retries with exponential
backoff and jitter, honouring ``Retry-After``. This is the only retry layer: Prefect
tasks never retry HTTP. Failures surface as :class:`FetchError` with a one-line reason.
A server that sends an incomplete certificate chain has it completed from its
certificate's CA Issuers URL (``chains.py``); certificate verification is never turned off.
"""

from __future__ import annotations

import json
import logging
import random
import ssl
import threading
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import httpx

from cllr.config import Settings
from cllr.http import deadline
from cllr.http.addresses import GuardedBackend, UnsafeAddress
from cllr.http.chains import ACCEPT, ChainError, Chains, missing_issuer, with_intermediates
from cllr.http.clock import Clock, SystemClock, retry_after_seconds
from cllr.http.connect_to import ConnectTo, allowed_targets
from cllr.http.robots import Refused, RobotsCache
from cllr.http.slots import Slots, slot_key
from cllr.http.validators import Validators

log = logging.getLogger("cllr.http")

PRODUCT_TOKEN = "CouncillorsOnline"  # what robots.txt groups are matched against (RFC 9309 §2.2.1)
RETRY_STATUSES = frozenset({408, 429, *range(500, 600)})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5


class FetchError(Exception):
    """A request that produced no usable response. ``status`` is set for HTTP errors."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        super().__init__(f"{reason} ({url})")
        self.url = url
        self.reason = reason
        self.status = status


class RobotsRefusal(FetchError):
    """robots.txt disallows the URL, or asks for a crawl delay over the cap: the site is skipped, not failing."""


class _RefusedAddress(FetchError, Refused):
    """The address is not public: refused before any connection, and not a verdict on the site."""


class _Retryable(FetchError):
    """A failure worth another attempt (connection, timeout, dropped body)."""


class _OutOfTime(FetchError):
    """The fetch's deadline passed (``deadline.py``): never retried, counted against the site."""


@dataclass
class Response:
    url: str
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def not_modified(self) -> bool:
        """True for a 304 to a conditional request: the caller's last copy is still current."""
        return self.status == 304

    def json(self):
        return json.loads(self.content)


class _PerHost(httpx.BaseTransport):
    """The default transport, or a host's own: one that trusts the host's extra CA bundle, or,
    once its incomplete chain has been completed (``chains.py``), one whose trust store also
    holds the intermediates that complete it."""

    def __init__(self, settings: Settings, bundles: dict[str, str], complete: Callable | None = None):
        """``complete(name, address, port, bundle)``: the intermediates for a server's chain, or None."""
        self._settings = settings
        self._bundles = {host.lower(): bundle for host, bundle in bundles.items()}
        self._complete = complete
        self._default = _guarded_transport(settings, _trust_store())
        self._special = {host: _guarded_transport(settings, _trust_store(b)) for host, b in self._bundles.items()}
        self._replaced: list[httpx.BaseTransport] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = (request.extensions.get("sni_hostname") or request.url.host).lower()  # the real name behind connect_to
        try:
            return self._special.get(host, self._default).handle_request(request)
        except httpx.ConnectError as exc:
            if self._complete is None or request.url.scheme != "https" or not missing_issuer(exc):
                raise
            bundle = self._bundles.get(host)
            intermediates = self._complete(host, request.url.host, request.url.port or 443, bundle)
            if not intermediates:
                raise  # no CA Issuers URL: the ordinary verification error
        # No request was sent: the handshake failed. Retried once, verifying as always.
        transport = _guarded_transport(self._settings, with_intermediates(_trust_store(bundle), intermediates))
        with self._lock:
            if host in self._special:
                self._replaced.append(self._special[host])  # may be in use elsewhere: closed with the rest
            self._special[host] = transport
        return transport.handle_request(request)

    def close(self) -> None:
        for transport in [self._default, *self._special.values(), *self._replaced]:
            transport.close()


class Fetcher:
    """A polite, bounded HTTP client shared by every scraper and platform client (thread-safe)."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.BaseTransport | None = None,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        ca_bundles: dict[str, str] | None = None,
    ):
        """``ca_bundles``: host → an extra CA bundle to trust for it, the recorded TLS
        exception of a council with a broken certificate chain (docs/operations.md).
        Verification itself is never turned off."""
        self.settings = settings
        self.clock = clock or SystemClock()
        self._rng = rng or random.Random()
        inner = transport
        if inner is None:
            for host, bundle in (ca_bundles or {}).items():
                log.warning("TLS exception: %s is verified against the extra CA bundle %s", host, bundle)
            self._chains = Chains(
                self._fetch_issuer,
                _trust_store,
                GuardedBackend(allowed_targets(settings.connect_to)),
                min(10.0, settings.timeout),
            )
            inner = _PerHost(settings, ca_bundles or {}, self._complete_chain)
        if settings.connect_to:
            log.warning(
                "connect_to sends %d host names to local addresses (demo and tests only)", len(settings.connect_to)
            )
            inner = ConnectTo(inner, settings.connect_to)
        self._client = httpx.Client(
            transport=inner,
            # Only encodings we decode ourselves, with a bound (see _read_capped).
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
            follow_redirects=False,  # followed in get(), each hop checked
        )
        self.validators = Validators(settings.data_dir / "http-validators.sqlite3")
        self.slots = Slots(self.clock, settings.request_delay)
        self.robots = RobotsCache(self._fetch_robots, self.clock, ttl=settings.robots_ttl)
        self._failures: Counter[str] = Counter()  # consecutive failures per origin
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()
        self.validators.close()

    def get(
        self,
        url: str,
        *,
        params: dict | None = None,
        accept: str | None = None,
        robots: bool = True,
        conditional: bool = False,
        headers: dict[str, str] | None = None,
        pace: float | None = None,
    ) -> Response:
        """GET ``url`` and return its body; raise :class:`FetchError` unless the status is 2xx.

        ``robots=False`` is for platform API clients only; every page of a site obeys
        robots.txt. ``pace``, also for platform API clients: the seconds between request
        starts that the platform documents for its API, used for the host's slot in place
        of ``request_delay`` (a robots.txt Crawl-delay still counts as a floor). ``conditional=True`` revalidates with the validators stored from the
        last fetch: the result may then be a 304 (``Response.not_modified``) with no body.
        ``headers`` adds request headers (a platform API's ``Authorization``); they are
        dropped when a redirect leaves the origin, so a credential never follows it.
        """
        target = _target(url, params)
        headers = dict(headers or {}) | ({"Accept": accept} if accept else {})
        conditional = conditional and self.settings.conditional
        if conditional:
            headers |= self.validators.headers(str(target))
        with deadline.budget(self.settings.deadline):
            return self._follow(target, headers, robots, conditional, pace)

    def post(
        self, url: str, body: dict, *, headers: dict[str, str] | None = None, pace: float | None = None
    ) -> Response:
        """POST a JSON ``body`` to a platform's API (a write: publishing lists, never to a council's
        site) through the same breaker, slot and deadline as every request; return the 2xx
        response or raise :class:`FetchError`. Never retried and never redirected: a write is not
        known to be safe to repeat, and the next run reconciles what a failed one left."""
        target = _target(url)
        origin, key = _origin(target), slot_key(target.host)
        headers = dict(headers or {}) | {"Content-Type": "application/json"}
        content = json.dumps(body, separators=(",", ":")).encode()
        with deadline.budget(self.settings.deadline):
            self._closed(origin, url)
            if pace is not None:
                self.slots.set_pace(key, pace)
            self.slots.wait(key, check=lambda: self._closed(origin, url))
            try:
                response = self._send(url, headers, key, method="POST", content=content)
            except FetchError:
                with self._lock:
                    self._failures[origin] += 1
                raise
        if not 200 <= response.status < 300:
            raise FetchError(
                url, f"HTTP {response.status}: {response.content[:200].decode('utf-8', 'replace')}", response.status
            )
        self._failures[origin] = 0
        return response

    def _follow(self, target: httpx.URL, headers: dict[str, str], robots: bool, conditional: bool, pace) -> Response:
        """``get`` from its first hop to its last, every hop checked like a first request."""
        requested = str(target)
        for _hop in range(MAX_REDIRECTS + 1):
            # Every hop is checked like a first request: scheme, breaker, robots, slot.
            if target.scheme not in ("http", "https") or not target.host:
                raise FetchError(requested, f"redirected to a URL that is not http(s): {str(target)[:100]}")
            url = str(target)
            origin = _origin(target)
            key = slot_key(target.host)
            self._closed(origin, url)
            if robots:
                self._obey_robots(url, origin, key)
            if pace is not None:
                self.slots.set_pace(key, pace)
            response = self._with_retries(url, headers, origin, key, conditional)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                if conditional and response.status != 304 and url == requested:
                    self.validators.store(url, response.headers.get("etag"), response.headers.get("last-modified"))
                return response
            try:
                target = target.join(location.strip())
            except (httpx.InvalidURL, ValueError):
                raise FetchError(url, "redirected to an invalid URL") from None
            headers = {k: v for k, v in headers.items() if not k.startswith("If-")}
            if target.scheme not in ("http", "https") or _origin(target) != origin:
                headers = {k: v for k, v in headers.items() if k.lower() in ("accept", "user-agent")}
        raise FetchError(requested, "too many redirects")

    def _closed(self, origin: str, url: str) -> None:
        """Raise unless the origin's circuit is closed (fewer consecutive failures than the threshold)."""
        if self._failures[origin] >= self.settings.breaker_threshold:
            raise FetchError(url, f"circuit open: {self._failures[origin]} consecutive failures at {origin}")

    def _with_retries(self, url: str, headers: dict[str, str], origin: str, key: str, conditional: bool) -> Response:
        """One request, retried after transient failures; a 2xx, a redirect, or a 304 when conditional."""
        attempt = 0
        while True:
            self.slots.wait(key, check=lambda: self._closed(origin, url))
            retry_after = None
            try:
                response = self._send(url, headers, key)
            except _Retryable as exc:
                failure = exc
            except _OutOfTime:
                with self._lock:
                    self._failures[origin] += 1
                raise
            else:
                status = response.status
                if 200 <= status < 300 or status in REDIRECT_STATUSES or (status == 304 and conditional):
                    self._failures[origin] = 0
                    return response
                failure = FetchError(url, f"HTTP {status}", status)
                if status not in RETRY_STATUSES:
                    raise failure
                retry_after = retry_after_seconds(response.headers.get("retry-after"))
            wait = self._backoff(attempt, retry_after)
            if attempt >= self.settings.retries or wait is None:
                with self._lock:
                    self._failures[origin] += 1
                if wait is None:
                    raise FetchError(url, f"{failure.reason}, and asked to wait {retry_after:.0f} s", failure.status)
                raise failure
            self._count("retries")
            self.slots.back_off(key, wait)
            attempt += 1

    def _obey_robots(self, url: str, origin: str, key: str) -> None:
        try:
            self._robots_rules(url, origin, key)
        finally:  # a robots.txt fetched just now held the slot until its Crawl-delay was read
            self.slots.release(key)

    def _robots_rules(self, url: str, origin: str, key: str) -> None:
        decision = self.robots.decision(origin)
        if not decision.allows(url, PRODUCT_TOKEN):
            self._count("robots_disallowed")
            if decision.site_failing:  # the site is down, not refusing us
                raise FetchError(url, f"disallowed by robots.txt ({decision.note})")
            raise RobotsRefusal(url, f"disallowed by robots.txt ({decision.note})")
        delay = decision.crawl_delay(PRODUCT_TOKEN)
        if delay > self.settings.max_crawl_delay:
            self._count("robots_disallowed")
            raise RobotsRefusal(
                url,
                f"robots.txt asks for a {delay:.0f} s crawl delay, over the {self.settings.max_crawl_delay:.0f} s cap",
            )
        if delay:
            self.slots.set_floor(key, delay)

    def _fetch_robots(self, url: str) -> tuple[int, bytes]:
        """robots.txt, one attempt per hop through the politeness slots, at most five redirects
        (RFC 9309 §2.3.1.2: more is unreachable); the body read up to its cap."""
        target = httpx.URL(url)
        held = slot_key(target.host)  # the site's slot, held until its Crawl-delay is read (_obey_robots)
        for _hop in range(MAX_REDIRECTS + 1):
            status, headers, body = self._fetch_robots_once(target, hold=slot_key(target.host) == held)
            if status not in REDIRECT_STATUSES or not headers.get("location"):
                return status, body
            target = target.join(headers["location"])
            if target.scheme not in ("http", "https"):
                raise FetchError(url, "robots.txt redirected to a URL that is not http(s)")
        raise FetchError(url, "robots.txt redirected more than five times")

    def _fetch_robots_once(self, target: httpx.URL, *, hold: bool) -> tuple[int, httpx.Headers, bytes]:
        """One hop of a robots.txt fetch; ``hold``: keep the slot from its next request until released
        (the site's own slot), else free it as any request does (a hop to another provider's)."""
        url = str(target)
        key = slot_key(target.host)
        self.slots.wait(key)
        try:
            return self._robots_hop(url, key, hold)
        finally:
            if not hold:
                self.slots.release(key)

    def _robots_hop(self, url: str, key: str, hold: bool) -> tuple[int, httpx.Headers, bytes]:
        """One robots.txt exchange, held to the fetch's deadline and read through the same bounded
        decoder as pages, up to its own cap (RFC 9309 §2.5: rules past the cap are ignored)."""
        try:
            with (
                deadline.running(),
                self._client.stream("GET", url, extensions={"trace": self._on_wire(key, release=not hold)}) as response,
            ):
                body = self._read_capped(response, url, cap=self.settings.max_robots_bytes, truncate=True)
                self._count(f"{response.status_code // 100}xx", len(body), response.status_code)
                return response.status_code, response.headers, body
        except httpx.HTTPError:
            self._count("error")
            raise
        except ChainError as exc:
            self._count("error")
            raise FetchError(url, f"TLS certificate verification failed: {exc}") from None
        except UnsafeAddress as exc:
            self._count("unsafe")
            raise _RefusedAddress(url, f"refused: {exc}") from None

    def _on_wire(self, key: str, *, release: bool = True):
        """An httpcore trace hook: the moment the request's headers have gone out (handed to the
        kernel, which puts them on the wire) is the start the slot's spacing counts from
        (``Slots.sent``). Not the moment they began to: a busy process's thread can lose the
        interpreter between the two for milliseconds, and the next request would be that much early."""

        def trace(event: str, _info: dict) -> None:
            if event.endswith("send_request_headers.complete"):
                self.slots.sent(key, self.clock.monotonic(), release=release)

        return trace

    def _send(
        self, url: str, headers: dict[str, str], key: str, method: str = "GET", content: bytes | None = None
    ) -> Response:
        try:
            return self._exchange(url, headers, key, method, content)
        finally:  # on the wire long since, or never to be: the slot's next request may have its turn
            self.slots.release(key)

    def _exchange(
        self, url: str, headers: dict[str, str], key: str, method: str = "GET", content: bytes | None = None
    ) -> Response:
        trace = {"trace": self._on_wire(key)}
        try:
            with (
                deadline.running() as held,
                self._client.stream(method, url, headers=headers, content=content, extensions=trace) as response,
            ):
                content = self._read_capped(response, url)
        except zlib.error:
            self._count("error")
            raise FetchError(url, "the compressed body is corrupt") from None
        except httpx.TimeoutException:
            self._count("error")
            if held is not None and held.spent:
                raise self._out_of_time(url) from None
            raise _Retryable(url, "timed out") from None
        except httpx.ConnectError as exc:
            self._count("error")
            if _is_tls_error(exc):
                raise FetchError(url, "TLS certificate verification failed") from None
            raise _Retryable(url, "connection failed") from None
        except ChainError as exc:  # an incomplete chain that could not be completed: never retried
            self._count("error")
            raise FetchError(url, f"TLS certificate verification failed: {exc}") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            self._count("error")
            raise _Retryable(url, f"connection dropped: {type(exc).__name__}") from None
        except httpx.HTTPError as exc:
            self._count("error")
            raise FetchError(url, f"request failed: {type(exc).__name__}") from None
        except UnsafeAddress as exc:
            self._count("unsafe")
            raise _RefusedAddress(url, f"refused: {exc}") from None
        self._count(f"{response.status_code // 100}xx", len(content), response.status_code)
        return Response(str(response.url), response.status_code, response.headers, content)

    def _complete_chain(self, name: str, address: str, port: int, bundle: str | None) -> list | None:
        """The intermediates that complete a server's chain (``chains.py``); the request they
        let through then waits for its slot like any other."""
        intermediates = self._chains.complete(name, address, port, bundle)
        if intermediates:
            self.slots.wait(slot_key(name))
        return intermediates

    def _fetch_issuer(self, url: str) -> bytes:
        """A CA Issuers URL's body, through every check but robots.txt (a certificate repository, not a site)."""
        try:
            return self.get(url, robots=False, accept=ACCEPT).content
        except FetchError as exc:
            raise ChainError(f"the issuer could not be fetched from {url}: {exc.reason}") from None

    def _read_capped(self, response: httpx.Response, url: str, cap: int | None = None, truncate: bool = False) -> bytes:
        """Read and decode the body, counting decoded bytes against the cap (past it: an error, or
        with ``truncate`` the body cut there) and time against the fetch's deadline.

        Decoding is ours, bounded (``max_length``), so a small gzip that inflates to
        gigabytes is stopped at the cap with memory to match, and a server dripping a
        byte at a time is cut off at the deadline even though no single read times out.
        """
        cap = self.settings.max_response_bytes if cap is None else cap
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap and not truncate:
            raise FetchError(url, f"response larger than {cap} bytes")
        decoder = _decoder(response.headers.get("content-encoding", ""), url)
        held = deadline.current()
        chunks, size = [], 0
        for raw in response.iter_raw():
            data = raw
            while data:
                out = decoder.decompress(data, cap + 1 - size) if decoder else data[: cap + 1 - size]
                data = decoder.unconsumed_tail if decoder else b""
                size += len(out)
                chunks.append(out)
                if size > cap:
                    if truncate:
                        return b"".join(chunks)[:cap]
                    raise FetchError(url, f"response larger than {cap} bytes")
            if held is not None and held.spent:
                raise self._out_of_time(url)
        return b"".join(chunks)

    def _out_of_time(self, url: str) -> _OutOfTime:
        return _OutOfTime(url, f"took longer than {self.settings.deadline:g} s in all")

    def _backoff(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds before the next attempt: what a ``Retry-After`` asks (within the cap), else
        exponential with jitter.

        None when the server asks for a longer wait than the cap: give up for this run.
        """
        if retry_after is not None and retry_after > self.settings.backoff_cap:
            return None
        if retry_after is not None:  # the server said when: as asked, no more
            return retry_after
        wait = min(self.settings.backoff_cap, self.settings.backoff_base * 2**attempt)
        return wait * (0.5 + self._rng.random() / 2)

    @contextmanager
    def tally(self) -> Iterator[Counter[str]]:
        """Count the requests made in this context (thread or task): by HTTP status, plus bytes.

        Keys are status codes ("200", "304", "404"), "error" (no response), "unsafe"
        (refused address), "robots_disallowed", "retries" and "bytes"; robots.txt
        fetches count too. A run's ledger keeps one such tally per step.
        """
        counter: Counter[str] = Counter()
        token = _TALLY.set(counter)
        try:
            yield counter
        finally:
            _TALLY.reset(token)

    def _count(self, outcome: str, size: int = 0, status: int | None = None) -> None:
        with self._lock:
            self.stats[outcome] += 1
            if outcome.endswith("xx") or outcome == "error":
                self.stats["requests"] += 1
            self.stats["bytes"] += size
        tally = _TALLY.get()
        if tally is not None:
            tally[str(status) if status is not None else outcome] += 1
            if size:
                tally["bytes"] += size


_TALLY: ContextVar[Counter[str] | None] = ContextVar("cllr_http_tally", default=None)


def _trust_store(ca_bundle: str | None = None) -> ssl.SSLContext:
    """A new verifying context: httpx's default (certifi, or ``SSL_CERT_FILE``), or for a host
    with a recorded exception the system's trust store plus its extra CA bundle."""
    if not ca_bundle:
        return httpx.create_ssl_context()
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=ca_bundle)
    return context


def _guarded_transport(settings: Settings, context: ssl.SSLContext) -> httpx.HTTPTransport:
    """httpx's transport with connections only to checked public addresses (``addresses.py``)."""
    # httpx's limits (20 connections kept alive): httpcore's pool looks at every connection it holds,
    # and at each of them again, for every request, so a bigger pool cost more of the run's CPU than
    # the reconnections it saved (docs/benchmarks.md).
    transport = httpx.HTTPTransport(retries=0, verify=context)
    # httpx has no public hook for httpcore's network backend; the attribute is pinned with httpx.
    transport._pool._network_backend = GuardedBackend(allowed_targets(settings.connect_to))
    return transport


def _decoder(encoding: str, url: str):
    """A bounded decompressor for the Content-Encoding we asked for (gzip, deflate), or None."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise FetchError(url, f"unsupported content encoding {encoding!r}")


def _target(url: str, params: dict | None = None) -> httpx.URL:
    """The URL a request is for: a valid http(s) URL with a host, or a :class:`FetchError` saying why not."""
    try:
        target = httpx.URL(url, params=params) if params else httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise FetchError(url, "not a valid URL") from None
    if target.scheme not in ("http", "https") or not target.host:
        raise FetchError(url, "only http and https URLs are fetched")
    return target


def _origin(url: httpx.URL) -> str:
    default = {"http": 80, "https": 443}[url.scheme]
    port = f":{url.port}" if url.port and url.port != default else ""
    host = f"[{url.host}]" if ":" in url.host else url.host  # an IPv6 literal
    return f"{url.scheme}://{host}{port}"


def _is_tls_error(exc: BaseException) -> bool:
    seen = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
