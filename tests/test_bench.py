"""The fetch benchmark reports honest figures (its speed is recorded in docs, never asserted)."""

from cllr.bench import bench_fetch


def test_fetch_benchmark_figures_are_consistent():
    figures = bench_fetch(councils=8, latency=0.0, delay=0.01, workers=4, shared_every=3)
    assert figures["rosters"] == {"applied": 8}
    assert figures["busiest_slot"] == "moderngov.example"  # ModernGov councils 1 and 7 share the provider
    assert figures["lower_bound_s"] == round((figures["busiest_requests"] - 1) * 0.01, 2)
    assert abs(figures["ratio"] - figures["wall_s"] / figures["lower_bound_s"]) < 0.05
    assert figures["requests"] >= figures["councillors"] + 8  # a roster and a profile page each, plus robots
