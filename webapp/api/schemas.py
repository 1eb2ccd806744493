"""Request and response models of the API (they are also its OpenAPI schema)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

# ASCII only: JSON Schema's regex dialect and Python's disagree on what \s matches beyond ASCII.
EMAIL_PATTERN = r"^[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns
ExternalId = Field(min_length=1, max_length=100, pattern=r"^[\w.:@/-]+$")


class Strict(BaseModel):
    """Unknown fields are refused, so a typo in a field name is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """NUL can't be stored in PostgreSQL text: replace it (not drop it, which would change lengths)."""
        return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str
    input: Any = None
    ctx: dict[str, Any] | None = None
    url: str | None = None


class ValidationErrorOut(RootModel[list[ValidationIssue]]):
    """422: which fields were wrong and why (pydantic's error list)."""


class ErrorOut(BaseModel):
    error: str
    status: int | None = None


class AccountIn(Strict):
    external_id: str = ExternalId
    name: str = Field(min_length=1, max_length=200)
    domain: str | None = Field(default=None, max_length=200)
    plan: str | None = Field(default=None, max_length=50)
    arr: int = Field(default=0, ge=0, le=2_000_000_000)  # the column is a 32-bit integer
    segment: str | None = Field(default=None, max_length=50)
    renewal_date: date | None = None
    active: bool = True
    owner_email: str | None = Field(default=None, pattern=EMAIL_PATTERN, max_length=254)


class AccountsIn(Strict):
    accounts: list[AccountIn] = Field(min_length=1, max_length=1000)


class ContactIn(Strict):
    external_id: str = ExternalId
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    account_external_id: str | None = Field(default=None, min_length=1, max_length=100)
    name: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2}([-_][A-Za-z]{2})?$")
    marketing_consent: bool = False
    unsubscribed: bool = False


class ContactsIn(Strict):
    contacts: list[ContactIn] = Field(min_length=1, max_length=1000)


class UpsertOut(BaseModel):
    created: list[int]
    updated: list[int]
    unchanged: list[int]
    moved: list[int] = []


class VerbatimIn(Strict):
    source: Literal["support_ticket", "email", "review", "note", "import"]
    external_id: str = ExternalId
    # At least one character that is not whitespace, spelt out so JSON Schema, pydantic and Python agree.
    text: str = Field(min_length=1, max_length=20000,
                      pattern="[^\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]")
    contact_email: str | None = Field(default=None, pattern=EMAIL_PATTERN, max_length=254)
    contact_external_id: str | None = Field(default=None, min_length=1, max_length=100)
    account_external_id: str | None = Field(default=None, min_length=1, max_length=100)
    created_at: datetime | None = None


class VerbatimsIn(Strict):
    verbatims: list[VerbatimIn] = Field(min_length=1, max_length=1000)


class IngestOut(BaseModel):
    created: list[int]
    existing: list[int]


class CategoryOut(BaseModel):
    key: str
    confidence: float
    polarity: str
    evidence: dict[str, Any] | None = None


class AnalysisOut(BaseModel):
    model_version: str
    sentiment: str
    sentiment_confidence: float
    categories: list[dict[str, Any]]
    praise: bool
    praise_targets: list[str]
    referral_signal: bool
    churn_risk: bool
    score_mismatch: bool
    people: list[str]
    competitors: list[str]
    clauses: list[dict[str, Any]]
    evidence: dict[str, Any]
    analysed_at: str


class ResponseOut(BaseModel):
    id: int
    survey_key: str
    score: int | None
    channel: str
    answered_at: str
    contact_id: int | None
    account_id: int | None
    comment: str | None
    verbatim_id: int | None
    analysis_status: str
    analysis_error: str | None
    analysis: AnalysisOut | None
    recovery_task_id: int | None
    advocacy_invite_id: int | None
    advocate_flag_id: int | None


class VerbatimOut(BaseModel):
    id: int
    source: str
    external_id: str | None
    text: str
    created_at: str
    account_id: int | None
    contact_id: int | None
    contact_email: str | None
    score: int | None
    analysis_status: str
    analysis: AnalysisOut | None


class VerbatimListOut(BaseModel):
    items: list[VerbatimOut]
    next_before_id: int | None


class ExportQuery(Strict):
    """The verbatim filters, shared by the paged list and the export."""

    source: Literal["survey", "support_ticket", "email", "review", "note", "import"] | None = None
    sentiment: Literal["positive", "negative", "neutral", "mixed"] | None = None
    category: str | None = Field(default=None, max_length=60)
    account_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    since: date | None = None
    until: date | None = None


class VerbatimQuery(ExportQuery):
    before_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="keyset pagination: ids below this")
    limit: int = Field(default=100, ge=1, le=500)


class ExportOut(BaseModel):
    count: int
    truncated: bool
    items: list[VerbatimOut]


class TaskOut(BaseModel):
    id: int
    status: str
    priority: str
    reason: str
    score: int | None
    account_id: int | None
    contact_id: int | None
    owner_id: int | None
    due_at: str
    created_at: str
    resolved_at: str | None
    verbatim_ids: list[int]


class TaskListOut(BaseModel):
    items: list[TaskOut]


class TaskQuery(Strict):
    status: Literal["open", "contacted", "in_progress", "resolved", "unresolvable"] | None = None
    limit: int = Field(default=100, ge=1, le=500)


class InviteOut(BaseModel):
    id: int
    status: str
    ask_type: str
    contact_id: int
    account_id: int | None
    verbatim_id: int | None
    created_at: str
    sent_at: str | None


class InviteListOut(BaseModel):
    items: list[InviteOut]


class InviteQuery(Strict):
    status: str | None = Field(default=None, max_length=20)
    limit: int = Field(default=100, ge=1, le=500)
