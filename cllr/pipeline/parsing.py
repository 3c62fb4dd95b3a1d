"""Pages parsed on another core: the pure parsers (bytes to records, ``scrapers/``) run in a small
pool of processes of their own, so that the run's process, which holds the interpreter for its
HTTP and database work, is not also the one parsing every profile page.

``CLLR_PARSE_PROCESSES`` sets the pool's size; 0 parses in the run's own process. The pool starts
on the first page a run parses, its processes are spawned (nothing of the run's state is copied
into them), and a pool that breaks (a process killed) is given up for the rest of the run with a
warning: pages are then parsed in the run's own process, and nothing is lost. A parser's own
error (``SourceError``) comes back as it was raised.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

log = logging.getLogger("cllr")

T = TypeVar("T")


class Parsers:
    """Runs a parser in the pool (or here, with no pool); thread-safe."""

    def __init__(self, processes: int):
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._broken = False
        self._lock = threading.Lock()

    def __call__(self, parser: Callable[..., T], *args) -> T:
        """``parser(*args)``, in one of the pool's processes when there is a pool (``parser`` is a module's function)."""
        pool = self._started()
        if pool is None:
            return parser(*args)
        try:
            return pool.submit(parser, *args).result()
        except BrokenProcessPool:
            with self._lock:
                if not self._broken:
                    log.warning("the parsing processes stopped: pages are parsed in the run's own process from now on")
                self._broken = True
            return parser(*args)

    def _started(self) -> ProcessPoolExecutor | None:
        if not self.processes or self._broken:
            return None
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=self.processes, mp_context=context)
            return self._pool

    def peak_mb(self) -> int:
        """The largest resident size any of the pool's processes reached, in MB (0 with no pool)."""
        with self._lock:
            pool = None if self._broken else self._pool
        if pool is None:
            return 0
        try:
            return max(pool.submit(_peak_mb).result() for _ in range(self.processes))
        except BrokenProcessPool:
            return 0

    def close(self) -> None:
        """Stop the pool's processes (waiting for them: their CPU time is then the run's children's)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _peak_mb() -> int:
    """This process's own peak resident size: Linux's VmHWM, since ``ru_maxrss`` counts the parent's
    memory at the fork before this process's program was loaded."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
