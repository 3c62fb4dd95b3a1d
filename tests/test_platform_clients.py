"""Platform clients end to end through the Fetcher, on a mock transport (no network).

Responses are built from the real captured ones in tests/fixtures/platforms where there is one.
"""

from __future__ import annotations

import functools
import itertools
import json
import operator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from cllr.config import Settings
from cllr.http import Fetcher
from cllr.platforms import bluesky as reading_bluesky
from cllr.platforms import mastodon as reading_mastodon
from scrapers import bluesky, mastodon
from scrapers.records import AccountGone, SourceError

from .fakes import Body, FakeClock

FIXTURES = Path(__file__).parent / "fixtures" / "platforms"
APPVIEW = "https://public.api.bsky.app"
DRIL = json.loads((FIXTURES / "bluesky/getProfile.dril.json").read_text(encoding="utf-8"))


def reply(status: int, body, content_type: str = "application/json") -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Response(status, stream=Body(data), headers={"content-type": content_type})


class Server:
    """A scripted platform: ``answer(request)`` gives each reply; every request is logged."""

    def __init__(self, answer):
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/robots.txt":
            return reply(404, b"", "text/plain")
        return self.answer(request)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


@pytest.fixture
def serve(tmp_path):
    fetchers = []

    def make(answer) -> tuple[Fetcher, Server]:
        server = Server(answer)
        fetcher = Fetcher(Settings(request_delay=0, data_dir=tmp_path), httpx.MockTransport(server), clock=FakeClock())
        fetchers.append(fetcher)
        return fetcher, server

    yield make
    for fetcher in fetchers:
        fetcher.close()


def profile(n: int) -> dict:
    """The real profileViewDetailed, as another account."""
    return dict(DRIL, did=f"did:plc:account{n}", handle=f"cllr{n}.bsky.social")


# Bluesky: batched profiles ------------------------------------------------------------


def test_sixty_actors_take_three_getprofiles_requests_of_at_most_25_repeated_actors(serve):
    def answer(request):
        asked = request.url.params.get_list("actors")
        return reply(200, {"profiles": [profile(int(a.removeprefix("did:plc:account"))) for a in asked]})

    fetcher, server = serve(answer)
    actors = [f"did:plc:account{n}" for n in range(60)]
    found = reading_bluesky.get_profiles(fetcher, APPVIEW, actors)
    batches = [r.url.params.get_list("actors") for r in server.requests]
    assert server.paths() == ["/xrpc/app.bsky.actor.getProfiles"] * 3  # an API: no robots.txt
    assert [len(b) for b in batches] == [25, 25, 10]
    assert functools.reduce(operator.iadd, batches, []) == actors
    assert "actors=did%3Aplc%3Aaccount0&actors=did%3Aplc%3Aaccount1&" in str(server.requests[0].url)
    assert list(found) == actors
    assert found["did:plc:account59"].handle == "cllr59.bsky.social"


def test_profiles_are_matched_by_did_or_handle_not_position_and_dropped_actors_are_absent(serve):
    # The AppView answers in its own order and silently drops an unknown or suspended actor.
    fetcher, _server = serve(lambda request: reply(200, {"profiles": [profile(3), DRIL, profile(1)]}))
    actors = ["did:plc:account1", "Dril.bsky.social", "gone.bsky.social", "CLLR3.bsky.social"]
    found = reading_bluesky.get_profiles(fetcher, APPVIEW, actors)
    assert set(found) == {"did:plc:account1", "Dril.bsky.social", "CLLR3.bsky.social"}
    assert found["did:plc:account1"].handle == "cllr1.bsky.social"
    assert found["Dril.bsky.social"].platform_id == "did:plc:6wpkkitfdkgthatfvspcfmjo"
    assert found["Dril.bsky.social"].followers == 523417
    assert found["CLLR3.bsky.social"].platform_id == "did:plc:account3"
    # each profile's source is its own record's address: the batch's names every account in it
    assert found["CLLR3.bsky.social"].source_url == (
        "https://public.api.bsky.app/xrpc/app.bsky.actor.getProfiles?actors=did%3Aplc%3Aaccount3"
    )


def test_a_malformed_profile_is_skipped_not_the_whole_batch(serve):
    broken = [{"error": "InvalidRequest"}, {"did": "did:plc:account2"}, "not an object"]
    fetcher, _ = serve(lambda request: reply(200, {"profiles": [*broken, profile(1)]}))
    found = reading_bluesky.get_profiles(fetcher, APPVIEW, ["did:plc:account1", "did:plc:account2"])
    assert list(found) == ["did:plc:account1"]


def test_a_batch_refused_as_invalid_leaves_its_actors_to_be_read_one_by_one(serve):
    def answer(request):
        if "not a handle!" in request.url.params.get_list("actors"):
            return reply(400, {"error": "InvalidRequest", "message": "actors/1 must be a valid did or a handle"})
        return reply(200, {"profiles": [profile(n) for n in range(25, 30)]})

    fetcher, _ = serve(answer)
    actors = [f"did:plc:account{n}" for n in range(30)]
    actors[1] = "not a handle!"
    assert list(reading_bluesky.get_profiles(fetcher, APPVIEW, actors)) == actors[25:]


def test_collect_with_a_profile_from_a_batch_reads_only_the_author_feed(serve):
    feed = json.loads((FIXTURES / "bluesky/getAuthorFeed.dril.json").read_text(encoding="utf-8"))
    del feed["cursor"]  # one page
    fetcher, server = serve(lambda request: reply(200, feed))
    given = bluesky.parse_profile(DRIL)
    given.source_url = "https://public.api.bsky.app/xrpc/app.bsky.actor.getProfiles?actors=dril.bsky.social"
    activity = reading_bluesky.collect(fetcher, APPVIEW, "dril.bsky.social", datetime(2025, 1, 1, tzinfo=UTC), given)
    assert server.paths() == ["/xrpc/app.bsky.feed.getAuthorFeed"]
    assert server.requests[0].url.params["actor"] == "did:plc:6wpkkitfdkgthatfvspcfmjo"
    assert (activity.followers, activity.source_url) == (523417, given.source_url)
    assert len(activity.posts) == 5 and activity.complete
    assert given.posts == []  # the batch's profile is not changed


def test_collect_without_a_profile_still_asks_getprofile_for_the_definite_answer(serve):
    fetcher, server = serve(lambda request: reply(400, {"error": "InvalidRequest", "message": "Profile not found"}))
    with pytest.raises(AccountGone):
        reading_bluesky.collect(fetcher, APPVIEW, "gone.bsky.social", datetime(2025, 1, 1, tzinfo=UTC))
    assert server.paths() == ["/xrpc/app.bsky.actor.getProfile"]


# Mastodon: servers that refuse unauthenticated API reads --------------------------------

# Written to the shape of Mastodon's own account feed (app/views/accounts/show.rss.ruby and
# app/lib/rss/item.rb: a permalink guid and a link per status, an RFC 822 pubDate, the
# status HTML escaped in the description); public posts only, newest first.
RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:webfeeds="http://webfeeds.org/rss/1.0" xmlns:media="http://search.yahoo.com/mrss/">
  <channel>
    <title>Cllr Example</title>
    <description>Public posts from @cllr@social.example</description>
    <link>https://social.example/@cllr</link>
    <lastBuildDate>Tue, 10 Jun 2025 09:00:00 +0000</lastBuildDate>
    <generator>Mastodon v4.3.8</generator>
    <item>
      <guid isPermaLink="true">https://social.example/@cllr/114656000000000003</guid>
      <link>https://social.example/@cllr/114656000000000003</link>
      <pubDate>Tue, 10 Jun 2025 09:00:00 +0000</pubDate>
      <description>&lt;p&gt;Surgery at the library on Saturday.&lt;/p&gt;</description>
    </item>
    <item>
      <guid isPermaLink="true">https://social.example/@cllr/114600000000000002</guid>
      <link>https://social.example/@cllr/114600000000000002</link>
      <pubDate>Sat, 31 May 2025 18:30:00 +0000</pubDate>
      <description>&lt;p&gt;Full council tonight.&lt;/p&gt;</description>
    </item>
    <item>
      <guid isPermaLink="true">https://social.example/@cllr/114500000000000001</guid>
      <link>https://social.example/@cllr/114500000000000001</link>
      <pubDate>Mon, 12 May 2025 07:15:00 +0000</pubDate>
      <description>&lt;p&gt;Bins are back on the usual day.&lt;/p&gt;</description>
    </item>
  </channel>
</rss>
"""
REFUSED = {"error": "This API requires an authenticated user"}


def closed_server(rss=(200, RSS), status: int = 401):
    def answer(request):
        if request.url.path.startswith("/api/"):
            return reply(status, REFUSED)
        if request.url.path == "/@cllr.rss":
            return reply(rss[0], rss[1], "application/rss+xml; charset=utf-8")
        return reply(404, {"error": "Not found"})

    return answer


@pytest.mark.parametrize("status", [401, 403])
def test_a_server_refusing_the_api_is_read_through_the_rss_feed(serve, status):
    fetcher, server = serve(closed_server(status=status))
    activity = reading_mastodon.collect(fetcher, "cllr@social.example", datetime(2025, 5, 1, tzinfo=UTC))
    assert server.paths() == ["/api/v1/accounts/lookup", "/robots.txt", "/@cllr.rss"]
    assert activity.source_url == "https://social.example/@cllr.rss"
    assert (activity.followers, activity.following, activity.posts_total, activity.platform_id) == (None,) * 4
    ids = [p.post_id.removeprefix("https://social.example/@cllr/") for p in activity.posts]
    assert ids == ["114656000000000003", "114600000000000002", "114500000000000001"]
    assert {p.kind for p in activity.posts} == {"post"}
    assert activity.posts[0].posted_at == datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
    assert not activity.complete  # every item is in the window: the feed may hold only the newest


def test_an_rss_feed_reaching_back_past_the_window_is_complete(serve):
    fetcher, _ = serve(closed_server())
    activity = reading_mastodon.collect(fetcher, "cllr@social.example", datetime(2025, 5, 20, tzinfo=UTC))
    assert len(activity.posts) == 2
    assert activity.complete


def test_refused_statuses_keep_the_lookups_counters_and_take_posts_from_rss(serve):
    account = json.loads((FIXTURES / "mastodon/account.fosstodon.json").read_text(encoding="utf-8"))

    def answer(request):
        if request.url.path == "/api/v1/accounts/lookup":
            return reply(200, account)
        return closed_server()(request)

    fetcher, server = serve(answer)
    activity = reading_mastodon.collect(fetcher, "cllr@social.example", datetime(2025, 5, 1, tzinfo=UTC))
    assert server.paths()[-1] == "/@cllr.rss"
    assert (activity.followers, activity.posts_total) == (1036, 280)
    assert len(activity.posts) == 3 and not activity.complete


def test_a_refused_api_and_a_failing_rss_feed_are_both_named(serve):
    fetcher, _ = serve(closed_server(rss=(404, b"<html>Not found</html>")))
    with pytest.raises(SourceError) as caught:
        reading_mastodon.collect(fetcher, "cllr@social.example", datetime(2025, 5, 1, tzinfo=UTC))
    message = str(caught.value)
    assert not isinstance(caught.value, AccountGone)
    assert "social.example refuses unauthenticated API reads (HTTP 401)" in message
    assert "RSS feed failed: HTTP 404" in message and "/@cllr.rss" in message


def test_an_unknown_account_is_still_gone_without_trying_rss(serve):
    fetcher, server = serve(lambda request: reply(404, {"error": "Record not found"}))
    with pytest.raises(AccountGone):
        reading_mastodon.collect(fetcher, "gone@social.example", datetime(2025, 5, 1, tzinfo=UTC))
    assert server.paths() == ["/api/v1/accounts/lookup"]


# Mastodon: accounts by id, 40 a request (Mastodon 4.3 and later) ---------------------------

ACCOUNT = json.loads((FIXTURES / "mastodon/account.fosstodon.json").read_text(encoding="utf-8"))


def by_id(request: httpx.Request) -> httpx.Response:
    """A 4.3 server holding accounts 1 to 90 (the real account entity, renumbered); others are left out."""
    ids = request.url.params.get_list("id[]")
    if len(ids) > 40:
        return reply(422, {"error": "Too many ids"})
    return reply(200, [dict(ACCOUNT, id=i, username=f"cllr{i}") for i in ids if 1 <= int(i) <= 90])


def test_ninety_accounts_take_three_requests_of_at_most_forty_ids(serve):
    fetcher, server = serve(by_id)
    found = reading_mastodon.get_accounts(fetcher, "fosstodon.org", [str(n) for n in range(1, 96)])
    assert [len(r.url.params.get_list("id[]")) for r in server.requests] == [40, 40, 15]
    assert set(found) == {str(n) for n in range(1, 91)}  # 91 to 95 left out: read one by one
    assert (found["7"].followers, found["7"].posts_total, found["7"].local_id) == (1036, 280, "7")
    assert found["7"].platform_id == ACCOUNT["uri"]


@pytest.mark.parametrize("status", [404, 401])
def test_a_server_without_accounts_by_id_leaves_them_to_be_read_one_by_one(serve, status):
    fetcher, server = serve(lambda request: reply(status, {"error": "Not found"}))
    assert reading_mastodon.get_accounts(fetcher, "old.example", ["1", "2"]) == {}
    assert len(server.requests) == 1  # no second batch to a server that has no such endpoint


def test_a_malformed_account_in_a_batch_is_skipped_not_the_batch(serve):
    fetcher, _ = serve(lambda request: reply(200, [{"id": "1"}, dict(ACCOUNT, id="2")]))
    assert set(reading_mastodon.get_accounts(fetcher, "fosstodon.org", ["1", "2"])) == {"2"}


def test_collect_with_a_profile_from_a_batch_reads_only_the_statuses(serve):
    statuses = json.loads((FIXTURES / "mastodon/account_statuses.fosstodon.json").read_text(encoding="utf-8"))
    fetcher, server = serve(lambda request: reply(200, statuses))
    found = mastodon.parse_account(ACCOUNT)
    activity = reading_mastodon.collect(fetcher, "cllr@fosstodon.org", datetime(2020, 1, 1, tzinfo=UTC), found)
    assert server.paths() == [f"/api/v1/accounts/{ACCOUNT['id']}/statuses"]
    assert activity.followers == 1036 and activity.posts


@pytest.mark.parametrize(
    "platform, call",
    [
        ("bluesky", lambda f: reading_bluesky.get_profiles(f, APPVIEW, [f"cllr{n}.bsky.social" for n in range(100)])),
        ("mastodon", lambda f: reading_mastodon.get_accounts(f, "fosstodon.org", [str(n) for n in range(1, 121)])),
    ],
)
def test_platform_reads_keep_the_platforms_own_pace_not_the_sites_delay(tmp_path, platform, call):
    clock = FakeClock()
    starts = []

    def answer(request):
        starts.append(clock.monotonic())
        return by_id(request) if platform == "mastodon" else reply(200, {"profiles": []})

    settings = Settings(request_delay=5.0, bluesky_delay=0.25, mastodon_delay=1.0, data_dir=tmp_path)
    with Fetcher(settings, httpx.MockTransport(answer), clock=clock) as fetcher:
        call(fetcher)
    pace = {"bluesky": 0.25, "mastodon": 1.0}[platform]
    assert len(starts) >= 3
    assert [round(b - a, 3) for a, b in itertools.pairwise(starts)] == [pace] * (len(starts) - 1)
