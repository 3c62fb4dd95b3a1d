"""The server's audit of a crawl (cllr/bench/audit.py), on arrivals written by hand: each rule counts what breaks it."""

import pytest

from cllr.bench.audit import audit, audit_slot
from cllr.demo.server import Arrival

LATENCY = 0.02


def arrivals(*starts: float, path: str = "/p", host: str = "a.example.org", status: int = 200) -> list[Arrival]:
    return [Arrival(host, path, t, t + LATENCY, status, None) for t in starts]


def robots(at: float, host: str = "a.example.org") -> Arrival:
    return Arrival(host, "/robots.txt", at, at + LATENCY, 200, None)


def busy(at: float, retry_after: float = 1.0) -> Arrival:
    return Arrival("a.example.org", "/p", at, at + LATENCY, 503, retry_after)


# (case, arrivals, crawl delays, what the audit finds)
CASES = [
    ("at the pace", arrivals(0.0, 0.1, 0.2, 0.3), {}, {"too_short": 0, "bound": 0.3 + LATENCY}),
    ("one gap 30 ms short", arrivals(0.0, 0.1, 0.17), {}, {"too_short": 1}),
    ("within the tolerance", arrivals(0.0, 0.099, 0.2), {}, {"too_short": 0}),
    (
        "the request right after a robots.txt that says Crawl-delay: 2",
        [robots(0.0), *arrivals(0.1, 2.2)],
        {"a.example.org": 2.0},
        {"crawl_delay_too_short": 1, "too_short": 0},
    ),
    (
        "Crawl-delay kept",
        [robots(0.0), *arrivals(2.0, 4.0)],
        {"a.example.org": 2.0},
        {"crawl_delay_too_short": 0, "bound": 4.0 + LATENCY},
    ),
    ("a request before Retry-After passed", [busy(0.0), *arrivals(0.5)], {}, {"early_after_retry": 1}),
    (
        "a request sent while the 503 was on its way is not early",
        [Arrival("a.example.org", "/p", 0.0, 0.3, 503, 1.0), *arrivals(0.1, 1.4)],
        {},
        {"early_after_retry": 0},
    ),
    (
        "Retry-After honoured",
        [busy(0.0), *arrivals(1.03)],
        {},
        {"early_after_retry": 0, "bound": LATENCY + 1.0 + LATENCY},
    ),
    ("two at once", [Arrival("a.example.org", "/p", 0.0, 0.5, 200, None), *arrivals(0.1)], {}, {"in_flight": 2}),
]


@pytest.mark.parametrize(("case", "seen", "crawl_delays", "found"), CASES, ids=[c[0] for c in CASES])
def test_the_audit_counts_what_breaks_each_rule(case, seen, crawl_delays, found):
    result = audit_slot("example.org", seen, 0.1, crawl_delays, LATENCY)
    for name, value in found.items():
        assert getattr(result, name) == pytest.approx(value), name


def test_the_crawl_is_audited_per_slot_and_bounded_by_its_busiest():
    seen = arrivals(0.0, 0.1, 0.2) + arrivals(0.0, 0.05, host="b.example.net")
    result = audit(seen, lambda slot: 0.1, {}, LATENCY)
    assert result["slots"] == 2 and result["requests"] == 5
    assert result["gaps_too_short"] == 1  # b.example.net's 50 ms gap
    assert result["bound_slot"] == "example.org" and result["bound_s"] == pytest.approx(0.2 + LATENCY, abs=0.01)


def test_the_demo_web_can_ask_for_a_crawl_delay_and_answer_503_with_retry_after():
    from cllr.demo.server import DemoWeb
    from cllr.demo.world import build_world

    world = build_world(councils=2, seed=3)
    host = world.councils[0].host
    web = DemoWeb(world, crawl_delays={host: 2.0}, unavailable=0.3, seed=1)
    assert b"Crawl-delay: 2" in web.handle(host, "/robots.txt")[2]
    assert b"Crawl-delay" not in web.handle(world.councils[1].host, "/robots.txt")[2]
    statuses = [web.handle(host, "/mgWebService.asmx/GetCouncillorsByWard")[0] for _ in range(200)]
    assert 30 < statuses.count(503) < 90 and set(statuses) == {200, 503}
    busy = [a for a in web.arrivals if a.status == 503]
    assert busy and all(a.retry_after == 1.0 for a in busy)
    assert len(web.arrivals) == 202 and all(a.finished >= a.arrived for a in web.arrivals)
