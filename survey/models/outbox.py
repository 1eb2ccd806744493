"""Every survey email Feedloop sends, kept so sends are idempotent, auditable and visible in development."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.database import Base, utcnow
from survey.models.accounts import Contact
from survey.models.surveys import Survey

OUTBOX_STATUSES = ("queued", "sent", "failed")
OUTBOX_TRIGGERS = ("bulk", "programme", "event", "manual")


class OutboxEmail(Base):
    """A rendered survey email and its delivery state; the send job reads it by id and sends it once."""

    __tablename__ = "outbox_emails"
    __table_args__ = (
        CheckConstraint("status IN ('queued','sent','failed')", name="status"),
        CheckConstraint("trigger IN ('bulk','programme','event','manual')", name="trigger"),
        Index("ix_outbox_emails_survey_contact", "survey_id", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    to_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    html_body: Mapped[str] = mapped_column(Text, default="")
    text_body: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(10), default="en")
    trigger: Mapped[str] = mapped_column(String(20), default="manual")
    # The caller's idempotency key for an event-triggered email ("ticket-closed:4711"): one email per event.
    event_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    transport: Mapped[str | None] = mapped_column(String(10))  # smtp | outbox (development: not delivered)
    message_id: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None]

    survey: Mapped[Survey | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
