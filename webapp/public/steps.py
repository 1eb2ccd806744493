"""What the hosted page, the widget and one-click links share: lookups, answer steps, errors, fragments."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, jsonify, make_response, render_template, request
from sqlalchemy import select

from survey.cache import RowCache
from survey.models import Contact, Response, Survey
from survey.scoring import score_range
from survey.services.answers import AnswerResult, attach_contact, set_comment, submit
from survey.services.responses import EMAIL_RE, SubmissionError, parse_submission
from webapp.extensions import db, htmx
from webapp.public.i18n import comment_too_long, message, submission_error_message, survey_state_message
from webapp.public.texts import followup_question, survey_texts
from workers.enqueue import kick_analysis


def public_limit() -> str:
    """Per-IP limit for every anonymous endpoint (FEEDLOOP_PUBLIC_RATE_LIMIT)."""
    return str(current_app.config["PUBLIC_RATE_LIMIT"])


_surveys: RowCache[Survey | None] = RowCache(Survey)


def find_survey(key: str) -> Survey | None:
    """The survey behind a public key, from the row cache; over-long keys are not even looked up."""
    if not key or len(key) > 64:
        return None
    cached = _surveys.get((id(db.engine), key), lambda: _load_survey(key))
    if cached is None:
        return None
    # A copy for this request's session, without a query: the cached row is detached and never changes.
    return db.session.merge(cached, load=False)


def _load_survey(key: str) -> Survey | None:
    """Read in a session of its own, so the cached row is detached from any request."""
    with current_app.extensions["feedloop_db"][1]() as session:
        return session.scalar(select(Survey).where(Survey.public_key == key))


def new_submission_id() -> str:
    """Rendered into each form, so a double click or a retried post is recognised as the same answer."""
    return uuid.uuid4().hex


def customer_error(
    status: int,
    text: str,
    *,
    json: bool = False,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    template: str = "public/error.html",
) -> Any:
    """A specific 4xx in the customer's language: JSON for API clients, a page (or fragment) for people."""
    if json:
        resp = make_response(jsonify(error=text, field=field), status)
    elif htmx:
        resp = make_response(render_template("public/_error_step.html", message=text), status)
        resp.vary.add("HX-Request")
    else:
        resp = make_response(render_template(template, message=text, status=status), status)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def page_or_fragment(page: str, fragment: str, status: int = 200, **context: Any) -> Any:
    """The full page for a normal request, only the step for htmx; Vary so caches keep them apart."""
    resp = make_response(render_template(fragment if htmx else page, **context), status)
    resp.vary.add("HX-Request")
    return resp


def state_error(survey: Survey, *, json: bool = False, template: str = "public/error.html") -> Any | None:
    """409 with the reason when a survey does not take answers, else None."""
    if survey.status == "active":
        return None
    return customer_error(409, survey_state_message(survey), json=json, template=template)


def commit_and_enqueue(result: AnswerResult) -> None:
    """The view owns the transaction: commit first, then queue analysis (Redis down loses nothing)."""
    db.session.commit()
    if result.analyse_verbatim_id is not None:
        kick_analysis(result.analyse_verbatim_id)


def accept_answer(
    survey: Survey, data: dict[str, Any], *, channel: str, locale: str | None, contact: Contact | None = None
) -> AnswerResult:
    """Validate and store a score step (or a one-shot answer); a repeated submission id updates instead."""
    if data.get("score") in (None, ""):
        existing = _existing(data.get("submission_id"))
        if existing is not None and existing.survey_id == survey.id:
            data = {**data, "score": existing.score}  # a follow-up carrying only the comment
    if contact is not None:
        data = {**data, "email": contact.email}
    sub = parse_submission(
        survey, data, max_comment_chars=int(current_app.config["MAX_COMMENT_CHARS"]), channel=channel
    )
    if locale:
        from dataclasses import replace

        sub = replace(sub, locale=locale)
    result = submit(db.session, survey, sub)
    commit_and_enqueue(result)
    return result


def _existing(submission_id: Any) -> Response | None:
    if not submission_id or not isinstance(submission_id, str) or len(submission_id) > 100:
        return None
    return db.session.scalar(select(Response).where(Response.submission_id == submission_id))


class CommentError(ValueError):
    """A comment step refused: status and message already in the customer's language."""

    def __init__(self, status: int, text: str, field: str) -> None:
        super().__init__(text)
        self.status, self.text, self.field = status, text, field


def accept_comment(response: Response, data: dict[str, Any]) -> AnswerResult:
    """Add or change the comment (and optionally the email) of a response that already has its score."""
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        raise CommentError(
            400, submission_error_message(SubmissionError("", "comment"), response.survey, data), "comment"
        )
    comment = comment.replace("\x00", "").strip()
    limit = int(current_app.config["MAX_COMMENT_CHARS"])
    if len(comment) > limit:
        raise CommentError(413, comment_too_long(len(comment), limit), "comment")
    email = (data.get("email") or "").strip().lower()
    if email and (not EMAIL_RE.match(email) or len(email) > 254):
        raise CommentError(
            400, submission_error_message(SubmissionError("", "email"), response.survey, data), "email"
        )
    vid = set_comment(db.session, response, comment) if comment else None
    if email and response.contact_id is None:
        attach_contact(db.session, response, email)
    result = AnswerResult(response, created=False, changed=vid is not None, analyse_verbatim_id=vid)
    commit_and_enqueue(result)
    return result


def honeypot_filled(data: dict[str, Any]) -> bool:
    """People leave the hidden 'website' field empty; bots fill it in."""
    return bool(data.get("website"))


def score_step_context(
    survey: Survey,
    locale: str,
    *,
    action: str,
    hidden: dict[str, str],
    error: str | None = None,
    comment: str = "",
    email: str = "",
) -> dict[str, Any]:
    """What _score_step.html needs."""
    return {
        "survey": survey,
        "locale": locale,
        "texts": survey_texts(survey, locale),
        "action": action,
        "hidden": hidden,
        "error": error,
        "comment": comment,
        "email": email,
        "scored": score_range(survey.kind) is not None,
    }


def comment_step_context(
    survey: Survey,
    response: Response,
    locale: str,
    *,
    action: str,
    hidden: dict[str, str],
    skip_url: str,
    error: str | None = None,
    comment: str | None = None,
    email: str = "",
) -> dict[str, Any]:
    """What _comment_step.html needs; the follow-up wording depends on the response's bucket."""
    from survey.models import Verbatim

    if comment is None:
        comment = db.session.scalar(select(Verbatim.text).where(Verbatim.response_id == response.id)) or ""
    return {
        "survey": survey,
        "response": response,
        "locale": locale,
        "followup": followup_question(survey, response.score, locale),
        "action": action,
        "hidden": hidden,
        "skip_url": skip_url,
        "error": error,
        "comment": comment,
        "email": email,
        "ask_email": response.contact_id is None,
    }


def wants_json() -> bool:
    """API clients get JSON errors; browsers get pages."""
    return request.is_json or request.accept_mimetypes.best == "application/json"


def unknown_survey(key: str, *, json: bool = False) -> Any:
    """404 naming the key that was not found."""
    return customer_error(404, message("unknown_survey", key=key[:64]), json=json)
