"""Writing council registry files (reading them is ``models.store.read_registry``)."""

from __future__ import annotations

import csv
from pathlib import Path

COLUMNS = (
    "code", "gss", "name", "common_name", "nation", "council_type", "website", "cms", "roster_url",
    "scraper_class", "disabled", "shared_instance_email_domain", "seats", "fictional",
)  # fmt: skip


def write_registry(path: Path, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)
