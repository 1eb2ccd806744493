"""Alembic configuration for this app's database (used by `feedloop db` and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from flask import Flask

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(app: Flask) -> Config:
    """Point Alembic at our migrations and at the app's DATABASE_URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", app.config["DATABASE_URL"].replace("%", "%%"))
    return cfg
