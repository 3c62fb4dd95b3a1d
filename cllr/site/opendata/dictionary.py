"""The data dictionary of the downloads: one table of column definitions for every CSV and JSON
record, the tables published in the SQLite download, the licence and attribution, and the
rules for cells (spreadsheet formulas defused)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cllr.evidence import LEVELS, ROLES

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
        Column("with_confirmed_account", "integer", "Current councillors with at least one confirmed account."),
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
        Column("profile_url", "text", "The councillor's page on the council's website.", optional=True),
        Column("email", "text", "The contact e-mail address the council publishes for them.", optional=True),
        Column("confirmed_accounts", "integer", "The councillor's current links to accounts at a confirmed level."),
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

# ---------------------------------------------------------------------------------------
# Licence and attribution.
# ---------------------------------------------------------------------------------------

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


def timestamp(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC times")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
