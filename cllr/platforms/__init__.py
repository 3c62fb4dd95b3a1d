"""The platform table: every platform an account can be on, one row each (:class:`Platform`).

The activity stage reads accounts through it (which platforms are read, in what batches,
through which politeness slot, with which collector and batched profile reader), and the
site names platforms and says what is measured from it. Adding a platform whose activity
can be read is a module here (its reading, over a pure parser in ``scrapers/``) and its
row below; its handles are recognised by ``cllr.handles``. docs/architecture.md.
"""

from __future__ import annotations

from cllr.config import Settings
from cllr.platforms import bluesky, mastodon, web, x, youtube
from cllr.platforms.platform import Account, Platform, Reading

PLATFORMS: dict[str, Platform] = {
    platform.name: platform
    for platform in (
        x.PLATFORM,
        bluesky.PLATFORM,
        mastodon.PLATFORM,
        Platform("facebook", "Facebook"),
        Platform("instagram", "Instagram"),
        Platform("threads", "Threads"),
        youtube.PLATFORM,
        Platform("linkedin", "LinkedIn"),
        Platform("tiktok", "TikTok"),
        Platform("linktree", "Linktree"),
        web.PLATFORM,
    )
}


def collected(settings: Settings) -> list[Platform]:
    """The platforms whose accounts are read with these settings."""
    return [p for p in PLATFORMS.values() if p.measured and p.enabled(settings)]


def label(name: str) -> str:
    """A platform as people write it ("Bluesky"); an unknown name as it is."""
    platform = PLATFORMS.get(name)
    return platform.label if platform else name


__all__ = ["PLATFORMS", "Account", "Platform", "Reading", "collected", "label"]
