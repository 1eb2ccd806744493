"""Read-only queries behind the staff lists (visibility rules included)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import (
    Account,
    AdvocacyInvite,
    AdvocateFlag,
    Analysis,
    RecoveryTask,
    RecoveryTaskVerbatim,
    Response,
    Survey,
    User,
    Verbatim,
)
from survey.models.actions import OPEN_TASK_STATUSES
from survey.services.recovery import overdue_clause, visibility

PAGE_SIZE = 50


@dataclass
class FeedbackRow:
    """A verbatim with what the list shows next to it."""

    verbatim: Verbatim
    analysis: Analysis | None
    score: int | None


def home_summary(session: Session, user: User) -> dict[str, Any]:
    """The few numbers each role's home page opens with."""
    open_tasks = session.scalar(
        select(func.count(RecoveryTask.id)).where(RecoveryTask.status.in_(OPEN_TASK_STATUSES), visibility(user))
    )
    overdue = session.scalar(
        select(func.count(RecoveryTask.id)).where(visibility(user), overdue_clause(utcnow()))
    )
    scores = session.scalars(
        select(Response.score).join(Survey, Survey.id == Response.survey_id)
        .where(Survey.kind == "nps", Response.score.is_not(None))
    ).all()
    from survey.scoring import nps

    return {
        "open_tasks": open_tasks or 0,
        "overdue_tasks": overdue or 0,
        "responses": len(scores),
        "nps": nps(list(scores)),
        "pending_analysis": session.scalar(
            select(func.count(Verbatim.id)).where(Verbatim.analysis_status.in_(("pending", "running")))
        ) or 0,
        "advocates": session.scalar(select(func.count(AdvocateFlag.id))) or 0,
        "drafted_invites": session.scalar(
            select(func.count(AdvocacyInvite.id)).where(AdvocacyInvite.status == "drafted")
        ) or 0,
        "accounts": session.scalar(select(func.count(Account.id))) or 0,
        "task_links": session.scalar(select(func.count(RecoveryTaskVerbatim.id))) or 0,
    }
