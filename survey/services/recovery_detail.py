"""Everything a CSM needs on one task's page: what the customer said, the account's story, the follow-up."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from survey.models import (
    Analysis,
    Category,
    Contact,
    OutboxEmail,
    RecoveryTask,
    RecoveryTaskVerbatim,
    Response,
    Survey,
    TaskEvent,
    User,
    Verbatim,
)
from survey.models.actions import OPEN_TASK_STATUSES
from survey.scoring import bucket, nps
from survey.services.recovery import SOURCE_LABELS, visibility
from survey.services.recovery_queue import Segment, highlight, latest_analyses, root_causes

TREND_MONTHS = 12


@dataclass
class VerbatimView:
    """One verbatim of the task with its analysis, ready to show and to correct."""

    verbatim: Verbatim
    analysis: Analysis | None
    segments: list[Segment]
    causes: list[str]
    praise: list[str]
    score: int | None
    survey_kind: str | None
    source_label: str


@dataclass
class AnswerView:
    """An earlier answer from someone at the account."""

    response: Response
    contact: Contact | None
    kind: str
    bucket: str | None
    comment: str | None


@dataclass
class ContactView:
    """Another person at the account and what they last told us."""

    contact: Contact
    latest: AnswerView | None
    answers: int
    open_task_id: int | None


@dataclass
class Followup:
    """Where the post-resolution survey stands: scheduled, sent, answered (and whether it recovered)."""

    state: str  # none | scheduled | sent | answered
    due_at: datetime | None = None
    email: OutboxEmail | None = None
    response: Response | None = None
    bucket: str | None = None

    @property
    def recovered(self) -> bool | None:
        """Answered outside the detractor band: the customer was won back."""
        return None if self.state != "answered" or self.bucket is None else self.bucket != "detractor"


@dataclass
class TaskPage:
    """The task page's data, assembled in a handful of queries."""

    task: RecoveryTask
    verbatims: list[VerbatimView]
    events: list[TaskEvent]
    answers: list[AnswerView]
    trend: list[dict[str, object]]
    contacts: list[ContactView]
    other_tasks: list[RecoveryTask]
    hidden_other_tasks: int
    followup: Followup
    renewal_in_days: int | None
    assignees: list[User]
    categories: list[Category] = field(default_factory=list)
    reply_emails: dict[int, OutboxEmail] = field(default_factory=dict)


def verbatim_views(session: Session, task: RecoveryTask) -> list[VerbatimView]:
    """The task's verbatims, oldest first, each with its newest analysis and highlighted evidence."""
    verbatims = list(session.scalars(
        select(Verbatim).join(RecoveryTaskVerbatim, RecoveryTaskVerbatim.verbatim_id == Verbatim.id)
        .options(joinedload(Verbatim.response).joinedload(Response.survey))
        .where(RecoveryTaskVerbatim.task_id == task.id).order_by(Verbatim.created_at, Verbatim.id)
    ).unique().all())
    analyses = latest_analyses(session, [v.id for v in verbatims])
    return [verbatim_view(v, analyses.get(v.id)) for v in verbatims]


def verbatim_view(verbatim: Verbatim, analysis: Analysis | None) -> VerbatimView:
    """One verbatim for the page (also re-rendered alone after a correction)."""
    causes, praise = root_causes(analysis)
    response = verbatim.response
    kind = response.survey.kind if response is not None and response.survey is not None else None
    return VerbatimView(verbatim=verbatim, analysis=analysis, segments=highlight(verbatim.text, analysis),
                        causes=causes, praise=praise, score=response.score if response else None, survey_kind=kind,
                        source_label=SOURCE_LABELS.get(verbatim.source, verbatim.source))


def task_page(session: Session, user: User, task: RecoveryTask, today: date) -> TaskPage:
    """The task with its account's context: history, NPS trend, people, other tasks and the follow-up."""
    account = task.account
    answers: list[AnswerView] = []
    contacts: list[ContactView] = []
    other_tasks: list[RecoveryTask] = []
    hidden = 0
    if account is not None:
        responses = list(session.scalars(
            select(Response).options(joinedload(Response.survey), joinedload(Response.contact))
            .where(Response.account_id == account.id).order_by(Response.answered_at.desc()).limit(400)
        ).unique().all())
        comments = dict(session.execute(
            select(Verbatim.response_id, Verbatim.text).where(Verbatim.response_id.in_([r.id for r in responses]))
        ).all()) if responses else {}
        answers = [_answer(r, comments.get(r.id)) for r in responses]
        open_by_contact = dict(session.execute(
            select(RecoveryTask.contact_id, RecoveryTask.id)
            .where(RecoveryTask.account_id == account.id, RecoveryTask.status.in_(OPEN_TASK_STATUSES))
        ).all())
        latest: dict[int, AnswerView] = {}
        count: dict[int, int] = defaultdict(int)
        for a in answers:
            if a.contact is not None:
                count[a.contact.id] += 1
                latest.setdefault(a.contact.id, a)
        people = session.scalars(select(Contact).where(Contact.account_id == account.id).order_by(Contact.name))
        contacts = [ContactView(c, latest.get(c.id), count[c.id], open_by_contact.get(c.id))
                    for c in people if c.id != task.contact_id]
        contacts.sort(key=lambda c: (c.latest is None, -(c.latest.response.answered_at.timestamp())
                                     if c.latest else 0))
        others = list(session.scalars(
            select(RecoveryTask).options(joinedload(RecoveryTask.contact), joinedload(RecoveryTask.owner))
            .where(RecoveryTask.account_id == account.id, RecoveryTask.id != task.id,
                   RecoveryTask.status.in_(OPEN_TASK_STATUSES))
        ).unique().all())
        visible_ids = set(session.scalars(
            select(RecoveryTask.id).where(RecoveryTask.id.in_([t.id for t in others]), visibility(user))
        )) if others else set()
        other_tasks = [t for t in others if t.id in visible_ids]
        hidden = len(others) - len(other_tasks)
    events = sorted(task.events, key=lambda e: (e.at, e.id), reverse=True)
    email_ids = [int(e.details["email_id"]) for e in events if (e.details or {}).get("email_id")]
    reply_emails = {m.id: m for m in session.scalars(select(OutboxEmail).where(OutboxEmail.id.in_(email_ids)))} \
        if email_ids else {}
    assignees = list(session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(("csm", "admin"))).order_by(User.name)
    ))
    return TaskPage(
        task=task, verbatims=verbatim_views(session, task), events=events,
        answers=answers[:25],
        trend=nps_trend(answers, today), contacts=contacts, other_tasks=other_tasks, hidden_other_tasks=hidden,
        followup=followup_of(session, task),
        renewal_in_days=(account.renewal_date - today).days if account and account.renewal_date else None,
        assignees=assignees,
        categories=list(session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.name))),
        reply_emails=reply_emails,
    )


def _answer(response: Response, comment: str | None) -> AnswerView:
    kind = response.survey.kind if response.survey is not None else "nps"
    meaningful = comment if comment and sum(ch.isalpha() for ch in comment) >= 2 else None
    return AnswerView(response=response, contact=response.contact, kind=kind, bucket=bucket(kind, response.score),
                      comment=meaningful)


def nps_trend(answers: list[AnswerView], today: date, months: int = TREND_MONTHS) -> list[dict[str, object]]:
    """The account's NPS per calendar month (None where nobody answered), oldest month first."""
    first = _month_start(today)
    for _ in range(months - 1):
        first = _month_start(first - timedelta(days=1))
    scores: dict[tuple[int, int], list[int]] = defaultdict(list)
    for a in answers:
        if a.kind == "nps" and a.response.score is not None:
            when = a.response.answered_at
            scores[(when.year, when.month)].append(a.response.score)
    out = []
    month = first
    for _ in range(months):
        values = scores.get((month.year, month.month), [])
        value = nps(values)
        out.append({"month": month.strftime("%b %Y"), "label": month.strftime("%b"),
                    "nps": round(value) if value is not None else None, "answers": len(values)})
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def _month_start(day: date) -> date:
    return day.replace(day=1)


def followup_of(session: Session, task: RecoveryTask) -> Followup:
    """The follow-up survey's state for this task."""
    if task.followup_response_id is not None:
        response = session.get(Response, task.followup_response_id)
        if response is not None:
            survey = session.get(Survey, response.survey_id)
            return Followup("answered", task.followup_due_at, response=response,
                            bucket=bucket(survey.kind if survey else "nps", response.score))
    if task.followup_email_id is not None:
        return Followup("sent", task.followup_due_at, email=session.get(OutboxEmail, task.followup_email_id))
    if task.followup_due_at is not None:
        return Followup("scheduled", task.followup_due_at)
    return Followup("none")
