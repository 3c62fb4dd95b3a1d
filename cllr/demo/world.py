"""A generated, fictional world: councils, councillors, their accounts and post histories.

Everything here is invented. Place names are made up, people's surnames are built from
syllables that make no real surname list, every host name ends in ``.example`` (reserved
by RFC 2606, so no link can reach a real site), and no account on a platform where real
people could hold the same handle (X, Facebook) is generated. Generation is
deterministic for a given seed and day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cllr.names import slugify

PLACES = (
    "Northmere",
    "Brackenford",
    "Hollowmere",
    "Ashwater Vale",
    "Eldermoor",
    "Mistlecombe",
    "Greyhaven",
    "Larkspur Downs",
    "Wyndlebury",
    "Marrowby",
    "Fenwold",
    "Stonecrop",
    "Quillhampton",
    "Rookhallow",
    "Thistlewick",
    "Emberley Fen",
    "Sorrelport",
    "Vetchfield",
)
COUNCIL_KINDS = (
    ("District Council", "NMD"),
    ("Borough Council", "NMD"),
    ("County Council", "CTY"),
    ("City Council", "UA"),
    ("Council", "UA"),
)
NATIONS = ("England", "England", "England", "Wales", "Scotland")
FIRST_NAMES = (
    "Alys",
    "Bronwen",
    "Cai",
    "Dafydd",
    "Elin",
    "Fergus",
    "Greer",
    "Hamish",
    "Isla",
    "Jory",
    "Kezia",
    "Lachlan",
    "Morwenna",
    "Niamh",
    "Orla",
    "Piran",
    "Quinn",
    "Rhiannon",
    "Seren",
    "Tamsin",
    "Ulric",
    "Verity",
    "Wynn",
    "Yestin",
    "Zennor",
    "Aurelia",
    "Bram",
    "Clemency",
    "Dorian",
    "Ebony",
    "Faustina",
    "Gideon",
    "Hester",
    "Ivo",
    "Jemima",
    "Kit",
    "Leopold",
    "Marigold",
    "Nye",
    "Ottilie",
    "Perpetua",
    "Rafferty",
    "Saffron",
    "Tobias",
    "Unity",
)
SURNAME_HEADS = (
    "Quill",
    "Brindle",
    "Fallow",
    "Gorse",
    "Marrow",
    "Nettle",
    "Pimm",
    "Sorrel",
    "Thistle",
    "Umber",
    "Vetch",
    "Yarrow",
    "Ember",
    "Kestle",
    "Larch",
    "Wimble",
)
SURNAME_TAILS = (
    "quist",
    "tharpe",
    "wode",
    "combe",
    "mantle",
    "spindle",
    "hollow",
    "fettle",
    "brake",
    "glen",
    "thwaite",
    "knapp",
)
PARTIES = (
    ("Labour", 30),
    ("Conservative", 26),
    ("Liberal Democrats", 16),
    ("Green Party", 10),
    ("Reform UK", 8),
    ("Independent", 8),
    ("Labour and Co-operative Party", 4),
    ("Hollowmere Residents' Association", 2),
    ("", 1),
)
WARD_WORDS = (
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Upper",
    "Lower",
    "Old Town",
    "Riverside",
    "Castle",
    "Abbey",
    "Market",
    "Harbour",
    "St Aldhelm's",
    "Moor & Heath",
)
# Each platform host on a registrable domain of its own, as the real ones are, so each has its own politeness slot.
MASTODON_SERVERS = ("social-demo.example", "toot-demo.example")
BLUESKY_APPVIEW_HOST = "bsky.demo.example"
BLUESKY_PDS_DOMAIN = "pds.demo.example"  # where handles not on a domain of the owner's live, like bsky.social
YOUTUBE_FEEDS_HOST = "youtube-demo.example"  # stands in for www.youtube.com/feeds
DEMO_SITE_URL = "https://directory.demo.example/"  # where the demo's directory is said to be published
PROVIDER_HOST = "moderngov.example"  # a shared ModernGov hosting provider


@dataclass
class Post:
    id: str
    created_at: datetime
    kind: str  # post|reply|repost


@dataclass
class Account:
    platform: str  # bluesky|mastodon|web|youtube
    handle: str  # bluesky handle, mastodon user@server, site host or YouTube channel id
    numeric_id: int
    followers: int
    following: int
    posts: list[Post] = field(default_factory=list)
    moved_to: str | None = None  # mastodon: user@server of the account it moved to
    label: str = ""  # the words the council's page (or the blog) links it with
    on_council_page: bool = True  # False: only the councillor's own website links to it
    profile_links: list[tuple[str, bool]] = field(default_factory=list)  # mastodon fields: (URL, verified)
    description: str = ""  # bluesky profile text
    shows: list[Account] = field(default_factory=list)  # a website: the accounts it links to
    gone: bool = False  # deactivated: the platform no longer knows it

    @property
    def url(self) -> str:
        if self.platform == "bluesky":
            return f"https://bsky.app/profile/{self.handle}"
        if self.platform == "mastodon":
            user, server = self.handle.split("@")
            return f"https://{server}/@{user}"
        if self.platform == "youtube":
            return f"https://www.youtube.com/channel/{self.handle}"
        return f"https://{self.handle}/"


@dataclass
class Councillor:
    uid: int
    first: str
    last: str
    ward: str
    party: str
    title: str  # as the council writes it before the name
    accounts: list[Account] = field(default_factory=list)
    handle_in_notes: bool = False
    email: str = ""  # the address the council lists ("": first.last at the council's demo domain)
    key_posts: tuple[str, ...] = ()  # as the roster lists them (ModernGov's keyposts)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass
class Council:
    code: str
    name: str
    slug: str
    council_type: str
    nation: str
    host: str
    wards: list[str]
    councillors: list[Councillor]
    cms: str = "moderngov"  # moderngov|cmis|html|json
    vacancies: list[str] = field(default_factory=list)  # a ward for each vacant seat its roster lists

    @property
    def base_url(self) -> str:
        return f"https://{self.host}" + ("/cmis5" if self.cms == "cmis" else "")

    @property
    def roster_url(self) -> str:
        """The URL the registry lists: ModernGov's base, CMIS's councillors page, the directory or the JSON service."""
        path = {"cmis": "/Councillors.aspx", "html": "/councillors", "json": "/api/councillors.json"}
        return self.base_url + path.get(self.cms, "")


@dataclass
class World:
    seed: int
    now: datetime
    councils: list[Council]
    elsewhere: list[Account] = field(default_factory=list)  # accounts no council names: where moved ones went

    def accounts(self) -> list[Account]:
        return [a for c in self.councils for m in c.councillors for a in m.accounts]

    def next_day(self, now: datetime | None = None) -> dict[str, str]:
        """The demo web a little later, between the demo's two runs; returns what changed, by kind.

        A Bluesky account the council names is renamed (same DID), another is deactivated,
        a Mastodon account moves to the other server (the old one says where), and every
        account gains a few followers; the busiest post once more. Decided by the accounts'
        order, with no draws from the world's random stream.
        """
        now = now or datetime.now(UTC)
        accounts = self.accounts()
        renamed, vanished = [
            a
            for a in accounts
            if a.platform == "bluesky" and a.on_council_page and a.handle.endswith(BLUESKY_PDS_DOMAIN)
        ][:2]
        mover = next(a for a in accounts if a.platform == "mastodon" and not a.moved_to)
        changed = {"renamed": f"{renamed.handle} -> renamed-{renamed.handle}", "vanished": vanished.handle}
        renamed.handle = "renamed-" + renamed.handle
        vanished.gone = True
        user, server = mover.handle.split("@")
        other = next(s for s in MASTODON_SERVERS if s != server)
        target = replace(
            mover,
            handle=f"{user}@{other}",
            numeric_id=mover.numeric_id + 1,
            moved_to=None,
            profile_links=list(mover.profile_links),
            posts=[],
        )
        mover.moved_to = target.handle
        self.elsewhere.append(target)
        changed["moved"] = f"{mover.handle} -> {target.handle}"
        for a in accounts:
            a.followers += a.numeric_id % 7
            if a.platform in ("bluesky", "mastodon") and len(a.posts) > 40 and not a.gone:
                a.posts.insert(0, Post(f"{len(a.posts):04d}ffffff", now - timedelta(minutes=5), "post"))
        self.now = now
        return changed


def build_world(
    councils: int = 10,
    seed: int = 2026,
    now: datetime | None = None,
    councillors_per_ward: tuple[int, int] = (1, 3),
    wards: tuple[int, int] = (8, 14),
    shared_every: int = 2,
    shares: tuple[float, float, float] = (0.45, 0.2, 0.15),
) -> World:
    """Generate the world. The same seed and day give the same world.

    Every ``shared_every``-th council is hosted by one shared ModernGov provider (as
    about seventy real councils are; none with 0); the others have sites of their own. ``shares``:
    the chance that a councillor has a Bluesky account, a Mastodon account and a blog
    (a third of bloggers also have a YouTube channel).
    """
    now = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    names = _name_pool(rng)
    result = []
    uid = 100
    account_id = 109_000_000_000_000_000
    for index in range(councils):
        place = PLACES[index % len(PLACES)] + ("" if index < len(PLACES) else f" {index // len(PLACES) + 1}")
        kind, council_type = COUNCIL_KINDS[index % len(COUNCIL_KINDS)]
        slug = slugify(place)
        cms = _family(index)
        if cms != "moderngov":
            host = f"{HOST_PREFIX[cms]}.{slug}.example"
        elif shared_every and index % shared_every == 1 % shared_every:
            host = f"{slug}.{PROVIDER_HOST}"
        else:
            host = f"democracy.{slug}.example"
        ward_names = _wards(rng, place, rng.randint(*wards))
        members = []
        for ward in ward_names:
            for _ in range(rng.randint(*councillors_per_ward)):
                if not names:  # a national-size world outgrows the pool: names repeat, as real ones do
                    names = _name_pool(rng)
                first, last = names.pop()
                party = _weighted(rng, PARTIES)
                title = rng.choice(("Councillor ", "Councillor ", "Cllr ", ""))
                councillor = Councillor(uid, first, last, ward, party, title)
                uid += rng.randint(1, 40)
                for platform in _platforms(rng, shares):
                    account_id += rng.randint(1, 10_000)
                    councillor.accounts.append(_account(rng, platform, councillor, slug, account_id, now))
                councillor.handle_in_notes = bool(councillor.accounts) and rng.random() < 0.15
                members.append(councillor)
        if members:
            members[0].title = "The Mayor. Councillor "
        _give_key_posts(members, NATIONS[index % len(NATIONS)])
        code = "X" + chr(65 + index // 26 % 26) + chr(65 + index % 26)  # no real code starts with X
        council = Council(
            code, f"{place} {kind}", slug, council_type, NATIONS[index % len(NATIONS)], host, ward_names, members, cms
        )
        for councillor in members:
            _cross_link(council, councillor, now)
        result.append(council)
    return World(seed, now, result)


HOST_PREFIX = {"cmis": "cmis", "html": "www", "json": "data"}
# A council's key posts, handed out down its list of councillors (no draw from the world's
# seed, so that a world is otherwise the same as before); the first is its civic head.
KEY_POSTS = (
    (),  # the civic head's, by nation: below
    ("Leader of the Council",),
    ("Deputy Leader of the Council and Cabinet Member for Finance",),
    ("Cabinet Member for Housing",),
    ("Cabinet Member for Environment and Transport",),
    ("Cabinet Member for Children's Services",),
    ("Chair of Planning Committee",),
    ("Chair of Licensing & Regulatory Committee",),
    ("Vice Chair of Planning Committee",),
)


def _give_key_posts(members: list[Councillor], nation: str) -> None:
    civic = "Provost" if nation == "Scotland" else "Mayor"
    for member, posts in zip(members, ((civic,), *KEY_POSTS[1:]), strict=False):
        member.key_posts = posts


def _family(index: int) -> str:
    """The CMS family of the index-th council: in every eight, two CMIS, one custom HTML, one JSON.

    (Of real councils about 79% run ModernGov, 9% CMIS and 13% custom HTML; the demo
    has more of the rarer families so that a small world shows every one.)
    """
    return {2: "cmis", 3: "html", 4: "json", 6: "cmis"}.get(index % 8, "moderngov")


def profile_url(council: Council, m: Councillor) -> str:
    """The council's profile page for a councillor, in the URL scheme of its CMS family."""
    if council.cms == "cmis":
        return f"{council.base_url}/People/tabid/62/ctl/ViewCMIS_Person/mid/480/id/{m.uid}/Default.aspx"
    if council.cms in ("html", "json"):
        return f"{council.base_url}/councillors/{m.uid}"
    return f"{council.base_url}/mgUserInfo.aspx?UID={m.uid}"


def directory_url(council: Council, m: Councillor) -> str:
    """The councillor's page in the demo's published directory (``Settings.site_url``)."""
    return f"{DEMO_SITE_URL}councillors/{council.code.lower()}-{slugify(m.name)}.html"


def _cross_link(council: Council, m: Councillor, now: datetime) -> None:
    """How a councillor's accounts point at each other and back, decided by their ids (no draws from the world's stream).

    A blogger's Bluesky handle is their blog's domain, and their blog links to their other
    accounts, some of which (and any YouTube channel) only the blog names; some Bluesky
    handles are on the council's own domain; some profiles link back to the council's page,
    the blog or the councillor's directory page (a self-claim); some links say "personal".
    """
    who = slugify(m.name)
    blog = next((a for a in m.accounts if a.platform == "web"), None)
    for a in m.accounts:
        a.label = {"bluesky": "Bluesky", "mastodon": "Mastodon", "web": "My blog"}[a.platform]
        if a.platform != "web" and a.numeric_id % 9 == 0:
            a.label = f"My personal {a.label}"
        if a.platform == "bluesky":
            if blog is not None:
                a.handle = blog.handle
            elif a.numeric_id % 5 == 0:
                a.handle = f"{who}.{council.slug}.example"
            if a.numeric_id % 4 == 0:
                a.description = f"Fictional councillor for {m.ward}. My council record: {directory_url(council, m)}"
        if a.platform == "mastodon":
            if a.numeric_id % 2 == 0:
                a.profile_links.append((profile_url(council, m), True))
            if blog is not None:
                a.profile_links.append((blog.url, True))
            if a.numeric_id % 3 == 0:
                a.profile_links.append((directory_url(council, m), True))
    if blog is None:
        return
    blog.shows = [a for a in m.accounts if a is not blog]
    for a in blog.shows:
        a.on_council_page = a.numeric_id % 2 == 0
    if blog.numeric_id % 3 == 0:
        rng = random.Random(blog.numeric_id)  # its own stream: the rest of the world stays as it was
        channel = Account(
            "youtube",
            f"UCfictional{blog.numeric_id % 10**13:013d}",
            blog.numeric_id + 1,
            followers=0,
            following=0,
            label="My videos",
            on_council_page=False,
        )
        channel.posts = [replace(p, kind="video") for p in _history(rng, "web", now) if p.kind == "post"]
        m.accounts.append(channel)
        blog.shows.append(channel)


def scraper_configs(world: World) -> dict[str, dict[str, str]]:
    """The demo's HTML and JSON councils' entries for the scraper configuration (``Settings.scrapers``)."""
    configs = {}
    for council in world.councils:
        if council.cms == "html":
            configs[council.code] = {
                "container": "ul.councillor-list",
                "councillor": "li.councillor-card",
                "name": "h3 a",
                "profile": "h3 a@href",
                "id_pattern": r"/councillors/(\d+)$",
                "ward": ".ward",
                "ward_label": "Ward:",
                "party": ".party",
                "party_label": "Party:",
                "email": "a[href^='mailto:']@href",
                "photo": "img@src",
                "next_page": "a[rel=next]@href",
            }
        elif council.cms == "json":
            configs[council.code] = {
                "records": "d.results",
                "id": "MemberId",
                "name": "FullName",
                "ward": "WardName",
                "party": "PartyName",
                "email": "Email",
                "photo": "PhotoUrl",
                "profile_template": f"{council.base_url}/councillors/{{id}}",
            }
    return configs


def write_demo_files(world: World, directory: Path) -> dict[str, str]:
    """Write the demo's council registry and scraper configuration; return the settings that point at them."""
    import yaml

    from cllr.pipeline.registry import write_registry

    registry, scrapers = directory / "councils.csv", directory / "council_scrapers.yaml"
    write_registry(registry, registry_rows(world))
    scrapers.write_text(yaml.safe_dump(scraper_configs(world), sort_keys=True), encoding="utf-8")
    return {"registry": str(registry), "scrapers": str(scrapers)}


def _name_pool(rng: random.Random) -> list[tuple[str, str]]:
    pool = [(f, h + t) for f in FIRST_NAMES for h in SURNAME_HEADS for t in SURNAME_TAILS]
    rng.shuffle(pool)
    return pool


def _wards(rng: random.Random, place: str, count: int) -> list[str]:
    stem = place.split()[0]
    names = [f"{stem} {w}" for w in WARD_WORDS] + [f"{w} {stem}" for w in ("Great", "Little", "Nether")]
    if count > len(names):  # a large council: numbered wards besides (smaller worlds draw as before)
        names += [f"{stem} Ward {n}" for n in range(len(names) + 1, count + 1)]
    rng.shuffle(names)
    return sorted(names[:count])


def _weighted(rng: random.Random, table):
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _platforms(rng: random.Random, shares: tuple[float, float, float]) -> list[str]:
    return [
        platform for platform, share in zip(("bluesky", "mastodon", "web"), shares, strict=True) if rng.random() < share
    ]


def _account(rng, platform: str, councillor: Councillor, council_slug: str, numeric_id: int, now) -> Account:
    who = slugify(councillor.name)
    if platform == "bluesky":
        handle = f"{who}.{BLUESKY_PDS_DOMAIN}"
    elif platform == "mastodon":
        handle = f"{who.replace('-', '_')}@{rng.choice(MASTODON_SERVERS)}"
    else:
        handle = f"{who}.example"  # a domain of their own
    account = Account(
        platform, handle, numeric_id, followers=int(rng.paretovariate(1.2) * 40), following=rng.randint(20, 900)
    )
    account.posts = _history(rng, platform, now)
    return account


def _history(rng: random.Random, platform: str, now: datetime) -> list[Post]:
    """Posts over the last 150 days, at a rate that differs a lot between people."""
    style = rng.random()
    if style < 0.2:  # dormant: stopped months ago
        per_day, quiet_since = 0.3, rng.randint(40, 140)
    elif style < 0.5:  # occasional
        per_day, quiet_since = rng.uniform(0.05, 0.3), 0
    else:  # regular to very active
        per_day, quiet_since = rng.paretovariate(1.5) * 0.4, 0
    if platform == "web":
        per_day = min(per_day, 0.15)
    posts = []
    day = 150
    while day > quiet_since:
        day -= rng.expovariate(max(per_day, 0.01))
        if day <= quiet_since:
            break
        when = now - timedelta(days=day)
        kind = "post" if platform == "web" else _weighted(rng, (("post", 60), ("reply", 28), ("repost", 12)))
        posts.append(Post(f"{len(posts):04d}{rng.randrange(16**6):06x}", when, kind))
    posts.reverse()  # newest first, as platforms list them
    return posts


def registry_rows(world: World) -> list[dict[str, str]]:
    """The demo councils as rows of a council registry, marked fictional (their fictional ONS codes: council_gss)."""

    return [
        {
            "code": c.code,
            "gss": council_gss(i, c.council_type),
            "name": c.name,
            "common_name": c.name.rsplit(" ", 2)[0],
            "nation": c.nation,
            "council_type": c.council_type,
            "cms": c.cms,
            "roster_url": c.roster_url,
            "scraper_class": c.cms,
            "disabled": "false",
            "seats": str(len(c.councillors)),
            "fictional": "true",
        }
        for i, c in enumerate(world.councils)
    ]


# The fictional ONS codes of the demo councils and wards (the postcode directory uses them too).
ENTITY = {"NMD": "07", "CTY": "10", "UA": "06"}  # as the ONS numbers them: E07 districts, E10 counties, E06 unitaries


def council_gss(index: int, council_type: str) -> str:
    return f"X{ENTITY.get(council_type, '06')}{index + 1:06d}"


def ward_gss(index: int, ward: int, council_type: str) -> str:
    return f"X{'58' if council_type == 'CTY' else '05'}{index + 1:03d}{ward + 1:03d}"
