"""Corrections: the typed operations, how they are submitted, reviewed, applied and reverted.

An operation is one of :data:`OPERATIONS`, checked by a closed schema (unknown fields are
refused) and by the same normalisers the scrapers use (accounts by ``cllr.handles``,
names by ``cllr.names``). The council is never read from a submission: it comes from the
credential (or, for the public form, from the councillor), and a council may correct
only its own councillors, current or former.

Review rules: adding or removing an account, from a council credential, is approved at
once and applied at the next run; everything else, and every public suggestion, waits
for an operator (``cllr corrections``). Applying sets the value and locks the field
(``models.corrections.FieldLock``); reverting restores what the correction replaced.
Every step is a row of the append-only audit (``CorrectionEvent``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cllr.corrections import review
from cllr.handles import NotAnAccount, normalise
from cllr.names import clean_name, tidy, ward_key
from cllr.urls import safe_url
from models import AccountEvidence, Councillor, FormerName, Membership, SocialAccount, Ward
from models.base import utcnow
from models.corrections import (
    Correction,
    CorrectionEvent,
    Credential,
    Disagreement,
    FieldLock,
    RefusalTally,
    tally_refusal,
)
from models.links import link_account, link_level
from models.merge import party_for, ward_for

MAX_PER_REQUEST = 100
ADDRESS_DAYS = 90  # the audit keeps a client's address this long (for rate limits and abuse), then clears it


class Refused(Exception):
    """A submission the intake turns away; ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# The operations: a closed set, each a schema. ---------------------------------------------


class _Operation(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    councillor: str = Field(
        min_length=1,
        max_length=120,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="the councillor's slug, as in their page's address",
    )
    evidence_url: str = Field(min_length=1, max_length=2048, description="where the correction can be checked")
    note: str | None = Field(default=None, max_length=2000)

    @field_validator(
        "councillor", "evidence_url", "note", "account", "name", "party", "ward", mode="before", check_fields=False
    )
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
            raise ValueError("contains control characters")
        return value

    @field_validator("evidence_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if safe_url(value) is None:
            raise ValueError("must be an http or https address with a host and no credentials")
        return value

    @field_validator("note")
    @classmethod
    def _plain(cls, value: str | None) -> str | None:
        return tidy(value) or None


class _AccountOperation(_Operation):
    account: str = Field(min_length=1, max_length=2048, description="a handle or profile address")

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        return _canonical_account(value)


class AddAccount(_AccountOperation):
    op: Literal["add_account"]
    role: Literal["councillor", "personal", "campaign"] = "councillor"


class RemoveAccount(_AccountOperation):
    op: Literal["remove_account"]


class SetName(_Operation):
    op: Literal["set_name"]
    name: str = Field(min_length=1, max_length=200)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        name = clean_name(value)
        if not name or any(ch in name for ch in "<>{}\\"):
            raise ValueError("is not a name")
        return name


class SetParty(_Operation):
    op: Literal["set_party"]
    party: str = Field(min_length=1, max_length=200)

    @field_validator("party")
    @classmethod
    def _party(cls, value: str) -> str:
        return tidy(value)


class SetWard(_Operation):
    op: Literal["set_ward"]
    ward: str = Field(min_length=1, max_length=200, description="one of the council's wards, by name")

    @field_validator("ward")
    @classmethod
    def _ward(cls, value: str) -> str:
        return tidy(value)


class MarkLeft(_Operation):
    op: Literal["mark_left"]
    left_on: date

    @field_validator("left_on")
    @classmethod
    def _past(cls, value: date) -> date:
        if value > utcnow().date():
            raise ValueError("is in the future: send it on or after the day they leave")
        return value


Operation = Annotated[AddAccount | RemoveAccount | SetName | SetParty | SetWard | MarkLeft, Field(discriminator="op")]
OPERATIONS = ("add_account", "remove_account", "set_name", "set_party", "set_ward", "mark_left")


class Submission(BaseModel):
    """The JSON body of ``POST /api/v1/corrections``."""

    model_config = ConfigDict(extra="forbid")
    corrections: list[Operation] = Field(min_length=1, max_length=MAX_PER_REQUEST)


OPERATION = TypeAdapter(Operation)
# Each operation's fields, in the order forms and the CSV schema list them.
OPERATION_FIELDS = {
    model.model_fields["op"].annotation.__args__[0]: (
        "op",
        "councillor",
        *(f for f in model.model_fields if f not in ("op", "councillor")),
    )
    for model in (AddAccount, RemoveAccount, SetName, SetParty, SetWard, MarkLeft)
}


def _canonical_account(value: str) -> str:
    """The account's canonical URL; a value naming no account is refused with the normaliser's reason."""
    try:
        handle = normalise(value)
    except NotAnAccount as exc:
        raise ValueError(f"names no account: {exc}") from None
    if handle.needs_lookup:
        raise ValueError("needs the account's full address (a handle alone is ambiguous)")
    return handle.url


def problems(exc: ValidationError) -> list[dict[str, str]]:
    """A validation error as plain records: where, and what is wrong (never the value itself echoed as markup)."""
    out = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"] if part not in OPERATIONS)
        where = "".join(ch if ch.isprintable() else "?" for ch in where)[:200]  # a sender's own field names, made safe
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "is not a field this operation takes"
        out.append({"field": where or "body", "problem": message})
    return out


# Submitting. ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitter:
    """Who sends a submission: a council credential, or the public (no credential)."""

    channel: str  # api|form|csv|public
    address: str | None
    credential: Credential | None = None

    @property
    def council_id(self) -> int | None:
        return self.credential.council_id if self.credential else None

    @property
    def actor(self) -> str:
        return f"council:{self.credential.prefix}" if self.credential else "public"


def submit(session: Session, operations: list[_Operation], who: Submitter) -> list[Correction]:
    """Store the operations as corrections (all, or none), with one audit row each.

    Raises :class:`Refused` (403) when a credential's council does not hold one of the
    councillors, (404) when a councillor is unknown; nothing is stored but a refusal row.
    """
    batch = uuid.uuid4().hex
    targets = []
    for op in operations:
        councillor = session.scalar(select(Councillor).where(Councillor.slug == op.councillor))
        if councillor is None:
            refuse(session, who, 404, f"no councillor {op.councillor!r}")
        if who.credential is not None and councillor.council_id != who.credential.council_id:
            refuse(session, who, 403, f"councillor {op.councillor!r} is not one of this council's")
        if isinstance(op, SetWard) and _find_ward(session, councillor.council_id, op.ward) is None:
            refuse(session, who, 422, f"{op.ward!r} is not one of the council's wards")
        targets.append(councillor)
    corrections = []
    now = utcnow()
    auto_left = review.auto_left(session, who.credential, now)
    for op, councillor in zip(operations, targets, strict=True):
        status, why = review.status(session, who.credential, op, councillor, auto_left)
        auto_left -= status == "approved"
        correction = Correction(
            channel=who.channel,
            credential_id=who.credential.id if who.credential else None,
            council_id=councillor.council_id,
            councillor_id=councillor.id,
            operation=op.op,
            payload=_payload(op),
            evidence_url=op.evidence_url,
            note=op.note,
            batch=batch,
            status=status,
            submitted_at=now,
        )
        session.add(correction)
        session.flush()
        detail = f"{status}{f' ({why})' if why else ''}: {op.note or ''}".rstrip(": ")
        audit(session, "submitted", correction, who=who, batch=batch, detail=detail)
        corrections.append(correction)
    if who.credential is not None:
        who.credential.last_used_at = now
    return corrections


def refuse(session: Session, who: Submitter, status: int, message: str) -> None:
    """Count a refused submission (``refuse_quietly``), then raise :class:`Refused`."""
    exc = Refused(status, message)
    refuse_quietly(session, who, exc)
    raise exc


def refuse_quietly(session: Session, who: Submitter, exc: Refused, *, prefix: str | None = None) -> None:
    """Count a refusal in its hour's tally (the caller answers it, saying why): by channel, status,
    address, the credential if one was known, and ``prefix``, the credential prefix a failed token
    named. Refusals are counted, not kept one audit row each, so a flood of them cannot grow the
    append-only audit (``models.corrections.RefusalTally``)."""
    tally_refusal(
        session,
        channel=who.channel,
        status=exc.status,
        address=who.address,
        prefix=prefix,
        credential_id=who.credential.id if who.credential else None,
    )


def audit(
    session: Session,
    action: str,
    correction: Correction,
    *,
    who: Submitter | None = None,
    actor: str | None = None,
    batch: str | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        CorrectionEvent(
            action=action,
            correction_id=correction.id,
            credential_id=correction.credential_id,
            council_id=correction.council_id,
            channel=correction.channel,
            address=who.address if who else None,
            actor=actor or (who.actor if who else None),
            operation=correction.operation,
            batch=batch,
            before=correction.before,
            after=correction.after if action != "submitted" else correction.payload,
            evidence_url=correction.evidence_url,
            detail=detail,
        )
    )


def _payload(op: _Operation) -> dict[str, Any]:
    return op.model_dump(mode="json", exclude={"councillor", "evidence_url", "note", "op"})


# Review. ----------------------------------------------------------------------------------


def decide(
    session: Session, correction_id: int, *, approve: bool, reviewer: str, note: str | None = None
) -> Correction:
    correction = _get(session, correction_id)
    if correction.status != "queued":
        raise Refused(409, f"correction {correction_id} is {correction.status}, not queued")
    correction.status = "approved" if approve else "rejected"
    correction.decided_at = utcnow()
    correction.reviewer = reviewer
    correction.decision_note = note
    audit(session, correction.status, correction, actor=reviewer, detail=note)
    return correction


def _get(session: Session, correction_id: int) -> Correction:
    correction = session.get(Correction, correction_id)
    if correction is None:
        raise Refused(404, f"no correction {correction_id}")
    return correction


# Applying and reverting. --------------------------------------------------------------------


def apply_approved(session: Session, *, actor: str = "run", now: datetime | None = None) -> tuple[int, list[str]]:
    """Apply every approved correction, oldest first; returns (applied, problems).

    A correction that can no longer apply (its ward is gone, the councillor has no
    current seat to change) stays approved and is reported; it never half-applies.
    """
    now = now or utcnow()
    applied, failed = 0, []
    for correction in session.scalars(
        select(Correction).where(Correction.status == "approved").order_by(Correction.id)
    ):
        try:
            with session.begin_nested():
                apply(session, correction, actor=actor, now=now)
            applied += 1
        except Refused as exc:
            failed.append(f"correction {correction.id}: {exc.message}")
    return applied, failed


def apply(session: Session, correction: Correction, *, actor: str, now: datetime) -> None:
    councillor = session.get(Councillor, correction.councillor_id)
    payload = correction.payload
    op = correction.operation
    if op == "add_account":
        handle = normalise(payload["account"])
        existing = _lock(session, councillor.id, f"account:{handle.key}")
        if existing is not None:
            session.delete(existing)
            session.flush()
        account = session.scalar(select(SocialAccount).where(SocialAccount.key == handle.key))
        correction.before = {"level": link_level(_link_evidence(session, councillor.id, account)) if account else None}
        link_account(
            session,
            councillor.id,
            handle,
            method="council_confirmed",
            source_url=correction.evidence_url,
            run_id=None,
            role=payload["role"],
            now=now,
        )
        account = session.scalar(select(SocialAccount).where(SocialAccount.key == handle.key))
        if account.role != payload["role"]:
            account.role = payload["role"]
        _set_lock(session, councillor.id, f"account:{handle.key}", {"linked": True}, correction)
        correction.after = {"level": "council", "key": handle.key}
    elif op == "remove_account":
        handle = normalise(payload["account"])
        account = session.scalar(select(SocialAccount).where(SocialAccount.key == handle.key))
        evidence = (
            [e for e in _link_evidence(session, councillor.id, account) if e.withdrawn_at is None] if account else []
        )
        for row in evidence:
            row.withdrawn_at = now
        correction.before = {"level": link_level(evidence), "withdrew": [e.id for e in evidence]}
        _set_lock(session, councillor.id, f"account:{handle.key}", {"linked": False}, correction)
        correction.after = {"level": None, "key": handle.key}
    elif op == "set_name":
        correction.before = {"name": councillor.name, "raw_name": councillor.raw_name}
        if payload["name"] != councillor.name:
            councillor.former_names.append(
                FormerName(
                    name=councillor.name,
                    raw_name=councillor.raw_name,
                    used_until=now.date(),
                    source_url=correction.evidence_url,
                )
            )
            councillor.name = councillor.raw_name = payload["name"]
        _set_lock(session, councillor.id, "name", {"name": payload["name"]}, correction)
        correction.after = {"name": payload["name"]}
    elif op in ("set_party", "set_ward"):
        current = councillor.current
        if current is None:
            raise Refused(409, "the councillor holds no seat to change")
        ward = _find_ward(session, councillor.council_id, payload["ward"]) if op == "set_ward" else current.ward
        if ward is None:
            raise Refused(409, f"the council has no ward {payload['ward']!r} now")
        label = payload["party"] if op == "set_party" else current.party_label
        correction.before = {"membership": current.id, "ward": current.ward.name, "party": current.party_label}
        opened = _change_seat(session, councillor, current, ward, label, correction, now)
        field = "party" if op == "set_party" else "ward"
        _set_lock(session, councillor.id, field, {field: label if field == "party" else ward.name}, correction)
        correction.after = {"membership": opened.id, "ward": ward.name, "party": label}
    elif op == "mark_left":
        current = councillor.current
        if current is None:
            raise Refused(409, "the councillor holds no seat already")
        left_on = date.fromisoformat(payload["left_on"])
        correction.before = {"membership": current.id, "end_date": None, "end_reason": None}
        current.end_date = max(left_on, current.start_date)
        current.end_reason = "left"
        current.source_url = correction.evidence_url
        _set_lock(session, councillor.id, "left", {"left_on": current.end_date.isoformat()}, correction)
        correction.after = {"membership": current.id, "end_date": current.end_date.isoformat(), "end_reason": "left"}
    else:  # a stored operation this code does not know: never guess
        raise Refused(409, f"unknown operation {op!r}")
    correction.status = "applied"
    correction.applied_at = now
    session.flush()
    audit(session, "applied", correction, actor=actor)


def revert(session: Session, correction_id: int, *, reviewer: str, note: str | None = None) -> Correction:
    """Undo an applied correction: the values it replaced come back and its lock is released."""
    correction = _get(session, correction_id)
    if correction.status != "applied":
        raise Refused(409, f"correction {correction_id} is {correction.status}, not applied")
    now = utcnow()
    councillor = session.get(Councillor, correction.councillor_id)
    before, after, op = correction.before or {}, correction.after or {}, correction.operation
    if op == "add_account":
        account = session.scalar(select(SocialAccount).where(SocialAccount.key == after["key"]))
        for row in _link_evidence(session, councillor.id, account):
            if (
                row.method == "council_confirmed"
                and row.source_url == correction.evidence_url
                and row.withdrawn_at is None
            ):
                row.withdrawn_at = now
        _release(session, councillor.id, f"account:{after['key']}", correction)
    elif op == "remove_account":
        for row in session.scalars(select(AccountEvidence).where(AccountEvidence.id.in_(before.get("withdrew", [])))):
            row.withdrawn_at = None
        _release(session, councillor.id, f"account:{after['key']}", correction)
    elif op == "set_name":
        if councillor.name == after["name"]:
            councillor.former_names.append(
                FormerName(
                    name=councillor.name,
                    raw_name=councillor.raw_name,
                    used_until=now.date(),
                    source_url=correction.evidence_url,
                )
            )
            councillor.name, councillor.raw_name = before["name"], before["raw_name"]
        _release(session, councillor.id, "name", correction)
    elif op in ("set_party", "set_ward"):
        opened = session.get(Membership, after["membership"])
        if opened is not None and opened.end_date is None:
            old = session.get(Membership, before["membership"])
            _change_seat(session, councillor, opened, old.ward, old.party_label, correction, now)
        _release(session, councillor.id, "party" if op == "set_party" else "ward", correction)
    elif op == "mark_left":
        ended = session.get(Membership, before["membership"])
        if ended.end_reason == "left" and councillor.current is None:
            ended.end_date = None
            ended.end_reason = None
        _release(session, councillor.id, "left", correction)
    correction.status = "reverted"
    correction.reverted_at = now
    correction.reviewer = reviewer
    session.flush()
    audit(session, "reverted", correction, actor=reviewer, detail=note)
    return correction


def _change_seat(session, councillor, current, ward, label, correction, now) -> Membership:
    """End ``current`` today and open the same seat with ``ward`` and party ``label``."""
    current.end_date = now.date()
    current.end_reason = "corrected"
    opened = Membership(
        councillor=councillor,
        ward=ward,
        party=party_for(session, label),
        party_label=label,
        start_date=now.date(),
        term_ends=current.term_ends,
        source_url=correction.evidence_url,
    )
    session.add(opened)
    session.flush()
    return opened


def _link_evidence(session: Session, councillor_id: int, account: SocialAccount | None) -> list[AccountEvidence]:
    if account is None:
        return []
    return list(
        session.scalars(
            select(AccountEvidence).where(
                AccountEvidence.councillor_id == councillor_id, AccountEvidence.account_id == account.id
            )
        )
    )


def _find_ward(session: Session, council_id: int, name: str) -> Ward | None:
    return ward_for(session, council_id, ward_key(name))


def _lock(session: Session, councillor_id: int, field: str) -> FieldLock | None:
    return session.scalar(select(FieldLock).where(FieldLock.councillor_id == councillor_id, FieldLock.field == field))


def _set_lock(session: Session, councillor_id: int, field: str, value: dict, correction: Correction) -> None:
    lock = _lock(session, councillor_id, field)
    if lock is None:
        lock = FieldLock(councillor_id=councillor_id, field=field)
        session.add(lock)
    lock.value = value
    lock.correction_id = correction.id
    lock.locked_at = utcnow()


def _release(session: Session, councillor_id: int, field: str, correction: Correction) -> None:
    """Drop the correction's lock; the field's open disagreements close with it (the next scrape decides)."""
    lock = _lock(session, councillor_id, field)
    if lock is not None and lock.correction_id == correction.id:
        session.delete(lock)
        session.execute(
            update(Disagreement)
            .where(
                Disagreement.councillor_id == councillor_id, Disagreement.field == field, Disagreement.status == "open"
            )
            .values(status="closed")
        )


# Upkeep. ----------------------------------------------------------------------------------


def purge_addresses(session: Session, *, now: datetime | None = None, days: int = ADDRESS_DAYS) -> int:
    """Clear the client address of audit rows and refusal tallies older than ``days`` (the one change
    the audit allows); returns how many rows."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    cleared = 0
    for model, when in ((CorrectionEvent, CorrectionEvent.at), (RefusalTally, RefusalTally.last_at)):
        result = session.execute(
            update(model)
            .where(when < cutoff, model.address.is_not(None))
            .values(address=None)
            .execution_options(synchronize_session=False)
        )
        cleared += result.rowcount or 0
    return cleared


def close_disagreement(session: Session, disagreement_id: int) -> Disagreement:
    """Mark a disagreement as looked into: the correction stands. The same scraped value does not reopen it."""
    row = session.get(Disagreement, disagreement_id)
    if row is None:
        raise LookupError(f"no disagreement {disagreement_id}")
    row.status = "closed"
    return row
