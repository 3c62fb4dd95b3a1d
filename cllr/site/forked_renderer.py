"""A piece of work done in a forked child process while this process goes on with its own.

The site build is pure Python and holds the interpreter lock: threads cannot spread it,
and a fresh interpreter (spawn) would have to import the application again and be sent
the whole directory. A fork starts with the directory already read, shares its memory
copy-on-write, and takes the second core: the child renders the councillor pages while
the parent renders the rest and writes the downloads (docs/benchmarks.md).

The child must not use what it shares with the parent: above all the database
connection, which the parent goes on using (``forbid`` makes any use of it fail). It
reports back through a pipe (its result and the memory it held on its own, or the
exception it raised, raised again in the parent with the child's traceback as a note) and ends with ``os._exit``: no exit handlers, no finalizers,
nothing flushed or closed on the parent's behalf. Where ``os.fork`` does not exist the
work is done in this process instead, before the block.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


class Claims:
    """Items ``0 .. total-1`` handed out in chunks to whichever process asks next, the parent
    or its forked child (the counter lives in shared memory): both keep busy to the end.

    Iterating yields ranges of indexes, each to one process only, until none are left.
    """

    def __init__(self, total: int, chunk: int = 32) -> None:
        self.total, self.chunk = total, chunk
        self._next = multiprocessing.Value("q", 0)

    def __iter__(self) -> Iterator[range]:
        while True:
            with self._next.get_lock():
                start = self._next.value
                self._next.value = min(start + self.chunk, self.total)
            if start >= self.total:
                return
            yield range(start, min(start + self.chunk, self.total))


class HelperFailed(RuntimeError):
    """The child process failed, or ended without a report; its traceback is the message."""


@dataclass
class Helper:
    result: Any = None  # what the work returned (it must pickle)
    private_mb: float | None = None  # memory the child held on its own at its end (Linux), not shared with the parent
    forked: bool = False


@contextmanager
def alongside(work: Callable[[], Any], *, forbid: Callable[[], None] | None = None) -> Iterator[Helper]:
    """Run ``work`` in a forked child during the block; on leaving it, wait for the child.

    The helper's ``result`` is set once the block has ended. What the child raised is
    raised there (or :class:`HelperFailed` when it cannot be sent back or the child died);
    a failure in the block kills the child first.
    ``forbid`` runs in the child before the work, to make shared resources refuse use.
    """
    helper = Helper()
    if not hasattr(os, "fork"):
        helper.result = work()
        yield helper
        return
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        status = 1
        try:
            os.close(read_end)
            try:
                if forbid is not None:
                    forbid()
                report = {"result": work(), "private_mb": _private_mb()}
                status = 0
            except BaseException as exc:  # everything goes back to the parent
                report = {"error": _pickled(exc), "traceback": traceback.format_exc()}
            try:
                message = pickle.dumps(report)
            except Exception:  # a result that does not pickle
                message = pickle.dumps({"error": None, "traceback": traceback.format_exc()})
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(message)
        finally:
            os._exit(status)
    os.close(write_end)
    helper.forked = True
    try:
        yield helper
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_end)
        raise
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    try:
        report = pickle.loads(data)  # from our own child
    except Exception:
        report = {}
    if "traceback" in report:
        error = _unpickled(report["error"]) or HelperFailed(report["traceback"])
        error.add_note(f"In the helper process:\n{report['traceback']}")
        raise error
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or "result" not in report:
        raise HelperFailed(f"the helper process ended without a report (exit status {code})")
    helper.result, helper.private_mb = report["result"], report["private_mb"]


def _pickled(error: BaseException) -> bytes | None:
    try:
        return pickle.dumps(error)
    except Exception:
        return None


def _unpickled(data: bytes | None) -> BaseException | None:
    try:
        error = pickle.loads(data) if data is not None else None
    except Exception:  # an exception class that does not unpickle (required arguments of its own)
        return None
    return error if isinstance(error, BaseException) else None


def _private_mb() -> float | None:
    """This process's private memory (Private_Clean + Private_Dirty, in MB), or None where /proc cannot tell."""
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as fh:
            kb = sum(int(line.split()[1]) for line in fh if line.startswith(("Private_Clean:", "Private_Dirty:")))
    except OSError:
        return None
    return round(kb / 1024, 1)
