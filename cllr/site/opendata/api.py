"""The static JSON API: one file per council and per councillor beside the pages, under a
stable URL scheme, so that a newsroom's script or a council's own site reads the directory
without scraping it, from any static host, with no server of ours.

    api/v1/index.json                  every council, with the path of its file
    api/v1/councils/<code>.json        a council and its councillors (sitting and former)
    api/v1/councillors/<slug>.json     a councillor: memberships, accounts and their evidence level, activity
    api/v1/schema.json                 a JSON Schema (2020-12) of the three documents

The records are the open data's own (the same fields as directory.json: docs/open-data.md),
built once by cllr.site.opendata. Paths in the documents are relative to the site's root;
``site`` names the root's address when it is known. Only the index carries the build's
time, so a council's or a councillor's file changes only when their data do, and a sync
to a static host sends only those.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

API = "api/v1"
VERSION = 1


def file_stem(code: str, council_id: int) -> str:
    """A council's files' name: its code, lower-cased, unless the code would make an unsafe one."""
    stem = code.lower()
    return stem if re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,30}", stem) else f"council-{council_id}"


def council_path(stem: str) -> str:
    return f"{API}/councils/{stem}.json"


def councillor_path(slug: str) -> str:
    return f"{API}/councillors/{slug}.json"


def api_examples(council_rows: list[dict], people: list) -> dict:
    """A council and a councillor of this site for the API page's examples (the first held of each)."""
    council = next((r["council"] for r in council_rows if r["figures"]["councillors"]), None)
    person = next((p.councillor for p in people if council is None or p.councillor.council_id == council.id), None)
    return {
        "example_council": {"name": council.name, "path": council_path(file_stem(council.code, council.id))}
        if council
        else None,
        "example_councillor": {"name": person.name, "path": councillor_path(person.slug)} if person else None,
    }


def write_api(
    folder: Path,
    write_json: Callable[[Path, dict], Path],
    *,
    generated: str,
    licence: dict,
    site_url: str | None,
    councils: list[tuple[str, dict, list[dict]]],
    councillor_json: Callable[[dict], dict],
    schema_defs: dict,
) -> list[Path]:
    """Write the API into ``folder`` (the site's ``api/v1``). ``councils``: (file stem, the
    council's record, its councillors' rows) for each council; ``councillor_json`` gives a
    councillor row's JSON record. Returns the paths written."""
    site = f"{site_url.rstrip('/')}/" if site_url else None
    (folder / "councils").mkdir(parents=True, exist_ok=True)
    (folder / "councillors").mkdir(parents=True, exist_ok=True)
    written, index = [], []
    for stem, council, people in councils:
        about = {"code": council["code"], "name": council["name"], "path": council_path(stem)}
        summaries = []
        for person in people:
            record = councillor_json(person)
            summaries.append(
                {
                    "slug": record["slug"],
                    "name": record["name"],
                    "current": record["current"],
                    "confirmed_accounts": record["confirmed_accounts"],
                    "active": record["active"],
                    "path": councillor_path(record["slug"]),
                }
            )
            document = {
                "api_version": VERSION,
                "licence": licence,
                "site": site,
                "page": f"councillors/{record['slug']}.html",
                "council": about,
                "councillor": record,
            }
            written.append(write_json(folder / "councillors" / f"{record['slug']}.json", document))
        document = {
            "api_version": VERSION,
            "licence": licence,
            "site": site,
            "page": f"councils/{council['code'].lower()}.html",
            "council": council,
            "councillors": summaries,
        }
        written.append(write_json(folder / "councils" / f"{stem}.json", document))
        index.append({**about, "nation": council["nation"], "councillors": council["councillors"]})
    written.append(
        write_json(
            folder / "index.json",
            {"api_version": VERSION, "generated_at": generated, "licence": licence, "site": site, "councils": index},
        )
    )
    written.append(write_json(folder / "schema.json", schema(schema_defs)))
    return written


def schema(defs: dict) -> dict:
    """The API's documents as one JSON Schema: an index, a council's file or a councillor's,
    with the open data's own record definitions (``defs``: council, councillor, membership, account)."""
    licence = {"type": "object", "required": ["name", "url", "attribution"]}
    site = {"type": ["string", "null"], "description": "The site's address, when known; paths are relative to it."}
    path = {"type": "string", "description": "A path relative to the site's root."}
    about = {
        "type": "object",
        "required": ["code", "name", "path"],
        "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "path": path},
    }
    common = {"api_version": {"const": VERSION}, "licence": licence, "site": site}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Councillors Online: the static JSON API (api/v1)",
        "oneOf": [{"$ref": "#/$defs/index"}, {"$ref": "#/$defs/council_file"}, {"$ref": "#/$defs/councillor_file"}],
        "$defs": {
            **defs,
            "index": {
                "type": "object",
                "required": ["api_version", "generated_at", "licence", "site", "councils"],
                "additionalProperties": False,
                "properties": {
                    **common,
                    "generated_at": {"type": "string", "format": "date-time"},
                    "councils": {
                        "type": "array",
                        "items": {
                            **about,
                            "required": [*about["required"], "nation", "councillors"],
                            "properties": {
                                **about["properties"],
                                "nation": {"type": "string"},
                                "councillors": {"type": "integer", "minimum": 0},
                            },
                        },
                    },
                },
            },
            "council_file": {
                "type": "object",
                "required": ["api_version", "licence", "site", "page", "council", "councillors"],
                "additionalProperties": False,
                "properties": {
                    **common,
                    "page": path,
                    "council": {"$ref": "#/$defs/council"},
                    "councillors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["slug", "name", "current", "confirmed_accounts", "active", "path"],
                            "properties": {
                                "slug": {"type": "string"},
                                "name": {"type": "string"},
                                "current": {"type": "boolean"},
                                "confirmed_accounts": {"type": "integer", "minimum": 0},
                                "active": {"type": "boolean"},
                                "path": path,
                            },
                        },
                    },
                },
            },
            "councillor_file": {
                "type": "object",
                "required": ["api_version", "licence", "site", "page", "council", "councillor"],
                "additionalProperties": False,
                "properties": {**common, "page": path, "council": about, "councillor": {"$ref": "#/$defs/councillor"}},
            },
        },
    }
