"""The HTTP layer: identity, connect_to, size caps, errors and politeness slots."""

from __future__ import annotations

import time

import httpx
import pytest

from cllr.config import Settings
from cllr.http import FetchError, Fetcher, slot_key


@pytest.mark.parametrize(
    ("url", "slot"),
    [
        ("https://a.moderngov.co.uk/mgWebService.asmx", "moderngov.co.uk"),
        ("https://b.moderngov.co.uk/x", "moderngov.co.uk"),
        ("https://democracy.kirklees.gov.uk/", "kirklees.gov.uk"),
        ("https://www.example.org/", "example.org"),
        ("https://social.demo.example/", "demo.example"),
    ],
)
def test_politeness_slot_is_the_registrable_domain(url, slot):
    assert slot_key(url) == slot


def recorder(status=200, body=b"ok", headers=None):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=body, headers=headers or {})

    return seen, httpx.MockTransport(handler)


def test_every_request_carries_one_honest_user_agent():
    seen, transport = recorder()
    settings = Settings(request_delay=0, contact_url="https://example.org/contact")
    with Fetcher(settings, transport) as fetcher:
        fetcher.get("https://a.example.org/")
        fetcher.get("https://b.example.net/")
    agents = {r.headers["user-agent"] for r in seen}
    assert agents == {"CouncillorsOnline/0.1.0 (+https://example.org/contact)"}


def test_connect_to_keeps_the_real_url_and_host():
    seen, transport = recorder()
    settings = Settings(request_delay=0, connect_to="democracy.town.example=127.0.0.1:8123")
    with Fetcher(settings, transport) as fetcher:
        response = fetcher.get("https://democracy.town.example/mgUserInfo.aspx?UID=1")
    assert str(seen[0].url) == "http://127.0.0.1:8123/mgUserInfo.aspx?UID=1"
    assert seen[0].headers["host"] == "democracy.town.example"
    assert response.url == "https://democracy.town.example/mgUserInfo.aspx?UID=1"


@pytest.mark.parametrize(("status", "reason"), [(404, "HTTP 404"), (503, "HTTP 503"), (301, "HTTP 301")])
def test_non_success_is_a_fetch_error_with_its_status(status, reason):
    _, transport = recorder(status=status)
    with Fetcher(Settings(request_delay=0), transport) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.get("https://a.example.org/")
    assert caught.value.status == status and reason in str(caught.value)


def test_bodies_over_the_cap_are_refused():
    _, transport = recorder(body=b"x" * 5000)
    with Fetcher(Settings(request_delay=0, max_response_bytes=1000), transport) as fetcher:
        with pytest.raises(FetchError, match="larger than 1000 bytes"):
            fetcher.get("https://a.example.org/")


def test_requests_to_one_provider_are_spaced_and_others_are_not():
    _, transport = recorder()
    with Fetcher(Settings(request_delay=0.1), transport) as fetcher:
        start = time.monotonic()
        fetcher.get("https://a.moderngov.co.uk/")
        fetcher.get("https://b.elsewhere.org/")
        assert time.monotonic() - start < 0.08  # different providers: no wait
        fetcher.get("https://b.moderngov.co.uk/")
        assert time.monotonic() - start >= 0.1  # same provider: spaced


def test_settings_read_lists_and_pairs_from_the_environment(monkeypatch):
    monkeypatch.setenv("CLLR_COUNCILS", "kir, LDS")
    monkeypatch.setenv("CLLR_CONNECT_TO", "Democracy.Town.example=127.0.0.1:8123,bsky.demo.example=127.0.0.1:9")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db.example/cllr")
    settings = Settings()
    assert settings.councils == ["KIR", "LDS"]
    assert settings.connect_to == {"democracy.town.example": "127.0.0.1:8123", "bsky.demo.example": "127.0.0.1:9"}
    assert settings.db_url == "postgresql+psycopg://db.example/cllr"
