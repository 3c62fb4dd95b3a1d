"""The fetch stage's benchmark: rosters and profile pages, as the flow runs them (provider
lanes on a thread pool), against a generated web of many councils, some on one shared
provider, each answer delayed by an injected latency. It prints the wall time next to the
lower bound the politeness rules allow: a slot's requests start at least ``delay`` apart,
so no run can be faster than its busiest slot, ``(requests − 1) × delay + latency``."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from cllr.config import Settings
from cllr.demo.server import DemoServer
from cllr.demo.world import BLUESKY_APPVIEW_HOST, build_world, write_demo_files
from cllr.http import slot_key
from cllr.pipeline import context, registry, rosters


def bench_fetch(
    councils: int = 60,
    latency: float = 0.02,
    delay: float = 0.1,
    workers: int = 8,
    shared_every: int = 5,
    seed: int = 2026,
) -> dict:
    """Run the fetch stage once on a generated web; return the figures."""
    world = build_world(councils=councils, seed=seed, wards=(4, 8), shared_every=shared_every)
    with tempfile.TemporaryDirectory(prefix="cllr-bench-") as tmp, DemoServer(world, latency=latency) as server:
        settings = Settings(
            data_dir=Path(tmp),
            **write_demo_files(world, Path(tmp)),
            connect_to=server.connect_to(),
            bluesky_appview=f"https://{BLUESKY_APPVIEW_HOST}",
            request_delay=delay,
            workers=workers,
        )
        with context.open_context(settings) as ctx:
            run_id = context.start_run(ctx, "benchmark")
            codes = registry.load_registry(ctx)
            lanes = rosters.council_lanes(ctx, codes)
            today = date.today()
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(lambda lane: rosters.scrape_lane(ctx, lane, run_id, today), lanes))
            wall = time.monotonic() - started
        per_slot = Counter(slot_key(host) for host in server.web.log)
    busiest, requests = per_slot.most_common(1)[0]
    bound = (requests - 1) * delay + latency
    statuses = Counter(o.status for lane in results for o in lane if o.stage == "roster")
    return {
        "councils": councils,
        "councillors": sum(len(c.councillors) for c in world.councils),
        "requests": sum(per_slot.values()),
        "slots": len(per_slot),
        "lanes": len(lanes),
        "busiest_slot": busiest,
        "busiest_requests": requests,
        "delay": delay,
        "latency": latency,
        "workers": workers,
        "lower_bound_s": round(bound, 2),
        "wall_s": round(wall, 2),
        "ratio": round(wall / bound, 3),
        "rosters": dict(statuses),
    }
