"""Liveness and dependency health for operators and load balancers."""

from __future__ import annotations

from typing import Any

import redis
from flask import Blueprint, jsonify
from rq import Worker
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db, get_redis
from workers.queues import all_queues

bp = Blueprint("health", __name__)


@bp.get("/ping")
def ping() -> Any:
    """The cheapest request the app can answer: the baseline the load benchmark compares against."""
    return "ok", 200, {"Content-Type": "text/plain"}


@bp.get("/healthz")
def healthz() -> Any:
    """JSON state of the database, Redis and the workers; 503 when the database is unreachable."""
    report: dict[str, Any] = {}
    try:
        db.session.execute(text("SELECT 1"))
        report["database"] = {"ok": True}
    except SQLAlchemyError as exc:
        db.session.rollback()
        report["database"] = {"ok": False, "error": type(exc).__name__}
    try:
        conn = get_redis()
        conn.ping()
        workers = Worker.all(connection=conn)
        report["redis"] = {"ok": True}
        report["workers"] = {
            "ok": bool(workers),
            "count": len(workers),
            "busy": sum(1 for w in workers if w.get_state() == "busy"),
        }
        report["queues"] = {q.name: {"queued": q.count, "failed": q.failed_job_registry.count} for q in all_queues()}
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
        report["redis"] = {"ok": False, "error": type(exc).__name__}
        report["workers"] = {"ok": False, "count": None}
    report["ok"] = report["database"]["ok"] and report["redis"]["ok"]
    # Redis down degrades (answers are still accepted and swept later); the database down is an outage.
    status = 200 if report["database"]["ok"] else 503
    return jsonify(report), status
