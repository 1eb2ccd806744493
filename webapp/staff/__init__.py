"""Staff pages: each role's home and the working lists (deepened by the recovery, insights and advocacy areas)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from survey.database import utcnow
from survey.services import listing
from webapp.auth import roles_required
from webapp.extensions import db

bp = Blueprint("staff", __name__)

HOME_BY_ROLE = {"csm": "staff.recovery", "product": "staff.insights", "marketing": "staff.advocacy"}


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"now": utcnow}


@bp.get("/")
@login_required
def home() -> Any:
    """A landing page per role with today's numbers and links to the lists."""
    summary = listing.home_summary(db.session, current_user)
    return render_template("staff/home.html", summary=summary)


@bp.get("/recovery")
@roles_required("csm")
def recovery() -> Any:
    """The CSM's open recovery tasks, most urgent first."""
    scope = request.args.get("scope", "mine" if current_user.role == "csm" else "all")
    if scope not in listing.TASK_SCOPES:
        abort(400, description=f"scope must be one of {', '.join(listing.TASK_SCOPES)}.")
    tasks = listing.recovery_tasks(db.session, current_user, scope)
    return render_template("staff/recovery.html", tasks=tasks, scope=scope, scopes=listing.TASK_SCOPES)


@bp.get("/recovery/<int:task_id>")
@roles_required("csm")
def recovery_task(task_id: int) -> Any:
    """One task with its verbatims and timeline."""
    task = listing.visible_task(db.session, current_user, task_id)
    if task is None:
        abort(404, description=f"There is no task {task_id} in your queue.")
    return render_template("staff/task.html", task=task, details=listing.task_details(db.session, task))


@bp.get("/insights")
@roles_required("product")
def insights() -> Any:
    """Every verbatim with its analysis, newest first."""
    page = request.args.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        abort(400, description="page must be a positive whole number.")
    rows, has_more = listing.feedback_page(db.session, int(page))
    return render_template("staff/insights.html", rows=rows, page=int(page), has_more=has_more,
                           show_contacts=current_user.role == "admin")


@bp.get("/advocacy")
@roles_required("marketing")
def advocacy() -> Any:
    """Flagged advocates and drafted invites."""
    flags = listing.advocate_flags(db.session)
    invites = listing.invites(db.session)
    return render_template("staff/advocacy.html", flags=flags, invites=invites)


@bp.get("/home")
@login_required
def role_home() -> Any:
    """Jump to the list the signed-in role works in."""
    return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "staff.home")))
