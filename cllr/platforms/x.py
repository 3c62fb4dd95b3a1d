"""X (Twitter) through the paid API v2: profile counters only, and only for an operator who opts in.

Without an operator's bearer token nothing is requested from X and no metrics are shown:
the normalised handle and its link are kept. With a token and a monthly spend cap, accounts
are read in batches with ``GET /2/users/by`` (followers, following and ``tweet_count``, which
includes reposts); the cap is checked before every batch, so a run never spends past it.
Posts are not read (each one is billed) and x.com is never scraped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cllr.config import Settings
from cllr.http import Fetcher, FetchError
from cllr.platforms.platform import Account, Platform, Reading
from scrapers.records import AccountGone, Activity, SourceError
from scrapers.x import _USERNAME, API, BATCH, PRICE_PER_USER_READ, USER_FIELDS, parse_users

# The step count the month's reads are summed from, so the cap holds across runs.
USERS_READ = "x_users_read"


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
                reason = (
                    f"X rejected the operator's token (HTTP {exc.status}): it is invalid or its app may not read users"
                )
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


class NotRead(Exception):
    """An account left unread on purpose (the spend cap): neither a failure nor a change of status."""


def read_profiles(reading: Reading, accounts: list[Account]) -> dict[int, Activity | Exception]:
    """Account id → its X counters (or why not), read in batches of 100 within this month's spend cap.

    Users read are counted in the step (``x_users_read``): the month's spend is summed from
    the ledger, so the cap holds across runs. Posts are never read from X (each is billed).
    """
    if not accounts:
        return {}
    settings = reading.settings
    spent = reading.this_month(USERS_READ) * PRICE_PER_USER_READ
    budget = Budget(settings.x_monthly_cap_usd, spent)
    names = {account.id: account.key.removeprefix("twitter:") for account in accounts}
    try:
        found, gone, _unread = lookup(
            reading.fetcher, settings.x_bearer_token.get_secret_value(), list(names.values()), budget, settings.x_api
        )
    except (FetchError, SourceError) as exc:
        return dict.fromkeys(names, exc)
    finally:
        reading.counts[USERS_READ] = round((budget.spent_usd - spent) / PRICE_PER_USER_READ)
    cap = NotRead(f"this month's X spend cap (${settings.x_monthly_cap_usd:.2f}) is reached")
    return {
        account_id: found.get(name) or (AccountGone(gone[name]) if name in gone else cap)
        for account_id, name in names.items()
    }


def collect_account(
    reading: Reading, account: Account, since: datetime, profile: Activity | Exception | None
) -> Activity:
    """Counters only, read in the batch by :func:`read_profiles`."""
    if isinstance(profile, Exception):
        raise profile
    if profile is None:
        raise SourceError("X did not answer for this account")
    return profile


def enabled(settings: Settings) -> bool:
    return settings.x_enabled


PLATFORM = Platform(
    "twitter",
    "X",
    collect=collect_account,
    read_profiles=read_profiles,
    batch=BATCH,
    enabled=enabled,
    posts_read=False,
    counted="posts not read (each X post read is billed); followers only",
    not_measured="X's API needs a paid token",
)
