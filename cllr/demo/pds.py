"""A Bluesky-compatible PDS for the demo and the tests, on the demo web: the XRPC methods the
list publisher uses (cllr/platforms/bluesky_lists.py), over in-memory repositories, answering
as the real PDS documents them (https://docs.bsky.app/docs/api/com-atproto-repo-apply-writes).
The demo publishes its lists here, from a fictional operator account, never to the network.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import defaultdict
from itertools import count

PDS_HOST = "pds.demo.example"
DEMO_OPERATOR = "lists.demo.example"  # the demo's fictional operator account
DEMO_OPERATOR_DID = "did:plc:demooperator0000000000000"
DEMO_APP_PASSWORD = "demo-app1-pass-word"  # fictional, in Bluesky's app-password shape
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as record keys (TIDs) are written

Reply = tuple[int, dict[str, str], bytes]


class DemoPDS:
    """Repositories by DID: collection → record key → record value, in the order written."""

    def __init__(self, accounts: dict[str, tuple[str, str]] | None = None) -> None:
        """``accounts``: identifier (handle) → (DID, app password)."""
        self.accounts = accounts or {DEMO_OPERATOR: (DEMO_OPERATOR_DID, DEMO_APP_PASSWORD)}
        self.repos: dict[str, dict[str, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
        self.sessions: dict[str, str] = {}  # access token → DID
        self.writes = 0  # records created, updated or deleted: what a test counts
        self._keys = count(1)
        self._lock = threading.Lock()

    def get(self, path: str, query: dict[str, str]) -> Reply:
        if path != "/xrpc/com.atproto.repo.listRecords":
            return _error(404, "MethodNotImplemented", path)
        did = self._did(query.get("repo", ""))
        collection, cursor = query.get("collection", ""), query.get("cursor")
        limit = min(max(int(query.get("limit", "50") or 50), 1), 100)
        with self._lock:
            records = sorted(self.repos[did][collection].items()) if did else []
        after = [(rkey, value) for rkey, value in records if cursor is None or rkey > cursor][:limit]
        page = {
            "records": [
                {"uri": _uri(did, collection, rkey), "cid": _cid(value), "value": value} for rkey, value in after
            ]
        }
        if len(after) == limit:
            page["cursor"] = after[-1][0]
        return _json(page)

    def post(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "InvalidRequest", "the body is not JSON")
        if path == "/xrpc/com.atproto.server.createSession":
            return self._session(request)
        token = (headers.get("authorization") or "").removeprefix("Bearer ")
        did = self.sessions.get(token)
        if did is None:
            return _error(401, "AuthenticationRequired", "no valid session")
        if path == "/xrpc/com.atproto.repo.applyWrites":
            return self._apply(did, request)
        return _error(404, "MethodNotImplemented", path)

    def records(self, did: str, collection: str) -> dict[str, dict]:
        """A repository's records of one collection (for tests)."""
        with self._lock:
            return dict(self.repos[did][collection])

    def _session(self, request: dict) -> Reply:
        identifier = request.get("identifier", "")
        did, password = self.accounts.get(identifier) or next(
            ((d, p) for d, p in self.accounts.values() if d == identifier), (None, None)
        )
        if did is None or not secrets.compare_digest(str(request.get("password", "")).encode(), password.encode()):
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        token = secrets.token_urlsafe(24)
        self.sessions[token] = did
        return _json({"did": did, "handle": identifier, "accessJwt": token, "refreshJwt": secrets.token_urlsafe(24)})

    def _apply(self, did: str, request: dict) -> Reply:
        if self._did(request.get("repo", "")) != did:
            return _error(400, "InvalidRequest", "the repo is not the session's")
        writes = request.get("writes") or []
        if len(writes) > 200:
            return _error(400, "InvalidRequest", "too many writes: 200 at most")
        results = []
        with self._lock:
            repo = self.repos[did]
            staged = {collection: dict(records) for collection, records in repo.items()}
            for write in writes:
                kind, collection = write.get("$type", "").rsplit("#", 1)[-1], write.get("collection", "")
                records = staged.setdefault(collection, {})
                rkey = write.get("rkey")
                if kind == "create":
                    value = write.get("value") or {}
                    if value.get("$type") != collection:
                        return _error(400, "InvalidRecord", f"a record of {value.get('$type')!r} in {collection}")
                    rkey = rkey or self._tid()
                    records[rkey] = value
                    results.append(
                        {
                            "$type": "com.atproto.repo.applyWrites#createResult",
                            "uri": _uri(did, collection, rkey),
                            "cid": _cid(value),
                        }
                    )
                elif kind == "update" and rkey in records:
                    records[rkey] = write.get("value") or {}
                    results.append(
                        {
                            "$type": "com.atproto.repo.applyWrites#updateResult",
                            "uri": _uri(did, collection, rkey),
                            "cid": _cid(records[rkey]),
                        }
                    )
                elif kind == "delete" and rkey in records:
                    del records[rkey]
                    results.append({"$type": "com.atproto.repo.applyWrites#deleteResult"})
                else:
                    return _error(400, "InvalidRequest", f"cannot {kind} {collection}/{rkey}")
            for collection, records in staged.items():  # all or nothing, as the PDS applies a commit
                repo[collection] = records
            self.writes += len(writes)
        return _json({"commit": {"cid": "demo", "rev": self._tid()}, "results": results})

    def _did(self, repo: str) -> str | None:
        if repo.startswith("did:"):
            return repo if any(did == repo for did, _ in self.accounts.values()) else None
        account = self.accounts.get(repo)
        return account[0] if account else None

    def _tid(self) -> str:
        n, digits = next(self._keys), []
        for _ in range(13):
            n, digit = divmod(n, 32)
            digits.append(TID_ALPHABET[digit])
        return "".join(reversed(digits))


def _uri(did: str, collection: str, rkey: str) -> str:
    return f"at://{did}/{collection}/{rkey}"


def _cid(value: dict) -> str:
    return "bafydemo" + format(abs(hash(json.dumps(value, sort_keys=True))) % 10**12, "012d")


def _json(document: dict, status: int = 200) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(document).encode()


def _error(status: int, error: str, message: str) -> Reply:
    return _json({"error": error, "message": message}, status)
