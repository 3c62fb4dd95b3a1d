"""The site's search index: small JSON shards, one per two-letter start of a word.

An entry is ``[name, ward, council, path]``. A councillor's entry sits in the shard of
each word of their name and ward; a council's in those of its name's words. Words that
name every council ("council", "borough", ...) and one-letter words are not indexed. The
browser (``static/site.js``) loads the shards of the query's words and keeps the entries
matching every word, so a national directory costs a visitor a few small files.
``keys.json`` lists the shards that exist.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

_WORD = re.compile(r"[a-z0-9]+")
# Too common to index: they would put most of the directory in one shard.
STOPWORDS = frozenset(
    {
        "council",
        "councils",
        "city",
        "county",
        "borough",
        "district",
        "metropolitan",
        "of",
        "and",
        "the",
        "ward",
        "division",
        "north",
        "south",
        "east",
        "west",
        "central",
        "royal",
        "st",
    }
)


def words(text: str) -> list[str]:
    """Lower-case ASCII words, accents dropped: the same rule as the browser's."""
    plain = unicodedata.normalize("NFD", text).encode("ascii", "ignore").decode().lower()
    return _WORD.findall(plain)


def write_search_index(folder: Path, people, councils) -> dict[str, int]:
    """Write ``<letter>.json`` shards into ``folder``; returns entries per shard."""
    placed: list[tuple[list, str]] = []
    for person in people:
        former = " (former)" if person.membership.end_date else ""
        entry = [
            person.councillor.name + former,
            person.membership.ward.name,
            person.councillor.council.name,
            f"councillors/{person.councillor.slug}.html",
        ]
        placed.append((entry, f"{person.councillor.name} {person.membership.ward.name}"))
    for council in councils:
        placed.append(([council.name, "", "council", f"councils/{council.code.lower()}.html"], council.name))
    shards: dict[str, list] = defaultdict(list)
    for entry, text in placed:
        for key in sorted({shard_key(w) for w in words(text) if len(w) > 1 and w not in STOPWORDS}):
            shards[key].append(entry)
    for key, shard in shards.items():
        (folder / f"{key}.json").write_text(
            json.dumps(shard, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )
    # The shards there are, so that the browser never asks for one that is not.
    (folder / "keys.json").write_text(json.dumps(sorted(shards)), encoding="utf-8")
    return {key: len(shard) for key, shard in shards.items()}


def shard_key(word: str) -> str:
    """The shard a word's entries go in: its first two characters."""
    return word[:2]
