"""Composing survey emails: pick the language, claim the ask (fatigue rule), render with one-click links."""

from __future__ import annotations

from flask import current_app, has_request_context, render_template, request, url_for
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from survey.models import Contact, OutboxEmail, Survey
from survey.services.fatigue import claim_ask
from survey.services.oneclick import one_click_token
from survey.services.outbox import new_email
from survey.services.surveys import survey_languages
from webapp.public.i18n import normalize
from webapp.public.texts import survey_texts

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def public_base_url() -> str:
    """Where customers reach this installation: FEEDLOOP_PUBLIC_BASE_URL, else the current request's host."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return DEFAULT_BASE_URL


def email_locale(survey: Survey, contact: Contact) -> str:
    """The contact's language when the survey speaks it, else the survey's main language."""
    langs = survey_languages(survey)
    lang = normalize(contact.locale)
    return lang if lang in langs else langs[0]


def queue_survey_email(
    session: Session,
    survey: Survey,
    contact: Contact,
    *,
    trigger: str,
    base_url: str,
    event_key: str | None = None,
    check_fatigue: bool = True,
) -> OutboxEmail | None:
    """Write one survey email to the outbox, or None when the fatigue rule (or an unsubscribe) holds it back.

    The caller commits, then enqueues `send-email-<id>`.
    """
    if contact.unsubscribed:
        return None
    if check_fatigue and not claim_ask(session, contact.id, int(current_app.config["FATIGUE_DAYS"])):
        return None
    locale = email_locale(survey, contact)
    email = new_email(
        session, survey=survey, contact=contact, locale=locale, trigger=trigger, event_key=event_key
    )
    render_email(email, survey, contact, base_url)
    session.flush()
    return email


def render_email(email: OutboxEmail, survey: Survey, contact: Contact, base_url: str) -> None:
    """Fill subject and bodies; every score button is a signed link that records the score in one click."""
    token = one_click_token(current_app.config["SECRET_KEY"], email)
    with current_app.test_request_context(base_url=base_url), force_locale(email.locale):
        texts = survey_texts(survey, email.locale)
        buttons = [
            (score, url_for("public.one_click", token=token, score=score, _external=True))
            for score in texts.scores
        ]
        context = {
            "survey": survey,
            "contact": contact,
            "texts": texts,
            "buttons": buttons,
            "locale": email.locale,
            "hosted_url": url_for(
                "public.survey_page", key=survey.public_key, lang=email.locale, _external=True
            ),
            "unsubscribe_url": url_for("public.unsubscribe", token=token, _external=True),
            "first_name": (contact.name or "").split(" ")[0],
            "max_age_days": int(current_app.config["ONE_CLICK_MAX_AGE_DAYS"]),
        }
        email.subject = gettext("A quick question about %(product)s", product=survey.product_name)
        email.html_body = render_template("email/survey.html", **context)
        email.text_body = render_template("email/survey.txt", **context)
