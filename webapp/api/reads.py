"""Reads for other systems: responses with their analyses, verbatims, recovery tasks and invites."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import g, jsonify, request
from spectree import Response as SpecResponse
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from survey.models import AdvocacyInvite, Analysis, Contact, RecoveryTask, Response, Verbatim
from survey.services.actions import outcome_for_response
from survey.services.analysis import latest_analysis
from webapp.api import bp, not_found, token_required
from webapp.api.schemas import (
    MAX_ID,
    ErrorOut,
    ExportOut,
    ExportQuery,
    InviteListOut,
    InviteQuery,
    ResponseOut,
    TaskListOut,
    TaskOut,
    TaskQuery,
    VerbatimListOut,
    VerbatimQuery,
)
from webapp.api.spec import spec
from webapp.extensions import db

ERRORS = {"HTTP_401": ErrorOut, "HTTP_403": ErrorOut}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


def analysis_json(analysis: Analysis | None) -> dict[str, Any] | None:
    """An analysis as the API shows it."""
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
        "analysed_at": _iso(analysis.created_at),
    }


@bp.get("/responses/<int:response_id>")
@token_required("csm", "product")
@spec.validate(resp=SpecResponse(HTTP_200=ResponseOut, HTTP_404=ErrorOut, **ERRORS), tags=["responses"])
def get_response(response_id: int) -> Any:
    """A response with its analysis status and results, and the follow-ups it produced."""
    response = db.session.get(Response, response_id) if response_id <= MAX_ID else None
    if response is None:
        return not_found(f"There is no response {response_id}.")
    verbatim = db.session.scalar(select(Verbatim).where(Verbatim.response_id == response.id))
    analysis = latest_analysis(db.session, verbatim.id) if verbatim else None
    outcome = outcome_for_response(db.session, response.id)
    return jsonify(
        id=response.id,
        survey_key=response.survey.public_key,
        score=response.score,
        channel=response.channel,
        answered_at=_iso(response.answered_at),
        contact_id=response.contact_id,
        account_id=response.account_id,
        comment=verbatim.text if verbatim else None,
        verbatim_id=verbatim.id if verbatim else None,
        analysis_status=verbatim.analysis_status if verbatim else "none",
        analysis_error=verbatim.analysis_error if verbatim else None,
        analysis=analysis_json(analysis),
        recovery_task_id=outcome.recovery_task_id,
        advocacy_invite_id=outcome.advocacy_invite_id,
        advocate_flag_id=outcome.advocate_flag_id,
    )


@bp.get("/verbatims")
@token_required("csm", "product")
@spec.validate(query=VerbatimQuery, resp=SpecResponse(HTTP_200=VerbatimListOut, **ERRORS), tags=["verbatims"])
def list_verbatims() -> Any:
    """Verbatims newest first with their analyses, filtered like the insights page; keyset-paginated."""
    q: VerbatimQuery = request.context.query  # type: ignore[attr-defined]
    query = _filtered(q)
    if q.before_id:
        query = query.where(Verbatim.id < q.before_id)
    verbatims = list(db.session.scalars(query.order_by(Verbatim.id.desc()).limit(q.limit * (4 if q.category else 1))))
    analyses = _latest_analyses([v.id for v in verbatims])
    if q.category:
        verbatims = [v for v in verbatims if v.id in analyses and q.category in analyses[v.id].category_keys]
    verbatims = verbatims[: q.limit]
    next_before = verbatims[-1].id if len(verbatims) == q.limit else None
    return jsonify(items=[_verbatim_json(v, analyses.get(v.id)) for v in verbatims], next_before_id=next_before)


EXPORT_LIMIT = 50_000


@bp.get("/verbatims/export")
@token_required("csm", "product")
@spec.validate(query=ExportQuery, resp=SpecResponse(HTTP_200=ExportOut, **ERRORS), tags=["verbatims"])
def export_verbatims() -> Any:
    """The whole filtered set in one JSON document (up to 50,000 verbatims), audited like page exports."""
    from survey.services.audit import record

    q: ExportQuery = request.context.query  # type: ignore[attr-defined]
    query = _filtered(q)
    verbatims = list(db.session.scalars(query.order_by(Verbatim.id.desc()).limit(EXPORT_LIMIT + 1)))
    truncated = len(verbatims) > EXPORT_LIMIT
    verbatims = verbatims[:EXPORT_LIMIT]
    analyses = _latest_analyses([v.id for v in verbatims])
    if q.category:
        verbatims = [v for v in verbatims if v.id in analyses and q.category in analyses[v.id].category_keys]
    record(db.session, "feedback_exported", actor=g.api_token.created_by, actor_label=f"token:{g.api_token.prefix}",
           target_type="export", target_id="api", details={"filters": q.model_dump(mode="json", exclude_none=True)})
    db.session.commit()
    items = [_verbatim_json(v, analyses.get(v.id)) for v in verbatims]
    return jsonify(count=len(items), truncated=truncated, items=items)


def _filtered(q: ExportQuery) -> Any:
    """Verbatims (with response and contact) under the shared filters: source, account, dates, sentiment."""
    query = select(Verbatim).options(selectinload(Verbatim.response), selectinload(Verbatim.contact))
    if q.source:
        query = query.where(Verbatim.source == q.source)
    if q.account_id:
        query = query.where(Verbatim.account_id == q.account_id)
    if q.since:
        query = query.where(Verbatim.created_at >= datetime.combine(q.since, time.min))
    if q.until:
        query = query.where(Verbatim.created_at <= datetime.combine(q.until, time.max))
    if q.sentiment:
        query = query.where(select(Analysis.verbatim_id).where(
            Analysis.verbatim_id == Verbatim.id, Analysis.sentiment == q.sentiment).exists())
    return query


def _verbatim_json(v: Verbatim, analysis: Analysis | None) -> dict[str, Any]:
    show_contacts = g.api_token.role in ("admin", "csm")
    return {
        "id": v.id,
        "source": v.source,
        "external_id": v.external_id,
        "text": v.text,
        "created_at": _iso(v.created_at),
        "account_id": v.account_id,
        "contact_id": v.contact_id if show_contacts else None,
        "contact_email": v.contact.email if (show_contacts and v.contact) else None,
        "score": v.response.score if v.response else None,
        "analysis_status": v.analysis_status,
        "analysis": analysis_json(analysis),
    }


def _latest_analyses(ids: list[int]) -> dict[int, Analysis]:
    out: dict[int, Analysis] = {}
    if ids:
        for a in db.session.scalars(select(Analysis).where(Analysis.verbatim_id.in_(ids)).order_by(Analysis.id)):
            out[a.verbatim_id] = a
    return out


def _task_json(task: RecoveryTask) -> dict[str, Any]:
    return {
        "id": task.id, "status": task.status, "priority": task.priority, "reason": task.reason, "score": task.score,
        "account_id": task.account_id, "contact_id": task.contact_id, "owner_id": task.owner_id,
        "due_at": _iso(task.due_at), "created_at": _iso(task.created_at), "resolved_at": _iso(task.resolved_at),
        "verbatim_ids": [link.verbatim_id for link in task.links],
    }


def _task_visibility() -> Any:
    """A csm token acts as the user who created it: own accounts' tasks and unassigned ones."""
    token = g.api_token
    if token.role == "admin":
        return True
    if token.created_by_id is None:
        return RecoveryTask.owner_id.is_(None)
    return or_(RecoveryTask.owner_id == token.created_by_id, RecoveryTask.owner_id.is_(None))


@bp.get("/tasks")
@token_required("csm")
@spec.validate(query=TaskQuery, resp=SpecResponse(HTTP_200=TaskListOut, **ERRORS), tags=["recovery"])
def list_tasks() -> Any:
    """Recovery tasks visible to the token, highest priority first."""
    q: TaskQuery = request.context.query  # type: ignore[attr-defined]
    query = select(RecoveryTask).options(selectinload(RecoveryTask.links)).where(_task_visibility())
    if q.status:
        query = query.where(RecoveryTask.status == q.status)
    tasks = db.session.scalars(query.order_by(RecoveryTask.priority_score.desc(), RecoveryTask.id).limit(q.limit))
    return jsonify(items=[_task_json(t) for t in tasks])


@bp.get("/tasks/<int:task_id>")
@token_required("csm")
@spec.validate(resp=SpecResponse(HTTP_200=TaskOut, HTTP_404=ErrorOut, **ERRORS), tags=["recovery"])
def get_task(task_id: int) -> Any:
    """One recovery task, if the token may see it."""
    task = None
    if task_id <= MAX_ID:
        task = db.session.scalar(select(RecoveryTask).where(RecoveryTask.id == task_id, _task_visibility()))
    if task is None:
        return not_found(f"There is no task {task_id} visible to this token.")
    return jsonify(_task_json(task))


@bp.get("/invites")
@token_required("marketing")
@spec.validate(query=InviteQuery, resp=SpecResponse(HTTP_200=InviteListOut, **ERRORS), tags=["advocacy"])
def list_invites() -> Any:
    """Advocacy invites (only for contacts who gave marketing consent), newest first."""
    q: InviteQuery = request.context.query  # type: ignore[attr-defined]
    query = (
        select(AdvocacyInvite)
        .join(Contact, Contact.id == AdvocacyInvite.contact_id)
        .where(Contact.marketing_consent.is_(True))
    )
    if q.status:
        query = query.where(AdvocacyInvite.status == q.status)
    invites = db.session.scalars(query.order_by(AdvocacyInvite.id.desc()).limit(q.limit))
    return jsonify(items=[{
        "id": i.id, "status": i.status, "ask_type": i.ask_type, "contact_id": i.contact_id,
        "account_id": i.account_id, "verbatim_id": i.verbatim_id, "created_at": _iso(i.created_at),
        "sent_at": _iso(i.sent_at)} for i in invites])
