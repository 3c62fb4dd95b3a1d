"""The data-quality report: for each council's officers, what is missing or open in what we
hold about their councillors, and how to fix each; and a national page ranking councils by
how complete their records are.

Read once per build (:func:`read_open_items`) and put together per council from the same
views the pages show (:func:`council_quality`). A record is complete when the councillor
has a council e-mail address and a party (or Independent) recorded; a council's
completeness is the share of its sitting councillors whose record is. Accounts are not part
of the score: a councillor need not have one. They are listed for officers to check.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cllr.evidence import METHODS
from cllr.site.views import PersonView, as_written, written
from models import AccountSuggestion, Correction, Disagreement, RunStep

FAILED = ("failed", "quarantined")
WAITING = ("queued",)  # corrections waiting for an operator
# What each correction asks for (cllr.corrections.operations.OPERATIONS), in words.
ASKED = {
    "add_account": "add an account",
    "remove_account": "remove an account",
    "set_name": "their name",
    "set_party": "their party",
    "set_ward": "their ward",
    "mark_left": "they have left",
}


@dataclass
class OpenItems:
    """What waits on someone, by councillor id; and each council's last failed reading."""

    suggestions: dict[int, list[AccountSuggestion]] = field(default_factory=dict)
    disagreements: dict[int, list[Disagreement]] = field(default_factory=dict)
    waiting: dict[int, list[Correction]] = field(default_factory=dict)
    last_failure: dict[int, RunStep] = field(default_factory=dict)


def read_open_items(session: Session) -> OpenItems:
    """Open account suggestions, open disagreements, corrections waiting for review, and each
    council's latest failed or held-back reading of its councillor pages: four queries."""
    items = OpenItems(defaultdict(list), defaultdict(list), defaultdict(list), {})
    for s in session.scalars(
        select(AccountSuggestion).where(AccountSuggestion.status == "open").order_by(AccountSuggestion.id)
    ):
        items.suggestions[s.councillor_id].append(s)
    for d in session.scalars(select(Disagreement).where(Disagreement.status == "open").order_by(Disagreement.id)):
        items.disagreements[d.councillor_id].append(d)
    for c in session.scalars(select(Correction).where(Correction.status.in_(WAITING)).order_by(Correction.id)):
        items.waiting[c.councillor_id].append(c)
    newest = (
        select(RunStep.council_id, func.max(RunStep.id).label("id"))
        .where(RunStep.stage == "roster", RunStep.status.in_(FAILED), RunStep.council_id.is_not(None))
        .group_by(RunStep.council_id)
        .subquery()
    )
    for step in session.scalars(select(RunStep).join(newest, RunStep.id == newest.c.id)):
        items.last_failure[step.council_id] = step
    return items


@dataclass
class Problem:
    """One thing to check or fix about one councillor, with where to fix it."""

    person: PersonView
    what: str
    fix: str  # what to do, in words
    href: str | None  # the corrections form, filled in as far as it can be; or the council's own page


@dataclass
class CouncilQuality:
    councillors: int
    complete: int
    sections: list[tuple[str, str, list[Problem]]]  # (id, heading, problems)
    last_failure: RunStep | None

    @property
    def completeness(self) -> float | None:
        return self.complete / self.councillors if self.councillors else None

    @property
    def open(self) -> int:
        return sum(len(problems) for _, _, problems in self.sections)

    def count(self, section: str) -> int:
        return next((len(problems) for key, _, problems in self.sections if key == section), 0)


def council_quality(people: list[PersonView], items: OpenItems, council_id: int, form: str | None) -> CouncilQuality:
    """The report for one council's sitting councillors (``people``); ``form`` is the corrections
    form's address (links to it are left out without one)."""

    def fix(person: PersonView, op: str, **values: str) -> str | None:
        return f"{form}?{urlencode({'op': op, 'councillor': person.councillor.slug, **values})}" if form else None

    def page(person: PersonView) -> str | None:
        url = person.councillor.profile_url
        return url if url and url.startswith(("https://", "http://")) else None

    people = sorted(people, key=lambda p: p.councillor.name)
    no_email = [
        Problem(p, "No council e-mail address", "add it to the council's page for them; we read it from there", page(p))
        for p in people
        if not p.councillor.email
    ]
    no_party = [
        Problem(p, "No party recorded", "correct their party (or Independent)", fix(p, "set_party"))
        for p in people
        if p.membership.party is None
    ]
    no_account = [
        Problem(p, "No public account found", "add an account they use, if they have one", fix(p, "add_account"))
        for p in people
        if not p.accounts
    ]
    name_only = [
        Problem(
            p,
            f"{as_written(view.account.platform, view.account.handle)} matches only by name",
            "confirm it is theirs, or say it is not",
            fix(p, "add_account", account=view.account.url),
        )
        for p in people
        for view in p.accounts
        if not view.confirmed
    ]
    waiting = [
        Problem(
            p,
            f"{as_written(s.platform, s.handle)} was found ({_method(s.method)}): {s.reason}",
            "confirm it to settle it now; otherwise we review it",
            fix(p, "add_account", account=s.url),
        )
        for p in people
        for s in items.suggestions.get(p.councillor.id, [])
    ] + [
        Problem(
            p,
            f"Your correction ({ASKED.get(c.operation, c.operation)}) waits for our review",
            "nothing: we review it",
            None,
        )
        for p in people
        for c in items.waiting.get(p.councillor.id, [])
    ]
    disagreements = [
        _disagreement(p, d, fix, page) for p in people for d in items.disagreements.get(p.councillor.id, [])
    ]
    complete = sum(1 for p in people if p.councillor.email and p.membership.party is not None)
    return CouncilQuality(
        councillors=len(people),
        complete=complete,
        sections=[
            ("no-email", "Councillors with no council e-mail address", no_email),
            ("no-party", "Councillors with no party recorded", no_party),
            ("waiting", "Accounts and corrections waiting for review", waiting),
            ("disagreements", "Where your corrections and your pages disagree", disagreements),
            ("name-only", "Accounts that match only by name", name_only),
            ("no-account", "Councillors with no public account found", no_account),
        ],
        last_failure=items.last_failure.get(council_id),
    )


def by_completeness(rows: list[dict]) -> list[dict]:
    """Councils' rows (``quality``, ``council``) most complete first; those with no sitting
    councillor, whose completeness is unknown, last; then by name."""
    return sorted(
        rows,
        key=lambda r: (r["quality"].completeness is None, -(r["quality"].completeness or 0.0), r["council"].name),
    )


def _disagreement(person: PersonView, d: Disagreement, fix, page) -> Problem:
    """A correction of the council's that its own pages contradict (models.corrections.disagree)."""
    if d.field in ("name", "party", "ward"):
        return Problem(
            person,
            f"Their {d.field}: your correction says “{d.locked}”, your page says “{d.scraped}”",
            "correct your page, or send your page's value as a correction",
            fix(person, f"set_{d.field}", **{d.field: d.scraped}),
        )
    if d.field == "left":
        return Problem(
            person,
            f"You told us they left ({d.locked}); your page still lists them",
            "take them off your page",
            page(person),
        )
    account = written(d.field.removeprefix("account:"))
    how = d.scraped.removeprefix("linked by ")
    return Problem(
        person,
        f"{account}: your correction removed it, but a page still links it ({_method(how)})",
        "take the link off that page",
        d.source_url if d.source_url and d.source_url.startswith(("https://", "http://")) else None,
    )


def _method(key: str) -> str:
    return METHODS[key].label if key in METHODS else key.replace("_", " ")
