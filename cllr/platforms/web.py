"""Blogs and personal sites: RSS/Atom autodiscovery and feed entries (parsed by feedparser).

Feeds hold only their newest items (often 10 to 20), so a collection whose oldest item
is still inside the window is marked incomplete: its counts are lower bounds.
"""

from __future__ import annotations

from datetime import datetime

from cllr.http import Fetcher
from cllr.platforms.platform import Account, Platform, Reading
from scrapers.feeds import discover_feed, parse_feed, parse_site_links
from scrapers.records import Activity, SourceError

# Every blog is a site of its own: short batches let many run side by side.
BATCH = 10


def collect(fetcher: Fetcher, site_url: str, since: datetime, feed_url: str | None = None) -> Activity:
    """Read the site's page (for its feed and the accounts it links to) and its feed's entries from ``since`` on.

    The page is revalidated: unchanged since the last run (304), the stored feed is read
    and ``site_links`` stays None (the links it showed still hold).
    """
    page = fetcher.get(site_url, accept="text/html", conditional=True)
    site_links = None
    if not page.not_modified:
        feed_url = discover_feed(page.content, page.url) or feed_url
        site_links = parse_site_links(page.content, page.url)
    if feed_url is None:
        raise SourceError(f"{site_url} advertises no RSS or Atom feed")
    feed = fetcher.get(feed_url)
    posts = parse_feed(feed.content)
    return Activity(
        source_url=feed.url,
        posts=[p for p in posts if p.posted_at >= since],
        complete=any(p.posted_at < since for p in posts),
        feed_url=feed_url,
        site_links=site_links,
    )


def collect_account(reading: Reading, account: Account, since: datetime, profile: Activity | None) -> Activity:
    return collect(reading.fetcher, account.url, since, account.feed_url)


PLATFORM = Platform(
    "web",
    "Website",
    collect=collect_account,
    batch=BATCH,
    links_are_evidence=True,
    counted="articles in the site's RSS or Atom feed (feeds hold their newest items only)",
)
