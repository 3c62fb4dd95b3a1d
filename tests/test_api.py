"""The static JSON API (api/v1): one file per council and per councillor beside the pages,
each valid against the published schema, carrying the same records as the open data, and
documented on a page whose examples name files that are there."""

from __future__ import annotations

import copy
import json

import pytest
from bs4 import BeautifulSoup
from jsonschema import Draft202012Validator

from .test_pages import built  # noqa: F401  (a fixture: the demo site built by the real stages)


def load(site, path: str) -> dict:
    return json.loads((site / path).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def api(built):  # noqa: F811
    world, site, _ = built
    validator = Draft202012Validator(load(site, "api/v1/schema.json"))
    return world, site, validator


def test_every_file_of_the_api_is_valid_against_its_schema(api):
    _, site, validator = api
    files = sorted((site / "api" / "v1").rglob("*.json"))
    assert len(files) > 20
    for path in files:
        if path.name != "schema.json":
            errors = [e.message for e in validator.iter_errors(json.loads(path.read_text("utf-8")))]
            assert not errors, (path, errors[:3])


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["councillor"]["accounts"][0].__setitem__("level", "certain"), "an unknown evidence level"),
        (lambda d: d.__setitem__("api_version", 2), "another version"),
        (lambda d: d.pop("council"), "no council"),
        (lambda d: d.__setitem__("generated_at", "2026-12-07T10:00:00Z"), "a field the schema does not name"),
    ],
    ids=["level", "version", "council", "extra"],
)
def test_the_schema_refuses_a_file_that_is_not_the_api_s(api, change, where):
    _, site, validator = api
    good = next(
        d
        for d in (json.loads(p.read_text("utf-8")) for p in sorted((site / "api/v1/councillors").glob("*.json")))
        if d["councillor"]["accounts"]
    )
    bad = copy.deepcopy(good)
    change(bad)
    assert validator.is_valid(good) and not validator.is_valid(bad), where


def test_each_council_s_file_lists_its_councillors_whose_files_hold_the_open_data_s_records(api):
    world, site, _ = api
    index = load(site, "api/v1/index.json")
    assert {c["code"] for c in index["councils"]} == {c.code for c in world.councils}
    directory = {p["slug"]: p for p in load(site, "data/directory.json")["councillors"]}
    for entry in index["councils"]:
        council = load(site, entry["path"])
        assert council["council"]["code"] == entry["code"] and (site / council["page"]).is_file()
        sitting = {p["name"] for p in council["councillors"] if p["current"]}
        world_council = next(c for c in world.councils if c.code == entry["code"])
        assert sitting == {m.name for m in world_council.councillors}
        assert entry["councillors"] == len(sitting)
        for summary in council["councillors"]:
            person = load(site, summary["path"])
            assert person["councillor"] == directory[summary["slug"]]  # the same record as the downloads
            assert person["council"]["path"] == entry["path"] and (site / person["page"]).is_file()


def test_only_the_index_carries_the_build_s_time_so_unchanged_files_stay_the_same(api):
    _, site, _ = api
    assert "generated_at" in load(site, "api/v1/index.json")
    for path in (
        list((site / "api/v1/councils").glob("*.json"))[:5] + list((site / "api/v1/councillors").glob("*.json"))[:20]
    ):
        assert "generated_at" not in path.read_text("utf-8")


def test_the_api_page_documents_the_scheme_with_examples_that_name_real_files(api):
    _, site, _ = api
    page = BeautifulSoup((site / "api.html").read_text("utf-8"), "html.parser")
    examples = [pre.get_text() for pre in page.select("main pre")]
    assert len(examples) == 3 and examples[0].startswith("curl -s https://directory.demo.example/api/v1/councils/")
    for example in examples:
        for address in (
            w for w in example.replace('"', " ").split() if w.startswith("https://directory.demo.example/")
        ):
            assert (site / address.removeprefix("https://directory.demo.example/")).is_file(), address
    linked = [a["href"] for a in page.select("main a") if "api/v1/" in a["href"]]
    assert len(linked) == 4 and all((site / href).is_file() for href in linked)
    data_page = BeautifulSoup((site / "data.html").read_text("utf-8"), "html.parser")
    assert data_page.select_one('main a[href="api.html"]'), "the data page leads to the API's page"
