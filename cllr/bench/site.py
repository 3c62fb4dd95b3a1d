"""The site build's benchmark: a generated national-size directory built in full, then again with nothing changed."""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from cllr.bench.common import link_accounts
from cllr.pipeline import context


def bench_site(councillors: int = 20_000, councils: int = 400, posts_per_account: int = 30, seed: int = 2026) -> dict:
    """Build the site of a generated national-size directory twice: in full, then with nothing changed.

    The directory is written straight into a SQLite database (fictional councils,
    councillors, accounts with evidence, 13 weeks of posts, metrics), not scraped: this
    measures the build alone. Peak memory is the process's maximum resident size.
    """
    import random
    import resource

    from sqlalchemy import insert

    from cllr.demo.world import FIRST_NAMES, SURNAME_HEADS, SURNAME_TAILS
    from cllr.parties import known_parties
    from cllr.pipeline import metrics
    from cllr.site.build import build_site
    from models import Council, Councillor, Membership, Party, Post, ProfileSnapshot, Ward
    from models.db import Database
    from models.store import seed_parties

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="cllr-bench-site-") as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        db.migrate()
        now = context.utcnow()
        started = time.monotonic()
        with db.session() as session:
            seed_parties(session, known_parties())
            parties = [p.id for p in session.query(Party).all()]
            session.execute(
                insert(Council),
                [
                    {
                        "code": f"X{i:03d}",
                        "name": f"Fictional Council {i}",
                        "common_name": f"Fictional {i}",
                        "nation": ("England", "Wales", "Scotland", "Northern Ireland")[i % 4],
                        "council_type": "UA",
                        "cms": "moderngov",
                        "scraper_class": "moderngov",
                        "seats": councillors // councils,
                        "fictional": True,
                    }
                    for i in range(councils)
                ],
            )
            council_ids = [c.id for c in session.query(Council).order_by(Council.id)]
            session.execute(
                insert(Ward),
                [{"council_id": cid, "key": f"w{w}", "name": f"Ward {w}"} for cid in council_ids for w in range(20)],
            )
            wards = {(w.council_id, w.key): w.id for w in session.query(Ward)}
            people = []
            for i in range(councillors):
                cid = council_ids[i % councils]
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAME_HEADS)}{rng.choice(SURNAME_TAILS)}"
                people.append(
                    {
                        "council_id": cid,
                        "source_id": str(i),
                        "slug": f"x{i:05d}-{name.lower().replace(' ', '-')}",
                        "name": name,
                        "raw_name": name,
                        "first_seen_at": now,
                        "last_seen_at": now,
                    }
                )
            session.execute(insert(Councillor), people)
            ids = [(c.id, c.council_id) for c in session.query(Councillor).order_by(Councillor.id)]
            session.execute(
                insert(Membership),
                [
                    {
                        "councillor_id": pid,
                        "ward_id": wards[(cid, f"w{n % 20}")],
                        "party_id": rng.choice(parties),
                        "party_label": "",
                        "start_date": date(2026, 5, 7),
                    }
                    for n, (pid, cid) in enumerate(ids)
                ],
            )
            keys = link_accounts(session, [pid for pid, _ in ids], (0.45, 0.2, 0.15), rng, now)
            posts = [
                {
                    "account_id": aid,
                    "post_id": f"{aid}-{k}",
                    "posted_at": now - timedelta(days=rng.uniform(0, 91)),
                    "kind": "post",
                    "first_seen_at": now,
                }
                for aid in keys.values()
                for k in range(rng.randint(0, 2 * posts_per_account))
            ]
            for start in range(0, len(posts), 50_000):
                session.execute(insert(Post), posts[start : start + 50_000])
            session.execute(
                insert(ProfileSnapshot),
                [
                    {"account_id": aid, "taken_at": now, "followers": rng.randint(0, 5000), "posts_complete": True}
                    for aid in keys.values()
                ],
            )
            metrics.compute(session, now, run_id=None)
        generated = time.monotonic() - started
        site = Path(tmp) / "site"
        timings = {}
        for label, force in (("full", True), ("unchanged", False)):
            started = time.monotonic()
            with db.session() as session:
                build = build_site(session, site, force=force)
            timings[label] = (round(time.monotonic() - started, 2), build.pages, build.renderer_private_mb)
        shard = max(p.stat().st_size for p in (site / "search").glob("*.json"))
        files = sum(1 for p in site.rglob("*") if p.is_file())
        db.dispose()
    return {
        "councils": councils,
        "councillors": councillors,
        "accounts": len(keys),
        "posts": len(posts),
        "generate_s": round(generated, 1),
        "full_build_s": timings["full"][0],
        "pages": timings["full"][1],
        "files": files,
        "unchanged_rebuild_s": timings["unchanged"][0],
        "pages_rebuilt": timings["unchanged"][1],
        "largest_search_shard_kb": round(shard / 1024),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "renderer_private_mb": timings["full"][2],
    }


# A national world's accounts: about 12,000 for 20,000 councillors (Bluesky, Mastodon, blogs).
