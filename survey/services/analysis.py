"""Claiming verbatims for analysis and recording results, safely across many workers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

import numpy as np
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from nlp.types import VerbatimAnalysis, VerbatimInput
from survey.database import utcnow
from survey.models import Analysis, Response, Survey, Verbatim, VerbatimEmbedding

MAX_ANALYSIS_CHARS = 20_000
CHANNEL_BY_SOURCE = {
    "survey": "nps",
    "support_ticket": "support_ticket",
    "email": "email_to_csm",
    "review": "review_site",
    "note": "email_to_csm",
    "import": "feedback_form",
}


def claim_batch(session: Session, verbatim_id: int, limit: int) -> list[Verbatim]:
    """Mark the given verbatim and up to limit-1 other pending ones as ours; returns [] if it is not pending.

    The conditional UPDATE is atomic per row, so two workers never claim the same verbatim.
    """
    token = uuid.uuid4().hex
    now = utcnow()
    first = session.execute(
        update(Verbatim)
        .where(Verbatim.id == verbatim_id, Verbatim.analysis_status == "pending")
        .values(analysis_status="running", claim_token=token, claimed_at=now)
    )
    if first.rowcount == 0:
        return []
    if limit > 1:
        others = session.scalars(
            select(Verbatim.id)
            .where(Verbatim.analysis_status == "pending", Verbatim.id != verbatim_id)
            .order_by(Verbatim.id)
            .limit(limit - 1)
        ).all()
        if others:
            session.execute(
                update(Verbatim)
                .where(Verbatim.id.in_(others), Verbatim.analysis_status == "pending")
                .values(analysis_status="running", claim_token=token, claimed_at=now)
            )
    session.flush()
    return list(
        session.scalars(
            select(Verbatim).where(Verbatim.claim_token == token).order_by(Verbatim.id)
        ).all()
    )


def engine_inputs(session: Session, verbatims: Sequence[Verbatim]) -> list[VerbatimInput]:
    """What the engine needs per verbatim: text, channel and the score on its survey's scale."""
    response_ids = [v.response_id for v in verbatims if v.response_id]
    rows = {}
    if response_ids:
        rows = {
            rid: (score, kind)
            for rid, score, kind in session.execute(
                select(Response.id, Response.score, Survey.kind)
                .join(Survey, Survey.id == Response.survey_id)
                .where(Response.id.in_(response_ids))
            )
        }
    inputs = []
    for v in verbatims:
        score, kind = rows.get(v.response_id, (None, None))
        channel = CHANNEL_BY_SOURCE.get(v.source, "feedback_form")
        if v.source == "survey" and kind and kind != "nps":
            channel = "feedback_form"
        inputs.append(
            VerbatimInput(
                # A megabyte pasted into a form is still analysed: its head is what a person would read.
                text=v.text[:MAX_ANALYSIS_CHARS],
                channel=channel,
                score=score if kind == "nps" else None,
                survey_kind=kind,
            )
        )
    return inputs


def record_analysis(session: Session, verbatim: Verbatim, result: VerbatimAnalysis, embedding_model: str) -> None:
    """Store one result (once per model version), the embedding, and mark the verbatim done."""
    exists = session.scalar(
        select(Analysis.id).where(
            Analysis.verbatim_id == verbatim.id, Analysis.model_version == result.model_version
        )
    )
    if exists is None:
        data = result.to_dict()
        session.add(
            Analysis(
                verbatim_id=verbatim.id,
                model_version=result.model_version,
                sentiment=result.sentiment,
                sentiment_confidence=float(result.sentiment_confidence),
                praise=result.praise,
                praise_targets=list(result.praise_targets),
                referral_signal=result.referral_signal,
                churn_risk=result.churn_risk,
                score_mismatch=result.score_mismatch,
                people=list(result.people),
                competitors=list(result.competitors),
                categories=data["categories"],
                category_keys=[c.key for c in result.categories],
                clauses=data["clauses"],
                evidence={
                    "praise": data["praise_evidence"],
                    "referral": data["referral_evidence"],
                    "churn": data["churn_evidence"],
                },
            )
        )
    if result.embedding is not None:
        vector = np.asarray(result.embedding, dtype="<f4")
        row = session.get(VerbatimEmbedding, verbatim.id)
        if row is None:
            session.add(
                VerbatimEmbedding(
                    verbatim_id=verbatim.id, model=embedding_model, dim=int(vector.size), vector=vector.tobytes()
                )
            )
        else:
            row.model, row.dim, row.vector = embedding_model, int(vector.size), vector.tobytes()
    if exists is None:
        session.flush()
        from survey.services.learning import apply_human_labels

        fresh = latest_analysis(session, verbatim.id)
        if fresh is not None:
            apply_human_labels(session, fresh)
    verbatim.analysis_status = "done"
    verbatim.analysis_error = None
    verbatim.analyzed_at = utcnow()
    verbatim.claim_token = None
    verbatim.action_status = "pending"
    session.flush()
    if exists is None:
        from survey.services.webhooks import emit

        emit(session, "analysis.completed", {
            "verbatim_id": verbatim.id, "response_id": verbatim.response_id, "model_version": result.model_version,
            "sentiment": result.sentiment, "categories": [c.key for c in result.categories],
            "praise": result.praise, "churn_risk": result.churn_risk, "referral_signal": result.referral_signal,
            "summary": f"verbatim {verbatim.id}: {result.sentiment}"
                       + (", churn risk" if result.churn_risk else "") + (", praise" if result.praise else ""),
        })


def release_failed(session: Session, verbatim: Verbatim, error: str, max_attempts: int) -> None:
    """Give a claimed verbatim back after an error; after max_attempts it stays failed with the reason."""
    verbatim.analysis_attempts += 1
    verbatim.analysis_error = error[:2000]
    verbatim.claim_token = None
    verbatim.analysis_status = "failed" if verbatim.analysis_attempts >= max_attempts else "pending"
    session.flush()


def release_claims(session: Session, verbatim_ids: Sequence[int]) -> None:
    """Return still-running claims to pending after an unexpected error, so the retry can take them."""
    if verbatim_ids:
        session.execute(
            update(Verbatim)
            .where(Verbatim.id.in_(list(verbatim_ids)), Verbatim.analysis_status == "running")
            .values(analysis_status="pending", claim_token=None)
        )
        session.flush()


def latest_analysis(session: Session, verbatim_id: int) -> Analysis | None:
    """The newest analysis of a verbatim (the one the app acts on)."""
    return session.scalar(
        select(Analysis).where(Analysis.verbatim_id == verbatim_id).order_by(Analysis.id.desc()).limit(1)
    )


def stale_claims(session: Session, older_than_seconds: int) -> int:
    """Return verbatims claimed by a worker that died to pending; the count says how many."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    result = session.execute(
        update(Verbatim)
        .where(Verbatim.analysis_status == "running", Verbatim.claimed_at < cutoff)
        .values(analysis_status="pending", claim_token=None)
    )
    return result.rowcount or 0


def first_pending(session: Session) -> int | None:
    """The oldest verbatim never tried yet: where the next analysis round starts (retries wait for backoff)."""
    return session.scalar(
        select(Verbatim.id)
        .where(Verbatim.analysis_status == "pending", Verbatim.analysis_attempts == 0)
        .order_by(Verbatim.id)
        .limit(1)
    )


def needing_work(session: Session, older_than_seconds: int, limit: int = 5000) -> tuple[list[int], list[int]]:
    """Ids of verbatims waiting for analysis and of analysed ones waiting for their follow-up."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    to_analyze = session.scalars(
        select(Verbatim.id)
        .where(Verbatim.analysis_status == "pending", Verbatim.created_at <= cutoff)
        .order_by(Verbatim.id)
        .limit(limit)
    ).all()
    to_act = session.scalars(
        select(Verbatim.id)
        .where(
            Verbatim.analysis_status == "done",
            Verbatim.action_status == "pending",
            or_(Verbatim.analyzed_at.is_(None), and_(Verbatim.analyzed_at <= cutoff)),
        )
        .order_by(Verbatim.id)
        .limit(limit)
    ).all()
    return list(to_analyze), list(to_act)
