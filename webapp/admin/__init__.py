"""Admin-only tools: the RQ dashboard (queues, workers, failed jobs with retry)."""

from __future__ import annotations

from typing import Any

import rq_dashboard
from flask import Flask, abort
from flask_login import current_user
from rq.serializers import JSONSerializer
from rq_dashboard import web as rq_web

from webapp.extensions import csrf


def init_app(app: Flask) -> None:
    """Mount rq-dashboard under /admin/rq behind an admin check."""
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    rq_web.config.serializer = JSONSerializer
    rq_web.setup_rq_connection(app)
    blueprint = rq_dashboard.blueprint
    if not getattr(blueprint, "_feedloop_guarded", False):
        blueprint.before_request(_admins_only)
        blueprint._feedloop_guarded = True  # type: ignore[attr-defined]
    csrf.exempt(blueprint)  # its own jQuery posts carry no token; admin-only and SameSite=Lax cookies
    app.register_blueprint(blueprint, url_prefix="/admin/rq")
    from webapp.admin.views import bp as admin_pages

    app.register_blueprint(admin_pages)


def _admins_only() -> Any:
    if not current_user.is_authenticated:
        from flask import redirect, request, url_for

        return redirect(url_for("auth.login", next=request.path))
    if current_user.role != "admin":
        abort(403)
    return None
