"""Recovery tasks: one open task per contact, prioritised by what is at stake, due within an SLA."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import Account, Analysis, RecoveryTask, RecoveryTaskVerbatim, TaskEvent, Verbatim


def add_business_days(start: datetime, days: int) -> datetime:
    """The SLA clock skips Saturdays and Sundays."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def priority_for(account: Account | None, score: int | None, churn_risk: bool, high_arr: int) -> tuple[str, float]:
    """A coarse priority class and a sortable score from ARR, score, churn risk and renewal proximity."""
    arr = account.arr if account else 0
    points = 0.0
    points += min(arr / max(high_arr, 1), 3.0) * 20  # up to 60 for large accounts
    if score is not None:
        points += (7 - min(score, 7)) * 5  # 0 -> 35, 6 -> 5
    if churn_risk:
        points += 40
    if account and account.renewal_date:
        days = (account.renewal_date - date.today()).days
        if 0 <= days <= 90:
            points += (90 - days) / 90 * 30
    klass = "high" if points >= 60 else "medium" if points >= 30 else "low"
    return klass, round(points, 2)


def open_or_join_task(
    session: Session,
    verbatim: Verbatim,
    analysis: Analysis | None,
    score: int | None,
    reason: str,
    sla_days: dict[str, int],
    high_arr: int,
) -> RecoveryTask:
    """Attach the verbatim to the contact's open task, or open one for the account owner."""
    existing_link = session.scalar(
        select(RecoveryTaskVerbatim).where(RecoveryTaskVerbatim.verbatim_id == verbatim.id)
    )
    if existing_link is not None:
        return existing_link.task
    open_key = f"contact:{verbatim.contact_id}" if verbatim.contact_id else f"verbatim:{verbatim.id}"
    churn = bool(analysis and analysis.churn_risk)
    task = session.scalar(select(RecoveryTask).where(RecoveryTask.open_key == open_key))
    if task is None:
        account = session.get(Account, verbatim.account_id) if verbatim.account_id else None
        klass, points = priority_for(account, score, churn, high_arr)
        now = utcnow()
        task = RecoveryTask(
            account_id=verbatim.account_id,
            contact_id=verbatim.contact_id,
            owner_id=account.owner_id if account else None,
            open_key=open_key,
            status="open",
            priority=klass,
            priority_score=points,
            reason=reason,
            score=score,
            due_at=add_business_days(now, sla_days.get(klass, 3)),
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(task)
                session.flush()
        except IntegrityError:
            # Another worker opened the contact's task in the meantime: join it instead.
            task = session.scalar(select(RecoveryTask).where(RecoveryTask.open_key == open_key))
            if task is None:
                raise
        else:
            session.add(TaskEvent(task_id=task.id, kind="opened", body=f"Opened: {reason.replace('_', ' ')}"))
    else:
        # A new signal can only raise the stakes.
        account = task.account
        klass, points = priority_for(account, score if score is not None else task.score, churn, high_arr)
        if points > task.priority_score:
            task.priority, task.priority_score = klass, points
        if score is not None and (task.score is None or score < task.score):
            task.score = score
        session.add(TaskEvent(task_id=task.id, kind="joined", body="A new verbatim from this contact joined the task"))
    session.add(RecoveryTaskVerbatim(task_id=task.id, verbatim_id=verbatim.id))
    session.flush()
    return task
