"""Claiming verbatims for analysis and recording results, safely across many workers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

import numpy as np
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session

from nlp.types import VerbatimAnalysis, VerbatimInput
from survey.database import utcnow
from survey.models import Account, Analysis, Response, Survey, Verbatim, VerbatimEmbedding

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
        # SKIP LOCKED (PostgreSQL; SQLite has one writer anyway): rows another worker is claiming right now
        # are left to it, so two workers that start together take two full batches instead of racing for one.
        # Only verbatims never tried join a batch: one that failed waits for its own retry's backoff (its
        # job's, or the sweeper's), so a batch that fails every time is not claimed again by the next at once.
        others = session.scalars(
            select(Verbatim.id)
            .where(Verbatim.analysis_status == "pending", Verbatim.analysis_attempts == 0,
                   Verbatim.id != verbatim_id)
            .order_by(Verbatim.id)
            .limit(limit - 1)
            .with_for_update(skip_locked=True)
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


def record_analyses(
    session: Session, results: Sequence[tuple[Verbatim, VerbatimAnalysis]], embedding_model: str
) -> dict[int, Analysis]:
    """Store a batch's results (once per model version) and embeddings, and mark the verbatims done.

    A handful of statements for the whole batch instead of seven per verbatim: the worker's time went to round
    trips, not to the model. Returns the analyses written now, by verbatim id (re-runs write none).
    """
    if not results:
        return {}
    ids = [verbatim.id for verbatim, _ in results]
    versions = sorted({result.model_version for _, result in results})
    stored = {
        (row[0], row[1])
        for row in session.execute(
            select(Analysis.verbatim_id, Analysis.model_version).where(
                Analysis.verbatim_id.in_(ids), Analysis.model_version.in_(versions)
            )
        )
    }
    embeddings = {
        row.verbatim_id: row
        for row in session.scalars(select(VerbatimEmbedding).where(VerbatimEmbedding.verbatim_id.in_(ids)))
    }
    fresh: dict[int, tuple[Analysis, VerbatimAnalysis]] = {}
    for verbatim, result in results:
        if (verbatim.id, result.model_version) not in stored and verbatim.id not in fresh:
            analysis = _analysis_row(verbatim.id, result)
            session.add(analysis)
            fresh[verbatim.id] = (analysis, result)
        if result.embedding is not None:
            vector = np.asarray(result.embedding, dtype="<f4")
            row = embeddings.get(verbatim.id)
            if row is None:
                row = VerbatimEmbedding(verbatim_id=verbatim.id, model=embedding_model, dim=int(vector.size),
                                        vector=vector.tobytes())
                session.add(row)
                embeddings[verbatim.id] = row
            else:
                row.model, row.dim, row.vector = embedding_model, int(vector.size), vector.tobytes()
    session.flush()  # one multi-row INSERT … RETURNING per table
    if fresh:
        from survey.services.learning import apply_human_labels_to

        apply_human_labels_to(session, [analysis for analysis, _ in fresh.values()])
    now = utcnow()
    for verbatim, _ in results:
        verbatim.analysis_status = "done"
        verbatim.analysis_error = None
        verbatim.analyzed_at = now
        verbatim.claim_token = None
        verbatim.action_status = "pending"
    session.flush()
    from survey.services.webhooks import emit

    by_id = {verbatim.id: verbatim for verbatim, _ in results}
    for verbatim_id, (_analysis, result) in fresh.items():
        verbatim = by_id[verbatim_id]
        emit(session, "analysis.completed", {
            "verbatim_id": verbatim.id, "response_id": verbatim.response_id,
            "model_version": result.model_version, "sentiment": result.sentiment,
            "categories": [c.key for c in result.categories], "praise": result.praise,
            "churn_risk": result.churn_risk, "referral_signal": result.referral_signal,
            "summary": f"verbatim {verbatim.id}: {result.sentiment}"
                       + (", churn risk" if result.churn_risk else "") + (", praise" if result.praise else ""),
        })
    return {verbatim_id: analysis for verbatim_id, (analysis, _) in fresh.items()}


def _analysis_row(verbatim_id: int, result: VerbatimAnalysis) -> Analysis:
    data = result.to_dict()
    return Analysis(
        verbatim_id=verbatim_id,
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


def follow_up_rows(session: Session, verbatims: Sequence[Verbatim]) -> list[object]:
    """Load the surveys and accounts a batch's follow-ups read, in two queries instead of a few per verbatim.

    The session holds rows weakly: the caller keeps the list while the follow-ups run. Answers and contacts
    are read afresh by each follow-up: a score changed or a consent withdrawn a second ago must count.
    """
    response_ids = sorted({v.response_id for v in verbatims if v.response_id})
    surveys = list(session.scalars(
        select(Survey).where(Survey.id.in_(select(Response.survey_id).where(Response.id.in_(response_ids))))
    )) if response_ids else []
    account_ids = sorted({v.account_id for v in verbatims if v.account_id})
    accounts = (list(session.scalars(select(Account).where(Account.id.in_(account_ids))))
                if account_ids else [])
    return [*surveys, *accounts]


def release_failed(session: Session, verbatim: Verbatim, error: str, max_attempts: int) -> None:
    """Give a claimed verbatim back after an error; after max_attempts it stays failed with the reason."""
    verbatim.analysis_attempts += 1
    verbatim.analysis_error = error[:2000]
    verbatim.claim_token = None
    verbatim.analysis_status = "failed" if verbatim.analysis_attempts >= max_attempts else "pending"
    session.flush()


def release_claims(session: Session, verbatim_ids: Sequence[int], error: str, max_attempts: int) -> None:
    """Give still-running claims back after an unexpected batch error, with the attempt counted.

    Counting it matters: the next analysis round starts at verbatims never tried, so a batch that fails every
    time waits for its job's backoff (and the sweeper) instead of being claimed again at once, over and over;
    after max_attempts it stays failed with the reason.
    """
    if not verbatim_ids:
        return
    session.execute(
        update(Verbatim)
        .where(Verbatim.id.in_(list(verbatim_ids)), Verbatim.analysis_status == "running")
        .values(
            analysis_attempts=Verbatim.analysis_attempts + 1,
            analysis_error=error[:2000],
            claim_token=None,
            analysis_status=case((Verbatim.analysis_attempts + 1 >= max_attempts, "failed"), else_="pending"),
        )
        .execution_options(synchronize_session=False)
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


def needing_work(
    session: Session, older_than_seconds: int, limit: int = 5000
) -> tuple[list[int], list[int], list[int]]:
    """Ids of verbatims waiting for a first analysis, of those waiting to retry one, and of analysed ones
    waiting for their follow-up."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    pending = session.execute(
        select(Verbatim.id, Verbatim.analysis_attempts)
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
    fresh = [vid for vid, attempts in pending if attempts == 0]
    retries = [vid for vid, attempts in pending if attempts > 0]
    return fresh, retries, list(to_act)
