"""Render the static site from the database with Jinja2 (autoescaping on), published atomically.

Pages link to each other with relative URLs, so the site works from any directory, a
sub-path of a web server, or straight from disk.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from jinja2 import Environment
from sqlalchemy import case, event, func, select
from sqlalchemy.orm import Session

from cllr import __version__
from cllr.evidence import LEVELS, METHODS
from cllr.platforms import label
from cllr.postcodes.importer import latest_release
from cllr.roles import EXECUTIVE
from cllr.site.changes import changes, council_place, councillor_place, ward_place
from cllr.site.charts import adoption_chart, bar_chart, national_charts
from cllr.site.environment import environment
from cllr.site.feeds import write_feeds
from cllr.site.fingerprint import FINGERPRINT, build_fingerprint
from cllr.site.forked_renderer import Claims, alongside
from cllr.site.gc_pause import collector_paused, held_aside
from cllr.site.glance import at_a_glance
from cllr.site.opendata import write_downloads
from cllr.site.opendata.api import API, api_examples
from cllr.site.postcode_shards import write_postcode_shards
from cllr.site.quality import by_completeness, council_quality, read_open_items
from cllr.site.search import write_account_index, write_search_index
from cllr.site.views import PersonView, figure_history, figures, gather_people, leadership
from cllr.urls import safe_url
from models import (
    Council,
    Party,
    Post,
    RunStep,
    Ward,
)
from models.accounts import ACTIVE_DAYS
from models.base import utcnow

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
        "name": "directory.schema.json",
        "href": "data/directory.schema.json",
        "what": "The JSON Schema (2020-12) that directory.json and each council's JSON file are valid against: "
        "every field's type, the values a coded field may take, and the bounds of counts and shares",
        "tool": "any JSON Schema validator (Python's jsonschema)",
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
        "what": "The published tables as a SQLite database, history included, with full-text search and views",
        "tool": "sqlite3, Datasette, DB Browser for SQLite",
    },
    {
        "name": "metadata.json",
        "href": "data/metadata.json",
        "what": "Datasette's description of cllr.sqlite3: licence, source, every table, view and column, its search boxes",
        "tool": "Datasette: datasette cllr.sqlite3 --metadata metadata.json",
    },
]


def week_labels(now: datetime) -> list[str]:
    """The chart's weeks, oldest first, each labelled by the day it starts."""
    return [(now - timedelta(days=7 * k)).strftime("%-d %b") for k in range(WEEKS, 0, -1)]


@dataclass(frozen=True)
class Build:
    pages: int  # pages rendered; 0 when nothing had changed
    renderer_private_mb: float | None = None  # memory the forked renderer held on its own (docs/benchmarks.md)


def build_site(
    session: Session,
    out_dir: Path,
    *,
    site_url: str | None = None,
    contact_url: str | None = None,
    intake_url: str | None = None,
    controller: str | None = None,
    privacy_contact: str | None = None,
    force: bool = False,
) -> Build:
    """Render every page and the downloads into a fresh directory, then swap it in place of ``out_dir``.

    Returns the pages rendered (:class:`Build`). Nothing is rebuilt when the site was built from the same
    data, templates and settings on the same day (``fingerprint``), unless ``force``. A
    page that comes out byte-identical to the published one keeps the published file
    (hard-linked: same inode and time), so a sync to a host sends only what changed.
    With ``intake_url`` (the corrections intake), each councillor page links to its
    "suggest a correction" form and each council page to the council form.

    The councillor pages are rendered in a forked child process (``cllr.site.forked_renderer``) while
    this one renders the rest and writes the downloads, then joins in: the second core.
    """
    out_dir = Path(out_dir)
    fingerprint = build_fingerprint(session, site_url, contact_url, intake_url, controller, privacy_contact)
    if not force and (out_dir / FINGERPRINT).is_file() and (out_dir / FINGERPRINT).read_text() == fingerprint:
        return Build(0)
    with collector_paused():
        data = _gather(session)
    data["contact_url"] = contact_url
    # who runs this copy and how to reach them about personal data and accessibility (the privacy page)
    data["controller"] = (controller or "").strip() or None
    data["privacy_contact"] = _contact_link(privacy_contact or contact_url)
    data["intake_url"] = (intake_url or "").rstrip("/") or None
    env = environment()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(out_dir.parent)
    staging = Path(tempfile.mkdtemp(prefix=".site-", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would keep a web server running as another user out
    try:
        # The directory just read lives as long as the build: collections need not walk it, and
        # the forked renderer of the councillor pages shares it without copying what they touch.
        with held_aside():
            render = _Pages(env, staging, out_dir, site_url, data)
            claims = Claims(len(data["people"]) + len(data["former"]))
            with alongside(
                lambda: _councillor_pages(render, data, claims), forbid=lambda: _refuse_queries(session)
            ) as helper:
                if data["postcodes"]:  # first: the finder's hint on the pages names a postcode that works
                    shards = write_postcode_shards(session, staging / "postcodes", data["people"], data["councils"])
                    render.common["postcode_examples"] = shards["examples"]
                pages = _render_all(render, data, staging)
                shutil.copytree(Path(str(files("site_templates"))) / "static", staging / "static")
                _party_styles(session, staging / "static" / "parties.css")
                write_downloads(session, staging / "data", data["generated_at"], site_url, api_dir=staging / API)
                pages += _councillor_pages(render, data, claims)  # the pages the child has not claimed yet
            pages += helper.result
        _sitemap(staging, site_url)
        _keep_unchanged(staging, out_dir)
        (staging / FINGERPRINT).write_text(fingerprint)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Build(pages, helper.private_mb)


STALE_STAGING = 3600  # seconds untouched after which a build's staging folder is an interrupted build's


def _remove_stale_staging(parent: Path) -> None:
    """Remove the staging folders (``.site-*``) of builds interrupted before they were published."""
    cutoff = time.time() - STALE_STAGING
    for folder in parent.glob(".site-*"):
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _contact_link(contact: str | None) -> dict | None:
    """A contact as a link: an e-mail address as ``mailto:``, a web address as it is (http or https only)."""
    contact = (contact or "").strip()
    if re.fullmatch(r"[^@\s/:]+@[^@\s/]+\.[^@\s/]+", contact):
        return {"href": f"mailto:{contact}", "text": contact}
    if safe_url(contact):
        return {"href": contact, "text": contact}
    return None


def _keep_unchanged(staging: Path, published: Path) -> int:
    """Replace each new file identical to the published one by a hard link to it; returns how many.

    The pages are left out: each was compared with the published page as it was rendered (:class:`_Pages`).
    """
    kept = 0
    if not published.is_dir():
        return kept
    for folder, subfolders, names in os.walk(staging):
        here = Path(folder)
        if here == staging:
            subfolders[:] = [name for name in subfolders if name not in _Pages.FOLDERS]
            names = [name for name in names if not name.endswith(".html")]
        for name in names:
            new = here / name
            old = published / new.relative_to(staging)
            if old.is_file() and old.stat().st_size == new.stat().st_size and old.read_bytes() == new.read_bytes():
                new.unlink()
                _keep(old, new)
                kept += 1
    return kept


def _keep(old: Path, new: Path) -> None:
    """Put the published file ``old`` at ``new`` as it is: a hard link, or on another file system a copy with its time."""
    try:
        os.link(old, new)
    except OSError:
        shutil.copy2(old, new)


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
    people, former = gather_people(session)
    last_steps = {
        step.council_id: step
        for step in session.scalars(select(RunStep).where(RunStep.stage == "roster").order_by(RunStep.id))
    }
    now = utcnow()
    vacant: dict[int, dict[str, int]] = defaultdict(dict)
    for council_id, name, seats in session.execute(
        select(Ward.council_id, Ward.name, Ward.vacant_seats).where(Ward.vacant_seats > 0)
    ):
        vacant[council_id][name] = seats
    return {
        "councils": councils,
        "vacant": vacant,
        "people": people,
        "former": former,
        "weekly": _weekly_posts(session, now),
        "events": changes(session, [p.councillor for p in people + former]),  # the councillors just read
        "history": figure_history(session),
        "platforms": sorted({a.account.platform for p in people for a in p.accounts if a.active}),
        "last_steps": last_steps,
        "generated_at": now,
        "fictional": any(c.fictional for c in councils),
        "postcodes": latest_release(session),  # the postcode finder is shown once a directory is held
        "open_items": read_open_items(session),  # for the data-quality report
    }


def _weekly_posts(session: Session, now: datetime) -> dict[int, list[int]]:
    """Account id → its posts in each of the last WEEKS weeks, oldest first (one grouped query)."""
    bounds = [now - timedelta(days=7 * k) for k in range(WEEKS + 1)]
    weeks = [
        func.sum(case(((Post.posted_at >= bounds[k + 1]) & (Post.posted_at < bounds[k]), 1), else_=0))
        for k in range(WEEKS)
    ]
    rows = session.execute(
        select(Post.account_id, *weeks)
        .where(Post.posted_at >= bounds[-1], Post.posted_at < now)
        .group_by(Post.account_id)
    )
    return {row[0]: [int(n or 0) for n in reversed(row[1:])] for row in rows}


class _Pages:
    """Renders each page into the staging directory, or, when it comes out byte-identical to
    the published page, links the published file there instead (no new file to write, and
    the page keeps its inode and time: a sync to a static host skips it). Counts the pages."""

    FOLDERS = ("councils", "councillors", "leaderboards", "quality")  # pages only

    def __init__(self, env: Environment, staging: Path, published: Path, site_url: str | None, data: dict) -> None:
        self.env, self.staging, self.published, self.site_url = env, staging, published, site_url
        self.common = {
            "generated_at": data["generated_at"],
            "fictional": data["fictional"],
            "version": __version__,
            "postcodes": data["postcodes"],
            "postcode_examples": {},
        }
        self.count = 0
        for folder in (*self.FOLDERS, "search"):
            (staging / folder).mkdir(exist_ok=True)

    def __call__(self, path: str, template: str, **context) -> None:
        canonical = f"{self.site_url.rstrip('/')}/{path}" if self.site_url else None
        html = self.env.get_template(template).render(
            root="../" * path.count("/"), canonical=canonical, **self.common, **context
        )
        content, old = html.encode("utf-8"), self.published / path
        try:
            same = old.stat().st_size == len(content) and old.read_bytes() == content
        except OSError:  # not published yet
            same = False
        if same:
            _keep(old, self.staging / path)
        else:
            (self.staging / path).write_bytes(content)
        self.count += 1


def _refuse_queries(session: Session) -> None:
    """Make the session's database refuse every statement (in the forked renderer, whose connection is the parent's)."""

    def refuse(*args, **kwargs) -> None:
        raise RuntimeError(
            "a page rendered in the helper process queried the database; the views must carry what it shows"
        )

    event.listen(session.get_bind(), "before_cursor_execute", refuse)


def _render_all(write: _Pages, data: dict, out: Path) -> int:
    """Render every page but the councillors' (:func:`_councillor_pages`), and the search index, into ``out``;
    returns how many pages."""
    before = write.count
    by_council = _by_council(data["people"])
    former_by_council = _by_council(data["former"])

    council_rows = []
    for council in data["councils"]:
        people = by_council.get(council.id, [])
        if not people and council.id not in data["last_steps"]:
            continue
        counts = figures(people, seats=council.seat_count or 0)  # no seat count: no share (pct shows "–")
        council_rows.append({"council": council, "figures": counts, "step": data["last_steps"].get(council.id)})
    nations, parties = defaultdict(list), defaultdict(list)
    for person in data["people"]:
        nations[person.councillor.council.nation].append(person)
        parties[person.membership.party].append(person)

    party_rows = sorted(
        (
            {
                "key": party.key if party else None,
                "name": party.name if party else "No party recorded",
                "figures": figures(people),
                "page": f"leaderboards/party-{party.key}.html" if party else None,
            }
            for party, people in parties.items()
        ),
        key=lambda row: (-row["figures"]["councillors"], row["name"]),
    )
    held = [row for row in council_rows if row["figures"]["councillors"]]
    today = data["generated_at"].date()
    coverage = {
        "councils": sum(1 for c in data["councils"] if c.end_date is None or c.end_date >= today),
        "held": len(held),
        "seats": sum(row["council"].seat_count or 0 for row in held),
        "without_seats": sum(1 for row in held if not row["council"].seat_count),
    }
    national = figures(data["people"])
    write(
        "index.html",
        "index.html",
        coverage=coverage,
        figures=national,
        charts=national_charts(national, ACTIVE_DAYS),
        councils=council_rows,
        nations=sorted((n, figures(p)) for n, p in nations.items()),
        parties=[(row["name"], row["figures"]) for row in party_rows],
    )
    write(
        "councils/index.html",
        "councils_index.html",
        councils=council_rows,
        nations=sorted({r["council"].nation for r in council_rows}),
        types=sorted({r["council"].council_type for r in council_rows if r["council"].council_type}),
    )
    write("parties.html", "parties.html", parties=party_rows)
    write(
        "method.html", "method.html", levels=LEVELS, methods=[(k, m) for k, m in METHODS.items() if k != "moved_from"]
    )

    # Rankings: overall, by platform, by party, and councils by share of seats active.
    write(
        "leaderboard.html",
        "leaderboard.html",
        people=_ranking(data["people"], lambda a: True),
        platforms=data["platforms"],
        parties=[row for row in party_rows if row["page"]],
    )
    write(
        "leaderboards/leaders.html",
        "ranking.html",
        heading="Council leaders and cabinets",
        lede="Leaders, deputy leaders and cabinet members, by their posts on their own confirmed accounts "
        "(their roles as their councils' pages list them).",
        people=_ranking([p for p in data["people"] if EXECUTIVE & set(p.roles)], lambda a: True),
    )
    for platform in data["platforms"]:
        write(
            f"leaderboards/platform-{platform}.html",
            "ranking.html",
            heading=f"Most active on {label(platform)}",
            lede=f"Councillors ranked by their posts on {label(platform)}.",
            people=_ranking(data["people"], lambda a, platform=platform: a.account.platform == platform),
        )
    for party, people in parties.items():
        if party is not None:
            write(
                f"leaderboards/party-{party.key}.html",
                "ranking.html",
                heading=f"Most active: {party.name}",
                lede=f"{party.name} councillors ranked by their posts.",
                people=_ranking(people, lambda a: True),
            )
    with_seats = [r for r in council_rows if r["figures"]["seats"]]
    write(
        "leaderboards/councils.html",
        "councils_ranked.html",
        ranked=sorted(with_seats, key=lambda r: (-r["figures"]["active"] / r["figures"]["seats"], r["council"].name)),
        unranked=[r for r in council_rows if not r["figures"]["seats"]],
    )

    places = []  # the councils, wards and councillors with a page: each has a feed its page links to
    checks = []  # each council's data-quality report
    for row in council_rows:
        council = row["council"]
        wards: dict[str, list[PersonView]] = defaultdict(list)
        for person in sorted(by_council.get(council.id, []), key=lambda p: p.councillor.name):
            wards[person.membership.ward.name].append(person)
        vacant = data["vacant"].get(council.id, {})
        for name in vacant:  # a ward whose every seat is vacant is listed too
            wards.setdefault(name, [])
        history = data["history"].get(council.id, [])[:HISTORY_ROWS]
        places += [council_place(council), *(ward_place(name, council) for name in wards)]
        form = f"{data['intake_url']}/council" if data["intake_url"] else None
        quality = council_quality(by_council.get(council.id, []), data["open_items"], council.id, form)
        checks.append({"council": council, "quality": quality, "step": row["step"]})
        write(
            f"quality/{council.code.lower()}.html",
            "quality.html",
            council=council,
            quality=quality,
            step=row["step"],
            council_form=form,
        )
        write(
            f"councils/{council.code.lower()}.html",
            "council.html",
            council=council,
            figures=row["figures"],
            step=row["step"],
            wards=sorted(wards.items()),
            vacant=vacant,
            former=former_by_council.get(council.id, []),
            history=history,
            leaders=leadership(by_council.get(council.id, [])),
            council_form=form,
            history_chart=adoption_chart(council.name, history),
        )
    write("quality/index.html", "quality_index.html", rows=by_completeness(checks))
    # Finding people without a search box: A to Z by surname; and the search index.
    everyone = data["people"] + data["former"]
    places += [councillor_place(person.councillor) for person in everyone]
    by_letter: dict[str, list[PersonView]] = defaultdict(list)
    for person in everyone:
        by_letter[_initial(person.councillor.name.split()[-1] if person.councillor.name.split() else "")].append(person)
    letters = sorted((letter, len(people)) for letter, people in by_letter.items())
    for letter, people in by_letter.items():
        write(
            f"councillors/az-{letter}.html",
            "az.html",
            letter=letter,
            letters=letters,
            people=sorted(people, key=lambda p: (p.councillor.name.split()[-1].lower(), p.councillor.name)),
        )
    write("search.html", "search.html", letters=letters)
    write_search_index(out / "search", everyone, [r["council"] for r in council_rows])
    write_account_index(out / "search", everyone)

    events = data["events"]
    days = defaultdict(list)
    for change in events:
        days[change.when.date()].append(change)
    write("changes.html", "changes.html", days=sorted(days.items(), reverse=True)[:30], limit=60)
    write_feeds(write.env, out, events, places, site_url=write.site_url, generated_at=data["generated_at"])

    for name in ("about", "privacy", "accessibility"):
        write(f"{name}.html", f"{name}.html", controller=data["controller"], privacy_contact=data["privacy_contact"])
    write("data.html", "data.html", files=DOWNLOADS, councils=[r["council"] for r in council_rows])
    write("api.html", "api.html", site_url=write.site_url, **api_examples(council_rows, everyone))
    return write.count - before


def _councillor_pages(write: _Pages, data: dict, claims: Claims) -> int:
    """Render the pages of the councillors, sitting and former, whose places in the list ``claims`` hands out; returns how many."""
    before = write.count
    weeks = week_labels(data["generated_at"])
    everyone = data["people"] + data["former"]
    for person in (everyone[i] for chunk in claims for i in chunk):
        weekly = person.weekly(data["weekly"], WEEKS)
        write(
            f"councillors/{person.councillor.slug}.html",
            "councillor.html",
            person=person,
            council=person.councillor.council,
            former=person.membership.end_date is not None,
            weekly=list(zip(weeks, weekly, strict=True)),
            glance=at_a_glance(person, data["generated_at"], ACTIVE_DAYS),
            contact_url=data["contact_url"],
            suggest_url=f"{data['intake_url']}/suggest?councillor={quote(person.councillor.slug)}"
            if data["intake_url"]
            else None,
            chart=bar_chart(weekly, weeks, title=f"Posts per week by {person.councillor.name}, last {WEEKS} weeks")
            if any(weekly)
            else None,
        )
    return write.count - before


def _by_council(people: list[PersonView]) -> dict[int, list[PersonView]]:
    grouped: dict[int, list[PersonView]] = defaultdict(list)
    for person in people:
        grouped[person.councillor.council_id].append(person)
    return grouped


def _ranking(people: list[PersonView], which) -> list[dict]:
    """Councillors ranked by posts in 30 days on their counted accounts that ``which`` selects (the top 100)."""
    rows = []
    for person in people:
        accounts = [a for a in person.accounts if a.counted and which(a)]
        posts = sum(a.posts_30d for a in accounts)
        if posts:
            last = max((a.metric.last_post_at for a in accounts if a.metric and a.metric.last_post_at), default=None)
            rows.append({"person": person, "posts": posts, "last": last})
    return sorted(rows, key=lambda r: (-r["posts"], r["person"].councillor.name))[:100]


def _initial(word: str) -> str:
    first = unicodedata.normalize("NFD", word[:1]).encode("ascii", "ignore").decode().lower()
    return first if first.isalpha() else "0"


def _sitemap(out: Path, site_url: str | None) -> None:
    """sitemap.xml of every page, when the site's public URL is known (sitemaps need absolute URLs)."""
    if not site_url:
        return
    base = site_url.rstrip("/")
    urls = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    body = "".join(f"<url><loc>{xml_escape(f'{base}/{u}')}</loc></url>" for u in urls)
    (out / "sitemap.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>\n',
        encoding="utf-8",
    )
