"""The site's search index: small JSON shards, one per initial letter of any word.

The browser loads only the shard of the query's first word (``static/site.js``), so a
national directory of ~20,000 councillors costs a visitor one file of a few hundred
kilobytes at most. An entry is ``[name, ward, council, path]``; it sits in the shard of
each letter that starts one of its words.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-case ASCII words, accents dropped: the same rule as the browser's."""
    plain = unicodedata.normalize("NFD", text).encode("ascii", "ignore").decode().lower()
    return _WORD.findall(plain)


def write_search_index(folder: Path, people, councils) -> dict[str, int]:
    """Write ``<letter>.json`` shards into ``folder``; returns entries per shard."""
    entries = []
    for person in people:
        former = " (former)" if person.membership.end_date else ""
        entries.append([person.councillor.name + former, person.membership.ward.name, person.councillor.council.name,
                        f"councillors/{person.councillor.slug}.html"])  # fmt: skip
    for council in councils:
        entries.append([council.name, "", "council", f"councils/{council.code.lower()}.html"])
    shards: dict[str, list] = defaultdict(list)
    for entry in entries:
        for letter in sorted({w[0] if w[0].isalpha() else "0" for w in words(" ".join(entry[:3]))}):
            shards[letter].append(entry)
    for letter, shard in shards.items():
        (folder / f"{letter}.json").write_text(json.dumps(shard, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return {letter: len(shard) for letter, shard in shards.items()}
