"""docs/architecture.md stays true: its tree lists every module of the project, and nothing that is gone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("cllr", "scrapers", "models", "flows")


def modules() -> set[str]:
    return {
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "versions" not in path.parts
    }


def listed(text: str) -> set[str]:
    """The paths at the start of the lines of the doc's tree (its first code block)."""
    tree = text.split("```\n", 2)[1]
    return {m[1] for m in re.finditer(r"^(\S+)\s", tree, re.M)}


def test_every_module_is_in_the_tree():
    assert sorted(modules() - listed(DOC.read_text(encoding="utf-8"))) == []


def test_everything_in_the_tree_exists():
    assert sorted(p for p in listed(DOC.read_text(encoding="utf-8")) if not (ROOT / p).exists()) == []


@pytest.mark.parametrize("module", sorted(modules()))
def test_every_module_says_what_it_holds(module):
    source = (ROOT / module).read_text(encoding="utf-8")
    assert re.match(r'(#[^\n]*\n)*\s*"""\S', source), f"{module} has no docstring"


def test_no_module_is_over_six_hundred_lines():
    long = {m: n for m in sorted(modules()) if (n := len((ROOT / m).read_text(encoding="utf-8").splitlines())) > 600}
    assert long == {}


def test_the_root_of_cllr_keeps_at_most_fifteen_modules():
    assert len(list((ROOT / "cllr").glob("*.py"))) <= 15


def test_a_module_left_out_of_the_tree_is_found():
    tree = "```\ncllr/config.py   settings\n```\n"
    assert "cllr/config.py" in listed(tree) and "cllr/names.py" not in listed(tree)
