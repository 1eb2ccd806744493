"""Small helpers the advocacy views share: htmx targets, config, form parsing."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, redirect, request
from werkzeug.wrappers import Response

from survey.database import utcnow


def budget_days() -> int:
    return int(current_app.config["ASK_BUDGET_DAYS"])


def hx_target(prefix: str) -> bool:
    """htmx asked to swap an element whose id starts with `prefix` (decided by HX-Target, not the trigger)."""
    return bool(request.headers.get("HX-Request")) and (request.headers.get("HX-Target") or "").startswith(
        prefix
    )


def back(default: str) -> Response:
    """303 to where the form came from (a relative `next`), else the default page."""
    target = request.form.get("next") or request.args.get("next") or ""
    if not (target.startswith("/") and not target.startswith("//") and "\\" not in target):
        target = default
    return redirect(target, code=303)


def money(form: Any, name: str) -> int:
    """A whole-currency amount from a form field ('12,500' or '12500'); blank is 0."""
    raw = (form.get(name) or "").replace(",", "").replace("$", "").strip()
    if not raw:
        return 0
    value = int(float(raw))
    if value < 0:
        raise ValueError(f"{name.replace('_', ' ').capitalize()} cannot be negative.")
    return value


def parse_day(raw: str | None, default: date) -> date:
    """An ISO date from a form, or the default when blank."""
    return date.fromisoformat(raw) if raw else default


def activity_fields(form: Any, default_type: str = "") -> dict[str, Any]:
    """The fields of an advocacy-activity form, as record_activity takes them; ValueError names a bad one."""
    return {
        "activity_type": form.get("activity_type") or default_type,
        "occurred_on": parse_day(form.get("occurred_on"), utcnow().date()),
        "link": form.get("link"),
        "referred_company": form.get("referred_company"),
        "pipeline_value": money(form, "pipeline_value"),
        "won_revenue": money(form, "won_revenue"),
        "notes": form.get("notes"),
    }
