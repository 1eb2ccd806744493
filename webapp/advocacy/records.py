"""What advocacy produced and where advocates went: activities, champion moves, contact edits."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from survey.database import utcnow
from survey.models import Account, Advocate, ChampionMove, Contact
from survey.services import advocacy_hub as hub_queries
from survey.services.advocacy import ACTIVITY_LABELS, POINTS, detect_champion_moved, outreach_suggestion
from survey.services.advocacy_metrics import second_order
from survey.services.invites import record_activity
from webapp.advocacy import bp
from webapp.advocacy.common import activity_fields, back
from webapp.advocacy.hub import labels
from webapp.auth import roles_required
from webapp.extensions import db


@bp.get("/advocacy/activities")
@roles_required("marketing")
def activities() -> Any:
    """Completed acts of advocacy, and a form to record one that happened outside an invite."""
    return render_template(
        "advocacy/activities.html",
        rows=hub_queries.activities(db.session),
        advocates=hub_queries.advocates_for_select(db.session),
        activity_labels=ACTIVITY_LABELS,
        points=POINTS,
        today=utcnow().date(),
        **labels(),
    )


@bp.post("/advocacy/activities")
@roles_required("marketing")
def add_activity() -> Any:
    """Record an act (a referral with its pipeline, a review, a talk) for an advocate."""
    form = request.form
    advocate = db.session.get(Advocate, int(form.get("advocate_id") or 0))
    if advocate is None:
        flash("Pick the advocate who did it.", "error")
        return back(url_for("advocacy.activities"))
    move = (
        db.session.get(ChampionMove, int(form["champion_move_id"])) if form.get("champion_move_id") else None
    )
    try:
        record_activity(
            db.session,
            contact=advocate.contact,
            user=current_user,
            champion_move=move,
            **activity_fields(form),
        )
    except ValueError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return back(url_for("advocacy.activities"))
    db.session.commit()
    flash(f"Recorded for {advocate.contact.name}.", "info")
    return back(url_for("advocacy.activities"))


@bp.get("/advocacy/champions")
@roles_required("marketing")
def champions() -> Any:
    """Advocates who changed company: the new company, what to do, and the customers they brought."""
    moves = hub_queries.champion_moves(db.session)
    return render_template(
        "advocacy/champions.html",
        moves=moves,
        suggestions={m.id: outreach_suggestion(m) for m in moves},
        second=second_order(db.session),
        today=utcnow().date(),
        **labels(),
    )


@bp.post("/advocacy/champions/<int:move_id>")
@roles_required("marketing")
def update_move(move_id: int) -> Any:
    """Mark a move contacted, won or dismissed, with a note."""
    move = db.session.get(ChampionMove, move_id)
    if move is None:
        abort(404, description="There is no such move.")
    status = request.form.get("status", move.status)
    if status not in ("new", "contacted", "won", "dismissed"):
        abort(400, description="Unknown status.")
    move.status = status
    if request.form.get("note") is not None:
        move.note = request.form.get("note", "").strip() or None
    db.session.commit()
    flash(f"{move.contact.name}: {status}.", "info")
    return back(url_for("advocacy.champions"))


@bp.route("/advocacy/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@roles_required("marketing", "csm")
def edit_contact(contact_id: int) -> Any:
    """Correct a contact's email, company or consent; an advocate at a new company is flagged as moved."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        abort(404, description="There is no such contact.")
    accounts = list(db.session.scalars(select(Account).order_by(Account.name)))
    error = None
    if request.method == "POST":
        old_email, old_account_id = contact.email, contact.account_id
        email = (request.form.get("email") or "").strip().lower()
        account_id = int(request.form["account_id"]) if request.form.get("account_id") else None
        if "@" not in email or email.startswith("@") or email.endswith("@"):
            error = "Enter a valid email address."
        elif email != contact.email and db.session.scalar(select(Contact.id).where(Contact.email == email)):
            error = f"Another contact already uses {email}."
        elif account_id is not None and db.session.get(Account, account_id) is None:
            error = "Pick a company from the list."
        if error is None:
            contact.name = (request.form.get("name") or "").strip() or contact.name
            contact.title = (request.form.get("title") or "").strip() or None
            contact.email, contact.account_id = email, account_id
            contact.marketing_consent = request.form.get("marketing_consent") == "on"
            contact.unsubscribed = request.form.get("unsubscribed") == "on"
            db.session.flush()
            move = detect_champion_moved(db.session, contact, old_email, old_account_id, source="edit")
            db.session.commit()
            if move is not None:
                flash(
                    f"Champion moved: {contact.name} is now at {move.new_company}. Outreach suggested.",
                    "info",
                )
                return back(url_for("advocacy.champions"))
            flash("Contact saved.", "info")
            return back(url_for("advocacy.hub"))
    status = 422 if error else 200
    return render_template(
        "advocacy/contact_edit.html",
        contact=contact,
        accounts=accounts,
        error=error,
        is_advocate=db.session.scalar(select(Advocate.id).where(Advocate.contact_id == contact.id))
        is not None,
        **labels(),
    ), status
