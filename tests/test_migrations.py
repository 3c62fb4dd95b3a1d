"""The Alembic chain builds the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from models import Base
from models.db import downgrade, upgrade


def test_migrations_go_up_and_down_and_match_the_models(database_url):
    upgrade(database_url)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert {
            "council",
            "councillor",
            "membership",
            "social_account",
            "account_evidence",
            "profile_snapshot",
            "post",
            "run",
            "run_step",
            "ward",
            "party",
        } <= set(inspect(conn).get_table_names())
    downgrade(database_url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    upgrade(database_url)
    engine.dispose()
