"""Alembic environment: the models' metadata, the URL from the Feedloop config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

import survey.models  # noqa: F401  (registers every table on the metadata)
from survey.database import Base, make_engine
from survey.models.insights import include_in_autogenerate  # full-text search objects are per dialect

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set; run migrations through `feedloop db upgrade`")
    return url


def run_migrations_offline() -> None:
    """Emit SQL without a connection."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True,
                      include_object=include_in_autogenerate)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through a real connection; batch mode lets SQLite alter tables."""
    engine = make_engine(_url(), poolclass=pool.NullPool) if not _url().startswith("sqlite") else make_engine(_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          compare_type=True, include_object=include_in_autogenerate)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
