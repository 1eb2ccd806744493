"""Demo recovery history: turn the tasks the action job opened for the demo into each CSM's believable queue.

Run after the demo's verbatims were analysed and acted on. The action job opened every task "now" and joined
all of a contact's detractor messages into one; here each task is dated by its messages and split into episodes
(a message more than three weeks after the episode began starts a new task), and each episode is given the
history a real CSM would have left: claims, calls, notes, replies, outcomes and follow-up scores. Casey (the
Enterprise book) is prompt and wins most customers back; Jordan's mid-market book is stretched thin, so more of
Jordan's tasks are overdue and fewer recover, which is the story the metrics page tells.

Deterministic: one `random.Random` seeded per call, everything dated relative to `now`. Flushes, never commits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import (
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
from survey.scoring import bucket
from survey.services.recovery import SOURCE_LABELS, add_business_days
from survey.services.recovery_queue import latest_analyses, root_causes
from survey.services.recovery_workflow import OUTCOMES

EPISODE_DAYS = 21
SLA_DAYS = {"high": 1, "medium": 3, "low": 5}


@dataclass(frozen=True)
class Style:
    """How a CSM works: hours to first contact, days to resolve, how often they win the customer back."""

    contact_hours: tuple[float, float]
    resolve_days: tuple[float, float]
    recover_odds: float
    neglect_odds: float  # an open recent task still untouched
    open_days: int  # tasks younger than this are still being worked


STYLES = {
    "csm@example.com": Style((1.5, 20), (2, 12), 0.72, 0.2, 30),
    "csm2@example.com": Style((8, 150), (5, 24), 0.45, 0.5, 45),
}
DEFAULT_STYLE = Style((4, 48), (3, 18), 0.55, 0.35, 30)
UNOWNED_OPEN_DAYS = 60  # tasks on accounts nobody owns wait in the unassigned pool this long

NOTES = {
    "call": (
        "Called {first}. Main pain is {cause}; agreed to send a plan by Friday.",
        "Spoke with {first} for 20 minutes. Frustrated about {cause} but open to working through it.",
        "Reached {first} after two tries. They want a named contact for {cause} issues.",
        "Call with {first} and their RevOps lead: walked through {cause}, shared the status page.",
    ),
    "progress": (
        "Looped in support engineering (ENG-{n}); fix targeted for the next release.",
        "Shared the workaround doc with {first}; they'll try it with the team this week.",
        "Booked a training session for their admins next Tuesday.",
        "Product confirmed it's on the Q3 roadmap; told {first} honestly what that means.",
        "Checked in with {first}: the fix is live and their numbers look right again.",
    ),
    "voicemail": (
        "Left a voicemail for {first}; will follow up by email.",
        "No answer from {first}; emailed to ask for a time to talk.",
    ),
    "resolution": {
        "fixed": "Fix deployed and confirmed by {first}.",
        "workaround": "Workaround in place; {first} is fine with it until the proper fix ships.",
        "explained": "Walked {first} through how it works; the expectation gap is closed.",
        "commercial": "Agreed a credit for the outage month; {first} appreciated it.",
        "roadmap": "Committed the feature to the roadmap with a date; {first} will pilot it.",
        "churned": "{first} confirmed they are moving to a competitor at renewal.",
        "no_response": "Three attempts over two weeks, no response from {first}.",
        "cannot_meet": "The request needs an on-premise version we don't offer.",
        "handled_elsewhere": "Handled in the account's QBR with their exec sponsor.",
    },
}


def seed_recovery_demo(session: Session, now: datetime | None = None) -> None:
    """Give each demo CSM a realistic queue and history; a second run (or one after real work) does nothing."""
    now = now or utcnow()
    worked = select(TaskEvent.id).where(TaskEvent.actor_id.is_not(None)).limit(1)
    if session.scalar(worked) is not None:
        return  # people (or an earlier run) already worked these tasks: leave their history alone
    rng = random.Random(5)
    admin = session.scalar(select(User).where(User.email == "admin@example.com"))
    nps_survey = session.scalar(select(Survey).where(Survey.public_key == "demo-nps"))
    tasks = list(session.scalars(select(RecoveryTask).where(RecoveryTask.status.in_(OPEN_TASK_STATUSES))
                                 .order_by(RecoveryTask.id)))
    episodes = [episode for task in tasks for episode in _split(session, task)]
    untouched = _untouched(episodes, now)
    for episode in episodes:
        _live(session, rng, episode, now, admin, nps_survey, untouched=episode[0].id in untouched)
    session.flush()


def _untouched(episodes: list[tuple[RecoveryTask, list[Verbatim]]], now: datetime) -> set[int]:
    """Each CSM's newest open task is still new and their oldest is overdue, whatever the dice say."""
    by_owner: dict[int, list[RecoveryTask]] = {}
    for task, _group in episodes:
        if task.open_key is None or task.owner is None:
            continue
        style = STYLES.get(task.owner.email, DEFAULT_STYLE)
        if (now - task.created_at).days <= style.open_days:
            by_owner.setdefault(task.owner.id, []).append(task)
    picks: set[int] = set()
    for tasks in by_owner.values():
        tasks.sort(key=lambda t: t.created_at)
        picks.add(tasks[-1].id)
        if len(tasks) >= 3:
            picks.add(tasks[0].id)
    return picks


def _split(session: Session, task: RecoveryTask) -> list[tuple[RecoveryTask, list[Verbatim]]]:
    """Date the task by its messages; messages far apart become separate tasks (episodes), oldest first."""
    verbatims = list(session.scalars(
        select(Verbatim).join(RecoveryTaskVerbatim, RecoveryTaskVerbatim.verbatim_id == Verbatim.id)
        .where(RecoveryTaskVerbatim.task_id == task.id).order_by(Verbatim.created_at, Verbatim.id)))
    if not verbatims:
        return []
    groups: list[list[Verbatim]] = [[verbatims[0]]]
    for v in verbatims[1:]:
        if v.created_at - groups[-1][0].created_at > timedelta(days=EPISODE_DAYS):
            groups.append([v])
        else:
            groups[-1].append(v)
    session.execute(delete(TaskEvent).where(TaskEvent.task_id == task.id))
    session.expire(task, ["events"])
    episodes = [(task, groups[-1])]  # the original row keeps the newest episode (and its open key)
    for group in groups[:-1]:
        copy = RecoveryTask(account_id=task.account_id, contact_id=task.contact_id, owner_id=task.owner_id,
                            open_key=None, status="open", priority=task.priority, priority_score=task.priority_score,
                            reason=task.reason, score=task.score, churn_risk=task.churn_risk, due_at=task.due_at,
                            created_at=task.created_at)
        session.add(copy)
        session.flush()
        ids = [v.id for v in group]
        for link in session.scalars(select(RecoveryTaskVerbatim).where(RecoveryTaskVerbatim.verbatim_id.in_(ids))):
            link.task_id = copy.id
        episodes.insert(-1, (copy, group))
    session.flush()
    analyses = latest_analyses(session, [v.id for v in verbatims])
    for episode, group in episodes:
        scores = []
        for v in group:
            response = v.response
            if response is not None and response.score is not None and response.survey.kind == "nps":
                scores.append(response.score)
        episode.score = min(scores) if scores else None
        episode.churn_risk = any(analyses.get(v.id) is not None and analyses[v.id].churn_risk for v in group)
        episode.reason = "detractor" if any(
            v.response is not None and bucket(v.response.survey.kind, v.response.score) == "detractor"
            for v in group) else "churn_risk"
        episode.created_at = group[0].created_at + timedelta(minutes=3)
        episode.due_at = add_business_days(episode.created_at, SLA_DAYS.get(episode.priority, 3))
        first = group[0]
        label = "churn risk" if episode.reason == "churn_risk" else (
            f"detractor (scored {episode.score})" if episode.score is not None else "detractor")
        _event(session, episode, None, "opened",
               f"Opened from a {SOURCE_LABELS.get(first.source, first.source)}: {label}", episode.created_at,
               verbatim_id=first.id)
        for v in group[1:]:
            _event(session, episode, None, "joined",
                   f"A new {SOURCE_LABELS.get(v.source, v.source)} from this contact joined the task",
                   v.created_at + timedelta(minutes=3), verbatim_id=v.id)
    return episodes


def _live(session: Session, rng: random.Random, item: tuple[RecoveryTask, list[Verbatim]], now: datetime,
          admin: User | None, survey: Survey | None, *, untouched: bool = False) -> None:
    """Play out one episode up to `now`: closed long ago, recently resolved, or still being worked."""
    task, group = item
    is_last = task.open_key is not None
    owner = task.owner
    style = STYLES.get(owner.email, DEFAULT_STYLE) if owner else DEFAULT_STYLE
    age_days = (now - task.created_at).total_seconds() / 86400
    first = (task.contact.name or "there").split(" ")[0] if task.contact else "the customer"
    analyses = latest_analyses(session, [v.id for v in group])
    causes = [c for v in group for c in root_causes(analyses.get(v.id))[0]]
    cause = (causes[0] if causes else "the issues they raised").replace("_", " ")
    words = {"first": first, "cause": cause}

    if owner is None:
        if not is_last or age_days > UNOWNED_OPEN_DAYS:
            _close_unowned(session, task, now)
        return  # recent and unassigned: waits in the pool for someone to claim it
    if not is_last or age_days > style.open_days:
        _close(session, rng, task, owner, style, words, now, survey)
        return
    # Recent, still open: the working queue.
    neglected = untouched or rng.random() < style.neglect_odds
    if neglected or age_days < 0.3:
        if task.due_at < now and task.priority == "high" and admin is not None:
            escalated = task.due_at + timedelta(minutes=5)
            task.escalated_at = escalated
            _event(session, task, None, "escalated",
                   f"Overdue high-priority task escalated to {admin.name}", escalated, admin_ids=[admin.id])
        return
    contact_at = min(task.created_at + timedelta(hours=rng.uniform(*style.contact_hours)), now - timedelta(hours=1))
    if contact_at <= task.created_at:
        return
    task.claimed_at = task.created_at + timedelta(minutes=rng.randint(10, 90))
    _event(session, task, owner, "claimed", f"{owner.name} claimed the task", min(task.claimed_at, contact_at))
    _contact(session, rng, task, owner, words, contact_at)
    if age_days > 3 and rng.random() < 0.6:
        task.status = "in_progress"
        at = min(contact_at + timedelta(days=rng.uniform(0.5, 2)), now - timedelta(minutes=30))
        _event(session, task, owner, "status", f"{owner.name} changed the status from contacted to in progress", at,
               previous="contacted", status="in_progress")
        _event(session, task, owner, "note", rng.choice(NOTES["progress"]).format(n=rng.randint(2000, 9999),
                                                                                   **words), at)


def _contact(session: Session, rng: random.Random, task: RecoveryTask, owner: User, words: dict[str, str],
             at: datetime) -> None:
    """First contact: a reply email or a logged call, which meets (or misses) the SLA."""
    task.first_contacted_at = at
    task.status = "contacted"
    contact = task.contact
    if contact is not None and rng.random() < 0.5:
        subject = "Your feedback on Pipewise"
        body = (f"Hi {words['first']},\n\nThank you for telling us how things are going. I'm sorry about "
                f"{words['cause']}; that is not the experience we want for you.\n\nCould we find 20 minutes this week "
                f"to talk it through?\n\nBest regards,\n{owner.name}\nPipewise Customer Success")
        email = OutboxEmail(survey_id=None, contact_id=contact.id, to_email=contact.email, subject=subject,
                            text_body=body, html_body="".join(f"<p>{p}</p>" for p in body.split("\n\n")),
                            trigger="manual", status="sent", transport="outbox", created_at=at, sent_at=at,
                            event_key=f"recovery-reply:{task.id}:demo")
        session.add(email)
        session.flush()
        _event(session, task, owner, "reply", body, at, email_id=email.id, subject=subject, previous="open",
               status="contacted")
    else:
        _event(session, task, owner, "status", f"{owner.name} changed the status from open to contacted", at,
               previous="open", status="contacted")
        _event(session, task, owner, "note", rng.choice(NOTES["call"]).format(**words), at + timedelta(minutes=2))


def _close(session: Session, rng: random.Random, task: RecoveryTask, owner: User, style: Style,
           words: dict[str, str], now: datetime, survey: Survey | None) -> None:
    """An episode that is over: contacted, worked, resolved (mostly) with an outcome and maybe a follow-up answer."""
    task.open_key = None
    session.flush()
    actor = owner
    task.claimed_at = task.created_at + timedelta(minutes=rng.randint(10, 240))
    _event(session, task, actor, "claimed", f"{actor.name} claimed the task", task.claimed_at)
    contact_at = task.created_at + timedelta(hours=rng.uniform(*style.contact_hours))
    if rng.random() < 0.3:
        _event(session, task, actor, "note", rng.choice(NOTES["voicemail"]).format(**words),
               contact_at - timedelta(hours=rng.uniform(1, 6)))
    _contact(session, rng, task, actor, words, contact_at)
    resolved_at = min(contact_at + timedelta(days=rng.uniform(*style.resolve_days)), now - timedelta(hours=2))
    _event(session, task, actor, "note", rng.choice(NOTES["progress"]).format(n=rng.randint(2000, 9999), **words),
           contact_at + (resolved_at - contact_at) / 2)
    status = "resolved" if rng.random() < 0.85 else "unresolvable"
    code = rng.choice(list(OUTCOMES[status]))
    task.status, task.outcome_code, task.resolved_at = status, code, resolved_at
    task.outcome = NOTES["resolution"][code].format(**words)
    body = f"{actor.name} {'resolved' if status == 'resolved' else 'closed'} the task: {OUTCOMES[status][code]}"
    followup_due = resolved_at + timedelta(days=30) if status == "resolved" and task.contact else None
    task.followup_due_at = followup_due
    _event(session, task, actor, status, body, resolved_at, previous="in_progress", outcome_code=code,
           note=task.outcome, followup_due_at=followup_due.isoformat() if followup_due else None)
    if followup_due is None or followup_due > now or survey is None or task.contact is None:
        return
    contact = task.contact
    email = OutboxEmail(survey_id=survey.id, contact_id=contact.id, to_email=contact.email,
                        subject="A quick question about Pipewise", text_body="(follow-up survey)", html_body="",
                        trigger="event", status="sent", transport="outbox", created_at=followup_due,
                        sent_at=followup_due, event_key=f"recovery-followup:{task.id}")
    session.add(email)
    session.flush()
    task.followup_email_id = email.id
    _event(session, task, None, "followup_sent", f"Follow-up survey sent to {contact.email} ({survey.name})",
           followup_due, email_id=email.id)
    if rng.random() > 0.75:
        return  # not answered (yet)
    recovered = rng.random() < style.recover_odds
    score = rng.choice((7, 8, 8, 9, 9, 10)) if recovered else rng.choice((3, 4, 5, 5, 6, 6))
    answered = min(followup_due + timedelta(hours=rng.uniform(2, 96)), now - timedelta(minutes=5))
    response = Response(survey_id=survey.id, contact_id=contact.id, account_id=contact.account_id, score=score,
                        channel="email", locale=contact.locale, answered_at=answered, outbox_email_id=email.id,
                        submission_id=f"demo-followup-{task.id}")
    session.add(response)
    session.flush()
    task.followup_response_id = response.id
    band = bucket("nps", score)
    _event(session, task, None, "followup_answered",
           f"Follow-up answer: {score} ({band}), {'won back' if band != 'detractor' else 'still a detractor'}",
           answered, response_id=response.id, bucket=band)


def _close_unowned(session: Session, task: RecoveryTask, now: datetime) -> None:
    """Old tasks on accounts nobody owns were swept up by the admin in a clean-up."""
    task.open_key = None
    session.flush()
    task.status, task.outcome_code = "unresolvable", "no_response"
    task.resolved_at = min(task.created_at + timedelta(days=20), now - timedelta(hours=1))
    task.outcome = "Closed in the quarterly clean-up: no owner and no reply."
    _event(session, task, None, "unresolvable", "Closed in the quarterly clean-up: no owner and no reply",
           task.resolved_at, outcome_code="no_response")


def _event(session: Session, task: RecoveryTask, actor: User | None, kind: str, body: str, at: datetime,
           **details: object) -> None:
    session.add(TaskEvent(task_id=task.id, actor_id=actor.id if actor else None, kind=kind, body=body, at=at,
                          details=dict(details)))
