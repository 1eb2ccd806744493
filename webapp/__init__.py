"""Flask application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints. No I/O beyond reading config and the instance secret."""
    from webapp import admin, advocacy, api, auth, errors, health, insights, public, recovery, security, staff, surveys_admin
    from survey import cache as row_cache
    from webapp.config import load_config
    from workers import webhook_jobs
    from webapp.extensions import babel, csrf, db, htmx, limiter, login_manager, redis_client
    from webapp.public.i18n import select_locale

    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("FEEDLOOP_INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=instance_path)
    load_config(app, config)
    row_cache.configure(float(app.config["ROW_CACHE_SECONDS"]))

    db.init_app(app)
    redis_client.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(public.bp)
    api.init_app(app)
    app.register_blueprint(surveys_admin.bp)
    app.register_blueprint(surveys_admin.api_bp, url_prefix="/api/v1")
    app.register_blueprint(staff.bp)
    app.register_blueprint(recovery.bp)
    app.register_blueprint(insights.bp)
    app.register_blueprint(advocacy.bp)
    app.register_blueprint(health.bp)
    admin.init_app(app)
    errors.init_app(app)
    webhook_jobs.install()
    security.init_app(app)
    return app
