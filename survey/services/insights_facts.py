"""Keeps the insights read model (InsightFact) in step with verbatims, responses, analyses and corrections.

Sources only ever grow ids (new verbatims, responses, analyses, human labels), so the read model catches up from
four watermarks: a cheap PK range read on every insights request, a scheduled job for the bulk, and
`feedloop insights rebuild-facts` from scratch. Refreshing a fact deletes and re-inserts it, so repeating any
of this is harmless.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import (
    Analysis,
    Category,
    HumanLabel,
    InsightFact,
    InsightFactCategory,
    InsightSyncState,
    Response,
    Survey,
    Verbatim,
)
from survey.scoring import bucket

ADVISORY_LOCK = 6_060_601  # PostgreSQL: one catch-up at a time; the others read what is there
CHUNK = 2000


def sync_state(session: Session) -> InsightSyncState:
    """The single watermark row, created on first use with a fresh token for the vector index to match."""
    state = session.get(InsightSyncState, 1)
    if state is None:
        state = InsightSyncState(id=1, token=uuid.uuid4().hex)
        session.add(state)
        session.flush()
    return state


def refresh(session: Session, verbatim_ids: Iterable[int] = (), response_ids: Iterable[int] = ()) -> int:
    """Re-derive the facts of these verbatims and of these responses (those without a verbatim); returns rows."""
    vids = sorted(set(verbatim_ids))
    rids = sorted(set(response_ids))
    written = 0
    for start in range(0, max(len(vids), 1), CHUNK):
        written += _refresh_verbatims(session, vids[start:start + CHUNK])
    for start in range(0, max(len(rids), 1), CHUNK):
        written += _refresh_responses(session, rids[start:start + CHUNK])
    return written


def _refresh_verbatims(session: Session, ids: Sequence[int]) -> int:
    if not ids:
        return 0
    rows = session.execute(
        select(Verbatim.id, Verbatim.created_at, Verbatim.source, Verbatim.text, Verbatim.account_id,
               Verbatim.contact_id, Verbatim.response_id, Response.score, Response.survey_id, Response.answered_at,
               Response.account_id.label("response_account_id"), Response.contact_id.label("response_contact_id"),
               Survey.kind)
        .outerjoin(Response, Response.id == Verbatim.response_id)
        .outerjoin(Survey, Survey.id == Response.survey_id)
        .where(Verbatim.id.in_(ids))
    ).all()
    newest = select(func.max(Analysis.id)).where(Analysis.verbatim_id.in_(ids)).group_by(Analysis.verbatim_id)
    analyses = {a.verbatim_id: a for a in session.execute(
        select(Analysis.id, Analysis.verbatim_id, Analysis.sentiment, Analysis.praise, Analysis.churn_risk,
               Analysis.corrected, Analysis.categories, Analysis.category_keys).where(Analysis.id.in_(newest))
    ).all()}
    bits = category_bits(session)
    response_ids = [r.response_id for r in rows if r.response_id]
    stale = InsightFact.verbatim_id.in_(ids)
    if response_ids:
        stale = or_(stale, InsightFact.response_id.in_(response_ids))
    session.execute(delete(InsightFact).where(stale))
    facts: list[dict[str, Any]] = []
    categories: dict[int, list[tuple[str, str]]] = {}
    for r in rows:
        a = analyses.get(r.id)
        created = r.answered_at if r.response_id and r.answered_at else r.created_at
        facts.append({
            "verbatim_id": r.id, "response_id": r.response_id, "created_at": created, "source": r.source,
            "has_text": bool((r.text or "").strip()), "survey_id": r.survey_id, "survey_kind": r.kind,
            "score": r.score, "bucket": bucket(r.kind, r.score) if r.kind else None,
            "account_id": r.response_account_id if r.response_account_id is not None else r.account_id,
            "contact_id": r.response_contact_id if r.response_contact_id is not None else r.contact_id,
            "analysis_id": a.id if a else None, "sentiment": a.sentiment if a else None,
            "praise": bool(a.praise) if a else False, "churn_risk": bool(a.churn_risk) if a else False,
            "corrected": bool(a.corrected) if a else False,
            "category_mask": 0, "positive_mask": 0, "negative_mask": 0,
        })
        if a is not None:
            polarity = {c.get("key"): c.get("polarity") or "neutral" for c in (a.categories or [])}
            categories[r.id] = [(k, polarity.get(k, "neutral")) for k in dict.fromkeys(a.category_keys or [])]
            facts[-1].update(_masks(categories[r.id], bits))
    return _insert(session, facts, categories, key="verbatim_id")


MAX_BIT = 62  # bits 1..62 of a signed 64-bit integer


def category_bits(session: Session) -> dict[str, int]:
    """Category key -> its bit in the fact masks (the category's id, for ids 1..62)."""
    return {key: cid for key, cid in session.execute(select(Category.key, Category.id)) if 0 < cid <= MAX_BIT}


def _masks(categories: list[tuple[str, str]], bits: dict[str, int]) -> dict[str, int]:
    out = {"category_mask": 0, "positive_mask": 0, "negative_mask": 0}
    for key, polarity in categories:
        bit = bits.get(key)
        if bit is None:
            continue
        out["category_mask"] |= 1 << bit
        if polarity in ("positive", "negative"):
            out[f"{polarity}_mask"] |= 1 << bit
    return out


def _refresh_responses(session: Session, ids: Sequence[int]) -> int:
    """Scored answers without a verbatim: they count in NPS but are not listed."""
    if not ids:
        return 0
    has_verbatim = select(Verbatim.response_id).where(Verbatim.response_id.in_(ids))
    rows = session.execute(
        select(Response.id, Response.answered_at, Response.score, Response.survey_id, Response.account_id,
               Response.contact_id, Survey.kind)
        .join(Survey, Survey.id == Response.survey_id)
        .where(Response.id.in_(ids), Response.id.not_in(has_verbatim))
    ).all()
    session.execute(delete(InsightFact).where(InsightFact.response_id.in_([r.id for r in rows]),
                                              InsightFact.verbatim_id.is_(None)))
    facts = [{
        "verbatim_id": None, "response_id": r.id, "created_at": r.answered_at, "source": "survey",
        "has_text": False, "survey_id": r.survey_id, "survey_kind": r.kind, "score": r.score,
        "bucket": bucket(r.kind, r.score), "account_id": r.account_id, "contact_id": r.contact_id,
        "analysis_id": None, "sentiment": None, "praise": False, "churn_risk": False, "corrected": False,
        "category_mask": 0, "positive_mask": 0, "negative_mask": 0,
    } for r in rows if r.score is not None]
    return _insert(session, facts, {}, key="response_id")


def _insert(session: Session, facts: list[dict[str, Any]], categories: dict[int, list[tuple[str, str]]],
            key: str) -> int:
    if not facts:
        return 0
    created = {f[key]: f["created_at"] for f in facts}
    rows = session.execute(insert(InsightFact).returning(InsightFact.id, getattr(InsightFact, key)), facts).all()
    links = [
        {"fact_id": fact_id, "category_key": k, "polarity": p, "created_at": created[owner]}
        for fact_id, owner in rows for k, p in categories.get(owner, [])
    ]
    if links:
        session.execute(insert(InsightFactCategory), links)
    return len(rows)


def _lock(session: Session) -> bool:
    """Only one catch-up at a time on PostgreSQL (SQLite serialises writers by itself)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK}))


def catch_up(session: Session, limit: int = CHUNK) -> dict[str, Any]:
    """Bring the read model up to date with at most `limit` new rows of each source; `more` says if some remain."""
    if not _lock(session):
        return {"refreshed": 0, "more": False, "busy": True}
    state = sync_state(session)
    new_verbatims = session.scalars(select(Verbatim.id).where(Verbatim.id > state.last_verbatim_id)
                                    .order_by(Verbatim.id).limit(limit)).all()
    new_analyses = session.execute(select(Analysis.id, Analysis.verbatim_id).where(Analysis.id > state.last_analysis_id)
                                   .order_by(Analysis.id).limit(limit)).all()
    new_labels = session.execute(select(HumanLabel.id, HumanLabel.verbatim_id)
                                 .where(HumanLabel.id > state.last_label_id).order_by(HumanLabel.id).limit(limit)).all()
    new_responses = session.scalars(select(Response.id).where(Response.id > state.last_response_id)
                                    .order_by(Response.id).limit(limit)).all()
    verbatim_ids = set(new_verbatims) | {v for _, v in new_analyses} | {v for _, v in new_labels}
    refreshed = refresh(session, verbatim_ids, new_responses)
    if new_verbatims:
        state.last_verbatim_id = new_verbatims[-1]
    if new_analyses:
        state.last_analysis_id = new_analyses[-1][0]
    if new_labels:
        state.last_label_id = new_labels[-1][0]
    if new_responses:
        state.last_response_id = new_responses[-1]
    more = any(len(x) >= limit for x in (new_verbatims, new_analyses, new_labels, new_responses))
    if refreshed or more:
        state.synced_at = utcnow()
    session.flush()
    return {"refreshed": refreshed, "more": more, "busy": False}


def rebuild(session: Session, chunk: int = 5000, progress: Any = None) -> int:
    """Recreate the whole read model from the source tables (after a restore, or to repair drift)."""
    state = sync_state(session)
    marks = {
        "verbatim": session.scalar(select(func.coalesce(func.max(Verbatim.id), 0))),
        "analysis": session.scalar(select(func.coalesce(func.max(Analysis.id), 0))),
        "label": session.scalar(select(func.coalesce(func.max(HumanLabel.id), 0))),
        "response": session.scalar(select(func.coalesce(func.max(Response.id), 0))),
    }
    session.execute(delete(InsightFactCategory))
    session.execute(delete(InsightFact))
    written = 0
    last = 0
    while True:
        ids = session.scalars(select(Verbatim.id).where(Verbatim.id > last, Verbatim.id <= marks["verbatim"])
                              .order_by(Verbatim.id).limit(chunk)).all()
        if not ids:
            break
        written += _refresh_verbatims(session, ids)
        last = ids[-1]
        if progress:
            progress(written)
    last = 0
    while True:
        ids = session.scalars(select(Response.id).where(Response.id > last, Response.id <= marks["response"])
                              .order_by(Response.id).limit(chunk)).all()
        if not ids:
            break
        written += _refresh_responses(session, ids)
        last = ids[-1]
    state.last_verbatim_id, state.last_analysis_id = marks["verbatim"], marks["analysis"]
    state.last_label_id, state.last_response_id = marks["label"], marks["response"]
    state.synced_at = utcnow()
    session.flush()
    return written
