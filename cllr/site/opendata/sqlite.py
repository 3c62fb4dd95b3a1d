"""The SQLite download: the published tables only, from the models' own schema."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Column as SAColumn
from sqlalchemy import ForeignKey, MetaData, Table, UniqueConstraint, select, type_coerce
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.types import NullType

from cllr.site.opendata.dictionary import PUBLISHED_TABLES
from models.base import NAMING_CONVENTION, Base

# ---------------------------------------------------------------------------------------
# The SQLite database: the published tables only, from the models' own schema.
# ---------------------------------------------------------------------------------------

COPY_BATCH = 5000


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
    each value converted by the column type's own SQLite bind processing (so times are
    stored exactly as the application stores them in SQLite).
    """
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    meta = published_metadata()
    dialect = sqlite_dialect()
    quote = dialect.identifier_preparer.quote
    # From SQLite, the stored values are already in SQLite's form: copied as they are.
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
                processors = (
                    []
                    if as_stored
                    else [
                        (i, p)
                        for i, c in enumerate(table.columns)
                        if (p := c.type.dialect_impl(dialect).bind_processor(dialect)) is not None
                    ]
                )
                sql = (
                    f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in table.columns)}) "
                    f"VALUES ({', '.join('?' for _ in table.columns)})"
                )
                columns = [source.c[c.name] for c in table.columns]
                if as_stored:
                    columns = [type_coerce(c, NullType()).label(c.name) for c in columns]
                query = select(*columns).order_by(*source.primary_key.columns)
                for rows in session.execute(query.execution_options(yield_per=COPY_BATCH)).partitions():
                    if processors:
                        rows = [list(row) for row in rows]
                        for values in rows:
                            for i, process in processors:
                                values[i] = process(values[i])
                    dest.executemany(sql, rows)
            for table in meta.sorted_tables:
                for index in sorted(table.indexes, key=lambda ix: ix.name):
                    dest.execute(str(CreateIndex(index).compile(dialect=dialect)))
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
