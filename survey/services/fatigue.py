"""The contact-level fatigue rule: nobody is asked more than once per N days, whatever survey or channel."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import Contact


def asked_recently(contact: Contact, days: int, now: datetime | None = None) -> bool:
    """True while the contact's last ask is less than `days` old."""
    if contact.last_asked_at is None or days <= 0:
        return False
    return contact.last_asked_at > (now or utcnow()) - timedelta(days=days)


def next_ask_at(contact: Contact, days: int) -> datetime | None:
    """When the contact may be asked again (None: now)."""
    if contact.last_asked_at is None or days <= 0:
        return None
    return contact.last_asked_at + timedelta(days=days)


def may_ask(contact: Contact, days: int, now: datetime | None = None) -> bool:
    """Asking is allowed: not unsubscribed and not asked within the fatigue window."""
    return not contact.unsubscribed and not asked_recently(contact, days, now)


def claim_ask(session: Session, contact_id: int, days: int, now: datetime | None = None) -> bool:
    """Atomically record an ask if the rule allows it; two concurrent senders cannot both win."""
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    result = session.execute(
        update(Contact)
        .where(
            Contact.id == contact_id,
            Contact.unsubscribed.is_(False),
            or_(Contact.last_asked_at.is_(None), Contact.last_asked_at <= cutoff),
        )
        .values(last_asked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)


def mark_asked(session: Session, contact: Contact, now: datetime | None = None) -> None:
    """Count an ask that already happened (a widget shown and dismissed, an answer given)."""
    contact.last_asked_at = now or utcnow()
    session.flush()
