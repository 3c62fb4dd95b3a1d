"""Progress and the end-of-run summary."""

import io

from cllr.pipeline.summary import render_summary
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
