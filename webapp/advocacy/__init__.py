"""Marketing's advocate hub."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from survey.services import listing
from webapp.auth import roles_required
from webapp.extensions import db

bp = Blueprint("advocacy", __name__)


@bp.get("/advocacy")
@roles_required("marketing")
def hub() -> Any:
    """Flagged advocates and drafted invites."""
    return render_template("advocacy/hub.html", flags=listing.advocate_flags(db.session),
                           invites=listing.invites(db.session))
