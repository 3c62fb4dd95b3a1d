"""The server's own audit of a crawl, from the demo web's log of arrivals (``DemoWeb.arrivals``).

Per politeness slot (the registrable domain, as the crawler keys its slots): the shortest gap
between request starts; the gaps shorter than the slot's pace, or than the ``Crawl-delay`` its
robots.txt declared once that robots.txt was served, each with a 2 ms tolerance (the server's
clock reads arrivals a little after they are sent); the requests in flight at once; and the
requests that came before a ``503``'s ``Retry-After`` had passed (those arriving more than a pace
after it was answered: one already on its way could not know of it). The slot's lower bound is what
those rules allow for the requests it was actually sent: the sum of the gaps each needed, plus
one answer's latency, so a run is set against the bound of the very requests it made.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from cllr.demo.server import Arrival
from cllr.http import slot_key

TOLERANCE = 0.002  # seconds


@dataclass
class SlotAudit:
    slot: str
    requests: int = 0
    shortest_gap: float | None = None
    too_short: int = 0  # gaps under the slot's pace
    crawl_delay_too_short: int = 0  # gaps under a Crawl-delay the slot's robots.txt declared
    early_after_retry: int = 0  # requests sent after a 503 was answered, before its Retry-After had passed
    in_flight: int = 0  # most requests answered at once
    bound: float = 0.0  # seconds the politeness rules allow these requests, at the least
    worst: list[tuple[float, float]] = field(default_factory=list)  # (gap, needed) of the shortest violations


def audit_slot(slot: str, arrivals: list[Arrival], pace: float, crawl_delays: dict[str, float], latency: float):
    """The audit of one slot's arrivals (in any order)."""
    arrivals = sorted(arrivals, key=lambda a: a.arrived)
    found = SlotAudit(slot, len(arrivals))
    floor = 0.0  # the Crawl-delay in force: from the first robots.txt served that declared one
    needed_total = 0.0
    for before, after in pairwise(arrivals):
        if before.path == "/robots.txt":
            floor = max(floor, crawl_delays.get(before.host, 0.0))
        gap = after.arrived - before.arrived
        found.shortest_gap = gap if found.shortest_gap is None else min(found.shortest_gap, gap)
        needed = max(pace, floor)
        if gap < needed - TOLERANCE:
            if floor > pace:
                found.crawl_delay_too_short += 1
            else:
                found.too_short += 1
            found.worst = sorted([*found.worst, (round(gap, 4), needed)])[:3]
        waited = 0.0
        if before.retry_after is not None:
            waited = before.finished - before.arrived + before.retry_after
        needed_total += max(needed, waited)
    # A 503's Retry-After binds the requests sent once it was answered (one already claimed while it
    # was on its way could not know of it: a pace's grace): none may arrive until the time it asked for.
    starts = [a.arrived for a in arrivals]
    for busy in (a for a in arrivals if a.retry_after is not None):
        first = bisect_right(starts, busy.finished + max(pace, TOLERANCE))
        until = bisect_left(starts, busy.finished + busy.retry_after - TOLERANCE)
        found.early_after_retry += max(0, until - first)
    found.bound = needed_total + latency if arrivals else 0.0
    events = sorted([(a.arrived, 1) for a in arrivals] + [(a.finished, -1) for a in arrivals])
    running = 0
    for _, step in events:
        running += step
        found.in_flight = max(found.in_flight, running)
    return found


def audit(
    arrivals: Iterable[Arrival], pace: Callable[[str], float], crawl_delays: dict[str, float], latency: float
) -> dict:
    """The whole crawl's audit: totals over its slots, the busiest slot by its bound, and the worst gaps."""
    by_slot: dict[str, list[Arrival]] = defaultdict(list)
    for arrival in arrivals:
        by_slot[slot_key(arrival.host)].append(arrival)
    slots = [audit_slot(slot, found, pace(slot), crawl_delays, latency) for slot, found in by_slot.items()]
    if not slots:
        return {"slots": 0}
    busiest = max(slots, key=lambda s: s.bound)
    gaps = [s for s in slots if s.shortest_gap is not None]
    shortest = min(gaps, key=lambda s: s.shortest_gap / max(pace(s.slot), 1e-9)) if gaps else None
    return {
        "slots": len(slots),
        "requests": sum(s.requests for s in slots),
        "bound_s": round(busiest.bound, 2),
        "bound_slot": busiest.slot,
        "shortest_gap": f"{shortest.shortest_gap:.4f} s at {shortest.slot} (pace {pace(shortest.slot):g} s)"
        if shortest
        else None,
        "gaps_too_short": sum(s.too_short for s in slots),
        "crawl_delay_gaps_too_short": sum(s.crawl_delay_too_short for s in slots),
        "early_after_retry_after": sum(s.early_after_retry for s in slots),
        "max_in_flight_per_slot": max(s.in_flight for s in slots),
        "worst": {s.slot: s.worst for s in slots if s.worst},
    }


def own_domains(world, share: float) -> list[str]:
    """The hosts of ``share`` of a world's councils, taken from those alone on their domain (a
    shared provider's site asking for a Crawl-delay would be another web), always the same ones:
    the hostile web's sites whose robots.txt says ``Crawl-delay``."""
    slots = Counter(slot_key(c.host) for c in world.councils)
    alone = sorted(
        (c for c in world.councils if slots[slot_key(c.host)] == 1),
        key=lambda c: hashlib.sha256(c.code.encode()).hexdigest(),
    )
    return [c.host for c in alone[: round(share * len(world.councils))]]
