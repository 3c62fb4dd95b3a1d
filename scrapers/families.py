"""CMS families: how to find a council's roster from its registry URL, and how to parse it.

A family is data plus two functions; a council names its family in the registry
(``cms``), so adding a council on a known CMS needs no code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import cmis, moderngov
from .records import Roster


@dataclass(frozen=True)
class Family:
    name: str
    roster_url: Callable[[str], str]  # registry URL → the roster's URL
    parse: Callable[[bytes, str, str], Roster]  # (body, registry URL, fetched URL) → roster
    accept: str


FAMILIES = {
    "moderngov": Family(
        "moderngov",
        moderngov.roster_url,
        lambda content, base, _url: moderngov.parse_councillors_by_ward(content, base),
        "text/xml",
    ),
    "cmis": Family(
        "cmis",
        lambda base: base,
        lambda content, _base, url: cmis.parse_person_blocks(content, url),
        "text/html",
    ),
}
