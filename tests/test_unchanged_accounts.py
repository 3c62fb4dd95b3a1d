"""Unchanged accounts recorded in bulk leave the database as the one-by-one path does."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from cllr.demo.server import DemoServer
from cllr.demo.world import Post, build_world, write_demo_files
from cllr.pipeline import activity, context
from cllr.pipeline.unchanged_accounts import record_unchanged
from models import AccountEvidence, Councillor, ProfileSnapshot, SocialAccount
from tests.test_account_history import collect_everything

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def second_collection(settings, tmp_path: Path, bulk: bool, monkeypatch) -> tuple[dict, int, tuple]:
    """Collect a demo world twice, a few profiles changed in between; returns what the
    database then holds (comparable between databases), how many accounts went in bulk, and
    the accounts changed."""
    world = build_world(councils=5, seed=7, wards=(3, 5), now=NOW)
    accounts = world.accounts()
    backlinked = next(a for a in accounts if a.platform == "mastodon" and any(v for _, v in a.profile_links))
    described = next(a for a in accounts if a.platform == "bluesky" and "http" in a.description)
    posting = next(a for a in accounts if a.platform == "bluesky" and a is not described and a.posts)
    in_bulk: list[dict] = []

    def record(*args, **kwargs) -> dict:  # the bulk path, or none (every account one by one); counted
        in_bulk.append(record_unchanged(*args, **kwargs) if bulk else {})
        return in_bulk[-1]

    monkeypatch.setattr(activity, "record_unchanged", record)
    with DemoServer(world) as server:
        files = {k: Path(v) for k, v in write_demo_files(world, tmp_path / "web").items()}
        settings = settings.model_copy(update={**server.settings(), **files, "data_dir": tmp_path})
        with context.open_context(settings) as ctx:
            collect_everything(ctx, context.start_run(ctx, "test"))
            in_bulk.clear()
            backlinked.profile_links = []  # its rel="me" check no longer holds
            described.description = ""  # nor its self-claim
            posting.posts.insert(0, Post("0999fffffe", NOW, "post"))  # a new post: its feed is read
            for account in accounts:
                account.followers += 1
            server.web.reindex()
            second = context.start_run(ctx, "test")
            started = datetime.now(UTC)
            collect_everything(ctx, second)
            with ctx.db.session() as session:
                held = {"accounts": {}, "evidence": set()}
                for account in session.scalars(select(SocialAccount)):
                    snapshots = session.scalars(
                        select(ProfileSnapshot)
                        .where(ProfileSnapshot.account_id == account.id)
                        .order_by(ProfileSnapshot.id)
                    ).all()
                    held["accounts"][account.key] = (
                        account.status,
                        account.handle,
                        account.platform_id,
                        account.local_id,
                        account.last_checked_at >= started,
                        [
                            (
                                s.followers,
                                s.following,
                                s.posts_total,
                                s.posts_complete,
                                s.source_url,
                                s.run_id == second,
                            )
                            for s in snapshots
                        ],
                    )
                for evidence, slug in session.execute(
                    select(AccountEvidence, Councillor.slug).join(
                        Councillor, Councillor.id == AccountEvidence.councillor_id
                    )
                ):
                    held["evidence"].add(
                        (
                            evidence.account.key,
                            slug,
                            evidence.method,
                            evidence.source_url,
                            evidence.withdrawn_at is not None,
                            evidence.last_checked_at >= started,
                            evidence.last_seen_at >= started,
                            evidence.run_id == second,
                        )
                    )
    return held, sum(len(found) for found in in_bulk), (backlinked, described, posting)


def test_unchanged_accounts_recorded_in_bulk_match_the_one_by_one_path(demo_settings, tmp_path, monkeypatch):
    one_by_one = demo_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'one-by-one.sqlite3'}"})
    expected, _, _ = second_collection(one_by_one, tmp_path / "a", False, monkeypatch)
    held, in_bulk, (backlinked, described, posting) = second_collection(
        demo_settings, tmp_path / "b", True, monkeypatch
    )

    platforms = [key.split(":")[0] for key in held["accounts"]]
    assert 0 < in_bulk < platforms.count("bluesky") + platforms.count("mastodon")  # most, not the changed ones
    assert held == expected
    withdrawn = {(key, method) for key, _, method, _, gone, *_ in held["evidence"] if gone}
    assert (f"mastodon:{backlinked.handle}", "rel_me") in withdrawn
    assert (f"bluesky:{described.handle}", "self_claim") in withdrawn
    assert held["accounts"][f"bluesky:{posting.handle}"][-1][-1][2] == len(
        [p for p in posting.posts if p.kind != "repost"]
    )
