"""Mastodon (and Mastodon-API servers), read on the account's home instance without credentials.

Boosts are left out, replies kept and marked. Pages follow the ``Link: rel="next"``
header. An account that has moved is reported with the new account's address.

Servers in whitelist mode or with ``DISALLOW_UNAUTHENTICATED_API_ACCESS`` refuse API reads
(401, or 403). Then the account's public RSS feed (``/@user.rss``) is read instead: it holds
only the newest public posts (about 20), no replies and no boosts. That fallback gives the
posts in the window (all kind "post"), marked incomplete unless the feed reaches back past
the window, so its counts are lower bounds. When the lookup itself was refused there are no
counters and no stable id (None); when only the statuses were, the lookup's counters stand.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from cllr.http import Fetcher, FetchError
from cllr.platforms.platform import Account, Platform, Reading
from scrapers.mastodon import BATCH, MAX_PAGES, REFUSED, next_page, parse_account, parse_rss, parse_statuses
from scrapers.records import AccountGone, Activity, SourceError


def get_accounts(fetcher: Fetcher, domain: str, ids: list[str]) -> dict[str, Activity]:
    """Accounts of one server by their ids there, 40 a request (``GET /api/v1/accounts?id[]=``,
    Mastodon 4.3 and later): id → counters and profile, as a lookup gives them.

    Accounts the server no longer shows are left out, for the caller to read one by one
    (which tells a gone account from a failing server). A server without the endpoint
    (older, 404) or refusing API reads gives an empty result: read them one by one.
    """
    found: dict[str, Activity] = {}
    for start in range(0, len(ids), BATCH):
        try:
            response = _api(fetcher, f"https://{domain}/api/v1/accounts", {"id[]": ids[start : start + BATCH]})
        except FetchError as exc:
            if exc.status in (400, 404, 422, *REFUSED):
                return found
            raise
        data = response.json()
        if not isinstance(data, list):
            raise SourceError(f"{domain}: accounts by id is not a list")
        for item in data:
            try:
                activity = parse_account(item)
            except SourceError:  # one malformed entry: that account is read one by one
                continue
            found[activity.local_id] = activity
    return found


def collect(fetcher: Fetcher, acct: str, since: datetime, profile: Activity | None = None) -> Activity:
    """Fetch ``user@domain``'s counters and posts back to ``since`` from its home instance.

    ``profile``, from :func:`get_accounts`, saves the lookup. A server that refuses
    unauthenticated API reads is read through the account's RSS feed.
    """
    user, _, domain = acct.partition("@")
    base = f"https://{domain}/api/v1/"
    if profile is not None and profile.local_id:
        activity = replace(profile, posts=[])
    else:
        try:
            response = _api(fetcher, base + "accounts/lookup", {"acct": user})
        except FetchError as exc:
            if exc.status in (404, 410):
                raise AccountGone(f"{domain} has no account {user!r}") from None
            if exc.status in REFUSED:
                return collect_rss(fetcher, domain, user, since, exc.status)
            raise
        activity = parse_account(response.json())
        activity.source_url = response.url
    if not activity.local_id:
        raise SourceError(f"{domain}: the account {user!r} has no id")
    url: str | None = f"{base}accounts/{activity.local_id}/statuses?limit=40&exclude_reblogs=true"
    complete = False
    for _ in range(MAX_PAGES):
        try:
            page = _api(fetcher, url)
        except FetchError as exc:
            if exc.status not in REFUSED:
                raise
            # The counters from the lookup stand; the posts come from the feed alone.
            rss = collect_rss(fetcher, domain, user, since, exc.status)
            activity.posts, activity.complete = rss.posts, rss.complete
            return activity
        posts = parse_statuses(page.json())
        activity.posts.extend(p for p in posts if p.posted_at >= since)
        url = next_page(page.headers.get("link"))
        if not url or not posts or any(p.posted_at < since for p in posts):
            complete = True
            break
    activity.complete = complete
    return activity


def collect_rss(fetcher: Fetcher, domain: str, user: str, since: datetime, refused: int) -> Activity:
    """The account's public posts from its RSS feed, for a server that refused the API with HTTP ``refused``."""
    try:
        feed = fetcher.get(f"https://{domain}/@{user}.rss")
        posts = parse_rss(feed.content)
    except (FetchError, SourceError) as exc:
        raise SourceError(
            f"{domain} refuses unauthenticated API reads (HTTP {refused}) and its RSS feed failed: {exc}"
        ) from exc
    return Activity(
        source_url=feed.url,
        posts=[p for p in posts if p.posted_at >= since],
        complete=any(p.posted_at < since for p in posts),
    )


def _api(fetcher: Fetcher, url: str, params: dict | None = None):
    """A read from a server's REST API (no robots.txt), at the pace its rate limit allows (``mastodon_delay``)."""
    return fetcher.get(url, params=params, robots=False, pace=getattr(fetcher.settings, PLATFORM.pace))


def read_profiles(reading: Reading, accounts: list[Account]) -> dict[int, Activity | Exception]:
    """Account id → its profile, read 40 a request from each server for the accounts whose id
    there is known (read before); the rest, and any server that cannot, one by one."""
    by_server: dict[str, dict[str, int]] = {}
    for account in accounts:
        if account.local_id:
            by_server.setdefault(server(account.key), {})[account.local_id] = account.id
    found: dict[int, Activity | Exception] = {}
    for domain, ids in sorted(by_server.items()):
        try:
            profiles = get_accounts(reading.fetcher, domain, sorted(ids))
        except (FetchError, SourceError) as exc:
            reading.failures.append(f"Mastodon profiles in batches from {domain}: {exc}; read one by one")
            continue
        found |= {ids[local_id]: profile for local_id, profile in profiles.items() if local_id in ids}
    return found


def collect_account(reading: Reading, account: Account, since: datetime, profile: Activity | None) -> Activity:
    return collect(reading.fetcher, account.key.removeprefix("mastodon:"), since, profile)


def server(key: str) -> str:
    """The account's home server: each server is a politeness slot of its own."""
    return key.rpartition("@")[2]


PLATFORM = Platform(
    "mastodon",
    "Mastodon",
    collect=collect_account,
    read_profiles=read_profiles,
    batch=BATCH,
    slot=server,
    pace="mastodon_delay",
    posts_counted_in_profile=True,
    profile_confirms=True,
    counted="posts and replies; boosts are not counted (from a server's RSS feed: its public posts only)",
)
