"""Marketing's wording per ask type, and review-site campaigns that ask every eligible customer alike."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from survey.models import ReviewCampaign
from survey.services import invites as invite_service
from survey.services.advocacy import ASKS
from webapp.advocacy import bp
from webapp.advocacy.common import back, budget_days
from webapp.advocacy.emails import send_invite
from webapp.advocacy.hub import labels
from webapp.auth import roles_required
from webapp.extensions import db
from workers import enqueue


@bp.get("/advocacy/templates")
@roles_required("marketing")
def templates() -> Any:
    """Every ask's wording, editable; {quote} brings the customer's own words in."""
    rows = [
        (key, label, *invite_service.template_for(db.session, key))
        for key, (label, _t) in ASKS.items()
        if key != "review_site"
    ]
    return render_template(
        "advocacy/templates.html", rows=rows, placeholders=invite_service.PLACEHOLDERS, **labels()
    )


@bp.post("/advocacy/templates/<ask_type>")
@roles_required("marketing")
def save_template(ask_type: str) -> Any:
    """Save one ask's wording (new drafts use it; existing drafts keep theirs)."""
    try:
        invite_service.save_template(
            db.session, ask_type, request.form.get("subject", ""), request.form.get("body", ""), current_user
        )
    except ValueError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return back(url_for("advocacy.templates") + f"#tpl-{ask_type}")
    db.session.commit()
    flash(f"{ASKS[ask_type][0]} template saved.", "info")
    return back(url_for("advocacy.templates") + f"#tpl-{ask_type}")


@bp.get("/advocacy/reviews")
@roles_required("marketing")
def reviews() -> Any:
    """Review-site campaigns: the same ask to every eligible customer, promoters and detractors alike."""
    audience = invite_service.campaign_audience(db.session, budget_days())
    campaigns = list(db.session.scalars(select(ReviewCampaign).order_by(ReviewCampaign.id.desc()).limit(20)))
    summaries = {c.id: invite_service.campaign_invite_summary(db.session, c.id) for c in campaigns}
    subject, body = invite_service.DEFAULT_TEMPLATES["review_site"]
    return render_template(
        "advocacy/reviews.html",
        audience=audience,
        campaigns=campaigns,
        summaries=summaries,
        sites=invite_service.REVIEW_SITES,
        subject=subject,
        body=body,
        rule=invite_service.REVIEW_RULE,
        **labels(),
    )


@bp.post("/advocacy/reviews")
@roles_required("marketing")
def start_review_campaign() -> Any:
    """Create and send one identical invite per eligible customer; the guardrails still apply to each."""
    site = request.form.get("site", "")
    if site not in invite_service.REVIEW_SITES:
        flash("Pick a review site.", "error")
        return back(url_for("advocacy.reviews"))
    if request.form.get("confirm") != "on":
        flash("Tick the box to confirm every eligible customer gets the same ask.", "error")
        return back(url_for("advocacy.reviews"))
    campaign, created = invite_service.create_review_campaign(
        db.session,
        site=site,
        subject=request.form.get("subject", ""),
        body=request.form.get("body", ""),
        user=current_user,
        budget_days=budget_days(),
    )
    emails = []
    refused = 0
    for invite in created:
        try:
            with db.session.begin_nested():
                emails.append(send_invite(db.session, invite, current_user))
        except invite_service.AskRefused:
            refused += 1  # asked by a survey a moment ago: it stays approved, unsent
    db.session.commit()
    for email in emails:
        enqueue.enqueue_send_email(email.id)
    flash(
        f"Review campaign on {invite_service.REVIEW_SITES[site]}: {len(emails)} invites sent"
        + (f", {refused} held back by the ask budget" if refused else "")
        + ".",
        "info",
    )
    return back(url_for("advocacy.reviews"))
