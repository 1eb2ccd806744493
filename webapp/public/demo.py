"""The demo's vendor app: a page that looks like a customer's product and embeds the widget with the snippet.

Exists only where `seed_channels_demo` marked a survey for it; it signs the demo user's email the way a
vendor's server would.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from sqlalchemy import select

from survey.models import Contact, Survey
from survey.services.surveys import identity_signature
from webapp.extensions import db
from webapp.public import bp


def _demo_survey() -> Survey:
    for survey in db.session.scalars(select(Survey).where(Survey.status == "active")):
        if (survey.settings or {}).get("demo_widget_host") and survey.widget_secret:
            return survey
    abort(404, description="The widget demo is not set up here (run `feedloop seed-demo`).")


@bp.get("/demo/widget-host")
def demo_widget_host() -> Any:
    """A fake vendor dashboard with the embed snippet, signed in as the demo user."""
    survey = _demo_survey()
    email = str((survey.settings or {}).get("demo_widget_user") or "") or None
    contact = db.session.scalar(select(Contact).where(Contact.email == email)) if email else None
    signature = identity_signature(survey.widget_secret or "", email) if email else None
    embed_src = url_for("public.embed_js", _external=True)
    return render_template(
        "public/demo_host.html",
        survey=survey,
        email=email,
        contact=contact,
        signature=signature,
        embed_src=embed_src,
        fatigue_days=current_app.config["FATIGUE_DAYS"],
    )


@bp.post("/demo/widget-host/reset")
def demo_widget_reset() -> Any:
    """Let the demo user be asked again (the fatigue rule would otherwise hide the widget for 90 days)."""
    survey = _demo_survey()
    email = (survey.settings or {}).get("demo_widget_user")
    contact = db.session.scalar(select(Contact).where(Contact.email == email)) if email else None
    if contact is not None:
        contact.last_asked_at = None
        db.session.commit()
    flash("The demo user can be asked again: the widget shows on the next page load.", "info")
    return redirect(url_for("public.demo_widget_host"), code=303)
