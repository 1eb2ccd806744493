"""The hub's first page: every advocate signal with quote, target, consent and ask budget; CSM praise."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request, url_for
from flask_login import current_user

from survey.database import utcnow
from survey.models import Advocate, AdvocateFlag
from survey.services import advocacy_hub as hub_queries
from survey.services.advocacy import (
    ASKS,
    FLAG_LABELS,
    TYPE_HINTS,
    TYPE_LABELS,
    ensure_advocate,
    hold_if_recovering,
    may_draft,
    set_type_override,
    unread_notice_count,
)
from survey.services.advocacy_metrics import hub_stats
from survey.services.analysis import latest_analysis
from survey.services.invites import AskRefused, draft_invite
from webapp.advocacy import bp
from webapp.advocacy.common import back, budget_days, hx_target
from webapp.auth import roles_required
from webapp.extensions import db


def labels() -> dict[str, Any]:
    """Names the advocacy templates use."""
    return {
        "flag_labels": FLAG_LABELS,
        "type_labels": TYPE_LABELS,
        "type_hints": TYPE_HINTS,
        "asks": {k: v[0] for k, v in ASKS.items()},
        "now": utcnow(),
    }


@bp.get("/advocacy")
@roles_required("marketing")
def hub() -> Any:
    """Flagged advocates: promoter praise, unsolicited praise from any channel, existing recommenders."""
    kind = request.args.get("kind") or None
    target = request.args.get("target") or None
    query = (request.args.get("q") or "").strip() or None
    rows = hub_queries.flag_rows(db.session, kind=kind, target=target, query=query, budget_days=budget_days())
    context = {"rows": rows, "kind": kind, "target": target, "q": query or "", **labels()}
    if hx_target("flag-list"):
        return render_template("advocacy/_flags.html", **context)
    return render_template(
        "advocacy/hub.html",
        stats=hub_stats(db.session),
        kinds=hub_queries.FLAG_KINDS,
        targets=hub_queries.TARGETS,
        **context,
    )


def _flag_card(flag_id: int, error: str | None = None) -> Any:
    rows = hub_queries.flag_rows(db.session, flag_ids=[flag_id], budget_days=budget_days())
    if not rows:
        return ""
    return render_template("advocacy/_flag_card.html", row=rows[0], error=error, **labels())


@bp.post("/advocacy/flags/<int:flag_id>/draft")
@roles_required("marketing")
def draft_for_flag(flag_id: int) -> Any:
    """Draft the right ask for a flagged advocate who has none yet (consent required)."""
    flag = db.session.get(AdvocateFlag, flag_id)
    if flag is None or flag.contact is None:
        abort(404, description="There is no such advocate to invite.")
    error = may_draft(db.session, flag.contact)
    invite = None
    if error is None:
        analysis = latest_analysis(db.session, flag.verbatim_id)
        try:
            invite = draft_invite(db.session, flag.contact, flag.verbatim, analysis)
        except AskRefused as refused:
            error = "; ".join(refused.reasons)
        else:
            hold_if_recovering(db.session, invite)
            db.session.commit()
    if hx_target("flag-"):
        return _flag_card(flag_id, error)
    if error:
        flash(error, "error")
        return back(url_for("advocacy.hub"))
    assert invite is not None
    flash("Invite drafted: edit it, approve it, send it.", "info")
    return back(url_for("advocacy.invite", invite_id=invite.id))


@bp.post("/advocacy/flags/<int:flag_id>/dismiss")
@roles_required("marketing")
def dismiss_flag(flag_id: int) -> Any:
    """Not really an advocate (sarcasm, a misread): hide the flag from the hub."""
    flag = db.session.get(AdvocateFlag, flag_id)
    if flag is None:
        abort(404, description="There is no such flag.")
    flag.dismissed_at = utcnow()
    db.session.commit()
    if hx_target("flag-"):
        return render_template("advocacy/_flag_dismissed.html", flag=flag)
    flash("Flag dismissed.", "info")
    return back(url_for("advocacy.hub"))


@bp.post("/advocacy/advocates/<int:advocate_id>/type")
@roles_required("marketing")
def set_type(advocate_id: int) -> Any:
    """Marketing overrides the inferred advocate type ('auto' goes back to the inference)."""
    advocate = db.session.get(Advocate, advocate_id)
    if advocate is None:
        abort(404, description="There is no such advocate.")
    choice = request.form.get("advocate_type") or "auto"
    if choice != "auto" and choice not in TYPE_LABELS:
        abort(400, description="Pick one of the advocate types.")
    set_type_override(db.session, advocate, None if choice == "auto" else choice)
    if choice == "auto":
        ensure_advocate(db.session, advocate.contact)
    db.session.commit()
    if request.headers.get("HX-Request"):
        return render_template("advocacy/_type_form.html", advocate=advocate, saved=True, **labels())
    flash(f"{advocate.contact.name} is now a {TYPE_LABELS[advocate.advocate_type].lower()}.", "info")
    return back(url_for("advocacy.hub"))


@bp.get("/advocacy/praise")
@roles_required("csm")
def praise() -> Any:
    """The CSM's praise inbox: customers who praised unprompted, and praise that names them."""
    rows = hub_queries.praise_for(db.session, current_user.id)
    unread = unread_notice_count(db.session, current_user.id)
    fresh = {notice.id for notice, _row in rows if notice.read_at is None}
    now = utcnow()
    for notice, _row in rows:
        if notice.read_at is None:
            notice.read_at = now
    db.session.commit()
    return render_template("advocacy/praise.html", rows=rows, unread=unread, fresh=fresh, **labels())


@bp.app_context_processor
def praise_badge() -> dict[str, Any]:
    """Unread praise for the nav of a signed-in CSM (one cheap count)."""

    def count() -> int:
        if not current_user.is_authenticated or current_user.role not in ("csm", "admin"):
            return 0
        return unread_notice_count(db.session, current_user.id)

    return {"advocacy_unread_praise": count}
