"""What a councillor's key posts are: leader, deputy leader, cabinet, mayor or provost, committee
chair, party group leader. The posts are kept as the council writes them (ModernGov's
``keyposts``: "Deputy Leader of the Council and Cabinet Member for Housing", "Depute Provost,
Policy Lead for PPSL"); :func:`roles` reads which kinds of role a post names, for the pages'
"who leads the council", the open data and the leaders' ranking. The rules are tested on real
councils' key posts (tests/test_roles.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The kinds, in the order a council's page lists them.
KINDS = ("leader", "deputy_leader", "cabinet", "civic_head", "deputy_civic_head", "committee_chair", "group_leader")
KIND_NAMES = {
    "leader": "Leader of the council",
    "deputy_leader": "Deputy leader of the council",
    "cabinet": "Cabinet or executive member",
    "civic_head": "Mayor, provost or chair of the council",
    "deputy_civic_head": "Deputy mayor, depute provost or vice-chair of the council",
    "committee_chair": "Committee chair",
    "group_leader": "Party group leader",
}
# The executive: who runs the council (the leaders' ranking).
EXECUTIVE = frozenset({"leader", "deputy_leader", "cabinet"})

_DEPUTY = r"(?:deputy|depute|vice)[- ]?"
_COUNCIL = r"(?:the\s+)?(?:[\w'’&-]+\s+){0,4}?council\b"
_BODY = r"(?:[\w'’&,()-]+\s+){0,12}?(?:committee|board|panel|commission|forum|sub-committee)\b"
_NOT_DEPUTY = r"(?<!deputy )(?<!depute )(?<!vice )(?<!vice-)(?<!assistant )(?<!shadow )"
_RULES = (
    (
        "deputy_leader",
        re.compile(
            rf"\b{_DEPUTY}leader\s+of\s+{_COUNCIL}|\bdeputy\s+council\s+leader\b"
            # "Deputy Leader" as a post of its own, at the start of one or after "and": not a group's
            r"|(?:^|[,.;&]\s*|\band\s+)deputy\s+leader\b(?!\s+of\b)(?!\s*[-–:]\s*[\w' ]*group)"
        ),
    ),
    ("leader", re.compile(rf"(?<![\w-]){_NOT_DEPUTY}leader\s+of\s+{_COUNCIL}|{_NOT_DEPUTY}\bcouncil\s+leader\b")),
    (
        "cabinet",
        re.compile(
            rf"{_NOT_DEPUTY}\bcabinet\s+(?:member|lead|portfolio)\b|\bportfolio\s+holder\b|\bexecutive\s+(?:member|councillor)\b"
            rf"|{_NOT_DEPUTY}\bpolicy\s+lead\b|\bminister\s+for\b|\blead\s+member\s+for\b"
        ),
    ),
    (
        "deputy_civic_head",
        re.compile(
            rf"\b{_DEPUTY}(?:lord\s+)?(?:mayor|provost)\b|\b{_DEPUTY}chair(?:man|person)?\s+of\s+(?:{_COUNCIL}|(?:the\s+)?assembly\b)"
        ),
    ),
    (
        "civic_head",
        re.compile(
            rf"{_NOT_DEPUTY}(?<!deputy lord )(?<!depute lord )\b(?:lord\s+)?(?:mayor|provost)\b(?!\s+of\s+london)|\bsheriff\b|\bcivic\s+head\b"
            rf"|{_NOT_DEPUTY}\bchair(?:man|person)?\s+of\s+(?:{_COUNCIL}|(?:the\s+)?assembly\b)"
        ),
    ),
    (
        "committee_chair",
        re.compile(
            rf"{_NOT_DEPUTY}\bchair(?:man|person)?\s+(?:of\s+)?(?!{_COUNCIL})(?!(?:the\s+)?assembly\b){_BODY}"
            rf"|{_NOT_DEPUTY}\blead\s+member\s+of\s+{_BODY}"
        ),
    ),
    (
        "group_leader",
        re.compile(
            r"(?<!deputy )\bleader\s+of\s+(?:the\s+)?(?:[\w'’&-]+\s+){1,5}?group\b|(?<!deputy )\bleader\s*[-–:]\s*[\w' ]+group\b"
            r"|(?<!deputy )\bgroup\s+leader\b|(?<!deputy )\bleader\s+of\s+the\s+council\s+(?:and|&)\s+(?:the\s+)?[\w ]+group\b"
            r"|(?<!deputy )\bleader\s+of\s+the\s+opposition\b"
        ),
    ),
)
# A directly elected executive mayor (the Mayor of London and the combined authorities' mayors) leads, not chairs.
_EXECUTIVE_MAYOR = re.compile(r"\bmayor\s+of\s+london\b|\belected\s+mayor\b|\bexecutive\s+mayor\b")


def roles(posts: Iterable[str]) -> tuple[str, ...]:
    """The kinds of role the posts name (of :data:`KINDS`, in that order); none for a post that
    names none of them (a vice-chair, a champion, a deputy portfolio)."""
    found = set()
    for post in posts:
        text = " ".join(post.lower().split())
        found |= {kind for kind, rule in _RULES if rule.search(text)}
        if _EXECUTIVE_MAYOR.search(text):
            found.add("leader")
    return tuple(kind for kind in KINDS if kind in found)
