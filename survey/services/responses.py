"""Accepting a customer's answer: validate, dedupe by submission id, store the response and its verbatim."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import DateTime, Integer, String, Table, bindparam, insert, literal, select
from sqlalchemy.orm import Session

from survey.database import adopt_inserted, utcnow
from survey.models import Contact, Response, Survey, Verbatim
from survey.scoring import bucket, score_range

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
SUBMISSION_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


class SubmissionError(ValueError):
    """A specific, user-facing reason a submission was refused (becomes a 4xx)."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Submission:
    """A validated answer, ready to store."""

    score: int | None
    comment: str
    email: str | None
    submission_id: str | None
    channel: str = "link"
    locale: str | None = None


@dataclass(frozen=True)
class SubmitResult:
    """What storing a submission did; `created` is False when it was a duplicate."""

    response: Response
    verbatim: Verbatim | None
    created: bool


def parse_submission(
    survey: Survey, data: dict[str, Any], *, max_comment_chars: int, channel: str = "link"
) -> Submission:
    """Turn raw JSON or form fields into a Submission, or raise SubmissionError saying what is wrong."""
    if survey.status != "active":
        raise SubmissionError(f"This survey is {survey.status} and does not accept answers.", status=409)
    bounds = score_range(survey.kind)
    score = _parse_score(data.get("score"), bounds)
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        raise SubmissionError("comment must be text.", "comment")
    comment = comment.replace("\x00", "").strip()
    if len(comment) > max_comment_chars:
        raise SubmissionError(
            f"The comment is {len(comment)} characters long; the limit is {max_comment_chars}.",
            "comment",
            status=413,
        )
    if score is None and bounds is not None:
        raise SubmissionError(f"score is required: a whole number from {bounds[0]} to {bounds[1]}.", "score")
    if bounds is None and not comment:
        raise SubmissionError("comment is required for a feedback survey.", "comment")
    email = data.get("email") or None
    if email is not None:
        if not isinstance(email, str) or not EMAIL_RE.match(email.strip()) or len(email) > 254:
            raise SubmissionError("email is not a valid email address.", "email")
        email = email.strip().lower()
    submission_id = data.get("submission_id") or None
    if submission_id is not None:
        submission_id = str(submission_id)
        if not SUBMISSION_ID_RE.match(submission_id):
            raise SubmissionError(
                "submission_id must be 1-100 characters of letters, digits, '_', '.', ':' or '-'.",
                "submission_id",
            )
    return Submission(score=score, comment=comment, email=email, submission_id=submission_id, channel=channel)


def _parse_score(raw: Any, bounds: tuple[int, int] | None) -> int | None:
    """Accept 7, "7" or 7.0; refuse anything else with the valid range in the message."""
    if raw is None or raw == "":
        return None
    if bounds is None:
        raise SubmissionError("This survey takes no score.", "score")
    if isinstance(raw, bool):
        raise SubmissionError(f"score must be a whole number from {bounds[0]} to {bounds[1]}.", "score")
    try:
        value = float(raw) if isinstance(raw, (int, float)) else float(str(raw).strip())
    except ValueError:
        raise SubmissionError(
            f"score must be a whole number from {bounds[0]} to {bounds[1]}.", "score"
        ) from None
    if not value.is_integer() or not bounds[0] <= value <= bounds[1]:
        raise SubmissionError(f"score must be a whole number from {bounds[0]} to {bounds[1]}.", "score")
    return int(value)


def store_submission(session: Session, survey: Survey, sub: Submission) -> SubmitResult:
    """Insert the response (and its verbatim when there is a comment); a repeated submission id returns the first."""
    contact = None
    if sub.email:
        contact = session.scalar(select(Contact).where(Contact.email == sub.email))
    values = {
        "survey_id": survey.id,
        "contact_id": contact.id if contact else None,
        "account_id": contact.account_id if contact else None,
        "score": sub.score,
        "channel": sub.channel,
        "locale": sub.locale,
        "submission_id": sub.submission_id,
        "answered_at": utcnow(),
    }
    # A detractor who left no comment still deserves a call: an empty verbatim carries the score.
    text = sub.comment or ("" if needs_action_without_text(survey, sub.score) else None)
    inserted = _insert_response(session, values, text)
    if inserted is None:  # a retried submission (same id, possibly concurrent) inserted nothing
        existing = session.scalar(select(Response).where(Response.submission_id == sub.submission_id))
        if existing is None:  # pragma: no cover - the conflicting row exists by definition
            raise RuntimeError(f"submission {sub.submission_id!r} conflicted but cannot be found")
        return _duplicate(session, existing)
    response = adopt_inserted(session, Response, inserted[0], values)
    verbatim = None
    if text is not None:
        if inserted[1] is None:
            verbatim = add_response_verbatim(session, response, text)
        else:
            verbatim = adopt_inserted(session, Verbatim, inserted[1], _verbatim_values(response, text))
    if contact is not None:
        contact.last_asked_at = response.answered_at
    from survey.services.webhooks import emit

    emit(session, "response.created", {
        "response_id": response.id, "survey_key": survey.public_key, "score": response.score,
        "channel": response.channel, "comment": verbatim.text if verbatim else None,
        "contact_id": response.contact_id, "account_id": response.account_id,
        "summary": f"{survey.name}: score {response.score}",
    })
    return SubmitResult(response=response, verbatim=verbatim, created=True)


def _insert_response(session: Session, values: dict[str, Any], text: str | None) -> tuple[int, int | None] | None:
    """Insert the response, skipping a known submission id: (response id, verbatim id or None), or None.

    On PostgreSQL the verbatim goes in the same statement (a data-modifying WITH), one round trip instead of two;
    SQLite has no such statement and the caller inserts the verbatim next.
    """
    dialect = session.get_bind().dialect.name
    if text is None or dialect != "postgresql":
        response_id = session.execute(_response_insert(dialect), values).scalar()
        return None if response_id is None else (response_id, None)
    row = session.execute(_response_with_verbatim_insert(), {**values, "verbatim_text": text}).first()
    return None if row is None else (row[0], row[1])


_RESPONSE_COLUMNS = ("survey_id", "contact_id", "account_id", "score", "channel", "locale", "submission_id",
                     "answered_at")


def _response_upsert(dialect: str) -> Any:
    """INSERT of a response that does nothing for a submission id already stored, values bound at execution."""
    return (
        _insert_for_dialect(dialect, Response.__table__)
        .values({name: bindparam(name) for name in _RESPONSE_COLUMNS})
        .on_conflict_do_nothing(index_elements=["submission_id"])
    )


@cache
def _response_insert(dialect: str) -> Any:
    """Built once per dialect: building SQLAlchemy statements costs more than running these."""
    return _response_upsert(dialect).returning(Response.__table__.c.id)


@cache
def _response_with_verbatim_insert() -> Any:
    table, verbatims = Response.__table__, Verbatim.__table__
    response = (
        _response_upsert("postgresql")
        .returning(table.c.id, table.c.contact_id, table.c.account_id)
        .cte("new_response")
    )
    verbatim = (
        insert(verbatims)
        .from_select(
            # Every column spelled out: column defaults are not applied to an INSERT nested in a WITH.
            ["text", "source", "response_id", "contact_id", "account_id", "created_at", "analysis_status",
             "analysis_attempts"],
            select(bindparam("verbatim_text", type_=String), literal("survey", String), response.c.id,
                   response.c.contact_id, response.c.account_id, bindparam("answered_at", type_=DateTime),
                   literal("pending", String), literal(0, Integer)),
            include_defaults=False,
        )
        .returning(verbatims.c.id)
        .cte("new_verbatim")
    )
    return select(response.c.id, select(verbatim.c.id).scalar_subquery())


def _verbatim_values(response: Response, text: str) -> dict[str, Any]:
    return {"text": text, "source": "survey", "response_id": response.id, "contact_id": response.contact_id,
            "account_id": response.account_id, "created_at": response.answered_at}


def _insert_for_dialect(dialect: str, table: Table) -> Any:
    """INSERT with ON CONFLICT for the database at hand (PostgreSQL in production, SQLite embedded)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def add_response_verbatim(session: Session, response: Response, text: str) -> Verbatim:
    """The survey verbatim of a response (its comment, or "" carrying a detractor's score), inserted for its id."""
    values = _verbatim_values(response, text)
    verbatim_id = session.execute(_verbatim_insert(), values).scalar_one()
    return adopt_inserted(session, Verbatim, verbatim_id, values)


@cache
def _verbatim_insert() -> Any:
    table = Verbatim.__table__
    return insert(table).returning(table.c.id)


def needs_action_without_text(survey: Survey, score: int | None) -> bool:
    """Scores alone can demand follow-up (detractors); promoters without text only count."""
    return bucket(survey.kind, score) == "detractor"


def _duplicate(session: Session, existing: Response) -> SubmitResult:
    verbatim = session.scalar(select(Verbatim).where(Verbatim.response_id == existing.id))
    return SubmitResult(response=existing, verbatim=verbatim, created=False)
