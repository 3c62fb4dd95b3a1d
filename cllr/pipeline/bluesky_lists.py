"""Stage 8, the Bluesky lists: each council's councillors' confirmed Bluesky accounts as a list
on the operator's Bluesky account, kept in step at every run (cllr/platforms/bluesky_lists.py).
Nothing is published without the operator's credentials."""

from __future__ import annotations

from cllr.http import FetchError
from cllr.pipeline.context import Context, Outcome, record_step
from cllr.platforms.bluesky_lists import CouncilList, Publisher, marker, plan
from cllr.site.views import PersonView, gather_people
from models.base import utcnow

NAME_LENGTH = 64  # a Bluesky list's name, at most (graphemes)


def wanted_lists(people: list[PersonView], site_url: str | None) -> list[CouncilList]:
    """One list for each council with a sitting councillor whose own Bluesky account is confirmed
    and live (the accounts the figures count), by the account's DID."""
    members: dict[str, set[str]] = {}
    councils = {}
    for person in people:
        council = person.councillor.council
        for view in person.accounts:
            account = view.account
            if (
                account.platform == "bluesky" and view.counted and account.platform_id
            ):  # counted: confirmed, live, their own
                members.setdefault(council.code, set()).add(account.platform_id)
                councils[council.code] = council
    where = f" from {site_url.rstrip('/')}" if site_url else ""
    return [
        CouncilList(
            code,
            f"Councillors of {councils[code].name}"[:NAME_LENGTH],
            f"The councillors of {councils[code].name} on Bluesky, as confirmed by Councillors Online{where}; "
            f"kept up to date at every refresh. {marker(code)}",
            frozenset(dids),
        )
        for code, dids in sorted(members.items())
    ]


def publish_lists(ctx: Context, run_id: int) -> Outcome:
    """Bring the operator's lists in step with the directory; a step of its own in the run ledger."""
    started = utcnow()
    settings = ctx.settings
    if not settings.bluesky_lists_enabled:
        outcome = Outcome("lists", "bluesky", "skipped", "no Bluesky account configured: nothing is published")
        return record_step(ctx, run_id, outcome, started_at=started)
    with ctx.db.session() as session:
        people, _ = gather_people(session)
        wanted = wanted_lists(people, settings.site_url)
    try:
        publisher = Publisher(
            ctx.fetcher,
            settings.bluesky_pds,
            settings.bluesky_identifier,
            settings.bluesky_app_password.get_secret_value(),
            pace=settings.bluesky_delay,
        )
        steps = plan(wanted, publisher.records("app.bsky.graph.list"), publisher.records("app.bsky.graph.listitem"))
        writes = publisher.apply(steps)
    except (FetchError, KeyError, ValueError) as exc:  # a refusal, or an answer not as documented
        outcome = Outcome("lists", "bluesky", "failed", f"{type(exc).__name__}: {exc}")
        return record_step(ctx, run_id, outcome, started_at=started)
    counts = {
        "lists": len(wanted),
        "lists_created": len(steps.create_lists),
        "added": len(steps.add) + sum(len(c.members) for c in steps.create_lists),
        "removed": len(steps.remove),
        "writes": writes,
    }
    return record_step(ctx, run_id, Outcome("lists", "bluesky", "done", counts=counts), started_at=started)
