"""The email outbox: one row per survey email, written before sending so a send is never lost or doubled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import Contact, OutboxEmail, Survey


def new_email(
    session: Session,
    *,
    survey: Survey,
    contact: Contact,
    locale: str,
    trigger: str,
    event_key: str | None = None,
) -> OutboxEmail:
    """Insert an empty queued email (its id goes into the links), to be filled in by the renderer."""
    email = OutboxEmail(
        survey_id=survey.id,
        contact_id=contact.id,
        to_email=contact.email,
        subject="",
        locale=locale,
        trigger=trigger,
        event_key=event_key,
        status="queued",
    )
    session.add(email)
    session.flush()
    return email


def by_event(session: Session, event_key: str) -> OutboxEmail | None:
    """The email an event already produced (events are delivered at least once)."""
    return session.scalar(select(OutboxEmail).where(OutboxEmail.event_key == event_key))


def mark_sent(session: Session, email: OutboxEmail, transport: str, message_id: str | None) -> None:
    """Record a delivery (or, in development, that the outbox page is the delivery)."""
    email.status = "sent"
    email.transport = transport
    email.message_id = message_id
    email.sent_at = utcnow()
    email.last_error = None
    session.flush()


def record_failure(session: Session, email: OutboxEmail, error: str, final: bool) -> None:
    """Keep the reason; the email stays queued for the retry unless this was the last attempt."""
    email.attempts += 1
    email.last_error = error[:2000]
    if final:
        email.status = "failed"
    session.flush()


def lost_queued(session: Session, older_than_seconds: int, limit: int = 1000) -> list[int]:
    """Queued emails old enough that their send job was probably lost (Redis outage)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(
        session.scalars(
            select(OutboxEmail.id)
            .where(OutboxEmail.status == "queued", OutboxEmail.created_at <= cutoff)
            .order_by(OutboxEmail.id)
            .limit(limit)
        ).all()
    )


def outbox_page(
    session: Session, page: int, per_page: int = 50, status: str | None = None
) -> tuple[Sequence[OutboxEmail], bool]:
    """Newest emails first, one page at a time, with whether there are more."""
    query = select(OutboxEmail).order_by(OutboxEmail.id.desc())
    if status:
        query = query.where(OutboxEmail.status == status)
    rows = session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


def status_counts(session: Session) -> dict[str, int]:
    """How many emails are in each state, for the outbox header."""
    return {
        status: count
        for status, count in session.execute(
            select(OutboxEmail.status, func.count(OutboxEmail.id)).group_by(OutboxEmail.status)
        )
    }
