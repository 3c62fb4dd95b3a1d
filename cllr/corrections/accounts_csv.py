"""A council's accounts as a CSV file: the published schema (docs/corrections.md) and its reader.

Columns, in any order, with this header row: ``councillor`` (the slug in the
councillor's page address), ``action`` (``add`` or ``remove``), ``account`` (a handle or
profile address), ``role`` (``councillor``, ``personal`` or ``campaign``; ``add`` only,
default ``councillor``), ``evidence_url`` and ``note`` (optional). Every row is checked
as the API checks one operation; a file with any problem is refused whole, with every
problem listed by line, so a batch is applied entirely or not at all.
"""

from __future__ import annotations

import csv
import io

from pydantic import ValidationError

from cllr.corrections.operations import OPERATION, problems

COLUMNS = ("councillor", "action", "account", "role", "evidence_url", "note")
REQUIRED = ("councillor", "action", "account", "evidence_url")
ACTIONS = {"add": "add_account", "remove": "remove_account"}
MAX_ROWS = 2000


def parse_csv(data: bytes) -> tuple[list, list[dict]]:
    """(operations, problems) from a CSV file's bytes; operations is empty whenever problems is not."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [{"line": 1, "field": "file", "problem": "is not UTF-8 text"}]
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="\x00extra")
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    found = []
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        detail = "; ".join(
            filter(
                None,
                [
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unknown {', '.join(unknown)}" if unknown else "",
                    "a column is repeated" if len(set(header)) != len(header) else "",
                ],
            )
        )
        return [], [
            {
                "line": 1,
                "field": "header",
                "problem": f"the header must name the columns {', '.join(COLUMNS)}: {detail}",
            }
        ]
    reader.fieldnames = header
    operations = []
    try:
        for row in reader:
            line = reader.line_num
            if len(operations) + len(found) >= MAX_ROWS:
                return [], [{"line": line, "field": "file", "problem": f"has more than {MAX_ROWS} rows"}]
            if "\x00extra" in row:
                found.append({"line": line, "field": "row", "problem": "has more cells than the header"})
                continue
            values = {k: (v or "").strip() for k, v in row.items() if v is not None}
            if not any(values.values()):
                continue  # a blank line
            action = values.pop("action", "").lower()
            if action not in ACTIONS:
                found.append({"line": line, "field": "action", "problem": "must be add or remove"})
                continue
            record = {"op": ACTIONS[action], **{k: v for k, v in values.items() if v}}
            if action == "remove" and "role" in record:
                del record["role"]
            try:
                operations.append(OPERATION.validate_python(record))
            except ValidationError as exc:
                found.extend({"line": line, **problem} for problem in problems(exc))
    except csv.Error as exc:
        return [], [{"line": reader.line_num, "field": "file", "problem": f"is not readable as CSV ({exc})"}]
    if not operations and not found:
        found.append({"line": 1, "field": "file", "problem": "has no rows"})
    return ([], found) if found else (operations, [])
