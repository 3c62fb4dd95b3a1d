"""Mapping of party labels as councils write them to canonical parties.

The table is data (``data/parties.csv``): each canonical party has exact aliases and
words that, contained in a label, mark a member of its family ("Welsh Labour and
Co-operative Party" is Labour). The exact label is always kept beside the mapping.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cllr.names import tidy

PARTIES_CSV = Path(__file__).parent / "data" / "parties.csv"
# Labels that mean "no party recorded".
NO_PARTY = {"", "none", "non specified", "not specified", "n/a", "na", "unknown", "-", "vacant"}


@dataclass(frozen=True)
class Party:
    key: str
    name: str
    colour: str


def label_key(label: str) -> str:
    """Fold a label for comparison: case, accents, '&', dots, "The ... Party"."""
    text = unicodedata.normalize("NFKD", tidy(label)).encode("ascii", "ignore").decode()
    text = text.lower().replace("&", " and ").replace(".", " ")
    text = re.sub(r"\bu\s+k\b", "uk", text)
    text = re.sub(r"\bukindependence\b", "uk independence", text)
    text = re.sub(r"[^a-z0-9'-]+", " ", text)
    text = re.sub(r"^the\s+", "", " ".join(text.split()))
    return text


@cache
def _table() -> tuple[dict[str, Party], list[tuple[str, Party]], dict[str, Party]]:
    exact: dict[str, Party] = {}
    contains: list[tuple[str, Party]] = []
    by_key: dict[str, Party] = {}
    with PARTIES_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            party = Party(row["key"], row["name"], row["colour"])
            by_key[party.key] = party
            for alias in filter(None, row["aliases"].split("|")):
                exact[label_key(alias)] = party
            for word in filter(None, row["contains"].split("|")):
                contains.append((label_key(word), party))
    return exact, contains, by_key


def canonical_party(label: str | None) -> Party | None:
    """Return the canonical party for a label, or None when no party is recorded.

    Labels that match no known party become a party of their own, keyed by the label.
    """
    key = label_key(label or "")
    if key in NO_PARTY:
        return None
    exact, contains, _ = _table()
    if key in exact:
        return exact[key]
    if key.endswith(" party") and key.removesuffix(" party") in exact:
        return exact[key.removesuffix(" party")]
    for word, party in contains:
        if word in key:
            return party
    return Party("local-" + re.sub(r"[^a-z0-9]+", "-", key).strip("-"), tidy(label), "#888888")


def known_parties() -> list[Party]:
    return list(_table()[2].values())
