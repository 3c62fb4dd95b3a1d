"""Parsed rosters as the plain records that fixtures' ``*.expected.json`` files hold."""

from __future__ import annotations

from scrapers.records import Roster

FIELDS = ("id", "name", "raw_name", "ward", "party", "email", "profile_url", "photo_url")


def records(roster: Roster, fields: tuple[str, ...] = FIELDS) -> list[dict]:
    """Each councillor as a dict of ``fields`` (``id`` is the source id), in roster order."""
    return [{f: (c.source_id if f == "id" else getattr(c, f)) for f in fields} for c in roster.councillors]
