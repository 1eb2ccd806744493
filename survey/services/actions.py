"""Deciding the follow-up for an analysed verbatim: recovery task, advocate flag, invite draft."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import (
    AdvocacyInvite,
    AdvocateFlag,
    Analysis,
    Response,
    Survey,
    Verbatim,
)
from survey.scoring import bucket
from survey.services.analysis import latest_analysis
from survey.services.advocacy import advocacy_follow_up
from survey.services.recovery import open_or_join_task


@dataclass
class ActionOutcome:
    """Ids of what the follow-up created or joined (None when nothing)."""

    recovery_task_id: int | None = None
    advocate_flag_id: int | None = None
    advocacy_invite_id: int | None = None


def act_on_verbatim(
    session: Session, verbatim: Verbatim, *, sla_days: dict[str, int], high_arr: int,
    analysis: Analysis | None = None,
) -> ActionOutcome:
    """Create the right follow-ups once; running it again finds them and adds nothing.

    `analysis`: the verbatim's newest analysis when the caller has it at hand (else it is read).
    """
    outcome = ActionOutcome()
    if verbatim.action_status == "done":
        return outcome
    if analysis is None or analysis.verbatim_id != verbatim.id:
        analysis = latest_analysis(session, verbatim.id)
    response = session.get(Response, verbatim.response_id) if verbatim.response_id else None
    survey = session.get(Survey, response.survey_id) if response else None
    score = response.score if response else None
    kind = survey.kind if survey else None
    score_bucket = bucket(kind, score) if kind else None
    churn = bool(analysis and analysis.churn_risk)

    if score_bucket == "detractor" or churn:
        reason = "detractor" if score_bucket == "detractor" else "churn_risk"
        task = open_or_join_task(
            session, verbatim, analysis, score if kind == "nps" else None, reason, sla_days, high_arr
        )
        outcome.recovery_task_id = task.id

    advocacy = advocacy_follow_up(session, verbatim, analysis, score_bucket)
    outcome.advocate_flag_id = advocacy.flag_id
    outcome.advocacy_invite_id = advocacy.invite_id

    verbatim.action_status = "done"
    session.flush()
    _emit_events(session, verbatim, outcome, reason if (score_bucket == "detractor" or churn) else None)
    return outcome


def _emit_events(session: Session, verbatim: Verbatim, outcome: ActionOutcome, reason: str | None) -> None:
    """Webhooks for what this verbatim started (runs once: the action status guards re-runs)."""
    from sqlalchemy import func

    from survey.models import RecoveryTaskVerbatim
    from survey.services.webhooks import emit

    if outcome.recovery_task_id is not None:
        links = session.scalar(select(func.count(RecoveryTaskVerbatim.id))
                               .where(RecoveryTaskVerbatim.task_id == outcome.recovery_task_id))
        if links == 1:
            emit(session, "recovery_task.opened", {
                "task_id": outcome.recovery_task_id, "verbatim_id": verbatim.id, "reason": reason,
                "account_id": verbatim.account_id, "contact_id": verbatim.contact_id,
                "summary": f"recovery task {outcome.recovery_task_id} opened ({reason})"})
    if outcome.advocate_flag_id is not None:
        emit(session, "advocate.flagged", {
            "flag_id": outcome.advocate_flag_id, "verbatim_id": verbatim.id, "account_id": verbatim.account_id,
            "contact_id": verbatim.contact_id, "invite_id": outcome.advocacy_invite_id,
            "summary": f"advocate flagged from verbatim {verbatim.id}"})


def outcome_for_response(session: Session, response_id: int) -> ActionOutcome:
    """The follow-ups a response produced, for the API."""
    from survey.models import RecoveryTaskVerbatim

    verbatim = session.scalar(select(Verbatim).where(Verbatim.response_id == response_id))
    if verbatim is None:
        return ActionOutcome()
    task_id = session.scalar(
        select(RecoveryTaskVerbatim.task_id).where(RecoveryTaskVerbatim.verbatim_id == verbatim.id)
    )
    flag_id = session.scalar(select(AdvocateFlag.id).where(AdvocateFlag.verbatim_id == verbatim.id))
    invite_id = session.scalar(select(AdvocacyInvite.id).where(AdvocacyInvite.verbatim_id == verbatim.id))
    return ActionOutcome(recovery_task_id=task_id, advocate_flag_id=flag_id, advocacy_invite_id=invite_id)
