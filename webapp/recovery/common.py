"""What the recovery views share: settings, the htmx fragment decision, loading a visible task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, make_response, render_template, request
from flask_login import current_user

from survey.models import RecoveryTask, User
from survey.services.recovery import visible_task
from webapp.extensions import db, htmx


@dataclass(frozen=True)
class RecoverySettings:
    """The configurable knobs of the recovery workflow."""

    high_arr: int
    due_soon_hours: int
    followup_days: int
    sla_days: dict[str, int]


def settings() -> RecoverySettings:
    """Read the recovery settings from the app config."""
    cfg = current_app.config
    return RecoverySettings(high_arr=int(cfg["HIGH_ARR"]), due_soon_hours=int(cfg["SLA_DUE_SOON_HOURS"]),
                            followup_days=int(cfg["FOLLOWUP_DAYS"]), sla_days=dict(cfg["SLA_BUSINESS_DAYS"]))


def wants_fragment(target: str) -> bool:
    """An htmx request (not a boosted page load) aimed at this element: answer with the fragment only."""
    return bool(htmx) and not htmx.boosted and htmx.target == target


def htmx_target() -> str | None:
    """The element an htmx request will swap (None for ordinary requests and boosted page loads)."""
    return htmx.target if htmx and not htmx.boosted else None


def fragment(template: str, **context: Any) -> Any:
    """Render a fragment; every fragment response varies on HX-Request so caches keep it apart."""
    resp = make_response(render_template(template, **context))
    resp.vary.add("HX-Request")
    return resp


def me() -> User:
    """The signed-in user itself (not Flask-Login's proxy), safe to store on relationships."""
    return current_user._get_current_object()  # type: ignore[no-any-return]


def task_or_404(task_id: int) -> RecoveryTask:
    """The task if the signed-in user may see it; otherwise 404 (not 403: its existence is not revealed)."""
    task = visible_task(db.session, current_user, task_id)
    if task is None:
        abort(404, description=f"There is no task {task_id} in your queue.")
    return task


def safe_next(default: str) -> str:
    """A same-site relative URL from the form's `next`, for the redirect after a no-JavaScript POST."""
    target = request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and "\\" not in target:
        return target
    return default
