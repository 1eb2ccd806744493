"""RQ jobs of the recovery workflow: the periodic check, escalations, daily digests and follow-up surveys.

`check_recovery_tasks` runs after every sweep (about once a minute). It links follow-up answers itself and queues
one job per piece of email work; each of those reloads its row, returns early when the work is already done,
commits, then enqueues the delivery (`send-email-<id>`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app


def check_recovery_tasks() -> dict[str, Any]:
    """Link follow-up answers, then queue escalations, due follow-up surveys and today's digests."""
    from survey.database import utcnow
    from survey.services.recovery_mail import (
        csms_due_a_digest,
        followups_due,
        link_followups,
        tasks_to_escalate,
    )
    from webapp.extensions import db
    from workers import enqueue

    app = current_app._get_current_object()
    session = db.session
    now = utcnow()
    linked = link_followups(session, now)
    session.commit()
    escalate = tasks_to_escalate(session, now, list(app.config["ESCALATE_PRIORITIES"]))
    followups = followups_due(session, now)
    digests = csms_due_a_digest(session, now, int(app.config["DIGEST_HOUR"]))
    session.commit()
    for task_id in escalate:
        enqueue.enqueue_escalation(task_id)
    for task_id in followups:
        enqueue.enqueue_followup(task_id)
    for user_id in digests:
        enqueue.enqueue_digest(user_id, now.date().isoformat())
    return {"followups_linked": len(linked), "escalations": len(escalate), "followups_due": len(followups),
            "digests": len(digests)}


def escalate_task(task_id: int) -> dict[str, Any]:
    """Email every admin about an overdue high-priority task, once."""
    from survey.database import utcnow
    from survey.models import RecoveryTask
    from survey.services.recovery import is_overdue
    from survey.services.recovery_mail import admins, mark_escalated, outbox_email
    from webapp.extensions import db
    from webapp.recovery.emails import render_escalation
    from workers import enqueue

    app = current_app._get_current_object()
    session = db.session
    task = session.get(RecoveryTask, task_id)
    now = utcnow()
    if task is None:
        return {"task_id": task_id, "skipped": "deleted"}
    if task.escalated_at is not None:
        return {"task_id": task_id, "skipped": "already escalated"}
    if not is_overdue(task, now) or task.priority not in app.config["ESCALATE_PRIORITIES"]:
        return {"task_id": task_id, "skipped": "not overdue"}
    recipients = list(admins(session))
    emails = []
    for admin in recipients:
        subject, html_body, text_body = render_escalation(task, admin, now)
        email, _ = outbox_email(session, event_key=f"recovery-escalation:{task.id}:{admin.id}", to_email=admin.email,
                                subject=subject, html_body=html_body, text_body=text_body, now=now)
        emails.append(email.id)
    mark_escalated(session, task, recipients, now)
    session.commit()
    for email_id in emails:
        enqueue.enqueue_send_email(email_id)
    return {"task_id": task_id, "emails": emails}


def send_digest(user_id: int, day: str) -> dict[str, Any]:
    """A CSM's morning email: their most urgent tasks and today's counts; nothing when the queue is empty."""
    from sqlalchemy import select

    from survey.database import utcnow
    from survey.models import OutboxEmail, User
    from survey.services.recovery_mail import digest_for, digest_key, outbox_email
    from webapp.extensions import db
    from webapp.recovery.emails import render_digest
    from workers import enqueue

    app = current_app._get_current_object()
    session = db.session
    user = session.get(User, user_id)
    if user is None or not user.active:
        return {"user_id": user_id, "skipped": "no such active user"}
    key = digest_key(user.id, date.fromisoformat(day))
    if session.scalar(select(OutboxEmail.id).where(OutboxEmail.event_key == key)) is not None:
        return {"user_id": user_id, "skipped": "already sent"}
    digest = digest_for(session, user, utcnow(), high_arr=int(app.config["HIGH_ARR"]),
                        due_soon_hours=int(app.config["SLA_DUE_SOON_HOURS"]))
    if not digest.items and not digest.unassigned:
        return {"user_id": user_id, "skipped": "nothing to report"}
    subject, html_body, text_body = render_digest(digest)
    email, created = outbox_email(session, event_key=key, to_email=user.email, subject=subject,
                                  html_body=html_body, text_body=text_body, now=utcnow())
    session.commit()
    if created:
        enqueue.enqueue_send_email(email.id)
    return {"user_id": user_id, "email_id": email.id}


def send_followup(task_id: int) -> dict[str, Any]:
    """Send the resolved task's contact the follow-up survey (one-click score links) and remember the email."""
    from survey.database import utcnow
    from survey.models import RecoveryTask, TaskEvent
    from survey.services.fatigue import mark_asked
    from survey.services.outbox import by_event
    from survey.services.recovery_mail import followup_key, followup_survey
    from webapp.extensions import db
    from webapp.public.emails import public_base_url, queue_survey_email
    from workers import enqueue

    app = current_app._get_current_object()
    session = db.session
    task = session.get(RecoveryTask, task_id)
    now = utcnow()
    if task is None:
        return {"task_id": task_id, "skipped": "deleted"}
    if task.followup_email_id is not None or task.followup_response_id is not None:
        return {"task_id": task_id, "skipped": "already sent"}
    if task.status != "resolved" or task.followup_due_at is None or task.followup_due_at > now:
        return {"task_id": task_id, "skipped": "not due"}
    contact = task.contact
    survey = followup_survey(session, task, app.config.get("FOLLOWUP_SURVEY_KEY"))
    email = by_event(session, followup_key(task.id))
    if email is None and contact is not None and survey is not None:
        # A follow-up the customer was promised overrides the fatigue rule, but still counts as an ask.
        email = queue_survey_email(session, survey, contact, trigger="event", base_url=public_base_url(),
                                   event_key=followup_key(task.id), check_fatigue=False)
        if email is not None:
            mark_asked(session, contact, now)
    if email is None:
        why = "the contact unsubscribed" if contact is not None and contact.unsubscribed else \
            "there is no contact or active NPS survey"
        task.followup_due_at = None
        session.add(TaskEvent(task_id=task.id, kind="followup_skipped", at=now, body=f"Follow-up survey not sent: {why}"))
        session.commit()
        return {"task_id": task_id, "skipped": why}
    task.followup_email_id = email.id
    session.add(TaskEvent(task_id=task.id, kind="followup_sent", at=now, details={"email_id": email.id},
                          body=f"Follow-up survey sent to {email.to_email} ({survey.name if survey else 'survey'})"))
    session.commit()
    enqueue.enqueue_send_email(email.id)
    return {"task_id": task_id, "email_id": email.id}


def seed_recovery_demo_when_ready(attempt: int = 0) -> dict[str, Any]:
    """After `feedloop seed-demo`: wait until the demo's verbatims are analysed and acted on, then seed history."""
    from sqlalchemy import func, or_, select

    from survey.models import Verbatim
    from survey.services.recovery_demo import seed_recovery_demo
    from webapp.extensions import db
    from workers import enqueue

    session = db.session
    waiting = session.scalar(select(func.count(Verbatim.id)).where(or_(
        Verbatim.analysis_status.in_(("pending", "running")), Verbatim.action_status == "pending"))) or 0
    session.commit()
    if waiting and attempt < DEMO_MAX_ATTEMPTS:
        enqueue.enqueue_recovery_demo(attempt + 1, after_seconds=DEMO_RETRY_SECONDS)
        return {"waiting_for": waiting, "attempt": attempt}
    seed_recovery_demo(session)
    session.commit()
    return {"seeded": True, "still_pending": waiting}


DEMO_RETRY_SECONDS = 10
DEMO_MAX_ATTEMPTS = 360  # an hour: a slow first model load must not leave the demo without a history
