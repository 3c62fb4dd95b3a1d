"""The fetch stage's benchmark: rosters and profile pages, as the flow runs them (provider
lanes, up to ``lanes`` at once), against a generated web of many councils, some on one shared
provider, each answer delayed by an injected latency. It prints the wall time next to the
lower bound the politeness rules allow: a slot's requests start at least ``delay`` apart,
so no run can be faster than its busiest slot, ``(requests − 1) × delay + latency`` (more
where a robots.txt asks for a Crawl-delay or a 503 for a Retry-After), and the server's own
audit of the crawl (``cllr.bench.audit``)."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from cllr.bench.audit import audit
from cllr.bench.common import cpu_seconds
from cllr.bench.web import web_process
from cllr.config import Settings
from cllr.http import slot_key
from cllr.pipeline import context, registry, rosters


def bench_fetch(
    councils: int = 60,
    latency: float = 0.02,
    delay: float = 0.1,
    lanes: int = 48,
    shared_every: int = 5,
    seed: int = 2026,
    crawl_delayed: float = 0.0,
    unavailable: float = 0.0,
    crawl_delay: float = 2.0,
    per_council: int = 12,
) -> dict:
    """Run the fetch stage once on a generated web; return the figures. ``crawl_delayed`` and
    ``unavailable``: the hostile web's shares (``cllr.bench.national.bench_national``), its
    robots.txt asking for ``crawl_delay`` seconds. ``per_council``: councillors per council, on average
    (two to a ward); ``shared_every`` 0: every council on a domain of its own."""
    wards = (max(1, per_council // 2 - 2), per_council // 2 + 2)
    options = {"councils": councils, "seed": seed, "wards": wards, "shared_every": shared_every}
    hostile = (crawl_delayed, unavailable, crawl_delay)
    with (
        tempfile.TemporaryDirectory(prefix="cllr-bench-") as tmp,
        web_process("demo", options, latency, Path(tmp), *hostile) as web,
    ):
        settings = Settings(data_dir=Path(tmp), **web.settings, request_delay=delay, lanes=lanes)
        with context.open_context(settings) as ctx:
            run_id = context.start_run(ctx, "benchmark")
            codes = registry.load_registry(ctx)
            worked = rosters.council_lanes(ctx, codes)
            today = date.today()
            started, web_before = time.monotonic(), web.cpu_seconds()
            before = cpu_seconds()
            with ThreadPoolExecutor(max_workers=lanes) as pool:
                results = list(pool.map(lambda lane: rosters.scrape_lane(ctx, lane, run_id, today), worked))
            wall = time.monotonic() - started
        cpu, web_cpu = cpu_seconds() - before, web.cpu_seconds() - web_before  # the parsing processes stopped
        arrivals = web.arrivals()
    crawl_delays = web.crawl_delays
    per_slot = Counter(slot_key(a.host) for a in arrivals)
    checked = audit(arrivals, lambda _slot: delay, crawl_delays, latency)
    busiest = checked["bound_slot"]
    bound = checked["bound_s"]
    statuses = Counter(o.status for lane in results for o in lane if o.stage == "roster")
    return {
        "councils": councils,
        "councillors": web.people,
        "requests": sum(per_slot.values()),
        "slots": len(per_slot),
        "lanes": len(worked),
        "busiest_slot": busiest,
        "busiest_requests": per_slot[busiest],
        "delay": delay,
        "latency": latency,
        "lanes_at_once": lanes,
        "lower_bound_s": round(bound, 2),
        "wall_s": round(wall, 2),
        "ratio": round(wall / bound, 3),
        "cpu_s": round(cpu, 1),  # this process's and its parsing processes'
        "cpu_ms_per_request": round(cpu * 1000 / max(1, sum(per_slot.values())), 2),
        "web_cpu_s": round(web_cpu, 1),
        "rosters": dict(statuses),
        "audit": {k: v for k, v in checked.items() if k not in ("bound_s", "bound_slot", "requests")},
    }
