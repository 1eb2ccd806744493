"""Delivering webhooks: one job per delivery, enqueued only after the transaction that created it commits."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_installed = False


def deliver_webhook(delivery_id: int) -> dict[str, Any]:
    """Send one delivery; a refused or unreachable receiver raises so RQ retries with backoff."""
    from survey.models import WebhookDelivery
    from survey.services.webhooks import DeliveryFailed, deliver
    from webapp.extensions import db

    session = db.session
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return {"delivery_id": delivery_id, "skipped": "deleted"}
    if delivery.status == "delivered":
        return {"delivery_id": delivery_id, "skipped": "already delivered"}
    if not delivery.endpoint.active:
        return {"delivery_id": delivery_id, "skipped": "endpoint disabled"}
    try:
        deliver(session, delivery, timeout_s=float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"]))
    except DeliveryFailed:
        session.commit()  # keep the attempt in the log, then let RQ retry
        raise
    session.commit()
    return {"delivery_id": delivery_id, "status": delivery.last_status_code}


def _enqueue_after_commit(session: Session) -> None:
    ids = session.info.pop("webhook_deliveries_to_enqueue", None)
    if not ids or not has_app_context():
        return  # outside the app (a script): the sweeper will pick them up
    from workers.enqueue import enqueue_webhook_delivery

    for delivery_id in ids:
        enqueue_webhook_delivery(delivery_id)


def _forget_after_rollback(session: Session) -> None:
    session.info.pop("webhook_deliveries_to_enqueue", None)


def install() -> None:
    """Hook every Session: deliveries emitted in a transaction are enqueued when it commits."""
    global _installed
    if not _installed:
        event.listen(Session, "after_commit", _enqueue_after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _forget_after_rollback(s))
        _installed = True
