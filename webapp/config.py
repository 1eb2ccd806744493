"""Defaults, overridden by FEEDLOOP_* environment variables, then by an explicit test mapping."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask


class Defaults:
    """Settings a fresh checkout runs with: SQLite and an embedded Redis under instance/."""

    DATABASE_URL: str | None = None  # default: sqlite:///<instance>/feedloop.db
    REDIS_URL: str | None = None  # default: unix://<instance>/redis.sock (the embedded server)
    SECRET_KEY: str | None = None  # default: generated into <instance>/secret_key
    NLP_MODEL_PATH: str | None = None  # default: the packaged all-MiniLM-L6-v2
    NLP_BATCH_SIZE = 32
    MAX_COMMENT_CHARS = 5000
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024  # CSV uploads; the survey endpoints cap comments separately
    SWEEP_INTERVAL_SECONDS = 60
    SWEEP_PENDING_AFTER_SECONDS = 30  # a pending verbatim older than this has probably lost its job
    SWEEP_STALE_CLAIM_SECONDS = 600  # a running claim older than this belonged to a dead worker
    ANALYSIS_MAX_ATTEMPTS = 5
    JOB_RETRY_INTERVALS = [10, 60, 300]  # seconds; one retry per entry
    PUBLIC_RATE_LIMIT = "120 per minute"
    ROW_CACHE_SECONDS = 5.0  # surveys and webhook endpoints read per submission; other processes see edits this late
    LOGIN_RATE_LIMIT = "10 per minute"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    RATE_LIMIT_ENABLED = True  # counted in Redis; per process while Redis is down (webapp.ratelimit)
    WEBHOOK_TIMEOUT_SECONDS = 10
    RETENTION_MONTHS = 0  # 0 keeps verbatims forever; N deletes or anonymises those older than N months
    RETENTION_MODE = "anonymise"  # or "delete"
    ERASURE_MODE = "anonymise"  # what erasing a contact does to their verbatims: anonymise or delete
    SLA_BUSINESS_DAYS = {"high": 1, "medium": 3, "low": 5}
    HIGH_ARR = 100_000
    # Recovery workflow (issue 5).
    FOLLOWUP_DAYS = 30  # a resolved task's contact gets a follow-up survey this many days later
    FOLLOWUP_SURVEY_KEY: str | None = None  # survey for follow-ups; default: the survey the contact last answered
    DIGEST_HOUR = 8  # UTC hour after which each CSM's daily digest goes out (weekdays)
    ESCALATE_PRIORITIES = ["high"]  # overdue tasks of these priorities are escalated to the admins
    SLA_DUE_SOON_HOURS = 24  # a task due within this many hours is shown as "due soon"
    # Survey channels (issue 4). SMTP_HOST unset: development, emails only land in the outbox page.
    SMTP_HOST: str | None = None
    SMTP_PORT: int | None = None  # default 25, or 465 with SMTP_SSL
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    SMTP_SSL = False
    SMTP_TIMEOUT = 15
    MAIL_FROM = "Feedloop surveys <surveys@feedloop.localhost>"
    PUBLIC_BASE_URL: str | None = None  # links in emails sent by jobs; default http://127.0.0.1:5000
    FATIGUE_DAYS = 90  # no contact is asked more than once per this many days, across all surveys
    ONE_CLICK_MAX_AGE_DAYS = 30  # score links in emails expire after this
    COMMENT_LINK_MAX_AGE_HOURS = 72  # the comment step after a score stays open this long
    WIDGET_TOKEN_MAX_AGE_SECONDS = 86_400  # a widget form older than this asks to be reloaded
    PROGRAMME_INTERVAL_SECONDS = 3600  # how often relationship programmes look for contacts due
    EMAIL_MAX_ATTEMPTS = 4  # first try plus JOB_RETRY_INTERVALS retries
    BABEL_DEFAULT_LOCALE = "en"
    # Advocate hub (issue 7).
    ASK_BUDGET_DAYS = 30  # at most one ask per contact per this many days, surveys and advocacy asks together
    INVITE_LINK_MAX_AGE_DAYS = 21  # accept/decline links expire, and the invite with them
    REVIEW_SITE_URLS = {  # where a review-campaign invite sends a customer who accepts
        "g2": "https://www.g2.com/",
        "capterra": "https://www.capterra.com/",
        "trustradius": "https://www.trustradius.com/",
    }


def load_config(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Fill app.config from defaults, the environment and overrides, deriving what is left unset."""
    app.config.from_object(Defaults)
    app.config.from_prefixed_env("FEEDLOOP")
    if overrides:
        app.config.update(overrides)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'feedloop.db'}"
    if not app.config.get("REDIS_URL"):
        app.config["REDIS_URL"] = f"unix://{instance / 'redis.sock'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    if "SESSION_COOKIE_SECURE" not in (overrides or {}) and not os.environ.get("FEEDLOOP_SESSION_COOKIE_SECURE"):
        # Behind https (production) cookies are sent over TLS only; plain-http local runs keep working.
        secure = str(app.config.get("PUBLIC_BASE_URL") or "").startswith("https://")
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True


def _instance_secret(path: Path) -> str:
    """Generate the signing key once per installation, readable only by its owner."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
