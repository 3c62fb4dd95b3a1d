"""Per-council overrides (``council_overrides.csv``, docs/operations.md): a slower request spacing
for a council's site, and the extra CA bundle of one whose server sends an incomplete chain."""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import urlsplit

from cllr.http import Fetcher, slot_key


def read_overrides(path) -> dict[str, dict[str, str]]:
    """Per-council overrides by council code (docs/operations.md)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["code"].strip().upper(): row for row in csv.DictReader(fh) if row.get("code")}


def ca_bundles(registry: list[dict], overrides_path: Path) -> dict[str, str]:
    """Host → extra CA bundle, for councils whose override names one (relative to the overrides file)."""
    overrides = read_overrides(overrides_path)
    bundles = {}
    for row in registry:
        bundle = (overrides.get(row["code"].strip().upper()) or {}).get("ca_bundle")
        if bundle and row.get("roster_url"):
            bundles[urlsplit(row["roster_url"]).hostname or ""] = str(Path(overrides_path).parent / bundle)
    return bundles


def apply_overrides(fetcher: Fetcher, registry: list[dict], overrides: dict[str, dict[str, str]]) -> None:
    """Give each overridden council's site its slower request spacing, as a floor on its slot."""
    for row in registry:
        override = overrides.get(row["code"].strip().upper())
        if override and override.get("request_delay") and row.get("roster_url"):
            host = urlsplit(row["roster_url"]).hostname or ""
            fetcher.slots.set_floor(slot_key(host), float(override["request_delay"]))
