"""SQLAlchemy models of the directory, and the code that reads and writes them."""

from .accounts import (
    AccountChange, AccountEvidence, AccountMetric, AccountSuggestion, Post, ProfileSnapshot, SocialAccount,
)  # fmt: skip
from .base import Base
from .directory import Council, Councillor, FormerName, Membership, Party, Ward
from .corrections import Correction, CorrectionEvent, Credential, Disagreement, ErasedValue, FieldLock
from .figures import CouncilFigure
from .runs import PolitenessSlot, Run, RunStep, StagedRoster

__all__ = [
    "AccountChange",
    "AccountEvidence",
    "AccountMetric",
    "AccountSuggestion",
    "Base",
    "Council",
    "CouncilFigure",
    "Correction",
    "CorrectionEvent",
    "Credential",
    "Disagreement",
    "ErasedValue",
    "FieldLock",
    "Councillor",
    "FormerName",
    "Membership",
    "Party",
    "PolitenessSlot",
    "Post",
    "ProfileSnapshot",
    "Run",
    "RunStep",
    "SocialAccount",
    "StagedRoster",
    "Ward",
]
