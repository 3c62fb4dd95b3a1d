"""What a platform is to the system: one row of the platform table (``cllr.platforms.PLATFORMS``).

A row says how the platform's accounts are read, if they are: the collector of one
account's counters and recent posts, the batched profile reader, how many accounts go in
a batch, which politeness slot an account is read through, the API pace it keeps, and
which of the checks and shortcuts of the activity stage apply to it. Platforms whose
activity is not read (no public API) are rows with a name and a label only. How a
platform's handles and profile URLs are recognised is ``cllr.handles`` (one function per
platform in ``cllr/handles/platforms.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol

from cllr.config import Settings
from cllr.http import Fetcher
from scrapers.records import Activity


class Account(NamedTuple):
    """What a collector is given of a stored account."""

    id: int
    key: str  # "platform:identifier" (cllr.handles)
    url: str
    platform_id: str | None = None  # the platform's stable id, once read (a DID, a channel id)
    local_id: str | None = None  # a Mastodon account's id on its server
    feed_url: str | None = None  # a website's feed, once found


@dataclass
class Reading:
    """What one batch's reading shares: the HTTP layer, the settings, and what it notes for its step."""

    fetcher: Fetcher
    settings: Settings
    failures: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # The sum of one of the steps' counts since the start of this month (a paid API's spend).
    this_month: Callable[[str], int] = lambda count: 0


class Collector(Protocol):
    def __call__(self, reading: Reading, account: Account, since: datetime, profile: Activity | None) -> Activity: ...


class ProfileReader(Protocol):
    def __call__(self, reading: Reading, accounts: list[Account]) -> dict[int, Activity | Exception]: ...


def one_slot(key: str) -> str:
    """Every account of the platform is read through one politeness slot (its API's host)."""
    return ""


def always(settings: Settings) -> bool:
    return True


@dataclass(frozen=True)
class Platform:
    name: str  # the stored platform and the keys' prefix ("bluesky")
    label: str  # as people write it ("Bluesky")
    collect: Collector | None = None  # None: its activity is not read
    read_profiles: ProfileReader | None = None  # counters of many accounts a request, before collecting
    batch: int | None = None  # at most this many accounts a batch (else Settings.batch_size)
    slot: Callable[[str], str] = one_slot  # key → the politeness slot it is read through, within the platform
    pace: str | None = None  # the Settings field holding its API's pace (seconds between requests)
    enabled: Callable[[Settings], bool] = always  # whether it can be read with these settings
    posts_read: bool = True  # False: counters only (X bills every post read)
    posts_counted_in_profile: bool = False  # the profile's post count tells whether the feed changed
    profile_confirms: bool = False  # its profile can confirm the councillor both ways (cllr.pipeline.verification)
    links_are_evidence: bool = False  # a website: the accounts it links to are its owner's
    counted: str = ""  # what counts as a post, in plain words (the method page)
    not_measured: str = "no public API"  # why its activity is not read, when it is not

    @property
    def measured(self) -> bool:
        return self.collect is not None
