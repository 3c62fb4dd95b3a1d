"""Atom feeds of what changed (cllr/site/changes.py): the whole directory's (``changes.atom``)
and one for each council, ward and councillor (``feeds/``), so that a resident or a local
reporter follows their own area in any feed reader, or by e-mail through a feed-to-e-mail
service: the site stays static, with no server and no sign-up.

Every link in a feed is relative to the site's root, which the feed's ``xml:base`` names:
the site's URL when ``CLLR_SITE_URL`` is set, else the path from the feed back to the root,
so that the feeds work wherever the site is served from. Entry and feed ids never depend
on where the site is served.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from jinja2 import Environment

from cllr.site.changes import Event, Place

ENTRIES = 50  # the newest events in each feed
NATIONAL = Place("changes.atom", "Councillors Online: what changed", "changes.html")
SUBTITLE = (
    "New and departed councillors, party, ward and name changes, and public accounts linked, "
    "renamed, moved or gone, newest first."
)


def write_feeds(
    env: Environment,
    out: Path,
    events: list[Event],
    places: Iterable[Place],
    *,
    site_url: str | None,
    generated_at: datetime,
) -> int:
    """Write the national feed and one for each place in ``places`` (the councils, wards and
    councillors the site has pages for; a place with no events yet gets an empty feed, so
    that its page's link leads somewhere) and each place an event concerns. ``events``:
    newest first. Returns how many feeds were written."""
    by_place: dict[Place, list[Event]] = {place: [] for place in places}
    by_place = defaultdict(list, by_place)
    for event in events:
        for place in event.places:
            if len(by_place[place]) < ENTRIES:
                by_place[place].append(event)
    template = env.get_template("feed.atom")
    written = 0
    for place, entries in [(NATIONAL, events[:ENTRIES]), *by_place.items()]:
        path = out / place.feed
        path.parent.mkdir(parents=True, exist_ok=True)
        depth = place.feed.count("/")
        feed = template.render(
            place=place,
            entries=entries,
            subtitle=SUBTITLE,
            base=f"{site_url.rstrip('/')}/" if site_url else "../" * depth or "./",
            # The newest entry's time, so that a feed with nothing new is byte for byte the same.
            updated=(entries[0].when if entries else generated_at).isoformat(),
        )
        path.write_text(feed, encoding="utf-8")
        written += 1
    return written
