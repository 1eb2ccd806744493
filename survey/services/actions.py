"""Deciding the follow-up for an analysed verbatim: recovery task, advocate flag, invite draft."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import (
    AdvocacyInvite,
    AdvocateFlag,
    Contact,
    RecoveryTask,
    Response,
    Survey,
    Verbatim,
)
from survey.models.actions import OPEN_TASK_STATUSES
from survey.scoring import bucket
from survey.services.analysis import latest_analysis
from survey.services.invites import draft_invite
from survey.services.recovery import open_or_join_task


@dataclass
class ActionOutcome:
    """Ids of what the follow-up created or joined (None when nothing)."""

    recovery_task_id: int | None = None
    advocate_flag_id: int | None = None
    advocacy_invite_id: int | None = None


def act_on_verbatim(
    session: Session, verbatim: Verbatim, *, sla_days: dict[str, int], high_arr: int
) -> ActionOutcome:
    """Create the right follow-ups once; running it again finds them and adds nothing."""
    outcome = ActionOutcome()
    if verbatim.action_status == "done":
        return outcome
    analysis = latest_analysis(session, verbatim.id)
    response = session.get(Response, verbatim.response_id) if verbatim.response_id else None
    survey = session.get(Survey, response.survey_id) if response else None
    score = response.score if response else None
    kind = survey.kind if survey else None
    score_bucket = bucket(kind, score) if kind else None
    churn = bool(analysis and analysis.churn_risk)
    praise = bool(analysis and analysis.praise)

    if score_bucket == "detractor" or churn:
        reason = "detractor" if score_bucket == "detractor" else "churn_risk"
        task = open_or_join_task(
            session, verbatim, analysis, score if kind == "nps" else None, reason, sla_days, high_arr
        )
        outcome.recovery_task_id = task.id

    if analysis and (praise or analysis.referral_signal):
        flag_kind = (
            "promoter_praise"
            if praise and score_bucket == "promoter"
            else "unsolicited_praise"
            if praise
            else "referral"
        )
        flag = session.scalar(select(AdvocateFlag).where(AdvocateFlag.verbatim_id == verbatim.id))
        if flag is None:
            flag = AdvocateFlag(
                verbatim_id=verbatim.id,
                contact_id=verbatim.contact_id,
                account_id=verbatim.account_id,
                kind=flag_kind,
                praise_targets=list(analysis.praise_targets),
            )
            session.add(flag)
            session.flush()
        outcome.advocate_flag_id = flag.id

    if praise and score_bucket == "promoter" and verbatim.contact_id:
        contact = session.get(Contact, verbatim.contact_id)
        if contact and contact.marketing_consent and not contact.unsubscribed:
            invite = session.scalar(select(AdvocacyInvite).where(AdvocacyInvite.verbatim_id == verbatim.id))
            if invite is None:
                invite = draft_invite(session, contact, verbatim, analysis)
                if _account_has_open_task(session, verbatim.account_id):
                    invite.status = "on_hold"
            outcome.advocacy_invite_id = invite.id

    verbatim.action_status = "done"
    session.flush()
    return outcome


def _account_has_open_task(session: Session, account_id: int | None) -> bool:
    """No asks while the account is being recovered."""
    if account_id is None:
        return False
    return (
        session.scalar(
            select(RecoveryTask.id)
            .where(RecoveryTask.account_id == account_id, RecoveryTask.status.in_(OPEN_TASK_STATUSES))
            .limit(1)
        )
        is not None
    )


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
