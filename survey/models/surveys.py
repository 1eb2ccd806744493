"""Surveys, how they reach customers (channels, languages, programmes), and the scored answers they get."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.database import Base, utcnow
from survey.models.accounts import Account, Contact

SURVEY_KINDS = ("nps", "csat", "ces", "feedback")
CHANNELS = ("link", "widget", "email", "api", "import")
# Channels an admin switches on per survey; "api" and "import" are always open to staff tooling.
ASK_CHANNELS = ("link", "widget", "email")
SURVEY_STATUSES = ("draft", "active", "closed")
PROGRAMMES = ("none", "relationship", "transactional")


class Survey(Base):
    """One question asked of customers, reachable by its public key, in the languages and channels chosen."""

    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint("kind IN ('nps','csat','ces','feedback')", name="kind"),
        CheckConstraint("status IN ('draft','active','closed')", name="status"),
        CheckConstraint("programme IN ('none','relationship','transactional')", name="programme"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="nps")
    question: Mapped[str] = mapped_column(Text)  # in the first of `languages`; translations hold the others
    product_name: Mapped[str] = mapped_column(String(200), default="our product")
    status: Mapped[str] = mapped_column(String(20), default="active")
    anonymous: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    languages: Mapped[list[str]] = mapped_column(default=lambda: ["en", "de"])
    channels: Mapped[list[str]] = mapped_column(default=lambda: list(ASK_CHANNELS))
    # {"de": {"question": "...", "promoter": "...", "passive": "...", "detractor": "..."}}; "en" may override
    # the default follow-up wording too. Missing keys fall back to the translated defaults.
    translations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    allowed_origins: Mapped[list[str]] = mapped_column(default=list)  # host pages that may embed the widget
    widget_secret: Mapped[str | None] = mapped_column(String(64))  # HMAC key for identified widget users
    programme: Mapped[str] = mapped_column(String(20), default="none")
    recurrence_days: Mapped[int | None]  # relationship programmes: every contact once per this many days
    programme_started_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class Response(Base):
    """A customer's answer; its submission id (or the email it answers) makes retries count once."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    score: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(20), default="link")
    locale: Mapped[str | None] = mapped_column(String(10))
    submission_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # One response per survey email: a second click on any of its score links updates this one.
    outbox_email_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_emails.id", ondelete="SET NULL"), unique=True
    )
    updated_at: Mapped[datetime | None]  # when a later step changed the score or the comment

    survey: Mapped[Survey] = relationship()
    contact: Mapped[Contact | None] = relationship()
    account: Mapped[Account | None] = relationship()
