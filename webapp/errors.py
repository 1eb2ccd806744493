"""Error responses: roll back, then JSON for API clients or a page for people; never a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from webapp.extensions import db
from webapp.quiet_log import QuietWarning

log = logging.getLogger(__name__)
database_down = QuietWarning(log)  # every request fails while it is down: once per 10 s, with a count

TITLES = {
    400: "That request could not be understood",
    401: "Please sign in",
    403: "You don't have access to this page",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def _wants_json() -> bool:
    return (
        request.path.startswith("/api/")
        or request.is_json
        or request.accept_mimetypes.best == "application/json"
    )


def _render(status: int, message: str, headers: dict[str, str] | None = None) -> Any:
    if _wants_json():
        resp = jsonify(error=message, status=status)
    else:
        resp = render_template("errors/error.html", status=status, title=TITLES.get(status, "Error"), message=message)
    from flask import make_response

    resp = make_response(resp, status)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        _rollback()
        status = exc.code or 500
        if status == 413 and not exc.description.startswith("The"):
            message = "The request body is too large."
        elif status == 429:
            message = f"Too many requests: the limit is {exc.description}. Please wait a moment and try again."
        else:
            message = exc.description or TITLES.get(status, "Error")
        return _render(status, message)  # a 429's Retry-After comes from webapp.ratelimit, which knows the window

    @app.errorhandler(DataError)
    def value_out_of_range(exc: Exception) -> Any:
        _rollback()
        log.warning("value refused by the database: %s", exc)
        return _render(400, "A value is out of the range the database can store.")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(exc: Exception) -> Any:
        _rollback()
        database_down.warn("database unavailable: %s", exc)
        return _render(503, "The database is unavailable right now; please retry in a few seconds.",
                       {"Retry-After": "5"})

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        _rollback()
        log.exception("unhandled error")
        return _render(500, "An unexpected error occurred; it has been logged.")


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be gone
        log.debug("rollback failed", exc_info=True)
