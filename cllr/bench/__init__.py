"""Benchmarks that print figures (docs/benchmarks.md); speed is never asserted in tests.

``fetch``: the pipeline's fetch stage (rosters and profile pages, as the flow runs them:
provider lanes on a thread pool) against a generated web of many councils, some on one
shared provider, each answer delayed by an injected latency. It prints the wall time
next to the lower bound the politeness rules allow: a slot's requests start at least
``delay`` apart, so no run can be faster than its busiest slot,
``(requests − 1) × delay + latency``.

``site``: the static site's build on a generated national-size directory, in full and
again with nothing changed.

``national``: the whole pipeline (the refresh flow) on a generated national-size demo
web with injected latency, on SQLite and on PostgreSQL, then again with the council
sites answering ``304 Not Modified``.


``postcodes``: a national-size ONS Postcode Directory imported, and the postcode finder's files written.

One module each; what they share is in ``common``.
"""
