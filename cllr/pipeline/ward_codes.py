"""Stage 6, ward codes: the rosters' wards given their ONS codes from the postcode directory held, for the postcode finder."""

from __future__ import annotations

import logging

from cllr.pipeline.context import Context, Outcome, record_step
from models.base import utcnow

log = logging.getLogger("cllr")


def match_ward_codes(ctx: Context, run_id: int) -> Outcome:
    """Give the rosters' wards their ONS codes from the postcode directory held (cllr/postcodes/wardcodes.py), for the postcode finder."""
    from cllr.postcodes.wardcodes import match_wards, read_overrides

    started = utcnow()
    overrides, problems = read_overrides(ctx.settings.ward_codes)
    with ctx.db.session() as session:
        matching = match_wards(session, overrides, problems)
    reason = "; ".join(matching.problems[:5]) or None
    outcome = Outcome(
        "wards", "ward codes", "done", reason=reason, counts=matching.counts() if matching.directory else {}
    )
    return record_step(ctx, run_id, outcome, started_at=started)
