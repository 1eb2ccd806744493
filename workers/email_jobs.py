"""RQ jobs for emails: deliver one outbox email; run relationship programmes and re-queue lost sends."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from flask import current_app

log = logging.getLogger(__name__)
LOST_SEND_AFTER_SECONDS = 300


def send_survey_email(outbox_id: int) -> dict[str, Any]:
    """Send once: over SMTP when FEEDLOOP_SMTP_HOST is set, else mark it delivered to the dev outbox."""
    from survey.models import OutboxEmail
    from survey.services.mailer import build_message, deliver, smtp_settings
    from survey.services.outbox import mark_sent, record_failure
    from webapp.extensions import db

    app = current_app._get_current_object()
    session = db.session
    email = session.get(OutboxEmail, outbox_id)
    if email is None:
        return {"outbox_id": outbox_id, "skipped": "deleted"}
    if email.status != "queued":
        return {"outbox_id": outbox_id, "skipped": email.status}
    settings = smtp_settings(app.config)
    if settings is None:
        mark_sent(session, email, "outbox", None)
        session.commit()
        return {"outbox_id": outbox_id, "transport": "outbox"}
    message = build_message(email, settings.sender)
    try:
        deliver(settings, message)
    except (smtplib.SMTPException, OSError) as exc:
        final = email.attempts + 1 >= int(app.config["EMAIL_MAX_ATTEMPTS"])
        record_failure(session, email, f"{type(exc).__name__}: {exc}", final)
        session.commit()
        raise
    mark_sent(session, email, "smtp", str(message["Message-ID"]))
    session.commit()
    return {"outbox_id": outbox_id, "transport": "smtp"}


def run_programmes() -> dict[str, int]:
    """Queue emails for contacts whose turn came in a relationship programme, and re-queue lost sends."""
    from survey.services.outbox import lost_queued
    from survey.services.programmes import relationship_due, running_relationship_surveys
    from webapp.extensions import db
    from webapp.public.emails import public_base_url, queue_survey_email
    from workers import enqueue

    session = db.session
    base_url = public_base_url()
    queued: list[int] = []
    held = 0
    for survey in running_relationship_surveys(session):
        for contact in relationship_due(session, survey):
            email = queue_survey_email(session, survey, contact, trigger="programme", base_url=base_url)
            if email is None:
                held += 1
            else:
                queued.append(email.id)
        session.commit()
    lost = lost_queued(session, LOST_SEND_AFTER_SECONDS)
    session.commit()
    for outbox_id in dict.fromkeys([*queued, *lost]):
        enqueue.enqueue_send_email(outbox_id)
    return {"queued": len(queued), "held_by_fatigue": held, "requeued": len(lost)}
