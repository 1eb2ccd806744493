"""What customers see: the hosted survey page and the submission endpoint."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import select
from wtforms import ValidationError

from survey.models import Survey
from survey.scoring import score_range
from survey.services.responses import SubmissionError, parse_submission, store_submission
from webapp.extensions import csrf, db, limiter
from workers.enqueue import enqueue_analysis

bp = Blueprint("public", __name__)


def _public_limit() -> str:
    return current_app.config["PUBLIC_RATE_LIMIT"]


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _survey_or_404(key: str) -> Survey:
    survey = db.session.scalar(select(Survey).where(Survey.public_key == key)) if len(key) <= 64 else None
    if survey is None:
        abort(404, description=f"There is no survey with the key {key!r}.")
    return survey


@bp.get("/s/<key>")
@limiter.limit(_public_limit)
def survey_page(key: str) -> Any:
    """The hosted survey: a plain form that works without JavaScript."""
    survey = _survey_or_404(key)
    bounds = score_range(survey.kind)
    scores = list(range(bounds[0], bounds[1] + 1)) if bounds else []
    return render_template("public/survey.html", survey=survey, scores=scores, error=None, form={})


@bp.post("/s/<key>/responses")
@csrf.exempt  # JSON needs no token (browsers can't send it cross-site without CORS); forms are checked below
@limiter.limit(_public_limit)
def submit(key: str) -> Any:
    """Store an answer, commit, then queue its analysis; Redis being down never loses the answer."""
    survey = _survey_or_404(key)
    is_json = request.is_json
    if is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return _error("The request body must be a JSON object.", None, 400, json=True)
    else:
        data = request.form.to_dict()
        try:
            validate_csrf(data.get("csrf_token"))
        except (ValidationError, CSRFError):
            return _error("The form has expired or is missing its security token; please reload the page and try again.",
                          None, 400, json=False, survey=survey, form=data)
    if data.get("website"):  # honeypot: people leave it empty, bots fill it in
        return _error("The submission was rejected.", "website", 400, json=is_json, survey=survey, form=data)
    try:
        sub = parse_submission(survey, data, max_comment_chars=int(current_app.config["MAX_COMMENT_CHARS"]),
                               channel="api" if is_json else "link")
    except SubmissionError as exc:
        return _error(exc.message, exc.field, exc.status, json=is_json, survey=survey, form=data)
    result = store_submission(db.session, survey, sub)
    db.session.commit()
    if result.created and result.verbatim is not None:
        enqueue_analysis(result.verbatim.id)
    if is_json:
        return jsonify(response_id=result.response.id, duplicate=not result.created), 201 if result.created else 200
    return redirect(url_for("public.thanks", key=key), code=303)


@bp.get("/s/<key>/thanks")
def thanks(key: str) -> Any:
    """The last step of the hosted survey."""
    survey = _survey_or_404(key)
    return render_template("public/thanks.html", survey=survey)


def _error(message: str, field: str | None, status: int, *, json: bool, survey: Survey | None = None,
           form: dict[str, Any] | None = None) -> Any:
    if json or survey is None:
        return jsonify(error=message, field=field), status
    bounds = score_range(survey.kind)
    scores = list(range(bounds[0], bounds[1] + 1)) if bounds else []
    return render_template("public/survey.html", survey=survey, scores=scores, error=message,
                           form=form or {}), status
