"""Erasure on request: a person's value removed from every table, the audit keeping only that it happened.

A councillor, or someone acting for them, may ask for a value we hold about them to be
removed: an account they never meant to be public, a former name, an address that a
council page once carried. :func:`erase` finds every stored occurrence and removes it:

* an account of theirs is deleted with everything collected from it (post ids and
  times, counters, evidence, changes, suggestions, locks and disagreements), and its
  identities (key, handle, URL, stable platform id) are kept only as SHA-256 digests
  (``ErasedValue``), so that no later scrape, discovery or collection stores it again,
  under a new handle either (:func:`forget_account`);
* a former name holding the value is deleted; every other occurrence in a text or JSON
  column is replaced by ``[removed]`` (a whole optional cell becomes empty);
* in the append-only audit, each row holding the value is marked ``erased`` with its
  before and after values, evidence and detail cleared: the one change its trigger allows;
* a councillor whose page address (slug) spells the value gets a new one from their
  current name;
* one new audit row says that an erasure happened (when, by whom, for which council and
  how many rows), never what was erased.

The council registry, parties, wards and credentials are configuration, not anyone's
personal value, and are left alone. The site and the open data are built from the
database: ``cllr erase`` rebuilds them and vacuums the database (docs/corrections.md).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, String, Text, cast, delete, null, or_, select
from sqlalchemy.orm import Session

from cllr.corrections.operations import Refused
from cllr.handles import NotAnAccount, normalise
from cllr.names import slugify
from models import (
    AccountChange,
    AccountEvidence,
    AccountMetric,
    AccountSuggestion,
    Base,
    Correction,
    CorrectionEvent,
    Councillor,
    Disagreement,
    ErasedValue,
    FieldLock,
    FormerName,
    Membership,
    Post,
    ProfileSnapshot,
    SocialAccount,
)
from models.corrections import erased_among, identity_digests
from models.db import Database
from models.merge import free_slug

REMOVED = "[removed]"
MIN_LENGTH = 4  # shorter values would match too much to erase safely
LEFT_ALONE = frozenset(
    {
        "council",
        "party",
        "ward",
        "council_credential",
        "council_figure",
        "erased_value",
        "alembic_version",
        # the ONS's postcode directory: places and codes, nothing about a person
        "postcode",
        "postcode_place",
        "retired_postcode",
        "ons_area",
        "postcode_release",
    }
)
AUDIT_PAYLOAD = ("before", "after", "evidence_url", "detail")  # what an erased audit row loses (migration 0008)
_HANDLE_CHARS = r"[\w-]"


@dataclass
class Erasure:
    """What an erasure changed: rows per ``table.column`` scrubbed, rows per table deleted."""

    councillor: str
    scrubbed: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)
    accounts: int = 0
    new_slug: str | None = None

    @property
    def rows(self) -> int:
        return sum(self.scrubbed.values()) + sum(self.deleted.values())

    def lines(self) -> list[str]:
        out = [f"deleted {n} row(s) of {table}" for table, n in sorted(self.deleted.items()) if n]
        out += [f"cleared it from {n} row(s) of {where}" for where, n in sorted(self.scrubbed.items()) if n]
        if self.new_slug:
            out.append(f"the councillor's page moves to councillors/{self.new_slug}.html")
        return out


def erase(
    session: Session, councillor_slug: str, value: str, *, actor: str, reason: str, dry_run: bool = False
) -> Erasure:
    """Erase ``value`` of the councillor ``councillor_slug`` everywhere; with ``dry_run``, only say what would go.

    Refused (nothing changed) when the value is too short, is the councillor's current
    name (correct the name first), is not found among the councillor's data, or is an
    account other councillors of the same council are linked to too (remove that link with
    a correction). Another council's link to it never blocks it.
    """
    value = value.strip()
    if len(value) < MIN_LENGTH:
        raise Refused(422, f"a value to erase needs at least {MIN_LENGTH} characters")
    if reason.strip() == "" or _pattern([value]).search(reason):
        raise Refused(422, "give a reason that does not itself contain the value (it is kept in the audit)")
    councillor = session.scalar(select(Councillor).where(Councillor.slug == councillor_slug))
    if councillor is None:
        raise LookupError(f"no councillor {councillor_slug!r}")
    if _pattern([value]).search(councillor.name):
        raise Refused(
            409, "that is the councillor's current name: correct the name first (set_name), then erase the old one"
        )
    report = Erasure(councillor.slug)
    accounts = _their_accounts(session, councillor, value)
    terms = {value}
    for account in accounts:
        terms |= {account.key, account.handle, account.url, *([account.platform_id] if account.platform_id else [])}
    pattern = _pattern(terms)
    if not accounts and not _belongs(session, councillor, pattern, terms):
        raise Refused(404, f"the value is not among what we hold about {councillor.slug}")

    nested = session.begin_nested()
    try:
        for account in accounts:
            _delete_account(session, account, report)
        _delete_rows(session, FormerName, [FormerName.name, FormerName.raw_name], pattern, terms, report)
        _delete_rows(session, AccountSuggestion, [AccountSuggestion.key, AccountSuggestion.url], pattern, terms, report)
        _delete_rows(
            session,
            Disagreement,
            [Disagreement.field, Disagreement.locked, Disagreement.scraped],
            pattern,
            terms,
            report,
        )
        _delete_rows(session, FieldLock, [FieldLock.field, cast(FieldLock.value, Text)], pattern, terms, report)
        _scrub_audit(session, pattern, terms, report)
        for table in Base.metadata.sorted_tables:
            if table.name not in LEFT_ALONE and table.name != CorrectionEvent.__tablename__:
                _scrub_table(session, table, pattern, terms, report)
        session.flush()
        session.expire_all()  # the scrubs above wrote past the ORM
        slug_word = slugify(value)
        if len(slug_word) >= MIN_LENGTH and slug_word in councillor.slug:
            councillor.slug = free_slug(session, f"{councillor.council.code.lower()}-{slugify(councillor.name)}")
            report.new_slug = councillor.slug
        session.add(
            CorrectionEvent(
                action="erased",
                council_id=councillor.council_id,
                actor=actor,
                detail=f"erased on request ({reason.strip()[:300]}): {report.rows} row(s)",
            )
        )
        session.flush()
    except BaseException:
        nested.rollback()
        raise
    if dry_run:
        nested.rollback()
    else:
        nested.commit()
    return report


def compact(db: Database, erasure: Erasure) -> None:
    """Rewrite what the erasure touched so deleted and replaced values do not linger on disk.

    SQLite: ``VACUUM`` rebuilds the file and the write-ahead log is truncated. PostgreSQL:
    ``VACUUM FULL`` rewrites each table the erasure touched. Backups keep their copies
    until they expire (docs/corrections.md).
    """
    tables = sorted({where.split(".")[0].split(" ")[0] for where in erasure.scrubbed} | set(erasure.deleted))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if db.engine.dialect.name == "sqlite":
            connection.exec_driver_sql("VACUUM")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            for table in tables:
                connection.exec_driver_sql(f'VACUUM FULL "{table}"')


def _pattern(terms) -> re.Pattern:
    """Any of ``terms``, case-insensitively, not as part of a longer handle or word."""
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True) if t)
    return re.compile(rf"(?<![\w.-])(?:{alternatives})(?!{_HANDLE_CHARS}|\.\w)", re.IGNORECASE)


def _like_terms(terms) -> list[str]:
    """What to look for in the database: each term as written and as JSON writes it (non-ASCII escaped)."""
    return sorted({form for t in terms if t for form in (t, json.dumps(t)[1:-1])})


def _candidates(column, terms):
    return or_(*(column.icontains(t, autoescape=True) for t in _like_terms(terms)))


def _their_accounts(session: Session, councillor: Councillor, value: str) -> list[SocialAccount]:
    """The councillor's account (linked now or once, or suggested) that ``value`` names; refused if shared."""
    try:
        key = normalise(value).key
    except NotAnAccount:
        key = None
    keys = {key} if key else set()
    keys |= set(
        session.scalars(
            select(SocialAccount.key).where(
                or_(SocialAccount.handle.ilike(value), SocialAccount.url.ilike(value), SocialAccount.key.ilike(value))
            )
        )
    )
    if not keys:
        return []
    accounts = list(session.scalars(select(SocialAccount).where(SocialAccount.key.in_(keys))))
    theirs = []
    for account in accounts:
        holders = dict(
            session.execute(
                select(AccountEvidence.councillor_id, Councillor.council_id)
                .join(Councillor, Councillor.id == AccountEvidence.councillor_id)
                .where(AccountEvidence.account_id == account.id)
            ).all()
        )
        colleagues = {
            cid for cid, council in holders.items() if cid != councillor.id and council == councillor.council_id
        }
        if colleagues:  # a shared account of the council's (a ward team's): another link is removed, not all
            raise Refused(
                409,
                "the account is linked to other councillors of the council too: remove this councillor's link "
                "with a correction (remove_account) instead",
            )
        if councillor.id in holders:  # another council's link never blocks it: that council cannot speak for them
            theirs.append(account)
    return theirs


def _belongs(session: Session, councillor: Councillor, pattern: re.Pattern, terms) -> bool:
    """Whether the value is among what we hold about this councillor (their row, former names, links, corrections)."""
    owned = [
        (select(Councillor).where(Councillor.id == councillor.id), Councillor),
        (select(FormerName).where(FormerName.councillor_id == councillor.id), FormerName),
        (select(Membership).where(Membership.councillor_id == councillor.id), Membership),
        (select(AccountSuggestion).where(AccountSuggestion.councillor_id == councillor.id), AccountSuggestion),
        (select(Correction).where(Correction.councillor_id == councillor.id), Correction),
        (select(Disagreement).where(Disagreement.councillor_id == councillor.id), Disagreement),
        (select(AccountEvidence).where(AccountEvidence.councillor_id == councillor.id), AccountEvidence),
    ]
    for query, model in owned:
        for row in session.scalars(query):
            if any(_holds(getattr(row, c.key), pattern) for c in model.__table__.columns):
                return True
    return False


def _holds(value: Any, pattern: re.Pattern) -> bool:
    if isinstance(value, str):
        return bool(pattern.search(value))
    if isinstance(value, dict):
        return any(_holds(k, pattern) or _holds(v, pattern) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds(v, pattern) for v in value)
    return False


def _scrubbed(value: Any, pattern: re.Pattern) -> Any:
    if isinstance(value, str):
        return pattern.sub(REMOVED, value)
    if isinstance(value, dict):
        return {_scrubbed(k, pattern): _scrubbed(v, pattern) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, pattern) for v in value]
    return value


def forget_account(session: Session, account: SocialAccount) -> Counter:
    """Delete an account with everything collected from it and keep only the digests of its
    identities (``models.corrections.identity_digests``); returns rows deleted per table.

    :func:`erase` uses it, and so does the activity stage when an account it collects turns
    out to be an erased one under a new handle (its stable id gives it away)."""
    deleted: Counter = Counter()
    for model in (Post, AccountMetric, ProfileSnapshot, AccountChange, AccountEvidence):
        result = session.execute(
            delete(model).where(model.account_id == account.id).execution_options(synchronize_session=False)
        )
        deleted[model.__tablename__] += result.rowcount or 0
    for model, column in (
        (AccountSuggestion, AccountSuggestion.key),
        (FieldLock, FieldLock.field),
        (Disagreement, Disagreement.field),
    ):
        wanted = account.key if model is AccountSuggestion else f"account:{account.key}"
        result = session.execute(delete(model).where(column == wanted).execution_options(synchronize_session=False))
        deleted[model.__tablename__] += result.rowcount or 0
    digests = identity_digests(account.platform, account.key, account.handle, account.url, account.platform_id)
    for digest in sorted(digests - erased_among(session, digests)):
        session.add(ErasedValue(digest=digest))
    session.flush()
    for row in [o for o in session.identity_map.values() if getattr(o, "account_id", None) == account.id]:
        session.expunge(row)  # deleted above, past the ORM: it must not write them back
    session.execute(
        delete(SocialAccount).where(SocialAccount.id == account.id).execution_options(synchronize_session=False)
    )
    session.expunge(account)
    deleted[SocialAccount.__tablename__] += 1
    return deleted


def _delete_account(session: Session, account: SocialAccount, report: Erasure) -> None:
    report.deleted.update(forget_account(session, account))
    report.accounts += 1


def _delete_rows(session: Session, model, columns, pattern: re.Pattern, terms, report: Erasure) -> None:
    rows = session.scalars(select(model).where(or_(*(_candidates(c, terms) for c in columns)))).all()
    for row in rows:
        if any(_holds(getattr(row, c.key), pattern) for c in model.__table__.columns):
            session.delete(row)
            report.deleted[model.__tablename__] += 1
    session.flush()


def _scrub_audit(session: Session, pattern: re.Pattern, terms, report: Erasure) -> None:
    columns = [getattr(CorrectionEvent, name) for name in AUDIT_PAYLOAD]
    query = select(CorrectionEvent).where(
        or_(*(_candidates(cast(c, Text) if c.key in ("before", "after") else c, terms) for c in columns))
    )
    for event in session.scalars(query):
        if any(_holds(getattr(event, name), pattern) for name in AUDIT_PAYLOAD):
            for name in AUDIT_PAYLOAD:
                setattr(event, name, null())  # SQL NULL: a JSON column would otherwise store JSON's null
            event.erased = True
            report.scrubbed["correction_event (marked erased)"] += 1
    session.flush()


def _scrub_table(session: Session, table, pattern: re.Pattern, terms, report: Erasure) -> None:
    """Replace the value in every text and JSON cell of ``table`` that holds it."""
    for column in table.columns:
        if not isinstance(column.type, (String, Text, JSON)) or column.primary_key:
            continue
        searchable = cast(column, Text) if isinstance(column.type, JSON) else column
        rows = session.execute(select(table.c.id, column).where(_candidates(searchable, terms))).all()
        for row_id, cell in rows:
            if not _holds(cell, pattern):
                continue
            new = _scrubbed(cell, pattern)
            if isinstance(cell, str) and pattern.fullmatch(cell.strip()) and column.nullable:
                new = None
            session.execute(table.update().where(table.c.id == row_id).values({column.name: new}))
            report.scrubbed[f"{table.name}.{column.name}"] += 1
