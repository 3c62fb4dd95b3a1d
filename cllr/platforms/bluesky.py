"""Bluesky through the public AppView (no credentials): profile counters and the author feed.

Posts are the account's own records: reposts (feed items with a ``reason``) are left out,
replies are kept and marked. A post's time is ``min(record.createdAt, post.indexedAt)``,
the AppView's own rule, because client clocks can be wrong.

Profiles can be read in batches of 25 (``get_profiles``); ``collect`` then reads only the
author feed. The batch call silently drops unknown and suspended actors, so an actor it
does not answer is collected on its own, and its ``getProfile`` gives the definite answer.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from urllib.parse import urlencode

from cllr.http import Fetcher, FetchError
from cllr.platforms.platform import Account, Platform, Reading
from scrapers.bluesky import BATCH, MAX_PAGES, parse_author_feed, parse_profile
from scrapers.records import AccountGone, Activity, SourceError


def get_profiles(fetcher: Fetcher, appview: str, actors: list[str]) -> dict[str, Activity]:
    """Each requested actor (handle or DID, as given) mapped to its profile, from batched ``getProfiles`` calls.

    The AppView drops unknown and suspended actors and does not promise an order, so
    results are matched by DID or handle, never by position; an actor not answered is
    absent. A malformed profile is skipped; a batch refused as invalid (400) is left out.
    """
    url = appview.rstrip("/") + "/xrpc/app.bsky.actor.getProfiles"
    found: dict[str, Activity] = {}
    for start in range(0, len(actors), BATCH):
        batch = actors[start : start + BATCH]
        try:
            response = _xrpc(fetcher, url, {"actors": batch})
        except FetchError as exc:
            if exc.status == 400:  # a malformed identifier fails its batch; each is then read alone
                continue
            raise
        data = response.json()
        if not isinstance(data, dict) or not isinstance(data.get("profiles"), list):
            raise SourceError("not a Bluesky profile list: no profiles")
        by_key: dict[str, Activity] = {}
        for item in data["profiles"]:
            try:
                activity = parse_profile(item)
            except SourceError:
                continue
            # its own record's address (the batch's names every account in it: an erased one too)
            activity.source_url = f"{url}?{urlencode({'actors': activity.platform_id})}"
            by_key[activity.platform_id.lower()] = by_key[activity.handle] = activity
        for actor in batch:
            if (activity := by_key.get(actor.lower())) is not None:
                found[actor] = activity
    return found


def collect(fetcher: Fetcher, appview: str, actor: str, since: datetime, profile: Activity | None = None) -> Activity:
    """Fetch an account's counters and its posts back to ``since``.

    ``profile``, from :func:`get_profiles`, saves the ``getProfile`` call (it is not changed).
    """
    base = appview.rstrip("/") + "/xrpc/"
    if profile is not None:
        activity = replace(profile, posts=[])
    else:
        try:
            response = _xrpc(fetcher, base + "app.bsky.actor.getProfile", {"actor": actor})
        except FetchError as exc:
            if exc.status in (400, 404):
                raise AccountGone(f"Bluesky has no profile {actor!r}") from None
            raise
        activity = parse_profile(response.json())
        activity.source_url = response.url
    cursor, complete = None, False
    for _ in range(MAX_PAGES):
        params = {"actor": activity.platform_id, "limit": 100, "filter": "posts_with_replies"}
        if cursor:
            params["cursor"] = cursor
        page = _xrpc(fetcher, base + "app.bsky.feed.getAuthorFeed", params)
        posts, cursor = parse_author_feed(page.json(), activity.platform_id)
        activity.posts.extend(p for p in posts if p.posted_at >= since)
        if not cursor or any(p.posted_at < since for p in posts):
            complete = True
            break
    activity.complete = complete
    return activity


def _xrpc(fetcher: Fetcher, url: str, params: dict):
    """A read from the AppView: an API (no robots.txt), at the pace Bluesky asks for (``bluesky_delay``)."""
    return fetcher.get(url, params=params, robots=False, pace=getattr(fetcher.settings, PLATFORM.pace))


def read_profiles(reading: Reading, accounts: list[Account]) -> dict[int, Activity | Exception]:
    """Account id → its profile, read in batches of 25 (``getProfiles``); those missing are read one by one."""
    actors = {account.id: _actor(account) for account in accounts}
    try:
        found = get_profiles(reading.fetcher, reading.settings.bluesky_appview, list(actors.values()))
    except (FetchError, SourceError) as exc:
        reading.failures.append(f"Bluesky profiles in batches: {exc}; read one by one")
        return {}
    return {account_id: found[actor] for account_id, actor in actors.items() if actor in found}


def collect_account(reading: Reading, account: Account, since: datetime, profile: Activity | None) -> Activity:
    return collect(reading.fetcher, reading.settings.bluesky_appview, _actor(account), since, profile)


def _actor(account: Account) -> str:
    """The account's DID once known (it survives a rename), else its handle."""
    return account.platform_id or account.key.removeprefix("bluesky:")


PLATFORM = Platform(
    "bluesky",
    "Bluesky",
    collect=collect_account,
    read_profiles=read_profiles,
    batch=None,
    pace="bluesky_delay",
    posts_counted_in_profile=True,
    profile_confirms=True,
    counted="posts and replies; reposts are not counted",
)
