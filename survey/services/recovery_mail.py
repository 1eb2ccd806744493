"""Recovery emails and the schedule behind them: reply drafts, daily digests, escalations, follow-up surveys.

Emails are rows of the outbox (issue 4's OutboxEmail) keyed by an event key, so a job that runs twice writes
one email; the caller commits and then enqueues `send-email-<id>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload

from survey.models import Contact, OutboxEmail, RecoveryTask, Response, Survey, TaskEvent, User, Verbatim
from survey.models.actions import OPEN_TASK_STATUSES
from survey.scoring import bucket
from survey.services.recovery import Priority, SlaState, is_overdue, overdue_clause, rank, sla_state, visibility
from survey.services.recovery_detail import VerbatimView

CAUSE_PHRASES = {
    "reliability_bugs": "the errors and outages you have run into",
    "performance": "how slow things have been for your team",
    "usability": "how hard the product has been to work with",
    "missing_features": "the gaps you have hit in what the product can do",
    "pricing_value": "the concerns about price and value",
    "support_service": "the support you received",
    "onboarding_training": "the onboarding and training you got",
    "documentation": "the gaps in our documentation",
    "integrations": "the trouble with the integration",
    "account_relationship": "how we have kept in touch with you",
    "security_compliance": "the security and compliance gaps",
}
PRAISE_PHRASES = {
    "reliability_bugs": "the product has been dependable",
    "performance": "things feel fast",
    "usability": "the product is easy to use",
    "missing_features": "the features are doing their job",
    "pricing_value": "you see the value",
    "support_service": "our support team has been helpful",
    "onboarding_training": "the onboarding went well",
    "documentation": "the documentation helps",
    "integrations": "the integrations work well for you",
    "account_relationship": "our team has been there for you",
    "security_compliance": "the security features meet your needs",
}


def reply_draft(task: RecoveryTask, views: Sequence[VerbatimView], sender: User, product: str) -> tuple[str, str]:
    """A starting point for the reply that quotes the customer's words and names the root cause."""
    contact = task.contact
    first = (contact.name or "").split(" ")[0] if contact and contact.name else "there"
    with_words = [v for v in views if v.verbatim.text.strip()]
    main = with_words[-1] if with_words else None
    quote, cause, praise = None, None, None
    if main is not None:
        cause = main.causes[0] if main.causes else None
        praise = main.praise[0] if main.praise else None
        offset, at = 0, 0
        for seg in main.segments:
            if seg.kind == "cause":
                at = offset
                break
            offset += len(seg.text)
        quote = _sentence_at(main.verbatim.text, at)
    account = task.account.name if task.account else "your team"
    thanks = "Thank you for taking the time to tell us how things are going."
    lines = [f"Hi {first},", ""]
    lines += [f"{thanks} You wrote:", "", f"    \u201c{quote.strip()}\u201d", ""] if quote else [thanks, ""]
    sorry = CAUSE_PHRASES.get(cause or "", "how things have been going")
    lines.append(f"I'm sorry about {sorry}. That is not the experience we want for {account}, and I would like "
                 "to put it right.")
    if praise and praise in PRAISE_PHRASES:
        lines += ["", f"I'm also glad to hear that {PRAISE_PHRASES[praise]}; we will keep it that way."]
    lines += ["", "Here is what we are doing about it: [what you are doing]", "",
              "Could we find 20 minutes this week to talk it through? Just reply to this email with a time that "
              "suits you.", "", "Best regards,", sender.name, f"{product} Customer Success"]
    return f"Your feedback on {product}", "\n".join(lines)


def _sentence_at(text: str, pos: int, limit: int = 240) -> str:
    """The sentence of a verbatim that contains position `pos`, cut at a word boundary."""
    starts = [0] + [i + 2 for i in range(len(text) - 1) if text[i] in ".!?" and text[i + 1] in " \n"]
    begin = max(s for s in starts if s <= pos) if pos else 0
    ends = [i + 1 for i in range(begin, len(text)) if text[i] in ".!?" and (i + 1 == len(text) or text[i + 1] in " \n")]
    sentence = " ".join(text[begin: ends[0] if ends else len(text)].split())
    return sentence if len(sentence) <= limit else sentence[:limit].rsplit(" ", 1)[0] + "…"


def product_name(session: Session, task: RecoveryTask, default: str = "our product") -> str:
    """The product the customer was asked about (from the survey they answered), for the reply's wording."""
    name = session.scalar(
        select(Survey.product_name).join(Response, Response.survey_id == Survey.id)
        .join(Verbatim, Verbatim.response_id == Response.id)
        .where(Verbatim.id.in_([link.verbatim_id for link in task.links])).limit(1)
    ) if task.links else None
    if name is None:
        name = session.scalar(select(Survey.product_name).where(Survey.status == "active").order_by(Survey.id).limit(1))
    return name or default


def outbox_email(session: Session, *, event_key: str, to_email: str, subject: str, text_body: str, html_body: str,
                 now: datetime, contact: Contact | None = None, trigger: str = "event") -> tuple[OutboxEmail, bool]:
    """One email per event key: (email, created) where created is False when the event already wrote it."""
    existing = session.scalar(select(OutboxEmail).where(OutboxEmail.event_key == event_key))
    if existing is not None:
        return existing, False
    email = OutboxEmail(survey_id=None, contact_id=contact.id if contact else None, to_email=to_email,
                        subject=subject, text_body=text_body, html_body=html_body, locale="en", trigger=trigger,
                        event_key=event_key, status="queued", created_at=now)
    session.add(email)
    session.flush()
    return email, True


# ---------------------------------------------------------------- daily digest


@dataclass
class DigestItem:
    """A task in the digest with why it matters today."""

    task: RecoveryTask
    priority: Priority
    sla: SlaState


@dataclass
class Digest:
    """A CSM's morning summary."""

    user: User
    day: date
    items: list[DigestItem]
    overdue: int
    due_today: int
    new: int
    unassigned: int


def digest_key(user_id: int, day: date) -> str:
    """The outbox event key of a CSM's digest for one day."""
    return f"recovery-digest:{user_id}:{day.isoformat()}"


def digest_for(session: Session, user: User, now: datetime, *, high_arr: int, due_soon_hours: int = 24,
               limit: int = 10) -> Digest:
    """The CSM's open tasks ranked as in the queue, with today's counts."""
    tasks = list(session.scalars(
        select(RecoveryTask).options(joinedload(RecoveryTask.account), joinedload(RecoveryTask.contact))
        .where(RecoveryTask.status.in_(OPEN_TASK_STATUSES), visibility(user))
    ).unique().all())
    mine = [t for t in tasks if t.owner_id == user.id]
    items = sorted((DigestItem(t, rank(t, now, high_arr, due_soon_hours), sla_state(t, now, due_soon_hours))
                    for t in mine), key=lambda i: -i.priority.points)
    return Digest(
        user=user, day=now.date(), items=items[:limit],
        overdue=sum(1 for t in mine if is_overdue(t, now)),
        due_today=sum(1 for t in mine if t.first_contacted_at is None and not is_overdue(t, now)
                      and t.due_at.date() == now.date()),
        new=sum(1 for t in mine if (now - t.created_at).total_seconds() < 86_400),
        unassigned=sum(1 for t in tasks if t.owner_id is None),
    )


def csms_due_a_digest(session: Session, now: datetime, digest_hour: int) -> list[int]:
    """Active CSMs who have not had today's digest yet (weekdays, from the digest hour on)."""
    if now.weekday() >= 5 or now.hour < digest_hour:
        return []
    users = session.scalars(select(User).where(User.active.is_(True), User.role == "csm").order_by(User.id)).all()
    keys = {digest_key(u.id, now.date()): u.id for u in users}
    sent = set(session.scalars(select(OutboxEmail.event_key).where(OutboxEmail.event_key.in_(list(keys)))))
    return [uid for key, uid in keys.items() if key not in sent]


# ---------------------------------------------------------------- escalation


def tasks_to_escalate(session: Session, now: datetime, priorities: Sequence[str]) -> list[int]:
    """Overdue tasks of the escalating priorities that nobody escalated yet."""
    return list(session.scalars(
        select(RecoveryTask.id).where(overdue_clause(now), RecoveryTask.priority.in_(list(priorities)),
                                      RecoveryTask.escalated_at.is_(None)).order_by(RecoveryTask.id)
    ))


def admins(session: Session) -> Sequence[User]:
    """Who receives escalations."""
    return session.scalars(select(User).where(User.active.is_(True), User.role == "admin").order_by(User.id)).all()


def mark_escalated(session: Session, task: RecoveryTask, recipients: Sequence[User], now: datetime) -> TaskEvent:
    """Remember the escalation (so it happens once) and put it on the timeline."""
    task.escalated_at = now
    names = ", ".join(u.name for u in recipients) or "nobody (there is no active admin)"
    event = TaskEvent(task_id=task.id, kind="escalated", at=now,
                      body=f"Overdue {task.priority}-priority task escalated to {names}",
                      details={"admin_ids": [u.id for u in recipients]})
    session.add(event)
    session.flush()
    return event


# ---------------------------------------------------------------- follow-up survey


def followups_due(session: Session, now: datetime) -> list[int]:
    """Resolved tasks whose follow-up date has come and whose survey was neither sent nor answered."""
    return list(session.scalars(
        select(RecoveryTask.id).where(RecoveryTask.status == "resolved", RecoveryTask.followup_due_at <= now,
                                      RecoveryTask.followup_email_id.is_(None),
                                      RecoveryTask.followup_response_id.is_(None)).order_by(RecoveryTask.id)
    ))


def followup_survey(session: Session, task: RecoveryTask, survey_key: str | None) -> Survey | None:
    """The configured follow-up survey, else the active survey the contact last answered, else any active NPS."""
    if survey_key:
        chosen = session.scalar(select(Survey).where(Survey.public_key == survey_key, Survey.status == "active"))
        if chosen is not None:
            return chosen
    if task.contact_id is not None:
        chosen = session.scalar(
            select(Survey).join(Response, Response.survey_id == Survey.id)
            .where(Response.contact_id == task.contact_id, Survey.status == "active", Survey.kind == "nps")
            .order_by(Response.answered_at.desc()).limit(1))
        if chosen is not None:
            return chosen
    return session.scalar(select(Survey).where(Survey.status == "active", Survey.kind == "nps")
                          .order_by(Survey.id).limit(1))


def followup_key(task_id: int) -> str:
    """The outbox event key of a task's follow-up survey email."""
    return f"recovery-followup:{task_id}"


def link_followups(session: Session, now: datetime) -> list[int]:
    """Attach follow-up answers to their tasks: the follow-up email's answer, or any later one from the contact."""
    tasks = session.scalars(
        select(RecoveryTask).where(RecoveryTask.status == "resolved", RecoveryTask.followup_response_id.is_(None),
                                   RecoveryTask.followup_due_at.is_not(None))
    ).all()
    linked = []
    for task in tasks:
        conditions = []
        if task.followup_email_id is not None:
            conditions.append(Response.outbox_email_id == task.followup_email_id)
        if task.contact_id is not None and task.followup_due_at is not None:
            conditions.append(and_(Response.contact_id == task.contact_id,
                                    Response.answered_at >= task.followup_due_at))
        if not conditions:
            continue
        response = session.scalar(
            select(Response).where(or_(*conditions), Response.score.is_not(None))
            .order_by(Response.answered_at, Response.id).limit(1))
        if response is None:
            continue
        survey = session.get(Survey, response.survey_id)
        band = bucket(survey.kind if survey else "nps", response.score)
        task.followup_response_id = response.id
        verdict = "won back" if band and band != "detractor" else "still a detractor"
        session.add(TaskEvent(task_id=task.id, kind="followup_answered", at=now,
                              body=f"Follow-up answer: {response.score} ({band or 'no band'}), {verdict}",
                              details={"response_id": response.id, "bucket": band}))
        linked.append(task.id)
    session.flush()
    return linked
