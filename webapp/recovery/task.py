"""One task's page and what a CSM does there: note, reply to the customer, correct the analysis, resolve."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from survey.database import utcnow
from survey.models import RecoveryTask, Verbatim
from survey.services.learning import SENTIMENTS, CorrectionError
from survey.services.recovery import rank, sla_state
from survey.services.recovery_detail import task_page
from survey.services.recovery_mail import product_name, reply_draft
from survey.services.recovery_workflow import (
    OUTCOMES,
    STATUS_LABELS,
    WorkflowError,
    add_note,
    close,
    correct,
    send_reply,
)
from webapp.auth import roles_required
from webapp.extensions import db
from webapp.recovery import bp
from webapp.recovery.common import fragment, me, settings, task_or_404, wants_fragment
from workers import enqueue


def _context(task: RecoveryTask, *, message: str | None = None, error: tuple[str, str] | None = None,
             kept: dict[str, str] | None = None) -> dict[str, Any]:
    """The task page's data; `kept` holds what the CSM typed when their change was refused."""
    now = utcnow()
    s = settings()
    page = task_page(db.session, current_user, task, now.date())
    subject, body = reply_draft(task, page.verbatims, me(), product_name(db.session, task))
    kept = kept or {}
    return {
        "page": page, "task": task, "now": now, "message": message, "error": error or (None, None),
        "priority": rank(task, now, s.high_arr, s.due_soon_hours), "sla": sla_state(task, now, s.due_soon_hours),
        "reply_subject": kept.get("subject", subject), "reply_body": kept.get("body", body),
        "note_text": kept.get("note", ""), "close_note": kept.get("close_note", ""),
        "reply_token": uuid.uuid4().hex, "outcomes": OUTCOMES, "status_labels": STATUS_LABELS,
        "sentiments": SENTIMENTS, "followup_days": s.followup_days,
        "trend": {"type": "line", "labels": [m["label"] for m in page.trend],
                  "title": "Account NPS by month",
                  "datasets": [{"label": "NPS", "data": [m["nps"] for m in page.trend]}],
                  "yMin": -100, "yMax": 100},
    }


@bp.get("/recovery/<int:task_id>")
@roles_required("csm")
def task(task_id: int) -> Any:
    """The full verbatim with its analysis, the account's context, the timeline and every action."""
    found = task_or_404(task_id)
    if wants_fragment("task-panel"):
        return panel_response(found)
    resp = make_response(render_template("recovery/task.html", **_context(found)))
    resp.vary.add("HX-Request")
    return resp


def panel_response(task: RecoveryTask, *, message: str | None = None, error: tuple[str, str] | None = None,
                   kept: dict[str, str] | None = None) -> Any:
    """The task panel alone, for htmx to swap in place after a change."""
    return fragment("recovery/_task_panel.html", **_context(task, message=message, error=error, kept=kept))


def _task_action(task_id: int, form: str, act: Callable[[RecoveryTask], str]) -> Any:
    """Run a change and commit; answer with the refreshed panel (htmx) or a redirect back to the task."""
    task = task_or_404(task_id)
    kept = {key: request.form.get(key, "") for key in ("subject", "body", "note", "close_note")
            if request.form.get(key) is not None}
    try:
        message = act(task)
        db.session.commit()
        error, kept = None, {}
    except (WorkflowError, CorrectionError) as exc:
        db.session.rollback()
        message, error = None, str(exc)
    task = task_or_404(task_id)
    if wants_fragment("task-panel"):
        return panel_response(task, message=message, error=(form, error) if error else None, kept=kept)
    flash(error or message or "Done.", "error" if error else "info")
    return redirect(url_for("recovery.task", task_id=task_id, _anchor=form if error else None), code=303)


@bp.post("/recovery/<int:task_id>/notes")
@roles_required("csm")
def note(task_id: int) -> Any:
    """Add a note to the timeline."""

    def act(task: RecoveryTask) -> str:
        add_note(db.session, task, request.form.get("note", ""), me(), utcnow())
        return "Note added to the timeline."

    return _task_action(task_id, "note", act)


@bp.post("/recovery/<int:task_id>/reply")
@roles_required("csm")
def reply(task_id: int) -> Any:
    """Send the customer the CSM's reply through the email job; it lands on the timeline."""
    queued: list[int] = []

    def act(task: RecoveryTask) -> str:
        email, event = send_reply(db.session, task, request.form.get("subject", ""), request.form.get("body", ""),
                                  me(), utcnow(), token=request.form.get("token", ""))
        queued.append(email.id)
        return f"Reply to {email.to_email} is on its way." if event else "That reply was already sent."

    resp = _task_action(task_id, "reply", act)
    for email_id in queued:
        enqueue.enqueue_send_email(email_id)  # after the commit, so the job finds the row
    return resp


@bp.post("/recovery/<int:task_id>/close")
@roles_required("csm")
def close_task(task_id: int) -> Any:
    """Resolve with an outcome (scheduling the follow-up survey) or close as unresolvable."""
    status = request.form.get("status", "")

    def act(task: RecoveryTask) -> str:
        close(db.session, task, status, request.form.get("outcome_code", ""), request.form.get("close_note", ""),
              me(), utcnow(), settings().followup_days)
        if task.followup_due_at:
            return f"Resolved. A follow-up survey goes to the customer on {task.followup_due_at:%d %b %Y}."
        return "Task closed." if status != "resolved" else "Resolved."

    return _task_action(task_id, "close", act)


@bp.post("/recovery/<int:task_id>/verbatims/<int:verbatim_id>/correction")
@roles_required("csm")
def correction(task_id: int, verbatim_id: int) -> Any:
    """Fix the root causes or sentiment; stored as a human label the NLP engine learns from."""
    verbatim = db.session.get(Verbatim, verbatim_id)
    if verbatim is None:
        abort(404, description="There is no such verbatim.")

    def act(task: RecoveryTask) -> str:
        event = correct(db.session, task, verbatim, request.form.getlist("categories"),
                        request.form.get("sentiment", ""), me(), utcnow())
        return "Correction saved; the engine will learn from it." if event else "Nothing changed."

    return _task_action(task_id, f"verbatim-{verbatim_id}", act)
