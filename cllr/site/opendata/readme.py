"""The schema of directory.json and the README written beside the downloads (data dictionary and licence notes)."""

from __future__ import annotations

from datetime import datetime

from cllr.site.opendata.datasette import DATABASE, FTS5_SHADOWS, datasette_metadata
from cllr.site.opendata.datasette import FILE as DATASETTE_FILE
from cllr.site.opendata.dictionary import (
    COLUMNS,
    LICENCE,
    PUBLISHED_TABLES,
    REGISTRY_SOURCES,
    SQLITE_NOTE,
    TITLE,
    TYPES,
    timestamp,
)
from cllr.site.opendata.sqlite import FILE_NAME, SEARCHES, VIEWS

# ---------------------------------------------------------------------------------------
# The schema of directory.json and the README (data dictionary and licence notes).
# ---------------------------------------------------------------------------------------

_JSON_TYPES = {
    "text": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
    "datetime": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"},
    "list": {"type": "array", "items": {"type": "string"}},
}


def _record_schema(table: str, scopes: tuple[str, ...] = ("councillor", "both"), **extra: dict) -> dict:
    properties = {}
    for column in (c for c in COLUMNS[table] if c.scope in scopes):
        schema = dict(_JSON_TYPES[column.type], description=column.description)
        if column.enum is not None and column.type == "list":  # each item one of the codes
            schema["items"] = {"type": "string", "enum": list(column.enum)}
        elif column.enum is not None:
            schema["enum"] = [*column.enum, *([None] if column.optional else [])]
        if column.type in ("integer", "decimal"):
            minimum = 0 if column.minimum is None else column.minimum
            if minimum != float("-inf"):
                schema["minimum"] = minimum
            if column.maximum is not None:
                schema["maximum"] = column.maximum
        if column.optional:
            schema["type"] = [schema["type"], "null"]
        properties[column.name] = schema
    properties.update(extra)
    return {"type": "object", "required": list(properties), "additionalProperties": False, "properties": properties}


def directory_schema() -> dict:
    """A JSON Schema (2020-12) for directory.json and the per-council JSON files."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Councillors Online: the directory",
        "type": "object",
        "required": ["generated_at", "licence", "councils", "councillors"],
        "additionalProperties": False,
        "properties": {
            "generated_at": _JSON_TYPES["datetime"],
            "licence": {
                "type": "object",
                "required": ["name", "url", "attribution"],
                "properties": {k: {"type": "string"} for k in ("name", "url", "attribution")},
            },
            "councils": {"type": "array", "items": {"$ref": "#/$defs/council"}},
            "councillors": {"type": "array", "items": {"$ref": "#/$defs/councillor"}},
        },
        "$defs": {
            "council": _record_schema("councils"),
            "councillor": _record_schema(
                "councillors",
                memberships={"type": "array", "items": {"$ref": "#/$defs/membership"}},
                accounts={"type": "array", "items": {"$ref": "#/$defs/account"}},
            ),
            "membership": _record_schema("councillors", ("membership", "both")),
            "account": _record_schema("accounts"),
        },
    }


def columns_markdown() -> str:
    """The column tables of the data dictionary, as Markdown (also pasted into docs/open-data.md)."""
    titles = {
        "councils": "councils.csv, and `councils` in the JSON files",
        "councillors": "councillors.csv and councils/&lt;code&gt;.csv (one row per membership), and `councillors` "
        "and their `memberships` in the JSON files",
        "accounts": "accounts.csv, and `accounts` within each councillor in the JSON files",
    }
    where = {"councillor": "councillor", "membership": "`memberships`", "both": "both"}
    parts = []
    for table, columns in COLUMNS.items():
        if table == "councillors":
            parts.append(
                f"### {titles[table]}\n\n| Column | Type | May be empty | In JSON, on | Meaning |\n"
                "|---|---|---|---|---|"
            )
            parts += [
                f"| `{c.name}` | {c.type} | {'yes' if c.optional else ''} | {where[c.scope]} | {c.description} |"
                for c in columns
            ]
        else:
            parts.append(f"### {titles[table]}\n\n| Column | Type | May be empty | Meaning |\n|---|---|---|---|")
            parts += [f"| `{c.name}` | {c.type} | {'yes' if c.optional else ''} | {c.description} |" for c in columns]
        parts.append("")
    parts.append("Types: " + " ".join(f"**{name}**: {text}" for name, text in TYPES.items()))
    return "\n".join(parts) + "\n"


def _sqlite_markdown() -> str:
    """Every table and view of cllr.sqlite3 with what its columns hold: read from Datasette's metadata,
    so that the README says what Datasette shows."""
    described = datasette_metadata()["databases"][DATABASE]["tables"]
    parts = []
    for heading, names in (("Tables", PUBLISHED_TABLES), ("Views", [view.name for view in VIEWS])):
        parts.append(f"#### {heading}\n")
        for name in names:
            parts.append(f"**`{name}`**: {described[name]['description']}\n\n| Column | Meaning |\n|---|---|")
            parts += [f"| `{column}` | {text} |" for column, text in described[name]["columns"].items()]
            parts.append("")
    return "\n".join(parts)


def _datasette_markdown() -> str:
    """How to open the database with Datasette, and the search indexes and views built into it."""
    searches = "\n".join(f"- `{s.table}` (index `{s.name}`): {s.finds}." for s in SEARCHES)
    views = "\n".join(f"- `{v.name}`: {v.question}" for v in VIEWS)
    shadows = ", ".join(f"`_{suffix}`" for suffix in FTS5_SHADOWS)
    return f"""[Datasette](https://datasette.io/) (0.64 or later, before 1.0) serves `{FILE_NAME}` as web
pages, with search, filters and CSV export:

```
pip install 'datasette>=0.64,<1'
datasette {FILE_NAME} --metadata {DATASETTE_FILE}
```

(or `datasette .` in this folder, which finds `{DATASETTE_FILE}` by itself). `{DATASETTE_FILE}`, in
[Datasette's metadata format](https://docs.datasette.io/en/stable/metadata.html), gives it the title,
the licence and the source, what every table, view and column holds (the data dictionary
below), the column that names a row (a councillor's `name`, an account's `handle`), and which
search index each search box uses. The database is called `{DATABASE}` there.

**Search** (SQLite's full-text search, FTS5, built into the file): the search box of

{searches}

Words are matched whole, and accents are ignored (`Sian` finds `Sián`). The indexes hold
words only (no text is stored twice); they and their tables ({shadows} after the index's
name) are hidden in Datasette. In SQL: `SELECT name FROM councillor WHERE id IN (SELECT
rowid FROM councillor_fts WHERE councillor_fts MATCH 'smith')`.

**Views** (built into the file, for the questions asked most; their columns are below):

{views}
"""


def readme(generated_at: datetime) -> str:
    """The README written beside the downloads: files, formats, the data dictionary and licence notes."""
    sources = "\n".join(
        f"- **{s['name']}**, <{s['url']}> (commit `{s['commit']}`): {s['used_for']}. Licence: {s['licence']}."
        for s in REGISTRY_SOURCES
    )
    return f"""# {TITLE}

Generated {timestamp(generated_at)}. Licence: [{LICENCE["name"]}]({LICENCE["url"]}); see "Licence" below.

## Files

| File | What it holds | Opens with |
|---|---|---|
| `councillors.csv` | One row per membership (a time in one ward with one party label), current and former, with the councillor's contacts as the council publishes them and their activity | any spreadsheet; Python's `csv` module |
| `accounts.csv` | One row per current link between a councillor and an account, with its evidence level and latest activity figures | as above |
| `councils.csv` | One row per council in the registry, with counts | as above |
| `councils/<code>.csv` | One council's rows of `councillors.csv` (`<code>` is the register code in lower case) | as above |
| `directory.json` | Councils, and councillors with their memberships and accounts nested; valid against `directory.schema.json`, which states every field's type, the values each coded field may take (evidence levels, roles, statuses, nations, council types) and the bounds of counts (never negative) and shares (0 to 1) | any JSON reader |
| `councils/<code>.json` | The same for one council | any JSON reader |
| `popolo.json` | Persons, organizations (councils and parties) and every membership period, in the [Popolo](http://www.popoloproject.com/) format | any JSON reader; Popolo tools |
| `cllr.sqlite3` | The published tables of the database, history included, with full-text search and views for the questions asked most | Datasette (below); `sqlite3`, DB Browser for SQLite |
| `metadata.json` | Datasette's description of `cllr.sqlite3`: title, licence, source, what each table, view and column holds, and its search | Datasette |

## Formats

- **CSV**: plain UTF-8 (no byte-order mark), a header row, fields quoted only when needed
  and CRLF line ends (RFC 4180). Empty means none or unknown. To stop spreadsheets running
  text as formulas, a text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
  return (and is not a plain number), or with `'`, is written with one `'` in front:
  remove one leading `'` to get the value back. Numbers are never changed.
- **JSON**: UTF-8, written by a JSON encoder. Times are UTC (`YYYY-MM-DDTHH:MM:SSZ`),
  dates `YYYY-MM-DD`, missing values `null`. Text is as the source gave it (no `'` prefix).
- **Popolo**: `persons` (`id` is the councillor's slug; `other_names` their former names;
  `links` their *confirmed* accounts, `note` the platform; `contact_details` only the
  council-published e-mail; `sources` the council profile page), `organizations` (each
  council, classification `council`, identifiers `gss` and `local-authority-code`; each
  party, classification `party`) and `memberships` (one per membership period: the
  council, `on_behalf_of_id` the party, `area` the ward, `start_date`/`end_date`).
- **SQLite**: {SQLITE_NOTE}

## Opening cllr.sqlite3 with Datasette

{_datasette_markdown()}
## Data dictionary

{columns_markdown()}
### cllr.sqlite3

{_sqlite_markdown()}
## Licence

The compiled data is offered under the **{LICENCE["name"]}** licence
(<{LICENCE["url"]}>). Attribute it as: *{LICENCE["attribution"]}*

Sources, which reusers must credit too:

{sources}
- **Councils' own websites**: councillors' names, wards, party labels, profile pages and
  the contact e-mail addresses councils publish. The page each fact was read from is kept
  (`source_url` in `cllr.sqlite3`). Where a council publishes under the Open Government
  Licence v3.0: *Contains public sector information licensed under the Open Government
  Licence v3.0.*
- **Social platforms' public profiles**: handles, stable ids, follower counts and the
  times of posts, from which the activity figures are counted. No post text is kept.

This is personal data about people in public office. Reuse it for their public role, and
mind data-protection law (UK GDPR) where it applies to you.

## What is never included

Home addresses, phone numbers, post text, photos (only the council's photo URL is in
the database), the pipeline's run ledger, quarantined rosters, suggestions awaiting
review, and the HTTP cache.
"""
