"""Engines, sessions and schema migrations (Alembic) for SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout for threads.

    ``pool_size``: connections kept for threads; give at least one per thread of a run
    (a thread waiting for SQLite's write lock holds its connection meanwhile).
    """
    pool = {"pool_size": pool_size, "max_overflow": 10}
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **(pool if ":memory:" not in url else {})
        )

        _one_writer(engine)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL keeps the database consistent on a crash; only the last commits before
            # a power loss may roll back (SQLite's "WAL mode" docs), and it saves an fsync per commit.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


# Statements that never take SQLite's write lock. A SAVEPOINT is not one: it may begin the
# transaction, whose first read fixes the snapshot it sees, and a transaction that then writes
# after another has committed is refused at once ("database is locked", SQLITE_BUSY_SNAPSHOT),
# so it waits for its turn before it reads.
_READS = ("SELECT", "PRAGMA", "WITH", "EXPLAIN", "RELEASE", "ROLLBACK")
WRITER_WAIT = 300.0  # seconds a thread waits to write before its unit of work fails


def _one_writer(engine: Engine) -> None:
    """One writing transaction at a time among a process's threads, queued on a lock of ours.

    SQLite lets one connection write at a time and makes the others poll for the lock (the busy
    timeout), with no queue: under a run's many threads, a transaction could lose that race for the
    whole timeout and fail with "database is locked". A transaction takes this lock at its first
    write and gives it back when it commits or rolls back (or its connection goes back to the
    pool); reads never wait for it. Another process (a command run beside a refresh) still waits
    through the busy timeout.
    """
    from sqlalchemy.exc import OperationalError

    writer = _Turn()

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, _cursor, statement, parameters, _context, _executemany):
        if conn.info.get("writing") or statement.lstrip()[:9].upper().startswith(_READS):
            return
        if not writer.acquire(timeout=WRITER_WAIT):
            raise OperationalError(statement, parameters, TimeoutError(f"no turn to write in {WRITER_WAIT:.0f} s"))
        conn.info["writing"] = True

    def _done(info: dict) -> None:
        if info.pop("writing", False):
            writer.release()

    event.listen(engine, "commit", lambda conn: _done(conn.info))
    event.listen(engine, "rollback", lambda conn: _done(conn.info))
    event.listen(engine.pool, "checkin", lambda _dbapi, record: _done(record.info))


class _Turn:
    """A lock its holder may take again (a nested write in the same thread waits for SQLite, as
    before) and that any thread may give back (a connection returned to the pool elsewhere);
    waiters are woken in the order they came."""

    def __init__(self) -> None:
        self._free = threading.Condition()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self, timeout: float) -> bool:
        me = threading.get_ident()
        with self._free:
            if self._owner != me and not self._free.wait_for(lambda: self._owner is None, timeout):
                return False
            self._owner, self._depth = me, self._depth + 1
            return True

    def release(self) -> None:
        with self._free:
            self._depth -= 1
            if self._depth <= 0:
                self._owner, self._depth = None, 0
                self._free.notify()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` through the migration chain."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


class Database:
    """One application database: an engine plus a session factory."""

    def __init__(self, url: str, *, pool_size: int = 5):
        self.url = url
        self.engine = make_engine(url, pool_size)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        upgrade(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
