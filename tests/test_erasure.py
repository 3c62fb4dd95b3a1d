"""Erasure on request (D-16): after `cllr erase`, neither a dump of the database nor any file of the
built site holds the value, the audit says only that an erasure happened, and a re-scrape of a
council page that still links the account does not bring it back."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cllr.cli import cli
from cllr.corrections import operations as ops
from cllr.corrections.erasure import compact, erase
from cllr.demo.server import DemoServer
from cllr.demo.world import BLUESKY_PDS_DOMAIN, build_world, write_demo_files
from cllr.pipeline import context, finishing, metrics
from models import AccountEvidence, CorrectionEvent, Councillor, FormerName, SocialAccount
from models.db import Database

from .test_account_history import collect_everything
from .test_corrections import two_small_councils

pytestmark = pytest.mark.flow


def run_once(settings) -> None:
    with context.open_context(settings) as ctx:
        run_id = context.start_run(ctx, "test")
        collect_everything(ctx, run_id)
        metrics.compute_metrics(ctx, run_id)
        finishing.render_site(ctx, run_id)


def dump(url: str, *, raw: bool = True) -> str:
    """The whole database as SQL text, as a backup tool writes it (on SQLite, with the file's
    own bytes too unless ``raw`` is false: deleted rows linger in free pages until a vacuum)."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as connection:
            return "\n".join(connection.iterdump()) + (Path(path).read_bytes().decode("latin-1") if raw else "")
    return subprocess.run(
        ["pg_dump", "--no-owner", url.replace("postgresql+psycopg", "postgresql")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def site_files_holding(site: Path, needle: str) -> list[str]:
    return [
        str(p.relative_to(site))
        for p in site.rglob("*")
        if p.is_file() and needle.lower() in p.read_bytes().decode("latin-1").lower()
    ]


def cli_env(settings) -> dict[str, str]:
    return {
        "CLLR_DATA_DIR": str(settings.data_dir),
        "CLLR_DATABASE_URL": settings.db_url,
        "CLLR_CONTACT_URL": settings.contact_url,
    }


def test_an_erased_account_leaves_no_trace_in_the_database_or_the_site_and_is_never_collected_again(demo_settings):
    run_once(demo_settings)
    db = Database(demo_settings.db_url)
    with db.session() as session:  # a Bluesky account that a council page links, with a DID and posts
        account, slug = session.execute(
            select(SocialAccount, Councillor.slug)
            .select_from(SocialAccount)
            .join(AccountEvidence, AccountEvidence.account_id == SocialAccount.id)
            .join(Councillor, Councillor.id == AccountEvidence.councillor_id)
            .where(
                SocialAccount.platform == "bluesky",
                SocialAccount.platform_id.is_not(None),
                AccountEvidence.method == "council_profile",
            )
            .order_by(SocialAccount.id)
            .limit(1)
        ).one()
        handle, did = account.handle, account.platform_id
    site = demo_settings.output_dir
    assert handle in dump(demo_settings.db_url) and did in dump(demo_settings.db_url)
    assert site_files_holding(site, handle)

    url = f"https://bsky.app/profile/{handle}"
    dry = CliRunner().invoke(
        cli, ["erase", slug, url, "--by", "operator", "--reason", "request 1"], env=cli_env(demo_settings)
    )
    assert dry.exit_code == 0, dry.output
    assert "Would erase" in dry.output and "Nothing has changed" in dry.output
    assert handle in dump(demo_settings.db_url)

    done = CliRunner().invoke(
        cli, ["erase", slug, url, "--by", "operator", "--reason", "request 1", "--yes"], env=cli_env(demo_settings)
    )
    assert done.exit_code == 0, done.output
    assert "deleted 1 row(s) of social_account" in done.output and "Site rebuilt" in done.output
    text = dump(demo_settings.db_url).lower()
    assert handle.lower() not in text and did.lower() not in text
    assert site_files_holding(site, handle) == [] and site_files_holding(site, did) == []
    with db.session() as session:
        [event] = session.scalars(select(CorrectionEvent).where(CorrectionEvent.action == "erased")).all()
        assert event.actor == "operator" and "request 1" in event.detail

    run_once(demo_settings)  # the council page still links it
    with db.session() as session:
        assert (
            session.scalar(select(func.count()).select_from(SocialAccount).where(SocialAccount.handle == handle)) == 0
        )
    assert handle.lower() not in dump(demo_settings.db_url).lower()
    assert site_files_holding(site, handle) == []
    db.dispose()


def test_an_erased_account_stays_erased_under_a_new_handle(demo_settings, tmp_path):
    """A Bluesky account erased, then renamed (same DID) and linked by the council under its new
    handle: its stable id gives it away at collection, so it is erased again, and neither handle
    nor the DID is stored or published; the next run does not even link it."""
    world = build_world(councils=5, seed=7, wards=(3, 5))  # its own: the test changes it
    with DemoServer(world) as server:
        files = {name: Path(value) for name, value in write_demo_files(world, tmp_path / "web").items()}
        settings = demo_settings.model_copy(update={**server.settings(), **files})
        run_once(settings)
        renamed = next(  # the account next_day renames
            a.handle
            for a in world.accounts()
            if a.platform == "bluesky" and a.on_council_page and a.handle.endswith(BLUESKY_PDS_DOMAIN)
        )
        db = Database(settings.db_url)
        with db.session() as session:
            account = session.scalar(select(SocialAccount).where(SocialAccount.key == f"bluesky:{renamed}"))
            did, slug = account.platform_id, account.evidence[0].councillor.slug
        assert did and renamed in dump(settings.db_url)
        with db.session() as session:
            report = erase(session, slug, f"https://bsky.app/profile/{renamed}", actor="operator", reason="request 4")
        compact(db, report)

        changed = world.next_day()  # the account takes a new handle; the council's page names it
        assert changed["renamed"] == f"{renamed} -> renamed-{renamed}"
        server.web.reindex()
        new_handle = "renamed-" + renamed
        for _ in range(2):
            run_once(settings)
            text = dump(settings.db_url, raw=False).lower()
            for value in (renamed, new_handle, did):
                assert value.lower() not in text
                assert site_files_holding(settings.output_dir, value) == []
        db.dispose()


@pytest.fixture
def directory(demo_settings):
    run_once(demo_settings)
    db = Database(demo_settings.db_url)
    yield db
    db.dispose()


def test_a_former_name_is_erased_from_history_the_audit_and_the_page_address(directory, demo_settings):
    with directory.session() as session:
        person = session.scalar(select(Councillor).order_by(Councillor.id).limit(1))
        old_slug = f"{person.council.code.lower()}-quillan-oldname"
        person.slug = old_slug  # the page address was made from the name they no longer use
        person.former_names.append(
            FormerName(
                name="Quillan Oldname", raw_name="Cllr Quillan Oldname", used_until=person.memberships[0].start_date
            )
        )
    with directory.session() as session:  # a public suggestion mentioned it: its audit rows must lose it too
        submitter = ops.Submitter("public", "192.0.2.1")
        ops.submit(
            session,
            [
                ops.OPERATION.validate_python(
                    {
                        "op": "set_name",
                        "councillor": old_slug,
                        "name": "Quillan Newname",
                        "evidence_url": "https://council.example/p",
                        "note": "was Quillan Oldname",
                    }
                )
            ],
            submitter,
        )
    with directory.session() as session:
        report = erase(session, old_slug, "Quillan Oldname", actor="operator", reason="request 2")
    assert report.deleted["former_name"] == 1 and report.new_slug and "oldname" not in report.new_slug
    with directory.session() as session:
        erased = session.scalars(select(CorrectionEvent).where(CorrectionEvent.erased)).all()
        assert erased and all(e.before is None and e.after is None and e.detail is None for e in erased)
    with context.open_context(demo_settings) as ctx:
        finishing.render_site(ctx, context.start_run(ctx, "test"))
    assert "quillan oldname" not in dump(demo_settings.db_url).lower()
    assert site_files_holding(demo_settings.output_dir, "Quillan Oldname") == []
    assert site_files_holding(demo_settings.output_dir, "quillan-oldname") == []
    assert (demo_settings.output_dir / "councillors" / f"{report.new_slug}.html").is_file()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("abc", "at least 4 characters"),
        ("Nobody Atall", "not among what we hold"),
        (None, "the councillor's current name"),
    ],
)
def test_an_erasure_that_cannot_be_right_is_refused_and_changes_nothing(database_url, value, problem):
    db = next(two_small_councils(database_url))
    with db.session() as session:
        slug, name = session.execute(select(Councillor.slug, Councillor.name).order_by(Councillor.id).limit(1)).one()
        value = value or name
        before = session.scalar(select(func.count()).select_from(SocialAccount))
        with pytest.raises(ops.Refused, match=problem):
            erase(session, slug, value, actor="operator", reason="request 3")
        assert session.scalar(select(func.count()).select_from(SocialAccount)) == before
    db.dispose()


def test_the_run_artifacts_prefect_keeps_name_no_person_or_account():
    """Prefect's database is beyond an erasure's reach: the run's artifacts carry council codes,
    statuses and counts, never a reason (reasons name pages, accounts and people)."""
    from cllr.pipeline.context import Outcome
    from cllr.pipeline.summary import council_rows, summarise, summary_markdown

    personal = "kit-larchcombe.pds.demo.example"
    outcomes = [
        Outcome("roster", "XAB", "failed", f"https://xab.example/councillor/{personal}: 500"),
        Outcome("profiles", "XAB", "failed", f"https://xab.example/mgUserInfo.aspx?UID=7 names {personal}"),
        Outcome("activity", "bluesky x3", "done", f"bluesky:{personal}: not found", counts={"not_found": 1}),
    ]
    summary = summarise(outcomes) | {"run_id": 4}
    markdown, rows = summary_markdown(summary), council_rows(outcomes)
    assert personal not in markdown and personal not in repr(rows)
    assert "roster XAB: failed" in markdown and "activity bluesky x3: done" in markdown
    assert rows == [{"council": "XAB", "roster": "failed", "profiles": "failed"}]
    assert any(personal in p for p in summary["problems"])  # the ledger keeps the reasons, for the operator


@pytest.mark.parametrize(("other", "erased"), [("XAA", True), ("XAB", False)])
def test_another_councils_link_never_blocks_an_erasure_but_a_colleagues_does(database_url, other, erased):
    """An account linked to XAB's councillor and to a councillor of ``other``: another council's link
    (XAA's, perhaps added by its credential) does not block XAB's councillor's erasure; a colleague's
    on XAB (a ward team's shared account) does: that link is removed by a correction instead."""
    from cllr.handles import normalise
    from models.links import link_account

    db = next(two_small_councils(database_url))
    account = "https://bsky.app/profile/shared-account.south.example"
    with db.session() as session:
        [subject, colleague] = session.scalars(
            select(Councillor).where(Councillor.council.has(code="XAB")).order_by(Councillor.id).limit(2)
        ).all()
        third = (
            colleague
            if other == "XAB"
            else session.scalars(
                select(Councillor).where(Councillor.council.has(code=other)).order_by(Councillor.id)
            ).first()
        )
        for holder in (subject, third):
            link_account(
                session,
                holder.id,
                normalise(account),
                method="council_profile",
                source_url=holder.profile_url or "https://x.example/p",
                run_id=None,
            )
        slug = subject.slug
    with db.session() as session:
        if erased:
            report = erase(session, slug, account, actor="operator", reason="request 5")
            assert report.accounts == 1
        else:
            with pytest.raises(ops.Refused, match="other councillors of the council"):
                erase(session, slug, account, actor="operator", reason="request 5")
    with db.session() as session:
        left = session.scalar(select(func.count()).select_from(SocialAccount))
    assert left == (0 if erased else 1)
    db.dispose()
