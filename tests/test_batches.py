"""Account batches are run taking each politeness slot's in turn, the busiest slot first."""

from __future__ import annotations

import pytest

from cllr.pipeline.activity import in_turn


@pytest.mark.parametrize(
    "chains, expected",
    [
        ([], []),
        ([["w1", "w2", "w3"]], ["w1", "w2", "w3"]),
        # blogs (many batches), Bluesky (two), YouTube (one): YouTube's batch is third, not last
        ([["y1"], ["b1", "b2"], ["w1", "w2", "w3"]], ["w1", "b1", "y1", "w2", "b2", "w3"]),
        # slots with as many batches keep their given order
        ([["m1", "m2"], ["b1", "b2"]], ["m1", "b1", "m2", "b2"]),
    ],
)
def test_batches_are_taken_from_each_slot_in_turn_the_busiest_first(chains, expected):
    assert in_turn(chains) == expected
