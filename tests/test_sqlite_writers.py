"""SQLite under a run's many threads: writers queue for their turn (models.db._one_writer) instead of
polling for SQLite's lock until it times out, and readers never wait for them."""

from __future__ import annotations

import threading

from sqlalchemy import event, text

from models.db import make_engine


def engine_with_a_short_busy_timeout(path):
    engine = make_engine(f"sqlite:///{path}", pool_size=12)

    @event.listens_for(engine, "connect")
    def _short(dbapi_connection, _record):  # SQLite's own polling gives up after 20 ms
        dbapi_connection.execute("PRAGMA busy_timeout = 20")

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE row (thread INTEGER, n INTEGER)"))
    return engine


def test_many_threads_writing_long_transactions_all_get_their_turn(tmp_path):
    engine = engine_with_a_short_busy_timeout(tmp_path / "w.sqlite3")
    errors: list[BaseException] = []
    holding = threading.Event()

    def writer(thread: int) -> None:
        try:
            for n in range(15):
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO row VALUES (:t, :n)"), {"t": thread, "n": n})
                    holding.wait(0.01)  # the write lock held a while, as a busy thread holds it
                    conn.execute(text("SELECT count(*) FROM row")).scalar()
        except BaseException as exc:  # any failure is the test's finding
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []  # without the queue: "database is locked" within the first few transactions
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM row")).scalar() == 8 * 15
    engine.dispose()


def test_a_reader_never_waits_for_a_writers_turn(tmp_path):
    engine = engine_with_a_short_busy_timeout(tmp_path / "r.sqlite3")
    writing, read_done = threading.Event(), threading.Event()

    def writer() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO row VALUES (1, 1)"))
            writing.set()
            read_done.wait(60)  # holds its turn until the reader has read

    def reader() -> None:
        writing.wait(60)
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM row")).scalar()
        read_done.set()

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert read_done.is_set()  # had the read waited for the writer, neither could finish
    engine.dispose()


def test_a_writer_that_rolls_back_gives_its_turn_back(tmp_path):
    engine = engine_with_a_short_busy_timeout(tmp_path / "b.sqlite3")
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO row VALUES (1, 1)"))
            raise RuntimeError("a bug mid-transaction")
    except RuntimeError:
        pass
    done = threading.Event()

    def other_thread_writes() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO row VALUES (2, 1)"))
        done.set()

    thread = threading.Thread(target=other_thread_writes)
    thread.start()
    thread.join(60)
    assert done.is_set()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT thread FROM row")).scalars().all() == [2]
    engine.dispose()


def test_a_savepoint_read_before_its_write_is_not_refused_for_a_write_committed_meanwhile(tmp_path):
    engine = engine_with_a_short_busy_timeout(tmp_path / "s.sqlite3")
    reading, other_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other() -> None:
        reading.wait(10)
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO row VALUES (2, 0)"))
        except BaseException as exc:  # any failure is the test's finding
            errors.append(exc)
        other_done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with engine.begin() as conn:
        savepoint = conn.begin_nested()
        conn.execute(text("SELECT count(*) FROM row")).scalar()  # the snapshot is fixed here
        reading.set()
        other_done.wait(1)  # the other writer commits now, unless this transaction has the turn
        conn.execute(text("INSERT INTO row VALUES (1, 0)"))
        savepoint.commit()
    thread.join(30)
    assert not errors
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT thread FROM row")).scalars()) == [1, 2]
