"""A rename, a Mastodon move and a vanished account are recorded as history; nothing is deleted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from cllr.demo.server import DemoServer
from cllr.demo.world import build_world, directory_url, write_demo_files
from cllr.handles import normalise
from cllr.pipeline import activity, context, finishing, registry, rosters
from models import AccountChange, AccountEvidence, AccountSuggestion, Councillor, Post, SocialAccount
from models.links import link_account

TODAY = date(2026, 11, 23)


def collect_everything(ctx, run_id):
    for code in registry.load_registry(ctx):
        rosters.scrape_lane(ctx, [code], run_id, TODAY)
    for new_only in (False, True):  # as the flow does: then what councillors' websites linked to
        for batch in activity.account_batches(ctx, new_only=new_only):
            activity.collect_activity(ctx, batch, run_id)


def totals(ctx):
    with ctx.db.session() as session:
        return [session.scalar(select(func.count()).select_from(t)) for t in (SocialAccount, AccountEvidence, Post)]


def test_a_rename_a_move_and_a_vanished_account_become_history(demo_settings, tmp_path):
    small_world = build_world(councils=5, seed=7, wards=(3, 5))  # its own: the test changes it
    accounts = small_world.accounts()
    mover = next(a for a in accounts if a.platform == "mastodon")
    old_mastodon_key = f"mastodon:{mover.handle}"
    with DemoServer(small_world) as server:
        files = write_demo_files(small_world, tmp_path / "web")
        paths = {name: Path(value) for name, value in files.items()}
        settings = demo_settings.model_copy(update={**server.settings(), **paths})
        with context.open_context(settings) as ctx:
            collect_everything(ctx, context.start_run(ctx, "test"))
            before = totals(ctx)

            # The web changes: a Bluesky rename (same DID), an account gone, a Mastodon move.
            changed = small_world.next_day()
            server.web.reindex()
            old_handle = changed["renamed"].split(" -> ")[0]
            renamed = next(a for a in accounts if a.handle == "renamed-" + old_handle)
            vanished = next(a for a in accounts if a.gone)
            target = small_world.elsewhere[0]
            assert changed["moved"] == f"{mover.handle} -> {target.handle}"

            second = context.start_run(ctx, "test")
            collect_everything(ctx, second)
            after = totals(ctx)
            finishing.render_site(ctx, second)
            council, owner = next((c, m) for c in small_world.councils for m in c.councillors if renamed in m.accounts)
            page = (settings.output_dir / directory_url(council, owner).split("/", 3)[3]).read_text(encoding="utf-8")
            assert f"renamed from {old_handle} to {renamed.handle}" in page
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
                target_evidence = len(new.evidence)
                assert (
                    "moved_from" in {e.method for e in new.evidence} <= {"moved_from", "rel_me", "self_claim"}
                )  # it links back too
                renamed_row = session.scalar(select(SocialAccount).where(SocialAccount.key == f"bluesky:{old_handle}"))
                assert renamed_row.handle == renamed.handle and renamed_row.status == "active"
                # The council's page names the new handle: a suggestion until the account itself
                # reported the new handle for its DID, then settled as a rename, its evidence current.
                settled = session.scalars(
                    select(AccountSuggestion).where(AccountSuggestion.key == f"bluesky:{renamed.handle}")
                ).all()
                assert settled and {(s.status, "renamed" in s.decision_note) for s in settled} == {("accepted", True)}
                assert all(e.withdrawn_at is None for e in renamed_row.evidence)

    assert history == {
        (f"bluesky:{old_handle}", "handle", old_handle, renamed.handle),
        (f"bluesky:{vanished.handle}", "status", "active", "not_found"),
        (old_mastodon_key, "status", "active", "moved"),
        (old_mastodon_key, "moved_to", None, f"mastodon:{target.handle}"),
    }
    # Nothing deleted: one more account row (the move's target) and the target's evidence
    # (the move, and its own profile's links back, which it took with it).
    assert after[0] == before[0] + 1
    assert after[1] == before[1] + target_evidence and target_evidence >= len(new_councillors(small_world, mover))
    assert after[2] >= before[2]


def test_a_second_handle_for_a_known_did_is_folded_into_the_first_row(demo_settings, tmp_path):
    world = build_world(councils=5, seed=7, wards=(3, 5))
    account = next(a for a in world.accounts() if a.platform == "bluesky")
    owner = next(m for c in world.councils for m in c.councillors if account in m.accounts)
    alias = "alias-" + account.handle
    with DemoServer(world) as server:
        files = write_demo_files(world, tmp_path / "web")
        settings = demo_settings.model_copy(update={**server.settings(), **{k: Path(v) for k, v in files.items()}})
        with context.open_context(settings) as ctx:
            collect_everything(ctx, context.start_run(ctx, "test"))
            server.web.bluesky[alias] = account  # the AppView answers for the alias with the same DID
            with ctx.db.session() as session:
                councillor = session.scalar(select(Councillor).where(Councillor.name == owner.name))
                link_account(
                    session,
                    councillor.id,
                    normalise(alias, "bluesky"),
                    method="own_website",
                    source_url="https://site.example/",
                    run_id=None,
                )
            collect_everything(ctx, context.start_run(ctx, "test"))
            with ctx.db.session() as session:
                first = session.scalar(select(SocialAccount).where(SocialAccount.key == f"bluesky:{account.handle}"))
                second = session.scalar(select(SocialAccount).where(SocialAccount.key == f"bluesky:{alias}"))
                assert second.status == "merged" and second.platform_id is None
                assert [(c.field, c.new) for c in second.changes] == [("merged_into", first.key)]
                assert "own_website" in {e.method for e in first.evidence}  # the evidence moved, not deleted
                assert not second.evidence


def new_councillors(world, account):
    return [m for c in world.councils for m in c.councillors if account in m.accounts]
