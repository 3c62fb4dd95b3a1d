"""The demo's council correcting its own record, through the intake's own API.

Between the demo's two runs, an officer of the first demo council (fictional, like
everything in the demo) is issued a credential and uses the intake as a council would,
sending HTTP requests to the intake application in process (httpx over ASGI, with no
socket: the demo makes no network request outside the system's HTTP layer, and needs no
free port):
it lists its councillors through the JSON API, adds an account by the API, and uploads a
CSV that adds another account and removes one that the council's own page still links
(the council edits that page the same day without taking the account off).
The accounts added are new fictional ones the demo web then serves. The second run
applies the corrections before it scrapes, and the scrape cannot undo them
(:func:`held`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select

from cllr.corrections.credentials import issue
from cllr.corrections.intake import create_app
from cllr.demo.world import MASTODON_SERVERS, Account, Councillor, World, _history, profile_url
from cllr.handles import normalise
from models import AccountEvidence, Correction, Disagreement, FieldLock, SocialAccount
from models.db import Database
from models.links import link_level

OFFICER = "Democratic Services (a fictional demo officer)"


@dataclass
class Submitted:
    council: str
    by_api: str  # what each channel did, for the demo's output
    by_csv: str
    keys: list[str]  # the accounts' keys, added then removed


def council_corrects(world: World, db: Database) -> Submitted:
    """Issue the first council a credential and send its corrections through the intake; raises if refused."""
    council = world.councils[0]
    listed = [
        a
        for m in council.councillors
        for a in m.accounts  # one the day's changes left alone
        if a.on_council_page and not a.gone and not a.moved_to and not a.handle.startswith("renamed-")
    ]
    removed = min(listed, key=lambda a: a.platform != "bluesky")
    owner = next(m for m in council.councillors if removed in m.accounts)
    # The council edits that councillor's page the same day (the title before the name) but
    # leaves the closed account on it: the second run re-reads the page and finds it again.
    owner.title = "Councillor " if owner.title != "Councillor " else "Cllr "
    others = [m for m in council.councillors if m is not owner][:2]
    added = [_new_account(world, m, index) for index, m in enumerate(others)]
    world.elsewhere.extend(added)  # the demo web serves them once it reindexes
    with db.session() as session:
        _, token = issue(session, council.code, OFFICER)
    with ThreadPoolExecutor(max_workers=1) as thread:  # its own event loop, whoever called us
        return thread.submit(asyncio.run, _send(create_app(db), token, council, owner, others, added, removed)).result()


async def _send(
    app, token: str, council, owner: Councillor, others: list[Councillor], added: list[Account], removed: Account
) -> Submitted:
    """The officer's requests, sent to the intake application in process (no socket: ASGI directly)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://intake.demo.example", headers=headers
    ) as client:
        roster = _ok(await client.get("/api/v1/councillors")).json()["councillors"]
        slug = {row["name"]: row["councillor"] for row in roster}
        _ok(
            await client.post(
                "/api/v1/corrections",
                json={
                    "corrections": [
                        {
                            "op": "add_account",
                            "councillor": slug[others[0].name],
                            "account": added[0].url,
                            "role": "councillor",
                            "evidence_url": profile_url(council, others[0]),
                            "note": "the councillor's new account",
                        }
                    ]
                },
            )
        )
        sheet = io.StringIO()
        writer = csv.writer(sheet, lineterminator="\n")
        writer.writerow(["councillor", "action", "account", "role", "evidence_url", "note"])
        writer.writerow([slug[others[1].name], "add", added[1].url, "councillor", profile_url(council, others[1]), ""])
        writer.writerow(
            [
                slug[owner.name],
                "remove",
                removed.url,
                "",
                profile_url(council, owner),
                "closed; our page is out of date",
            ]
        )
        _ok(
            await client.post(
                "/api/v1/corrections.csv", content=sheet.getvalue().encode(), headers={"Content-Type": "text/csv"}
            )
        )
    return Submitted(
        council.name,
        by_api=f"added {added[0].handle} for {others[0].name}",
        by_csv=f"added {added[1].handle} for {others[1].name}; removed {removed.handle} from {owner.name}",
        keys=[normalise(a.url).key for a in (*added, removed)],
    )


def held(db: Database, submitted: Submitted) -> dict[str, int]:
    """After a run: corrections applied, added accounts confirmed by the council, removed ones still unlinked, disagreements."""
    *added, removed = submitted.keys
    with db.session() as session:

        def level(key: str) -> str | None:
            account = session.scalar(select(SocialAccount).where(SocialAccount.key == key))
            if account is None:
                return None
            return link_level(
                session.scalars(select(AccountEvidence).where(AccountEvidence.account_id == account.id)).all()
            )

        return {
            "applied": session.scalar(
                select(func.count()).select_from(Correction).where(Correction.status == "applied")
            ),
            "locks": session.scalar(select(func.count()).select_from(FieldLock)),
            "added_confirmed": sum(level(key) == "council" for key in added),
            "removed_unlinked": int(level(removed) is None),
            "disagreements": session.scalar(select(func.count()).select_from(Disagreement)),
        }


def _new_account(world: World, councillor: Councillor, index: int) -> Account:
    """A new fictional Mastodon account for a demo councillor, with a post history."""
    rng = random.Random(world.seed * 1000 + index)
    user = f"cllr_{councillor.first}_{councillor.last}".lower()
    account = Account(
        "mastodon",
        f"{user}@{MASTODON_SERVERS[index % len(MASTODON_SERVERS)]}",
        numeric_id=119_000_000_000_000_000 + index,
        followers=rng.randint(20, 400),
        following=rng.randint(20, 300),
        label="Mastodon",
        on_council_page=False,
    )
    account.posts = _history(rng, "mastodon", world.now)
    return account


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise RuntimeError(
            f"the intake refused the demo council's correction ({response.status_code}): {response.text[:300]}"
        )
    return response
