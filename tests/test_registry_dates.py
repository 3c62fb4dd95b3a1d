"""The registry as it really is: councils have start and end dates; an abolished council is kept but no
longer read, a shadow authority is read ahead of its start, and a malformed date is a clear error."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cllr.config import BUNDLED_REGISTRY, Settings
from cllr.pipeline import context, registry
from models import Council
from models.store import read_registry

COLUMNS = (
    "code",
    "gss",
    "name",
    "common_name",
    "nation",
    "council_type",
    "cms",
    "roster_url",
    "start_date",
    "end_date",
)


def write(path, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)


def row(code: str, **dates) -> dict:
    return {"code": code, "name": f"{code} Council", "nation": "England", "council_type": "NMD", "cms": "moderngov",
            "roster_url": f"https://{code.lower()}.example", **dates}  # fmt: skip


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    today = date.today()
    write(
        tmp_path / "councils.csv",
        [
            row("XAA", start_date="1974-04-01"),
            row("XAB", start_date="1974-04-01", end_date=(today - timedelta(days=1)).isoformat()),  # abolished
            row("XAC", start_date="1974-04-01", end_date=(today + timedelta(days=100)).isoformat()),  # ending soon
            row("XAD", start_date=(today + timedelta(days=100)).isoformat()),  # a shadow authority
        ],
    )
    return Settings(data_dir=tmp_path, database_url=database_url, registry=tmp_path / "councils.csv")


def test_an_abolished_council_is_kept_but_not_read_and_a_shadow_authority_is_read(settings):
    with context.open_context(settings) as ctx:
        assert registry.load_registry(ctx) == ["XAA", "XAC", "XAD"]
        with ctx.db.session() as session:
            kept = session.scalar(select(Council).where(Council.code == "XAB"))
            assert kept is not None and kept.end_date == date.today() - timedelta(days=1)
            assert session.scalar(select(Council.start_date).where(Council.code == "XAA")) == date(1974, 4, 1)


def test_a_malformed_date_names_the_council_and_column(tmp_path, database_url):
    write(tmp_path / "councils.csv", [row("XAA", end_date="31/03/2027")])
    settings = Settings(data_dir=tmp_path, database_url=database_url, registry=tmp_path / "councils.csv")
    with context.open_context(settings) as ctx, pytest.raises(ValueError, match="council XAA: end_date '31/03/2027'"):
        registry.load_registry(ctx)


def test_the_bundled_registry_has_start_dates_and_surreys_end():
    rows = {r["code"]: r for r in read_registry(BUNDLED_REGISTRY)}
    assert sum(1 for r in rows.values() if r.get("start_date")) >= 380
    surrey = {"SRY", "ELM", "EPS", "GRT", "MOL", "REI", "RUN", "SPE", "SUR", "TAN", "WAE", "WOI"}
    assert {code for code, r in rows.items() if r.get("end_date")} == surrey
    assert {rows[code]["end_date"] for code in surrey} == {"2027-03-31"}
    assert all(date.fromisoformat(r["start_date"]) for r in rows.values() if r.get("start_date"))
