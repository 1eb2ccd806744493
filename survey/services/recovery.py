"""Recovery tasks: one open task per contact, prioritised by what is at stake, due within an SLA."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import Account, Analysis, RecoveryTask, RecoveryTaskVerbatim, TaskEvent, User, Verbatim
from survey.models.actions import OPEN_TASK_STATUSES
from survey.services.advocacy import hold_invites_for_account

SOURCE_LABELS = {
    "survey": "survey answer",
    "support_ticket": "support ticket",
    "email": "email to the CSM",
    "review": "review",
    "note": "call note",
    "import": "import",
}


def add_business_days(start: datetime, days: int) -> datetime:
    """The SLA clock skips Saturdays and Sundays."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


@dataclass(frozen=True)
class PriorityFactor:
    """One reason a task ranks where it does, in the CSM's words, with its weight."""

    label: str
    points: float
    key: str


@dataclass(frozen=True)
class Priority:
    """A task's rank right now: the sum of its factors, largest first."""

    points: float
    factors: list[PriorityFactor] = field(default_factory=list)

    @property
    def reasons(self) -> str:
        """The factors as one line, for a tooltip or a screen reader."""
        return "; ".join(f.label for f in self.factors) or "no risk factors"


def _stake_factors(account: Account | None, score: int | None, churn_risk: bool, high_arr: int,
                   today: date) -> list[PriorityFactor]:
    """What is at stake, independent of the clock: ARR, how unhappy, churn talk, renewal soon."""
    factors = []
    arr = account.arr if account else 0
    if arr:
        factors.append(PriorityFactor(f"${arr:,.0f} ARR", min(arr / max(high_arr, 1), 3.0) * 20, "arr"))
    if score is not None and score < 7:
        factors.append(PriorityFactor(f"scored {score}", (7 - min(score, 7)) * 5.0, "score"))
    if churn_risk:
        factors.append(PriorityFactor("talks about leaving", 40.0, "churn"))
    if account and account.renewal_date:
        days = (account.renewal_date - today).days
        if 0 <= days <= 90:
            factors.append(PriorityFactor(f"renews in {days} days", (90 - days) / 90 * 30, "renewal"))
    return factors


def priority_for(account: Account | None, score: int | None, churn_risk: bool, high_arr: int,
                 today: date | None = None) -> tuple[str, float]:
    """A coarse priority class (it sets the SLA) and the points of what is at stake."""
    points = sum(f.points for f in _stake_factors(account, score, churn_risk, high_arr, today or utcnow().date()))
    klass = "high" if points >= 60 else "medium" if points >= 30 else "low"
    return klass, round(points, 2)


def rank(task: RecoveryTask, now: datetime, high_arr: int, due_soon_hours: int = 24) -> Priority:
    """Who to call first: what is at stake plus how little time is left on the SLA (recomputed each view)."""
    factors = _stake_factors(task.account, task.score, task.churn_risk, high_arr, now.date())
    if task.status in OPEN_TASK_STATUSES and task.first_contacted_at is None:
        left = task.due_at - now
        if left < timedelta(0):
            overdue_days = -left / timedelta(days=1)
            factors.append(PriorityFactor(f"overdue {_span(-left)}", min(25 + 5 * overdue_days, 45), "sla"))
        elif left <= timedelta(hours=due_soon_hours):
            factors.append(PriorityFactor(f"due in {_span(left)}", 15.0, "sla"))
        elif left <= timedelta(hours=2 * due_soon_hours):
            factors.append(PriorityFactor(f"due in {_span(left)}", 8.0, "sla"))
    factors.sort(key=lambda f: f.points, reverse=True)
    return Priority(round(sum(f.points for f in factors), 1), factors)


@dataclass(frozen=True)
class SlaState:
    """Where a task stands against its first-contact SLA: a key for styling and a label for people."""

    key: str  # overdue | due_soon | on_track | met | missed | closed
    label: str


def sla_state(task: RecoveryTask, now: datetime, due_soon_hours: int = 24) -> SlaState:
    """The SLA is met by the first contact with the customer before the due date."""
    if task.first_contacted_at is not None:
        if task.first_contacted_at <= task.due_at:
            return SlaState("met", "contacted on time")
        return SlaState("missed", f"contacted {_span(task.first_contacted_at - task.due_at)} late")
    if task.status not in OPEN_TASK_STATUSES:
        return SlaState("closed", "closed without contact")
    left = task.due_at - now
    if left < timedelta(0):
        return SlaState("overdue", f"overdue {_span(-left)}")
    if left <= timedelta(hours=due_soon_hours):
        return SlaState("due_soon", f"due in {_span(left)}")
    return SlaState("on_track", f"due in {_span(left)}")


def is_overdue(task: RecoveryTask, now: datetime) -> bool:
    """Open, nobody has contacted the customer yet, and the due date has passed."""
    return task.status in OPEN_TASK_STATUSES and task.first_contacted_at is None and task.due_at < now


def overdue_clause(now: datetime) -> Any:
    """SQL form of is_overdue, for counts and the overdue filter."""
    return (RecoveryTask.status.in_(OPEN_TASK_STATUSES) & RecoveryTask.first_contacted_at.is_(None)
            & (RecoveryTask.due_at < now))


def _span(delta: timedelta) -> str:
    """A short human duration: 45m, 5h, 3d."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"


def visibility(user: User) -> Any:
    """CSMs see tasks they own, tasks on accounts they own, and unassigned ones; admins see everything."""
    if user.role == "admin":
        return True
    own_accounts = select(Account.id).where(Account.owner_id == user.id)
    return or_(RecoveryTask.owner_id == user.id, RecoveryTask.owner_id.is_(None),
               RecoveryTask.account_id.in_(own_accounts))


def visible_task(session: Session, user: User, task_id: int) -> RecoveryTask | None:
    """A task if this user may see it (the object-level check behind every task URL)."""
    return session.scalar(select(RecoveryTask).where(RecoveryTask.id == task_id, visibility(user)))


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
    source = SOURCE_LABELS.get(verbatim.source, verbatim.source)
    task = session.scalar(select(RecoveryTask).where(RecoveryTask.open_key == open_key))
    now = utcnow()
    if task is None:
        account = session.get(Account, verbatim.account_id) if verbatim.account_id else None
        klass, points = priority_for(account, score, churn, high_arr)
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
            churn_risk=churn,
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
            _join(task, score, churn, sla_days, high_arr, now)
            session.add(TaskEvent(task_id=task.id, kind="joined", details={"verbatim_id": verbatim.id},
                                  body=f"A new {source} from this contact joined the task"))
        else:
            label = "churn risk" if reason == "churn_risk" else f"detractor (scored {score})" if score is not None \
                else reason.replace("_", " ")
            session.add(TaskEvent(task_id=task.id, kind="opened", details={"verbatim_id": verbatim.id},
                                  body=f"Opened from a {source}: {label}"))
            hold_invites_for_account(session, task.account_id)  # advocacy asks wait while the account is recovered
    else:
        _join(task, score, churn, sla_days, high_arr, now)
        session.add(TaskEvent(task_id=task.id, kind="joined", details={"verbatim_id": verbatim.id},
                              body=f"A new {source} from this contact joined the task"))
    session.add(RecoveryTaskVerbatim(task_id=task.id, verbatim_id=verbatim.id))
    session.flush()
    return task


def _join(task: RecoveryTask, score: int | None, churn: bool, sla_days: dict[str, int], high_arr: int,
          now: datetime) -> None:
    """A new signal can only raise the stakes (and so tighten the SLA), never lower them."""
    task.churn_risk = task.churn_risk or churn
    if score is not None and (task.score is None or score < task.score):
        task.score = score
    klass, points = priority_for(task.account, task.score, task.churn_risk, high_arr)
    if points > task.priority_score:
        task.priority_score = points
        if _PRIORITY_ORDER[klass] > _PRIORITY_ORDER[task.priority]:
            task.priority = klass
            if task.first_contacted_at is None:
                task.due_at = min(task.due_at, add_business_days(now, sla_days.get(klass, 3)))


_PRIORITY_ORDER = {"low": 0, "medium": 1, "high": 2}
