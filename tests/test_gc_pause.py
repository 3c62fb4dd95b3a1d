"""The garbage collector is held back only for the block, and left as it was found."""

from __future__ import annotations

import gc
from contextlib import nullcontext

import pytest

from cllr.site.gc_pause import collector_paused, held_aside


@pytest.fixture
def collector_state():
    enabled = gc.isenabled()
    yield
    gc.enable() if enabled else gc.disable()


@pytest.mark.parametrize("enabled_before", [True, False])
@pytest.mark.parametrize("fails", [False, True])
def test_the_collector_is_off_in_the_block_and_as_it_was_after(collector_state, enabled_before, fails):
    gc.enable() if enabled_before else gc.disable()
    with pytest.raises(RuntimeError) if fails else nullcontext(), collector_paused():
        assert not gc.isenabled()
        if fails:
            raise RuntimeError("in the block")
    assert gc.isenabled() is enabled_before


def test_a_paused_function_runs_with_the_collector_off(collector_state):
    gc.enable()

    @collector_paused()
    def reading() -> bool:
        return gc.isenabled()

    assert reading() is False and gc.isenabled()


def test_objects_made_before_the_block_are_set_aside_until_it_ends(collector_state):
    before = gc.get_freeze_count()
    kept = [[n] for n in range(1000)]  # tracked containers, made before the block
    with pytest.raises(RuntimeError), held_aside():
        assert gc.get_freeze_count() >= before + len(kept)
        raise RuntimeError("in the block")
    assert gc.get_freeze_count() == 0 and kept
