"""The in-app widget: /embed.js on the vendor's page, a server show-or-skip decision, the survey in an iframe.

The iframe page may be framed only by the survey's allowed origins (CSP frame-ancestors per response). Its
forms carry a signed widget token instead of a session CSRF token, because browsers do not send our
SameSite cookies to a page framed by another site. In identified mode the vendor's server signs the user's
email with the survey's secret (HMAC-SHA256), so nobody can answer as someone else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, jsonify, make_response, request, send_from_directory, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from survey.models import Contact, Response, Survey
from survey.services.fatigue import mark_asked, may_ask, next_ask_at
from survey.services.oneclick import LinkExpired, LinkInvalid, edit_token, read_edit_token
from survey.services.responses import SubmissionError
from survey.services.surveys import (
    channel_open,
    contact_for_identity,
    normalize_origin,
    origin_allowed,
    verify_identity,
)
from webapp.extensions import csrf, db, limiter
from webapp.public import bp
from webapp.public.i18n import message, submission_error_message, survey_state_message, use_locale
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
)
from webapp.security import CSP

WIDGET_SALT = "feedloop.widget-form.v1"
JS_DIR = Path(__file__).resolve().parent.parent / "static" / "js"


@bp.get("/embed.js")
def embed_js() -> Any:
    """The snippet's script: short public caching (unversioned URL), loadable from any site."""
    resp = send_from_directory(JS_DIR, "embed.js", mimetype="text/javascript", max_age=300, conditional=True)
    resp.headers["Content-Type"] = "text/javascript; charset=utf-8"
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return resp


@bp.get("/w/<key>/check")
@limiter.limit(public_limit)
def widget_check(key: str) -> Any:
    """Whether the widget should show now for this visitor; read-only, with CORS for the host page."""
    origin = request.headers.get("Origin") or request.args.get("origin")
    survey = find_survey(key)
    if survey is None:
        return _cors(customer_error(404, message("unknown_survey", key=key[:64]), json=True), origin)
    use_locale(survey)
    problem = _embed_problem(survey, origin)
    if problem is not None:
        return _cors(customer_error(problem[0], problem[1], json=True), origin)
    email = request.args.get("email") or ""
    identity_error = _identity_problem(survey, email, request.args.get("sig") or "")
    if identity_error is not None:
        return _cors(customer_error(403, identity_error, json=True), origin)
    from sqlalchemy import select

    contact = (
        db.session.scalar(select(Contact).where(Contact.email == email.strip().lower())) if email else None
    )
    days = int(current_app.config["FATIGUE_DAYS"])
    if contact is not None and not may_ask(contact, days):
        reason = "unsubscribed" if contact.unsubscribed else "asked_recently"
        again = next_ask_at(contact, days)
        body = {"show": False, "reason": reason, "next_ask_at": again.isoformat() + "Z" if again else None}
    else:
        body = {"show": True, "reason": None, "fatigue_days": days}
    resp = _cors(make_response(jsonify(body)), origin)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/w/<key>")
@limiter.limit(public_limit)
def widget_page(key: str) -> Any:
    """The survey inside the vendor's page (iframe): score, follow-up, thanks."""
    survey = find_survey(key)
    if survey is None:
        return _framed(
            customer_error(404, message("unknown_survey", key=key[:64]), template="public/widget_error.html"),
            None,
        )
    origin = normalize_origin(request.args.get("origin") or "") or request.args.get("origin")
    email = (request.args.get("email") or "").strip().lower()
    contact = _known_contact(email)
    locale = use_locale(survey, contact)
    problem = _embed_problem(survey, origin)
    if problem is None:
        identity_error = _identity_problem(survey, email, request.args.get("sig") or "")
        problem = (403, identity_error) if identity_error else None
    if problem is not None:
        return _framed(customer_error(problem[0], problem[1], template="public/widget_error.html"), survey)
    token = _widget_token(survey, email or None, origin)
    return _score_step(survey, locale, token, origin)


@bp.post("/w/<key>/responses")
@csrf.exempt  # framed by another site: no session cookie, the signed widget token stands in for CSRF
@limiter.limit(public_limit)
def widget_submit(key: str) -> Any:
    """The score step of the widget; answers in place with the follow-up step."""
    survey, claim, locale, error = _widget_request(key)
    if error is not None:
        return error
    assert survey is not None and claim is not None
    data = request.form.to_dict()
    token = data.get("widget_token", "")
    if honeypot_filled(data):
        return _score_step(survey, locale, token, claim["o"], error=message("honeypot"), status=400)
    contact = contact_for_identity(db.session, claim["e"], locale) if claim.get("e") else None
    try:
        result = accept_answer(survey, data, channel="widget", locale=locale, contact=contact)
    except SubmissionError as exc:
        return _score_step(
            survey,
            locale,
            token,
            claim["o"],
            error=submission_error_message(exc, survey, data),
            status=exc.status,
        )
    if data.get("comment") or result.response.score is None:
        return _thanks(survey, locale, token, claim["o"])
    return _comment_step(survey, result.response, locale, token, claim["o"])


@bp.post("/w/<key>/c/<token>")
@csrf.exempt
@limiter.limit(public_limit)
def widget_comment(key: str, token: str) -> Any:
    """The widget's follow-up step: store the comment on the scored response, then thank."""
    survey, claim, locale, error = _widget_request(key)
    if error is not None:
        return error
    assert survey is not None and claim is not None
    form_token = request.form.get("widget_token", "")
    max_age = int(current_app.config["COMMENT_LINK_MAX_AGE_HOURS"]) * 3600
    try:
        response_id = read_edit_token(current_app.config["SECRET_KEY"], token, max_age, survey.id)
    except LinkExpired:
        return _framed(
            customer_error(410, message("comment_link_expired"), template="public/widget_error.html"), survey
        )
    except LinkInvalid:
        return _framed(
            customer_error(400, message("link_invalid"), template="public/widget_error.html"), survey
        )
    response = db.session.get(Response, response_id)
    if response is None:
        return _framed(
            customer_error(404, message("link_invalid"), template="public/widget_error.html"), survey
        )
    data = request.form.to_dict()
    if honeypot_filled(data):
        return _comment_step(
            survey, response, locale, form_token, claim["o"], error=message("honeypot"), status=400, data=data
        )
    try:
        accept_comment(response, data)
    except CommentError as exc:
        return _comment_step(
            survey, response, locale, form_token, claim["o"], error=exc.text, status=exc.status, data=data
        )
    return _thanks(survey, locale, form_token, claim["o"])


@bp.post("/w/<key>/dismiss")
@csrf.exempt
@limiter.limit(public_limit)
def widget_dismiss(key: str) -> Any:
    """Closing the widget counts as having been asked, so the fatigue rule spares the visitor for N days."""
    survey, claim, _locale, error = _widget_request(key, json=True)
    if error is not None:
        return error
    assert claim is not None
    if claim.get("e"):
        contact = contact_for_identity(db.session, claim["e"])
        mark_asked(db.session, contact)
        db.session.commit()
    return _framed(make_response("", 204), survey)


# ------------------------------------------------------------------ helpers
def _embed_problem(survey: Survey, origin: str | None) -> tuple[int, str] | None:
    """Why the widget may not show here: a missing or foreign origin, a closed survey, the channel off."""
    if not origin:
        return 400, message("origin_missing")
    if not origin_allowed(survey, origin):
        return 403, message("foreign_origin", origin=origin[:200])
    if survey.status != "active":
        return 409, survey_state_message(survey)
    if not channel_open(survey, "widget"):
        return 403, message("channel_off")
    return None


def _identity_problem(survey: Survey, email: str, signature: str) -> str | None:
    """Identified surveys need a verified user; a given identity must verify in either mode."""
    if not email:
        return None if survey.anonymous else message("identity_missing")
    if not verify_identity(survey, email, signature):
        return message("identity_invalid")
    return None


def _known_contact(email: str) -> Contact | None:
    from sqlalchemy import select

    return db.session.scalar(select(Contact).where(Contact.email == email)) if email else None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=WIDGET_SALT)


def _widget_token(survey: Survey, email: str | None, origin: str | None) -> str:
    """Binds the form to the survey, the verified identity and the host origin it was shown on."""
    return _serializer().dumps({"s": survey.id, "e": email, "o": origin})


def _widget_request(key: str, json: bool = False) -> tuple[Survey | None, dict[str, Any] | None, str, Any]:
    """Survey, verified widget token and locale of a widget POST, or the error response to return."""
    survey = find_survey(key)
    if survey is None:
        return (
            None,
            None,
            "en",
            _framed(
                customer_error(
                    404,
                    message("unknown_survey", key=key[:64]),
                    json=json,
                    template="public/widget_error.html",
                ),
                None,
            ),
        )
    token = request.form.get("widget_token", "")
    claim: dict[str, Any] | None = None
    try:
        loaded = _serializer().loads(token, max_age=int(current_app.config["WIDGET_TOKEN_MAX_AGE_SECONDS"]))
        if isinstance(loaded, dict) and loaded.get("s") == survey.id:
            claim = loaded
    except (BadSignature, SignatureExpired):
        claim = None
    contact = _known_contact(str(claim.get("e") or "")) if claim else None
    locale = use_locale(survey, contact)
    if claim is None:
        return (
            survey,
            None,
            locale,
            _framed(
                customer_error(400, message("widget_token"), json=json, template="public/widget_error.html"),
                survey,
            ),
        )
    if survey.status != "active":
        return (
            survey,
            None,
            locale,
            _framed(
                customer_error(
                    409, survey_state_message(survey), json=json, template="public/widget_error.html"
                ),
                survey,
            ),
        )
    return survey, claim, locale, None


def _hidden(token: str, locale: str, origin: str | None, submission_id: str | None = None) -> dict[str, str]:
    hidden = {"widget_token": token, "lang": locale}
    if submission_id:
        hidden["submission_id"] = submission_id
    return hidden


def _widget_context(survey: Survey, token: str, origin: str | None) -> dict[str, Any]:
    return {
        "widget": True,
        "parent_origin": origin or "",
        "widget_token": token,
        "dismiss_url": url_for("public.widget_dismiss", key=survey.public_key),
    }


def _score_step(
    survey: Survey,
    locale: str,
    token: str,
    origin: str | None,
    *,
    error: str | None = None,
    status: int = 200,
) -> Any:
    context = score_step_context(
        survey,
        locale,
        action=url_for("public.widget_submit", key=survey.public_key),
        hidden=_hidden(token, locale, origin, new_submission_id()),
        error=error,
    )
    return _framed(
        page_or_fragment(
            "public/widget.html",
            "public/_score_step.html",
            status=status,
            step="score",
            **context,
            **_widget_context(survey, token, origin),
        ),
        survey,
    )


def _comment_step(
    survey: Survey,
    response: Response,
    locale: str,
    token: str,
    origin: str | None,
    *,
    error: str | None = None,
    status: int = 200,
    data: dict[str, Any] | None = None,
) -> Any:
    data = data or {}
    edit = edit_token(current_app.config["SECRET_KEY"], response)
    context = comment_step_context(
        survey,
        response,
        locale,
        action=url_for("public.widget_comment", key=survey.public_key, token=edit),
        hidden=_hidden(token, locale, origin),
        skip_url="",
        error=error,
        comment=data.get("comment") if isinstance(data.get("comment"), str) else None,
        email=str(data.get("email") or ""),
    )
    return _framed(
        page_or_fragment(
            "public/widget.html",
            "public/_comment_step.html",
            status=status,
            step="comment",
            **context,
            **_widget_context(survey, token, origin),
        ),
        survey,
    )


def _thanks(survey: Survey, locale: str, token: str, origin: str | None) -> Any:
    return _framed(
        page_or_fragment(
            "public/widget.html",
            "public/_thanks_step.html",
            step="thanks",
            survey=survey,
            locale=locale,
            **_widget_context(survey, token, origin),
        ),
        survey,
    )


def _framed(resp: Any, survey: Survey | None) -> Any:
    """Only the survey's allowed origins may frame widget responses; everything else keeps 'none'."""
    origins = " ".join((survey.allowed_origins or []) if survey is not None else []) or "'none'"
    resp.headers["Content-Security-Policy"] = CSP.replace(
        "frame-ancestors 'none'", f"frame-ancestors {origins}"
    )
    return resp


def _cors(resp: Any, origin: str | None) -> Any:
    """Let the host page read the decision (and, on refusal, the reason for its console)."""
    if origin:
        resp.headers["Access-Control-Allow-Origin"] = origin
        resp.vary.add("Origin")
    return resp
