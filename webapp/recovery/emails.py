"""Rendering the recovery emails staff receive: the daily digest and escalations (links back into the app)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, render_template

from survey.models import RecoveryTask, User
from survey.services.recovery import rank, sla_state
from survey.services.recovery_mail import Digest


def _render(name: str, **context: Any) -> tuple[str, str]:
    """HTML and text bodies, with url_for(_external=True) pointing at the installation's public address."""
    from webapp.public.emails import public_base_url

    with current_app.test_request_context(base_url=public_base_url()):
        return (render_template(f"recovery/email/{name}.html", **context),
                render_template(f"recovery/email/{name}.txt", **context))


def render_digest(digest: Digest) -> tuple[str, str, str]:
    """Subject, HTML and text of a CSM's morning digest."""
    subject = f"Your recovery queue: {len(digest.items)} open" + (
        f", {digest.overdue} overdue" if digest.overdue else "")
    html, text = _render("digest", d=digest)
    return subject, html, text


def render_escalation(task: RecoveryTask, admin: User, now: datetime) -> tuple[str, str, str]:
    """Subject, HTML and text of the email telling an admin a high-priority task is overdue."""
    cfg = current_app.config
    priority = rank(task, now, int(cfg["HIGH_ARR"]), int(cfg["SLA_DUE_SOON_HOURS"]))
    sla = sla_state(task, now, int(cfg["SLA_DUE_SOON_HOURS"]))
    who = task.account.name if task.account else (task.contact.name if task.contact else f"task {task.id}")
    subject = f"Escalation: {who} ({task.priority} priority) is {sla.label}"
    html, text = _render("escalation", task=task, admin=admin, priority=priority, sla=sla)
    return subject, html, text
