"""Finds accepted work that has no live job (Redis was down, a worker died) and queues it again."""

from __future__ import annotations

from flask import Flask

from survey.services.analysis import needing_work, stale_claims
from survey.services.webhooks import pending_deliveries
from webapp.extensions import db
from workers import enqueue


def sweep_once(app: Flask, *, pending_after: int | None = None) -> dict[str, int]:
    """One pass: free dead workers' claims, then enqueue pending analyses and follow-ups (unique ids)."""
    session = db.session
    freed = stale_claims(session, int(app.config["SWEEP_STALE_CLAIM_SECONDS"]))
    session.commit()
    after = int(app.config["SWEEP_PENDING_AFTER_SECONDS"]) if pending_after is None else pending_after
    fresh, retries, to_act = needing_work(session, after)
    session.commit()
    deliveries = pending_deliveries(session, after)
    session.commit()
    for delivery_id in deliveries:
        enqueue.enqueue_webhook_delivery(delivery_id)
    # Jobs: one per batch of never-tried verbatims (each job claims a batch), one per verbatim due a retry
    # (batches take only never-tried ones, so a failing verbatim keeps its own backoff).
    queued = enqueue.enqueue_analysis_many(fresh)
    queued += sum(1 for vid in retries if enqueue.enqueue_analysis(vid) is not None)
    acted = sum(1 for vid in to_act if enqueue.enqueue_actions(vid) is not None)
    return {"freed_claims": freed, "analysis_pending": len(fresh) + len(retries), "analysis_enqueued": queued,
            "actions_pending": len(to_act), "actions_enqueued": acted, "webhooks_pending": len(deliveries)}
