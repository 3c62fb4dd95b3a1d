"""What a site build is made from, as one digest: an unchanged digest means an unchanged site, and the build is skipped."""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cllr import __version__
from models import (
    AccountChange,
    AccountEvidence,
    AccountMetric,
    AccountSuggestion,
    Correction,
    Council,
    CouncilFigure,
    Councillor,
    Disagreement,
    FieldLock,
    FormerName,
    Membership,
    Party,
    Post,
    PostcodeRelease,
    ProfileSnapshot,
    RunStep,
    SocialAccount,
    Ward,
)
from models.base import utcnow

FINGERPRINT = ".build"  # in the built site: what it was built from (see build_site)


# What a build depends on besides the templates: every published table's size and newest
# row, and the council rows themselves (the registry updates them in place).
_FINGERPRINTED = (
    Councillor,
    Membership,
    SocialAccount,
    AccountEvidence,
    AccountChange,
    AccountMetric,
    Post,
    ProfileSnapshot,
    FormerName,
    Party,
    RunStep,
    CouncilFigure,
    Correction,
    FieldLock,
    PostcodeRelease,
)


def build_fingerprint(session: Session, site_url: str | None, contact_url: str | None, *more: str | None) -> str:
    """A digest of what a build would be made from; equal digests make equal sites (the day included, for dates
    shown). ``more``: the other settings the pages show (the intake's address, the controller, the contact)."""
    digest = hashlib.sha256()
    for value in (__version__, site_url, contact_url, *more, utcnow().date().isoformat()):
        digest.update(f"{value}\n".encode())
    templates = Path(str(files("site_templates")))
    for path in sorted(p for p in templates.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(templates).as_posix().encode() + path.read_bytes())
    for model in _FINGERPRINTED:
        count, newest = session.execute(select(func.count(), func.max(model.id)).select_from(model)).one()
        digest.update(f"{model.__tablename__}:{count}:{newest}\n".encode())
    changing = (
        func.max(AccountEvidence.last_checked_at),
        func.max(AccountEvidence.withdrawn_at),
        func.count(AccountEvidence.withdrawn_at),
        func.max(SocialAccount.last_checked_at),
    )
    digest.update(repr(session.execute(select(*changing[:3])).one()).encode())
    digest.update(repr(session.execute(select(changing[3])).one()).encode())
    # What the data-quality report shows waiting: open suggestions, disagreements and corrections change status in place.
    for model, moved in (
        (AccountSuggestion, AccountSuggestion.last_seen_at),
        (Disagreement, Disagreement.last_seen_at),
        (Correction, Correction.decided_at),
    ):
        digest.update(
            repr(
                session.execute(
                    select(model.status, func.count(), func.max(moved)).group_by(model.status).order_by(model.status)
                ).all()
            ).encode()
        )
    for council in session.scalars(select(Council).order_by(Council.id)):
        digest.update(
            repr(
                (
                    council.code,
                    council.name,
                    council.nation,
                    council.seats,
                    council.roster_url,
                    council.council_type,
                    council.disabled,
                    council.fictional,
                    council.gss,
                )
            ).encode()
        )
    digest.update(
        repr(session.execute(select(Ward.id, Ward.gss).where(Ward.gss.is_not(None)).order_by(Ward.id)).all()).encode()
    )
    return digest.hexdigest()
