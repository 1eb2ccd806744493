"""Demo data for the survey channels: a widget-ready survey, a host-page user, survey emails in the outbox.

Called by `feedloop seed-demo` after the main demo seed, inside the CLI's app context (emails are rendered
with the app's templates). Idempotent: running it twice changes nothing more.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import Account, Contact, OutboxEmail, Survey
from survey.services.outbox import mark_sent
from survey.services.surveys import new_widget_secret, normalize_origin

DEMO_SURVEY_KEY = "demo-nps"
WIDGET_USER = ("jamie.rivera", "Jamie Rivera", "en")
EMAIL_RECIPIENTS = [("morgan.lee", "Morgan Lee", "en"), ("lena.schmidt", "Lena Schmidt", "de")]
DEMO_ORIGINS = ["http://127.0.0.1:5000", "http://localhost:5000"]


def seed_channels_demo(session: Session, base_url: str) -> None:
    """Make the demo survey embeddable and identified, and put two sent survey emails in the outbox."""
    survey = session.scalar(select(Survey).where(Survey.public_key == DEMO_SURVEY_KEY))
    if survey is None:
        survey = Survey(
            public_key=DEMO_SURVEY_KEY,
            name="Relationship NPS",
            kind="nps",
            product_name="Acme Analytics",
            question="How likely are you to recommend Acme Analytics to a friend or colleague?",
        )
        session.add(survey)
    origins = list(dict.fromkeys([o for o in [normalize_origin(base_url), *DEMO_ORIGINS] if o]))
    survey.status = "active"
    survey.languages = ["en", "de"]
    survey.channels = ["link", "widget", "email"]
    survey.allowed_origins = list(dict.fromkeys([*(survey.allowed_origins or []), *origins]))
    survey.widget_secret = survey.widget_secret or new_widget_secret()
    survey.anonymous = False
    session.flush()

    account = session.scalar(
        select(Account)
        .where(Account.active.is_(True), Account.domain.is_not(None))
        .order_by(Account.arr.desc(), Account.id)
        .limit(1)
    )
    domain = account.domain if account is not None and account.domain else "customer.example"
    widget_user = _contact(session, account, domain, *WIDGET_USER)
    survey.settings = {
        **(survey.settings or {}),
        "demo_widget_host": True,
        "demo_widget_user": widget_user.email,
    }

    from webapp.public.emails import queue_survey_email

    for local, name, locale in EMAIL_RECIPIENTS:
        contact = _contact(session, account, domain, local, name, locale)
        already = session.scalar(
            select(OutboxEmail.id).where(
                OutboxEmail.contact_id == contact.id, OutboxEmail.survey_id == survey.id
            )
        )
        if already is not None:
            continue
        contact.last_asked_at = None  # a demo recipient is fresh, whatever the main seed stamped
        email = queue_survey_email(session, survey, contact, trigger="manual", base_url=base_url.rstrip("/"))
        if email is not None:
            mark_sent(session, email, "outbox", None)
    session.flush()


def _contact(
    session: Session, account: Account | None, domain: str, local: str, name: str, locale: str
) -> Contact:
    email = f"{local}@{domain}"
    contact = session.scalar(select(Contact).where(Contact.email == email))
    if contact is None:
        contact = Contact(
            email=email,
            name=name,
            locale=locale,
            account_id=account.id if account else None,
            title="Operations Lead",
            created_at=utcnow(),
        )
        session.add(contact)
        session.flush()
    return contact
