"""Advocacy emails in the shared outbox: invites with signed answer links; praise notices for CSMs."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import AdvocacyInvite, AdvocateFlag, OutboxEmail, PraiseNotice, User
from survey.services import invites as invite_service
from survey.services.advocacy import FLAG_LABELS, praise_quote
from survey.services.analysis import latest_analysis

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def public_base_url() -> str:
    """FEEDLOOP_PUBLIC_BASE_URL, else the current request's host, else the development address."""
    from flask import has_request_context, request

    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return DEFAULT_BASE_URL


def _outbox_row(
    session: Session, event_key: str, to_email: str, contact_id: int | None, locale: str
) -> OutboxEmail:
    """The outbox email for this event, created once (the key makes a retried send find the first)."""
    email = session.scalar(select(OutboxEmail).where(OutboxEmail.event_key == event_key))
    if email is None:
        email = OutboxEmail(
            survey_id=None,
            contact_id=contact_id,
            to_email=to_email,
            subject="",
            locale=locale,
            trigger="event",
            event_key=event_key,
            status="queued",
        )
        session.add(email)
        session.flush()
    return email


def send_invite(
    session: Session, invite: AdvocacyInvite, user: User | None, now: datetime | None = None
) -> OutboxEmail:
    """Every guardrail, the ask budget, then the email into the outbox; the caller commits and enqueues.

    Raises invite_service.AskRefused when a guardrail or the budget says no.
    """
    config = current_app.config
    invite_service.claim_send(
        session,
        invite,
        user=user,
        budget_days=int(config["ASK_BUDGET_DAYS"]),
        link_days=int(config["INVITE_LINK_MAX_AGE_DAYS"]),
        now=now,
    )
    contact = invite.contact
    email = _outbox_row(
        session, f"advocacy-invite:{invite.id}", contact.email, contact.id, contact.locale or "en"
    )
    token = invite_service.link_token(config["SECRET_KEY"], invite)
    with current_app.test_request_context(base_url=public_base_url()):
        context = {
            "invite": invite,
            "contact": contact,
            **invite_service.invite_context(invite),
            "paragraphs": [p.strip() for p in invite.body.split("\n\n") if p.strip()],
            "accept_url": url_for("advocacy.public_answer", token=token, answer="accept", _external=True),
            "decline_url": url_for("advocacy.public_answer", token=token, answer="decline", _external=True),
            "unsubscribe_url": url_for("advocacy.public_unsubscribe", token=token, _external=True),
            "expires_at": invite.expires_at,
        }
        email.subject = invite.subject
        email.html_body = render_template("advocacy/email/invite.html", **context)
        email.text_body = render_template("advocacy/email/invite.txt", **context)
    invite.outbox_email_id = email.id
    session.flush()
    return email


def write_praise_notice(session: Session, notice: PraiseNotice) -> OutboxEmail:
    """The CSM's email saying which customer praised what, quoting the words."""
    flag = session.get(AdvocateFlag, notice.flag_id)
    assert flag is not None
    verbatim = flag.verbatim
    analysis = latest_analysis(session, verbatim.id)
    user = notice.user
    email = _outbox_row(session, f"praise-notice:{notice.id}", user.email, None, "en")
    who = flag.contact.name if flag.contact and flag.contact.name else "A customer"
    company = flag.account.name if flag.account else ""
    with current_app.test_request_context(base_url=public_base_url()):
        context = {
            "notice": notice,
            "flag": flag,
            "who": who,
            "company": company,
            "user": user,
            "quote": praise_quote(verbatim, analysis),
            "label": FLAG_LABELS[flag.kind],
            "named": "named" in notice.reasons,
            "url": url_for("advocacy.praise", _external=True),
        }
        subject = f"{who} praised you by name" if context["named"] else f"Unsolicited praise from {who}"
        email.subject = subject + (f" ({company})" if company else "")
        email.html_body = render_template("advocacy/email/praise_notice.html", **context)
        email.text_body = render_template("advocacy/email/praise_notice.txt", **context)
    notice.emailed_at = utcnow()
    session.flush()
    return email
