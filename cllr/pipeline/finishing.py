"""Stage 7, the site: rendered from the database at the end of the run."""

from __future__ import annotations

import logging

from cllr.pipeline.context import Context, Outcome, record_step
from models.base import utcnow

log = logging.getLogger("cllr")


def render_site(ctx: Context, run_id: int) -> Outcome:
    from cllr.site.build import build_site  # Jinja2 is only needed here

    started = utcnow()
    with ctx.db.session() as session:
        build = build_site(
            session,
            ctx.settings.output_dir,
            site_url=ctx.settings.site_url,
            contact_url=ctx.settings.contact_url,
            intake_url=ctx.settings.intake_url,
            controller=ctx.settings.controller,
            privacy_contact=ctx.settings.privacy_contact,
        )
    counts = {"pages": build.pages}
    if build.renderer_private_mb is not None:  # the forked renderer's own memory, for the peak (docs/benchmarks.md)
        counts["renderer_mb"] = round(build.renderer_private_mb)
    outcome = Outcome("site", str(ctx.settings.output_dir), "done", counts=counts)
    return record_step(ctx, run_id, outcome, started_at=started)
