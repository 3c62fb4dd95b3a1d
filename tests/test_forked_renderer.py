"""Work in a forked child while the parent goes on: results, failures and the fallback without fork."""

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from cllr.site.build import _refuse_queries
from cllr.site.forked_renderer import Claims, HelperFailed, alongside
from models.db import Database


def test_the_work_runs_in_another_process_and_its_result_comes_back():
    with alongside(lambda: (os.getpid(), "done")) as helper:
        parent = os.getpid()
    child, word = helper.result
    assert (word, helper.forked) == ("done", True)
    assert child != parent
    assert helper.private_mb > 0  # read from /proc: this machine is Linux


def test_claims_hand_each_item_to_one_process_only():
    claims = Claims(1000, chunk=7)
    with alongside(lambda: [i for chunk in claims for i in chunk]) as helper:
        mine = [i for chunk in claims for i in chunk]
    assert sorted(mine + helper.result) == list(range(1000))  # every item once, whichever process took it
    assert not list(claims)  # none left


class Unpicklable(Exception):
    def __init__(self, code, detail):  # two required arguments: unpickling calls it with one
        super().__init__(f"{code}: {detail}")


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize(
    ("work", "raised", "message"),
    [
        (lambda: {}["missing"], KeyError, "missing"),  # raised again as itself
        (lambda: Path("/nonexistent/file").read_bytes(), FileNotFoundError, "nonexistent"),
        (lambda: (_ for _ in ()).throw(Unpicklable(7, "odd")), HelperFailed, "Unpicklable: 7: odd"),  # its traceback
        (lambda: lambda: None, HelperFailed, "pickle"),  # a result that does not pickle
        (_die, HelperFailed, "without a report"),  # killed: no report at all
    ],
)
def test_a_failure_in_the_child_is_raised_in_the_parent_once_the_block_ends(work, raised, message):
    ran = []
    with pytest.raises(raised, match=message) as caught, alongside(work):
        ran.append("block")
    assert ran == ["block"]  # the parent's own work was not cut short
    if raised is not HelperFailed:
        assert any("In the helper process" in note and "Traceback" in note for note in caught.value.__notes__)


def test_a_failure_in_the_block_kills_the_child_and_is_raised(tmp_path):
    pid_file, finished = tmp_path / "pid", tmp_path / "finished"

    def slow():
        pid_file.write_text(str(os.getpid()))
        time.sleep(5)
        finished.write_text("the child was left to run to its end")

    with pytest.raises(ValueError, match="in the block"), alongside(slow):
        while not pid_file.exists() or not pid_file.read_text():
            time.sleep(0.01)
        raise ValueError("in the block")
    assert not finished.exists()  # the parent waited only for a killed child, not for its work
    with pytest.raises(ProcessLookupError):  # and reaped it: no such process left
        os.kill(int(pid_file.read_text()), 0)


def test_without_fork_the_work_is_done_in_this_process(monkeypatch):
    monkeypatch.delattr(os, "fork")
    with alongside(os.getpid) as helper:
        assert helper.result == os.getpid()  # done before the block
    assert (helper.forked, helper.private_mb) == (False, None)


def test_the_forked_renderer_cannot_query_the_database_the_parent_goes_on_using(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with db.session() as session:
        with pytest.raises(RuntimeError, match="queried the database"):
            with alongside(lambda: session.execute(select(1)).scalar(), forbid=lambda: _refuse_queries(session)):
                pass
        assert session.execute(select(2)).scalar() == 2  # refused in the child only
    db.dispose()
