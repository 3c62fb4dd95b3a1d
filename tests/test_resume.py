"""Runs never overlap, and a run killed part-way is resumed by the next without redoing what it finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from cllr.demo.server import DemoServer
from cllr.demo.world import build_world, write_demo_files
from cllr.pipeline import ledger
from models import Council, Councillor, Post, ProfileSnapshot, Run, RunStep, SocialAccount
from models.base import utcnow
from models.db import Database

from .test_pipeline import expected_keys, run_flow

ROOT = Path(__file__).parent.parent


def test_a_run_does_not_start_while_another_is_alive(db):
    with db.session() as session:
        first = ledger.begin(session, "test", "refresh")
    with db.session() as session, pytest.raises(ledger.RunInProgress, match=f"run {first.id} "):
        ledger.begin(session, "test", "activity")


def test_a_silent_run_is_marked_interrupted_and_resumed_by_the_next_of_its_kind(db):
    now = utcnow()
    with db.session() as session:
        killed = ledger.begin(session, "test", "refresh", now=now - timedelta(hours=2))
    with db.session() as session:
        run = ledger.begin(session, "test", "refresh", now=now)
        assert session.get(Run, killed.id).status == "interrupted" and run.resumed_from == killed.id
    with db.session() as session:  # an interrupted run of another kind is not this one's to resume
        session.execute(update(Run).where(Run.id == run.id).values(status="interrupted"))
        activity = ledger.begin(session, "test", "activity", now=now)
        assert activity.resumed_from is None


def test_a_run_interrupted_more_than_a_day_ago_is_not_resumed(db):
    now = utcnow()
    with db.session() as session:
        ledger.begin(session, "test", "refresh", now=now - ledger.RESUME_WITHIN - timedelta(hours=1))
    with db.session() as session:
        assert ledger.begin(session, "test", "refresh", now=now).resumed_from is None


def test_finished_work_follows_the_chain_of_resumed_runs(db):
    now = utcnow()
    with db.session() as session:
        councils = []
        for code in ("XAA", "XAB", "XAC", "XAD"):
            council = Council(
                code=code,
                name=code,
                common_name=code,
                nation="England",
                council_type="NMD",
                cms="moderngov",
                scraper_class="moderngov",
                fictional=True,
            )
            session.add(council)
            councils.append(council)
        account = SocialAccount(
            platform="bluesky", key="bluesky:a.example", handle="a.example", url="https://bsky.app/profile/a.example"
        )
        session.add(account)
        session.flush()
        first = ledger.begin(session, "test", "refresh", now=now - timedelta(hours=3))
        session.add_all(
            [
                RunStep(run_id=first.id, stage="roster", council_id=councils[0].id, status="applied"),
                RunStep(run_id=first.id, stage="profiles", council_id=councils[0].id, status="done"),
                RunStep(
                    run_id=first.id, stage="roster", council_id=councils[1].id, status="applied"
                ),  # killed before its profiles
                ProfileSnapshot(account_id=account.id, run_id=first.id),
            ]
        )
    with db.session() as session:
        second = ledger.begin(session, "test", "refresh", now=now - timedelta(hours=2))
        session.add(RunStep(run_id=second.id, stage="roster", council_id=councils[2].id, status="failed"))
    with db.session() as session:
        third = ledger.begin(session, "test", "refresh", now=now)
        done = ledger.finished_work(session, third)
    assert done.runs == [second.id, first.id]
    assert done.councils == {"XAA", "XAC"} and done.accounts == {account.id}


@pytest.mark.flow
def test_a_run_killed_part_way_is_resumed_and_leaves_a_complete_database(prefect_api, tmp_path, database_url):
    from prefect.settings import PREFECT_API_URL

    world = build_world(councils=5, seed=7, wards=(3, 5))
    with DemoServer(world, latency=0.05) as server:
        from cllr.config import Settings

        settings = Settings(
            data_dir=tmp_path,
            database_url=database_url,
            **write_demo_files(world, tmp_path),
            **server.settings(),
            request_delay=0,
            backoff_base=0.01,
            workers=2,
        )
        db = Database(database_url)
        db.migrate()
        env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
        code = "import json, sys; from flows.refresh import refresh; refresh(settings=json.loads(sys.argv[1]), trigger='test')"
        worker = subprocess.Popen(
            [sys.executable, "-c", code, json.dumps(settings.model_dump(mode="json"))],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # wait until two councils are finished, then kill it
                with db.session() as session:
                    if (
                        session.scalar(select(func.count()).select_from(RunStep).where(RunStep.stage == "profiles"))
                        >= 2
                    ):
                        break
                assert worker.poll() is None, "the run ended before it could be killed"
                time.sleep(0.05)
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        with db.session() as session:
            killed = session.scalar(select(Run).order_by(Run.id.desc()).limit(1))
            assert killed.status == "running"
            finished = {
                c
                for (c,) in session.execute(
                    select(Council.code)
                    .join(RunStep, RunStep.council_id == Council.id)
                    .where(RunStep.run_id == killed.id, RunStep.stage == "profiles")
                )
            }
            assert 2 <= len(finished) < len(world.councils)
            # Twenty minutes later, as far as the ledger can tell: the killed run fell silent.
            session.execute(
                update(Run).where(Run.id == killed.id).values(heartbeat_at=utcnow() - timedelta(minutes=20))
            )

        summary = run_flow(settings)

    assert summary["resumed"]["runs"] == [killed.id] and summary["resumed"]["councils"] >= len(finished)
    with db.session() as session:
        assert session.get(Run, killed.id).status == "interrupted"
        resumed = session.get(Run, summary["run_id"])
        assert resumed.resumed_from == killed.id and resumed.status == "finished"
        redone = set(
            session.scalars(
                select(Council.code)
                .join(RunStep, RunStep.council_id == Council.id)
                .where(RunStep.run_id == resumed.id, RunStep.stage == "roster")
            )
        )
        assert not redone & finished and redone | finished == {c.code for c in world.councils}
        assert session.scalar(select(func.count()).select_from(Councillor)) == sum(
            len(c.councillors) for c in world.councils
        )
        assert set(session.scalars(select(SocialAccount.key))) >= expected_keys(world)
        duplicates = session.execute(
            select(Post.account_id, Post.post_id).group_by(Post.account_id, Post.post_id).having(func.count() > 1)
        ).all()
        assert duplicates == []
        never_read = session.scalar(
            select(func.count())
            .select_from(SocialAccount)
            .where(SocialAccount.last_checked_at.is_(None), SocialAccount.platform != "twitter")
        )
        assert never_read == 0
    db.dispose()


def test_a_resumed_run_forgets_the_validators_stored_since_the_killed_run_began(database_url, tmp_path):
    from cllr.config import Settings
    from cllr.pipeline import context

    settings = Settings(data_dir=tmp_path, database_url=database_url)
    with context.open_context(settings) as ctx:
        ctx.fetcher.validators.store("https://before.example/", '"old"', None)
        with ctx.db.session() as session:
            killed = ledger.begin(session, "test", "refresh", now=utcnow() - timedelta(hours=1))
        time.sleep(0.1)
        ctx.fetcher.validators.store("https://during.example/", '"new"', None)  # fetched; its content never committed
        with ctx.db.session() as session:
            session.execute(
                update(Run)
                .where(Run.id == killed.id)
                .values(started_at=utcnow() - timedelta(seconds=0.05), heartbeat_at=utcnow() - timedelta(hours=1))
            )
        _run_id, done = context.begin_run(ctx, "test")
        assert done.runs == [killed.id]
        assert ctx.fetcher.validators.headers("https://during.example/") == {}
        assert ctx.fetcher.validators.headers("https://before.example/") == {"If-None-Match": '"old"'}


def test_a_new_database_forgets_the_validators_left_by_an_old_one(database_url, tmp_path):
    from cllr.config import Settings
    from cllr.pipeline import context

    # The data directory keeps its validator store, but the database beside it is new (deleted,
    # or moved to PostgreSQL): a 304 would say "as you stored it" about pages it never stored.
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    with context.open_context(settings) as ctx:
        ctx.fetcher.validators.store("https://council.example/roster", '"v1"', None)
        context.begin_run(ctx, "test")
        assert ctx.fetcher.validators.headers("https://council.example/roster") == {}
        ctx.fetcher.validators.store("https://council.example/roster", '"v2"', None)
        with ctx.db.session() as session:
            session.execute(update(Run).values(status="finished", heartbeat_at=utcnow() - timedelta(hours=1)))
        context.begin_run(ctx, "test")  # the database's second run: its validators stand
        assert ctx.fetcher.validators.headers("https://council.example/roster") == {"If-None-Match": '"v2"'}
