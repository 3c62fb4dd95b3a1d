"""Progress and the end-of-run summary."""

import io

import pytest

from cllr.pipeline.context import Outcome
from cllr.pipeline.summary import coverage, render_summary, summarise
from cllr.progress import Reporter


def test_plain_progress_lines_when_not_on_a_terminal():
    out = io.StringIO()
    with Reporter(interactive=False, stream=out) as reporter:
        reporter.stage("Rosters", 20)
        for _ in range(20):
            reporter.advance("Rosters")
        reporter.advance("Rosters", "KIR failed")
    lines = out.getvalue().splitlines()
    assert lines[0] == "Rosters: starting, 20 to do"
    assert "Rosters: 2/20 done" in lines and "Rosters: 20/20 done" in lines
    assert len(lines) == 12  # a line per tenth, plus the start and the noted failure
    assert lines[-1] == "Rosters: 21/20 done (KIR failed)"


def test_progress_in_amounts_prints_a_line_each_tenth_it_passes():
    out = io.StringIO()
    with Reporter(interactive=False, stream=out) as reporter:
        reporter.stage("Postcode files (MB)", 1000)
        for amount in (50, 60, 290, 600):  # megabytes read between looks
            reporter.advance("Postcode files (MB)", amount=amount)
    assert out.getvalue().splitlines()[1:] == [
        "Postcode files (MB): 110/1000 done",
        "Postcode files (MB): 400/1000 done",
        "Postcode files (MB): 1000/1000 done",
    ]


def test_progress_bars_on_a_terminal():
    out = io.StringIO()
    with Reporter(interactive=True, stream=out) as reporter:
        reporter.stage("Activity", 3)
        for _ in range(3):
            reporter.advance("Activity")
    assert "Activity" in out.getvalue() and "3/3" in out.getvalue()


def test_summary_says_what_changed_and_what_failed():
    summary = {
        "run_id": 4,
        "statuses": {"roster:applied": 8, "roster:failed": 1, "roster:quarantined": 1},
        "counts": {"roster.inserted": 3, "roster.ended": 2, "activity.posts_new": 40, "site.pages": 90},
        "changes": {"new": ["A (XAA)", "B (XAA)", "C (XAB)"], "departed": ["D (XAB)", "E (XAB)"]},
        "problems": ["roster KIR: failed: HTTP 503", "roster LDS: quarantined: zero_results: no councillors"],
    }
    text = render_summary(summary, 12.34)
    assert "Run 4 finished in 12.3 s" in text
    assert "8 applied" in text and "1 failed" in text and "1 quarantined" in text
    assert "New councillors: A (XAA), B (XAA), C (XAB)" in text
    assert "Departed: D (XAB), E (XAB)" in text
    assert "- roster KIR: failed: HTTP 503" in text


@pytest.mark.parametrize(
    ("statuses", "line"),
    [
        ({"roster:applied": 3, "roster:unchanged": 2}, "5 of 5 councils read"),
        (
            {"roster:applied": 330, "roster:skipped": 50, "roster:disabled": 2},
            "330 of 382 councils read; not read: 50 skipped (no scraper or selectors); 2 disabled",
        ),
        (
            {"roster:unchanged": 1, "roster:skipped_robots": 1, "roster:failed": 2, "roster:quarantined": 1},
            "1 of 5 councils read; not read: 1 refused by robots.txt; 2 failed; 1 held back for review",
        ),
    ],
)
def test_the_summary_says_how_many_councils_were_read_and_why_not_the_rest(statuses, line):
    assert coverage(statuses) == line
    assert f"Coverage:    {line}" in render_summary({"statuses": statuses}, 1.0)


@pytest.mark.parametrize("status", ["skipped", "skipped_robots", "disabled", "failed", "quarantined"])
def test_a_council_not_read_is_a_problem_never_none(status):
    summary = summarise([Outcome("roster", "BIR", status, "no selectors for this html-family council yet")])
    assert summary["problems"] == [f"roster BIR: {status}: no selectors for this html-family council yet"]
    assert "Problems:    1" in render_summary(summary, 1.0)


def test_an_unchanged_or_applied_council_is_no_problem():
    summary = summarise([Outcome("roster", "KIR", "unchanged", "not modified since the last run (304)")])
    assert summary["problems"] == []
