"""How sure we are that an account is a councillor's: evidence methods, levels and roles.

Each piece of evidence has a method (how it was found) and a level (how much it proves).
A link's level is the best level among its current (not withdrawn) evidence. Every level
but ``unconfirmed`` counts as confirmed; a name match alone never does. The table is
the published method (docs/metrics.md, "Evidence levels").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Levels, strongest first.
LEVELS = ("council", "verified", "listed", "declared", "unconfirmed")
LEVEL_NAMES = {
    "council": "Confirmed by the council",
    "verified": "Verified both ways",
    "listed": "Listed by the council",
    "declared": "On the councillor's own website",
    "unconfirmed": "Unconfirmed (name match only)",
}
CONFIRMED = frozenset(LEVELS[:-1])
# Links at "listed" or better: a website linked so vouches for the accounts it links to (own_website).
VOUCHING = frozenset(LEVELS[: LEVELS.index("listed") + 1])


@dataclass(frozen=True)
class Method:
    level: str
    label: str  # "how we know", for the councillor's page


METHODS = {
    "council_confirmed": Method("council", "confirmed by the council in a correction"),
    "self_claim": Method("verified", "the account's own profile links to its page in this directory"),
    "rel_me": Method("verified", 'the account\'s profile links to this page, and the page links back (rel="me")'),
    "domain_handle": Method("verified", "the Bluesky handle is on this domain, which the account's owner controls"),
    "council_profile": Method("listed", "linked from the council's profile page"),
    "council_roster": Method("listed", "written in the council's roster entry"),
    "own_website": Method("declared", "linked from the councillor's own website"),
    "name_match": Method("unconfirmed", "only the name matches: not confirmed"),
    # A Mastodon move: the level is the old account's (the move is signed by both accounts).
    "moved_from": Method("listed", "moved here from an account linked before"),
}
# Checks made on the account's own profile at each collection: withdrawn when it stops showing them.
PROFILE_METHODS = ("self_claim", "rel_me", "domain_handle")

ROLES = ("councillor", "campaign", "personal")
ROLE_NAMES = {"councillor": "Councillor", "campaign": "Campaign or party", "personal": "Personal"}
# Roles whose activity is the councillor's own voice: they count towards "active".
COUNTED_ROLES = frozenset({"councillor", "personal"})
# A link's words that say what kind of account it is, checked in order.
_ROLE_WORDS = (
    ("personal", re.compile(r"\bpersonal\b", re.IGNORECASE)),
    ("campaign", re.compile(r"\b(campaigns?|party|branch|association|ward team|constituency)\b", re.IGNORECASE)),
)


def level_of(method: str, inherited: str | None = None) -> str:
    """The level a piece of evidence gives; a move keeps the level of the account it came from."""
    if method == "moved_from" and inherited in LEVELS:
        return inherited
    return METHODS[method].level if method in METHODS else "unconfirmed"


def best(levels: Iterable[str]) -> str | None:
    """The strongest of some levels, or None when there are none."""
    ranks = [LEVELS.index(level) for level in levels if level in LEVELS]
    return LEVELS[min(ranks)] if ranks else None


def confirmed(level: str | None) -> bool:
    return level in CONFIRMED


def role_from_label(label: str) -> str:
    """The role a link's text declares ("My personal account", "Ward Labour Party"); else councillor."""
    for role, words in _ROLE_WORDS:
        if words.search(label or ""):
            return role
    return "councillor"
