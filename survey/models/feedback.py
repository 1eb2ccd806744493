"""What customers wrote, and what the NLP engine made of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.database import Base, utcnow
from survey.models.accounts import Account, Contact
from survey.models.surveys import Response

SOURCES = ("survey", "support_ticket", "email", "review", "note", "import")
ANALYSIS_STATES = ("pending", "running", "done", "failed")


class Verbatim(Base):
    """A piece of customer text from any channel; its analysis state lives here so a sweeper can find it."""

    __tablename__ = "verbatims"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_verbatims_source_external_id"),
        CheckConstraint("analysis_status IN ('pending','running','done','failed')", name="analysis_status"),
        CheckConstraint("action_status IN ('pending','done')", name="action_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(30), default="survey")
    external_id: Mapped[str | None] = mapped_column(String(200))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    analysis_status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    analysis_attempts: Mapped[int] = mapped_column(default=0)
    analysis_error: Mapped[str | None] = mapped_column(Text)
    claim_token: Mapped[str | None] = mapped_column(String(40), index=True)
    claimed_at: Mapped[datetime | None]
    analyzed_at: Mapped[datetime | None]
    action_status: Mapped[str | None] = mapped_column(String(10), index=True)

    response: Mapped[Response | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    account: Mapped[Account | None] = relationship()


class VerbatimEmbedding(Base):
    """The sentence embedding of a verbatim, kept apart so the verbatims table stays narrow."""

    __tablename__ = "verbatim_embeddings"

    verbatim_id: Mapped[int] = mapped_column(ForeignKey("verbatims.id", ondelete="CASCADE"), primary_key=True)
    model: Mapped[str] = mapped_column(String(100))
    dim: Mapped[int]
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian, L2-normalised


class Analysis(Base):
    """One model version's reading of a verbatim; unique per version so re-running a job adds nothing."""

    __tablename__ = "analyses"
    __table_args__ = (UniqueConstraint("verbatim_id", "model_version", name="uq_analyses_verbatim_model"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    verbatim_id: Mapped[int] = mapped_column(ForeignKey("verbatims.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sentiment: Mapped[str] = mapped_column(String(10), index=True)
    sentiment_confidence: Mapped[float] = mapped_column(default=0.0)
    praise: Mapped[bool] = mapped_column(default=False)
    praise_targets: Mapped[list[str]] = mapped_column(default=list)
    referral_signal: Mapped[bool] = mapped_column(default=False)
    churn_risk: Mapped[bool] = mapped_column(default=False)
    score_mismatch: Mapped[bool] = mapped_column(default=False)
    people: Mapped[list[str]] = mapped_column(default=list)
    competitors: Mapped[list[str]] = mapped_column(default=list)
    # [{"key", "confidence", "polarity", "evidence": {"start","end","text"}}]
    categories: Mapped[list[Any]] = mapped_column(default=list)
    category_keys: Mapped[list[str]] = mapped_column(default=list)
    clauses: Mapped[list[Any]] = mapped_column(default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)  # praise/referral/churn spans
    corrected: Mapped[bool] = mapped_column(default=False)  # a person overrode some field

    verbatim: Mapped[Verbatim] = relationship()


class Category(Base):
    """A root-cause category of the user's taxonomy, editable, seeded from the default one."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    seed_examples: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
