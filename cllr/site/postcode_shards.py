"""The site's postcode finder: one small JSON file per outward code (``postcodes/SW1A.json``),
and ``postcodes/index.json``, the outward codes there are.

A visitor's browser (``static/site.js``) fetches the one file for the postcode typed and
shows the councillors of each place the postcode lies in: the ward of its district,
borough, unitary or other single-tier council, and, in a two-tier area, the county's
electoral division as well; a postcode split between wards shows each. A shard::

    {"outward": "QA1",
     "areas": [{"council": ..., "href": "councils/xaa.html#ward-north", "kind": "ward",
                "name": ..., "people": [[name, href, party, posts, active, [[platform, url, handle]]]]}],
     "places": [[0, 3], [1, null]],         # each place: its ward's and its division's areas
     "live": ["1AA1AB", "2AB"],             # each place's postcodes' inward codes, three characters each
     "retired": "9ZZ", "retired_on": "202106"}

An area the site cannot attach councillors to (a council not listed, a ward no roster
name matched) says so, linking to the council's page where there is one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from itertools import groupby
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cllr.names import slugify
from cllr.platforms import label
from cllr.urls import safe_url
from models import Area, Place, Postcode, RetiredPostcode


def council_page(council) -> str:
    """A council's page, relative to the site's root."""
    return f"councils/{council.code.lower()}.html"


def ward_anchor(name: str) -> str:
    """The id of a ward's section on its council's page."""
    return f"ward-{slugify(name)}"


def write_postcode_shards(session: Session, folder: Path, people, councils) -> dict:
    """Write one shard per outward code into ``folder``; returns how many shards, postcodes and
    bytes, and ``examples``: council name → the first of its postcodes whose ward or division
    has councillors listed (the finder's hint names one that works), and ``""`` → the first of all."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {a.gss: (a.name, a.parent) for a in session.scalars(select(Area))}
    by_gss = {c.gss: c for c in councils if c.gss}
    wards: dict[int, dict[str, object]] = defaultdict(dict)  # council id → ward code → ward
    members: dict[int, list] = defaultdict(list)  # ward id → sitting councillors
    for person in people:
        ward = person.membership.ward
        members[ward.id].append(person)
        if ward.gss:
            wards[ward.council_id][ward.gss] = ward
    places = {p.id: p for p in session.scalars(select(Place))}
    areas: dict[tuple, dict] = {}
    same: dict[tuple, dict] = {}  # one entry for the wards a roster ward covers together (Northern Ireland's DEAs)

    def area(council_code: str, code: str | None, kind: str) -> dict | None:
        if not code:
            return None
        key = (council_code, code)
        if key not in areas:
            item = _area(by_gss.get(council_code), council_code, code, kind, names, wards, members)
            areas[key] = same.setdefault((item["council"], item["href"], item["kind"], item["name"]), item)
        return areas[key]

    dialect = session.get_bind().dialect.name
    order = (
        Postcode.postcode.collate("C") if dialect == "postgresql" else Postcode.postcode
    )  # bytewise: outward codes together
    retired_order = RetiredPostcode.postcode.collate("C") if dialect == "postgresql" else RetiredPostcode.postcode
    live = session.execute(select(Postcode.postcode, Postcode.place_id).order_by(order)).yield_per(20_000)
    gone = session.execute(select(RetiredPostcode.postcode, RetiredPostcode.retired).order_by(retired_order)).yield_per(
        20_000
    )
    shards = postcodes = size = 0
    outwards = []
    examples: dict[str, str] = {}
    for outward, in_use, retired in _by_outward(live, gone):
        shard_areas: list[dict] = []
        index: dict[int, int] = {}  # id(area) → its place in shard_areas

        def ref(item: dict | None, index: dict[int, int] = index, shard_areas: list[dict] = shard_areas) -> int | None:
            if item is None:
                return None
            if id(item) not in index:
                index[id(item)] = len(shard_areas)
                shard_areas.append(item)
            return index[id(item)]

        codes: dict[int, list[str]] = defaultdict(list)
        for code, place_id in in_use:
            codes[place_id].append(code[-3:])
        place_ids = sorted(codes)
        for p in place_ids:
            for item in (
                area(places[p].lad, places[p].ward, "ward"),
                area(places[p].county or "", places[p].division, "division"),
            ):
                if item and item["people"]:
                    example = f"{outward} {min(codes[p])}"
                    examples.setdefault(item["council"], example)
                    examples.setdefault("", example)
        shard = {
            "outward": outward,
            "areas": shard_areas,
            "places": [
                [
                    ref(area(places[p].lad, places[p].ward, "ward")),
                    ref(area(places[p].county or "", places[p].division, "division")),
                ]
                for p in place_ids
            ],
            "live": ["".join(codes[p]) for p in place_ids],
            "retired": "".join(code[-3:] for code, _ in retired),
            "retired_on": "".join(month for _, month in retired),
        }
        body = json.dumps(shard, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        (folder / f"{outward}.json").write_bytes(body)
        outwards.append(outward)
        shards += 1
        postcodes += len(in_use)
        size += len(body)
    # The outward codes there are, so that the browser never asks for a file that is not.
    index = json.dumps(outwards, separators=(",", ":")).encode("utf-8")
    (folder / "index.json").write_bytes(index)
    return {"shards": shards, "postcodes": postcodes, "bytes": size + len(index), "examples": examples}


def _by_outward(live, gone):
    """(outward code, [(postcode, place id)], [(postcode, month)]) for each outward code, from two streams sorted bytewise."""
    live_groups = groupby(live, key=lambda row: row[0].split(" ")[0])
    gone_groups = groupby(gone, key=lambda row: row[0].split(" ")[0])
    a, b = next(live_groups, None), next(gone_groups, None)
    while a or b:
        # Compare as the database sorted them: the outward code followed by its space.
        ka = a[0] + " " if a else None
        kb = b[0] + " " if b else None
        if b is None or (a is not None and ka < kb):
            yield a[0], list(a[1]), []
            a = next(live_groups, None)
        elif a is None or kb < ka:
            yield b[0], [], list(b[1])
            b = next(gone_groups, None)
        else:
            yield a[0], list(a[1]), list(b[1])
            a, b = next(live_groups, None), next(gone_groups, None)


def _area(council, council_code: str, code: str, kind: str, names, wards, members) -> dict:
    ons_name, parent = names.get(code, (code, None))
    if council is None:
        listed = names.get(council_code, (council_code, None))[0]
        return {"council": listed, "href": None, "kind": kind, "name": ons_name, "people": None}
    ward = wards[council.id].get(code) or (wards[council.id].get(parent) if parent else None)
    page = council_page(council)
    if ward is None:  # no roster ward matched the ONS name: the council's page is the way in
        return {"council": council.name, "href": page, "kind": kind, "name": ons_name, "people": None}
    people = sorted(members.get(ward.id, []), key=lambda p: p.councillor.name)
    return {
        "council": council.name,
        "href": f"{page}#{ward_anchor(ward.name)}",
        "kind": kind,
        "name": ward.name,
        "people": [
            [
                p.councillor.name,
                f"councillors/{p.councillor.slug}.html",
                (p.membership.party_label or p.membership.party.name) if p.membership.party else "",
                p.posts_30d,
                int(p.active),
                [
                    [label(a.account.platform), safe_url(a.account.url) or "", a.account.handle, a.gone_note or ""]
                    for a in p.accounts
                ],
            ]
            for p in people
        ],
    }
