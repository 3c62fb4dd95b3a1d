"""Alembic migrations of the schema: env.py runs them, versions/ holds one file per change (docs/operations.md)."""
