"""Signed links: one-click score links in emails, and the short-lived link to a response's comment step.

Tokens are itsdangerous timed signatures: the payload is readable (ids only), cannot be altered without the
app's secret key, and expires. A one-click token names the email it was sent in; every score link of that
email shares it, so a second click (or a reloaded link) updates the one response that email produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.models import Contact, OutboxEmail, Response, Survey
from survey.services.answers import AnswerResult, set_score
from survey.services.responses import add_response_verbatim, needs_action_without_text

ONE_CLICK_SALT = "feedloop.one-click.v1"
EDIT_SALT = "feedloop.response-edit.v1"


class LinkExpired(ValueError):
    """The signature is genuine but older than its lifetime."""


class LinkInvalid(ValueError):
    """The token was altered, truncated or made with another key."""


@dataclass(frozen=True)
class OneClickClaim:
    """What a genuine one-click token says: which email, survey and contact it belongs to."""

    outbox_email_id: int
    survey_id: int
    contact_id: int | None


def one_click_token(secret_key: str, email: OutboxEmail) -> str:
    """The token shared by an email's score links."""
    return _serializer(secret_key, ONE_CLICK_SALT).dumps(
        {"m": email.id, "s": email.survey_id, "c": email.contact_id}
    )


def read_one_click(secret_key: str, token: str, max_age_seconds: int) -> OneClickClaim:
    """Verify a one-click token, raising LinkExpired or LinkInvalid."""
    data = _load(secret_key, ONE_CLICK_SALT, token, max_age_seconds)
    try:
        return OneClickClaim(
            int(data["m"]), int(data["s"]), int(data["c"]) if data.get("c") is not None else None
        )
    except (KeyError, TypeError, ValueError):
        raise LinkInvalid("payload") from None


def edit_token(secret_key: str, response: Response) -> str:
    """A token that lets whoever just answered add or change the comment of this response."""
    return _serializer(secret_key, EDIT_SALT).dumps({"r": response.id, "s": response.survey_id})


def read_edit_token(secret_key: str, token: str, max_age_seconds: int, survey_id: int) -> int:
    """The response id an edit token grants, for this survey only."""
    data = _load(secret_key, EDIT_SALT, token, max_age_seconds)
    try:
        if int(data["s"]) != survey_id:
            raise LinkInvalid("survey")
        return int(data["r"])
    except (KeyError, TypeError, ValueError):
        raise LinkInvalid("payload") from None


def record_one_click(
    session: Session, survey: Survey, email: OutboxEmail, score: int, locale: str | None
) -> AnswerResult:
    """Record the clicked score: the first click creates the email's response, later ones change its score."""
    existing = session.scalar(select(Response).where(Response.outbox_email_id == email.id))
    if existing is not None:
        return _rescore(session, existing, score)
    contact = session.get(Contact, email.contact_id) if email.contact_id else None
    response = Response(
        survey_id=survey.id,
        contact_id=contact.id if contact else None,
        account_id=contact.account_id if contact else None,
        score=score,
        channel="email",
        locale=locale,
        outbox_email_id=email.id,
    )
    try:
        with session.begin_nested():
            session.add(response)
            session.flush()
    except IntegrityError:
        # A double click raced us: the other request created it, so this click is a score update.
        existing = session.scalar(select(Response).where(Response.outbox_email_id == email.id))
        if existing is None:
            raise
        return _rescore(session, existing, score)
    vid = None
    if needs_action_without_text(survey, score):  # the same rule as store_submission
        vid = add_response_verbatim(session, response, "").id
    return AnswerResult(response, created=True, changed=True, analyse_verbatim_id=vid)


def _rescore(session: Session, response: Response, score: int) -> AnswerResult:
    """A repeated click within the link's lifetime: same response, possibly a new score."""
    previous = response.score
    vid = set_score(session, response, score)
    return AnswerResult(response, created=False, changed=previous != score, analyse_verbatim_id=vid)


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def _load(secret_key: str, salt: str, token: str, max_age_seconds: int) -> dict[str, Any]:
    if not token or len(token) > 500:
        raise LinkInvalid("length")
    try:
        data = _serializer(secret_key, salt).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise LinkExpired("expired") from None
    except BadSignature:
        raise LinkInvalid("signature") from None
    if not isinstance(data, dict):
        raise LinkInvalid("payload")
    return data
