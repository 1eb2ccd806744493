"""An answer's life after its first step: later comments and score changes update the same response.

A later step never creates a second response. When the text a verbatim holds changes, its old reading is
stale: the analyses, embedding and human labels made for the old text are deleted and the verbatim goes back
to `pending`, keeping its id so a recovery task it already joined stays linked. If a worker is analysing it at
that very moment, the verbatim is replaced by a fresh one instead, because that worker would otherwise
mark the new text analysed with the old text's result: its write for the deleted row fails, the batch is
released and retried, and the sweeper picks up the batch's other verbatims.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import Analysis, Contact, HumanLabel, Response, Survey, Verbatim, VerbatimEmbedding
from survey.services.responses import Submission, add_response_verbatim, needs_action_without_text, store_submission


@dataclass(frozen=True)
class AnswerResult:
    """What a step did: the response, whether it was new, and the verbatim (if any) that needs analysis."""

    response: Response
    created: bool
    changed: bool
    analyse_verbatim_id: int | None


def submit(session: Session, survey: Survey, sub: Submission) -> AnswerResult:
    """Store a submission; a repeated submission id updates the first response instead of adding one."""
    result = store_submission(session, survey, sub)
    if result.created:
        vid = result.verbatim.id if result.verbatim is not None else None
        return AnswerResult(result.response, created=True, changed=True, analyse_verbatim_id=vid)
    response = result.response
    changed_verbatim: int | None = None
    changed = False
    if sub.score is not None and sub.score != response.score:
        changed_verbatim = set_score(session, response, sub.score)
        changed = True
    if sub.comment:
        vid = set_comment(session, response, sub.comment)
        if vid is not None:
            changed_verbatim, changed = vid, True
    if sub.email and response.contact_id is None:
        changed = attach_contact(session, response, sub.email) or changed
    return AnswerResult(response, created=False, changed=changed, analyse_verbatim_id=changed_verbatim)


def set_score(session: Session, response: Response, score: int) -> int | None:
    """Change a response's score (a second click); returns the verbatim id to re-analyse, if any."""
    if response.score == score:
        return None
    survey = session.get(Survey, response.survey_id)
    response.score = score
    response.updated_at = utcnow()
    verbatim = _verbatim_of(session, response)
    if verbatim is not None:
        # The score is part of what the engine and the follow-up read (score mismatch, detractor task).
        return _reanalyse(session, response, verbatim, verbatim.text).id
    if survey is not None and needs_action_without_text(survey, score):
        return add_response_verbatim(session, response, "").id
    session.flush()
    return None


def set_comment(session: Session, response: Response, comment: str) -> int | None:
    """Attach or replace the response's comment; returns the verbatim id to analyse, None when unchanged."""
    verbatim = _verbatim_of(session, response)
    if verbatim is None:
        response.updated_at = utcnow()
        return add_response_verbatim(session, response, comment).id
    if verbatim.text == comment:
        return None
    response.updated_at = utcnow()
    return _reanalyse(session, response, verbatim, comment).id


def attach_contact(session: Session, response: Response, email: str) -> bool:
    """Link an anonymous response to the contact who left their email on a later step."""
    contact = session.scalar(select(Contact).where(Contact.email == email.strip().lower()))
    if contact is None:
        return False
    response.contact_id = contact.id
    response.account_id = contact.account_id
    verbatim = _verbatim_of(session, response)
    if verbatim is not None:
        verbatim.contact_id = contact.id
        verbatim.account_id = contact.account_id
    session.flush()
    return True


def _verbatim_of(session: Session, response: Response) -> Verbatim | None:
    return session.scalar(select(Verbatim).where(Verbatim.response_id == response.id))


def _reanalyse(session: Session, response: Response, verbatim: Verbatim, text: str) -> Verbatim:
    """Put the verbatim back in the analysis queue with its new text (see the module docstring)."""
    reset = session.execute(
        update(Verbatim)
        .where(Verbatim.id == verbatim.id, Verbatim.analysis_status != "running")
        .values(
            text=text,
            analysis_status="pending",
            analysis_attempts=0,
            analysis_error=None,
            claim_token=None,
            claimed_at=None,
            analyzed_at=None,
            action_status=None,
        )
        .execution_options(synchronize_session=False)
    )
    if reset.rowcount:
        session.execute(delete(Analysis).where(Analysis.verbatim_id == verbatim.id))
        session.execute(delete(VerbatimEmbedding).where(VerbatimEmbedding.verbatim_id == verbatim.id))
        session.execute(delete(HumanLabel).where(HumanLabel.verbatim_id == verbatim.id))
        session.refresh(verbatim)
        return verbatim
    # Insert the replacement before deleting: it takes a higher id, so SQLite can never hand the old id (which
    # the worker still holds) to a new row.
    fresh = Verbatim(
        text=text,
        source="survey",
        response_id=None,
        contact_id=response.contact_id,
        account_id=response.account_id,
    )
    session.add(fresh)
    session.flush()
    session.delete(verbatim)
    session.flush()
    fresh.response_id = response.id
    session.flush()
    return fresh
