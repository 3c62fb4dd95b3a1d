"""metadata.json beside cllr.sqlite3, in Datasette's metadata format: the title, licence and source,
what each table, view and column holds, which index each search box uses, and the index tables hidden.

Everything in it comes from the data dictionary (``dictionary``) and the file's own definitions
(``sqlite``): written once, it cannot disagree with the README or the file. Datasette reads it
with ``datasette cllr.sqlite3 --metadata metadata.json``, or by itself when given the folder.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Column

from cllr.config import Settings
from cllr.site.opendata.dictionary import (
    ABOUT,
    LICENCE,
    PUBLISHED_TABLES,
    SQLITE_NOTE,
    TABLE_NOTES,
    TITLE,
    sqlite_column_note,
)
from cllr.site.opendata.sqlite import FILE_NAME, SEARCHES, VIEWS, Search, View, published_metadata

FILE = "metadata.json"
DATABASE = Path(FILE_NAME).stem  # Datasette names a database after its file's stem
# The tables an FTS5 index without content keeps its words in, beside its own: hidden with it.
FTS5_SHADOWS = ("data", "idx", "docsize", "config")
# What Datasette shows for a row another table points at: a councillor's name rather than their id.
LABEL_COLUMNS = {"council": "name", "ward": "name", "party": "name", "councillor": "name", "social_account": "handle"}
# The order a table's rows are listed in when the reader asks for none.
SORTS = {"council": "name", "ward": "name", "party": "name", "councillor": "name"}


def datasette_metadata(site_url: str | None = None) -> dict:
    """Datasette's metadata for cllr.sqlite3. Its source links to the site's data page when the
    site's address is known, else to the project's home (the default contact address)."""
    source_url = f"{site_url.rstrip('/')}/data.html" if site_url else Settings.model_fields["contact_url"].default
    searches = {search.table: search for search in SEARCHES}
    schema = published_metadata().tables
    tables = {name: _table(name, schema[name].columns, searches.get(name)) for name in PUBLISHED_TABLES}
    views = {view.name: _view(view, searches.get(view.search)) for view in VIEWS}
    hidden = {name: {"hidden": True} for search in SEARCHES for name in index_tables(search)}
    return {
        "title": TITLE,
        "description": ABOUT,
        "license": LICENCE["name"],
        "license_url": LICENCE["url"],
        "source": LICENCE["attribution"],
        "source_url": source_url,
        "databases": {DATABASE: {"description": SQLITE_NOTE, "tables": tables | views | hidden}},
    }


def index_tables(search: Search) -> list[str]:
    """A search index's tables: its own, and the shadow tables SQLite keeps its words in."""
    return [search.name, *(f"{search.name}_{suffix}" for suffix in FTS5_SHADOWS)]


def _searching(search: Search, pk: str) -> dict:
    """The keys that give a table or view its search box: the index, and the column its rowid matches."""
    return {"fts_table": search.name, "fts_pk": pk}


def _table(name: str, columns: Iterable[Column], search: Search | None) -> dict:
    entry: dict = {
        "description": TABLE_NOTES[name] + (f" Search looks through {search.finds}." if search else ""),
        "columns": {column.name: sqlite_column_note(name, column.name) for column in columns},
    }
    if name in LABEL_COLUMNS:
        entry["label_column"] = LABEL_COLUMNS[name]
    if name in SORTS:
        entry["sort"] = SORTS[name]
    if search is not None:
        entry |= _searching(search, "id")
    return entry


def _view(view: View, search: Search | None) -> dict:
    entry: dict = {"description": view.question, "columns": view.columns, "sortable_columns": list(view.sortable)}
    if view.facets:
        entry["facets"] = list(view.facets)
    if view.sort_desc:
        entry["sort_desc"] = view.sort_desc
    if search is not None:
        entry["description"] += f" Search looks through {search.finds}."
        entry |= _searching(search, f"{search.table}_id")
    return entry
