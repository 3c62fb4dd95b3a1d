"""What the link writers read before they write, read ahead for a batch of councillors and the
handles found for them: their evidence (with its accounts), the accounts those handles name,
which of them were erased, and which a correction removed. A council's profile pages are then
reconciled with a handful of queries rather than several for every link (``models.links``).

A batch is read inside the writing transaction and kept in step with what the writers add;
anything asked about outside the batch (another councillor, an unforeseen key) is read then.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from .accounts import AccountEvidence, SocialAccount
from .corrections import FieldLock, erased_among, erased_digest

CHUNK = 500  # values in one IN (...) list


class Holdings:
    """The evidence, accounts, erasures and account locks of some councillors and found handles."""

    def __init__(self, session: Session, councillor_ids: Iterable[int], keys: Iterable[str] = ()) -> None:
        self.session = session
        self._evidence: dict[int, list[AccountEvidence]] = {}
        self._accounts: dict[str, SocialAccount | None] = {}
        self._erased: dict[str, bool] = {}
        self._locks: dict[int, dict[str, bool]] = {}
        self.read(councillor_ids, keys)

    def read(self, councillor_ids: Iterable[int], keys: Iterable[str] = ()) -> None:
        """Read ahead what is not held yet for these councillors and keys (a few queries)."""
        ids = sorted({i for i in councillor_ids if i not in self._evidence})
        for i in ids:
            self._evidence[i], self._locks[i] = [], {}
        for chunk in _chunks(ids):
            query = (
                select(AccountEvidence)
                .options(joinedload(AccountEvidence.account))
                .where(AccountEvidence.councillor_id.in_(chunk))
                .order_by(AccountEvidence.id)
            )
            for evidence in self.session.scalars(query):
                self._evidence[evidence.councillor_id].append(evidence)
                self._accounts.setdefault(evidence.account.key, evidence.account)
            locks = select(FieldLock).where(FieldLock.councillor_id.in_(chunk), FieldLock.field.startswith("account:"))
            for lock in self.session.scalars(locks):
                self._locks[lock.councillor_id][lock.field.removeprefix("account:")] = bool(lock.value.get("linked"))
        wanted = sorted({k for k in keys if k not in self._accounts})
        for chunk in _chunks(wanted):
            for account in self.session.scalars(select(SocialAccount).where(SocialAccount.key.in_(chunk))):
                self._accounts[account.key] = account
        for key in wanted:
            self._accounts.setdefault(key, None)
        digests = {erased_digest(k): k for k in keys if k not in self._erased}
        held = erased_among(self.session, digests)
        for digest, key in digests.items():
            self._erased[key] = digest in held

    def evidence(self, councillor_id: int, **where: Any) -> list[AccountEvidence]:
        """A councillor's evidence (by id), filtered on its columns (``method=``, ``source_url=``, ...)."""
        self.read([councillor_id])
        rows = self._evidence[councillor_id]
        return [e for e in rows if all(getattr(e, name) == value for name, value in where.items())]

    def account(self, key: str) -> SocialAccount | None:
        """The account stored under this key, if any (a merged one as it is: the caller follows it)."""
        if key not in self._accounts:
            self.read((), [key])
        return self._accounts[key]

    def erased(self, key: str) -> bool:
        """Whether the account with this key was erased on request (``erased_value`` holds the digest of its key)."""
        if key not in self._erased:
            self.read((), [key])
        return self._erased[key]

    def locked(self, councillor_id: int, key: str) -> bool | None:
        """Whether a correction linked (True) or removed (False) this account for the councillor; None if neither."""
        self.read([councillor_id])
        return self._locks[councillor_id].get(key)

    def added_account(self, account: SocialAccount) -> None:
        self._accounts[account.key] = account

    def added_evidence(self, evidence: AccountEvidence) -> None:
        self.read([evidence.councillor_id])
        self._evidence[evidence.councillor_id].append(evidence)


def _chunks(values: list) -> Iterator[list]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
