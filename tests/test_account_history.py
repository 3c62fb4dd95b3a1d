"""A rename, a Mastodon move and a vanished account are recorded as history; nothing is deleted."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from cllr import stages
from cllr.demo.server import DemoServer
from cllr.demo.world import build_world, write_demo_files
from models import AccountChange, AccountEvidence, Post, SocialAccount

TODAY = date(2026, 11, 23)


def collect_everything(ctx, run_id):
    for code in stages.load_registry(ctx):
        stages.scrape_lane(ctx, [code], run_id, TODAY)
    for batch in stages.account_batches(ctx):
        stages.collect_activity(ctx, batch, run_id)


def totals(ctx):
    with ctx.db.session() as session:
        return [session.scalar(select(func.count()).select_from(t)) for t in (SocialAccount, AccountEvidence, Post)]


def test_a_rename_a_move_and_a_vanished_account_become_history(demo_settings, tmp_path):
    small_world = build_world(councils=5, seed=7, wards=(3, 5))  # its own: the test changes it
    accounts = small_world.accounts()
    renamed, vanished = [a for a in accounts if a.platform == "bluesky"][:2]
    mover = next(a for a in accounts if a.platform == "mastodon")
    old_handle, old_mastodon_key = renamed.handle, f"mastodon:{mover.handle}"
    with DemoServer(small_world) as server:
        files = write_demo_files(small_world, tmp_path / "web")
        paths = {name: Path(value) for name, value in files.items()}
        settings = demo_settings.model_copy(update={"connect_to": server.connect_to(), **paths})
        with stages.open_context(settings) as ctx:
            collect_everything(ctx, stages.start_run(ctx, "test"))
            before = totals(ctx)

            # The web changes: a Bluesky rename (same DID), an account gone, a Mastodon move.
            web = server.web
            renamed.handle = "renamed-" + renamed.handle
            web.bluesky = {a.handle: a for a in accounts if a.platform == "bluesky" and a is not vanished}
            user, host = mover.handle.split("@")
            target = replace(mover, handle=f"{user}@toot.demo.example" if host != "toot.demo.example"
                             else f"{user}@social.demo.example", numeric_id=mover.numeric_id + 1, moved_to=None)  # fmt: skip
            mover.moved_to = target.handle
            web.mastodon[target.handle] = target
            web.mastodon_ids[str(target.numeric_id)] = target

            second = stages.start_run(ctx, "test")
            collect_everything(ctx, second)
            after = totals(ctx)
            with ctx.db.session() as session:
                history = {
                    (a.key, c.field, c.old, c.new)
                    for a in session.scalars(select(SocialAccount))
                    for c in session.scalars(select(AccountChange).where(AccountChange.account_id == a.id))
                }
                assert {c.run_id for c in session.scalars(select(AccountChange))} == {second}
                gone = session.scalar(select(SocialAccount).where(SocialAccount.key == f"bluesky:{vanished.handle}"))
                moved = session.scalar(select(SocialAccount).where(SocialAccount.key == old_mastodon_key))
                new = session.scalar(select(SocialAccount).where(SocialAccount.key == f"mastodon:{target.handle}"))
                assert (gone.status, moved.status) == ("not_found", "moved")
                assert gone.evidence and moved.evidence  # still linked to their councillors
                assert {e.councillor_id for e in new.evidence} == {e.councillor_id for e in moved.evidence}
                assert {e.method for e in new.evidence} == {"moved_from"}
                renamed_row = session.scalar(select(SocialAccount).where(SocialAccount.key == f"bluesky:{old_handle}"))
                assert renamed_row.handle == renamed.handle and renamed_row.status == "active"

    assert history == {
        (f"bluesky:{old_handle}", "handle", old_handle, renamed.handle),
        # The council's page now names the new handle: a second row, folded into the first by its DID.
        (f"bluesky:{renamed.handle}", "merged_into", None, f"bluesky:{old_handle}"),
        (f"bluesky:{vanished.handle}", "status", "active", "not_found"),
        (old_mastodon_key, "status", "active", "moved"),
        (old_mastodon_key, "moved_to", None, f"mastodon:{target.handle}"),
    }
    # Nothing deleted: two more account rows (the move's target, the renamed handle's merged row)
    # and the target's evidence; the merged row's evidence now points at the first row.
    assert after[0] == before[0] + 2
    assert after[1] == before[1] + len(new_councillors(small_world, mover)) + len(new_councillors(small_world, renamed))
    assert after[2] >= before[2]


def new_councillors(world, account):
    return [m for c in world.councils for m in c.councillors if account in m.accounts]
