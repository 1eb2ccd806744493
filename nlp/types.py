"""Plain data passed between the NLP engine and the rest of Feedloop (no ORM, no Flask)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

Sentiment = Literal["positive", "negative", "neutral", "mixed"]
Polarity = Literal["positive", "negative", "neutral"]
PRAISE_TARGETS = ("product", "support", "person", "company")


@dataclass(frozen=True)
class VerbatimInput:
    """What the engine needs to know about one verbatim."""

    text: str
    channel: str = "nps"  # nps, feedback_form, support_ticket, email_to_csm, review_site
    score: int | None = None
    survey_kind: str | None = None  # nps/csat/ces/feedback; score scales differ


@dataclass
class Evidence:
    """A character span of the verbatim that supports a finding."""

    start: int
    end: int
    text: str


@dataclass
class CategoryHit:
    """One root-cause category found in a verbatim (or in one of its clauses)."""

    key: str
    confidence: float
    polarity: Polarity
    evidence: Evidence | None = None


@dataclass
class ClauseAnalysis:
    """Aspect-level result for one sentence or clause."""

    start: int
    end: int
    text: str
    polarity: Polarity
    categories: list[CategoryHit] = field(default_factory=list)
    praise_targets: list[str] = field(default_factory=list)


@dataclass
class VerbatimAnalysis:
    """Everything the engine concluded about one verbatim."""

    model_version: str
    categories: list[CategoryHit]
    sentiment: Sentiment
    sentiment_confidence: float
    praise: bool
    praise_targets: list[str]
    praise_evidence: list[Evidence]
    people: list[str]
    referral_signal: bool
    referral_evidence: list[Evidence]
    churn_risk: bool
    churn_evidence: list[Evidence]
    competitors: list[str]
    score_mismatch: bool
    clauses: list[ClauseAnalysis]
    embedding: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored in the database and written by `feedloop nlp analyze`."""
        # asdict deep-copies every float of the embedding one by one; a plain list copy is the same JSON.
        data = asdict(replace(self, embedding=None))
        data["embedding"] = None if self.embedding is None else [float(x) for x in self.embedding]
        return data
