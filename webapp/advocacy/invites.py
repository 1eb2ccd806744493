"""Invites from draft to done: edit, approve, send (or wait for the budget), lift a hold, record the act."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, make_response, render_template, request, url_for
from flask_login import current_user

from survey.database import utcnow
from survey.models import AdvocacyInvite
from survey.services import advocacy_hub as hub_queries
from survey.services import invites as invite_service
from survey.services.advocacy import ACTIVITY_LABELS, POINTS, release_hold
from webapp.advocacy import bp
from webapp.advocacy.common import activity_fields, back, budget_days, hx_target
from webapp.advocacy.emails import send_invite
from webapp.advocacy.hub import labels
from webapp.auth import roles_required
from webapp.extensions import db
from workers import enqueue


def _invite_or_404(invite_id: int) -> AdvocacyInvite:
    invite = db.session.get(AdvocacyInvite, invite_id)
    if invite is None:
        abort(404, description=f"There is no invite {invite_id}.")
    return invite


def _row(
    invite: AdvocacyInvite, message: str | None = None, error: str | None = None, next_at: Any = None
) -> Any:
    check = invite_service.eligibility(db.session, invite, budget_days())
    return render_template(
        "advocacy/_invite_row.html",
        invite=invite,
        check=check,
        message=message,
        error=error,
        next_at=next_at,
        **labels(),
    )


def _answer(
    invite: AdvocacyInvite, message: str | None = None, error: str | None = None, next_at: Any = None
) -> Any:
    """The updated row for htmx, else a flash and a 303 back to the page the form was on."""
    if hx_target("invite-"):
        return _row(invite, message, error, next_at)
    if error:
        flash(error, "error")
    elif message:
        flash(message, "info")
    return back(url_for("advocacy.invite", invite_id=invite.id))


@bp.get("/advocacy/invites")
@roles_required("marketing")
def invites() -> Any:
    """Invites by stage, with approve and send in place."""
    tab = request.args.get("tab", "review")
    if tab not in hub_queries.INVITE_TABS:
        abort(400, description="Unknown tab.")
    rows = hub_queries.invites_in(db.session, tab)
    checks = {i.id: invite_service.eligibility(db.session, i, budget_days()) for i in rows}
    counts = hub_queries.tab_counts(invite_service.status_counts(db.session))
    return render_template(
        "advocacy/invites.html",
        rows=rows,
        checks=checks,
        tab=tab,
        tabs=hub_queries.INVITE_TABS,
        counts=counts,
        **labels(),
    )


@bp.get("/advocacy/invites/<int:invite_id>")
@roles_required("marketing")
def invite(invite_id: int) -> Any:
    """One invite: the customer's words, the editable draft, the guardrails, and what happened."""
    found = _invite_or_404(invite_id)
    check = invite_service.eligibility(db.session, found, budget_days())
    activity = None
    if found.status == "completed":
        from sqlalchemy import select

        from survey.models import AdvocacyActivity

        activity = db.session.scalar(select(AdvocacyActivity).where(AdvocacyActivity.invite_id == found.id))
    return render_template(
        "advocacy/invite.html",
        invite=found,
        check=check,
        source=hub_queries.source_row(db.session, found),
        score=hub_queries.nps_of(db.session, found.contact_id),
        activity=activity,
        asked_via=invite_service.asked_via(db.session, found.contact),
        activity_labels=ACTIVITY_LABELS,
        points=POINTS,
        today=utcnow().date(),
        sites=invite_service.REVIEW_SITES,
        **labels(),
    )


@bp.post("/advocacy/invites/<int:invite_id>")
@roles_required("marketing")
def save_invite(invite_id: int) -> Any:
    """Save marketing's edits to the wording or the ask."""
    found = _invite_or_404(invite_id)
    try:
        invite_service.edit_invite(
            db.session,
            found,
            subject=request.form.get("subject", ""),
            body=request.form.get("body", ""),
            ask_type=request.form.get("ask_type", found.ask_type),
        )
    except invite_service.AskRefused as refused:
        db.session.rollback()
        return _answer(found, error="; ".join(refused.reasons))
    db.session.commit()
    return _answer(found, message="Draft saved.")


@bp.post("/advocacy/invites/<int:invite_id>/approve")
@roles_required("marketing")
def approve_invite(invite_id: int) -> Any:
    """Sign off the wording; it can be sent now or when the ask budget allows."""
    found = _invite_or_404(invite_id)
    try:
        invite_service.approve(db.session, found, current_user)
    except invite_service.AskRefused as refused:
        db.session.rollback()
        return _answer(found, error="; ".join(refused.reasons))
    db.session.commit()
    return _answer(found, message="Approved.")


@bp.post("/advocacy/invites/<int:invite_id>/send")
@roles_required("marketing")
def send(invite_id: int) -> Any:
    """Send now: every guardrail, then the shared ask budget; the email job delivers it."""
    found = _invite_or_404(invite_id)
    try:
        email = send_invite(db.session, found, current_user)
    except invite_service.AskRefused as refused:
        db.session.rollback()
        found = _invite_or_404(invite_id)
        return _answer(found, error="; ".join(refused.reasons), next_at=refused.next_at)
    db.session.commit()
    enqueue.enqueue_send_email(email.id)
    return _answer(found, message=f"Sent to {found.contact.email}.")


@bp.post("/advocacy/invites/<int:invite_id>/schedule")
@roles_required("marketing")
def schedule(invite_id: int) -> Any:
    """Approve and send as soon as the contact's ask budget opens."""
    found = _invite_or_404(invite_id)
    check = invite_service.eligibility(db.session, found, budget_days())
    if check.blockers:
        return _answer(found, error="; ".join(check.blockers))
    if found.status not in ("drafted", "approved"):
        return _answer(found, error=f"A {found.status} invite cannot be scheduled.")
    at = invite_service.schedule_send(db.session, found, current_user, budget_days())
    db.session.commit()
    enqueue.enqueue_scheduled_invite(found.id, at)
    return _answer(found, message=f"Approved; it goes out on {at:%-d %b %Y}, when the ask budget allows.")


@bp.post("/advocacy/invites/<int:invite_id>/release")
@roles_required("marketing")
def release(invite_id: int) -> Any:
    """Lift a hold once the recovery task is closed (or after a champion's move was handled)."""
    found = _invite_or_404(invite_id)
    if not release_hold(db.session, found):
        return _answer(found, error="The account still has an open recovery task: the invite stays on hold.")
    db.session.commit()
    return _answer(found, message="Hold lifted.")


@bp.post("/advocacy/invites/<int:invite_id>/complete")
@roles_required("marketing")
def complete(invite_id: int) -> Any:
    """Record the act the customer completed (and, for a referral, the company, pipeline and revenue)."""
    found = _invite_or_404(invite_id)
    form = request.form
    try:
        invite_service.record_activity(
            db.session,
            contact=found.contact,
            invite=found,
            user=current_user,
            **activity_fields(form, found.ask_type),
        )
    except ValueError as exc:
        db.session.rollback()
        return _answer(found, error=str(exc))
    db.session.commit()
    return _answer(found, message="Completed and recorded. Thank them!")


@bp.get("/advocacy/invites/<int:invite_id>/preview")
@roles_required("marketing")
def preview(invite_id: int) -> Any:
    """What the email will look like (links are placeholders until it is sent)."""
    found = _invite_or_404(invite_id)
    html = render_template(
        "advocacy/email/invite.html",
        invite=found,
        contact=found.contact,
        paragraphs=[p.strip() for p in found.body.split("\n\n") if p.strip()],
        accept_url="#",
        decline_url="#",
        unsubscribe_url="#",
        expires_at=None,
        **invite_service.invite_context(found),
    )
    response = make_response(html)
    # Emails style inline; this sandboxed preview (framed by the invite page) allows that, nothing else.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
    )
    return response


def site_url(site: str | None) -> str | None:
    """Where an accepted review-site invite sends the customer."""
    return (current_app.config.get("REVIEW_SITE_URLS") or {}).get(site or "")
