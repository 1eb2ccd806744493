"""The product team's feedback browser."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from survey.services import listing
from webapp.auth import roles_required
from webapp.extensions import db

bp = Blueprint("insights", __name__)


@bp.get("/insights")
@roles_required("product")
def feedback() -> Any:
    """Every verbatim with its analysis, newest first."""
    page = request.args.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        abort(400, description="page must be a positive whole number.")
    rows, has_more = listing.feedback_page(db.session, int(page))
    return render_template("insights/list.html", rows=rows, page=int(page), has_more=has_more,
                           show_contacts=current_user.role == "admin")
