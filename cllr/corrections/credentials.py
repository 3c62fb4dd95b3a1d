"""Council credentials: random tokens, shown once, kept only as their SHA-256 digest.

A token reads ``cllr_<prefix>_<secret>``: the prefix names the credential in lists and
logs without revealing it; the secret is 32 random bytes. Only the digest of the whole
token is stored, so a copy of the database gives no usable token. A credential expires
(12 months unless said otherwise) and can be revoked at any time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cllr.corrections.operations import Refused
from models import Council
from models.base import utcnow
from models.corrections import Credential

DEFAULT_DAYS = 365
MAX_DAYS = 5 * 365  # a credential always expires, within five years
TOKEN = re.compile(r"cllr_([0-9a-f]{8})_[A-Za-z0-9_-]{43}")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    session: Session, council_code: str, label: str, *, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> tuple[Credential, str]:
    """A new credential for the council; returns it and the token (the only time the token exists)."""
    council = session.scalar(select(Council).where(Council.code == council_code.upper()))
    if council is None:
        raise LookupError(f"no council with code {council_code!r}")
    if not label.strip():
        raise ValueError("say who holds the credential (--label)")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a credential lasts from 1 to {MAX_DAYS} days, not {days}")
    now = now or utcnow()
    prefix = secrets.token_hex(4)
    token = f"cllr_{prefix}_{secrets.token_urlsafe(32)}"
    credential = Credential(
        council_id=council.id,
        prefix=prefix,
        digest=digest(token),
        label=label.strip(),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(credential)
    session.flush()
    return credential, token


def verify(session: Session, token: str | None, *, now: datetime | None = None) -> Credential:
    """The credential a token belongs to, or :class:`Refused` (401) saying which of unknown, expired or revoked."""
    if not token or not TOKEN.fullmatch(token):
        raise Refused(401, "no valid credential was given")
    credential = session.scalar(select(Credential).where(Credential.digest == digest(token)))
    if credential is None or not hmac.compare_digest(credential.digest, digest(token)):
        raise Refused(401, "the credential is unknown")
    now = now or utcnow()
    if credential.revoked_at is not None:
        raise Refused(401, f"the credential {credential.prefix} was revoked")
    if credential.expires_at <= now:
        raise Refused(401, f"the credential {credential.prefix} expired on {credential.expires_at:%Y-%m-%d}")
    return credential


def revoke(session: Session, prefix: str) -> Credential:
    credential = session.scalar(select(Credential).where(Credential.prefix == prefix))
    if credential is None:
        raise LookupError(f"no credential {prefix!r}")
    if credential.revoked_at is None:
        credential.revoked_at = utcnow()
    return credential
