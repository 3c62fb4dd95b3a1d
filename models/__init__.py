"""SQLAlchemy models of the directory, and the code that reads and writes them."""

from .accounts import (
    AccountChange,
    AccountEvidence,
    AccountMetric,
    AccountSuggestion,
    Post,
    ProfileSnapshot,
    SocialAccount,
)
from .base import Base
from .corrections import (
    Correction,
    CorrectionEvent,
    Credential,
    Disagreement,
    ErasedValue,
    FieldLock,
    RefusalTally,
)
from .directory import Council, Councillor, FormerName, Membership, Party, Ward
from .figures import CouncilFigure
from .postcodes import Area, Place, Postcode, PostcodeRelease, RetiredPostcode
from .runs import PolitenessSlot, Run, RunStep, StagedRoster

__all__ = [
    "AccountChange",
    "AccountEvidence",
    "AccountMetric",
    "AccountSuggestion",
    "Area",
    "Base",
    "Correction",
    "CorrectionEvent",
    "Council",
    "CouncilFigure",
    "Councillor",
    "Credential",
    "Disagreement",
    "ErasedValue",
    "FieldLock",
    "FormerName",
    "Membership",
    "Party",
    "Place",
    "PolitenessSlot",
    "Post",
    "Postcode",
    "PostcodeRelease",
    "ProfileSnapshot",
    "RefusalTally",
    "RetiredPostcode",
    "Run",
    "RunStep",
    "SocialAccount",
    "StagedRoster",
    "Ward",
]
