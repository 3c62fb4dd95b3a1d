"""Stored validators (ETag, Last-Modified) for conditional requests (RFC 9110 §13).

Every scheduled run revalidates what it fetched before: a ``304 Not Modified`` means
the page has not changed, and the pipeline skips re-parsing it. The store is only an
optimisation: deleting it changes request counts, never results. A validator is stored
when its page is fetched, before what the page said is committed, so a run killed in
between would leave a validator for a page whose content was never stored: a resumed
run therefore forgets the validators stored since the interrupted run began
(``forget_since``).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path


class Validators:
    """A small SQLite file of ``url → (etag, last_modified)``; thread-safe."""

    def __init__(self, path: Path | None):
        self._lock = threading.Lock()
        self._path = path
        self._conn: sqlite3.Connection | None = None

    @property
    def _db(self) -> sqlite3.Connection:
        """The store, opened on first use (callers hold the lock)."""
        if self._conn is None:
            if self._path is not None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self._path or ":memory:"), check_same_thread=False)
            # A cache: a write-ahead log without a sync at every commit is safe for it (a crash
            # loses at most the last validators, whose pages are then read in full), and no
            # thread waits on a disk sync for each page it stores.
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            with self._conn:
                self._conn.execute(
                    "CREATE TABLE IF NOT EXISTS validator "
                    "(url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, stored_at REAL)"
                )
                columns = {row[1] for row in self._conn.execute("PRAGMA table_info(validator)")}
                if "stored_at" not in columns:  # a store written before stored_at was kept
                    self._conn.execute("ALTER TABLE validator ADD COLUMN stored_at REAL")
        return self._conn

    def headers(self, url: str) -> dict[str, str]:
        """The conditional headers to send for ``url`` (none if nothing is stored)."""
        with self._lock:
            row = self._db.execute("SELECT etag, last_modified FROM validator WHERE url = ?", (url,)).fetchone()
        if row is None:
            return {}
        headers = {}
        if row[0]:
            headers["If-None-Match"] = row[0]
        if row[1]:
            headers["If-Modified-Since"] = row[1]
        return headers

    def store(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self._lock, self._db as db:
            if etag or last_modified:
                db.execute(
                    "INSERT OR REPLACE INTO validator (url, etag, last_modified, stored_at) VALUES (?, ?, ?, ?)",
                    (url, etag, last_modified, time.time()),
                )
            else:
                db.execute("DELETE FROM validator WHERE url = ?", (url,))

    def forget_since(self, since: float) -> int:
        """Drop the validators stored at or after ``since`` (epoch seconds); returns how many."""
        with self._lock, self._db as db:
            return db.execute("DELETE FROM validator WHERE stored_at >= ?", (since,)).rowcount

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
