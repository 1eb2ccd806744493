"""What customers see: the hosted survey, the in-app widget, one-click email links, and the demo host page.

One blueprint (so one locale rule and one set of customer-facing error handlers), split by channel.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_wtf.csrf import CSRFError

from webapp.ratelimit import RateLimited

bp = Blueprint("public", __name__)


@bp.errorhandler(RateLimited)
def _rate_limited(_exc: RateLimited) -> Any:
    """429 in the customer's language (Retry-After and the X-RateLimit headers come from webapp.ratelimit)."""
    from webapp.public.i18n import message
    from webapp.public.steps import customer_error, wants_json

    return customer_error(429, message("rate_limited"), json=wants_json())


@bp.errorhandler(CSRFError)
def _csrf_failed(_exc: CSRFError) -> Any:
    """A form without its security token: say how to recover, in the customer's language."""
    from webapp.public.i18n import message
    from webapp.public.steps import customer_error

    return customer_error(400, message("csrf"))


from webapp.public import demo, hosted, oneclick, widget  # noqa: E402,F401  (register the routes)


@bp.app_context_processor
def _survey_template_helpers() -> dict[str, Any]:
    """Helpers for customer-facing templates (also used when rendering emails)."""
    from flask_babel import get_locale, gettext

    from survey.services.surveys import LANGUAGES, survey_languages

    def error_title(status: int) -> str:
        titles = {
            400: gettext("That did not work"),
            403: gettext("Not available here"),
            404: gettext("Not found"),
            409: gettext("Not taking answers"),
            410: gettext("Link expired"),
            413: gettext("Too long"),
            429: gettext("Too many requests"),
        }
        return titles.get(status, gettext("Something went wrong"))

    return {
        "survey_languages": survey_languages,
        "language_names": LANGUAGES,
        "error_title": error_title,
        "current_locale": lambda: str(get_locale() or "en"),
    }
