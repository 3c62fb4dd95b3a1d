"""Render the static site from the database with Jinja2 (autoescaping on), published atomically.

Pages link to each other with relative URLs, so the site works from any directory, a
sub-path of a web server, or straight from disk.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import (
    AccountEvidence, AccountMetric, Council, Councillor, Membership, Party, RunStep, SocialAccount,
)  # fmt: skip
from models.base import utcnow
from models.links import link_level

from . import __version__
from .evidence import COUNTED_ROLES, LEVEL_NAMES, LEVELS, METHODS, ROLE_NAMES, confirmed
from .metrics import ACTIVE_DAYS
from .stages import COLLECTABLE

PLATFORM_NAMES = {
    "bluesky": "Bluesky", "mastodon": "Mastodon", "web": "Website", "twitter": "X", "facebook": "Facebook",
    "instagram": "Instagram", "threads": "Threads", "youtube": "YouTube", "linkedin": "LinkedIn",
    "tiktok": "TikTok", "linktree": "Linktree",
}  # fmt: skip


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for an href, or None (then templates show text, not a link)."""
    if not url or len(url) > 2048 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return url


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(files("site_templates"))),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["active_days"] = ACTIVE_DAYS
    env.filters["safe_url"] = safe_url
    env.filters["platform"] = lambda key: PLATFORM_NAMES.get(key, key)
    env.filters["method"] = lambda key: METHODS[key].label if key in METHODS else key
    env.filters["level"] = lambda key: LEVEL_NAMES.get(key, key)
    env.filters["role"] = lambda key: ROLE_NAMES.get(key, key)
    env.globals["measured_platforms"] = COLLECTABLE
    env.filters["date"] = lambda d: d.strftime("%-d %b %Y") if d else "–"
    env.filters["pct"] = lambda part, whole: f"{100 * part / whole:.0f}%" if whole else "–"
    return env


@dataclass
class AccountView:
    account: SocialAccount
    metric: AccountMetric | None
    evidence: list[AccountEvidence]

    @property
    def level(self) -> str | None:
        """The link's level: the best of its current evidence (None when every source has withdrawn it)."""
        return link_level(self.evidence)

    @property
    def confirmed(self) -> bool:
        return confirmed(self.level)

    @property
    def counted(self) -> bool:
        """Whether its activity counts towards the councillor's: confirmed, and their own voice (not a campaign account)."""
        return self.confirmed and self.account.role in COUNTED_ROLES

    @property
    def posts_30d(self) -> int:
        return self.metric.posts_30d if self.metric else 0

    @property
    def active(self) -> bool:
        return self.counted and self.posts_30d > 0


@dataclass
class PersonView:
    councillor: Councillor
    membership: Membership
    accounts: list[AccountView] = field(default_factory=list)

    withdrawn: list[AccountView] = field(default_factory=list)  # links no source shows any more

    @property
    def posts_30d(self) -> int:
        return sum(a.posts_30d for a in self.accounts if a.counted)

    @property
    def confirmed(self) -> bool:
        return any(a.confirmed for a in self.accounts)

    @property
    def active(self) -> bool:
        """Posted in the last 30 days on a confirmed account of their own (docs/metrics.md)."""
        return any(a.active for a in self.accounts)

    @property
    def last_post_at(self) -> datetime | None:
        times = [a.metric.last_post_at for a in self.accounts if a.counted and a.metric and a.metric.last_post_at]
        return max(times, default=None)


def build_site(session: Session, out_dir: Path) -> int:
    """Render every page into a fresh directory, then swap it in place of ``out_dir``."""
    data = _gather(session)
    env = environment()
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".site-", dir=out_dir.parent))
    try:
        pages = _render_all(env, data, staging)
        shutil.copytree(Path(str(files("site_templates"))) / "static", staging / "static")
        _party_styles(session, staging / "static" / "parties.css")
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return pages


def _party_styles(session: Session, path: Path) -> None:
    """Party colours as a stylesheet: the pages carry no inline styles (CSP)."""
    rules = [f".party-{p.key} .swatch {{ color: {p.colour}; }}" for p in session.scalars(select(Party))]
    path.write_text("\n".join(rules) + "\n", encoding="utf-8")


def _swap(staging: Path, out_dir: Path) -> None:
    old = out_dir.with_name(f".{out_dir.name}-old")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)


def _gather(session: Session) -> dict:
    councils = list(session.scalars(select(Council).order_by(Council.name)))
    councillors = session.scalars(
        select(Councillor).options(
            selectinload(Councillor.memberships).selectinload(Membership.ward),
            selectinload(Councillor.memberships).selectinload(Membership.party),
            selectinload(Councillor.former_names),
        )
    ).all()
    latest_day = (
        select(AccountMetric.account_id, func.max(AccountMetric.as_of).label("as_of"))
        .group_by(AccountMetric.account_id)
        .subquery()
    )
    metrics = {
        m.account_id: m
        for m in session.scalars(
            select(AccountMetric).join(
                latest_day,
                (AccountMetric.account_id == latest_day.c.account_id) & (AccountMetric.as_of == latest_day.c.as_of),
            )
        )
    }
    evidence_by_person: dict[int, dict[int, list[AccountEvidence]]] = defaultdict(lambda: defaultdict(list))
    for ev in session.scalars(select(AccountEvidence).options(selectinload(AccountEvidence.account))):
        evidence_by_person[ev.councillor_id][ev.account_id].append(ev)
    last_steps = {
        step.council_id: step
        for step in session.scalars(
            select(RunStep).where(RunStep.stage == "roster").order_by(RunStep.id)
        )
    }
    people, former = [], []
    for c in councillors:
        views = [
            AccountView(evs[0].account, metrics.get(account_id), sorted(evs, key=_evidence_order))
            for account_id, evs in evidence_by_person[c.id].items()
            if evs[0].account.status != "merged"  # shown once, as the account it was merged into
        ]
        views.sort(key=lambda a: (LEVELS.index(a.level) if a.level else len(LEVELS), -a.posts_30d, a.account.platform))
        accounts = [v for v in views if v.level is not None]
        withdrawn = [v for v in views if v.level is None]
        if c.current is not None:
            people.append(PersonView(c, c.current, accounts, withdrawn))
        elif c.memberships:
            former.append(PersonView(c, c.memberships[-1], accounts, withdrawn))
    return {
        "councils": councils,
        "people": people,
        "former": former,
        "last_steps": last_steps,
        "generated_at": utcnow(),
        "fictional": any(c.fictional for c in councils),
    }


def _evidence_order(evidence: AccountEvidence):
    return (evidence.withdrawn_at is not None, LEVELS.index(evidence.level) if evidence.level in LEVELS else 99, evidence.id)


def _figures(people: list[PersonView], seats: int | None = None) -> dict:
    """Counts for a group of councillors. ``seats`` is the denominator of the shares: a council's
    seats when known (vacancies included); for a nation or party, its councillors."""
    platforms = Counter(a.account.platform for p in people for a in p.accounts if a.confirmed)
    if seats is not None and seats < len(people):  # a stale seat count is no denominator
        seats = 0
    return {
        "councillors": len(people),
        "seats": seats if seats is not None else len(people),
        "with_account": sum(1 for p in people if p.confirmed),
        "active": sum(1 for p in people if p.active),
        "unconfirmed": sum(1 for p in people if p.accounts and not p.confirmed),
        "posts_30d": sum(p.posts_30d for p in people),
        "platforms": platforms.most_common(),
    }


def _render_all(env: Environment, data: dict, out: Path) -> int:
    (out / "councils").mkdir()
    (out / "councillors").mkdir()
    common = {"generated_at": data["generated_at"], "fictional": data["fictional"], "version": __version__}
    by_council: dict[int, list[PersonView]] = defaultdict(list)
    for person in data["people"]:
        by_council[person.councillor.council_id].append(person)
    former_by_council: dict[int, list[PersonView]] = defaultdict(list)
    for person in data["former"]:
        former_by_council[person.councillor.council_id].append(person)

    council_rows = []
    for council in data["councils"]:
        people = by_council.get(council.id, [])
        if not people and council.id not in data["last_steps"]:
            continue
        figures = _figures(people, seats=council.seats or 0)  # no seat count: no share (pct shows "–")
        council_rows.append({"council": council, "figures": figures, "step": data["last_steps"].get(council.id)})
    nations, parties = defaultdict(list), defaultdict(list)
    for person in data["people"]:
        nations[person.councillor.council.nation].append(person)
        party = person.membership.party
        parties[party.name if party else "No party recorded"].append(person)

    pages = 0

    def write(path: str, template: str, root: str, **context) -> None:
        nonlocal pages
        html = env.get_template(template).render(root=root, **common, **context)
        (out / path).write_text(html, encoding="utf-8")
        pages += 1

    write("index.html", "index.html", "", figures=_figures(data["people"]), councils=council_rows,
          nations=sorted((n, _figures(p)) for n, p in nations.items()),
          parties=sorted(((n, _figures(p)) for n, p in parties.items()), key=lambda item: (-item[1]["councillors"], item[0])))  # fmt: skip
    write("method.html", "method.html", "", levels=LEVELS,
          methods=[(k, m) for k, m in METHODS.items() if k != "moved_from"])  # fmt: skip
    ranked = sorted((p for p in data["people"] if p.active), key=lambda p: (-p.posts_30d, p.councillor.name))
    write("leaderboard.html", "leaderboard.html", "", people=ranked[:100])
    for row in council_rows:
        council = row["council"]
        wards: dict[str, list[PersonView]] = defaultdict(list)
        for person in sorted(by_council.get(council.id, []), key=lambda p: p.councillor.name):
            wards[person.membership.ward.name].append(person)
        write(f"councils/{council.code.lower()}.html", "council.html", "../", council=council,
              figures=row["figures"], step=row["step"], wards=sorted(wards.items()),
              former=former_by_council.get(council.id, []))  # fmt: skip
    for person in data["people"] + data["former"]:
        write(f"councillors/{person.councillor.slug}.html", "councillor.html", "../", person=person,
              council=person.councillor.council, former=person.membership.end_date is not None)  # fmt: skip
    return pages
