"""The SQLite download: the published tables only, from the models' own schema, with full-text
search and views for the questions asked most, so that it opens in Datasette needing no explaining."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Column as SAColumn
from sqlalchemy import DateTime, ForeignKey, MetaData, Table, UniqueConstraint, func, select, type_coerce
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.types import NullType

from cllr.evidence import CONFIRMED, LEVELS
from cllr.site.opendata.dictionary import (
    GONE_STATUSES,
    PUBLISHED_TABLES,
    TIME_FORMAT,
    described,
    sqlite_column_note,
    timestamp,
)
from models.base import NAMING_CONVENTION, Base

# ---------------------------------------------------------------------------------------
# The SQLite database: the published tables only, from the models' own schema.
# ---------------------------------------------------------------------------------------

COPY_BATCH = 5000
FILE_NAME = "cllr.sqlite3"  # Datasette names the database after its stem: cllr


def published_metadata() -> MetaData:
    """The published tables' schema; columns pointing at unpublished tables (``run_id``) are left out."""
    meta = MetaData(naming_convention=NAMING_CONVENTION)
    for name in PUBLISHED_TABLES:
        source = Base.metadata.tables[name]
        columns = []
        for col in source.columns:
            targets = {fk.column.table.name for fk in col.foreign_keys}
            if targets - set(PUBLISHED_TABLES):
                continue
            columns.append(
                SAColumn(
                    col.name,
                    col.type,
                    *(ForeignKey(fk.target_fullname) for fk in col.foreign_keys),
                    primary_key=col.primary_key,
                    nullable=col.nullable,
                    index=col.index,
                    unique=col.unique,
                )
            )
        kept = {c.name for c in columns}
        uniques = [
            UniqueConstraint(*(c.name for c in uq.columns))
            for uq in source.constraints
            if isinstance(uq, UniqueConstraint) and {c.name for c in uq.columns} <= kept and len(uq.columns) > 1
        ]
        Table(name, meta, *columns, *uniques)
    return meta


def write_sqlite(session: Session, path: Path) -> Path:
    """Copy the published tables into a fresh SQLite file at ``path``, in batches, then VACUUM it.

    The schema is created by SQLAlchemy from the models; rows are read through the
    session (SQLite or PostgreSQL alike) and written with the SQLite driver directly,
    each value converted as :func:`_reading` says. Then the search indexes are filled and
    the views created (:data:`SEARCHES`, :data:`VIEWS`).
    """
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    meta = published_metadata()
    dialect = sqlite_dialect()
    quote = dialect.identifier_preparer.quote
    # From SQLite, the stored values are already in SQLite's form: copied as they are (times aside).
    as_stored = session.get_bind().dialect.name == "sqlite"
    try:
        dest = sqlite3.connect(tmp, isolation_level=None)
        try:
            dest.execute("PRAGMA synchronous=OFF")  # a scratch file until it is moved into place
            dest.execute("BEGIN")
            for table in meta.sorted_tables:  # the tables now, their indexes once they are filled
                dest.execute(str(CreateTable(table).compile(dialect=dialect)))
            for table in meta.sorted_tables:
                source = Base.metadata.tables[table.name]
                columns, converters = _reading(table, source, dialect, as_stored)
                sql = (
                    f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in table.columns)}) "
                    f"VALUES ({', '.join('?' for _ in table.columns)})"
                )
                query = select(*columns).order_by(*source.primary_key.columns)
                for rows in session.execute(query.execution_options(yield_per=COPY_BATCH)).partitions():
                    if converters:
                        rows = [list(row) for row in rows]
                        for values in rows:
                            for i, convert in converters:
                                values[i] = convert(values[i])
                    dest.executemany(sql, rows)
            for table in meta.sorted_tables:
                for index in sorted(table.indexes, key=lambda ix: ix.name):
                    dest.execute(str(CreateIndex(index).compile(dialect=dialect)))
            for search in SEARCHES:
                dest.execute(search.create)
                dest.execute(search.fill)
            for view in VIEWS:
                dest.execute(view.create)
            if dest.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise RuntimeError("the copy has rows whose foreign keys point nowhere")
            dest.execute("COMMIT")
            dest.execute("VACUUM")
        finally:
            dest.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _reading(table: Table, source: Table, dialect, as_stored: bool) -> tuple[list, list[tuple[int, Callable]]]:
    """How each column is read, and how its values are converted (by position) on their way into the file.

    Times are written as the CSV and JSON downloads write them, ISO 8601 UTC with a ``Z``
    (:data:`TIME_FORMAT`), so that no reader has to guess their zone: from SQLite, whose
    stored times are naive UTC, SQLite's own ``strftime`` writes them (in C: a national copy
    holds a million of them); from PostgreSQL, they are read timezone-aware and written by
    :func:`timestamp`. Other values from SQLite are already in SQLite's form and copied as
    they are; from PostgreSQL, each goes through its type's own SQLite bind processing
    (dates as ``YYYY-MM-DD``, booleans as 1 and 0).
    """
    columns, converters = [], []
    for i, column in enumerate(table.columns):
        read = source.c[column.name]
        if isinstance(getattr(column.type, "impl_instance", column.type), DateTime):
            if as_stored:
                read = func.strftime(TIME_FORMAT, read).label(column.name)
            else:
                converters.append((i, _written_time))
        elif as_stored:
            read = type_coerce(read, NullType()).label(column.name)
        elif (process := column.type.dialect_impl(dialect).bind_processor(dialect)) is not None:
            converters.append((i, process))
        columns.append(read)
    return columns, converters


def _written_time(value: datetime | None) -> str | None:
    return None if value is None else timestamp(value)


# ---------------------------------------------------------------------------------------
# Full-text search and views, built into the file (metadata.json tells Datasette of them).
# ---------------------------------------------------------------------------------------


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _listed(values: Iterable[str]) -> str:
    return ", ".join(_literal(v) for v in values)


@dataclass(frozen=True)
class Search:
    """A full-text index (SQLite's FTS5) of one published table: each row's words under the row's ``id``.

    Contentless (the words are indexed, not stored a second time), so it may gather words
    from other tables too (a councillor's wards and council). Datasette finds the rows with
    ``id IN (SELECT rowid FROM <index> WHERE <index> MATCH ...)``; diacritics are ignored
    (Sian finds Sián).
    """

    table: str
    finds: str  # what a search of the table looks through, in words
    columns: dict[str, str]  # the index's column → the SQL giving it, over ``table`` (and ``joins``)
    joins: str = ""

    @property
    def name(self) -> str:
        return f"{self.table}_fts"

    @property
    def create(self) -> str:
        return (
            f"CREATE VIRTUAL TABLE {self.name} USING fts5({', '.join(self.columns)}, content='', "
            "tokenize='unicode61 remove_diacritics 2')"
        )

    @property
    def fill(self) -> str:
        return (
            f"INSERT INTO {self.name} (rowid, {', '.join(self.columns)}) "
            f"SELECT {self.table}.id, {', '.join(self.columns.values())} FROM {self.table} {self.joins}"
        )


SEARCHES = (
    Search(
        "councillor",
        "councillors' names and former names, the wards they sit or sat for, and their councils",
        {
            "name": "councillor.name",
            "former_names": "(SELECT group_concat(name, ' ') FROM former_name WHERE councillor_id = councillor.id)",
            "wards": "(SELECT group_concat(ward.name, ' ') FROM membership JOIN ward ON ward.id = membership.ward_id "
            "WHERE membership.councillor_id = councillor.id)",
            "council": "council.name",
        },
        "JOIN council ON council.id = councillor.council_id",
    ),
    Search(
        "social_account",
        "accounts' handles and stable ids, and the names of the councillors linked to them",
        {
            "handle": "social_account.handle",
            "platform_id": "social_account.platform_id",
            "councillors": "(SELECT group_concat(name, ' ') FROM councillor WHERE id IN "
            "(SELECT councillor_id FROM account_evidence WHERE account_id = social_account.id))",
        },
    ),
    Search(
        "ward",
        "wards' names and their councils'",
        {"name": "ward.name", "council": "council.name"},
        "JOIN council ON council.id = ward.council_id",
    ),
    Search(
        "council",
        "councils' names, everyday names and register codes",
        {"name": "council.name", "common_name": "council.common_name", "code": "council.code"},
    ),
)


@dataclass(frozen=True)
class View:
    """A view in the file answering one question, with what each of its columns holds."""

    name: str
    question: str
    columns: dict[str, str]  # in the order the view returns them
    select: str  # the view's SQL, returning ``columns``
    sortable: tuple[str, ...]  # the columns worth ranking its rows by
    facets: tuple[str, ...] = ()  # the columns Datasette counts the rows by, above them
    search: str | None = None  # the Search (by table) whose ids are this view's ``<table>_id``: its search box
    sort_desc: str | None = None

    @property
    def create(self) -> str:
        return f"CREATE VIEW {self.name} AS {self.select}"


# Each sitting councillor's current membership: their latest with no end date (as on the site).
_SEATS = (
    "seat AS (SELECT councillor_id, max(id) AS membership_id FROM membership WHERE end_date IS NULL "
    "GROUP BY councillor_id)"
)
_CONFIRMED = tuple(lv for lv in LEVELS if lv in CONFIRMED)  # strongest first, as the text says them
# Current links (some evidence not withdrawn), at their level: the strongest of that evidence (models.links.link_level).
_LINKS = (
    "link AS (SELECT councillor_id, account_id, CASE "
    + " ".join(f"WHEN max(level = {_literal(lv)}) THEN {_literal(lv)}" for lv in LEVELS)
    + " END AS level FROM account_evidence WHERE withdrawn_at IS NULL GROUP BY councillor_id, account_id)"
)
_SITTING_FROM = (
    "FROM seat JOIN membership ON membership.id = seat.membership_id "
    "JOIN councillor ON councillor.id = seat.councillor_id JOIN council ON council.id = councillor.council_id "
    "JOIN ward ON ward.id = membership.ward_id LEFT JOIN party ON party.id = membership.party_id"
)
_PERSON = {
    "council_code": "council.code",
    "council_name": "council.name",
    "councillor_id": "councillor.id",
    "slug": "councillor.slug",
    "name": "councillor.name",
    "ward": "ward.name",
    "party": "party.name",
    "party_label": "membership.party_label",
}
_ACCOUNT = {
    "account_id": "social_account.id",
    "platform": "social_account.platform",
    # written as accounts.csv writes it (written_handle): without the platform's leading @
    "handle": "CASE WHEN substr(social_account.handle, 1, 1) = '@' THEN substr(social_account.handle, 2) "
    "ELSE social_account.handle END",
    "url": "social_account.url",
    "role": "social_account.role",
    "level": "link.level",
    "status": "social_account.status",
    "metrics_as_of": "account_metric.as_of",
    "posts_30d": "account_metric.posts_30d",
    "last_post_at": "account_metric.last_post_at",
    "followers": "account_metric.followers",
}
_FIGURES = {
    "council_code": "council.code",
    "council_name": "council.name",
    "fictional": "council.fictional",
    "as_of": "council_figure.as_of",
    "seats": "council_figure.seats",
    "councillors": "council_figure.councillors",
    "with_account": "council_figure.with_account",
    "active": "council_figure.active",
    "posts_30d": "council_figure.posts_30d",
    "share_active": "round(CAST(council_figure.active AS REAL) / nullif(council_figure.seats, 0), 4)",
}


def _either(values: Iterable[str]) -> str:
    """Codes in words: "`a`, `b` or `c`"."""
    *most, last = (f"`{v}`" for v in values)
    return f"{', '.join(most)} or {last}" if most else last


def _selecting(columns: dict[str, str]) -> str:
    return ", ".join(f"{sql} AS {name}" for name, sql in columns.items())


VIEWS = (
    View(
        "sitting_councillor_accounts",
        "Sitting councillors with their live, confirmed accounts: one row per councillor and account. Live: the "
        f"account's status is not {_either(GONE_STATUSES)}; confirmed: the link's level, the best of its evidence "
        f"not withdrawn, is {_either(_CONFIRMED)}.",
        {
            **{name: described("councillors", name) for name in _PERSON},
            **{name: described("accounts", name) for name in _ACCOUNT},
        },
        f"WITH {_SEATS}, {_LINKS} SELECT {_selecting({**_PERSON, **_ACCOUNT})} {_SITTING_FROM} "
        "JOIN link ON link.councillor_id = councillor.id JOIN social_account ON social_account.id = link.account_id "
        "LEFT JOIN account_metric ON account_metric.account_id = social_account.id AND account_metric.as_of = "
        "(SELECT max(as_of) FROM account_metric AS latest WHERE latest.account_id = social_account.id) "
        f"WHERE link.level IN ({_listed(_CONFIRMED)}) "
        f"AND social_account.status NOT IN ({_listed(GONE_STATUSES)}) "
        "ORDER BY council.name, councillor.name, councillor.id, social_account.platform, social_account.id",
        sortable=("council_name", "name", "ward", "party", "platform", "posts_30d", "last_post_at", "followers"),
        facets=("platform", "level"),
        search="councillor",
    ),
    View(
        "sitting_councillors",
        "Every sitting councillor, one row each, with their ward, party, contacts and how many live, confirmed "
        "accounts they have (the rows of `sitting_councillor_accounts`): 0 for those with none.",
        {
            **{name: described("councillors", name) for name in _PERSON},
            **{name: described("councillors", name) for name in ("start_date", "email", "profile_url")},
            "live_accounts": "How many rows `sitting_councillor_accounts` has for them.",
        },
        f"WITH {_SEATS} SELECT {_selecting(_PERSON)}, membership.start_date AS start_date, "
        "councillor.email AS email, councillor.profile_url AS profile_url, "
        f"coalesce(live.accounts, 0) AS live_accounts {_SITTING_FROM} "
        "LEFT JOIN (SELECT councillor_id, count(*) AS accounts FROM sitting_councillor_accounts "
        "GROUP BY councillor_id) AS live ON live.councillor_id = councillor.id "
        "ORDER BY council.name, councillor.name, councillor.id",
        sortable=("council_name", "name", "ward", "party", "start_date", "live_accounts"),
        facets=("party",),
        search="councillor",
    ),
    View(
        "council_share_active",
        "Councils by the share of their seats held by an active councillor, from each council's latest "
        "`council_figure` row; the share is empty when the seat count is unknown.",
        {
            **{name: described("councillors", name) for name in ("council_code", "council_name")},
            "fictional": sqlite_column_note("council", "fictional"),
            **{
                name: sqlite_column_note("council_figure", name)
                for name in ("as_of", "seats", "councillors", "with_account", "active", "posts_30d")
            },
            "share_active": "`active` divided by `seats` (0 to 1, four decimals); empty when `seats` is.",
        },
        f"SELECT {_selecting(_FIGURES)} FROM council_figure JOIN council ON council.id = council_figure.council_id "
        "WHERE council_figure.as_of = (SELECT max(as_of) FROM council_figure AS latest "
        "WHERE latest.council_id = council_figure.council_id) "
        "ORDER BY share_active IS NULL, share_active DESC, council.name",
        sortable=("council_name", "seats", "councillors", "with_account", "active", "posts_30d", "share_active"),
        sort_desc="share_active",
    ),
)
