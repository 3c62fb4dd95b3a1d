"""What scrapers produce: plain records, independent of HTTP and of the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


class SourceError(Exception):
    """The source answered, but not with what we asked for (an error page, a stub, garbage).

    ``str(exc)`` is a one-line reason fit for a log line or a run ledger.
    """


@dataclass(frozen=True)
class ScrapedCouncillor:
    """One councillor as a council's roster lists them."""

    source_id: str
    name: str
    raw_name: str
    ward: str
    party: str = ""
    email: str | None = None
    profile_url: str | None = None
    photo_url: str | None = None
    term_start: date | None = None
    term_ends: date | None = None
    # The key posts the roster lists (ModernGov's keyposts), as written; None when the source
    # does not publish posts at all (then what we hold is left as it is), () when it lists none.
    key_posts: tuple[str, ...] | None = None
    # Free text the roster carries (surgery details, key posts) in which councillors
    # sometimes write their handles; mined for accounts, never stored or published.
    notes: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Vacancy:
    """A seat the roster lists as vacant, with its ward when the roster gives one."""

    ward: str = ""


@dataclass(frozen=True)
class Roster:
    """A council's parsed roster: its councillors, the wards it lists, and its vacant seats (each one's ward, or "")."""

    councillors: list[ScrapedCouncillor]
    wards: list[str]
    source_url: str | None = None
    vacancies: list[str] = field(default_factory=list)

    def to_payload(self) -> dict:
        """A JSON-safe form, for a roster kept in quarantine."""
        people = []
        for c in self.councillors:
            record = {k: v for k, v in vars(c).items() if k != "notes"}
            record |= {"term_start": _iso(c.term_start), "term_ends": _iso(c.term_ends), "notes": list(c.notes)}
            record["key_posts"] = list(c.key_posts) if c.key_posts is not None else None
            people.append(record)
        return {
            "councillors": people,
            "wards": list(self.wards),
            "source_url": self.source_url,
            "vacancies": list(self.vacancies),
        }

    @classmethod
    def from_payload(cls, payload: dict) -> Roster:
        people = []
        for record in payload["councillors"]:
            record = dict(record)
            for key in ("term_start", "term_ends"):
                record[key] = date.fromisoformat(record[key]) if record.get(key) else None
            record["notes"] = tuple(record.get("notes") or ())
            if record.get("key_posts") is not None:
                record["key_posts"] = tuple(record["key_posts"])
            people.append(ScrapedCouncillor(**record))
        return cls(people, list(payload["wards"]), payload.get("source_url"), list(payload.get("vacancies") or []))


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


class AccountGone(SourceError):
    """The platform says the account does not exist (any more)."""


@dataclass(frozen=True)
class PostRecord:
    """A post's identity and time; its text is never kept."""

    post_id: str
    posted_at: datetime
    kind: str  # post|reply|article|video


@dataclass
class Activity:
    """What one collection of a public account found."""

    source_url: str
    platform_id: str | None = None
    local_id: str | None = None  # the account's id on its server (Mastodon), for batched reads
    handle: str | None = None
    followers: int | None = None
    following: int | None = None
    posts_total: int | None = None
    posts: list[PostRecord] = field(default_factory=list)
    # False when the source stopped before the start of the window (a capped feed).
    complete: bool = True
    feed_url: str | None = None
    moved_to: str | None = None  # the new account's URL, when the account has moved (Mastodon)
    # What the account says about itself, for the two-way checks (cllr.pipeline.verification):
    # links on its profile, each with whether the server verified it (Mastodon rel="me"),
    # and free text that may hold more (a Bluesky description).
    profile_links: list[tuple[str, bool]] = field(default_factory=list)
    profile_text: str = ""
    # A website's own page, when read: the accounts it links to (handle, role). None when
    # the page was not read again (unchanged since the last run).
    site_links: list | None = None
