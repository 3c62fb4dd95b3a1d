"""Shared fixtures. The suite is offline: pytest-socket (configured in pyproject.toml)
fails any connection to an address other than 127.0.0.1 / ::1."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

# Prefect reads its settings when imported: isolate and quieten it first.
_PREFECT_HOME = tempfile.mkdtemp(prefix="cllr-test-prefect-")
os.environ.update(
    {
        "PREFECT_HOME": _PREFECT_HOME,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_TASKS_DISABLE_CACHING": "true",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    }
)
for _name in [n for n in os.environ if n.startswith("CLLR_") or n == "DATABASE_URL"]:
    if _name not in ("CLLR_REQUIRE_POSTGRES", "CLLR_REQUIRE_BROWSER", "CLLR_TEST_POSTGRES_URL"):
        del os.environ[_name]
# The platform APIs' paces default to their documented limits (a second a request to a
# Mastodon server); the tests' demo web answers at once, as their request_delay=0 says.
# Tests of pacing set their own.
os.environ.update({"CLLR_BLUESKY_DELAY": "0", "CLLR_MASTODON_DELAY": "0"})

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from cllr.config import Settings  # noqa: E402
from cllr.demo.server import DemoServer  # noqa: E402
from cllr.demo.world import build_world, write_demo_files  # noqa: E402
from models.db import Database  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_ADMIN_URL = os.environ.get("CLLR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_database():
    """Create a throwaway database on the test server; yield its URL; drop it."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"cllr_test_{uuid.uuid4().hex[:12]}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server here
        admin.dispose()
        reason = f"no PostgreSQL server at {make_url(POSTGRES_ADMIN_URL).render_as_string()}: {type(exc).__name__}"
        if os.environ.get("CLLR_REQUIRE_POSTGRES"):
            pytest.fail(f"{reason} (CLLR_REQUIRE_POSTGRES is set)")
        pytest.skip(reason)
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url():
    yield from _postgres_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A fresh, empty database URL: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cllr.sqlite3'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def db(database_url):
    """A migrated, empty database: SQLite, then PostgreSQL (a module may give ``db`` its own content)."""
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def prefect_api():
    """A Prefect API for flow tests (a local server process, started once per session)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def small_world():
    return build_world(councils=5, seed=7, wards=(3, 5))


@pytest.fixture
def demo_web(small_world):
    with DemoServer(small_world) as server:
        yield server


@pytest.fixture
def demo_settings(demo_web, small_world, tmp_path, database_url) -> Settings:
    """Settings that point the pipeline at the demo web and a fresh database."""
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        **write_demo_files(small_world, tmp_path),
        **demo_web.settings(),
        request_delay=0,
        backoff_base=0.01,
        workers=4,
    )
