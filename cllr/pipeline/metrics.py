"""Activity metrics, computed from stored post times and snapshots (method: docs/metrics.md).

For each account with collected activity: posts in the last 7, 30 and 90 days (every
item the account authored: posts, replies, articles; never reposts or boosts, which are
not stored), replies in the last 30 days, the time of the last post, the latest
follower count and its change since the latest snapshot at least 30 days old. ``complete`` is false when the latest collection could not reach back
90 days (a capped feed), in which case the counts are lower bounds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from cllr.pipeline.context import Context, Outcome, record_step
from cllr.site.gc_pause import collector_paused
from cllr.site.views import record_council_figures
from models import Post, ProfileSnapshot, SocialAccount
from models.accounts import WINDOWS
from models.base import utcnow
from models.store import save_metrics


@collector_paused()
def compute(session: Session, now: datetime, *, run_id: int | None) -> int:
    """Write one metric row per collected account for ``now``'s date; return how many."""
    cutoffs = {days: now - timedelta(days=days) for days in WINDOWS}
    post_counts = {
        row.account_id: row
        for row in session.execute(
            select(
                Post.account_id,
                *(func.sum(case((Post.posted_at >= cutoffs[d], 1), else_=0)).label(f"d{d}") for d in WINDOWS),
                func.sum(case(((Post.posted_at >= cutoffs[30]) & (Post.kind == "reply"), 1), else_=0)).label("r30"),
                func.max(Post.posted_at).label("last"),
            )
            .where(Post.posted_at <= now)
            .group_by(Post.account_id)
        )
    }
    latest = (
        select(ProfileSnapshot.account_id, func.max(ProfileSnapshot.id).label("id"))
        .group_by(ProfileSnapshot.account_id)
        .subquery()
    )
    snapshots = {
        s.account_id: s
        for s in session.scalars(select(ProfileSnapshot).join(latest, ProfileSnapshot.id == latest.c.id))
    }
    base_ids = (
        select(func.max(ProfileSnapshot.id).label("id"))
        .where(ProfileSnapshot.taken_at <= cutoffs[30], ProfileSnapshot.followers.is_not(None))
        .group_by(ProfileSnapshot.account_id)
        .subquery()
    )
    bases = {
        s.account_id: s.followers
        for s in session.scalars(select(ProfileSnapshot).join(base_ids, ProfileSnapshot.id == base_ids.c.id))
    }
    accounts = session.scalars(select(SocialAccount.id).where(SocialAccount.id.in_(list(snapshots))))
    rows = []
    for account_id in accounts:
        row = post_counts.get(account_id)
        snapshot = snapshots[account_id]
        rows.append(
            {
                "account_id": account_id,
                "posts_7d": int(row.d7) if row else 0,
                "posts_30d": int(row.d30) if row else 0,
                "posts_90d": int(row.d90) if row else 0,
                "replies_30d": int(row.r30) if row else 0,
                "last_post_at": row.last if row else None,
                "followers": snapshot.followers,
                "followers_change_30d": (
                    snapshot.followers - bases[account_id]
                    if snapshot.followers is not None and account_id in bases
                    else None
                ),
                "complete": snapshot.posts_complete,
            }
        )
    save_metrics(session, rows, as_of=now.date(), run_id=run_id)
    return len(rows)


def compute_metrics(ctx: Context, run_id: int, as_of: datetime | None = None) -> Outcome:
    started = utcnow()
    now = as_of or started
    with ctx.db.session() as session:
        written = compute(session, now, run_id=run_id)
        session.flush()
        councils = record_council_figures(session, now.date(), run_id=run_id)
    outcome = Outcome("metrics", "all accounts", "done", counts={"accounts": written, "councils": councils})
    return record_step(ctx, run_id, outcome, started_at=started)
