"""The JSON API for other systems, authenticated by bearer tokens."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from sqlalchemy import select

from survey.models import Response, Verbatim
from survey.services.actions import outcome_for_response
from survey.services.analysis import latest_analysis
from survey.services.users import authenticate_token
from webapp.extensions import csrf, db

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # bearer tokens, not cookies: nothing for CSRF to ride on


def token_required(*roles: str) -> Callable[..., Any]:
    """Require a live bearer token whose role is admin or one of these."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                return _unauthorized("Send an API token as 'Authorization: Bearer <token>'.")
            token = authenticate_token(db.session, value.strip())
            if token is None:
                return _unauthorized("The API token is unknown or revoked.")
            if token.role != "admin" and token.role not in roles:
                abort(403, description=f"A {token.role} token may not use this endpoint.")
            g.api_token = token
            db.session.commit()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _unauthorized(message: str) -> Any:
    resp = jsonify(error=message)
    resp.status_code = 401
    resp.headers["WWW-Authenticate"] = 'Bearer realm="feedloop"'
    return resp


@bp.get("/responses/<int:response_id>")
@token_required("csm", "product")
def get_response(response_id: int) -> Any:
    """A response with its analysis status and results, and the follow-ups it produced."""
    response = db.session.get(Response, response_id)
    if response is None:
        abort(404, description=f"There is no response {response_id}.")
    verbatim = db.session.scalar(select(Verbatim).where(Verbatim.response_id == response.id))
    analysis = latest_analysis(db.session, verbatim.id) if verbatim else None
    outcome = outcome_for_response(db.session, response.id)
    return jsonify(
        id=response.id,
        survey_key=response.survey.public_key,
        score=response.score,
        channel=response.channel,
        answered_at=response.answered_at.isoformat() + "Z",
        contact_id=response.contact_id,
        account_id=response.account_id,
        comment=verbatim.text if verbatim else None,
        verbatim_id=verbatim.id if verbatim else None,
        analysis_status=verbatim.analysis_status if verbatim else "none",
        analysis_error=verbatim.analysis_error if verbatim else None,
        analysis=_analysis_json(analysis),
        recovery_task_id=outcome.recovery_task_id,
        advocacy_invite_id=outcome.advocacy_invite_id,
        advocate_flag_id=outcome.advocate_flag_id,
    )


def _analysis_json(analysis: Any) -> dict[str, Any] | None:
    if analysis is None:
        return None
    return {
        "model_version": analysis.model_version,
        "sentiment": analysis.sentiment,
        "sentiment_confidence": analysis.sentiment_confidence,
        "categories": analysis.categories,
        "praise": analysis.praise,
        "praise_targets": analysis.praise_targets,
        "referral_signal": analysis.referral_signal,
        "churn_risk": analysis.churn_risk,
        "score_mismatch": analysis.score_mismatch,
        "people": analysis.people,
        "competitors": analysis.competitors,
        "clauses": analysis.clauses,
        "evidence": analysis.evidence,
        "analysed_at": analysis.created_at.isoformat() + "Z",
    }
