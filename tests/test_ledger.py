"""The run ledger: every step says what it did, with its HTTP tally, and why a council was not scraped."""

from __future__ import annotations

import csv
from datetime import date

from sqlalchemy import select

from cllr.config import Settings
from cllr.demo.server import DemoServer, directory_pages
from cllr.demo.world import write_demo_files
from cllr.pipeline import context, registry, rosters
from models import RunStep

TODAY = date(2026, 11, 23)


def settings_for(server, files, tmp_path, database_url) -> Settings:
    return Settings(
        data_dir=tmp_path, database_url=database_url, **files, **server.settings(), request_delay=0, backoff_base=0.01
    )


def steps(ctx, run_id):
    with ctx.db.session() as session:
        return {
            (s.stage, s.subject): (s.status, s.reason, dict(s.http), s.bytes_read)
            for s in session.scalars(select(RunStep).where(RunStep.run_id == run_id))
        }


def test_each_roster_step_records_its_http_statuses_and_bytes(small_world, tmp_path, database_url):
    files = write_demo_files(small_world, tmp_path)
    with (
        DemoServer(small_world) as server,
        context.open_context(settings_for(server, files, tmp_path, database_url)) as ctx,
    ):
        first = context.start_run(ctx, "test")
        for code in registry.load_registry(ctx):
            rosters.scrape_roster(ctx, code, first, TODAY)
        second = context.start_run(ctx, "test")
        for code in registry.load_registry(ctx):
            rosters.scrape_roster(ctx, code, second, TODAY)
        before, after = steps(ctx, first), steps(ctx, second)
    html = next(c for c in small_world.councils if c.cms == "html")
    for council in small_world.councils:
        status, _, http, size = before[("roster", council.code)]
        assert status == "applied"
        # robots.txt is fetched once per site, first by whichever step reaches the site first.
        pages = directory_pages(council) if council is html else 1
        assert http.get("200", 0) - pages in (0, 1) and size > 0, (council.code, http)
    # A second run: one-page rosters are revalidated (304, no body); a paged directory is fetched again.
    for council in small_world.councils:
        status, _reason, http, size = after[("roster", council.code)]
        if council is html:
            assert directory_pages(html) > 1  # the test needs a paged directory
            assert (status, http) == ("unchanged", {"200": directory_pages(html)}) and size > 0
        else:
            assert (status, http, size) == ("unchanged", {"304": 1}, 0), council.code


def test_a_site_whose_robots_txt_refuses_us_is_skipped_not_failed(small_world, tmp_path, database_url):
    council = small_world.councils[0]
    files = write_demo_files(small_world, tmp_path)
    with DemoServer(small_world) as server:
        server.web.faults[(council.host, "/robots.txt")] = (
            200,
            {"Content-Type": "text/plain"},
            b"User-agent: *\nDisallow: /\n",
        )
        with context.open_context(settings_for(server, files, tmp_path, database_url)) as ctx:
            run_id = context.start_run(ctx, "test")
            registry.load_registry(ctx)
            outcome = rosters.scrape_roster(ctx, council.code, run_id, TODAY)
            recorded = steps(ctx, run_id)[("roster", council.code)]
    assert outcome.status == "skipped_robots" and "robots.txt" in outcome.reason
    status, _, http, _ = recorded
    assert status == "skipped_robots"
    assert http == {"200": 1, "robots_disallowed": 1}  # robots.txt itself, then the refusal


def test_a_council_disabled_in_the_registry_is_recorded_as_disabled_and_not_fetched(
    small_world, tmp_path, database_url
):
    files = write_demo_files(small_world, tmp_path)
    with open(files["registry"], encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    off = rows[1]["code"]
    rows[1]["disabled"] = "true"
    with open(files["registry"], "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with (
        DemoServer(small_world) as server,
        context.open_context(settings_for(server, files, tmp_path, database_url)) as ctx,
    ):
        run_id = context.start_run(ctx, "test")
        codes = registry.load_registry(ctx)
        disabled = registry.record_disabled(ctx, run_id)
        assert off not in codes and len(codes) == len(rows) - 1
        assert [(o.subject, o.status) for o in disabled] == [(off, "disabled")]
        assert steps(ctx, run_id)[("roster", off)][:2] == ("disabled", "disabled in the council registry")
        assert small_world.councils[1].host not in server.web.log
