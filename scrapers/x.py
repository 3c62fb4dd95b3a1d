"""X's API v2 users lookup parsed (reading it, within the operator's spend cap: ``cllr.platforms.x``)."""

from __future__ import annotations

import re

from .records import Activity, SourceError

API = "https://api.x.com"
USER_FIELDS = "public_metrics,created_at,verified,url"
BATCH = 100  # /2/users/by takes up to 100 usernames
# USD per user read, docs.x.com pay-per-usage pricing (x-api/getting-started/pricing): "User: Read $0.010 per user".
# X does not bill a user read twice in one UTC day, so charging every username sent is an upper bound.
PRICE_PER_USER_READ = 0.010
_USERNAME = re.compile(r"[a-z0-9_]{1,15}")  # X's rule; one bad name fails the whole batch with a 400


def parse_users(data: dict) -> tuple[dict[str, Activity], dict[str, str]]:
    """Read a ``/2/users/by`` response: accounts by lowercased username, and the usernames X
    reports as not found or suspended, with X's reason. Counters missing from it stay None."""
    if not isinstance(data, dict) or not (isinstance(data.get("data"), list) or isinstance(data.get("errors"), list)):
        raise SourceError("not an X users response: no data or errors list")
    found = {}
    for user in data.get("data") if isinstance(data.get("data"), list) else []:
        if not isinstance(user, dict) or not user.get("id") or not isinstance(user.get("username"), str):
            continue
        metrics = user.get("public_metrics") if isinstance(user.get("public_metrics"), dict) else {}
        name = user["username"].lower()
        found[name] = Activity(
            source_url="",
            platform_id=str(user["id"]),
            handle=name,
            followers=metrics.get("followers_count"),
            following=metrics.get("following_count"),
            posts_total=metrics.get("tweet_count"),  # includes reposts
            complete=False,
        )
    gone = {}
    for error in data.get("errors") if isinstance(data.get("errors"), list) else []:
        if not isinstance(error, dict) or not (
            error.get("parameter") == "usernames" or error.get("resource_type") == "user"
        ):
            continue  # an error about something else (a field, the request)
        name = error.get("value") or error.get("resource_id")
        if isinstance(name, str) and name:
            gone[name.lower()] = str(error.get("detail") or error.get("title") or "X reports no such user")
    return found, gone
