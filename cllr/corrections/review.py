"""Which corrections wait for review: a council speaks for its own councillors only, and in measure.

A council's low-risk operations (``LOW_RISK``: adding and removing accounts) apply without
review, up to ``AUTO_PER_REQUEST`` in one request and ``AUTO_PER_DAY`` a day per credential,
and except an account linked now to another council's councillor; everything else, and
everything the public sends, waits for an operator.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cllr.handles import NotAnAccount, normalise
from models import AccountEvidence, Councillor, SocialAccount
from models.corrections import Correction, Credential

LOW_RISK = frozenset({"add_account", "remove_account"})  # applied without review when a council sends them
AUTO_PER_REQUEST = 25
AUTO_PER_DAY = 200


def auto_left(session: Session, credential: Credential | None, now: datetime) -> int:
    """How many more of a council's low-risk operations may go without review in this request:
    ``AUTO_PER_REQUEST``, and no more than its credential has left of ``AUTO_PER_DAY``."""
    if credential is None:
        return 0
    today = session.scalar(
        select(func.count())
        .select_from(Correction)
        .where(
            Correction.credential_id == credential.id,
            Correction.submitted_at >= now - timedelta(days=1),
            Correction.status != "queued",
        )
    )
    return max(0, min(AUTO_PER_REQUEST, AUTO_PER_DAY - (today or 0)))


def status(session: Session, credential: Credential | None, op, councillor: Councillor, auto_left: int):
    """A new correction's status ("approved": applied without review; "queued": for review) and why
    it waits, when a council's low-risk operation does: past the volume allowed without review, or
    an account already linked to another council's councillor (a council speaks for its own only)."""
    if credential is None or op.op not in LOW_RISK:
        return "queued", None
    if auto_left <= 0:
        return "queued", f"over {AUTO_PER_REQUEST} a request or {AUTO_PER_DAY} a day without review"
    if op.op == "add_account" and _linked_elsewhere(session, op.account, councillor.council_id):
        return "queued", "the account is linked to another council's councillor"
    return "approved", None


def _linked_elsewhere(session: Session, account: str, council_id: int) -> bool:
    """Whether the account is linked now (unwithdrawn evidence) to a councillor of another council."""
    try:
        key = normalise(account).key
    except NotAnAccount:
        return False
    return bool(
        session.scalar(
            select(func.count())
            .select_from(AccountEvidence)
            .join(SocialAccount, SocialAccount.id == AccountEvidence.account_id)
            .join(Councillor, Councillor.id == AccountEvidence.councillor_id)
            .where(
                SocialAccount.key == key,
                AccountEvidence.withdrawn_at.is_(None),
                Councillor.council_id != council_id,
            )
        )
    )
