"""Extension objects, created unbound and attached in create_app."""

from __future__ import annotations

from typing import Any

import redis
from flask import Flask, current_app, g
from flask_babel import Babel
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from survey.database import make_engine, make_session_factory
from webapp.ratelimit import RateLimiter


class Database:
    """One engine per app (kept in app.extensions) and one session per app context, closed at teardown."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["feedloop_db"] = (engine, make_session_factory(engine))
        app.teardown_appcontext(self._remove)

    @staticmethod
    def get_engine(app: Flask | None = None) -> Engine:
        """The app's engine (the current app by default)."""
        return (app or current_app).extensions["feedloop_db"][0]

    @property
    def engine(self) -> Engine:
        return self.get_engine()

    @property
    def session(self) -> Session:
        """The current app context's session, opened on first use."""
        if "db_session" not in g:
            g.db_session = current_app.extensions["feedloop_db"][1]()
        return g.db_session

    @staticmethod
    def _remove(_exc: BaseException | None = None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


class RedisClient:
    """A lazily connecting client with short timeouts, so a Redis outage fails fast instead of hanging."""

    def init_app(self, app: Flask) -> None:
        app.extensions["feedloop_redis"] = redis.Redis.from_url(
            app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=5, health_check_interval=30
        )


db = Database()
redis_client = RedisClient()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
babel = Babel()
limiter = RateLimiter()


def get_redis(app: Any = None) -> redis.Redis:
    """The app's Redis connection (RQ and health checks share it)."""
    return (app or current_app).extensions["feedloop_redis"]
