"""The queue page and the in-place row actions (claim, assign, change status)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from survey.database import utcnow
from survey.models import RecoveryTask, User
from survey.services.recovery import visible_task
from survey.services.recovery_queue import (
    PRIORITIES,
    REASONS,
    SCOPE_LABELS,
    SORTS,
    FilterError,
    QueueFilters,
    default_scope,
    load_queue,
    parse_filters,
    queue_row,
    scopes_for,
)
from survey.services.recovery_workflow import STATUS_LABELS, WorkflowError, assign, assignable, claim, set_status
from webapp.auth import roles_required
from webapp.extensions import db
from webapp.recovery import bp
from webapp.recovery.common import fragment, me, htmx_target, safe_next, settings, task_or_404, wants_fragment


def _filters_from(args: Any) -> QueueFilters:
    try:
        return parse_filters(args, current_user)
    except FilterError as exc:
        abort(400, description=str(exc))


def _context(filters: QueueFilters) -> dict[str, Any]:
    """What the queue templates need besides the rows."""
    return {
        "filters": filters, "scopes": scopes_for(current_user), "scope_labels": SCOPE_LABELS, "sorts": SORTS,
        "priorities": PRIORITIES, "reasons": REASONS, "status_labels": STATUS_LABELS,
        "assignees": assignable(db.session) if current_user.role == "admin" else [],
        "now": utcnow(),
    }


@bp.get("/recovery")
@roles_required("csm")
def queue() -> Any:
    """The CSM's open tasks, ranked by what is at stake and how little time is left; filters live in the URL."""
    filters = _filters_from(request.args)
    s = settings()
    data = load_queue(db.session, current_user, filters, utcnow(), high_arr=s.high_arr,
                      due_soon_hours=s.due_soon_hours)
    context = {**_context(filters), "queue": data, "here": request.full_path.rstrip("?")}
    if wants_fragment("queue-results"):
        return fragment("recovery/_queue_results.html", oob_tabs=True, **context)  # tab links keep the new filters
    resp = make_response(render_template("recovery/queue.html", **context))
    resp.vary.add("HX-Request")
    return resp


def _row_action(task_id: int, act: Callable[[RecoveryTask], str]) -> Any:
    """Run a change, then answer with what the caller swaps: the queue row, the task panel, or a redirect."""
    task = task_or_404(task_id)
    try:
        message = act(task)
        db.session.commit()
        error = None
    except WorkflowError as exc:
        db.session.rollback()
        message, error = None, str(exc)
    target = htmx_target()
    fresh = visible_task(db.session, current_user, task_id)
    if target == f"task-row-{task_id}":
        return _row_response(task_id, fresh, message, error)
    if target == "task-panel":
        from webapp.recovery.task import panel_response

        if fresh is None:
            resp = make_response("", 200)
            resp.headers["HX-Redirect"] = url_for("recovery.queue")
            flash(message or "Done.", "info")
            return resp
        return panel_response(fresh, message=message, error=("actions", error) if error else None)
    flash(error or message or "Done.", "error" if error else "info")
    default = url_for("recovery.task", task_id=task_id) if fresh is not None else url_for("recovery.queue")
    return redirect(safe_next(default), code=303)


def _row_response(task_id: int, task: RecoveryTask | None, message: str | None, error: str | None) -> Any:
    """The refreshed row, the tab counts (out of band) and a message for screen readers."""
    next_url = safe_next(url_for("recovery.queue"))
    args = MultiDict(parse_qsl(urlsplit(next_url).query))
    try:
        filters = parse_filters(args, current_user)
    except FilterError:
        filters = QueueFilters(scope=default_scope(current_user))
    s = settings()
    now = utcnow()
    data = load_queue(db.session, current_user, filters, now, high_arr=s.high_arr, due_soon_hours=s.due_soon_hours)
    row = queue_row(db.session, task, now, high_arr=s.high_arr, due_soon_hours=s.due_soon_hours) if task else None
    return fragment("recovery/_row_update.html", row=row, task_id=task_id, message=message, error=error,
                    queue=data, here=next_url, **_context(filters))


@bp.post("/recovery/<int:task_id>/claim")
@roles_required("csm")
def claim_task(task_id: int) -> Any:
    """Take an unassigned task."""

    def act(task: RecoveryTask) -> str:
        claim(db.session, task, me(), utcnow())
        return f"You claimed {_name(task)}."

    return _row_action(task_id, act)


@bp.post("/recovery/<int:task_id>/assign")
@roles_required("csm")
def assign_task(task_id: int) -> Any:
    """Hand a task to a colleague, or back to the unassigned pool."""
    raw = request.form.get("owner_id", "")
    assignee = db.session.get(User, int(raw)) if raw.isdigit() else None
    if raw and assignee is None:
        abort(400, description="Choose a colleague from the list.")

    def act(task: RecoveryTask) -> str:
        assign(db.session, task, assignee, me(), utcnow())
        return f"{_name(task)} is now {'with ' + assignee.name if assignee else 'unassigned'}."

    return _row_action(task_id, act)


@bp.post("/recovery/<int:task_id>/status")
@roles_required("csm")
def change_status(task_id: int) -> Any:
    """Move a task to contacted or in progress (closing needs an outcome, on the task page)."""
    status = request.form.get("status", "")

    def act(task: RecoveryTask) -> str:
        set_status(db.session, task, status, me(), utcnow())
        return f"{_name(task)} is now {STATUS_LABELS.get(status, status).lower()}."

    return _row_action(task_id, act)


def _name(task: RecoveryTask) -> str:
    return task.account.name if task.account else (task.contact.name if task.contact else f"Task {task.id}")
