"""RQ job functions: take ids, reload rows, skip work already done, raise so RQ retries."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)


def analyze_verbatim(verbatim_id: int) -> dict[str, Any]:
    """Analyse this verbatim and a batch of other pending ones in one model pass, then start the next round."""
    from workers import enqueue

    app = current_app._get_current_object()
    try:
        outcome = _analyze_batch(app, verbatim_id)
    except BaseException:
        try:
            finish_analysis_round(app)  # answers that came meanwhile get their job; this one retries with backoff
        except Exception:
            log.exception("could not queue the next analysis round; the sweeper will")
        raise
    # A job whose verbatim an earlier batch took still ends the round if its answer set the kick.
    if "skipped" not in outcome or enqueue.holds_analysis_kick(app, verbatim_id):
        finish_analysis_round(app)
    return outcome


def _analyze_batch(app: Any, verbatim_id: int) -> dict[str, Any]:
    from survey.services.analysis import (
        claim_batch,
        engine_inputs,
        follow_up_rows,
        record_analyses,
        release_claims,
        release_failed,
    )
    from webapp.extensions import db
    from workers import enqueue, runtime

    batch_size = int(app.config["NLP_BATCH_SIZE"])
    max_attempts = int(app.config["ANALYSIS_MAX_ATTEMPTS"])
    if batch_size < 1 or max_attempts < 1:
        raise ValueError("FEEDLOOP_NLP_BATCH_SIZE and FEEDLOOP_ANALYSIS_MAX_ATTEMPTS must be at least 1")
    session = db.session
    batch = claim_batch(session, verbatim_id, limit=batch_size)
    session.commit()
    if not batch:  # an earlier batch took it: most jobs of a backlog end here, so nothing else is loaded
        return {"verbatim_id": verbatim_id, "skipped": "not pending"}
    if len(batch) == batch_size:
        _queue_next_round(session)  # more are waiting: let another worker take the next batch meanwhile
    try:
        engine = runtime.engine_for_batch(app, session)
        inputs = engine_inputs(session, batch)
        session.commit()  # no transaction held open while the model runs
        results, failures = _analyze_isolating_poison(engine, batch, inputs)
        analysed = []
        for verbatim, result in zip(batch, results, strict=True):
            if result is None:
                release_failed(session, verbatim, failures[verbatim.id], max_attempts)
            else:
                analysed.append((verbatim, result))
        written = record_analyses(session, analysed, embedding_model=_embedding_model(engine))
        session.commit()
    except BaseException as exc:
        session.rollback()
        # give them back, or the retry would find them "running"
        release_claims(session, [v.id for v in batch], f"{type(exc).__name__}: {exc}", max_attempts)
        session.commit()
        raise
    done = [verbatim.id for verbatim, _ in analysed]
    rows = follow_up_rows(session, [verbatim for verbatim, _ in analysed])  # held while the follow-ups run
    session.commit()
    for vid in done:
        # Follow-ups right here, one transaction each, saving a queue round trip per verbatim; one that fails
        # goes to its own act-on-verbatim job, which retries with backoff.
        try:
            _act(app, session, vid, written.get(vid))
        except Exception:
            session.rollback()
            log.exception("follow-up of verbatim %s failed inline; queued as its own job", vid)
            enqueue.enqueue_actions(vid)
    del rows
    if verbatim_id in failures:
        raise RuntimeError(f"analysis of verbatim {verbatim_id} failed: {failures[verbatim_id]}")
    return {"verbatim_id": verbatim_id, "analysed": done, "failed": sorted(failures)}


def finish_analysis_round(app: Any) -> None:
    """Clear the kick, then queue a job for answers that arrived meanwhile (see workers.enqueue.kick_analysis).

    The order matters: an answer whose kick found the key set was committed before this delete, so the read
    that follows sees it. Verbatims waiting for a retry are left to their backoff.
    """
    from webapp.extensions import db
    from workers import enqueue

    if not enqueue.clear_analysis_kick(app):
        return  # Redis is down: the sweeper queues what is pending
    _queue_next_round(db.session)


def _queue_next_round(session: Any) -> None:
    from survey.services.analysis import first_pending
    from workers import enqueue

    next_id = first_pending(session)
    session.commit()
    if next_id is not None:
        enqueue.enqueue_analysis(next_id)


def _analyze_isolating_poison(engine: Any, batch: list[Any], inputs: list[Any]) -> tuple[list[Any], dict[int, str]]:
    """One model pass for the batch; if it raises, one by one, so a poison verbatim fails alone."""
    try:
        return list(engine.analyze(inputs)), {}
    except Exception:
        log.exception("batch analysis failed; analysing %d verbatims one by one", len(batch))
    results: list[Any] = []
    failures: dict[int, str] = {}
    for verbatim, item in zip(batch, inputs, strict=True):
        try:
            results.extend(engine.analyze([item]))
        except Exception as exc:
            failures[verbatim.id] = f"{type(exc).__name__}: {exc}"
            results.append(None)
    return results, failures


def _embedding_model(engine: Any) -> str:
    return str(getattr(engine, "embedding_model_name", "all-MiniLM-L6-v2"))


def act_on_verbatim(verbatim_id: int) -> dict[str, Any]:
    """Open or join a recovery task, flag an advocate, draft an invite: once per verbatim."""
    from webapp.extensions import db

    return _act(current_app._get_current_object(), db.session, verbatim_id)


def _act(app: Any, session: Any, verbatim_id: int, analysis: Any = None) -> dict[str, Any]:
    """The follow-up of one analysed verbatim, committed; a concurrent second run waits, then finds it done.

    `analysis` is the one the calling batch just wrote (saves reading it back); None reads the newest.
    """
    from survey.models import Verbatim
    from survey.services.actions import act_on_verbatim as decide

    # The row lock serialises an inline run and a sweeper-queued job for the same verbatim (PostgreSQL; SQLite
    # has a single writer anyway), and populate_existing re-reads the status the other run committed.
    verbatim = session.get(Verbatim, verbatim_id, with_for_update=True, populate_existing=True)
    if verbatim is None:
        session.rollback()
        return {"verbatim_id": verbatim_id, "skipped": "deleted"}
    if verbatim.analysis_status != "done":
        session.rollback()
        return {"verbatim_id": verbatim_id, "skipped": "not analysed"}
    outcome = decide(
        session, verbatim, sla_days=dict(app.config["SLA_BUSINESS_DAYS"]), high_arr=int(app.config["HIGH_ARR"]),
        analysis=analysis,
    )
    session.commit()
    if outcome.advocate_flag_id:  # praise may owe the account's CSM a notice email
        from workers import enqueue

        enqueue.enqueue_praise_notices(verbatim_id)
    return {"verbatim_id": verbatim_id, **outcome.__dict__}


def sweep() -> dict[str, int]:
    """Re-enqueue whatever was accepted but lost its job, then schedule the next sweep."""
    from workers import enqueue
    from workers.sweeper import sweep_once

    app = current_app._get_current_object()
    counts = sweep_once(app)
    enqueue.schedule_sweep(int(app.config["SWEEP_INTERVAL_SECONDS"]))
    if int(app.config["RETENTION_MONTHS"]) > 0:
        enqueue.enqueue_retention()  # unique per day: the first sweep of the day queues it
    enqueue.schedule_programmes(int(app.config["PROGRAMME_INTERVAL_SECONDS"]))  # survey emails (issue 4)
    enqueue.enqueue_recovery_check()  # escalations, follow-up surveys, digests (issue 5)
    enqueue.enqueue_advocacy_sweep()  # invite expiries, lifted holds, scheduled sends (issue 7)
    enqueue.enqueue_insights_sync()  # insights read model, search index, daily themes (issue 6)
    return counts


def retrain_model(requested_by: int | None = None) -> dict[str, Any]:
    """Turn every human correction into a new trained model version, activate it, re-analyse the history."""
    from nlp.training import train
    from survey.models import User
    from survey.services.learning import labelled_examples, store_model
    from webapp.extensions import db
    from workers import enqueue, runtime

    app = current_app._get_current_object()
    session = db.session
    examples = labelled_examples(session)
    if not examples:
        return {"trained": False, "reason": "no corrections yet"}
    base = runtime.engine_for_batch(app, session).with_trained(None)
    session.commit()
    blob = train(base, examples)
    trained = base.with_trained(blob)
    user = session.get(User, requested_by) if requested_by else None
    model = store_model(session, trained.model_version, blob, len(examples), {}, user)
    session.commit()
    enqueue.enqueue_reanalysis()
    return {"trained": True, "version": model.version, "examples": len(examples)}


def reanalyze_stale(chunk: int = 2000) -> dict[str, Any]:
    """Send verbatims analysed by an older model or taxonomy back through analysis, a chunk at a time."""
    from survey.services.learning import mark_stale_for_reanalysis
    from webapp.extensions import db
    from workers import enqueue, runtime

    app = current_app._get_current_object()
    session = db.session
    engine = runtime.engine_for_batch(app, session)
    ids = mark_stale_for_reanalysis(session, engine.model_version, limit=chunk)
    session.commit()
    enqueue.enqueue_analysis_many(ids)
    if len(ids) == chunk:
        enqueue.enqueue_reanalysis(continuation=True)
    return {"requeued": len(ids), "model_version": engine.model_version}


def apply_retention() -> dict[str, Any]:
    """Delete or anonymise verbatims older than FEEDLOOP_RETENTION_MONTHS, chunk by chunk."""
    from survey.services.privacy import apply_retention as apply
    from webapp.extensions import db
    from workers import enqueue

    app = current_app._get_current_object()
    months = int(app.config["RETENTION_MONTHS"])
    if months <= 0:
        return {"retention": "off"}
    session = db.session
    count = apply(session, months, str(app.config["RETENTION_MODE"]))
    session.commit()
    if count >= 5000:
        enqueue.enqueue_retention(continuation=True)
    return {"processed": count}
