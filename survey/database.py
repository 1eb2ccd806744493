"""Engine and session construction shared by the web app, the workers and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraints all have names Alembic can drop later."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, list[str]: JSON, Any: JSON}


_M = TypeVar("_M")


def utcnow() -> datetime:
    """Naive UTC timestamp: SQLite keeps no zone, so every column stores UTC without one."""
    return datetime.now(UTC).replace(tzinfo=None)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Build an engine that survives database restarts and SQLite's single writer."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker:
    """Sessions keep loaded attributes after commit so views can render what they saved."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def adopt_inserted(session: Session, model: type[_M], row_id: int, values: dict[str, Any]) -> _M:
    """The ORM object for a row just written with a Core INSERT, joined to the session without a query.

    Hot paths insert with one `INSERT … RETURNING id` instead of a unit-of-work flush (a third of the cost);
    columns the statement filled by default stay unloaded and are read on first access.
    """
    instance = model(id=row_id, **values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance
