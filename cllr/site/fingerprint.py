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
    Correction,
    Council,
    CouncilFigure,
    Councillor,
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

COUNCIL_TYPES = {
    "CTY": "County",
    "NMD": "District",
    "UA": "Unitary",
    "MD": "Metropolitan district",
    "LBO": "London borough",
    "CC": "City of London",
    "SCO": "Scottish council",
    "WPA": "Welsh principal area",
    "NID": "Northern Ireland district",
}
WEEKS = 13  # the councillor page's chart: posts per week over a quarter
HISTORY_ROWS = 12  # the council page's adoption history: the latest days its figures changed
DOWNLOADS = [
    {
        "name": "councillors.csv",
        "href": "data/councillors.csv",
        "what": "Every councillor, current and former, one row per time in a ward and party",
        "tool": "any spreadsheet; Python's csv module",
    },
    {
        "name": "accounts.csv",
        "href": "data/accounts.csv",
        "what": "Every current link between a councillor and an account, with its evidence level and activity",
        "tool": "any spreadsheet; Python's csv module",
    },
    {
        "name": "councils.csv",
        "href": "data/councils.csv",
        "what": "Every council with its seats and shares",
        "tool": "any spreadsheet; Python's csv module",
    },
    {
        "name": "directory.json",
        "href": "data/directory.json",
        "what": "The whole directory as JSON, accounts nested under councillors",
        "tool": "any JSON reader",
    },
    {
        "name": "popolo.json",
        "href": "data/popolo.json",
        "what": "People, organisations (councils, parties) and memberships in the Popolo civic-data format",
        "tool": "Popolo tools; any JSON reader",
    },
    {
        "name": "cllr.sqlite3",
        "href": "data/cllr.sqlite3",
        "what": "The published tables as a SQLite database, history included",
        "tool": "sqlite3, Datasette, DB Browser for SQLite",
    },
]


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


def build_fingerprint(
    session: Session, site_url: str | None, contact_url: str | None, intake_url: str | None = None
) -> str:
    """A digest of what a build would be made from; equal digests make equal sites (the day included, for dates shown)."""
    digest = hashlib.sha256()
    for value in (__version__, site_url, contact_url, intake_url, utcnow().date().isoformat()):
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
