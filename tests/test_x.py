"""The optional X client: parsing a users lookup, and a lookup run against an in-process fake API."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from cllr.config import Settings
from cllr.http import Fetcher, FetchError
from cllr.platforms.x import Budget, lookup
from scrapers.records import Activity, SourceError
from scrapers.x import BATCH, PRICE_PER_USER_READ, USER_FIELDS, parse_users

from .fakes import Body, FakeClock

FIXTURE = Path(__file__).parent / "fixtures" / "platforms" / "x" / "users_by.json"
TOKEN = "AAAA-fictional-bearer-token-0123456789"


def reply(status: int, payload: dict) -> httpx.Response:
    return httpx.Response(
        status, stream=Body(json.dumps(payload).encode()), headers={"content-type": "application/json"}
    )


class FakeX:
    """Answers ``/2/users/by`` like X: every username found, except those listed as gone."""

    def __init__(self, status: int = 200, gone: tuple[str, ...] = ()):
        self.status, self.gone = status, {g.lower() for g in gone}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return reply(self.status, {"title": "Unauthorized", "status": self.status})
        names = request.url.params["usernames"].split(",")
        data = [
            {
                "id": str(1000 + i),
                "name": n,
                "username": n,
                "public_metrics": {"followers_count": i, "following_count": 1, "tweet_count": 2, "listed_count": 0},
            }
            for i, n in enumerate(names)
            if n.lower() not in self.gone
        ]
        errors = [
            {
                "value": n,
                "detail": f"Could not find user with usernames: [{n}].",
                "title": "Not Found Error",
                "resource_type": "user",
                "parameter": "usernames",
                "resource_id": n,
            }
            for n in names
            if n.lower() in self.gone
        ]
        return reply(200, {"data": data, **({"errors": errors} if errors else {})})

    def usernames(self) -> list[list[str]]:
        return [r.url.params["usernames"].split(",") for r in self.requests]


@pytest.fixture
def fetcher_for(tmp_path):
    made = []

    def make(api: FakeX) -> Fetcher:
        made.append(Fetcher(Settings(request_delay=0, data_dir=tmp_path), httpx.MockTransport(api), clock=FakeClock()))
        return made[-1]

    yield make
    for f in made:
        f.close()


# parse_users ----------------------------------------------------------------------------


def test_parse_users_reads_the_documented_shape_exactly():
    found, _gone = parse_users(json.loads(FIXTURE.read_text()))
    assert found == {
        "fictionalcllra": Activity(
            source_url="",
            platform_id="1000000000000000001",
            handle="fictionalcllra",
            followers=1234,
            following=567,
            posts_total=8910,
            posts=[],
            complete=False,
        ),
        "fict_cllr_b": Activity(
            source_url="",
            platform_id="1000000000000000002",
            handle="fict_cllr_b",
            followers=0,
            following=3,
            posts_total=0,
            posts=[],
            complete=False,
        ),
    }


def test_an_unknown_or_suspended_username_is_gone_with_xs_reason():
    _, gone = parse_users(json.loads(FIXTURE.read_text()))
    assert gone == {
        "fictcllrgone": "Could not find user with usernames: [FictCllrGone].",
        "fictcllrsusp": "User has been suspended: [FictCllrSusp].",
    }


def test_missing_public_metrics_gives_none_counters_not_zero():
    found, _ = parse_users({"data": [{"id": "7", "name": "N", "username": "NoMetrics"}]})
    assert (found["nometrics"].followers, found["nometrics"].following, found["nometrics"].posts_total) == (
        None,
        None,
        None,
    )


def test_extra_and_partial_counters_are_tolerated():
    metrics = {"followers_count": 5, "tweet_count": 9, "like_count": 1, "media_count": 2, "brand_new_count": 3}
    found, _ = parse_users({"data": [{"id": "7", "username": "a", "public_metrics": metrics}]})
    assert (found["a"].followers, found["a"].following, found["a"].posts_total) == (5, None, 9)


def test_malformed_items_and_errors_about_other_things_are_skipped():
    data = {
        "data": ["junk", None, {"username": "noid"}, {"id": "1"}, {"id": "2", "username": "ok"}],
        "errors": [
            "junk",
            {"parameter": "user.fields", "value": "bogus", "detail": "bad field"},
            {"parameter": "usernames"},
        ],
    }
    found, gone = parse_users(data)
    assert list(found) == ["ok"] and gone == {}


@pytest.mark.parametrize("payload", [{}, {"data": {"id": "1", "username": "a"}}, {"title": "Unauthorized"}, [], None])
def test_a_payload_without_data_or_errors_lists_is_a_source_error(payload):
    with pytest.raises(SourceError):
        parse_users(payload)


def test_an_errors_only_payload_is_read():
    found, gone = parse_users(
        {"errors": [{"value": "Nobody", "detail": "Could not find user", "parameter": "usernames"}]}
    )
    assert found == {} and gone == {"nobody": "Could not find user"}


# Budget -----------------------------------------------------------------------------------


def test_budget_affords_up_to_the_cap_and_charges_per_user():
    budget = Budget(cap_usd=1.5)
    assert budget.affords(150) and not budget.affords(151)
    budget.charge(100)
    assert budget.spent_usd == pytest.approx(100 * PRICE_PER_USER_READ)
    assert budget.affords(50) and not budget.affords(51)


# lookup -----------------------------------------------------------------------------------


def test_lookup_sends_the_bearer_token_and_the_user_fields(fetcher_for):
    api = FakeX(gone=("FictCllrGone",))
    found, gone, unread = lookup(fetcher_for(api), TOKEN, ["FictionalCllrA", "FictCllrGone"], Budget(cap_usd=10))
    request = api.requests[0]
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.url.host == "api.x.com" and request.url.path == "/2/users/by"
    assert request.url.params["user.fields"] == USER_FIELDS
    assert found["fictionalcllra"].source_url == "https://x.com/fictionalcllra"
    assert found["fictionalcllra"].handle == "fictionalcllra" and found["fictionalcllra"].platform_id == "1000"
    assert gone == {"fictcllrgone": "Could not find user with usernames: [fictcllrgone]."}
    assert unread == []


def test_250_usernames_go_out_in_3_batches_of_at_most_100(fetcher_for):
    api = FakeX()
    names = [f"cllr{i}" for i in range(250)]
    budget = Budget(cap_usd=100)
    found, gone, unread = lookup(fetcher_for(api), TOKEN, names, budget)
    assert [len(b) for b in api.usernames()] == [100, 100, 50]
    assert all(len(b) <= BATCH for b in api.usernames())
    assert sorted(found) == sorted(names) and gone == {} and unread == []
    assert budget.spent_usd == pytest.approx(250 * PRICE_PER_USER_READ)


def test_a_budget_for_150_users_sends_one_batch_and_leaves_the_rest_unread(fetcher_for):
    api = FakeX()
    names = [f"cllr{i}" for i in range(250)]
    budget = Budget(cap_usd=150 * PRICE_PER_USER_READ)
    found, _gone, unread = lookup(fetcher_for(api), TOKEN, names, budget)
    assert len(api.requests) == 1
    assert sorted(found) == sorted(names[:100]) and unread == names[100:]
    assert budget.spent_usd == pytest.approx(100 * PRICE_PER_USER_READ)


def test_a_spent_budget_sends_nothing(fetcher_for):
    api = FakeX()
    budget = Budget(cap_usd=5, spent_usd=5)
    assert lookup(fetcher_for(api), TOKEN, ["a", "b"], budget) == ({}, {}, ["a", "b"])
    assert api.requests == [] and budget.spent_usd == 5


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_token_is_a_fetch_error_that_never_shows_the_token(fetcher_for, status):
    with pytest.raises(FetchError) as caught:
        lookup(fetcher_for(FakeX(status=status)), TOKEN, ["FictionalCllrA"], Budget(cap_usd=10))
    message = str(caught.value)
    assert "token" in message and "rejected" in message and caught.value.status == status
    assert TOKEN not in message and TOKEN not in caught.value.reason


def test_usernames_are_deduped_case_insensitively(fetcher_for):
    api = FakeX()
    budget = Budget(cap_usd=10)
    found, _, _ = lookup(
        fetcher_for(api), TOKEN, ["FictionalCllrA", "fictionalcllra", "@FICTIONALCLLRA", "Other_1"], budget
    )
    assert api.usernames() == [["fictionalcllra", "other_1"]]
    assert sorted(found) == ["fictionalcllra", "other_1"]
    assert budget.spent_usd == pytest.approx(2 * PRICE_PER_USER_READ)


def test_an_impossible_username_is_not_sent_so_it_cannot_fail_its_batch(fetcher_for):
    api = FakeX()
    found, gone, _ = lookup(
        fetcher_for(api), TOKEN, ["good_one", "not a handle", "waytoolongforanxhandle"], Budget(cap_usd=10)
    )
    assert api.usernames() == [["good_one"]]
    assert list(found) == ["good_one"]
    assert set(gone) == {"not a handle", "waytoolongforanxhandle"}


def test_no_token_means_no_request(fetcher_for):
    api = FakeX()
    with pytest.raises(ValueError):
        lookup(fetcher_for(api), "", ["a"], Budget(cap_usd=10))
    assert api.requests == []


# In the pipeline: counters only, within the month's cap, summed from the run ledger -----------------


def test_x_accounts_are_read_only_with_a_token_and_within_the_months_cap(demo_settings, demo_web):
    from sqlalchemy import select

    from cllr.handles import normalise
    from cllr.pipeline import activity, context, registry, rosters
    from models import Councillor, ProfileSnapshot, RunStep, SocialAccount
    from models.links import link_account

    host = "api.x.demo.example"
    demo_web.web.faults[(host, "/2/users/by")] = (200, {"Content-Type": "application/json"}, FIXTURE.read_bytes())
    base = demo_settings.model_copy(
        update={"connect_to": {**demo_settings.connect_to, host: demo_web.address}, "x_api": f"https://{host}"}
    )
    with context.open_context(base) as ctx:  # no token: X accounts are kept, never read
        run_id = context.start_run(ctx, "test")
        rosters.scrape_lane(ctx, registry.load_registry(ctx)[:1], run_id, date(2026, 11, 23))
        with ctx.db.session() as session:
            councillor = session.scalar(select(Councillor).order_by(Councillor.id))
            for name in ("FictionalCllrA", "FictCllrGone"):
                link_account(
                    session,
                    councillor.id,
                    normalise(f"https://x.com/{name}"),
                    method="council_profile",
                    source_url=councillor.profile_url,
                    run_id=run_id,
                )
        assert not any("twitter" in str(b) for b in activity.account_batches(ctx)) and demo_web.web.log.count(host) == 0
        with ctx.db.session() as session:
            x_ids = list(session.scalars(select(SocialAccount.id).where(SocialAccount.platform == "twitter")))
        assert set(x_ids) - {i for b in activity.account_batches(ctx) for i in b} == set(x_ids)

    with_token = base.model_copy(update={"x_bearer_token": SecretStr("operator-token"), "x_monthly_cap_usd": 0.03})
    with context.open_context(with_token) as ctx:
        assert {i for b in activity.account_batches(ctx) for i in b} >= set(x_ids)
        first = activity.collect_activity(ctx, x_ids, context.start_run(ctx, "test"))
        second = activity.collect_activity(ctx, x_ids, context.start_run(ctx, "test"))
        with ctx.db.session() as session:
            read = session.scalar(select(SocialAccount).where(SocialAccount.key == "twitter:fictionalcllra"))
            gone = session.scalar(select(SocialAccount).where(SocialAccount.key == "twitter:fictcllrgone"))
            snapshots = session.scalars(select(ProfileSnapshot).where(ProfileSnapshot.account_id == read.id)).all()
            ledger = [
                s.counts.get("x_users_read")
                for s in session.scalars(select(RunStep).where(RunStep.stage == "activity"))
            ]
    assert (first.counts["accounts"], first.counts["not_found"], first.counts["x_users_read"]) == (1, 1, 2)
    assert (read.platform_id, read.status, gone.status) == ("1000000000000000001", "active", "not_found")
    assert [(s.followers, s.posts_total) for s in snapshots] == [(1234, 8910)]
    # $0.02 of a $0.03 cap spent: the next two users would pass it, so nothing more is read this month.
    assert (second.counts["not_read"], second.counts["x_users_read"], second.status) == (2, 0, "done")
    assert ledger == [2, 0] and demo_web.web.log.count(host) == 1
