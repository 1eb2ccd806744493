"""One-click score links from survey emails (/r/<token>/<score>) and the email's unsubscribe link."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from survey.models import Contact, OutboxEmail, Survey
from survey.scoring import score_range
from survey.services.oneclick import LinkExpired, LinkInvalid, edit_token, read_one_click, record_one_click
from survey.services.responses import SubmissionError
from webapp.extensions import csrf, db, limiter
from webapp.public import bp
from webapp.public.i18n import message, submission_error_message, survey_state_message, use_locale
from webapp.public.steps import commit_and_enqueue, customer_error, public_limit

UNSUBSCRIBE_MAX_AGE = 10 * 365 * 86400  # an unsubscribe link keeps working long after the survey link expired


@bp.route("/r/<token>/<score>", methods=["GET"])
@limiter.limit(public_limit)
def one_click(token: str, score: str) -> Any:
    """Record the score clicked in the email, then open the comment step; a second click updates the score."""
    if request.method == "HEAD":  # mail scanners probe links with HEAD: record nothing
        return "", 200
    loaded = _load(token, int(current_app.config["ONE_CLICK_MAX_AGE_DAYS"]) * 86400)
    if not isinstance(loaded, tuple):
        return loaded
    email, survey, contact = loaded
    locale = use_locale(survey, contact, explicit=email.locale)
    if survey.status != "active":
        return customer_error(409, survey_state_message(survey))
    bounds = score_range(survey.kind)
    value = _score(score, bounds)
    if value is None:
        return customer_error(
            400, submission_error_message(SubmissionError("", "score"), survey, {"score": score})
        )
    result = record_one_click(db.session, survey, email, value, locale)
    commit_and_enqueue(result)
    edit = edit_token(current_app.config["SECRET_KEY"], result.response)
    return redirect(url_for("public.comment_step", key=survey.public_key, token=edit, lang=locale), code=303)


@bp.route("/r/<token>/unsubscribe", methods=["GET", "POST"])
@csrf.exempt  # checked below, with the reason in the customer's language
@limiter.limit(public_limit)
def unsubscribe(token: str) -> Any:
    """Stop all survey emails to this contact (a confirmation form, so link scanners cannot unsubscribe)."""
    loaded = _load(token, UNSUBSCRIBE_MAX_AGE)
    if not isinstance(loaded, tuple):
        return loaded
    email, survey, contact = loaded
    locale = use_locale(survey, contact, explicit=email.locale)
    if contact is None:
        return customer_error(404, message("email_missing"))
    done = False
    error = None
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except (ValidationError, CSRFError):
            error = message("csrf")
        else:
            contact.unsubscribed = True
            db.session.commit()
            done = True
    status = 400 if error else 200
    return render_template(
        "public/unsubscribe.html",
        survey=survey,
        contact=contact,
        done=done or contact.unsubscribed,
        error=error,
        locale=locale,
    ), status


def _load(token: str, max_age: int) -> tuple[OutboxEmail, Survey, Contact | None] | Any:
    """The email, survey and contact a one-click token names, or the error page saying what is wrong."""
    secret = current_app.config["SECRET_KEY"]
    try:
        claim = read_one_click(secret, token, max_age)
    except LinkExpired:
        use_locale(None)
        return customer_error(410, message("link_expired", days=current_app.config["ONE_CLICK_MAX_AGE_DAYS"]))
    except LinkInvalid:
        use_locale(None)
        return customer_error(400, message("link_invalid"))
    email = db.session.get(OutboxEmail, claim.outbox_email_id)
    survey = db.session.get(Survey, claim.survey_id)
    if email is None or survey is None or email.survey_id != survey.id:
        use_locale(survey)
        return customer_error(404, message("link_invalid"))
    contact = db.session.get(Contact, email.contact_id) if email.contact_id else None
    return email, survey, contact


def _score(raw: str, bounds: tuple[int, int] | None) -> int | None:
    if bounds is None or not raw.isdigit() or len(raw) > 3:
        return None
    value = int(raw)
    return value if bounds[0] <= value <= bounds[1] else None
