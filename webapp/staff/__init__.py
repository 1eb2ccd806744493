"""Staff pages: each role's home and the working lists (deepened by the recovery, insights and advocacy areas)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from survey.database import utcnow
from survey.services import listing
from webapp.extensions import db

bp = Blueprint("staff", __name__)

HOME_BY_ROLE = {"csm": "recovery.queue", "product": "insights.feedback", "marketing": "advocacy.hub"}


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"now": utcnow}


@bp.get("/")
@login_required
def home() -> Any:
    """A landing page per role with today's numbers and links to the lists."""
    summary = listing.home_summary(db.session, current_user)
    return render_template("staff/home.html", summary=summary)


@bp.get("/home")
@login_required
def role_home() -> Any:
    """Jump to the list the signed-in role works in."""
    return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "staff.home")))
