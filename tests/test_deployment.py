"""The daily refresh deployed from prefect.yaml to a real Prefect server backed by PostgreSQL, run by
a process worker against the demo web, with the directory on PostgreSQL too."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from cllr.config import Settings
from cllr.demo.world import write_demo_files
from models import Councillor, Run
from models.db import Database

from .conftest import _postgres_database

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

ROOT = Path(__file__).parent.parent
PREFECT = str(Path(sys.executable).parent / "prefect")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def prefect_server(tmp_path):
    """``prefect server start`` on 127.0.0.1 with its own PostgreSQL database; yields the environment that reaches it."""
    databases = _postgres_database()
    url = next(databases).replace("postgresql+psycopg://", "postgresql+asyncpg://")
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "CLLR_ROOT": str(ROOT),
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui", "--no-scheduler"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the Prefect server did not start in 120 s"
            time.sleep(0.5)
        yield env
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        next(databases, None)  # drop the server's database


def prefect(env, *args, timeout=300) -> str:
    done = subprocess.run([PREFECT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_the_daily_refresh_deploys_from_prefect_yaml_and_a_worker_runs_it(
    prefect_server, postgres_url, demo_web, small_world, tmp_path
):
    env = prefect_server
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        **write_demo_files(small_world, tmp_path),
        **demo_web.settings(),
        request_delay=0,
        backoff_base=0.01,
        workers=4,
    )
    prefect(env, "work-pool", "create", "councillors", "--type", "process")
    prefect(env, "--no-prompt", "deploy", "--name", "daily-refresh")
    parameters = {"settings": settings.model_dump(mode="json"), "trigger": "integration"}
    created = prefect(env, "deployment", "run", "refresh/daily-refresh", "--params", json.dumps(parameters))
    flow_run_id = re.search(r"UUID:\s*([0-9a-f-]{36})", created).group(1)
    prefect(env, "worker", "start", "--pool", "councillors", "--run-once", timeout=600)

    api = env["PREFECT_API_URL"]
    state = httpx.get(f"{api}/flow_runs/{flow_run_id}", timeout=10).json()["state"]
    assert state["type"] == "COMPLETED", state
    artifacts = httpx.post(
        f"{api}/artifacts/filter", timeout=10, json={"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}}
    ).json()
    by_key = {a["key"]: a for a in artifacts}
    assert {"run-summary", "run-councils"} <= set(by_key)
    councils = len(small_world.councils)
    assert f"| Councils applied | {councils} |" in by_key["run-summary"]["data"]
    table = json.loads(by_key["run-councils"]["data"])
    assert [(row["council"], row["roster"], row["profiles"]) for row in table] == [
        (c.code, "applied", "done") for c in sorted(small_world.councils, key=lambda c: c.code)
    ]

    db = Database(postgres_url)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Councillor)) == sum(
            len(c.councillors) for c in small_world.councils
        )
        run = session.scalar(select(Run).order_by(Run.id.desc()).limit(1))
        assert (run.status, run.trigger, run.kind) == ("finished", "integration", "refresh")
    db.dispose()
    assert (settings.output_dir / "index.html").is_file()
