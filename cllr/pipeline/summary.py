"""The short report printed at the end of every run: what changed and what failed."""

from __future__ import annotations

from typing import Any

from cllr.pipeline.context import Outcome

# Roster statuses that leave a council unread this run.
NOT_READ = ("failed", "quarantined", "skipped", "skipped_robots", "disabled")


def coverage(statuses: dict[str, int]) -> str:
    """How many of the run's councils were read, and why the others were not."""
    roster = {k.split(":", 1)[1]: v for k, v in statuses.items() if k.startswith("roster:")}
    read = roster.get("applied", 0) + roster.get("unchanged", 0)
    total = sum(roster.values())
    gaps = [
        (roster.get("skipped", 0), "skipped (no scraper or selectors)"),
        (roster.get("disabled", 0), "disabled"),
        (roster.get("skipped_robots", 0), "refused by robots.txt"),
        (roster.get("failed", 0), "failed"),
        (roster.get("quarantined", 0), "held back for review"),
    ]
    unread = "; ".join(f"{n} {why}" for n, why in gaps if n)
    return f"{read} of {total} councils read" + (f"; not read: {unread}" if unread else "")


def render_summary(summary: dict, seconds: float) -> str:
    statuses = summary.get("statuses", {})
    counts = summary.get("counts", {})
    changes = summary.get("changes", {})

    def status(stage: str) -> str:
        found = [(k.split(":", 1)[1], v) for k, v in sorted(statuses.items()) if k.startswith(stage + ":")]
        return ", ".join(f"{v} {s}" for s, v in found) or "none"

    def n(*keys: str) -> int:
        return sum(counts.get(key, 0) for key in keys)

    lines = [
        f"Run {summary.get('run_id', '?')} finished in {seconds:.1f} s",
        f"  Councils:    {status('roster')}",
        f"  Coverage:    {coverage(statuses)}",
        f"  Councillors: {n('roster.inserted')} new, {n('roster.updated')} updated, "
        f"{n('roster.ended')} left, {n('roster.unchanged')} unchanged",
        f"  Accounts:    {n('roster.accounts_linked', 'profiles.accounts_linked', 'activity.accounts_linked')} newly linked, "
        f"{n('roster.suggestions', 'profiles.suggestions', 'activity.suggestions')} suggested for review "
        f"({len(set(changes.get('settled', [])))} settled by the account itself), "
        f"{n('roster.links_withdrawn', 'profiles.links_withdrawn', 'activity.links_withdrawn')} no longer shown "
        f"(profile pages: {n('profiles.pages')} read, {n('profiles.unchanged')} unchanged, {n('profiles.failed')} failed)",
        f"  Activity:    {n('activity.accounts')} accounts read, {n('activity.posts_new')} new posts, "
        f"{n('activity.not_found')} not found, {n('activity.failed')} failed",
        f"  Site:        {n('site.pages')} pages",
    ]
    if any(key.startswith("wards.") for key in counts):
        lines.insert(
            -1,
            f"  Ward codes:  {n('wards.matched')} matched by name, {n('wards.override')} by override, "
            f"{n('wards.ambiguous')} ambiguous, {n('wards.unmatched')} unmatched (cllr postcodes wards)",
        )
    if any(key.startswith("lists:") for key in statuses):
        lines.append(
            f"  Bluesky lists: {status('lists')}: {n('lists.lists')} lists, {n('lists.lists_created')} created, "
            f"{n('lists.added')} accounts added, {n('lists.removed')} removed"
        )
    if n("corrections.applied", "corrections.not_applied"):
        lines.insert(
            1,
            f"  Corrections: {n('corrections.applied')} applied, {n('corrections.not_applied')} not applied "
            f"(docs/corrections.md)",
        )
    http = summary.get("http")
    if http:
        lines.append(f"  Requests:    {http.get('requests', 0)} ({http.get('bytes', 0) // 1024} KiB)")
    settled = set(changes.get("settled", []))
    for label, key in (("New councillors", "new"), ("Departed", "departed"), ("For review", "suggestions")):
        items = [item for item in changes.get(key, []) if key != "suggestions" or item not in settled]
        if items:
            shown = ", ".join(items[:8]) + (f" and {len(items) - 8} more" if len(items) > 8 else "")
            lines.append(f"  {label}: {shown}")
    problems = summary.get("problems", [])
    lines.append(f"  Problems:    {len(problems) or 'none'}")
    lines += [f"    - {p}" for p in problems[:20]]
    if len(problems) > 20:
        lines.append(f"    ... and {len(problems) - 20} more (see the run ledger)")
    return "\n".join(lines)


def summary_markdown(summary: dict) -> str:
    """The run's figures as Markdown, for the Prefect artifact ``run-summary``.

    Artifacts live in Prefect's own database, which an erasure does not reach: they hold
    counts, council codes and statuses only, never a reason (reasons name pages, accounts and
    people). The reasons are in the run ledger, which an erasure scrubs (docs/corrections.md)."""
    statuses = summary.get("statuses", {})
    counts = summary.get("counts", {})
    roster = {k.split(":", 1)[1]: v for k, v in statuses.items() if k.startswith("roster:")}
    rows = [
        ("Coverage", coverage(statuses)),
        ("Councils applied", roster.get("applied", 0)),
        ("Councils unchanged", roster.get("unchanged", 0)),
        ("Councils quarantined", roster.get("quarantined", 0)),
        ("Councils failed", roster.get("failed", 0)),
        (
            "Councils skipped (robots.txt, disabled, no scraper)",
            sum(roster.get(k, 0) for k in ("skipped_robots", "disabled", "skipped")),
        ),
        ("Accounts collected", counts.get("activity.accounts", 0)),
        ("New posts", counts.get("activity.posts_new", 0)),
        ("Accounts not found", counts.get("activity.not_found", 0)),
        ("Accounts failed", counts.get("activity.failed", 0)),
        (
            "Wards with no ONS code (postcode finder)",
            counts.get("wards.ambiguous", 0) + counts.get("wards.unmatched", 0),
        ),
        ("Site pages", counts.get("site.pages", 0)),
    ]
    lines = [f"## Run {summary.get('run_id', '?')}", "", "| | |", "|---|---:|"]
    lines += [f"| {label} | {value} |" for label, value in rows]
    resumed = summary.get("resumed")
    if resumed:
        lines += [
            "",
            f"Resumed interrupted run(s) {', '.join(map(str, resumed['runs']))}: "
            f"{resumed['councils']} councils and {resumed['accounts']} accounts they finished were not redone.",
        ]
    problems = summary.get("problem_places", [])
    if problems:
        lines += ["", f"### Problems ({len(problems)}; their reasons are in the run ledger)", ""]
        lines += [f"- {p}" for p in problems[:50]]
    return "\n".join(lines) + "\n"


def council_rows(outcomes: list[Outcome]) -> list[dict[str, str]]:
    """One row per council of the run: its roster and profile-page statuses (for the artifact
    ``run-councils``: codes and statuses only, as ``summary_markdown`` says why)."""
    rows: dict[str, dict[str, str]] = {}
    for outcome in outcomes:
        if outcome.stage in ("roster", "profiles"):
            row = rows.setdefault(outcome.subject, {"council": outcome.subject, "roster": "", "profiles": ""})
            row[outcome.stage] = outcome.status
    return [rows[code] for code in sorted(rows)]


def summarise(outcomes: list[Outcome], fetch_stats: dict[str, int] | None = None) -> dict[str, Any]:
    """Fold the outcomes of a run into the summary printed at its end and kept in the ledger."""
    summary: dict[str, Any] = {"statuses": {}, "counts": {}, "changes": {}, "problems": []}
    for outcome in outcomes:
        key = f"{outcome.stage}:{outcome.status}"
        summary["statuses"][key] = summary["statuses"].get(key, 0) + 1
        for name, value in outcome.counts.items():
            name = f"{outcome.stage}.{name}"
            summary["counts"][name] = summary["counts"].get(name, 0) + value
        for name, items in outcome.changes.items():
            summary["changes"].setdefault(name, []).extend(items)
        noted = outcome.reason and outcome.stage != "roster" and outcome.status != "unchanged"
        held_back = outcome.counts.get("unplaced")  # councillors a shared roster's rules could not place
        if outcome.status in NOT_READ or noted or held_back:  # a gap in the directory is never "none"
            summary["problems"].append(f"{outcome.stage} {outcome.subject}: {outcome.status}: {outcome.reason}")
            summary.setdefault("problem_places", []).append(f"{outcome.stage} {outcome.subject}: {outcome.status}")
    if fetch_stats:
        summary["http"] = dict(fetch_stats)
    return summary
