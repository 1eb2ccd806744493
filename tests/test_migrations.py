"""Alembic: one head, and upgrade then downgrade then upgrade works on this database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect

from survey.database import Base
from webapp.migrate import alembic_config
from webapp.extensions import db


def test_single_head(app: Flask) -> None:
    """Two developers' migrations must have been merged: exactly one head."""
    script = ScriptDirectory.from_config(alembic_config(app))
    assert len(script.get_heads()) == 1


def test_upgrade_downgrade_roundtrip(app: Flask) -> None:
    """Downgrade to base drops every table; upgrade to head recreates exactly the models' tables."""
    cfg = alembic_config(app)
    engine = db.get_engine(app)
    command.downgrade(cfg, "base")
    engine.dispose()
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    engine.dispose()
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_models_match_migrations(app: Flask) -> None:
    """Autogenerate finds nothing to add: the models and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from survey.models.insights import include_in_autogenerate  # per-dialect full-text search objects

    with db.get_engine(app).connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"include_object": include_in_autogenerate}), Base.metadata)
    assert diff == [], diff


def test_migration_files_are_named_rev_slug() -> None:
    """Migration files follow <rev>_<slug>.py."""
    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    for path in versions.glob("*.py"):
        rev, _, slug = path.stem.partition("_")
        assert rev.isdigit() and slug, path.name


