"""The ``cllr`` command line: ``parse`` on real rosters, and every command documented."""

import json
import re
import sqlite3
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from cllr.cli import cli

SYMROE = Path(__file__).parent / "fixtures" / "moderngov" / "moderngov-xml-symroe-councillordata"
DOCS = Path(__file__).parent.parent / "docs"


def test_parse_prints_councillors_as_json_lines():
    result = CliRunner().invoke(
        cli,
        [
            "parse",
            str(SYMROE / "kirklees-gov-uk.GetCouncillorsByWard.xml"),
            "--cms",
            "moderngov",
            "--base-url",
            "https://democracy.kirklees.gov.uk",
        ],
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert len(records) == 69
    judith = next(r for r in records if r["id"] == "118")
    assert judith["name"] == "Judith Hughes" and judith["raw_name"] == "Councillor Judith Hughes"
    assert judith["ward"] == "Almondbury" and judith["party"] == "Labour"
    assert judith["profile_url"] == "https://democracy.kirklees.gov.uk/mgUserInfo.aspx?UID=118"
    assert {"id", "name", "raw_name", "party", "ward", "email", "profile_url"} <= judith.keys()


@pytest.mark.parametrize(
    ("stem", "message"),
    [
        ("leeds-gov-uk", "not a ModernGov roster: an HTML page"),
        ("denbighshire-gov-uk", "not a ModernGov roster"),
        ("online-eastherts-gov-uk", "no councillors"),
    ],
)
def test_parse_refuses_what_is_not_a_roster_with_one_line(stem, message):
    result = CliRunner().invoke(cli, ["parse", str(SYMROE / f"{stem}.GetCouncillorsByWard.xml")])
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def _commands(group, prefix=""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")


@pytest.mark.parametrize(("name", "command"), list(_commands(cli)), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help_and_is_documented(name, command):
    assert command.help and command.help.strip()
    assert f"cllr {name}" in (DOCS / "operations.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    from cllr.config import Settings

    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"CLLR_{name.upper()}" in text, f"CLLR_{name.upper()} is not in docs/operations.md"


def test_councils_list_shows_family_status_and_counts(tmp_path):
    runner = CliRunner(env={"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    result = runner.invoke(cli, ["councils", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.split("\n\nCoverage:")[0].splitlines()
    assert len(lines) == 1 + 382
    kirklees = next(line for line in lines if line.startswith("KIR "))
    assert "moderngov" in kirklees and "never run" in kirklees and "Kirklees" in kirklees
    tewkesbury = next(line for line in lines if line.startswith("TEW "))
    assert "disabled" in tewkesbury
    cmis = runner.invoke(cli, ["councils", "list", "--family", "cmis"])
    assert len(cmis.output.split("\n\nCoverage:")[0].splitlines()) == 1 + 30
    assert runner.invoke(cli, ["councils", "list", "--failing"]).output.splitlines()[1:] == []


@pytest.mark.parametrize(
    ("registry", "entries", "expected"),
    [
        (
            [("KIR", "moderngov", False), ("BIR", "html", False), ("TEW", "moderngov", True), ("ZZZ", "none", False)],
            {"BIR": {"checked_live": "never"}},
            [
                "Coverage: 2 of 4 councils can be read",
                "  skipped, disabled in the registry: 1 (TEW)",
                "  skipped, no scraper for the 'none' family: 1 (ZZZ)",
                "  entries never checked against the live page: 1 (BIR)",
            ],
        ),
        (
            [("BIR", "html", False), ("ERY", "json", False)],
            {"ERY": {"checked_live": "2026-12-07"}},
            ["Coverage: 1 of 2 councils can be read", "  skipped, no html entry in the scraper configuration: 1 (BIR)"],
        ),
    ],
)
def test_councils_list_says_what_a_run_can_read_and_why_not_the_rest(registry, entries, expected):
    from types import SimpleNamespace

    from cllr.cli.directory import coverage_lines

    councils = [SimpleNamespace(code=code, cms=cms, disabled=disabled) for code, cms, disabled in registry]
    assert coverage_lines(councils, entries) == expected


def test_parse_reads_an_html_directory_with_a_councils_selectors(tmp_path, monkeypatch):
    import yaml

    from .test_html_family import CONFIGS, SINGLE_URL, expected

    scrapers = tmp_path / "council_scrapers.yaml"
    scrapers.write_text(yaml.safe_dump({"XYZ": CONFIGS["jadu-cards"]}), encoding="utf-8")
    monkeypatch.setenv("CLLR_SCRAPERS", str(scrapers))
    page = str(Path(__file__).parent / "fixtures" / "html" / "single.html")
    result = CliRunner().invoke(cli, ["parse", page, "--cms", "html", "--council", "xyz", "--url", SINGLE_URL])
    assert result.exit_code == 0, result.output
    got = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["id"], r["name"], r["ward"]) for r in got] == [
        (r["id"], r["name"], r["ward"]) for r in expected("single")
    ]
    missing = CliRunner().invoke(cli, ["parse", page, "--cms", "html", "--council", "ABC"])
    assert missing.exit_code == 1 and "no entry for ABC" in missing.output
    unnamed = CliRunner().invoke(cli, ["parse", page, "--cms", "html"])
    assert unnamed.exit_code == 2 and "--council CODE is needed" in unnamed.output


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (
            ["https://m.facebook.com/cllrjanesmith/?ref=page_internal"],
            0,
            {"platform": "facebook", "key": "facebook:cllrjanesmith", "url": "https://www.facebook.com/cllrjanesmith"},
        ),
        (["janesmith", "--field", "bluesky"], 0, {"key": "bluesky:janesmith.bsky.social", "needs_lookup": True}),
        (["@JaneSmith@mastodon.social"], 0, {"platform": "mastodon", "url": "https://mastodon.social/@JaneSmith"}),
        (["N/A"], 1, {"key": None, "reason": "a placeholder, not a value"}),
        (["https://twitter.com/intent/tweet?text=Vote"], 1, {"key": None}),
    ],
)
def test_normalise_prints_the_canonical_identity_or_null_with_a_reason(args, code, expected):
    result = CliRunner().invoke(cli, ["normalise", *args])
    assert result.exit_code == code
    printed = json.loads(result.output)
    assert printed == {**printed, **expected}
    assert ("reason" in printed) == (code == 1)


@pytest.mark.flow
def test_the_demo_runs_twice_and_the_second_run_records_the_web_moving_on(prefect_api, tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["demo", "--councils", "3", "--data-dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    first, second = result.output.split("The demo web moves on: ")
    assert "Run 1 finished" in first and "Run 2 finished" in second
    for kind in ("renamed:", "vanished:", "moved:"):
        assert kind in second.splitlines()[0]
    assert "1 not found" in second and (tmp_path / "demo" / "site" / "method.html").exists()
    db = sqlite3.connect(tmp_path / "demo" / "cllr.sqlite3")
    fields = {row[0] for row in db.execute("SELECT field FROM account_change")}
    runs = {}
    for account_id, run_id in db.execute(
        "SELECT account_id, profile_snapshot.run_id FROM profile_snapshot JOIN social_account "
        "ON social_account.id = account_id WHERE social_account.status = 'active'"
    ):
        runs.setdefault(account_id, set()).add(run_id)
    db.close()
    assert {"handle", "moved_to", "status"} <= fields
    # Every live account read in the first run has a second snapshot but the one the council removed
    # (no longer anyone's, so not read); only the move's new account and the two the council added start in run 2.
    seen = sorted(runs.values(), key=sorted)
    assert (seen.count({2}), seen.count({1})) == (3, 1) and all(r == {1, 2} for r in seen if r not in ({1}, {2}))


@pytest.mark.flow
def test_in_the_demo_a_council_corrects_its_record_by_api_and_csv_and_the_rescrape_keeps_it(
    prefect_api, tmp_path, monkeypatch
):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["demo", "--councils", "3", "--data-dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    told = next(line for line in result.output.splitlines() if "corrects its record" in line)
    found = re.search(
        r"by the API, added (\S+) for ([^;]+); by CSV, added (\S+) for ([^;]+); removed (\S+) from (.+)\.$", told
    )
    api_handle, api_name, csv_handle, csv_name, removed, owner = found.groups()
    assert "Corrections: 3 applied, 0 not applied" in result.output.split(told)[1]  # the second run applied them
    assert "3 applied, 2 added account(s) confirmed by the council, 1 removed account unlinked" in result.output
    db = sqlite3.connect(tmp_path / "demo" / "cllr.sqlite3")
    slugs = dict(db.execute("SELECT name, slug FROM councillor"))
    assert db.execute("SELECT channel, status FROM correction ORDER BY id").fetchall() == [
        ("api", "applied"),
        ("csv", "applied"),
        ("csv", "applied"),
    ]
    assert db.execute("SELECT count(*) FROM disagreement WHERE status = 'open'").fetchone()[0] >= 1
    db.close()
    site = tmp_path / "demo" / "site" / "councillors"

    def page(name):
        return BeautifulSoup((site / f"{slugs[name]}.html").read_text(), "html.parser")

    for handle, name in ((api_handle, api_name), (csv_handle, csv_name)):
        row = next(tr for tr in page(name).select("tr") if handle.split("@")[0] in tr.get_text())
        assert "added by the council on" in row.select_one(".corrected").get_text()
        assert row.select_one(".level").get_text() == "Confirmed by the council"
    owner_page = page(owner)
    assert all(removed not in tr.get_text() for tr in owner_page.select("table tr"))  # not among their accounts
    gone = next(li for li in owner_page.select("li") if removed in li.get_text())
    assert "removed by the council on" in gone.get_text()
