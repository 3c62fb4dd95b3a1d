"""The benchmarks report honest figures (their speed is recorded in docs, never asserted)."""

import pytest

from cllr.bench.fetch import bench_fetch
from cllr.bench.national import bench_national


def test_fetch_benchmark_figures_are_consistent():
    figures = bench_fetch(councils=8, latency=0.0, delay=0.01, lanes=4, shared_every=3)
    assert figures["rosters"] == {"applied": 8}
    assert figures["busiest_slot"] == "moderngov.example"  # ModernGov councils 1 and 7 share the provider
    assert figures["lower_bound_s"] == round((figures["busiest_requests"] - 1) * 0.01, 2)
    assert abs(figures["ratio"] - figures["wall_s"] / figures["lower_bound_s"]) < 0.05
    assert figures["requests"] >= figures["councillors"] + 8  # a roster and a profile page each, plus robots


def test_site_benchmark_builds_every_councillors_page_then_nothing_when_unchanged():
    from cllr.bench.site import bench_site

    figures = bench_site(councillors=120, councils=4, posts_per_account=3)
    # A page per councillor and per council, their A to Z, the rankings and the fixed pages.
    assert figures["pages"] > figures["councillors"] + figures["councils"]
    assert (figures["pages_rebuilt"], figures["councillors"]) == (0, 120)
    assert figures["files"] > figures["pages"]  # and the static files, search shards and downloads


@pytest.mark.flow
@pytest.mark.postgres
def test_national_benchmark_runs_the_flow_on_both_databases_then_unchanged(prefect_api):
    figures = bench_national(councils=3, per_council=6, latency=0.0, delay=0.01, workers=4, echo=lambda _: None)
    assert [(f["database"], f["run"]) for f in figures] == [
        ("sqlite", "first"),
        ("sqlite", "unchanged"),
        ("postgresql", "first"),
        ("postgresql", "unchanged"),
    ]
    for first, unchanged in (figures[0:2], figures[2:4]):
        assert first["rosters"] == {"applied": 3} and unchanged["rosters"] == {"unchanged": 3}
        assert first["councillors"] == unchanged["councillors"] and first["database_mb"] > 0
        assert (
            unchanged["requests"] < first["requests"] / 2
        )  # no profile page, no feed of an account that posted nothing
        assert {"roster", "profiles", "activity", "metrics", "site"} <= set(first["stages_s"])
        for row in (first, unchanged):
            # The documented paces scaled to a delay of 0.01 s: the Bluesky AppView (bsky.demo.example) a
            # quarter of a site's, a Mastodon server's the same as a site's.
            assert row["busiest_pace_s"] == (0.0025 if row["busiest_slot"] == "demo.example" else 0.01)
            assert row["lower_bound_s"] == round((row["busiest_requests"] - 1) * row["busiest_pace_s"], 1)
            assert row["requests"] >= row["busiest_requests"] > 0
            assert 0 < row["first_council_request_s"] < row["wall_s"]
            audit = row["audit"]  # from the demo web's own log of every request
            assert audit["slots"] >= 4 and audit["max_in_flight_per_slot"] >= 1
            assert {"gaps_too_short", "crawl_delay_gaps_too_short", "early_after_retry_after"} <= set(audit)


@pytest.mark.postgres
def test_postcode_benchmark_imports_every_row_and_writes_a_shard_per_outward_code_on_both_databases():
    from cllr.bench.postcodes import bench_postcodes

    figures = bench_postcodes(rows=20_000, echo=lambda _: None)
    assert [f["database"] for f in figures] == ["sqlite", "postgresql"]
    for row in figures:
        assert row["rows"] == 20_000 and row["postcodes_live"] + row["postcodes_retired"] == 20_000
        assert row["shard_postcodes"] == row["postcodes_live"]  # the generated file has no split postcodes
        assert row["wards_matched"] > row["wards_unmatched"]  # the unmatched: wards none of the few rows fell in
        assert row["shards"] > 1 and row["shards_mb"] > 0 and row["import_peak_mb"] > 0 and row["shards_peak_mb"] > 0
    assert figures[0]["places"] == figures[1]["places"] and figures[0]["shards_mb"] == figures[1]["shards_mb"]


def test_fetch_benchmark_on_a_hostile_web_is_set_against_the_bound_of_its_crawl_delays_and_503s():
    figures = bench_fetch(
        councils=4, latency=0.0, delay=0.01, lanes=4, shared_every=3, crawl_delayed=0.25, crawl_delay=0.5
    )
    delayed = figures["audit"]
    assert figures["rosters"] == {"applied": 4}
    # one council alone on its domain asks for Crawl-delay: 0.5; its slot is the busiest
    assert figures["busiest_slot"] != "moderngov.example"
    assert figures["lower_bound_s"] >= 0.5 * (figures["busiest_requests"] - 1)
    # The server reads an arrival when its handler runs: on a loaded machine a new connection's first
    # request can be read tens of milliseconds late, so here no gap may be far short of the 0.5 s (a
    # Crawl-delay obeyed from the wrong moment gave a gap of the plain delay); the benchmark holds it to 2 ms.
    # Only the gaps a Crawl-delay governed (needed 0.5 s): the slots paced at 0.01 s are audited by
    # the same rule, but a few milliseconds' jitter in the server's stamps there is not the fault looked for.
    shortest = min((gap for worst in delayed["worst"].values() for gap, needed in worst if needed >= 0.5), default=0.5)
    assert shortest > 0.35
    busy = bench_fetch(councils=4, latency=0.0, delay=0.01, lanes=4, shared_every=3, unavailable=0.05)
    assert busy["rosters"] == {"applied": 4} and busy["audit"]["early_after_retry_after"] == 0
