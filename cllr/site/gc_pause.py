"""Python's cyclic garbage collector, held back while the whole directory is read and rendered.

Loading tens of thousands of rows as objects sets off full collections again and again,
each walking every object the process holds; at national size they took more than half
of ``gather_people``'s time and a quarter of a site build's (docs/benchmarks.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No collection during the block: for reading rows into objects that are all kept.

    What the block leaves behind is collected as usual once it ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def held_aside() -> Iterator[None]:
    """Collections during the block walk only the objects made in it: those that exist
    already (the directory just read, say) are set aside (``gc.freeze``) until it ends.

    For work that makes and drops many objects of its own, such as rendering pages, where
    pausing the collector would let their garbage pile up.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
