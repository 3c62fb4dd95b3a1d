"""Corrections approved since the last run, applied at the start of each run (docs/corrections.md)."""

from __future__ import annotations

import logging

from cllr.corrections.operations import apply_approved, purge_addresses
from cllr.pipeline.context import Context, Outcome, record_step

log = logging.getLogger("cllr")


def apply_corrections(ctx: Context, run_id: int) -> Outcome:
    """Apply the corrections approved since the last run (docs/corrections.md); each locks its field.
    Also clears audit addresses past their 90 days."""
    with ctx.db.session() as session:
        applied, problems = apply_approved(session, actor=f"run {run_id}")
        cleared = purge_addresses(session)
    outcome = Outcome(
        "corrections",
        "approved corrections",
        "done",
        reason="; ".join(problems) or None,
        counts={"applied": applied, "not_applied": len(problems), "addresses_cleared": cleared},
    )
    return record_step(ctx, run_id, outcome)
