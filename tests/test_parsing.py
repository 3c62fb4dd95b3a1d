"""Pages parsed in a pool of processes (cllr.pipeline.parsing): the same records as in the run's own
process, a parser's error as it was raised, and a pool that breaks given up without losing a page."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from cllr.pipeline.parsing import Parsers
from scrapers.profiles import parse_profile_page
from scrapers.records import SourceError

PAGE = b"""<html><body><header><a href="https://x.com/thecouncil">Council on X</a></header>
<main><h1>Cllr Ada Fernwright</h1><a href="https://bsky.app/profile/ada-fernwright.bsky.social">Bluesky</a>
<p>Mastodon: @ada@toot.example</p></main></body></html>"""
URL = "https://democracy.example.gov.uk/mgUserInfo.aspx?UID=1"


def in_a_child() -> int:
    """The process a call ran in: its parent's id, or 0 in the run's own process."""
    parent = multiprocessing.parent_process()
    return parent.pid if parent is not None else 0


def refuse(_content: bytes) -> None:
    raise SourceError("not a profile page")


def die_in_a_child(value: int) -> int:
    if multiprocessing.parent_process() is not None:
        os._exit(3)  # a parsing process killed part-way
    return value


@pytest.mark.parametrize("processes", [0, 1, 2])
def test_a_page_parses_to_the_same_accounts_in_the_pool_and_in_the_run(processes):
    parsers = Parsers(processes)
    try:
        assert parsers(parse_profile_page, PAGE, URL) == parse_profile_page(PAGE, URL)
        assert [h.key for h, _ in parsers(parse_profile_page, PAGE, URL)] == [
            "bluesky:ada-fernwright.bsky.social",
            "mastodon:ada@toot.example",
        ]
        assert parsers(in_a_child) == (os.getpid() if processes else 0)
    finally:
        parsers.close()


def test_a_parsers_error_comes_back_as_it_was_raised():
    parsers = Parsers(1)
    try:
        with pytest.raises(SourceError, match="not a profile page"):
            parsers(refuse, b"")
        assert parsers(parse_profile_page, PAGE, URL)  # the pool still works after a parser's error
    finally:
        parsers.close()


def test_a_broken_pool_is_given_up_and_the_page_parsed_here(caplog):
    parsers = Parsers(1)
    try:
        assert parsers(die_in_a_child, 7) == 7  # the process died: parsed in the run's own process
        assert parsers(in_a_child) == 0  # and every page after it too, without asking the broken pool
        assert "parsing processes stopped" in caplog.text
        assert parsers.peak_mb() == 0
    finally:
        parsers.close()


def test_the_pool_reports_its_processes_memory_and_stops_them():
    parsers = Parsers(1)
    assert parsers.peak_mb() == 0  # not started: no page parsed yet
    parsers(parse_profile_page, PAGE, URL)
    assert 5 < parsers.peak_mb() < 1024
    child = parsers(os.getpid)
    parsers.close()
    with pytest.raises(ProcessLookupError):  # stopped and reaped
        os.kill(child, 0)
    assert parsers.peak_mb() == 0
