"""What a CSM does to a task: claim, assign, move it along, note, correct the analysis, reply, resolve.

Every change adds a TaskEvent, so the timeline says who did what and when. Functions flush, never commit:
the view commits, then enqueues the emails they return.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Contact, OutboxEmail, RecoveryTask, TaskEvent, User, Verbatim
from survey.models.actions import OPEN_TASK_STATUSES
from survey.services.learning import SENTIMENTS, latest_labels, record_correction
from survey.services.recovery_queue import latest_analyses

STATUS_LABELS = {"open": "Open", "contacted": "Contacted", "in_progress": "In progress", "resolved": "Resolved",
                 "unresolvable": "Unresolvable"}
WORKING_STATUSES = ("open", "contacted", "in_progress")
OUTCOMES = {
    "resolved": {
        "fixed": "Issue fixed",
        "workaround": "Workaround in place",
        "explained": "Explained, expectations reset",
        "commercial": "Commercial concession",
        "roadmap": "Committed on the roadmap",
    },
    "unresolvable": {
        "churned": "Customer is leaving",
        "no_response": "No response after several attempts",
        "cannot_meet": "We can't meet the request",
        "handled_elsewhere": "Handled elsewhere",
    },
}
MAX_NOTE = 5000
MAX_SUBJECT = 300


class WorkflowError(ValueError):
    """A change the task's state or the user's role does not allow, with the reason to show."""


def _event(session: Session, task: RecoveryTask, actor: User | None, kind: str, body: str, now: datetime,
           **details: object) -> TaskEvent:
    # Appending through the relationship (not session.add with task_id) keeps a loaded timeline free of doubles.
    event = TaskEvent(actor_id=actor.id if actor else None, kind=kind, body=body, at=now,
                      details=dict(details))
    task.events.append(event)
    session.flush()
    return event


def _require_open(task: RecoveryTask) -> None:
    if task.status not in OPEN_TASK_STATUSES:
        raise WorkflowError(f"This task is already {STATUS_LABELS[task.status].lower()}.")


def claim(session: Session, task: RecoveryTask, user: User, now: datetime) -> TaskEvent:
    """Take an unassigned task: it becomes the CSM's, and the timeline says since when."""
    _require_open(task)
    if task.owner_id == user.id:
        raise WorkflowError("You already own this task.")
    if task.owner_id is not None and user.role != "admin":
        raise WorkflowError(f"{task.owner.name if task.owner else 'Someone'} already owns this task.")
    task.owner_id, task.owner, task.claimed_at = user.id, user, now
    event = _event(session, task, user, "claimed", f"{user.name} claimed the task", now)
    session.flush()
    return event


def assignable(session: Session) -> Sequence[User]:
    """Staff a task can be handed to: active CSMs and admins."""
    return session.scalars(select(User).where(User.active.is_(True), User.role.in_(("csm", "admin")))
                           .order_by(User.name)).all()


def assign(session: Session, task: RecoveryTask, assignee: User | None, actor: User, now: datetime) -> TaskEvent:
    """Hand a task to a colleague (or back to the unassigned pool); CSMs may hand over only what they may see."""
    _require_open(task)
    if assignee is not None and (not assignee.active or assignee.role not in ("csm", "admin")):
        raise WorkflowError("Tasks can only be assigned to an active CSM or admin.")
    if actor.role != "admin" and task.owner_id not in (None, actor.id) and not _owns_account(task, actor):
        raise WorkflowError("Only the task's owner or an admin can reassign it.")
    if (assignee.id if assignee else None) == task.owner_id:
        raise WorkflowError(f"The task is already {'with ' + assignee.name if assignee else 'unassigned'}.")
    task.owner_id, task.owner = (assignee.id, assignee) if assignee else (None, None)
    if assignee is not None:
        task.claimed_at = now
    body = f"{actor.name} assigned the task to {assignee.name}" if assignee else f"{actor.name} unassigned the task"
    event = _event(session, task, actor, "assigned", body, now, assignee_id=assignee.id if assignee else None)
    session.flush()
    return event


def _owns_account(task: RecoveryTask, user: User) -> bool:
    return task.account is not None and task.account.owner_id == user.id


def set_status(session: Session, task: RecoveryTask, status: str, actor: User, now: datetime) -> TaskEvent:
    """Move an open task along (open, contacted, in progress); closing goes through close()."""
    _require_open(task)
    if status not in WORKING_STATUSES:
        raise WorkflowError("Resolve or close a task with an outcome, from its page.")
    if status == task.status:
        raise WorkflowError(f"The task is already {STATUS_LABELS[status].lower()}.")
    previous = task.status
    task.status = status
    if status != "open" and task.first_contacted_at is None:
        task.first_contacted_at = now
    if task.owner_id is None:
        task.owner_id, task.owner, task.claimed_at = actor.id, actor, now  # working a task means owning it
    event = _event(session, task, actor, "status",
                   f"{actor.name} changed the status from {STATUS_LABELS[previous].lower()} to "
                   f"{STATUS_LABELS[status].lower()}", now, previous=previous, status=status)
    session.flush()
    return event


def close(session: Session, task: RecoveryTask, status: str, outcome_code: str, note: str, actor: User,
          now: datetime, followup_days: int) -> TaskEvent:
    """Resolve (or give up on) a task with an outcome; a resolved one schedules the follow-up survey."""
    _require_open(task)
    if status not in OUTCOMES:
        raise WorkflowError("A task closes as resolved or unresolvable.")
    if outcome_code not in OUTCOMES[status]:
        raise WorkflowError("Choose what the outcome was.")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise WorkflowError(f"The note can be at most {MAX_NOTE} characters.")
    previous = task.status
    task.status = status
    task.outcome_code = outcome_code
    task.outcome = note or None
    task.resolved_at = now
    task.open_key = None  # a later verbatim from this contact opens a new task
    if task.owner_id is None:
        task.owner_id, task.owner, task.claimed_at = actor.id, actor, now
    label = OUTCOMES[status][outcome_code]
    body = f"{actor.name} {'resolved' if status == 'resolved' else 'closed'} the task: {label}"
    followup_at = None
    contact = task.contact
    if status == "resolved" and contact is not None and not contact.unsubscribed:
        followup_at = now + timedelta(days=followup_days)
        task.followup_due_at = followup_at
    from survey.services.webhooks import emit

    emit(session, "recovery_task.resolved", {
        "task_id": task.id, "status": status, "outcome_code": outcome_code, "account_id": task.account_id,
        "contact_id": task.contact_id, "summary": f"recovery task {task.id} {status}: {label}"})
    event = _event(session, task, actor, status, body, now, previous=previous, outcome_code=outcome_code,
                   note=note or None, followup_due_at=followup_at.isoformat() if followup_at else None)
    session.flush()
    return event


def add_note(session: Session, task: RecoveryTask, body: str, actor: User, now: datetime) -> TaskEvent:
    """A note on the timeline (what was said on the call, what is next)."""
    body = (body or "").strip()
    if not body:
        raise WorkflowError("Write the note first.")
    if len(body) > MAX_NOTE:
        raise WorkflowError(f"A note can be at most {MAX_NOTE} characters.")
    event = _event(session, task, actor, "note", body, now)
    session.flush()
    return event


def correct(session: Session, task: RecoveryTask, verbatim: Verbatim, categories: list[str], sentiment: str,
            actor: User, now: datetime) -> TaskEvent | None:
    """Store the CSM's fix of root causes or sentiment as human labels (the engine learns from them)."""
    if verbatim.id not in {link.verbatim_id for link in task.links}:
        raise WorkflowError("That verbatim is not part of this task.")
    if sentiment and sentiment not in SENTIMENTS:
        raise WorkflowError(f"Sentiment must be one of {', '.join(SENTIMENTS)}.")
    analysis = latest_analyses(session, [verbatim.id]).get(verbatim.id)
    labels = latest_labels(session, [verbatim.id]).get(verbatim.id, {})
    current_categories = sorted(labels.get("categories", analysis.category_keys if analysis else []))
    current_sentiment = labels.get("sentiment", analysis.sentiment if analysis else None)
    changes = []
    if sorted(set(categories)) != current_categories:
        record_correction(session, verbatim, "categories", sorted(set(categories)), actor, context="recovery")
        before = ", ".join(k.replace("_", " ") for k in current_categories) or "none"
        after = ", ".join(k.replace("_", " ") for k in sorted(set(categories))) or "none"
        changes.append(f"root causes {before} → {after}")
    if sentiment and sentiment != current_sentiment:
        record_correction(session, verbatim, "sentiment", sentiment, actor, context="recovery")
        changes.append(f"sentiment {current_sentiment or 'unknown'} → {sentiment}")
    if not changes:
        return None
    event = _event(session, task, actor, "corrected", f"{actor.name} corrected the analysis: " + "; ".join(changes),
                   now, verbatim_id=verbatim.id)
    session.flush()
    return event


def send_reply(session: Session, task: RecoveryTask, subject: str, body: str, actor: User, now: datetime, *,
               token: str, html_body: str | None = None) -> tuple[OutboxEmail, TaskEvent | None]:
    """Queue the CSM's reply to the customer in the outbox and put it on the timeline (once per token).

    Replying counts as first contact and moves an open task to contacted. Returns the email and the new event
    (None when this token was already sent: a double click).
    """
    _require_open(task)
    contact: Contact | None = task.contact
    if contact is None or not contact.email:
        raise WorkflowError("This customer left no email address: call them or add a note instead.")
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or not body:
        raise WorkflowError("The reply needs a subject and a message.")
    if len(subject) > MAX_SUBJECT or len(body) > 20_000:
        raise WorkflowError(f"The subject can be at most {MAX_SUBJECT} characters and the message 20,000.")
    token = "".join(ch for ch in (token or "") if ch.isalnum())[:40]
    if not token:
        raise WorkflowError("The reply form expired: reload the page and try again.")
    key = f"recovery-reply:{task.id}:{token}"
    existing = session.scalar(select(OutboxEmail).where(OutboxEmail.event_key == key))
    if existing is not None:
        return existing, None
    email = OutboxEmail(survey_id=None, contact_id=contact.id, to_email=contact.email, subject=subject,
                        text_body=body, html_body=html_body or text_to_html(body), locale=contact.locale or "en",
                        trigger="manual", event_key=key, status="queued", created_at=now)
    session.add(email)
    session.flush()
    if task.first_contacted_at is None:
        task.first_contacted_at = now
    if task.owner_id is None:
        task.owner_id, task.owner, task.claimed_at = actor.id, actor, now
    previous = task.status
    if task.status == "open":
        task.status = "contacted"
    event = _event(session, task, actor, "reply", body, now, email_id=email.id, subject=subject,
                   previous=previous, status=task.status)
    session.flush()
    return email, event


def text_to_html(text: str) -> str:
    """Plain text as simple, escaped HTML paragraphs for the email's HTML part."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)

