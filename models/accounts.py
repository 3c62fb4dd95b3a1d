"""Social accounts, the evidence tying them to councillors, and their measured activity."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Provenance, utcnow
from .directory import Councillor

# The windows an account's posts are counted over (AccountMetric.posts_7d, posts_30d, posts_90d),
# and the one that makes it "active": at least one post in that many days (docs/metrics.md).
WINDOWS = (7, 30, 90)
ACTIVE_DAYS = 30
# Statuses of an account the platform no longer has where we hold it: gone, or moved to another
# account (linked to the same councillors in its place). Listed, marked, and counted nowhere.
GONE = ("not_found", "moved")


class SocialAccount(Provenance, Base):
    """One public account on one platform, keyed by its canonical key (``cllr.handles``).

    ``platform_id`` is the platform's stable id once resolved (Bluesky DID, Mastodon
    account URI, YouTube channel id, X numeric id): handles change, ids do not.
    ``local_id`` is the account's id on its own server (Mastodon), which batched reads
    ask for (``cllr.platforms.mastodon.get_accounts``).
    """

    __tablename__ = "social_account"
    __table_args__ = (Index("ix_social_account_platform_platform_id", "platform", "platform_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20), index=True)
    key: Mapped[str] = mapped_column(String(600), unique=True)
    handle: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(2048))
    platform_id: Mapped[str | None] = mapped_column(String(300))
    local_id: Mapped[str | None] = mapped_column(String(100))
    # councillor (the default), campaign (a campaign, party or ward-team account), personal
    # (a personal account the councillor declares publicly): cllr.evidence.ROLES.
    role: Mapped[str] = mapped_column(String(20), default="councillor")
    status: Mapped[str] = mapped_column(String(20), default="new")  # new|active|moved|not_found|unsupported|error
    feed_url: Mapped[str | None] = mapped_column(String(2048))  # blogs: the discovered RSS/Atom feed
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_checked_at: Mapped[datetime | None]

    evidence: Mapped[list[AccountEvidence]] = relationship(back_populates="account")
    changes: Mapped[list[AccountChange]] = relationship(order_by="AccountChange.id")


class AccountChange(Base):
    """One change to an account seen by a collection: nothing about an account is overwritten unrecorded.

    ``field``: ``handle`` (a rename), ``platform_id``, ``moved_to`` (a Mastodon move; ``new``
    is the new account's key, itself linked to the same councillors) or ``status`` (e.g.
    ``active`` → ``not_found`` when the account vanishes, and back if it returns).
    """

    __tablename__ = "account_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("social_account.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old: Mapped[str | None] = mapped_column(String(600))
    new: Mapped[str | None] = mapped_column(String(600))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    source_url: Mapped[str | None] = mapped_column(String(2048))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"), index=True)


class AccountEvidence(Base):
    """How we know an account belongs to a councillor: one source, one method, one level.

    ``method`` and the ``level`` it gives are listed in ``cllr.evidence`` and
    docs/metrics.md: from ``council_confirmed`` (the council said so in a correction)
    through two-way checks (``self_claim``, ``rel_me``, ``domain_handle``), the council's
    own pages (``council_profile``, ``council_roster``), the councillor's own website
    (``own_website``), to ``name_match``, which is never shown as confirmed.

    ``last_checked_at`` is when the source was last read, ``last_seen_at`` when it last
    showed the link; ``withdrawn_at`` is set when a read source no longer shows it (and
    cleared if it shows it again). Evidence is never deleted.
    """

    __tablename__ = "account_evidence"
    __table_args__ = (UniqueConstraint("councillor_id", "account_id", "method", "source_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    councillor_id: Mapped[int] = mapped_column(ForeignKey("councillor.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("social_account.id"), index=True)
    method: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(20), default="listed")
    source_url: Mapped[str] = mapped_column(String(2048))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_checked_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"), index=True)

    councillor: Mapped[Councillor] = relationship()
    account: Mapped[SocialAccount] = relationship(back_populates="evidence")


class AccountSuggestion(Base):
    """An account discovery proposed but did not link, because it conflicts with what we hold.

    A source that named one account on a platform now naming another, or a weaker source
    naming a different account from a stronger one's, is never applied silently: it waits
    here (``open``) for a reviewer (``cllr suggestions``) to accept or reject it.
    """

    __tablename__ = "account_suggestion"
    __table_args__ = (UniqueConstraint("councillor_id", "key", "method", "source_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    councillor_id: Mapped[int] = mapped_column(ForeignKey("councillor.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(600))
    handle: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(2048))
    role: Mapped[str] = mapped_column(String(20), default="councillor")
    method: Mapped[str] = mapped_column(String(40))
    source_url: Mapped[str] = mapped_column(String(2048))
    reason: Mapped[str] = mapped_column(String(600))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|accepted|rejected
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(600))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"), index=True)

    councillor: Mapped[Councillor] = relationship()


class ProfileSnapshot(Base):
    """The platform's own counters for an account at one moment: a time series."""

    __tablename__ = "profile_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("social_account.id"), index=True)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    followers: Mapped[int | None]
    following: Mapped[int | None]
    posts_total: Mapped[int | None]
    # Whether the posts collected with this snapshot reach back past the activity window.
    # Capped sources (a feed of the 15 newest items) may not: counts are then lower bounds.
    posts_complete: Mapped[bool] = mapped_column(default=True)
    source_url: Mapped[str | None] = mapped_column(String(2048))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"), index=True)


class Post(Base):
    """One post's identity and timing. Post text is never stored."""

    __tablename__ = "post"
    __table_args__ = (
        UniqueConstraint("account_id", "post_id"),
        # Every figure over posts (metrics, the weekly chart) counts an account's posts by time and
        # kind: read from this index alone, in account order, without the table or a sort.
        Index("ix_post_account_id_posted_at", "account_id", "posted_at", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("social_account.id"))
    post_id: Mapped[str] = mapped_column(String(600))  # the platform's id or URI
    posted_at: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))  # post|reply|article|video
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"), index=True)


class AccountMetric(Base):
    """Activity figures for an account as of one day (see docs/metrics.md)."""

    __tablename__ = "account_metric"
    __table_args__ = (UniqueConstraint("account_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("social_account.id"), index=True)
    as_of: Mapped[date]
    posts_7d: Mapped[int] = mapped_column(default=0)
    posts_30d: Mapped[int] = mapped_column(default=0)
    posts_90d: Mapped[int] = mapped_column(default=0)
    replies_30d: Mapped[int] = mapped_column(default=0)
    last_post_at: Mapped[datetime | None]
    followers: Mapped[int | None]
    # Followers now minus followers at the latest snapshot at least 30 days old; None
    # until the account has been followed that long (no change is shown without a base).
    followers_change_30d: Mapped[int | None]
    # False when the source only shows its newest items (a capped feed) and the oldest
    # of them is still inside the window: the 90-day count is then a lower bound.
    complete: Mapped[bool] = mapped_column(default=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id"), index=True)

    account: Mapped[SocialAccount] = relationship()
