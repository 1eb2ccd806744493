"""The CSM's detractor-recovery queue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from survey.services import listing
from webapp.auth import roles_required
from webapp.extensions import db

bp = Blueprint("recovery", __name__)


@bp.get("/recovery")
@roles_required("csm")
def queue() -> Any:
    """The CSM's open recovery tasks, most urgent first."""
    scope = request.args.get("scope", "mine" if current_user.role == "csm" else "all")
    if scope not in listing.TASK_SCOPES:
        abort(400, description=f"scope must be one of {', '.join(listing.TASK_SCOPES)}.")
    tasks = listing.recovery_tasks(db.session, current_user, scope)
    return render_template("recovery/queue.html", tasks=tasks, scope=scope, scopes=listing.TASK_SCOPES)


@bp.get("/recovery/<int:task_id>")
@roles_required("csm")
def task(task_id: int) -> Any:
    """One task with its verbatims and timeline."""
    found = listing.visible_task(db.session, current_user, task_id)
    if found is None:
        abort(404, description=f"There is no task {task_id} in your queue.")
    return render_template("recovery/task.html", task=found, details=listing.task_details(db.session, found))
