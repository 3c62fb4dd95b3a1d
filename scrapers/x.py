"""X (Twitter) through the paid API v2: profile counters only, and only for an operator who opts in.

Without an operator's bearer token nothing is requested from X and no metrics are shown:
the normalised handle and its link are kept. With a token and a monthly spend cap, accounts
are read in batches with ``GET /2/users/by`` (followers, following and ``tweet_count``, which
includes reposts); the cap is checked before every batch, so a run never spends past it.
Posts are not read (each one is billed) and x.com is never scraped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cllr.http import FetchError, Fetcher

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
        if not isinstance(error, dict) or not (error.get("parameter") == "usernames" or error.get("resource_type") == "user"):
            continue  # an error about something else (a field, the request)
        name = error.get("value") or error.get("resource_id")
        if isinstance(name, str) and name:
            gone[name.lower()] = str(error.get("detail") or error.get("title") or "X reports no such user")
    return found, gone


@dataclass
class Budget:
    """This month's spend cap for X reads, in USD; the caller keeps the month's spend."""

    cap_usd: float
    spent_usd: float = 0.0

    def affords(self, users: int) -> bool:
        return self.spent_usd + users * PRICE_PER_USER_READ <= self.cap_usd + 1e-9

    def charge(self, users: int) -> None:
        self.spent_usd += users * PRICE_PER_USER_READ


def lookup(
    fetcher: Fetcher, token: str, usernames: list[str], budget: Budget, api: str = API
) -> tuple[dict[str, Activity], dict[str, str], list[str]]:
    """Read accounts' counters in batches while ``budget`` affords them.

    Returns (accounts found, usernames gone with the reason, usernames not read because the
    spend cap was reached). A rejected token raises :class:`FetchError`; the token itself is
    never put in a message.
    """
    if not token:
        raise ValueError("no X token: X accounts are kept without metrics")
    names = list(dict.fromkeys(u.strip().lstrip("@").lower() for u in usernames if u and u.strip().lstrip("@")))
    found: dict[str, Activity] = {}
    gone = {n: "not a valid X username" for n in names if not _USERNAME.fullmatch(n)}
    names = [n for n in names if n not in gone]
    url = api.rstrip("/") + "/2/users/by"
    for start in range(0, len(names), BATCH):
        batch = names[start : start + BATCH]
        if not budget.affords(len(batch)):
            return found, gone, names[start:]
        budget.charge(len(batch))  # before sending: a request that fails part-way may still be billed
        params = {"usernames": ",".join(batch), "user.fields": USER_FIELDS}
        try:
            response = fetcher.get(url, params=params, robots=False, headers={"Authorization": f"Bearer {token}"})
        except FetchError as exc:
            if exc.status in (401, 403):
                reason = f"X rejected the operator's token (HTTP {exc.status}): it is invalid or its app may not read users"
                raise FetchError(url, reason, exc.status) from None
            raise
        try:
            payload = response.json()
        except ValueError:
            raise SourceError("X answered a users lookup with something that is not JSON") from None
        users, missing = parse_users(payload)
        for name, activity in users.items():
            activity.source_url = f"https://x.com/{name}"
        found |= users
        gone |= missing
    return found, gone, []
