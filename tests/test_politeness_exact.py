"""Politeness exact (issue 24, part 4), each rule shown failing when broken: a Crawl-delay that
robots.txt declares governs the very next request; the gap counts from when a request was
actually sent; a Retry-After is honoured as asked, the backoff used only when none is given."""

from __future__ import annotations

import random

import httpx
import pytest

from cllr.config import Settings
from cllr.http import Fetcher, FetchError
from cllr.http.slots import Slots

from .fakes import Body, FakeClock
from .test_http import Web, fetcher


def starts(web: Web, path: str) -> list[float]:
    return [t for t, r in web.log if r.url.path == path]


@pytest.mark.parametrize("delay", [0.05, 1.0])
def test_a_crawl_delay_governs_the_request_right_after_the_robots_txt_that_declares_it(delay):
    web = Web(robots=(200, b"User-agent: *\nCrawl-delay: 2\n"))
    with fetcher(web, request_delay=delay) as f:
        f.get("https://a.example.org/one")
        f.get("https://a.example.org/two")
    robots, one, two = (t for t, _ in web.log)
    assert one - robots >= 2.0 and two - one >= 2.0


def test_the_gap_counts_from_when_the_request_went_on_the_wire():
    """The first request waited 0.8 s between being allowed to start and its headers going out (a
    new connection's handshake), and 10 ms more while they were written; the second reused the
    connection and went at once. Timed from the allowed start, they would reach the server 0.19 s
    apart with a 1 s delay; from when the headers began to go out, 0.99 s; from when they had gone, 1 s."""
    clock = FakeClock()
    waits = [0.8, 0.0]
    slips = [0.01, 0.0]  # the first request's thread lost the interpreter while writing its headers
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        clock.now += waits[len(sent)]
        request.extensions["trace"]("http11.send_request_headers.started", {})
        clock.now += slips[len(sent)]
        request.extensions["trace"]("http11.send_request_headers.complete", {})
        sent.append(clock.now)
        return httpx.Response(200, stream=Body(b"ok"))

    config = Settings(request_delay=1.0)
    with Fetcher(config, httpx.MockTransport(handler), clock=clock, rng=random.Random(1)) as f:
        f.get("https://api.example.org/a", robots=False)
        f.get("https://api.example.org/b", robots=False)
    assert sent[1] - sent[0] == pytest.approx(1.0)


@pytest.mark.parametrize(("asked", "status"), [("1", 503), ("2", 429), ("0", 503)])
def test_a_retry_after_is_honoured_as_asked_not_stretched_to_the_backoff(asked, status):
    web = Web({"/x": [(status, b"", {"retry-after": asked}), (200, b"fine")]})
    with fetcher(web, request_delay=0.0, backoff_base=10.0) as f:
        assert f.get("https://a.example.org/x", robots=False).content == b"fine"
    first, second = starts(web, "/x")
    assert second - first == pytest.approx(float(asked))


def test_without_a_retry_after_the_backoff_is_exponential_with_jitter():
    web = Web({"/x": [(503, b""), (503, b""), (200, b"fine")]})
    with fetcher(web, request_delay=0.0, backoff_base=10.0) as f:
        f.get("https://a.example.org/x", robots=False)
    first, second, third = starts(web, "/x")
    assert 5.0 <= second - first <= 10.0 and 10.0 <= third - second <= 20.0


def test_a_slot_never_starts_a_request_before_the_floor_after_the_last_one_sent():
    clock = FakeClock()
    slots = Slots(clock, delay=0.05)
    slots.wait("site")  # robots.txt, sent at 1000.0
    slots.set_floor("site", 2.0)  # it said Crawl-delay: 2
    slots.wait("site")
    assert clock.now - 1000.0 >= 2.0


def test_a_request_queued_for_a_slot_whose_circuit_opened_is_given_up_without_waiting():
    """An unreachable platform is given up for the run, not paced call by call: a caller that
    queued for the slot before the circuit opened fails at once when its turn comes."""
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("unreachable", request=request)

    config = Settings(request_delay=5.0, retries=0, breaker_threshold=1)
    with Fetcher(config, httpx.MockTransport(handler), clock=clock, rng=random.Random(1)) as f:
        key = "api.example.org"
        with pytest.raises(FetchError):
            f.get("https://api.example.org/a", robots=False)
        clock.sleeps.clear()
        f._failures.clear()  # as when the next call passed the breaker before the first call failed ...
        f.slots.wait(key)  # ... and queued for the slot
        f._failures["https://api.example.org"] = 1  # then the circuit opened
        with pytest.raises(FetchError, match="circuit open"):
            f._with_retries("https://api.example.org/b", {}, "https://api.example.org", key, False)
    assert clock.sleeps == []  # no pace waited for a request that was never to be sent


def test_slots_run_the_check_before_sleeping():
    clock = FakeClock()
    slots = Slots(clock, 5.0)
    slots.wait("a.example")

    def refuse() -> None:
        raise RuntimeError("given up")

    with pytest.raises(RuntimeError):
        slots.wait("a.example", check=refuse)
    assert clock.sleeps == []


def test_a_slots_next_request_waits_for_the_one_before_to_go_on_the_wire():
    """Two threads on one slot: the first claims its start but is slow to send (a new connection, a
    busy interpreter). The second may not start until the delay after the first was actually sent;
    timed from the first's claimed start, it would have followed it half a second later."""
    import threading

    clock = FakeClock()
    slots = Slots(clock, 1.0)
    slots.wait("api.example.org")  # the first request's start, claimed at 1000.0
    started: list[float] = []
    second = threading.Thread(target=lambda: (slots.wait("api.example.org"), started.append(clock.monotonic())))
    second.start()
    second.join(0.2)
    assert second.is_alive() and not started  # held until the first is on the wire
    clock.now += 0.5
    slots.sent("api.example.org", clock.now)  # it went out at 1000.5
    second.join(10)
    assert started == [pytest.approx(1001.5)]


def test_a_robots_txt_redirected_to_another_provider_frees_that_providers_slot():
    """The site's own slot is held until its Crawl-delay is read; a hop to another provider's slot is
    freed at once, so that provider's other callers are not held (up to the two-minute safety wait)."""
    import threading

    robots = [(301, b"", {"location": "https://cdn.example.net/robots.txt"}), (200, b"User-agent: *\nCrawl-delay: 2\n")]
    web = Web({"/robots.txt": robots})
    with fetcher(web, request_delay=0.05) as f:
        f.get("https://a.example.org/one")
        other = threading.Thread(target=f.slots.wait, args=("example.net",))
        other.start()
        other.join(10)
        assert not other.is_alive()
        assert f.slots.delay_for("example.org") == 2.0  # the Crawl-delay still governs the site's own slot
