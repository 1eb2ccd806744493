"""RQ jobs of the insights area: keep the read model and the vector index current, detect themes daily,
start tracked re-analyses, draft "we fixed it" messages. Each takes ids, reloads rows and is idempotent."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)
SYNC_ROUNDS = 50  # rows per round are bounded by catch_up; a larger backlog continues in the next job


def sync_insights() -> dict[str, Any]:
    """Catch the read model up, fold new embeddings into the index, and queue today's theme detection."""
    from sqlalchemy import select

    from survey.models import ReanalysisRun, ThemeRun, Verbatim
    from survey.services import insights_facts, insights_loop
    from survey.services.themes import ThemeSettings
    from webapp.extensions import db
    from workers import enqueue

    app = current_app._get_current_object()
    session = db.session
    refreshed, more = 0, False
    for _ in range(SYNC_ROUNDS):
        result = insights_facts.catch_up(session, limit=2000)
        session.commit()
        refreshed += result["refreshed"]
        more = result["more"]
        if not more or result["busy"]:
            break
    index = _maybe_update_index(app, session)
    session.commit()
    for run in session.scalars(select(ReanalysisRun).where(ReanalysisRun.status == "running")):
        insights_loop.progress(session, run)
    session.commit()
    settings = ThemeSettings.from_config(app.config)
    period_end = _today()
    backlog = session.scalar(select(Verbatim.id).where(Verbatim.analysis_status.in_(("pending", "running"))).limit(1))
    # themes once a day, after the analysis backlog has drained (a fresh install clusters its whole first batch)
    if backlog is None and session.scalar(select(ThemeRun.id).where(ThemeRun.period_end == period_end,
                                                ThemeRun.period_start == period_end - timedelta(days=settings.period_days))) is None:
        enqueue.enqueue_theme_detection(period_end.isoformat())
    if more:
        enqueue.enqueue_insights_sync()
    return {"refreshed": refreshed, "more": more, "index": index}


def _today() -> datetime:
    from survey.database import utcnow

    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


def _maybe_update_index(app: Any, session: Any) -> dict[str, Any] | None:
    """Rewrite the index file when enough is waiting or it is old; the tail is searched exactly meanwhile."""
    import time

    from sqlalchemy import func, select

    from survey.models import InsightFact
    from survey.services import search

    path = search.index_path(app)
    meta = search.read_meta(path)
    if meta is not None and meta.get("token") == _token(session):
        waiting = session.scalar(select(func.count(InsightFact.id)).where(
            InsightFact.analysis_id > int(meta["watermark"]))) or 0
        age = time.time() - path.stat().st_mtime if path.exists() else 1e9
        if waiting == 0 or (waiting < int(app.config.get("INSIGHTS_INDEX_TAIL", 2000))
                            and age < int(app.config.get("INSIGHTS_INDEX_MAX_AGE_SECONDS", 900))):
            return {"waiting": int(waiting)}
    return search.update_index(session, path)


def _token(session: Any) -> str:
    from survey.services.insights_facts import sync_state

    return sync_state(session).token


def rebuild_search_index() -> dict[str, Any]:
    """Rebuild the vector index from every stored embedding."""
    from survey.services import insights_facts, search
    from webapp.extensions import db

    app = current_app._get_current_object()
    session = db.session
    insights_facts.catch_up(session, limit=50_000)
    session.commit()
    meta = search.build_index(session, search.index_path(app))
    session.commit()
    return meta


def detect_themes(period_end: str | None = None) -> dict[str, Any]:
    """Cluster the period's verbatims into themes, then notify the product team of emerging ones (once)."""
    from flask import url_for

    from survey.services import insights_facts, themes
    from webapp.extensions import db
    from workers import enqueue, runtime

    app = current_app._get_current_object()
    session = db.session
    insights_facts.catch_up(session, limit=50_000)
    session.commit()
    engine = runtime.engine_for_batch(app, session)
    end = datetime.fromisoformat(period_end) if period_end else None
    run = themes.detect_themes(session, engine.nlp, themes.ThemeSettings.from_config(app.config), end)
    session.commit()
    with app.test_request_context(base_url=app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"):
        link = url_for("insights.themes_page", _external=True)
    result = themes.notify(session, run, app.config, link)
    if result.get("webhook"):
        themes.post_webhook(result["webhook"], result["webhook_payload"])  # raises: rolled back, retried
    session.commit()
    for outbox_id in result.get("outbox_ids", []):
        enqueue.enqueue_send_email(outbox_id)
    return {"run_id": run.id, "themes": run.n_themes, "verbatims": run.n_verbatims,
            "emerging": result.get("emerging", 0)}


def start_reanalysis(run_id: int) -> dict[str, Any]:
    """Fix the run's target model version and size, then send the history back through analysis."""
    from survey.models import ReanalysisRun
    from survey.services import insights_facts, insights_loop
    from webapp.extensions import db
    from workers import enqueue, runtime

    app = current_app._get_current_object()
    session = db.session
    run = session.get(ReanalysisRun, run_id)
    if run is None or run.status != "pending":
        return {"run_id": run_id, "skipped": "not pending"}
    insights_facts.catch_up(session, limit=50_000)
    engine = runtime.engine_for_batch(app, session)
    insights_loop.begin_run(session, run, engine.model_version)
    session.commit()
    enqueue.enqueue_reanalysis()
    return {"run_id": run_id, "total": run.total, "model_version": run.model_version}


def draft_fix_messages(note_id: int) -> dict[str, Any]:
    """Draft a "we fixed it" message to every detractor the fixed problem hurt in the chosen period."""
    from survey.models import FixNote
    from survey.services import insights_facts, insights_loop
    from webapp.extensions import db

    session = db.session
    note = session.get(FixNote, note_id)
    if note is None:
        return {"note_id": note_id, "skipped": "deleted"}
    insights_facts.catch_up(session, limit=50_000)
    note.status = "running"
    drafted = insights_loop.draft_messages(session, note)
    session.commit()
    return {"note_id": note_id, "drafted": drafted, "total": note.drafted}
