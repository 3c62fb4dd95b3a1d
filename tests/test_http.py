"""The HTTP layer's promises, on a mock transport and an injected clock (nothing sleeps)."""

from __future__ import annotations

import gzip
import itertools
import random
import re
import ssl
import tracemalloc

import httpx
import pytest

from cllr.config import Settings
from cllr.http import Fetcher, FetchError, slot_key

from .fakes import Body, FakeClock


class Web:
    """A scripted web: ``routes`` maps a path to a list of replies used in turn (the last repeats)."""

    def __init__(self, routes=None, robots=(404, b"")):
        self.routes = {"/robots.txt": [robots], **(routes or {})}
        self.log: list[tuple[float, httpx.Request]] = []
        self.clock: FakeClock | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append((self.clock.now if self.clock else 0.0, request))
        replies = self.routes.get(request.url.path, [(200, b"ok")])
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if isinstance(reply, Exception):
            raise reply
        status, body, *headers = reply
        return httpx.Response(status, stream=Body(body), headers=headers[0] if headers else {})

    def paths(self) -> list[str]:
        return [r.url.path for _, r in self.log]


def fetcher(web: Web, **settings) -> Fetcher:
    clock = FakeClock()
    web.clock = clock
    config = Settings(**{"request_delay": 1.0, "backoff_base": 10.0, **settings})
    return Fetcher(config, httpx.MockTransport(web), clock=clock, rng=random.Random(1))


@pytest.mark.parametrize(
    ("host", "slot"),
    [
        ("a.moderngov.co.uk", "moderngov.co.uk"),
        ("b.moderngov.co.uk", "moderngov.co.uk"),
        ("democracy.kirklees.gov.uk", "kirklees.gov.uk"),
        ("cllr.github.io", "cllr.github.io"),
        ("127.0.0.1", "127.0.0.1"),
        ("www.example.org", "example.org"),
        ("social.demo.example", "demo.example"),
    ],
)
def test_politeness_slot_is_the_registrable_domain(host, slot):
    assert slot_key(host) == slot


# P-1 -----------------------------------------------------------------------------


def test_every_request_carries_one_honest_user_agent():
    web = Web()
    with fetcher(web, contact_url="https://example.org/contact") as f:
        f.get("https://a.example.org/")
        f.get("https://b.example.net/x", robots=False)
    assert {r.headers["user-agent"] for _, r in web.log} == {"CouncillorsOnline/0.1.0 (+https://example.org/contact)"}
    assert len(web.log) == 3  # robots.txt, the page, and the API call without robots


# P-2, P-3, P-4, P-5 ------------------------------------------------------------------


def test_robots_is_fetched_first_per_origin_and_kept_for_a_day():
    web = Web()
    with fetcher(web, request_delay=0) as f:
        f.get("https://a.example.org/1")
        f.get("https://a.example.org/2")
        f.get("https://b.example.org/1")
        assert web.paths() == ["/robots.txt", "/1", "/2", "/robots.txt", "/1"]
        f.clock.now += 24 * 3600 + 1
        f.get("https://a.example.org/3")
    assert web.paths()[-2:] == ["/robots.txt", "/3"]


@pytest.mark.parametrize(
    ("robots", "allowed"),
    [
        ((200, b"User-agent: *\nDisallow: /private\n"), True),
        ((200, b"User-agent: *\nDisallow: /\n"), False),
        ((404, b""), True),
        ((403, b"forbidden"), True),
        ((401, b""), True),
        ((500, b"<html>User-agent: *\nAllow: /</html>"), False),
        ((503, b""), False),
        ((429, b""), False),
        (httpx.ConnectError("refused"), False),
        (httpx.ReadTimeout("timed out"), False),
    ],
    ids=["rules-allow", "rules-disallow", "404", "403", "401", "500-with-body", "503", "429", "refused", "timeout"],
)
def test_robots_status_semantics(robots, allowed):
    web = Web(robots=robots)
    with fetcher(web) as f:
        if allowed:
            assert f.get("https://a.example.org/page").status == 200
        else:
            with pytest.raises(FetchError, match=re.escape("robots.txt")):
                f.get("https://a.example.org/page")
    assert ("/page" in web.paths()) is allowed


def test_robots_redirect_chains_over_five_hops_disallow():
    routes = {f"/r{i}": [(301, b"", {"location": f"/r{i + 1}"})] for i in range(10)}
    web = Web(routes, robots=(301, b"", {"location": "/r0"}))
    with fetcher(web) as f, pytest.raises(FetchError, match=re.escape("robots.txt")):
        f.get("https://a.example.org/page")


@pytest.mark.parametrize(
    ("rules", "path", "allowed"),
    [
        ("User-agent: *\nAllow: /a\nDisallow: /a/b\n", "/a/b/c", False),
        ("User-agent: *\nAllow: /a\nDisallow: /a/b\n", "/a/c", True),
        ("User-agent: *\nDisallow: /a\nAllow: /a/b\n", "/a/b", True),
        ("User-agent: *\nDisallow: /*.pdf$\n", "/x/report.pdf", False),
        ("User-agent: *\nDisallow: /*.pdf$\n", "/x/report.pdf.html", True),
        ("User-agent: *\nDisallow: /\n\nUser-agent: councillorsonline\nAllow: /\n", "/x", True),
        ("User-agent: *\nAllow: /\n\nUser-agent: CouncillorsOnline\nDisallow: /mg\n", "/mgUserInfo.aspx", False),
        ("User-agent: OtherBot\nDisallow: /\n", "/x", True),
    ],
)
def test_robots_groups_by_product_token_and_longest_match(rules, path, allowed):
    web = Web(robots=(200, rules.encode()))
    with fetcher(web) as f:
        try:
            f.get(f"https://a.example.org{path}")
            got = True
        except FetchError:
            got = False
    assert got is allowed


def test_huge_robots_is_read_up_to_the_cap():
    body = b"User-agent: *\nDisallow: /early\n" + b"#" * (10 * 1024 * 1024) + b"\nDisallow: /late\n"
    web = Web(robots=(200, body))
    with fetcher(web, request_delay=0) as f:
        with pytest.raises(FetchError):
            f.get("https://a.example.org/early")
        assert f.get("https://a.example.org/late").status == 200  # the rule past the cap is ignored


# P-6, P-7 --------------------------------------------------------------------------------


def test_one_provider_is_spaced_and_others_are_not():
    web = Web()
    with fetcher(web, request_delay=2.0) as f:
        f.get("https://a.moderngov.co.uk/x", robots=False)
        f.get("https://b.moderngov.co.uk/x", robots=False)
        f.get("https://c.other.org/x", robots=False)
    starts = {str(r.url): t for t, r in web.log}
    assert starts["https://b.moderngov.co.uk/x"] - starts["https://a.moderngov.co.uk/x"] >= 2.0
    assert starts["https://c.other.org/x"] == starts["https://b.moderngov.co.uk/x"]


def test_crawl_delay_is_a_floor():
    web = Web(robots=(200, b"User-agent: *\nCrawl-delay: 7\n"))
    with fetcher(web) as f:
        for i in range(3):
            f.get(f"https://a.example.org/{i}")
    times = [t for t, r in web.log if r.url.path != "/robots.txt"]
    assert all(b - a >= 7 for a, b in itertools.pairwise(times))


def test_a_crawl_delay_over_the_cap_skips_the_site():
    web = Web(robots=(200, b"User-agent: *\nCrawl-delay: 3600\n"))
    with fetcher(web) as f, pytest.raises(FetchError, match="crawl delay"):
        f.get("https://a.example.org/x")
    assert web.paths() == ["/robots.txt"]


# P-8, P-9 --------------------------------------------------------------------------------


def test_always_500_gets_exactly_one_try_and_three_retries():
    web = Web({"/x": [(500, b"error")]})
    with fetcher(web) as f, pytest.raises(FetchError, match="HTTP 500"):
        f.get("https://a.example.org/x")
    times = [t for t, r in web.log if r.url.path == "/x"]
    assert len(times) == 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[0] >= 5 and gaps[1] >= 10 and gaps[2] >= 20  # 10 s doubling, jitter down to half
    assert gaps == sorted(gaps)


@pytest.mark.parametrize(
    ("reply", "requests"),
    [
        ((404, b"not found"), 1),
        ((410, b"gone"), 1),
        (httpx.ConnectError("connection refused"), 4),
        ((503, b""), 4),
        ((408, b""), 4),
        (httpx.ReadTimeout("slow"), 4),
        (httpx.RemoteProtocolError("dropped"), 4),
    ],
    ids=["404", "410", "connect-error", "503", "408", "timeout", "dropped"],
)
def test_what_is_retried(reply, requests):
    web = Web({"/x": [reply]})
    with fetcher(web) as f, pytest.raises(FetchError):
        f.get("https://a.example.org/x")
    assert web.paths().count("/x") == requests


def test_tls_errors_are_never_retried():
    error = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error.__cause__ = ssl.SSLCertVerificationError("self-signed certificate")
    web = Web({"/x": [error]})
    with fetcher(web) as f, pytest.raises(FetchError, match="TLS"):
        f.get("https://a.example.org/x")
    assert web.paths().count("/x") == 1


def test_retry_after_is_honoured_then_success():
    web = Web({"/x": [(429, b"", {"retry-after": "30"}), (200, b"fine")]})
    with fetcher(web, backoff_base=1.0) as f:
        assert f.get("https://a.example.org/x").content == b"fine"
    times = [t for t, r in web.log if r.url.path == "/x"]
    assert times[1] - times[0] >= 30


def test_a_retry_after_beyond_the_cap_gives_up():
    web = Web({"/x": [(503, b"", {"retry-after": "86400"})]})
    with fetcher(web) as f, pytest.raises(FetchError, match="asked to wait"):
        f.get("https://a.example.org/x")
    assert web.paths().count("/x") == 1


def test_a_503_slows_the_whole_provider_down():
    web = Web({"/x": [(503, b""), (200, b"ok")]})
    with fetcher(web, request_delay=1.0, backoff_base=10.0) as f:
        f.get("https://a.moderngov.co.uk/x", robots=False)
        f.get("https://b.moderngov.co.uk/y", robots=False)
    times = [t for t, _ in web.log]
    assert times[2] - times[0] >= 5  # the sibling council waited out the backoff too


# P-10 ---------------------------------------------------------------------------------------


def test_the_circuit_opens_after_repeated_failures_for_that_site_only():
    web = Web({"/x": [(500, b"")]})
    with fetcher(web, retries=0) as f:
        for _ in range(3):
            with pytest.raises(FetchError, match="HTTP 500"):
                f.get("https://dead.example.org/x")
        before = len(web.log)
        with pytest.raises(FetchError, match="circuit open"):
            f.get("https://dead.example.org/y")
        assert len(web.log) == before
        assert f.get("https://alive.example.net/y").status == 200


# Other ------------------------------------------------------------------------------------------


def test_connect_to_keeps_the_real_url_and_host():
    web = Web()
    with fetcher(web, connect_to="democracy.town.example=127.0.0.1:8123") as f:
        response = f.get("https://democracy.town.example/mgUserInfo.aspx?UID=1")
    sent = web.log[-1][1]
    assert str(sent.url) == "http://127.0.0.1:8123/mgUserInfo.aspx?UID=1"
    assert sent.headers["host"] == "democracy.town.example"
    assert response.url == "https://democracy.town.example/mgUserInfo.aspx?UID=1"


def test_gzip_bodies_are_decoded():
    web = Web({"/x": [(200, gzip.compress(b"<xml/>" * 100), {"content-encoding": "gzip"})]})
    with fetcher(web) as f:
        assert f.get("https://a.example.org/x").content == b"<xml/>" * 100
    assert web.log[-1][1].headers["accept-encoding"] == "gzip, deflate"


def test_a_gzip_bomb_is_stopped_at_the_cap_with_bounded_memory():
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)  # 200 MiB in about 200 KiB
    web = Web({"/x": [(200, bomb, {"content-encoding": "gzip"})]})
    tracemalloc.start()
    try:
        with fetcher(web, max_response_bytes=1024 * 1024) as f, pytest.raises(FetchError, match="larger than"):
            f.get("https://a.example.org/x")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024 + len(bomb) * 2


def test_bodies_over_the_cap_are_refused():
    web = Web({"/x": [(200, b"x" * 5000)]})
    with fetcher(web, max_response_bytes=1000) as f, pytest.raises(FetchError, match="larger than 1000 bytes"):
        f.get("https://a.example.org/x")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "javascript:alert(1)", "gopher://x/"])
def test_only_http_and_https_are_fetched(url):
    web = Web()
    with fetcher(web) as f, pytest.raises(FetchError, match="only http and https"):
        f.get(url)
    assert web.log == []


def test_settings_read_lists_and_pairs_from_the_environment(monkeypatch):
    monkeypatch.setenv("CLLR_COUNCILS", "kir, LDS")
    monkeypatch.setenv("CLLR_CONNECT_TO", "Democracy.Town.example=127.0.0.1:8123,bsky.demo.example=127.0.0.1:9")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db.example/cllr")
    settings = Settings()
    assert settings.councils == ["KIR", "LDS"]
    assert settings.connect_to == {"democracy.town.example": "127.0.0.1:8123", "bsky.demo.example": "127.0.0.1:9"}
    assert settings.db_url == "postgresql+psycopg://db.example/cllr"


# P-11, P-12 ---------------------------------------------------------------------------------


class Revalidating(Web):
    """Serves /page with an ETag, and 304 when the request's If-None-Match still matches."""

    def __init__(self):
        super().__init__()
        self.etag = '"v1"'

    def __call__(self, request):
        if request.url.path == "/page":
            self.log.append((0.0, request))
            if request.headers.get("if-none-match") == self.etag:
                return httpx.Response(304, stream=Body(b""), headers={"etag": self.etag})
            return httpx.Response(200, stream=Body(b"<html>v</html>"), headers={"etag": self.etag})
        return super().__call__(request)


def test_conditional_requests_revalidate_and_a_304_has_no_body(tmp_path):
    web = Revalidating()
    with fetcher(web, data_dir=tmp_path, request_delay=0) as f:
        first = f.get("https://a.example.org/page", conditional=True)
        second = f.get("https://a.example.org/page", conditional=True)
        plain = f.get("https://a.example.org/page")
    pages = [r for _, r in web.log if r.url.path == "/page"]
    assert "if-none-match" not in pages[0].headers and pages[1].headers["if-none-match"] == '"v1"'
    assert (first.status, first.not_modified, second.not_modified, second.content) == (200, False, True, b"")
    assert plain.status == 200 and "if-none-match" not in pages[2].headers
    web.etag = '"v2"'  # the page changed: a full response again
    with fetcher(web, data_dir=tmp_path, request_delay=0) as f:
        assert f.get("https://a.example.org/page", conditional=True).status == 200


def test_deleting_the_validator_store_only_costs_requests(tmp_path):
    web = Revalidating()
    with fetcher(web, data_dir=tmp_path, request_delay=0) as f:
        f.get("https://a.example.org/page", conditional=True)
    (tmp_path / "http-validators.sqlite3").unlink()
    with fetcher(web, data_dir=tmp_path, request_delay=0) as f:
        again = f.get("https://a.example.org/page", conditional=True)
    assert (again.status, again.content) == (200, b"<html>v</html>")


def test_conditional_requests_can_be_turned_off(tmp_path):
    web = Revalidating()
    with fetcher(web, data_dir=tmp_path, request_delay=0, conditional=False) as f:
        f.get("https://a.example.org/page", conditional=True)
        assert f.get("https://a.example.org/page", conditional=True).status == 200


# P-13 -------------------------------------------------------------------------------------------


def test_a_council_override_slows_its_site_down(tmp_path):
    from cllr.pipeline.overrides import apply_overrides, read_overrides

    overrides = tmp_path / "overrides.csv"
    overrides.write_text("code,request_delay,note\nKIR,3,asked us to slow down\n", encoding="utf-8")
    registry = [
        {"code": "KIR", "roster_url": "https://democracy.kirklees.gov.uk"},
        {"code": "LDS", "roster_url": "https://democracy.leeds.gov.uk"},
    ]
    web = Web()
    with fetcher(web, request_delay=1.0) as f:
        apply_overrides(f, registry, read_overrides(overrides))
        for _ in range(3):
            f.get("https://democracy.kirklees.gov.uk/x", robots=False)
        assert (f.slots.delay_for("kirklees.gov.uk"), f.slots.delay_for("leeds.gov.uk")) == (3.0, 1.0)
    kirklees = [t for t, _ in web.log]
    assert len(kirklees) == 3 and all(b - a >= 3 for a, b in itertools.pairwise(kirklees))


def test_each_redirect_hop_obeys_its_own_origins_robots():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}{request.url.path}")
        if request.url.path == "/robots.txt":
            rules = b"User-agent: *\nDisallow: /private\n" if request.url.host == "b.example.org" else b""
            return httpx.Response(200, stream=Body(rules))
        if request.url.host == "a.example.org":
            return httpx.Response(302, stream=Body(b""), headers={"location": "https://b.example.org/private"})
        return httpx.Response(200, stream=Body(b"not for robots"))

    settings = Settings(request_delay=0)
    with Fetcher(settings, httpx.MockTransport(handler), clock=FakeClock()) as f:
        with pytest.raises(FetchError, match=re.escape("disallowed by robots.txt")):
            f.get("https://a.example.org/x")
    assert seen == ["a.example.org/robots.txt", "a.example.org/x", "b.example.org/robots.txt"]


def test_a_credential_header_never_follows_a_redirect_to_another_origin():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[f"{request.url.host}{request.url.path}"] = request.headers.get("authorization")
        if request.url.path == "/same":
            return httpx.Response(302, stream=Body(b""), headers={"location": "/hop"})
        if request.url.path == "/hop":
            return httpx.Response(302, stream=Body(b""), headers={"location": "https://elsewhere.example.org/land"})
        return httpx.Response(200, stream=Body(b"{}"))

    with Fetcher(Settings(request_delay=0), httpx.MockTransport(handler), clock=FakeClock()) as f:
        f.get("https://api.example.org/same", robots=False, headers={"Authorization": "Bearer secret"})
    assert seen == {
        "api.example.org/same": "Bearer secret",
        "api.example.org/hop": "Bearer secret",
        "elsewhere.example.org/land": None,
    }
