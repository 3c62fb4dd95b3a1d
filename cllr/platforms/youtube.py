"""YouTube channels through their public Atom feed (no API key): the newest uploads, no counters.

The feed ``https://www.youtube.com/feeds/videos.xml?channel_id=UC…`` lists a channel's
15 newest uploads, so a collection whose oldest entry is still inside the window is
marked incomplete: its counts are lower bounds. Subscriber and view totals need the Data
API and a key, so ``followers`` and ``posts_total`` stay None.

Only channel ids (``UC`` + 22 characters) work reliably in the feed. A legacy
``youtube:user:`` name still has its own ``?user=`` feed; ``@handle`` and ``/c/`` custom
names are resolved once, by reading the channel id off the channel page, and the caller
stores it (``Activity.platform_id``) to pass back next time.

The channel page is a web page and obeys robots.txt; the feed is published for feed
readers and is fetched like a platform API. A 404 of the channel page means the channel
is gone. A failing feed never does: the endpoint intermittently answers 404 or 500 for
valid channels, so its errors are raised as they are, to be retried on a later run.
Quirk: the feed-level ``<yt:channelId>`` and ``<id>`` omit the ``UC`` prefix; the
entries' ``<yt:channelId>`` and the feed's links carry the full id.
"""

from __future__ import annotations

from datetime import datetime

from cllr.http import Fetcher, FetchError
from cllr.platforms.platform import Account, Platform, Reading
from scrapers.records import AccountGone, Activity
from scrapers.youtube import FEED_SIZE, SITE, feed_url, parse_channel_page, parse_videos_feed


def collect(
    fetcher: Fetcher, key: str, url: str, channel_id: str | None, since: datetime, site: str = SITE
) -> Activity:
    """Resolve the channel id if needed (from the channel page ``url``), then read the uploads from ``since`` on."""
    feed = feed_url(key, channel_id, site)
    if feed is None:
        try:
            page = fetcher.get(url, accept="text/html")  # a web page: robots.txt applies
        except FetchError as exc:
            if exc.status in (404, 410):
                raise AccountGone(f"YouTube has no channel at {url}") from None
            raise
        channel_id = parse_channel_page(page.content)
        feed = feed_url(key, channel_id, site)
    # Feed errors (404 and 500 included) are raised as they are, never as AccountGone: the endpoint
    # intermittently fails for valid channels, and one failure must not mark a channel dead.
    response = fetcher.get(feed, robots=False)
    feed_channel, posts = parse_videos_feed(response.content)
    return Activity(
        source_url=response.url,
        platform_id=channel_id or feed_channel,
        posts=[p for p in posts if p.posted_at >= since],
        complete=len(posts) < FEED_SIZE or any(p.posted_at < since for p in posts),
        feed_url=feed,
    )


def collect_account(reading: Reading, account: Account, since: datetime, profile: Activity | None) -> Activity:
    return collect(
        reading.fetcher, account.key, account.url, account.platform_id, since, reading.settings.youtube_feeds
    )


PLATFORM = Platform(
    "youtube", "YouTube", collect=collect_account, counted="videos uploaded (the feed holds the newest 15)"
)
