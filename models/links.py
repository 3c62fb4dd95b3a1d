"""Writers for the links between councillors and accounts: evidence, withdrawals and suggestions.

Discovery only adds. A source that stops showing a link withdraws that one piece of
evidence (kept, dated); a discovery that conflicts with what we hold becomes a
suggestion for review, never a silent replacement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cllr.evidence import LEVELS, PROFILE_METHODS, best, level_of
from cllr.handles import Handle

from .accounts import AccountChange, AccountEvidence, AccountSuggestion, SocialAccount
from .base import utcnow
from .corrections import disagree
from .holdings import Holdings
from .store import create_or_get


@dataclass
class Links:
    """What reading one source did to one councillor's links (account keys)."""

    linked: list[str] = field(default_factory=list)
    suggested: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)  # suggestions the account itself settled (a rename)

    def __iadd__(self, other: Links) -> Links:
        self.linked += other.linked
        self.suggested += other.suggested
        self.withdrawn += other.withdrawn
        self.settled += other.settled
        return self

    def counts(self) -> dict[str, int]:
        return {
            "accounts_linked": len(self.linked),
            "suggestions": len(self.suggested),
            "links_withdrawn": len(self.withdrawn),
        }

    def changes(self) -> dict[str, list[str]]:
        return {
            "accounts": self.linked,
            "suggestions": self.suggested,
            "withdrawn": self.withdrawn,
            "settled": self.settled,
        }


def link_account(
    session: Session,
    councillor_id: int,
    handle: Handle,
    *,
    method: str,
    source_url: str,
    run_id: int | None,
    role: str = "councillor",
    inherited: str | None = None,
    now: datetime | None = None,
    holdings: Holdings | None = None,
) -> bool:
    """Add one piece of evidence that ``handle`` is a councillor's, or mark it seen again; True if new.

    ``role`` is given to an account seen for the first time; ``inherited`` is the level a
    ``moved_from`` link carries over from the old account. ``holdings``: what was read ahead
    for a batch of links (read here for this one when not given).
    """
    now = now or utcnow()
    holdings = holdings or Holdings(session, [councillor_id], [handle.key])
    if holdings.erased(handle.key):  # erased on request (cllr erase): never stored again
        return False
    if method != "council_confirmed" and holdings.locked(councillor_id, handle.key) is False:
        disagree(
            session,
            councillor_id,
            f"account:{handle.key}",
            "removed by a correction",
            f"linked by {method}",
            source_url=source_url,
            run_id=run_id,
        )
        return False
    account = holdings.account(handle.key)
    if account is None:  # looked for with the batch: insert it (or read the one another council's run just did)
        account = create_or_get(
            session,
            SocialAccount,
            {"key": handle.key},
            platform=handle.platform,
            handle=handle.handle,
            url=handle.url,
            role=role,
            first_seen_at=now,
            run_id=run_id,
            source_url=source_url,
        )
        holdings.added_account(account)
    same = holdings.evidence(councillor_id, account_id=account.id, method=method, source_url=source_url)
    if same:
        evidence = same[0]
        evidence.last_seen_at = evidence.last_checked_at = now
        evidence.withdrawn_at = None
        evidence.run_id = run_id
        return False
    evidence = AccountEvidence(
        councillor_id=councillor_id,
        account_id=account.id,
        account=account,
        method=method,
        level=level_of(method, inherited),
        source_url=source_url,
        first_seen_at=now,
        last_seen_at=now,
        last_checked_at=now,
        run_id=run_id,
    )
    session.add(evidence)
    holdings.added_evidence(evidence)
    return True


def evidenced(session: Session, councillor_ids: Iterable[int], *, method: str) -> set[tuple[int, str]]:
    """The (councillor, source) pairs that hold evidence of ``method``, withdrawn or not, in one query:
    a source that shows no account and held none before has nothing to reconcile (``record_links``
    need not be asked)."""
    ids = list(councillor_ids)
    if not ids:
        return set()
    query = (
        select(AccountEvidence.councillor_id, AccountEvidence.source_url)
        .where(AccountEvidence.method == method, AccountEvidence.councillor_id.in_(ids))
        .distinct()
    )
    return {(councillor_id, source_url) for councillor_id, source_url in session.execute(query)}


def record_links(
    session: Session,
    councillor_id: int,
    found: Iterable[tuple[Handle, str]],
    *,
    method: str,
    source_url: str,
    run_id: int | None,
    now: datetime | None = None,
    holdings: Holdings | None = None,
) -> Links:
    """Reconcile what one source (a page, a roster entry) now shows for a councillor with what it showed before.

    ``found`` holds (handle, role) pairs. Accounts still shown are marked seen; those no
    longer shown have this evidence withdrawn; new ones are linked, unless they conflict:
    the source named another account on the same platform before, or a stronger source
    names another account there. Those become suggestions. ``holdings``: what was read ahead
    for a batch of sources (a council's pages), read here for this one when not given.
    """
    now = now or utcnow()
    found = list(found)
    holdings = holdings or Holdings(session, [councillor_id], [handle.key for handle, _ in found])
    result = Links()
    before = {e.account_id: e for e in holdings.evidence(councillor_id, method=method, source_url=source_url)}
    accounts = {account_id: evidence.account for account_id, evidence in before.items()}
    shown: set[int] = set()
    new: list[tuple[Handle, str]] = []
    for handle, role in found:
        account = _known(session, holdings, handle, accounts.values())
        if account is not None and account.id in before:
            link_account(
                session,
                councillor_id,
                Handle(account.platform, account.key, account.handle, account.url),
                method=method,
                source_url=source_url,
                run_id=run_id,
                now=now,
                holdings=holdings,
            )
            shown.add(account.id)
        else:
            new.append((handle, role))
    for account_id, evidence in before.items():
        evidence.last_checked_at = now
        if account_id not in shown and evidence.withdrawn_at is None:
            evidence.withdrawn_at = now
            result.withdrawn.append(accounts[account_id].key)
    dropped = {accounts[i].platform: accounts[i] for i in before if i not in shown}
    level = level_of(method)
    for handle, role in new:
        reason = None
        if handle.platform in dropped:
            reason = f"this source named {dropped[handle.platform].handle} before and now names {handle.handle}"
        else:
            stronger = _stronger_elsewhere(holdings, councillor_id, handle, level, exclude=source_url)
            if stronger is not None:
                reason = f"a stronger source links {stronger.handle} on {handle.platform}"
        if reason is None:
            if link_account(
                session,
                councillor_id,
                handle,
                method=method,
                source_url=source_url,
                run_id=run_id,
                role=role,
                now=now,
                holdings=holdings,
            ):
                result.linked.append(handle.key)
        elif suggest(
            session,
            councillor_id,
            handle,
            method=method,
            source_url=source_url,
            reason=reason,
            role=role,
            run_id=run_id,
            now=now,
            holdings=holdings,
        ):
            result.suggested.append(handle.key)
    return result


def touch_evidence(
    session: Session,
    source_url: str,
    *,
    run_id: int | None,
    councillor_id: int | None = None,
    holdings: Holdings | None = None,
) -> int:
    """Mark the evidence read from an unchanged source (a 304) as checked and seen again now; returns how many.

    ``holdings``: the councillor's evidence read ahead (``councillor_id`` given)."""
    now = utcnow()
    if councillor_id is not None:
        rows = (holdings or Holdings(session, [councillor_id])).evidence(councillor_id, source_url=source_url)
    else:
        rows = _evidence(session, source_url=source_url)
    for evidence in rows:
        evidence.last_checked_at = now
        if evidence.withdrawn_at is None:
            evidence.last_seen_at = now
        evidence.run_id = run_id
    return len(rows)


def reconcile_checks(
    session: Session,
    councillor_id: int,
    account: SocialAccount,
    holds: set[tuple[str, str]],
    *,
    run_id: int | None,
    now: datetime | None = None,
    holdings: Holdings | None = None,
) -> Links:
    """Apply the checks made on an account's own profile: (method, source URL) pairs that hold now.

    Checks that held before and no longer do are withdrawn, so a removed back-link stops
    verifying the account. ``holdings``: the councillor's evidence read ahead.
    """
    now = now or utcnow()
    result = Links()
    holdings = holdings or Holdings(session, [councillor_id], [account.key])
    handle = Handle(account.platform, account.key, account.handle, account.url)
    for method, source_url in sorted(holds):
        if link_account(
            session,
            councillor_id,
            handle,
            method=method,
            source_url=source_url,
            run_id=run_id,
            now=now,
            holdings=holdings,
        ):
            result.linked.append(f"{method}:{account.key}")
    for evidence in holdings.evidence(councillor_id, account_id=account.id):
        if evidence.method in PROFILE_METHODS and (evidence.method, evidence.source_url) not in holds:
            evidence.last_checked_at = now
            if evidence.withdrawn_at is None:
                evidence.withdrawn_at = now
                result.withdrawn.append(f"{evidence.method}:{account.key}")
    return result


def suggest(
    session: Session,
    councillor_id: int,
    handle: Handle,
    *,
    method: str,
    source_url: str,
    reason: str,
    role: str,
    run_id: int | None,
    now: datetime | None = None,
    holdings: Holdings | None = None,
) -> bool:
    """Keep a conflicting discovery for review; True if it is new. A decided one stays decided."""
    now = now or utcnow()
    if (holdings or Holdings(session, [councillor_id], [handle.key])).erased(handle.key):
        return False
    existing = session.scalar(
        select(AccountSuggestion).where(
            AccountSuggestion.councillor_id == councillor_id,
            AccountSuggestion.key == handle.key,
            AccountSuggestion.method == method,
            AccountSuggestion.source_url == source_url,
        )
    )
    if existing is not None:
        existing.last_seen_at = now
        return False
    session.add(
        AccountSuggestion(
            councillor_id=councillor_id,
            platform=handle.platform,
            key=handle.key,
            handle=handle.handle,
            url=handle.url,
            role=role,
            method=method,
            source_url=source_url,
            reason=reason[:600],
            first_seen_at=now,
            last_seen_at=now,
            run_id=run_id,
        )
    )
    return True


def decide(session: Session, suggestion_id: int, accept: bool, note: str | None = None) -> AccountSuggestion:
    """Accept (link it, with the evidence it was found with) or reject an open suggestion."""
    suggestion = session.get(AccountSuggestion, suggestion_id)
    if suggestion is None:
        raise LookupError(f"no suggestion {suggestion_id}")
    if suggestion.status != "open":
        raise ValueError(f"suggestion {suggestion_id} was already {suggestion.status}")
    if accept:
        handle = Handle(suggestion.platform, suggestion.key, suggestion.handle, suggestion.url)
        link_account(
            session,
            suggestion.councillor_id,
            handle,
            method=suggestion.method,
            source_url=suggestion.source_url,
            run_id=None,
            role=suggestion.role,
        )
    suggestion.status = "accepted" if accept else "rejected"
    suggestion.decided_at = utcnow()
    suggestion.decision_note = note
    return suggestion


def settle_renames(session: Session, account: SocialAccount, *, run_id: int | None) -> list[int]:
    """Accept open suggestions that name this account by its current handle: it was renamed, not replaced.

    A source naming the new handle before a collection saw the rename made a suggestion;
    once the account itself reports that handle, the source's evidence belongs to it.
    Returns the suggestions settled.
    """
    settled = []
    suggestions = session.scalars(
        select(AccountSuggestion).where(
            AccountSuggestion.status == "open",
            AccountSuggestion.platform == account.platform,
            AccountSuggestion.handle == account.handle,
        )
    )
    linked = {e.councillor_id for e in account.evidence}
    handle = Handle(account.platform, account.key, account.handle, account.url)
    for suggestion in suggestions:
        if suggestion.councillor_id not in linked:
            continue
        link_account(
            session,
            suggestion.councillor_id,
            handle,
            method=suggestion.method,
            source_url=suggestion.source_url,
            run_id=run_id,
        )
        suggestion.status, suggestion.decided_at = "accepted", utcnow()
        suggestion.decision_note = f"the same account, renamed (stable id {account.platform_id})"
        settled.append(suggestion.id)
    return settled


def link_level(evidence: Iterable[AccountEvidence]) -> str | None:
    """The level of a link: the best of its current evidence; None when all of it is withdrawn."""
    return best(e.level for e in evidence if e.withdrawn_at is None)


def _evidence(session: Session, **where) -> list[AccountEvidence]:
    return list(session.scalars(select(AccountEvidence).filter_by(**where).order_by(AccountEvidence.id)))


def _known(
    session: Session, holdings: Holdings, handle: Handle, candidates: Iterable[SocialAccount]
) -> SocialAccount | None:
    """The account a found handle means: by key (through any merge), or one of ours renamed to it."""
    account = holdings.account(handle.key)
    for _ in range(5):  # a merged row points at the account it was folded into
        if account is None or account.status != "merged":
            break
        into = session.scalar(
            select(AccountChange.new).where(
                AccountChange.account_id == account.id, AccountChange.field == "merged_into"
            )
        )
        account = holdings.account(into) if into is not None else None
    if account is not None:
        return account
    return next((a for a in candidates if a.platform == handle.platform and a.handle == handle.handle), None)


def _stronger_elsewhere(
    holdings: Holdings, councillor_id: int, handle: Handle, level: str, *, exclude: str
) -> SocialAccount | None:
    """A different account on the handle's platform that other sources link at a better level than ``level``."""
    rank = LEVELS.index(level)
    for evidence in holdings.evidence(councillor_id, withdrawn_at=None):
        account = evidence.account
        if (
            evidence.source_url != exclude
            and account.platform == handle.platform
            and account.key != handle.key
            and account.status != "merged"
            and LEVELS.index(evidence.level) < rank
        ):
            return account
    return None
