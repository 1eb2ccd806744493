"""Marketing's advocate programme: advocates, the acts, templates, review campaigns, champion moves."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.database import Base, utcnow
from survey.models.accounts import Account, Contact
from survey.models.users import User

ADVOCATE_TYPES = ("educator", "validator", "status_seeker", "collaborator")
ACTIVITY_TYPES = (
    "review_site",
    "reference_call",
    "case_study",
    "spotlight",
    "conference_talk",
    "webinar",
    "community_answer",
    "panel",
    "advisory_board",
    "beta_programme",
    "referral",
    "new_company_deal",
)
MOVE_STATUSES = ("new", "contacted", "won", "dismissed")
MOVE_SOURCES = ("edit", "import", "api")


class Advocate(Base):
    """A contact who praised us or referred someone; credited to the CSM and segment of that day."""

    __tablename__ = "advocates"
    __table_args__ = (
        CheckConstraint(
            "inferred_type IN ('educator','validator','status_seeker','collaborator')", name="inferred_type"
        ),
        CheckConstraint(
            "type_override IS NULL OR type_override IN "
            "('educator','validator','status_seeker','collaborator')",
            name="type_override",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), unique=True)
    # Where the advocate was created (CS-qualified advocate credit): kept even if the contact later moves.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    csm_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    segment: Mapped[str | None] = mapped_column(String(50))
    inferred_type: Mapped[str] = mapped_column(String(20), default="validator")
    type_override: Mapped[str | None] = mapped_column(String(20))
    type_reasons: Mapped[list[str]] = mapped_column(default=list)  # the cues that decided the inferred type
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    contact: Mapped[Contact] = relationship()
    account: Mapped[Account | None] = relationship()
    csm: Mapped[User | None] = relationship()

    @property
    def advocate_type(self) -> str:
        """Marketing's choice wins over the inference."""
        return self.type_override or self.inferred_type


class InviteTemplate(Base):
    """Marketing's wording for one ask type; {first_name}, {quote}, {company}, {sender} are filled in."""

    __tablename__ = "advocacy_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    ask_type: Mapped[str] = mapped_column(String(30), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ReviewCampaign(Base):
    """A review-site ask sent to every eligible customer alike, whatever they scored (no review gating)."""

    __tablename__ = "review_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    eligible: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[dict[str, Any]] = mapped_column(default=dict)  # reason -> how many were left out
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    created_by: Mapped[User | None] = relationship()


class ChampionMove(Base):
    """A known advocate changed company: a warm door into a new account."""

    __tablename__ = "champion_moves"
    __table_args__ = (
        CheckConstraint("status IN ('new','contacted','won','dismissed')", name="status"),
        CheckConstraint("source IN ('edit','import','api')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<contact id>:<new email>:<new account id>": a re-sync of the same change detects nothing new.
    move_key: Mapped[str] = mapped_column(String(400), unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    advocate_id: Mapped[int | None] = mapped_column(
        ForeignKey("advocates.id", ondelete="SET NULL"), index=True
    )
    old_email: Mapped[str] = mapped_column(String(254))
    new_email: Mapped[str] = mapped_column(String(254))
    old_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    new_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    new_company: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(10), default="edit")
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    note: Mapped[str | None] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    contact: Mapped[Contact] = relationship()
    advocate: Mapped[Advocate | None] = relationship()
    old_account: Mapped[Account | None] = relationship(foreign_keys=[old_account_id])
    new_account: Mapped[Account | None] = relationship(foreign_keys=[new_account_id])


class AdvocacyActivity(Base):
    """A completed act of advocacy: a review, a talk, a referral with its pipeline and won revenue."""

    __tablename__ = "advocacy_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    advocate_id: Mapped[int | None] = mapped_column(
        ForeignKey("advocates.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    # One activity completes an invite; recording it twice (a double click) finds the first.
    invite_id: Mapped[int | None] = mapped_column(
        ForeignKey("advocacy_invites.id", ondelete="SET NULL"), unique=True
    )
    champion_move_id: Mapped[int | None] = mapped_column(
        ForeignKey("champion_moves.id", ondelete="SET NULL"), index=True
    )
    activity_type: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date]
    link: Mapped[str | None] = mapped_column(String(500))
    referred_company: Mapped[str | None] = mapped_column(String(200))
    pipeline_value: Mapped[int] = mapped_column(default=0)  # whole currency units
    won_revenue: Mapped[int] = mapped_column(default=0)
    points: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    advocate: Mapped[Advocate | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    account: Mapped[Account | None] = relationship()
    champion_move: Mapped[ChampionMove | None] = relationship()


class PraiseNotice(Base):
    """Tells an account's CSM that their customer praised unprompted, or praised them by name."""

    __tablename__ = "praise_notices"
    __table_args__ = (UniqueConstraint("flag_id", "user_id", name="uq_praise_notices_flag_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("advocate_flags.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reasons: Mapped[list[str]] = mapped_column(default=list)  # "unsolicited", "named"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    emailed_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
