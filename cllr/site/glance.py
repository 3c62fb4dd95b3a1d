"""The answer at a glance: one line at the top of a councillor's page that says whether
they are active, where, and when they last posted, before the tables that show how we know.

It counts what the figures count (cllr.site.views): confirmed, live accounts of the
councillor's own; the rest is said only to explain why nothing is counted.
"""

from __future__ import annotations

from datetime import datetime

from cllr.platforms import PLATFORMS, label
from cllr.site.views import PersonView


def at_a_glance(person: PersonView, now: datetime, days: int) -> str:
    """One sentence on the councillor's public activity as of ``now``, over the last ``days`` days."""
    counted = [a for a in person.accounts if a.counted]
    active = [a for a in counted if a.posts_30d > 0]
    if active:
        posts = sum(a.posts_30d for a in active)
        at_least = "" if all(a.metric.complete for a in active) else " or more"
        sentence = f"Active on {_platforms(active)}: {posts}{at_least} {_posts(posts)} in the last {days} days"
        last = person.last_post_at
        return sentence + (f"; last post {_ago(last, now)}." if last else ".")
    if counted:
        measured = [a for a in counted if a.metric is not None and _posts_read(a.account.platform)]
        if not measured:
            return f"A confirmed account on {_platforms(counted)}; we do not measure its activity."
        last = person.last_post_at
        since = f"; last post {_ago(last, now)}" if last else ""
        return f"No posts in the last {days} days on {_platforms(measured)}{since}."
    live = [a for a in person.accounts if a.confirmed and a.live]
    if live:
        return f"Only campaign or party accounts are confirmed ({_platforms(live)}): they are shown, not counted."
    if any(a.confirmed for a in person.accounts):
        return "Every confirmed account they had is gone or has moved; none is counted."
    if person.accounts:
        return "No confirmed account: those below only match the name, and are not counted."
    return "We know of no public account for this councillor."


def _platforms(views) -> str:
    names = list(
        dict.fromkeys("their website" if v.account.platform == "web" else label(v.account.platform) for v in views)
    )
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _posts(n: int) -> str:
    return "post" if n == 1 else "posts"


def _posts_read(platform: str) -> bool:
    known = PLATFORMS.get(platform)
    return bool(known and known.posts_read)


def _ago(moment: datetime, now: datetime) -> str:
    days = (now.date() - moment.date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"
