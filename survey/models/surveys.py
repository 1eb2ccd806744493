"""Surveys and the scored answers customers give to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.database import Base, utcnow
from survey.models.accounts import Account, Contact

SURVEY_KINDS = ("nps", "csat", "ces", "feedback")
CHANNELS = ("link", "widget", "email", "api", "import")


class Survey(Base):
    """One question asked of customers, reachable by its public key."""

    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint("kind IN ('nps','csat','ces','feedback')", name="kind"),
        CheckConstraint("status IN ('draft','active','closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="nps")
    question: Mapped[str] = mapped_column(Text)
    product_name: Mapped[str] = mapped_column(String(200), default="our product")
    status: Mapped[str] = mapped_column(String(20), default="active")
    anonymous: Mapped[bool] = mapped_column(default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Response(Base):
    """A customer's answer; `submission_id` makes retries and double clicks count once."""

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

    survey: Mapped[Survey] = relationship()
    contact: Mapped[Contact | None] = relationship()
    account: Mapped[Account | None] = relationship()
