"""Closing the loop from the product side: "we fixed it" messages to the detractors a problem hurt, re-analysis
runs after a taxonomy change (with progress), and the figures of the labels page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from survey.database import utcnow
from survey.models import (
    Account,
    Analysis,
    Contact,
    FixMessage,
    FixNote,
    HumanLabel,
    InsightFact,
    InsightFactCategory,
    ModelVersion,
    OutboxEmail,
    ReanalysisRun,
    Theme,
    ThemeMember,
    User,
    Verbatim,
)


class LoopError(ValueError):
    """A request that cannot be carried out, with the reason."""


# ---------------------------------------------------------------- "we fixed it"


def create_fix_note(session: Session, *, category_key: str | None, theme: Theme | None, title: str,
                    release_note: str, period_start: datetime, period_end: datetime, user: User | None) -> FixNote:
    """Record that a category or theme was addressed; the drafting job writes the messages."""
    title, release_note = title.strip(), release_note.strip()
    if not (category_key or theme):
        raise LoopError("Choose the category or theme that was fixed.")
    if not title:
        raise LoopError("Give the fix a short title.")
    if not release_note:
        raise LoopError("Write a short release note: it is what the customers will read.")
    if len(release_note) > 2000:
        raise LoopError("Keep the release note under 2,000 characters.")
    if period_start > period_end:
        raise LoopError("The period must start before it ends.")
    note = FixNote(category_key=category_key, theme_id=theme.id if theme else None, title=title[:200],
                   release_note=release_note, period_start=period_start, period_end=period_end,
                   created_by_id=user.id if user else None)
    session.add(note)
    session.flush()
    return note


def affected_detractors(session: Session, note: FixNote) -> list[tuple[int, int, int | None]]:
    """(verbatim id, contact id, account id) of detractor verbatims tagged with the note's subject in its period,
    the newest per contact."""
    query = (select(InsightFact.verbatim_id, InsightFact.contact_id, InsightFact.account_id)
             .where(InsightFact.bucket == "detractor", InsightFact.has_text.is_(True),
                    InsightFact.contact_id.is_not(None),
                    InsightFact.created_at >= note.period_start, InsightFact.created_at <= note.period_end)
             .order_by(InsightFact.created_at.desc()))
    if note.category_key:
        query = query.where(InsightFact.id.in_(select(InsightFactCategory.fact_id)
                                               .where(InsightFactCategory.category_key == note.category_key)))
    if note.theme_id:
        query = query.where(InsightFact.verbatim_id.in_(select(ThemeMember.verbatim_id)
                                                        .where(ThemeMember.theme_id == note.theme_id)))
    seen: set[int] = set()
    out = []
    for vid, cid, aid in session.execute(query):
        if cid not in seen:
            seen.add(cid)
            out.append((vid, cid, aid))
    return out


def draft_messages(session: Session, note: FixNote) -> int:
    """Draft one message per affected detractor (once: the note and contact pair is unique)."""
    existing = set(session.scalars(select(FixMessage.contact_id).where(FixMessage.note_id == note.id)))
    drafted = 0
    for vid, cid, aid in affected_detractors(session, note):
        if cid in existing:
            continue
        contact = session.get(Contact, cid)
        if contact is None or contact.unsubscribed:
            continue
        account = session.get(Account, aid) if aid else None
        verbatim = session.get(Verbatim, vid)
        owner = account.owner if account else None
        subject, body = compose(note, contact, verbatim, owner)
        session.add(FixMessage(note_id=note.id, contact_id=cid, account_id=aid,
                               owner_id=owner.id if owner else None, verbatim_id=vid, subject=subject, body=body))
        drafted += 1
    note.drafted = session.scalar(select(func.count(FixMessage.id)).where(FixMessage.note_id == note.id)) or 0
    note.status = "done"
    note.finished_at = utcnow()
    session.flush()
    return drafted


def compose(note: FixNote, contact: Contact, verbatim: Verbatim | None, owner: User | None) -> tuple[str, str]:
    """The draft: their own words, what changed, and a personal sign-off the owner can edit."""
    first = (contact.name or "").split(" ")[0] or "there"
    quote = (verbatim.text if verbatim else "").strip()
    if len(quote) > 240:
        quote = quote[:237].rstrip() + "…"
    when = f"{verbatim.created_at:%B}" if verbatim else "a recent survey"
    lines = [f"Hi {first},", ""]
    if quote:
        lines += [f"In {when} you told us:", f"“{quote}”", ""]
    lines += ["We listened, and wanted you to hear it from us first:", "", note.release_note, "",
              "Thank you for taking the time to tell us. If anything still gets in your way, just reply to this email.",
              "", f"Best,\n{owner.name if owner else 'The team'}"]
    return f"We fixed it: {note.title}"[:300], "\n".join(lines)


def visible_messages(session: Session, user: User, note_id: int | None = None,
                     status: str | None = "drafted") -> Sequence[FixMessage]:
    """Drafts an account owner may review (their own accounts); product and admin see every draft."""
    query = (select(FixMessage).options(joinedload(FixMessage.contact), joinedload(FixMessage.account),
                                        joinedload(FixMessage.note), joinedload(FixMessage.owner),
                                        joinedload(FixMessage.verbatim))
             .order_by(FixMessage.id.desc()).limit(500))
    if note_id is not None:
        query = query.where(FixMessage.note_id == note_id)
    if status:
        query = query.where(FixMessage.status == status)
    if user.role == "csm":
        query = query.where(FixMessage.owner_id == user.id)
    return session.scalars(query).unique().all()


def send_message(session: Session, message: FixMessage, user: User, subject: str, body: str) -> OutboxEmail:
    """The owner's reviewed version goes to the outbox (the email worker delivers it)."""
    if user.role not in ("admin",) and message.owner_id != user.id:
        raise LoopError("Only the account owner can send this message.")
    if message.status != "drafted":
        raise LoopError(f"This message was already {message.status}.")
    subject, body = subject.strip() or message.subject, body.strip() or message.body
    message.subject, message.body = subject[:300], body
    email = OutboxEmail(contact_id=message.contact_id, to_email=message.contact.email, subject=message.subject,
                        text_body=body, html_body="<p>" + _html(body) + "</p>", trigger="manual",
                        event_key=f"fix-message:{message.id}")
    session.add(email)
    session.flush()
    message.status, message.sent_at, message.outbox_email_id = "sent", utcnow(), email.id
    session.flush()
    return email


def _html(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n\n", "</p><p>").replace("\n", "<br>")


# ---------------------------------------------------------------- re-analysis progress


@dataclass
class Progress:
    """How far a re-analysis run has come."""

    run: ReanalysisRun
    done: int
    total: int

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, int(100 * self.done / self.total))

    @property
    def finished(self) -> bool:
        return self.run.status in ("done", "failed")


def start_reanalysis(session: Session, reason: str, user: User | None) -> ReanalysisRun:
    """A pending run; the job fixes its target model version and total, then queues the re-analysis."""
    run = ReanalysisRun(reason=reason[:300], requested_by_id=user.id if user else None)
    session.add(run)
    session.flush()
    return run


def begin_run(session: Session, run: ReanalysisRun, model_version: str) -> None:
    """Everything analysed from now on, by the new model version, counts toward this run."""
    run.model_version = model_version
    run.start_analysis_id = int(session.scalar(select(func.coalesce(func.max(Analysis.id), 0))) or 0)
    run.total = int(session.scalar(select(func.count(InsightFact.id)).where(
        InsightFact.has_text.is_(True), InsightFact.analysis_id.is_not(None))) or 0)
    run.status = "running"
    session.flush()


def progress(session: Session, run: ReanalysisRun) -> Progress:
    """Verbatims whose current analysis is newer than the run's start; the run is done when all are."""
    if run.status == "pending":
        return Progress(run, 0, run.total)
    done = int(session.scalar(select(func.count(InsightFact.id)).where(
        InsightFact.has_text.is_(True), InsightFact.analysis_id > run.start_analysis_id)) or 0)
    if run.status == "running" and done >= run.total:
        run.status, run.finished_at = "done", utcnow()
        session.flush()
    return Progress(run, min(done, run.total), run.total)


def current_run(session: Session) -> ReanalysisRun | None:
    return session.scalar(select(ReanalysisRun).order_by(ReanalysisRun.id.desc()).limit(1))


# ---------------------------------------------------------------- labels page


def recent_corrections(session: Session, limit: int = 100) -> Sequence[HumanLabel]:
    return session.scalars(select(HumanLabel).options(joinedload(HumanLabel.user), joinedload(HumanLabel.verbatim))
                           .order_by(HumanLabel.id.desc()).limit(limit)).unique().all()


def label_stats(session: Session) -> dict[str, Any]:
    """Corrections per field, how many changed what the model said, and those since the active model."""
    active = session.scalar(select(ModelVersion).where(ModelVersion.active.is_(True)).limit(1))
    by_field: dict[str, dict[str, int]] = {}
    for field, value, previous in session.execute(select(HumanLabel.field, HumanLabel.value, HumanLabel.previous)):
        row = by_field.setdefault(field, {"total": 0, "changed": 0})
        row["total"] += 1
        if _normalise(value) != _normalise(previous):
            row["changed"] += 1
    since = select(func.count(HumanLabel.id))
    if active is not None:
        since = since.where(HumanLabel.created_at > active.created_at)
    return {"active": active, "by_field": by_field, "since_active": int(session.scalar(since) or 0),
            "versions": session.scalars(select(ModelVersion).order_by(ModelVersion.id.desc()).limit(10)).all()}


def _normalise(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value
