"""The data dictionary of the downloads: one table of column definitions for every CSV and JSON
record, the tables published in the SQLite download, the licence and attribution, and the
rules for cells (spreadsheet formulas defused)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cllr.evidence import LEVELS, METHODS, ROLES
from cllr.roles import KINDS as POST_ROLES
from models.accounts import GONE

# ---------------------------------------------------------------------------------------
# The data dictionary: one table of column definitions for every CSV and JSON record.
# ---------------------------------------------------------------------------------------

TYPES = {
    "text": "Text.",
    "integer": "A whole number (may be negative where said).",
    "decimal": "A decimal number.",
    "boolean": "`true` or `false`.",
    "date": "A date, `YYYY-MM-DD`.",
    "datetime": "A UTC time, `YYYY-MM-DDTHH:MM:SSZ`.",
    "list": "A list of codes: an array in JSON, joined with `; ` in CSV.",
}


NATIONS = ("England", "Scotland", "Wales", "Northern Ireland")
COUNCIL_TYPES = ("NMD", "UA", "MD", "LBO", "CTY", "CC", "SCO", "WPA", "NID")
ROSTER_STATUSES = (
    "applied",
    "unchanged",
    "failed",
    "quarantined",
    "skipped",
    "skipped_robots",
    "disabled",
    "never read",
)
ACCOUNT_STATUSES = ("new", "active", "moved", "not_found", "unsupported", "error")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a key of TYPES
    description: str
    optional: bool = False  # may be empty (CSV) or null (JSON)
    # For the councillors' columns: where the value sits in JSON, on the councillor, on each of
    # their ``memberships`` or on both (a CSV row is one membership, with its councillor's values).
    scope: str = "councillor"  # councillor | membership | both
    # What the JSON schema states beyond the type: the only values a text may take, and a number's
    # bounds (an integer is a count, never negative, unless ``minimum`` says otherwise).
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


COLUMNS: dict[str, tuple[Column, ...]] = {
    "councils": (
        Column(
            "code",
            "text",
            "The council's register code (three letters; the demo's invented councils' codes start with X).",
        ),
        Column("gss", "text", "The council's GSS code (ONS).", optional=True),
        Column("name", "text", "The council's official name."),
        Column("nation", "text", "England, Scotland, Wales or Northern Ireland.", enum=NATIONS),
        Column(
            "council_type",
            "text",
            "The register's type code: NMD, UA, MD, LBO, CTY, CC, SCO, WPA or NID.",
            enum=COUNCIL_TYPES,
        ),
        Column(
            "seats",
            "integer",
            "Seats on the council (vacancies included): as published when a source gives them, else "
            "counted from the council's own list of councillors (`seats_source`); empty while unknown.",
            optional=True,
        ),
        Column(
            "seats_source",
            "text",
            "Where `seats` comes from: `published`, or `roster` (its councillors plus the vacant seats it "
            "lists, on the day of `seats_counted_on`); empty while unknown.",
            optional=True,
            enum=("published", "roster"),
        ),
        Column("seats_counted_on", "date", "The day the seats were counted from the roster.", optional=True),
        Column("vacant_seats", "integer", "Vacant seats the council's roster lists."),
        Column(
            "roster_status",
            "text",
            "How the council's roster was last read: `applied` or `unchanged` (read), `failed`, `quarantined` "
            "(held back for review), `skipped` (no scraper or selectors yet), `skipped_robots`, `disabled`, "
            "or `never read`. Councils not read have no councillors here: the directory's coverage.",
            enum=ROSTER_STATUSES,
        ),
        Column("roster_checked_at", "datetime", "When the council's roster was last read.", optional=True),
        Column("fictional", "boolean", "`true` for the invented councils of the demo: nothing about them is real."),
        Column(
            "councillors", "integer", "Current councillors we list (0 for a council whose roster we have not read)."
        ),
        Column(
            "former_councillors",
            "integer",
            "Councillors who have left the council's roster since we started reading it.",
        ),
        Column("with_confirmed_account", "integer", "Current councillors with at least one live confirmed account."),
        Column(
            "active",
            "integer",
            "Current councillors who posted in the last 30 days on a confirmed account of their "
            "own (role `councillor` or `personal`).",
        ),
        Column(
            "active_share_of_seats",
            "decimal",
            "`active` divided by `seats` (0 to 1, four decimals); empty when "
            "the seat count is unknown or below the councillors listed, or when "
            "we list none.",
            optional=True,
            minimum=0,
            maximum=1,
        ),
    ),
    "councillors": (
        Column("council_code", "text", "The council's register code (see councils)."),
        Column("council_name", "text", "The council's official name."),
        Column("council_gss", "text", "The council's GSS code.", optional=True),
        Column("councillor_id", "integer", "Our id for the councillor (`councillor.id` in cllr.sqlite3)."),
        Column(
            "slug", "text", "The councillor's stable name in this directory: their page is `councillors/<slug>.html`."
        ),
        Column("name", "text", "The name the council lists them under (titles removed)."),
        Column("ward", "text", "The ward or division of this membership.", scope="membership"),
        Column(
            "ward_gss",
            "text",
            "The ward's (or county electoral division's) GSS code, when known: matched by name to the ONS Postcode Directory's, or set by hand (docs/postcodes.md).",
            optional=True,
            scope="membership",
        ),
        Column(
            "party",
            "text",
            "The canonical party; empty when the council records no party.",
            optional=True,
            scope="membership",
        ),
        Column("party_label", "text", "The party exactly as the council writes it.", optional=True, scope="membership"),
        Column(
            "start_date",
            "date",
            "When this membership (one ward, one party label) began: the start of the term "
            "when the council gives it, else the day we first saw it on the roster.",
            scope="membership",
        ),
        Column(
            "end_date",
            "date",
            "The day we saw it end (gone from the roster, or a new ward or party label); empty while current.",
            optional=True,
            scope="membership",
        ),
        Column(
            "current",
            "boolean",
            "`true` while the membership is current, so the councillor is sitting; on a JSON "
            "councillor, `true` for a sitting councillor.",
            scope="both",
        ),
        Column(
            "term_ends",
            "date",
            "The scheduled end of the term of this membership, when the council publishes it.",
            optional=True,
            scope="membership",
        ),
        Column("profile_url", "text", "The councillor's page on the council's website.", optional=True),
        Column("email", "text", "The contact e-mail address the council publishes for them.", optional=True),
        Column(
            "key_posts",
            "list",
            "The key posts the council's roster lists them in now, as the council writes them "
            '("Leader of the Council", "Cabinet Member for Housing"); empty where it lists none or publishes none.',
        ),
        Column(
            "roles",
            "list",
            "What those posts are (cllr/roles.py): leader, deputy_leader, cabinet (a cabinet or executive "
            "member), civic_head (mayor, provost or chair of the council), deputy_civic_head, "
            "committee_chair, group_leader (a party group's leader).",
            enum=POST_ROLES,
        ),
        Column(
            "confirmed_accounts",
            "integer",
            "The councillor's current links to live accounts at a confirmed level (an account gone or moved is not counted).",
        ),
        Column(
            "active",
            "boolean",
            "The councillor posted in the last 30 days on a confirmed account of their own "
            "(role `councillor` or `personal`).",
        ),
        Column("posts_30d", "integer", "The councillor's posts in the last 30 days on those accounts, added up."),
    ),
    "accounts": (
        Column("councillor_slug", "text", "The councillor linked (`slug` in councillors)."),
        Column("account_id", "integer", "Our id for the account (`social_account.id` in cllr.sqlite3)."),
        Column(
            "platform",
            "text",
            "bluesky, mastodon, youtube, web, twitter, facebook, instagram, threads, linkedin, tiktok, linktree...",
        ),
        Column(
            "handle",
            "text",
            "The account's handle as last seen, without the `@` a platform puts in front (`name@server` on "
            "Mastodon, `name` for YouTube's `@name`), so that no spreadsheet cell needs an apostrophe for it; "
            "a website's address. `url` beside it is the account's address.",
        ),
        Column("url", "text", "The account's public address."),
        Column(
            "platform_id",
            "text",
            "The platform's stable id (Bluesky DID, Mastodon account URI, YouTube channel id), once resolved.",
            optional=True,
        ),
        Column(
            "role",
            "text",
            "`councillor` (their account as a councillor), `personal` (a personal account they "
            "declare) or `campaign` (a party, campaign or ward-team account).",
            enum=ROLES,
        ),
        Column(
            "level",
            "text",
            "How sure the link is, strongest first: "
            + ", ".join(f"`{lv}`" for lv in LEVELS)
            + ". Every level but `unconfirmed` (a name match only) is confirmed (docs/metrics.md).",
            enum=LEVELS,
        ),
        Column("methods", "list", "How the link is known: the methods of its current evidence (docs/metrics.md)."),
        Column("first_seen_at", "datetime", "When a source first linked this account to this councillor."),
        Column("last_checked_at", "datetime", "When the account was last collected.", optional=True),
        Column(
            "status",
            "text",
            "The account as last collected: `new` (not collected yet), `active`, `moved`, "
            "`not_found`, `unsupported` (a platform we do not measure) or `error`.",
            enum=ACCOUNT_STATUSES,
        ),
        Column(
            "metrics_as_of",
            "date",
            "The day of the activity figures; empty when the account is not measured.",
            optional=True,
        ),
        Column(
            "posts_7d",
            "integer",
            "Posts in the 7 days to `metrics_as_of` (posts, replies, articles, videos; never reposts).",
            optional=True,
        ),
        Column("posts_30d", "integer", "Posts in the 30 days to `metrics_as_of`.", optional=True),
        Column("posts_90d", "integer", "Posts in the 90 days to `metrics_as_of`.", optional=True),
        Column("replies_30d", "integer", "Replies among the posts of the last 30 days.", optional=True),
        Column("last_post_at", "datetime", "The time of the latest post seen.", optional=True),
        Column("followers", "integer", "Followers at the latest collection.", optional=True),
        Column(
            "followers_change_30d",
            "integer",
            "Followers now minus followers 30 or more days before (negative when "
            "fewer); empty until the account has been followed that long.",
            optional=True,
            minimum=float("-inf"),
        ),
        Column(
            "complete",
            "boolean",
            "`false` when the source shows only its newest items and the counts are lower bounds.",
            optional=True,
        ),
    ),
}

# The tables copied into cllr.sqlite3. Not the run ledger, staged rosters, suggestions
# under review, post identities or the HTTP validators' own database.
PUBLISHED_TABLES = (
    "council",
    "ward",
    "party",
    "councillor",
    "membership",
    "former_name",
    "social_account",
    "account_evidence",
    "account_change",
    "account_metric",
    "profile_snapshot",
    "council_figure",
)
TABLE_NOTES = {
    "council": "The registry: codes, names, nation, type, how the roster is read (CMS, roster URL), seats.",
    "ward": "Wards and divisions; `key` is the normalised name that matches a ward across runs.",
    "party": "Canonical parties and their colours.",
    "councillor": "Councillors: the council system's own id, clean and raw names, published e-mail, profile and photo "
    "URLs, first and last seen.",
    "membership": "Every period a councillor sat for one ward with one party label, ended or not.",
    "former_name": "Names a council listed a councillor under before, with the day it stopped.",
    "social_account": "Accounts, including `merged` rows (a second row for one account, folded into the first by "
    "their shared stable id; kept as history, never current).",
    "account_evidence": "Why an account is linked to a councillor: method, level, source, and `withdrawn_at` when a "
    "source stopped showing it (withdrawn evidence is kept).",
    "account_change": "Account history: renames, new stable ids, moves, vanished accounts, merges.",
    "account_metric": "Daily activity figures per account.",
    "profile_snapshot": "The platforms' own counters (followers, following, total posts) at each collection.",
    "council_figure": "Each council's adoption figures (seats, councillors, with a confirmed account, active, posts "
    "in 30 days) on each day they were computed: the history behind the council pages.",
}

# Statuses of an account that is no longer there to follow: gone from its platform or moved to another
# account (models.accounts.GONE; the account moved to is linked to the same councillors in its place),
# or merged into another row.
GONE_STATUSES = (*GONE, "merged")


def described(table: str, column: str) -> str:
    """The description :data:`COLUMNS` gives a column: for a SQLite column or a view's that means the same."""
    return next(c.description for c in COLUMNS[table] if c.name == column)


# The SQLite tables' columns (in metadata.json and the README). A column not listed under its table
# takes the description of its name in SHARED_COLUMNS. Booleans are stored as 1 and 0.
SHARED_COLUMNS = {
    "id": "Our id for the row (the `_id` columns of other tables point at it).",
    "council_id": "The council (`council.id`).",
    "councillor_id": "The councillor (`councillor.id`).",
    "account_id": "The account (`social_account.id`).",
    "ward_id": "The ward or division (`ward.id`).",
    "party_id": "The canonical party (`party.id`); empty when the council records no party.",
    "source_url": "The page this fact was last read from.",
}
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "council": {
        **{name: described("councils", name) for name in ("code", "gss", "name", "nation", "council_type")},
        "common_name": "The council's everyday name, as the site shows it.",
        "cms": "The kind of system its roster is read from: `moderngov`, `cmis`, `html` or `json`.",
        "scraper_class": "How its roster is read (`paged_html` for a directory spread over pages).",
        "roster_url": "The page or service its roster is read from.",
        "start_date": "The day the council came into office, when it is new (a shadow authority is listed ahead).",
        "end_date": "The day an abolished council ended; it is kept, with its councillors' history, and no longer read.",
        "seats": "Seats on the council as a published source gives them; empty when none does (see `roster_seats`).",
        "roster_seats": "Seats counted from the council's own roster when it was last applied: its councillors "
        "plus the vacant seats it lists.",
        "roster_seats_on": described("councils", "seats_counted_on"),
        "disabled": "1 when its roster is no longer read.",
        "fictional": "1 for the invented councils of the demo: nothing about them is real.",
    },
    "ward": {
        "key": "The normalised name that matches the ward across runs.",
        "name": "The ward's or division's name as the council writes it.",
        "gss": described("councillors", "ward_gss"),
        "vacant_seats": "Vacant seats the council's roster listed for it when last applied.",
    },
    "party": {
        "key": "Our key for the party (`labour`, `green`...).",
        "name": "The party's name.",
        "colour": "The colour the site draws it in (`#rrggbb`).",
    },
    "councillor": {
        **{name: described("councillors", name) for name in ("slug", "name", "email", "profile_url", "key_posts")},
        "source_id": "The council system's own id for the councillor.",
        "raw_name": "The name exactly as the council lists it, titles included.",
        "photo_url": "The address of the council's photo of them (the photo itself is not included).",
        "first_seen_at": "When we first saw them on the council's roster.",
        "last_seen_at": "When the council's roster last listed them.",
    },
    "membership": {
        **{name: described("councillors", name) for name in ("party_label", "start_date", "end_date")},
        "end_reason": "Why it ended: `not_in_source` (gone from the roster), `changed` (a new ward or party "
        "label), `left` or `corrected` (by a correction); empty while current.",
        "term_ends": "The scheduled end of the term, when the council gives it.",
    },
    "former_name": {
        "name": "The name the council listed them under before (titles removed).",
        "raw_name": "That name exactly as the council listed it.",
        "used_until": "The day the council's roster stopped using it.",
    },
    "social_account": {
        **{name: described("accounts", name) for name in ("platform", "url", "platform_id", "role", "last_checked_at")},
        "key": "Our canonical key for the account (its platform and normalised handle or id); unique.",
        "handle": "The handle as last seen, as the platform writes it (Mastodon's with its leading `@`, "
        "which accounts.csv leaves out).",
        "local_id": "The account's id on its own server (Mastodon), for reading accounts in batches.",
        "status": described("accounts", "status") + " Or `merged`: a second row for one account, folded into "
        "another (see `account_change`), kept as history and never current.",
        "feed_url": "The RSS or Atom feed found for a blog or website.",
        "first_seen_at": "When a source first named the account.",
    },
    "account_evidence": {
        "method": "How the link is known (docs/metrics.md): " + ", ".join(f"`{m}`" for m in METHODS) + ".",
        "level": "The level this evidence gives, strongest first: "
        + ", ".join(f"`{lv}`" for lv in LEVELS)
        + ". A link's level is the best of its evidence not withdrawn.",
        "source_url": "The page or check that showed the link.",
        "first_seen_at": "When this source first showed the link.",
        "last_seen_at": "When this source last showed the link.",
        "last_checked_at": "When this source was last read.",
        "withdrawn_at": "When a read source stopped showing the link; empty while it shows it. A link is "
        "current while any of its evidence has no `withdrawn_at`.",
    },
    "account_change": {
        "field": "What changed: `handle` (a rename), `platform_id`, `status`, `moved_to` (a Mastodon move; "
        "`new` is the new account's key) or `merged_into` (`new` is the key of the account kept).",
        "old": "The value before; empty when there was none.",
        "new": "The value after.",
        "changed_at": "When a collection saw the change.",
    },
    "account_metric": {
        **{name: described("accounts", name) for name in ("replies_30d", "last_post_at", "followers_change_30d")},
        "as_of": "The day of the figures.",
        "posts_7d": "Posts in the 7 days to `as_of` (posts, replies, articles, videos; never reposts).",
        "posts_30d": "Posts in the 30 days to `as_of`.",
        "posts_90d": "Posts in the 90 days to `as_of`.",
        "followers": "Followers at that day's collection.",
        "complete": "0 when the source shows only its newest items and the counts are lower bounds.",
    },
    "profile_snapshot": {
        "taken_at": "When the profile was read.",
        "followers": "Followers, as the platform counts them.",
        "following": "Accounts it follows, as the platform counts them.",
        "posts_total": "Posts in all, as the platform counts them.",
        "posts_complete": "0 when the posts read with it do not reach back past the activity window (a feed of "
        "its newest items only): the counts are then lower bounds.",
    },
    "council_figure": {
        "with_account": described("councils", "with_confirmed_account"),
        "active": described("councils", "active"),
        "as_of": "The day the figures were computed.",
        "seats": "The council's seats that day; empty when unknown or stale (fewer than its sitting "
        "councillors), when no share is shown for the day.",
        "councillors": "Sitting councillors that day.",
        "posts_30d": "Their posts in the last 30 days on confirmed accounts of their own, added up.",
    },
}


def sqlite_column_note(table: str, column: str) -> str:
    """What a column of a table in cllr.sqlite3 holds."""
    return TABLE_COLUMNS[table].get(column) or SHARED_COLUMNS[column]


# ---------------------------------------------------------------------------------------
# Licence and attribution.
# ---------------------------------------------------------------------------------------

TITLE = "Councillors Online: open data"
ABOUT = "UK local councillors, their public social-media accounts and how active those accounts are."
SQLITE_NOTE = (
    "The published tables of the directory, copied from its database, history included. The `run_id` "
    "columns are left out (the run ledger is not published); `source_url` is kept on every fact. Accounts "
    "with `status` = `merged` are included as history; they are never current. Times are UTC, "
    "`YYYY-MM-DDTHH:MM:SSZ`; dates `YYYY-MM-DD`; booleans 1 and 0."
)
LICENCE = {
    "name": "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "attribution": "Councillors Online. Contains data from mySociety (CC BY 4.0), Democracy Club (LGSF, MIT) "
    "and UK councils' websites.",
}
# The sources of the bundled council registry (cllr/data/councils.MANIFEST.md, "Sources").
REGISTRY_SOURCES = (
    {
        "name": "Democracy Club, LGSF (Local Government Scraper Framework)",
        "repository": "DemocracyClub/LGSF",
        "url": "https://github.com/DemocracyClub/LGSF",
        "commit": "5d40e23c6860b8be049b57a4ca9b177696a3c02f",
        "licence": "MIT (the repository's LICENSE); its EveryElection organisation blocks are Democracy Club data",
        "used_for": "council register codes, roster URLs, CMS family, shared-instance e-mail domains",
    },
    {
        "name": "mySociety, UK local authority names and codes (data package uk_la_future v1.7.3)",
        "repository": "mysociety/uk_local_authority_names_and_codes",
        "url": "https://github.com/mysociety/uk_local_authority_names_and_codes",
        "commit": "67ef8b118938678401a452f4f19f669a7221cc73",
        "licence": "CC BY 4.0 (the data package's datapackage.yaml)",
        "used_for": "council GSS codes, names, common names, nations and types",
    },
)

# ---------------------------------------------------------------------------------------
# Cells and values.
# ---------------------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def defuse_cell(text: str) -> str:
    """A CSV text cell a spreadsheet will show as text: ``'`` in front of one that could run as a formula.

    Cells starting with ``= + - @``, a tab or a carriage return get the prefix, unless
    they are a plain number ("-3"); so do cells already starting with ``'``, so that the
    rule can be undone: remove one leading ``'`` from a cell that has one.
    """
    if text.startswith("'") or (text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text)):
        return "'" + text
    return text


def written_handle(handle: str) -> str:
    """A handle as the downloads write it: without the platform's leading ``@`` (``@kit@server`` is
    ``kit@server``), which a spreadsheet would otherwise take for a formula and the cell need a ``'``."""
    return handle.removeprefix("@")


def restore_cell(text: str) -> str:
    """The original value of a defused CSV text cell (the inverse of :func:`defuse_cell`)."""
    return text[1:] if text.startswith("'") else text


TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # ISO 8601, UTC, to the second (strftime's, in Python and in SQLite alike)


def timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC times")
    return value.astimezone(UTC).strftime(TIME_FORMAT)


def csv_value(column: Column, value: Any) -> Any:
    if value is None:
        return ""
    if column.type == "boolean":
        return "true" if value else "false"
    if column.type in ("integer", "decimal"):
        return value
    if column.type == "datetime":
        return timestamp(value)
    if column.type == "date":
        return value.isoformat()
    if column.type == "list":
        return defuse_cell("; ".join(value))
    return defuse_cell(str(value))


def json_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.type == "datetime":
        return timestamp(value)
    if column.type == "date":
        return value.isoformat()
    if column.type == "list":
        return list(value)
    return value
