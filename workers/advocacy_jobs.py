"""RQ jobs of the advocate hub: praise-notice emails, invites sent once the ask budget allows, the sweep.

Each takes ids, reloads rows, returns early when the work is already done, and raises so RQ retries. Emails go
through the shared outbox and its delivery job (`send-email-<id>`, workers.email_jobs).
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def send_scheduled_invite(invite_id: int) -> dict[str, Any]:
    """An approved invite waited for the contact's ask budget: send it now if every guardrail still allows."""
    from survey.database import utcnow
    from survey.models import AdvocacyInvite
    from survey.services.invites import AskRefused, schedule_send
    from webapp.advocacy.emails import send_invite
    from webapp.extensions import db
    from workers import enqueue

    app = current_app._get_current_object()
    session = db.session
    invite = session.get(AdvocacyInvite, invite_id)
    if invite is None or invite.status != "approved" or invite.send_after is None:
        return {"invite_id": invite_id, "skipped": "not waiting"}
    if invite.send_after > utcnow():
        return {"invite_id": invite_id, "skipped": "not due"}
    try:
        email = send_invite(session, invite, None)
    except AskRefused as refused:
        session.rollback()
        invite = session.get(AdvocacyInvite, invite_id)
        if refused.code == "budget" and invite is not None:
            # Someone asked them in the meantime (a survey): wait for the budget again.
            due = schedule_send(session, invite, None, int(app.config["ASK_BUDGET_DAYS"]))
            session.commit()
            enqueue.enqueue_scheduled_invite(invite_id, due)
            return {"invite_id": invite_id, "rescheduled": due.isoformat()}
        session.commit()
        return {"invite_id": invite_id, "refused": refused.reasons}
    session.commit()
    enqueue.enqueue_send_email(email.id)
    return {"invite_id": invite_id, "email_id": email.id}


def notify_praise(verbatim_id: int) -> dict[str, Any]:
    """Email the CSMs their praise notices for this verbatim (once each)."""
    from sqlalchemy import select

    from survey.models import AdvocateFlag, PraiseNotice
    from webapp.advocacy.emails import write_praise_notice
    from webapp.extensions import db
    from workers import enqueue

    session = db.session
    notices = session.scalars(
        select(PraiseNotice)
        .join(AdvocateFlag, AdvocateFlag.id == PraiseNotice.flag_id)
        .where(AdvocateFlag.verbatim_id == verbatim_id, PraiseNotice.emailed_at.is_(None))
    ).all()
    emails = [write_praise_notice(session, notice) for notice in notices]
    session.commit()
    for email in emails:
        enqueue.enqueue_send_email(email.id)
    return {"verbatim_id": verbatim_id, "emails": [e.id for e in emails]}


def sweep_advocacy() -> dict[str, Any]:
    """Expire unanswered invites, lift recovery holds that are over, send invites whose budget opened."""
    from survey.services.advocacy import release_recovered_holds
    from survey.services.invites import due_scheduled_sends, expire_invites
    from webapp.extensions import db
    from workers import enqueue

    session = db.session
    expired = expire_invites(session)
    released = release_recovered_holds(session)
    due = due_scheduled_sends(session)
    session.commit()
    for invite_id in due:
        enqueue.enqueue_scheduled_invite(invite_id)
    return {"expired": expired, "released": released, "due": len(due)}


def seed_demo_when_ready(attempt: int = 0) -> dict[str, Any]:
    """Fill the advocate hub's demo history once every demo verbatim was analysed and acted on."""
    from sqlalchemy import func, or_, select

    from survey.models import Verbatim
    from survey.services.advocacy_demo import seed_advocacy_demo
    from webapp.extensions import db
    from workers import enqueue

    session = db.session
    waiting = (
        session.scalar(
            select(func.count(Verbatim.id)).where(
                or_(
                    Verbatim.analysis_status.in_(("pending", "running")),
                    (Verbatim.analysis_status == "done") & (Verbatim.action_status != "done"),
                )
            )
        )
        or 0
    )
    if waiting:
        session.rollback()
        if attempt >= 360:  # an hour of waiting: something is stuck; the sweeper will have said so
            raise RuntimeError(f"{waiting} demo verbatims still not acted on; advocacy demo not seeded")
        enqueue.enqueue_advocacy_demo(attempt + 1, after_seconds=10)
        return {"waiting": waiting, "attempt": attempt}
    seed_advocacy_demo(session)
    session.commit()
    return {"seeded": True}
