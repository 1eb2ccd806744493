"""The hosted survey page /s/<key>: score, then a follow-up worded for the score, then thanks.

Plain HTML forms with post/redirect/get, so it works without JavaScript; htmx swaps each step in place.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from survey.models import Response
from survey.services.oneclick import LinkExpired, LinkInvalid, edit_token, read_edit_token
from survey.services.responses import SubmissionError
from survey.services.surveys import channel_open
from webapp.extensions import csrf, db, limiter
from webapp.public import bp
from webapp.public.i18n import message, submission_error_message, use_locale
from webapp.public.steps import (
    CommentError,
    accept_answer,
    accept_comment,
    comment_step_context,
    customer_error,
    find_survey,
    honeypot_filled,
    new_submission_id,
    page_or_fragment,
    public_limit,
    score_step_context,
    state_error,
    unknown_survey,
    wants_json,
)


def _csrf_ok(data: dict[str, Any]) -> bool:
    try:
        validate_csrf(data.get("csrf_token"))
    except (ValidationError, CSRFError):
        return False
    return True


def _hidden(locale: str, submission_id: str | None = None) -> dict[str, str]:
    hidden = {"lang": locale}
    if submission_id:
        hidden["submission_id"] = submission_id
    return hidden


@bp.get("/s/<key>")
@limiter.limit(public_limit)
def survey_page(key: str) -> Any:
    """The first step: the question and its score buttons (each one submits); staff may preview drafts."""
    survey = find_survey(key)
    if survey is None:
        return unknown_survey(key)
    locale = use_locale(survey)
    preview = survey.status == "draft" and current_user.is_authenticated
    if survey.status != "active" and not preview:
        return state_error(survey)
    if not channel_open(survey, "link"):
        return customer_error(403, message("channel_off"))
    context = score_step_context(
        survey, locale, action=url_for("public.submit", key=key), hidden=_hidden(locale, new_submission_id())
    )
    return page_or_fragment("public/survey.html", "public/_score_step.html", preview=preview, **context)


@bp.post("/s/<key>/responses")
@csrf.exempt  # JSON needs no token (browsers can't send it cross-site without CORS); forms are checked below
@limiter.limit(public_limit)
def submit(key: str) -> Any:
    """Store an answer, commit, then queue its analysis; a repeated submission id updates the first answer."""
    survey = find_survey(key)
    is_json = request.is_json
    if survey is None:
        return unknown_survey(key, json=is_json or wants_json())
    locale = use_locale(survey)
    if is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return customer_error(400, message("bad_json"), json=True)
    else:
        data = request.form.to_dict()
        if not _csrf_ok(data):
            return _score_error(survey, locale, message("csrf"), 400, data)
    if honeypot_filled(data):
        return _score_error(survey, locale, message("honeypot"), 400, data, json=is_json, field="website")
    if not is_json and not channel_open(survey, "link"):
        return customer_error(403, message("channel_off"))
    try:
        result = accept_answer(survey, data, channel="api" if is_json else "link", locale=locale)
    except SubmissionError as exc:
        return _score_error(
            survey,
            locale,
            submission_error_message(exc, survey, data),
            exc.status,
            data,
            json=is_json,
            field=exc.field,
        )
    response = result.response
    if is_json:
        return jsonify(
            response_id=response.id,
            duplicate=not result.created,
            updated=result.changed and not result.created,
        ), 201 if result.created else 200
    if data.get("comment") or response.score is None:
        return _thanks(survey, locale)
    token = edit_token(current_app.config["SECRET_KEY"], response)
    if not _is_htmx():
        return redirect(
            url_for("public.comment_step", key=key, token=token, **_lang_arg(survey, locale)), code=303
        )
    return _comment_page(survey, response, locale, token)


@bp.route("/s/<key>/c/<token>", methods=["GET", "POST"])
@csrf.exempt  # checked below, so a missing token re-shows the form with the reason in the customer's language
@limiter.limit(public_limit)
def comment_step(key: str, token: str) -> Any:
    """The follow-up: a comment (and, for anonymous answers, an optional email) on the scored response."""
    survey = find_survey(key)
    if survey is None:
        return unknown_survey(key)
    locale = use_locale(survey)
    response = _response_for(survey, token)
    if not isinstance(response, Response):
        return response
    if request.method == "GET":
        return _comment_page(survey, response, locale, token)
    data = request.form.to_dict()
    if not _csrf_ok(data):
        return _comment_page(survey, response, locale, token, error=message("csrf"), status=400, data=data)
    if honeypot_filled(data):
        return _comment_page(
            survey, response, locale, token, error=message("honeypot"), status=400, data=data
        )
    if survey.status != "active":
        return state_error(survey)
    try:
        accept_comment(response, data)
    except CommentError as exc:
        return _comment_page(survey, response, locale, token, error=exc.text, status=exc.status, data=data)
    return _thanks(survey, locale)


@bp.get("/s/<key>/thanks")
def thanks(key: str) -> Any:
    """The last step of the hosted survey."""
    survey = find_survey(key)
    if survey is None:
        return unknown_survey(key)
    locale = use_locale(survey)
    return page_or_fragment(
        "public/thanks.html", "public/_thanks_step.html", survey=survey, locale=locale, widget=False
    )


def _is_htmx() -> bool:
    from webapp.extensions import htmx

    return bool(htmx)


def _thanks(survey: Any, locale: str) -> Any:
    if _is_htmx():
        return page_or_fragment(
            "public/thanks.html", "public/_thanks_step.html", survey=survey, locale=locale, widget=False
        )
    return redirect(url_for("public.thanks", key=survey.public_key, **_lang_arg(survey, locale)), code=303)


def _lang_arg(survey: Any, locale: str) -> dict[str, str]:
    """Carry the language in a redirect only when the browser alone would not pick it."""
    from survey.services.surveys import survey_languages

    langs = survey_languages(survey)
    return {} if locale == (request.accept_languages.best_match(langs) or langs[0]) else {"lang": locale}


def _response_for(survey: Any, token: str) -> Any:
    """The response an edit token grants, or the error page saying why not."""
    max_age = int(current_app.config["COMMENT_LINK_MAX_AGE_HOURS"]) * 3600
    try:
        response_id = read_edit_token(current_app.config["SECRET_KEY"], token, max_age, survey.id)
    except LinkExpired:
        return customer_error(410, message("comment_link_expired"))
    except LinkInvalid:
        return customer_error(400, message("link_invalid"))
    response = db.session.get(Response, response_id)
    if response is None or response.survey_id != survey.id:
        return customer_error(404, message("link_invalid"))
    return response


def _comment_page(
    survey: Any,
    response: Response,
    locale: str,
    token: str,
    *,
    error: str | None = None,
    status: int = 200,
    data: dict[str, Any] | None = None,
) -> Any:
    data = data or {}
    context = comment_step_context(
        survey,
        response,
        locale,
        action=url_for("public.comment_step", key=survey.public_key, token=token),
        hidden=_hidden(locale),
        skip_url=url_for("public.thanks", key=survey.public_key, **_lang_arg(survey, locale)),
        error=error,
        comment=data.get("comment") if isinstance(data.get("comment"), str) else None,
        email=str(data.get("email") or ""),
    )
    return page_or_fragment("public/comment.html", "public/_comment_step.html", status=status, **context)


def _score_error(
    survey: Any,
    locale: str,
    text: str,
    status: int,
    data: dict[str, Any],
    *,
    json: bool = False,
    field: str | None = None,
) -> Any:
    """Re-show the score step with the reason (keeping what was typed), or JSON for API clients."""
    if json:
        return customer_error(status, text, json=True, field=field)
    comment = data.get("comment") if isinstance(data.get("comment"), str) else ""
    context = score_step_context(
        survey,
        locale,
        action=url_for("public.submit", key=survey.public_key),
        hidden=_hidden(locale, new_submission_id()),
        error=text,
        comment=comment,
        email=str(data.get("email") or ""),
    )
    return page_or_fragment(
        "public/survey.html", "public/_score_step.html", status=status, preview=False, **context
    )
