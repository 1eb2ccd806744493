"""The follow-ups Feedloop creates: recovery tasks for unhappy customers, invites for happy ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.database import Base, utcnow
from survey.models.accounts import Account, Contact
from survey.models.feedback import Verbatim
from survey.models.outbox import OutboxEmail  # noqa: F401  (the follow-up email's table must be mapped first)
from survey.models.surveys import Response
from survey.models.users import User

TASK_STATUSES = ("open", "contacted", "in_progress", "resolved", "unresolvable")
OPEN_TASK_STATUSES = ("open", "contacted", "in_progress")
INVITE_STATUSES = ("drafted", "approved", "sent", "accepted", "declined", "completed", "expired", "on_hold")


class RecoveryTask(Base):
    """A detractor or churn risk for the account owner to win back, with an SLA."""

    __tablename__ = "recovery_tasks"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open','contacted','in_progress','resolved','unresolvable')", name="status"
        ),
        CheckConstraint("priority IN ('high','medium','low')", name="priority"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # "contact:<id>" (or "verbatim:<id>" when anonymous) while open, NULL once closed:
    # the unique constraint is what keeps one open task per contact across concurrent workers.
    open_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    priority: Mapped[str] = mapped_column(String(10), default="medium")
    priority_score: Mapped[float] = mapped_column(default=0.0)
    reason: Mapped[str] = mapped_column(String(20))  # detractor | churn_risk
    score: Mapped[int | None]
    due_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_contacted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    # Recovery workflow (issue 5): why the task ranks high, who took it, escalation and the follow-up survey.
    churn_risk: Mapped[bool] = mapped_column(default=False)
    claimed_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    outcome_code: Mapped[str | None] = mapped_column(String(30))
    followup_due_at: Mapped[datetime | None] = mapped_column(index=True)
    followup_email_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_emails.id", ondelete="SET NULL"))
    followup_response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="SET NULL"))

    account: Mapped[Account | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    owner: Mapped[User | None] = relationship()
    followup_response: Mapped[Response | None] = relationship()
    links: Mapped[list[RecoveryTaskVerbatim]] = relationship(
        back_populates="task", order_by="RecoveryTaskVerbatim.id"
    )
    events: Mapped[list[TaskEvent]] = relationship(back_populates="task", order_by="TaskEvent.id")


class RecoveryTaskVerbatim(Base):
    """Links each verbatim to at most one task, so re-running the action job joins nothing twice."""

    __tablename__ = "recovery_task_verbatims"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("recovery_tasks.id", ondelete="CASCADE"), index=True)
    verbatim_id: Mapped[int] = mapped_column(ForeignKey("verbatims.id", ondelete="CASCADE"), unique=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    task: Mapped[RecoveryTask] = relationship(back_populates="links")
    verbatim: Mapped[Verbatim] = relationship()


class TaskEvent(Base):
    """One line of a task's timeline: status change, note, reply, joined verbatim."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("recovery_tasks.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    body: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    task: Mapped[RecoveryTask] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class AdvocateFlag(Base):
    """A verbatim that marks its author as a potential advocate (promoter praise, unsolicited praise, referral)."""

    __tablename__ = "advocate_flags"
    __table_args__ = (
        CheckConstraint("kind IN ('promoter_praise','unsolicited_praise','referral')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    verbatim_id: Mapped[int] = mapped_column(ForeignKey("verbatims.id", ondelete="CASCADE"), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    praise_targets: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Advocate hub (issue 7): marketing can dismiss a flag that is not really an advocate.
    dismissed_at: Mapped[datetime | None]

    verbatim: Mapped[Verbatim] = relationship()
    contact: Mapped[Contact | None] = relationship()
    account: Mapped[Account | None] = relationship()


class AdvocacyInvite(Base):
    """A personalised ask (review, referral, case study...) that marketing approves and tracks."""

    __tablename__ = "advocacy_invites"
    __table_args__ = (
        CheckConstraint(
            "status IN ('drafted','approved','sent','accepted','declined','completed','expired','on_hold')",
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    verbatim_id: Mapped[int | None] = mapped_column(ForeignKey("verbatims.id", ondelete="SET NULL"), unique=True)
    ask_type: Mapped[str] = mapped_column(String(30), default="review")
    status: Mapped[str] = mapped_column(String(20), default="drafted", index=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    # Advocate hub (issue 7): who it is for, review-site campaigns, the signed links, hold and schedule.
    advocate_type: Mapped[str | None] = mapped_column(String(20))
    site: Mapped[str | None] = mapped_column(String(30))  # g2 | capterra | trustradius for review-site asks
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("review_campaigns.id", ondelete="SET NULL"),
                                                    index=True)
    link_nonce: Mapped[str | None] = mapped_column(String(32))  # cleared once the customer answers: single use
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    send_after: Mapped[datetime | None] = mapped_column(index=True)  # approved, waiting for the ask budget
    expires_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    held_from: Mapped[str | None] = mapped_column(String(20))  # the status to return to when the hold lifts
    hold_reason: Mapped[str | None] = mapped_column(String(200))
    response_note: Mapped[str | None] = mapped_column(Text)  # what the customer wrote when answering
    outbox_email_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_emails.id", ondelete="SET NULL"))

    contact: Mapped[Contact] = relationship()
    account: Mapped[Account | None] = relationship()
    verbatim: Mapped[Verbatim | None] = relationship()
    approved_by: Mapped[User | None] = relationship()
    outbox_email: Mapped[OutboxEmail | None] = relationship()
