"""The templates' Jinja2 environment: autoescaping on, strict about undefined names, and the
filters the pages use to write codes and keys in plain words. One set-up for the site and
the corrections intake's pages."""

from __future__ import annotations

from importlib.resources import files

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from cllr.evidence import LEVEL_NAMES, METHODS, ROLE_NAMES
from cllr.platforms import PLATFORMS, label
from cllr.roles import KIND_NAMES
from cllr.site.changes import council_place, councillor_place, ward_place
from cllr.site.postcode_shards import ward_anchor
from cllr.site.views import written
from cllr.urls import safe_url
from models.accounts import ACTIVE_DAYS

COUNCIL_TYPES = {
    "CTY": "County",
    "NMD": "District",
    "UA": "Unitary",
    "MD": "Metropolitan district",
    "LBO": "London borough",
    "CC": "City of London",
    "SCO": "Scottish council",
    "WPA": "Welsh principal area",
    "NID": "Northern Ireland district",
}

# How the last reading of a council's councillor pages went (run_step.status), in plain
# words: a sentence's end on the council's page, and a short form for the councils tables.
ROSTER_READINGS = {
    "applied": ("changes were found and taken in", "changes taken in"),
    "unchanged": ("nothing had changed", "no change"),
    "failed": ("they could not be read, so what is shown is from the last good reading", "could not be read"),
    "quarantined": (
        "what they said looked wrong, so it is held back for a check and what is shown is from the last good reading",
        "held back for a check",
    ),
    "skipped": ("we cannot read this council's pages yet", "not readable yet"),
    "skipped_robots": ("the council's site asks robots not to read them", "robots asked not to"),
    "disabled": ("reading them is switched off for now", "switched off"),
}


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(files("site_templates"))),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # a build reads each template once, not its file's time at every page (a stat each)
    )
    env.globals["active_days"] = ACTIVE_DAYS
    env.filters["safe_url"] = safe_url
    env.filters["platform"] = label
    env.filters["method"] = lambda key: METHODS[key].label if key in METHODS else key
    env.filters["level"] = lambda key: LEVEL_NAMES.get(key, key)
    env.filters["role"] = lambda key: ROLE_NAMES.get(key, key)
    env.globals["platforms"] = PLATFORMS
    env.filters["date"] = lambda d: d.strftime("%-d %b %Y") if d else "–"
    env.filters["pct"] = lambda part, whole: f"{100 * part / whole:.0f}%" if whole else "–"
    env.filters["share"] = lambda part, whole: f"{part / whole:.4f}" if whole else ""
    env.filters["council_type"] = lambda code: COUNCIL_TYPES.get(code, code or "–")
    env.filters["ward_anchor"] = ward_anchor
    env.filters["written"] = written
    env.filters["role_kind"] = lambda kind: KIND_NAMES.get(kind, kind)
    env.globals.update(council_place=council_place, ward_place=ward_place, councillor_place=councillor_place)
    env.filters["reading"] = lambda status: ROSTER_READINGS.get(status, (status, status))[0]
    env.filters["reading_short"] = lambda status: ROSTER_READINGS.get(status, (status, status))[1]
    return env
