"""Follow your councillors: one Bluesky list per council of its councillors' confirmed Bluesky
accounts, published from the operator's own Bluesky account and kept in step at every run.

Only with the operator's credentials (``CLLR_BLUESKY_IDENTIFIER`` and an app password in
``CLLR_BLUESKY_APP_PASSWORD``); without them nothing is published. Writes go to the
account's PDS (``CLLR_BLUESKY_PDS``) through the one HTTP layer (``Fetcher.post``): a session
(``com.atproto.server.createSession``), the account's own records read back
(``com.atproto.repo.listRecords``), and changes made in batches (``com.atproto.repo.applyWrites``).

Reconciled, never replayed: each run reads the lists and list items the account holds,
works out what to add and remove (:func:`plan`, a pure function), and writes only that. A
list is ours when its description ends with its council's marker (:func:`marker`); anything
else on the account is never touched. A write that failed is redone by the next run, and a
duplicate item is removed by it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cllr.http import Fetcher

LIST = "app.bsky.graph.list"
ITEM = "app.bsky.graph.listitem"
WRITES_PER_CALL = 200  # applyWrites' limit on one call
PAGE = 100  # listRecords' largest page
MARKER = re.compile(r"\(council ([A-Za-z0-9]{1,20})\)$")


def marker(code: str) -> str:
    """The end of a list's description that says it is ours, and whose council it is."""
    return f"(council {code})"


@dataclass(frozen=True)
class CouncilList:
    """What a council's list should be: its name, its description and its members' DIDs."""

    code: str
    name: str
    description: str
    members: frozenset[str]


@dataclass
class Plan:
    """The writes that bring the account's lists in step (applyWrites operations)."""

    create_lists: list[CouncilList] = field(default_factory=list)
    update_lists: list[tuple[str, CouncilList]] = field(default_factory=list)  # (rkey, what it should say)
    add: list[tuple[str, str]] = field(default_factory=list)  # (list URI, member DID)
    remove: list[str] = field(default_factory=list)  # rkeys of list items

    @property
    def writes(self) -> int:
        return len(self.create_lists) + len(self.update_lists) + len(self.add) + len(self.remove)


def plan(wanted: Iterable[CouncilList], lists: list[dict], items: list[dict]) -> Plan:
    """From what should be (``wanted``) and what the account holds (its list and list-item
    records, as listRecords gives them), the writes to make. Lists that are not ours are left
    alone; a list of ours whose council is no longer wanted keeps its items (an operator may
    delete it); an item twice in one list is removed once."""
    ours: dict[str, dict] = {}
    for record in lists:
        found = MARKER.search(record["value"].get("description") or "")
        if found and found.group(1) not in ours:
            ours[found.group(1)] = record
    held: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))  # list URI → DID → item rkeys
    for record in items:
        held[record["value"]["list"]][record["value"]["subject"]].append(_rkey(record["uri"]))
    result = Plan()
    for council in wanted:
        record = ours.get(council.code)
        if record is None:
            result.create_lists.append(council)
            continue
        value = record["value"]
        if (value.get("name"), value.get("description")) != (council.name, council.description):
            result.update_lists.append((_rkey(record["uri"]), council))
        members = held.get(record["uri"], {})
        result.add += [(record["uri"], did) for did in sorted(council.members - set(members))]
        for did, rkeys in sorted(members.items()):
            keep = 1 if did in council.members else 0
            result.remove += sorted(rkeys)[keep:]
    return result


class Publisher:
    """The operator's Bluesky account on its PDS, through the one HTTP layer."""

    def __init__(self, fetcher: Fetcher, pds: str, identifier: str, password: str, pace: float = 0.25) -> None:
        self.fetcher, self.pds, self.pace = fetcher, pds.rstrip("/"), pace
        session = self._call("com.atproto.server.createSession", {"identifier": identifier, "password": password})
        self.did, self._auth = session["did"], {"Authorization": f"Bearer {session['accessJwt']}"}

    def records(self, collection: str) -> list[dict]:
        """Every record of ``collection`` in the account's repository, page by page."""
        records, cursor = [], None
        while True:
            params = {"repo": self.did, "collection": collection, "limit": PAGE} | (
                {"cursor": cursor} if cursor else {}
            )
            page = self.fetcher.get(
                f"{self.pds}/xrpc/com.atproto.repo.listRecords",
                params=params,
                headers=self._auth,
                robots=False,
                pace=self.pace,
            ).json()
            records += page.get("records", [])
            cursor = page.get("cursor")
            if not cursor or not page.get("records"):
                return records

    def apply(self, steps: Plan, now: datetime | None = None) -> int:
        """Make the writes of ``steps``: the new lists first (their items need their URIs), then
        the rest in batches. Returns how many writes were made."""
        stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        uris = {}
        for council in steps.create_lists:
            made = self._write([_list_write("create", council, stamp)])
            uris[council.code] = made[0]["uri"]
        writes = [_list_write("update", council, stamp, rkey) for rkey, council in steps.update_lists]
        adds = steps.add + [(uris[c.code], did) for c in steps.create_lists for did in sorted(c.members)]
        writes += [
            {"$type": "com.atproto.repo.applyWrites#create", "collection": ITEM, "value": _item(uri, did, stamp)}
            for uri, did in adds
        ]
        writes += [
            {"$type": "com.atproto.repo.applyWrites#delete", "collection": ITEM, "rkey": rkey} for rkey in steps.remove
        ]
        for start in range(0, len(writes), WRITES_PER_CALL):
            self._write(writes[start : start + WRITES_PER_CALL])
        return len(steps.create_lists) + len(writes)

    def _write(self, writes: list[dict]) -> list[dict]:
        answer = self._call("com.atproto.repo.applyWrites", {"repo": self.did, "writes": writes}, auth=True)
        return answer.get("results", [])

    def _call(self, method: str, body: dict, auth: bool = False) -> dict:
        headers = self._auth if auth else None
        return self.fetcher.post(f"{self.pds}/xrpc/{method}", body, headers=headers, pace=self.pace).json()


def _list_write(kind: str, council: CouncilList, stamp: str, rkey: str | None = None) -> dict:
    value = {
        "$type": LIST,
        "purpose": "app.bsky.graph.defs#curatelist",
        "name": council.name,
        "description": council.description,
        "createdAt": stamp,
    }
    write = {"$type": f"com.atproto.repo.applyWrites#{kind}", "collection": LIST, "value": value}
    return write | ({"rkey": rkey} if rkey else {})


def _item(uri: str, did: str, stamp: str) -> dict:
    return {"$type": ITEM, "subject": did, "list": uri, "createdAt": stamp}


def _rkey(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]
