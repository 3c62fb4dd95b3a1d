"""The chaos suite: the HTTP layer against a misbehaving local server (tests/faults.py).

Timeouts are scaled down (a fraction of a second) so nothing here waits long for real.
"""

from __future__ import annotations

import re
import time
import tracemalloc

import pytest

from cllr.config import Settings
from cllr.http import Fetcher, FetchError

from .faults import REDIRECTS, FaultServer

HOST = "faults.example"
BASE = f"https://{HOST}"


@pytest.fixture
def server():
    with FaultServer(tick=0.05) as running:
        yield running


def settings_for(server, **overrides) -> Settings:
    values = {
        "request_delay": 0,
        "retries": 0,
        "timeout": 0.3,
        "deadline": 0.6,
        "backoff_base": 0.001,
        "connect_to": {HOST: server.address},
    } | overrides
    return Settings(**values)


@pytest.fixture
def fetcher(server):
    with Fetcher(settings_for(server)) as f:
        yield f


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/hang", "timed out"),
        ("/hang-after-headers", "timed out"),
        ("/drip", "took longer than"),
        ("/drip-headers", "took longer than"),
        ("/slow-redirect/5", "took longer than"),
        ("/drop", "connection dropped"),
        ("/bad-chunked", "connection dropped"),
        ("/bad-header", "connection dropped"),
        ("/redirect-loop", "too many redirects"),
        ("/redirect/6", "too many redirects"),
        ("/to-file", "not http"),
    ],
)
def test_misbehaving_servers_are_cut_off_with_a_reason(server, fetcher, path, reason):
    started = time.monotonic()
    with pytest.raises(FetchError, match=reason):
        fetcher.get(BASE + path)
    # the deadline is the whole fetch's: headers, body and every redirect hop together
    assert time.monotonic() - started < fetcher.settings.deadline + 1.0


def test_five_redirects_are_followed(server, fetcher):
    response = fetcher.get(BASE + "/redirect/5")
    assert response.content == b"ok" and response.url.endswith("/ok")


def test_retries_go_to_the_server_again(server):
    with Fetcher(settings_for(server, retries=2)) as f, pytest.raises(FetchError, match="connection dropped"):
        f.get(BASE + "/drop")
    assert server.hits.count("/drop") == 3


def test_cllr_fetch_reports_success_and_failure_in_one_line(server, tmp_path):
    from click.testing import CliRunner

    from cllr.cli import cli

    runner = CliRunner(
        env={
            "CLLR_REQUEST_DELAY": "0",
            "CLLR_RETRIES": "0",
            "CLLR_TIMEOUT": "0.3",
            "CLLR_CONNECT_TO": f"{HOST}={server.address}",
            "CLLR_DATA_DIR": str(tmp_path),
        }
    )
    ok = runner.invoke(cli, ["fetch", BASE + "/redirect/2"])
    assert ok.exit_code == 0, ok.output
    assert "status:   200" in ok.output and f"url:      {BASE}/ok" in ok.output and "bytes:    2" in ok.output
    bad = runner.invoke(cli, ["fetch", BASE + "/redirect-loop"])
    assert bad.exit_code == 1 and "too many redirects" in bad.output
    assert len(bad.output.strip().splitlines()) == 1
    first, again = (runner.invoke(cli, ["fetch", BASE + "/etag"]) for _ in range(2))
    assert "cache:    validators stored" in first.output
    assert "status:   304" in again.output and "cache:    not modified (304)" in again.output
    refused = runner.invoke(cli, ["fetch", "file:///etc/passwd"])
    assert refused.exit_code == 1 and "only http and https" in refused.output


@pytest.mark.parametrize("path", sorted(REDIRECTS))
def test_redirects_to_non_public_addresses_are_refused(server, fetcher, path):
    with pytest.raises(FetchError, match=r"refused: .* not a public address|refused: .* does not resolve"):
        fetcher.get(BASE + path)


def test_a_direct_request_to_a_loopback_address_is_refused(server):
    with Fetcher(Settings(request_delay=0, retries=0)) as f, pytest.raises(FetchError, match="not a public address"):
        f.get(f"http://{server.address}/ok")
    assert server.hits == []


@pytest.mark.parametrize(
    ("robots", "allowed"),
    [(404, True), (403, True), (500, False), (503, False), (429, False), ("drop", False)],
)
def test_robots_status_from_a_real_server(robots, allowed):
    with FaultServer(robots=robots) as server, Fetcher(settings_for(server)) as f:
        if allowed:
            assert f.get(BASE + "/ok").content == b"ok"
        else:
            with pytest.raises(FetchError, match=re.escape("robots.txt")):
                f.get(BASE + "/ok")
        assert ("/ok" in server.hits) is allowed


def test_a_huge_robots_from_a_real_server_is_read_to_the_cap():
    with FaultServer(robots="huge") as server, Fetcher(settings_for(server, timeout=5, deadline=10)) as f:
        with pytest.raises(FetchError, match=re.escape("robots.txt")):
            f.get(BASE + "/early")
        assert f.get(BASE + "/ok").content == b"ok"  # "Disallow: /ok" lies past the cap


def test_a_robots_txt_that_drips_its_headers_ends_the_fetch_at_the_deadline():
    with FaultServer(robots="drip", tick=0.05) as server, Fetcher(settings_for(server)) as f:
        started = time.monotonic()
        with pytest.raises(FetchError, match=re.escape("robots.txt")):
            f.get(BASE + "/ok")
        assert time.monotonic() - started < f.settings.deadline + 1.0
        assert "/ok" not in server.hits


def test_a_gzip_robots_txt_is_inflated_only_up_to_its_cap():
    """A robots.txt of 200 KiB that inflates to 200 MiB goes through the pages' bounded decoder:
    the memory it takes is the cap's, not the inflated size's."""
    with FaultServer(robots="gzip") as server, Fetcher(settings_for(server, timeout=5, deadline=10)) as f:
        tracemalloc.start()
        try:
            assert f.get(BASE + "/ok").content == b"ok"  # comment lines only: all allowed
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * f.settings.max_robots_bytes, f"{peak // 2**20} MiB to read a robots.txt"
