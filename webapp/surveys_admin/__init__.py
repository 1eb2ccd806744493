"""Admin-only survey management: create and edit surveys, embed snippet, bulk sends, the email outbox;
and the API through which other systems trigger transactional surveys."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from survey.models import OutboxEmail, Response, Survey
from survey.models.surveys import ASK_CHANNELS, PROGRAMMES, SURVEY_KINDS, SURVEY_STATUSES
from survey.services.audit import record
from survey.services.fatigue import may_ask
from survey.services.outbox import by_event, outbox_page, status_counts
from survey.services.programmes import (
    ARR_BANDS,
    SegmentError,
    parse_segment,
    preview,
    segment_choices,
    segment_contacts,
)
from survey.services.responses import EMAIL_RE
from survey.services.surveys import (
    LANGUAGES,
    TEXT_KEYS,
    SurveyFormError,
    apply_settings,
    contact_for_identity,
    create_survey,
    identity_signature,
    new_widget_secret,
    parse_survey_form,
    surveys_for_admin,
)
from webapp.api import token_required
from webapp.auth import roles_required
from webapp.extensions import csrf, db
from webapp.public.emails import public_base_url, queue_survey_email
from workers.enqueue import enqueue_send_email

bp = Blueprint("surveys_admin", __name__, url_prefix="/admin")
api_bp = Blueprint("surveys_api", __name__)
csrf.exempt(api_bp)  # bearer tokens, not cookies

admin_only = roles_required()  # no extra roles: only admins pass

# Email preview: the stored HTML uses inline styles (as emails must); it runs in a sandboxed frame here.
EMAIL_PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


def _form_context(
    survey: Survey | None, errors: dict[str, str] | None = None, form: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "survey": survey,
        "errors": errors or {},
        "form": form,
        "kinds": SURVEY_KINDS,
        "statuses": SURVEY_STATUSES,
        "channels": ASK_CHANNELS,
        "programmes": PROGRAMMES,
        "languages": LANGUAGES,
        "text_keys": TEXT_KEYS,
    }


def _survey_or_404(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        abort(404, description=f"There is no survey {survey_id}.")
    return survey


@bp.get("/surveys")
@admin_only
def surveys() -> Any:
    """Every survey with its status, channels and answer count."""
    counts = dict(
        db.session.execute(
            select(Response.survey_id, func.count(Response.id)).group_by(Response.survey_id)
        ).all()
    )
    return render_template("surveys_admin/list.html", surveys=surveys_for_admin(db.session), counts=counts)


@bp.route("/surveys/new", methods=["GET", "POST"])
@admin_only
def new_survey() -> Any:
    """Create a survey (draft by default)."""
    if request.method == "GET":
        return render_template("surveys_admin/form.html", **_form_context(None))
    try:
        settings = parse_survey_form(request.form, request.form.getlist, creating=True)
        survey = create_survey(db.session, settings)
    except SurveyFormError as exc:
        return render_template(
            "surveys_admin/form.html", **_form_context(None, exc.errors, request.form)
        ), 400
    record(
        db.session,
        "survey.create",
        actor=current_user,
        target_type="survey",
        target_id=survey.id,
        ip=request.remote_addr,
    )
    db.session.commit()
    flash(f"Survey “{survey.name}” created.", "info")
    return redirect(url_for("surveys_admin.survey_detail", survey_id=survey.id), code=303)


@bp.route("/surveys/<int:survey_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_survey(survey_id: int) -> Any:
    """Edit wording, languages, channels, status, identity mode, widget origins and programme."""
    survey = _survey_or_404(survey_id)
    if request.method == "GET":
        return render_template("surveys_admin/form.html", **_form_context(survey))
    try:
        settings = parse_survey_form(request.form, request.form.getlist, creating=False)
    except SurveyFormError as exc:
        return render_template(
            "surveys_admin/form.html", **_form_context(survey, exc.errors, request.form)
        ), 400
    apply_settings(survey, settings)
    record(
        db.session,
        "survey.update",
        actor=current_user,
        target_type="survey",
        target_id=survey.id,
        ip=request.remote_addr,
    )
    db.session.commit()
    flash("Survey saved.", "info")
    return redirect(url_for("surveys_admin.survey_detail", survey_id=survey.id), code=303)


@bp.get("/surveys/<int:survey_id>")
@admin_only
def survey_detail(survey_id: int) -> Any:
    """Links, embed snippet with identity signing, bulk send to a segment, recent emails."""
    survey = _survey_or_404(survey_id)
    plans, owners = segment_choices(db.session)
    by_channel = dict(
        db.session.execute(
            select(Response.channel, func.count(Response.id))
            .where(Response.survey_id == survey.id)
            .group_by(Response.channel)
        ).all()
    )
    recent = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.survey_id == survey.id)
        .order_by(OutboxEmail.id.desc())
        .limit(10)
    ).all()
    example_signature = identity_signature(survey.widget_secret or "", "jane@customer.example")
    return render_template(
        "surveys_admin/detail.html",
        survey=survey,
        plans=plans,
        owners=owners,
        arr_bands=ARR_BANDS,
        by_channel=by_channel,
        recent=recent,
        example_signature=example_signature,
        base_url=public_base_url(),
        segment_counts=preview(db.session, parse_segment(None, None, None), _fatigue_days()),
    )


@bp.post("/surveys/<int:survey_id>/secret")
@admin_only
def rotate_secret(survey_id: int) -> Any:
    """Replace the widget secret (after a leak); signatures made with the old one stop working at once."""
    survey = _survey_or_404(survey_id)
    survey.widget_secret = new_widget_secret()
    record(
        db.session,
        "survey.rotate_secret",
        actor=current_user,
        target_type="survey",
        target_id=survey.id,
        ip=request.remote_addr,
    )
    db.session.commit()
    flash("New widget secret generated: update it on your servers.", "info")
    return redirect(url_for("surveys_admin.survey_detail", survey_id=survey.id), code=303)


@bp.get("/surveys/<int:survey_id>/segment")
@admin_only
def segment_preview(survey_id: int) -> Any:
    """How many contacts the chosen segment holds and how many may be asked now (htmx fragment)."""
    survey = _survey_or_404(survey_id)
    try:
        segment = parse_segment(
            request.args.get("plan"), request.args.get("arr_band"), request.args.get("owner")
        )
    except SegmentError as exc:
        return render_template(
            "surveys_admin/_segment_preview.html", error=str(exc), counts=None, survey=survey
        ), 400
    resp = make_response(
        render_template(
            "surveys_admin/_segment_preview.html",
            error=None,
            survey=survey,
            counts=preview(db.session, segment, _fatigue_days()),
        )
    )
    resp.vary.add("HX-Request")
    return resp


@bp.post("/surveys/<int:survey_id>/send")
@admin_only
def bulk_send(survey_id: int) -> Any:
    """Email the survey to a segment; the fatigue rule skips whoever was asked recently."""
    survey = _survey_or_404(survey_id)
    if survey.status != "active" or "email" not in (survey.channels or []):
        flash("Only an active survey with the email channel switched on can be sent.", "error")
        return redirect(url_for("surveys_admin.survey_detail", survey_id=survey.id), code=303)
    try:
        segment = parse_segment(
            request.form.get("plan"), request.form.get("arr_band"), request.form.get("owner")
        )
    except SegmentError as exc:
        flash(str(exc), "error")
        return redirect(url_for("surveys_admin.survey_detail", survey_id=survey.id), code=303)
    base_url = public_base_url()
    queued: list[int] = []
    skipped = 0
    for contact in segment_contacts(db.session, segment):
        email = queue_survey_email(db.session, survey, contact, trigger="bulk", base_url=base_url)
        if email is None:
            skipped += 1
        else:
            queued.append(email.id)
    record(
        db.session,
        "survey.bulk_send",
        actor=current_user,
        target_type="survey",
        target_id=survey.id,
        ip=request.remote_addr,
        details={
            "plan": segment.plan,
            "arr_band": segment.arr_band,
            "owner_id": segment.owner_id,
            "queued": len(queued),
            "skipped": skipped,
        },
    )
    db.session.commit()
    for outbox_id in queued:
        enqueue_send_email(outbox_id)
    flash(
        f"{len(queued)} survey emails queued; {skipped} contacts skipped "
        f"(asked in the last {_fatigue_days()} days or unsubscribed).",
        "info",
    )
    return redirect(url_for("surveys_admin.survey_detail", survey_id=survey.id), code=303)


@bp.get("/outbox")
@admin_only
def outbox() -> Any:
    """Every survey email, newest first; in development (no SMTP host) this page is the delivery."""
    page = request.args.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        abort(400, description="page must be a positive whole number.")
    status = request.args.get("status") or None
    if status not in (None, "queued", "sent", "failed"):
        abort(400, description="status must be queued, sent or failed.")
    rows, has_more = outbox_page(db.session, int(page), status=status)
    from flask import current_app

    return render_template(
        "surveys_admin/outbox.html",
        rows=rows,
        has_more=has_more,
        page=int(page),
        status=status,
        counts=status_counts(db.session),
        smtp_host=current_app.config.get("SMTP_HOST"),
    )


@bp.get("/outbox/<int:email_id>")
@admin_only
def outbox_email(email_id: int) -> Any:
    """One email as its recipient sees it (links work: they open in a new tab)."""
    email = db.session.get(OutboxEmail, email_id)
    if email is None:
        abort(404, description=f"There is no email {email_id} in the outbox.")
    return render_template("surveys_admin/outbox_email.html", email=email)


@bp.get("/outbox/<int:email_id>/body")
@admin_only
def outbox_email_body(email_id: int) -> Any:
    """The stored HTML, served for the sandboxed preview frame only."""
    email = db.session.get(OutboxEmail, email_id)
    if email is None:
        abort(404, description=f"There is no email {email_id} in the outbox.")
    html = email.html_body.replace("<head>", '<head><base target="_blank">', 1)
    resp = make_response(html)
    resp.headers["Content-Security-Policy"] = EMAIL_PREVIEW_CSP
    resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    return resp


def _fatigue_days() -> int:
    from flask import current_app

    return int(current_app.config["FATIGUE_DAYS"])


# ------------------------------------------------------------------ API: transactional triggers
@api_bp.post("/surveys/<key>/triggers")
@token_required("csm")
def trigger_survey(key: str) -> Any:
    """An event elsewhere (ticket closed, onboarding done) emails a contact this survey, once per event."""
    survey = db.session.scalar(select(Survey).where(Survey.public_key == key)) if len(key) <= 64 else None
    if survey is None:
        return jsonify(error=f"There is no survey with the key {key!r}."), 404
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="The request body must be a JSON object."), 400
    email = str(data.get("email") or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        return jsonify(error="email is required and must be a valid email address.", field="email"), 400
    event = str(data.get("event") or "").strip()
    event_id = str(data.get("event_id") or "").strip()
    if not event or len(event) > 60 or not event_id or len(event_id) > 120:
        return jsonify(
            error="event (up to 60 characters) and event_id (up to 120) are required; event_id makes a "
            "repeated delivery of the same event send nothing twice.",
            field="event_id",
        ), 400
    if survey.status != "active":
        return jsonify(error=f"The survey is {survey.status}; only an active survey can be triggered."), 409
    if survey.programme != "transactional" or "email" not in (survey.channels or []):
        return jsonify(
            error="This survey is not a transactional programme with the email channel on; change it "
            "in the survey settings."
        ), 409
    event_key = f"{survey.id}:{event}:{event_id}"
    existing = by_event(db.session, event_key)
    if existing is not None:
        return jsonify(status="duplicate", outbox_email_id=existing.id, email_status=existing.status), 200
    locale = str(data.get("locale") or "") or None
    contact = contact_for_identity(db.session, email, locale)
    if not may_ask(contact, _fatigue_days()):
        db.session.commit()
        reason = "unsubscribed" if contact.unsubscribed else "asked_recently"
        return jsonify(status="suppressed", reason=reason, contact_id=contact.id), 200
    outbox_email = queue_survey_email(
        db.session, survey, contact, trigger="event", base_url=public_base_url(), event_key=event_key
    )
    if outbox_email is None:  # lost a race with another ask
        db.session.commit()
        return jsonify(status="suppressed", reason="asked_recently", contact_id=contact.id), 200
    db.session.commit()
    enqueue_send_email(outbox_email.id)
    return jsonify(status="queued", outbox_email_id=outbox_email.id, contact_id=contact.id), 202
