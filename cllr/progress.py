"""Feedback while long commands work: Rich progress bars on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import threading

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class Reporter:
    """Counts work done per stage; safe to call from worker threads."""

    def __init__(self, interactive: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self._lock = threading.Lock()
        self._tasks: dict[str, tuple[int, int]] = {}  # stage -> (task id, total)
        self._done: dict[str, int] = {}
        self._progress: Progress | None = None
        if self.interactive:
            self._progress = Progress(
                TextColumn("{task.description:<22}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=False,
            )

    def __enter__(self) -> Reporter:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress:
            self._progress.stop()

    def stage(self, name: str, total: int) -> None:
        with self._lock:
            self._done[name] = 0
            if self._progress:
                self._tasks[name] = (self._progress.add_task(name, total=total), total)
            else:
                self._tasks[name] = (0, total)
                self._line(f"{name}: starting, {total} to do")

    def more(self, name: str, count: int) -> None:
        """Add work to a stage already started (accounts found while councils are still being scraped)."""
        with self._lock:
            if name not in self._tasks or not count:
                return
            task_id, total = self._tasks[name]
            self._tasks[name] = (task_id, total + count)
            if self._progress:
                self._progress.update(task_id, total=total + count)

    def advance(self, name: str, note: str = "", amount: int = 1) -> None:
        with self._lock:
            if name not in self._tasks:
                return
            before = self._done[name]
            self._done[name] += amount
            task_id, total = self._tasks[name]
            if self._progress:
                self._progress.advance(task_id, amount)
            else:
                done, step = self._done[name], max(1, total // 10)
                if done == total or done // step > before // step or note:
                    self._line(f"{name}: {done}/{total} done" + (f" ({note})" if note else ""))

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


class _Silent(Reporter):
    def __init__(self):
        super().__init__(interactive=False)

    def stage(self, name, total):
        pass

    def advance(self, name, note="", amount=1):
        pass


SILENT = _Silent()
_current: Reporter = SILENT


def current() -> Reporter:
    return _current


def use(reporter: Reporter) -> None:
    global _current
    _current = reporter
