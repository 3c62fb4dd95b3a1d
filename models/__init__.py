"""SQLAlchemy models of the directory, and the code that reads and writes them."""

from .accounts import AccountChange, AccountEvidence, AccountMetric, Post, ProfileSnapshot, SocialAccount
from .base import Base
from .directory import Council, Councillor, FormerName, Membership, Party, Ward
from .runs import Run, RunStep, StagedRoster

__all__ = [
    "AccountChange",
    "AccountEvidence",
    "AccountMetric",
    "Base",
    "Council",
    "Councillor",
    "FormerName",
    "Membership",
    "Party",
    "Post",
    "ProfileSnapshot",
    "Run",
    "RunStep",
    "SocialAccount",
    "StagedRoster",
    "Ward",
]
