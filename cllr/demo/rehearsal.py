"""A rehearsal of the real registry: a demo web on which the first national run can be rehearsed offline.

Every council of ``cllr/data/councils.csv`` (or those asked for) with its real code, name, CMS
family and the real host names of its ``roster_url``, which the HTTP layer reaches through
``connect_to`` like the demo's; ``disabled`` ones stay disabled. The people are fictional,
generated as the demo's are (``cllr.demo.world``: invented names, fictional wards, accounts
on the demo's platforms), and every council is marked ``fictional`` in the registry written
for the run, which puts a notice on every page of the site.

ModernGov and CMIS councils are served as the demo serves those families (``cllr.demo.sites``,
real-size pages), under the registry's own base URLs; councils on one shared instance
(``cllr/data/shared_instances.csv``) share one roster, their councillors written with the
e-mail domains and ward marks the rules split it by. The HTML and JSON councils are served
pages cloned from their fixture folders (``cllr.demo.cloning``) and read with their real
entries of ``cllr/data/council_scrapers.yaml``. The registry has no seat counts: some generated
rosters have vacant seats, and the pipeline counts each council's seats from its roster.
Generation is deterministic per council (its code and the seed), whichever councils are taken.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from cllr.config import BUNDLED_REGISTRY, BUNDLED_SCRAPERS, BUNDLED_SHARED_INSTANCES
from cllr.demo import world as demo
from cllr.demo.cloning import HTML_TYPE, Person, clone, key, load_fixture, problems, read_back
from cllr.demo.sites import profile_page
from cllr.demo.world import Council, Councillor, World
from cllr.names import slugify
from cllr.pipeline.registry import COLUMNS, write_registry
from cllr.pipeline.shared_instances import Rules, read_rules
from scrapers.families import read_council_configs

Reply = tuple[int, dict[str, str], bytes]

# Wards and councillors per ward by council type, so that the registry comes to about the UK's 18,000.
SIZES = {
    "NMD": ((12, 22), (1, 3)),
    "UA": ((18, 30), (1, 3)),
    "MD": ((20, 24), (3, 3)),
    "LBO": ((16, 24), (2, 3)),
    "CTY": ((45, 70), (1, 1)),
    "CC": ((25, 25), (1, 4)),
    "SCO": ((8, 20), (3, 4)),
    "WPA": ((20, 40), (1, 2)),
    "NID": ((7, 10), (5, 7)),
}
PARTIES = {
    "England": [p for p in demo.PARTIES if p[0]],
    "Wales": [
        ("Labour", 30),
        ("Plaid Cymru", 22),
        ("Independent", 18),
        ("Conservative", 16),
        ("Liberal Democrats", 6),
        ("Reform UK", 5),
        ("Green Party", 3),
    ],
    "Scotland": [
        ("Scottish National Party", 34),
        ("Scottish Labour", 24),
        ("Scottish Conservative and Unionist", 18),
        ("Independent", 12),
        ("Scottish Liberal Democrats", 8),
        ("Scottish Green Party", 4),
    ],
    "Northern Ireland": [
        ("Sinn Féin", 30),
        ("DUP", 26),
        ("Alliance Party", 15),
        ("Ulster Unionist Party", 12),
        ("SDLP", 9),
        ("Independent", 4),
        ("TUV", 3),
        ("Green Party", 1),
    ],
}
FIRST_UID = 20_000  # above the ids the shared instances' include and exclude rows name


@dataclass
class RealCouncil(Council):
    """A council of the registry, with its own base URL and roster URL (its people generated)."""

    base: str = ""
    roster: str = ""

    @property
    def base_url(self) -> str:
        return self.base

    @property
    def roster_url(self) -> str:
        return self.roster


@dataclass
class Rehearsal:
    """The registry's councils with generated people, and what the demo web serves for them."""

    world: World  # the sites served: one council a host (a shared instance's councils merged), and the accounts
    rows: list[dict[str, str]]  # the registry for the run: the real rows, marked fictional
    pages: dict[str, dict[str, Reply]] = field(default_factory=dict)  # host → page → reply (HTML and JSON)
    expected: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # HTML and JSON councils' records
    councillors: dict[str, int] = field(default_factory=dict)  # code → generated councillors
    vacancies: dict[str, int] = field(default_factory=dict)  # code → vacant seats on its roster
    scrapers: Path = BUNDLED_SCRAPERS

    def files(self, directory: Path) -> dict[str, str]:
        """Write the run's registry; return the settings that point at it (and at the entries it was built with)."""
        path = Path(directory) / "councils.csv"
        write_registry(path, self.rows)
        return {"registry": str(path), "scrapers": str(self.scrapers)}

    @property
    def people(self) -> int:
        return sum(self.councillors.values())


def read_rows(path: Path = BUNDLED_REGISTRY) -> list[dict[str, str]]:
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def pick(rows: list[dict[str, str]], count: int) -> list[str]:
    """``count`` codes spread evenly over the registry (every family in its share)."""
    if count >= len(rows):
        return [r["code"] for r in rows]
    return [rows[round(n * len(rows) / count)]["code"] for n in range(count)]


def build_rehearsal(
    codes: list[str] | None = None,
    seed: int = 2026,
    now: datetime | None = None,
    scale: float = 1.0,
    shares: tuple[float, float, float] = (0.34, 0.12, 0.08),
    registry: Path = BUNDLED_REGISTRY,
    scrapers: Path = BUNDLED_SCRAPERS,
    shared_instances: Path = BUNDLED_SHARED_INSTANCES,
    check: bool = True,
) -> Rehearsal:
    """The rehearsal of the registry's councils (``codes``: those only). ``scale`` sizes the councils
    (1: about the real ones); ``shares``: of councillors with a Bluesky account, a Mastodon account and
    a blog. With ``check``, each HTML and JSON council's pages are read back with its entry first
    (``cllr.demo.cloning.problems``): a council that would not give its generated councillors is a
    ``ValueError``."""
    now = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    rows = read_rows(registry)
    position = {r["code"]: n for n, r in enumerate(rows)}  # a council's ids, whichever councils are taken
    wanted = {c.upper() for c in codes} if codes else {r["code"] for r in rows}
    unknown = wanted - {r["code"] for r in rows}
    if unknown:
        raise ValueError(f"not in the registry: {', '.join(sorted(unknown))}")
    rows = [r for r in rows if r["code"] in wanted]
    entries = read_council_configs(scrapers)
    rules = read_rules(shared_instances)
    rehearsal = Rehearsal(World(seed, now, []), [], scrapers=scrapers)
    served: dict[str, RealCouncil] = {}
    for row in rows:
        council = _council(row, position[row["code"]], seed, now, scale, shares, rules.get(row["code"]))
        rehearsal.rows.append({k: row.get(k, "") for k in COLUMNS} | {"fictional": "true"})
        rehearsal.councillors[council.code] = len(council.councillors)
        rehearsal.vacancies[council.code] = len(council.vacancies)
        if council.cms in ("html", "json"):
            _clone(rehearsal, council, row, entries.get(council.code), check)
            rehearsal.world.councils.append(council)  # for its accounts; its pages are served as written
        elif council.host in served:  # one roster for the councils of a shared instance
            host = served[council.host]
            host.code += "+" + council.code
            host.councillors += council.councillors
            host.wards += [w for w in council.wards if w not in host.wards]
            host.vacancies += council.vacancies
        else:
            served[council.host] = council
            rehearsal.world.councils.append(council)
    clash = set(served) & set(rehearsal.pages)
    if clash:
        raise ValueError(f"hosts served both as ModernGov or CMIS and as written pages: {sorted(clash)}")
    return rehearsal


def _council(
    row: dict,
    position: int,
    seed: int,
    now: datetime,
    scale: float,
    shares: tuple[float, float, float],
    rules: Rules | None,
) -> RealCouncil:
    """One registry council with generated wards, councillors (and their accounts) and vacant seats."""
    code, cms, url = row["code"], row["cms"], row["roster_url"].strip()
    rng = random.Random(f"{seed}:{code}")
    (wards_from, wards_to), per_ward = SIZES.get(row["council_type"], SIZES["UA"])
    place = demo.PLACES[position % len(demo.PLACES)]
    count = max(2, round(rng.randint(wards_from, wards_to) * scale))
    wards = demo._wards(rng, place, count)
    if rules is not None and rules.ward_suffixes:
        wards = [f"{w} {rules.ward_suffixes[0]}" for w in wards]
    parts = urlsplit(url)
    council = RealCouncil(
        code,
        row["name"],
        slugify(row.get("common_name") or row["name"]),
        row["council_type"],
        row["nation"],
        parts.hostname or "",
        wards,
        [],
        cms,
        base=_base(cms, url),
        roster=url,
    )
    names = demo._name_pool(rng)
    parties = PARTIES.get(row["nation"], PARTIES["England"])
    uid = FIRST_UID + position * 10_000  # each council its own range: a shared roster's ids never clash
    account_id = 109_000_000_000_000_000 + position * 10**12
    for ward in wards:
        for _ in range(rng.randint(*per_ward)):
            first, last = names.pop()
            title = rng.choice(("Councillor ", "Councillor ", "Cllr ", ""))
            member = Councillor(uid, first, last, ward, demo._weighted(rng, parties), title)
            uid += rng.randint(1, 9)
            if rules is not None and rules.email_domains:
                member.email = f"{first.lower()}.{last.lower()}@{rules.email_domains[0]}"
            for platform in demo._platforms(rng, shares):
                account_id += rng.randint(1, 10_000)
                member.accounts.append(demo._account(rng, platform, member, council.slug, account_id, now))
            member.handle_in_notes = cms in ("moderngov", "cmis") and bool(member.accounts) and rng.random() < 0.15
            council.councillors.append(member)
    if cms in ("moderngov", "cmis") and rng.random() < 0.3:  # a by-election pending: a seat or two vacant
        council.vacancies = sorted(rng.sample(wards, min(len(wards), rng.randint(1, 2))))
    for member in council.councillors:
        demo._cross_link(council, member, now)
    return council


def _base(cms: str, url: str) -> str:
    """The site's base URL: ModernGov's is the registry's; CMIS's the roster's first folder, when it has more."""
    url = url.rstrip("/")
    if cms != "cmis":
        return url
    parts = urlsplit(url)
    folders = parts.path.strip("/").split("/")
    return f"{parts.scheme}://{parts.netloc}" + (f"/{folders[0]}" if len(folders) > 1 else "")


def _clone(rehearsal: Rehearsal, council: RealCouncil, row: dict, entry: dict | None, check: bool) -> None:
    """An HTML or JSON council's pages, cloned from its fixture folder for its generated councillors."""
    if entry is None:  # no entry: the pipeline will skip it, as it would skip the real one
        return
    fixture = load_fixture(council.code, entry, row)
    people = [
        Person(m.first, m.last, m.ward, m.party, tuple((a.url, a.label) for a in m.accounts if a.on_council_page))
        for m in council.councillors
    ]
    cloned = clone(fixture, people)
    read = _read_back(fixture, cloned)
    if check and problems(fixture, cloned, read):  # the accounts' links in the way of a selector: without them
        cloned = clone(fixture, [Person(p.first, p.last, p.ward, p.party) for p in people])
        read = _read_back(fixture, cloned)
        if found := problems(fixture, cloned, read):
            raise ValueError("; ".join(found[:5]))
    rehearsal.expected[council.code] = cloned.expected
    pages = {(urlsplit(url).hostname, key(url)): reply for url, reply in cloned.pages.items()}
    by_name = {m.name: m for m in council.councillors}
    for scraped in read:  # a councillor's own page the entry does not read (the profiles stage will): the demo's
        url = scraped.profile_url
        if url and (urlsplit(url).hostname, key(url)) not in pages and scraped.name in by_name:
            container = "modgov" if "mguserinfo.aspx" in url.lower() else "main"
            body = profile_page(council, by_name[scraped.name], container=container).encode()
            pages[(urlsplit(url).hostname, key(url))] = (HTML_TYPE, body)
    for (host, page), (content_type, body) in pages.items():
        rehearsal.pages.setdefault(host or "", {})[page] = (200, {"Content-Type": content_type}, body)


def _read_back(fixture, cloned) -> list:
    try:
        return read_back(fixture, cloned.pages)
    except Exception as exc:  # a council whose pages cannot be read at all
        raise ValueError(f"{fixture.code}: {type(exc).__name__}: {exc}") from None
