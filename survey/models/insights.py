"""Product insights: a narrow read model of every answer and verbatim, emerging themes, re-analysis runs,
and "we fixed it" notes with the messages they draft.

`InsightFact` is a projection of verbatims, responses and their newest analysis, one row per verbatim (or per
scored response that has no verbatim), so filters, counts and charts scan one narrow table instead of joining
the newest analysis of a million verbatims. It is derived data: `feedloop insights rebuild-facts` recreates it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.database import Base, utcnow
from survey.models.accounts import Account, Contact
from survey.models.feedback import Verbatim
from survey.models.users import User

# Objects the migration creates per dialect (SQLite FTS5 table and its shadow tables, the PostgreSQL tsvector
# table and its GIN index): not mapped, so autogenerate comparisons must skip them.
SEARCH_TABLE = "verbatim_search"
THEME_STATUSES = ("new", "emerging", "stable", "promoted", "dismissed")
RUN_STATUSES = ("pending", "running", "done", "failed")


def include_in_autogenerate(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic include_object hook: leave the dialect-specific full-text search objects out of comparisons."""
    if name and name.startswith(SEARCH_TABLE):
        return False
    table = getattr(obj, "table", None)
    return not (type_ in ("index", "column") and table is not None and str(table.name).startswith(SEARCH_TABLE))


class InsightFact(Base):
    """One verbatim (or one scored answer without a verbatim) as the insights page filters and counts it."""

    __tablename__ = "insight_facts"
    __table_args__ = (
        Index("ix_insight_facts_created_verbatim", "created_at", "verbatim_id"),
        Index("ix_insight_facts_account_created", "account_id", "created_at"),
        Index("ix_insight_facts_survey_created", "survey_id", "created_at"),
        Index("ix_insight_facts_bucket_created", "bucket", "created_at"),
        Index("ix_insight_facts_sentiment_created", "sentiment", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    verbatim_id: Mapped[int | None] = mapped_column(ForeignKey("verbatims.id", ondelete="CASCADE"), unique=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(30))
    has_text: Mapped[bool] = mapped_column(default=False)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="SET NULL"))
    survey_kind: Mapped[str | None] = mapped_column(String(20))
    score: Mapped[int | None]
    bucket: Mapped[str | None] = mapped_column(String(10))  # promoter/passive/detractor on the survey's scale
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    analysis_id: Mapped[int | None] = mapped_column(index=True)  # the newest analysis; None while pending
    sentiment: Mapped[str | None] = mapped_column(String(10))
    praise: Mapped[bool] = mapped_column(default=False)
    churn_risk: Mapped[bool] = mapped_column(default=False)
    corrected: Mapped[bool] = mapped_column(default=False)
    # Categories as bits (bit = Category.id, ids 1..62), so filters, facets, trends and drivers are one scan of
    # this table instead of a join with insight_fact_categories; the polarity masks give net sentiment.
    category_mask: Mapped[int] = mapped_column(BigInteger, default=0)
    positive_mask: Mapped[int] = mapped_column(BigInteger, default=0)
    negative_mask: Mapped[int] = mapped_column(BigInteger, default=0)


class InsightFactCategory(Base):
    """A category on a fact, with its polarity and the fact's date so trends group without a join."""

    __tablename__ = "insight_fact_categories"
    __table_args__ = (Index("ix_insight_fact_categories_key_created", "category_key", "created_at"),)

    fact_id: Mapped[int] = mapped_column(ForeignKey("insight_facts.id", ondelete="CASCADE"), primary_key=True)
    category_key: Mapped[str] = mapped_column(String(60), primary_key=True)
    polarity: Mapped[str] = mapped_column(String(10), default="neutral")
    created_at: Mapped[datetime]


class InsightSyncState(Base):
    """How far the read model and the vector index have caught up (one row, id 1)."""

    __tablename__ = "insight_sync_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(40))  # identifies this database's history to the index file
    last_verbatim_id: Mapped[int] = mapped_column(default=0)
    last_response_id: Mapped[int] = mapped_column(default=0)
    last_analysis_id: Mapped[int] = mapped_column(default=0)
    last_label_id: Mapped[int] = mapped_column(default=0)
    synced_at: Mapped[datetime | None]


class ThemeRun(Base):
    """One clustering of a period's verbatims; the period makes the job idempotent."""

    __tablename__ = "theme_runs"
    __table_args__ = (
        UniqueConstraint("period_start", "period_end", name="uq_theme_runs_period"),
        CheckConstraint("status IN ('pending','running','done','failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    n_verbatims: Mapped[int] = mapped_column(default=0)
    n_themes: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]

    themes: Mapped[list[Theme]] = relationship(back_populates="run", order_by="Theme.size.desc()")


class Theme(Base):
    """A cluster of similar recent verbatims, named from its distinctive lemmas, compared with the last period."""

    __tablename__ = "themes"
    __table_args__ = (
        CheckConstraint("status IN ('new','emerging','stable','promoted','dismissed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("theme_runs.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    terms: Mapped[list[str]] = mapped_column(default=list)
    example_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # most central verbatims first
    size: Mapped[int] = mapped_column(default=0)
    previous_size: Mapped[int] = mapped_column(default=0)  # similar verbatims in the period before
    detractor_share: Mapped[float] = mapped_column(default=0.0)
    nearest_category: Mapped[str | None] = mapped_column(String(60))
    coverage: Mapped[float] = mapped_column(default=0.0)  # how well the nearest category covers it (0..1)
    emerging: Mapped[bool] = mapped_column(default=False)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(10), default="new")
    centroid: Mapped[bytes] = mapped_column(LargeBinary)  # float32, L2-normalised
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[ThemeRun] = relationship(back_populates="themes")


class ThemeMember(Base):
    """A verbatim in a theme (so the browser can filter by theme)."""

    __tablename__ = "theme_members"

    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True)
    verbatim_id: Mapped[int] = mapped_column(ForeignKey("verbatims.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)


class ReanalysisRun(Base):
    """Re-analysis of the history after a taxonomy change, with the figures its progress bar shows."""

    __tablename__ = "reanalysis_runs"
    __table_args__ = (CheckConstraint("status IN ('pending','running','done','failed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    total: Mapped[int] = mapped_column(default=0)
    start_analysis_id: Mapped[int] = mapped_column(default=0)  # analyses newer than this count as re-done
    model_version: Mapped[str | None] = mapped_column(String(120))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class FixNote(Base):
    """A category or theme marked as addressed, with the release note that goes to the detractors it hurt."""

    __tablename__ = "fix_notes"
    __table_args__ = (CheckConstraint("status IN ('pending','running','done','failed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_key: Mapped[str | None] = mapped_column(String(60))
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    release_note: Mapped[str] = mapped_column(Text)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="pending")
    drafted: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()


class FixMessage(Base):
    """A drafted "we fixed it" message to one detractor, for the account owner to review and send."""

    __tablename__ = "fix_messages"
    __table_args__ = (
        UniqueConstraint("note_id", "contact_id", name="uq_fix_messages_note_contact"),
        CheckConstraint("status IN ('drafted','sent','discarded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("fix_notes.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    verbatim_id: Mapped[int | None] = mapped_column(ForeignKey("verbatims.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="drafted")
    outbox_email_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_emails.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    note: Mapped[FixNote] = relationship()
    contact: Mapped[Contact] = relationship()
    account: Mapped[Account | None] = relationship()
    owner: Mapped[User | None] = relationship()
    verbatim: Mapped[Verbatim | None] = relationship()
