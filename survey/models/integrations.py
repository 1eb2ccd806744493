"""Outgoing webhooks: who listens to which events, and every delivery attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.database import Base, utcnow

WEBHOOK_EVENTS = (
    "response.created",
    "analysis.completed",
    "recovery_task.opened",
    "recovery_task.resolved",
    "advocate.flagged",
    "invite.accepted",
)


class WebhookEndpoint(Base):
    """An admin-registered URL that receives signed JSON (or Slack-formatted) event deliveries."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (CheckConstraint("format IN ('json','slack')", name="format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(default=list)
    secret: Mapped[str] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(10), default="json")
    active: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deliveries: Mapped[list[WebhookDelivery]] = relationship(back_populates="endpoint",
                                                             order_by="WebhookDelivery.id.desc()")


class WebhookDelivery(Base):
    """One event sent (or to be sent) to one endpoint; its state lets the sweeper and a replay find it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (CheckConstraint("status IN ('pending','delivered','failed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    replay_of_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="SET NULL"))

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")
