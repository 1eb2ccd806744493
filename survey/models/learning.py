"""What people taught the NLP engine: corrections, and the trained model versions made from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.database import Base, utcnow
from survey.models.feedback import Verbatim
from survey.models.users import User

LABEL_FIELDS = ("categories", "sentiment", "praise", "praise_targets", "referral_signal", "churn_risk")


class HumanLabel(Base):
    """A person's correction of one field of a verbatim's analysis; the newest per field wins."""

    __tablename__ = "human_labels"
    __table_args__ = (
        CheckConstraint(
            "field IN ('categories','sentiment','praise','praise_targets','referral_signal','churn_risk')",
            name="field",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    verbatim_id: Mapped[int] = mapped_column(ForeignKey("verbatims.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    field: Mapped[str] = mapped_column(String(30))
    value: Mapped[Any] = mapped_column(nullable=True)  # JSON: list[str] | str | bool
    previous: Mapped[Any] = mapped_column(nullable=True)
    context: Mapped[str] = mapped_column(String(20), default="insights")  # where it was made
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    verbatim: Mapped[Verbatim] = relationship()
    user: Mapped[User | None] = relationship()


class ModelVersion(Base):
    """A trained model (bytes from nlp.training.train), kept so a bad one can be rolled back."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(120), unique=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # megabytes: loaded only when a worker switches model
    n_examples: Mapped[int] = mapped_column(default=0)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
