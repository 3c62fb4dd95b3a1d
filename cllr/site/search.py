"""The site's search index: small JSON shards, one per two-letter start of a word.

An entry is ``[name, ward, council, path]``. A councillor's entry sits in the shard of
each word of their name and ward; a council's in those of its name's words. Words that
name every council ("council", "borough", ...) and one-letter words are not indexed. The
browser (``static/site.js``) loads the shards of the query's words and keeps the entries
matching every word, so a national directory costs a visitor a few small files.
``keys.json`` lists the shards that exist.

Accounts are found by their canonical identity (``cllr.handles``): the part of an account's
key after its platform (``kit@toot.example`` for ``mastodon:kit@toot.example``), lower-cased,
in ``accounts/<hh>.json``, where ``hh`` is the identity's FNV-1a hash modulo 256 as two hex
digits (balanced shards, whatever the platforms). The browser (``static/handles.js``) reads
whatever was typed (a handle, an address, a profile URL, a link to a post) as the
identities it could name, and loads their shards; an entry shows only on an exact match.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

from cllr.site.views import as_written

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


def write_account_index(folder: Path, people) -> dict[str, int]:
    """Write ``accounts/<hh>.json``: every current link of ``people`` (sitting and former) under
    its account's identity. An entry is ``[identity, name, ward, council, path, account as
    written, note]``; the note says when the link is not confirmed or the account is gone."""
    shards: dict[str, list] = defaultdict(list)
    for person in people:
        former = " (former)" if person.membership.end_date else ""
        for view in person.accounts:
            identity = account_identity(view.account.key)
            note = view.gone_note or ("" if view.confirmed else "not confirmed: only the name matches")
            shards[identity_shard(identity)].append(
                [
                    identity,
                    person.councillor.name + former,
                    person.membership.ward.name,
                    person.councillor.council.name,
                    f"councillors/{person.councillor.slug}.html",
                    as_written(view.account.platform, view.account.handle),
                    note,
                ]
            )
    (folder / "accounts").mkdir(parents=True, exist_ok=True)
    for key, shard in shards.items():
        (folder / "accounts" / f"{key}.json").write_text(
            json.dumps(shard, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )
    (folder / "accounts" / "keys.json").write_text(json.dumps(sorted(shards)), encoding="utf-8")
    return {key: len(shard) for key, shard in shards.items()}


def account_identity(key: str) -> str:
    """What identifies an account across platforms' ways of writing it: its key without the platform."""
    return key.split(":", 1)[1].lower()


def identity_shard(identity: str) -> str:
    """The shard of an identity: its 32-bit FNV-1a hash (of its UTF-8 bytes) modulo 256, in hex."""
    h = 0x811C9DC5
    for byte in identity.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{h & 0xFF:02x}"


def shard_key(word: str) -> str:
    """The shard a word's entries go in: its first two characters."""
    return word[:2]
