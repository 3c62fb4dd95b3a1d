"""``connect_to`` (the demo's and the benchmarks' way to reach a local web under real host names):
wildcards map every name under a domain, and a malformed pair is a one-line error, not a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx
import pytest
from pydantic import ValidationError

from cllr.config import Settings
from cllr.http.connect_to import ConnectTo


@pytest.mark.parametrize(
    ("value", "mapping"),
    [
        ("a.example=127.0.0.1:8765", {"a.example": "127.0.0.1:8765"}),
        (
            "*.example=127.0.0.1:8765, B.Example=https://127.0.0.1:8443",
            {"*.example": "127.0.0.1:8765", "b.example": "https://127.0.0.1:8443"},
        ),
    ],
)
def test_pairs_are_read_from_the_environment_form(value, mapping):
    assert Settings(connect_to=value).connect_to == mapping


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a.example=127.0.0.1", "the target needs an address and a port"),
        ("a.example=127.0.0.1:port", "the target needs an address and a port"),
        ("a.example=127.0.0.1:70000", "the target needs an address and a port"),
        ("a.example", "'a.example' is not host=address:port"),
        ("*=127.0.0.1:8765", "is not a host name (a wildcard is '*.example')"),
        ("a.*.example=127.0.0.1:8765", "is not a host name"),
        ("ftp://a.example=127.0.0.1:1", "is not a host name"),
    ],
)
def test_a_malformed_pair_says_what_is_wrong(value, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        Settings(connect_to=value)


@pytest.mark.parametrize(
    ("url", "sent_to"),
    [
        ("https://democracy.council.example/x", "127.0.0.1:9001"),  # under the wildcard
        ("https://exact.council.example/x", "127.0.0.1:9002"),  # the exact name wins
        ("https://a.b.other.example/x", "127.0.0.1:9003"),  # the longest wildcard wins
        ("https://council.example/x", "127.0.0.1:9000"),  # "*.council.example" is not council.example itself
    ],
)
def test_wildcards_map_every_name_under_a_domain(url, sent_to):
    seen = []

    def inner(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}:{request.url.port}" if request.url.port else request.url.host)
        return httpx.Response(200)

    mapping = {
        "*.council.example": "127.0.0.1:9001",
        "exact.council.example": "127.0.0.1:9002",
        "*.example": "127.0.0.1:9000",
        "*.other.example": "127.0.0.1:9003",
    }
    transport = ConnectTo(httpx.MockTransport(inner), mapping)
    transport.handle_request(httpx.Request("GET", url))
    assert seen == [sent_to]


def test_the_command_line_says_so_in_one_line():
    env = {**os.environ, "CLLR_CONNECT_TO": "council.example=127.0.0.1", "DATABASE_URL": "sqlite://"}
    result = subprocess.run(
        [sys.executable, "-c", "from cllr.cli import main; main()", "councils", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "cllr: a setting cannot be read: CLLR_CONNECT_TO: Value error, council.example=127.0.0.1: "
        "the target needs an address and a port, as 127.0.0.1:8765"
    ]


@pytest.mark.parametrize("direct", ["http://{address}/ok", "http://localhost:{port}/ok"])
def test_only_the_mapped_names_reach_the_local_target(direct):
    """A page linking to the local target's address, or to another name for it, is refused as any
    non-public address is, even after a mapped name's connection to it is open and pooled."""
    from cllr.http import Fetcher, FetchError

    from .faults import FaultServer

    with FaultServer() as server:
        settings = Settings(request_delay=0, retries=0, connect_to={"faults.example": server.address})
        with Fetcher(settings) as fetcher:
            assert fetcher.get("https://faults.example/ok").content == b"ok"
            url = direct.format(address=server.address, port=server.address.rsplit(":", 1)[1])
            with pytest.raises(FetchError, match="refused"):
                fetcher.get(url)
        assert server.hits.count("/ok") == 1
