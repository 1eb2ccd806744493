"""Which language a customer sees, and every customer-facing message in it.

The locale is decided per request: an explicit choice (`lang`), then the contact's locale, then the browser's
Accept-Language, limited to the survey's languages; staff pages stay English.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from flask_babel import gettext, lazy_gettext, refresh

from survey.models import Contact, Survey
from survey.scoring import score_range
from survey.services.responses import SubmissionError
from survey.services.surveys import LANGUAGES, survey_languages

SUPPORTED = tuple(LANGUAGES)
CUSTOMER_BLUEPRINTS = {"public"}


def select_locale() -> str:
    """Flask-Babel's locale selector: the survey view's choice, else the browser's for customer pages."""
    chosen = g.get("feedloop_locale") if has_request_context() else None
    if chosen:
        return str(chosen)
    if has_request_context() and request.blueprint in CUSTOMER_BLUEPRINTS:
        return request.accept_languages.best_match(SUPPORTED) or "en"
    return "en"


def normalize(tag: str | None) -> str | None:
    """'de-CH' -> 'de'; anything we don't speak -> None."""
    if not tag or not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in SUPPORTED else None


def use_locale(survey: Survey | None, contact: Contact | None = None, explicit: str | None = None) -> str:
    """Pick and activate the language for this survey request; returns it."""
    langs = survey_languages(survey) if survey is not None else list(SUPPORTED)
    chosen = None
    candidates = [explicit, request.values.get("lang"), contact.locale if contact is not None else None]
    for candidate in candidates:
        lang = normalize(candidate)
        if lang in langs:
            chosen = lang
            break
    if chosen is None:
        chosen = request.accept_languages.best_match(langs) or langs[0]
    g.feedloop_locale = chosen
    refresh()
    return chosen


# ------------------------------------------------------------------ messages
MESSAGES: dict[str, Any] = {
    "unknown_survey": lazy_gettext(
        "There is no survey with the key %(key)s. Please check the link you followed."
    ),
    "survey_draft": lazy_gettext("This survey has not started yet, so it cannot take answers."),
    "survey_closed": lazy_gettext(
        "This survey is closed and no longer takes answers. Thank you for your interest!"
    ),
    "channel_off": lazy_gettext("This survey cannot be answered this way."),
    "csrf": lazy_gettext(
        "The form has expired or is missing its security token; please reload the page and try again."
    ),
    "widget_token": lazy_gettext(
        "This survey form has expired or was altered; please reload the page and try again."
    ),
    "honeypot": lazy_gettext(
        "The submission was rejected because a field meant to stay empty was filled in."
    ),
    "link_expired": lazy_gettext(
        "This survey link has expired. Links in our survey emails work for %(days)s days."
    ),
    "link_invalid": lazy_gettext(
        "This survey link is not valid: it may have been altered or copied incompletely. "
        "Please use the button in the email."
    ),
    "comment_link_expired": lazy_gettext("This page has expired, but your score was saved. Thank you!"),
    "foreign_origin": lazy_gettext(
        "This survey cannot be shown on %(origin)s: the site is not on the survey's list of allowed websites."
    ),
    "origin_missing": lazy_gettext("The widget could not tell which website it is shown on."),
    "identity_missing": lazy_gettext("This survey is only for signed-in users, and no user was given."),
    "identity_invalid": lazy_gettext(
        "We could not verify who you are, so this survey cannot be answered here."
    ),
    "rate_limited": lazy_gettext("Too many requests from your network. Please wait a minute and try again."),
    "bad_json": lazy_gettext("The request body must be a JSON object."),
    "email_missing": lazy_gettext("This email is no longer in our records."),
}


def message(code: str, **params: Any) -> str:
    """A customer-facing message in the current language."""
    text = str(MESSAGES[code])
    return text % params if params else text


def survey_state_message(survey: Survey) -> str:
    """Why a draft or closed survey refuses answers."""
    return message("survey_draft") if survey.status == "draft" else message("survey_closed")


def submission_error_message(exc: SubmissionError, survey: Survey, data: dict[str, Any]) -> str:
    """Translate a SubmissionError, recovering its specifics from the field, the status and the input."""
    bounds = score_range(survey.kind)
    if exc.status == 409 and exc.field is None:
        return survey_state_message(survey)
    if exc.field == "score":
        if bounds is None:
            return gettext("This survey takes no score.")
        raw = data.get("score")
        if raw is None or raw == "":
            return gettext(
                "score is required: a whole number from %(low)s to %(high)s.", low=bounds[0], high=bounds[1]
            )
        return gettext(
            "score must be a whole number from %(low)s to %(high)s.", low=bounds[0], high=bounds[1]
        )
    if exc.field == "comment":
        comment = data.get("comment")
        if exc.status == 413 and isinstance(comment, str):
            return comment_too_long(len(comment.replace("\x00", "").strip()), _max_chars())
        if not isinstance(comment, str) and comment is not None:
            return gettext("comment must be text.")
        return gettext("comment is required for a feedback survey: please write a few words.")
    if exc.field == "email":
        return gettext("email is not a valid email address.")
    if exc.field == "submission_id":
        return gettext("submission_id must be 1-100 characters of letters, digits, '_', '.', ':' or '-'.")
    return gettext("The answer could not be accepted.")


def comment_too_long(length: int, limit: int) -> str:
    """Oversize comments are refused with both numbers, so the customer knows how much to cut."""
    return gettext(
        "The comment is %(length)s characters long; the limit is %(limit)s. Please shorten it.",
        length=length,
        limit=limit,
    )


def _max_chars() -> int:
    from flask import current_app

    return int(current_app.config["MAX_COMMENT_CHARS"])
