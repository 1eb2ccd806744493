"""Admin-side survey settings: validating the form, creating and editing surveys, widget identity secrets."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.database import utcnow
from survey.models import Account, Contact, Survey
from survey.models.surveys import ASK_CHANNELS, PROGRAMMES, SURVEY_KINDS, SURVEY_STATUSES

# Languages the survey UI is translated into; a survey may be offered in any of them.
LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch"}
TEXT_KEYS = ("question", "promoter", "passive", "detractor")
PUBLIC_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
MAX_RECURRENCE_DAYS = 730


class SurveyFormError(ValueError):
    """The admin form has problems; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class SurveySettings:
    """Validated survey settings from the admin form."""

    name: str
    kind: str
    question: str
    product_name: str
    status: str
    anonymous: bool
    languages: list[str]
    channels: list[str]
    translations: dict[str, dict[str, str]]
    allowed_origins: list[str]
    programme: str
    recurrence_days: int | None
    public_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_survey_form(form: Mapping[str, Any], getlist: Any, *, creating: bool) -> SurveySettings:
    """Turn the admin form into settings or raise SurveyFormError naming every bad field."""
    errors: dict[str, str] = {}

    def text(name: str, limit: int, required: bool = False) -> str:
        value = str(form.get(name) or "").strip()
        if required and not value:
            errors[name] = "This field is required."
        elif len(value) > limit:
            errors[name] = f"At most {limit} characters."
        return value

    name = text("name", 200, required=True)
    kind = str(form.get("kind") or "nps")
    if kind not in SURVEY_KINDS:
        errors["kind"] = f"Choose one of {', '.join(SURVEY_KINDS)}."
    product_name = text("product_name", 200, required=True)
    status = str(form.get("status") or "draft")
    if status not in SURVEY_STATUSES:
        errors["status"] = f"Choose one of {', '.join(SURVEY_STATUSES)}."
    anonymous = str(form.get("identity") or "anonymous") != "identified"
    languages = [lang for lang in getlist("languages") if lang in LANGUAGES]
    if not languages:
        errors["languages"] = "Choose at least one language."
    primary = str(form.get("primary_language") or (languages[0] if languages else "en"))
    if languages and primary in languages:
        languages.remove(primary)
        languages.insert(0, primary)
    channels = [c for c in ASK_CHANNELS if c in getlist("channels")]
    translations: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        entry = {}
        for key in TEXT_KEYS:
            value = text(f"text_{lang}_{key}", 1000)
            if value:
                entry[key] = value
        if entry:
            translations[lang] = entry
    question = (translations.get(languages[0], {}).get("question") if languages else "") or ""
    if not question:
        question = text("question", 1000)
    if not question:
        errors[f"text_{languages[0] if languages else 'en'}_question"] = (
            "Write the question in the main language."
        )
    origins: list[str] = []
    for line in str(form.get("allowed_origins") or "").splitlines():
        if not line.strip():
            continue
        origin = normalize_origin(line)
        if origin is None:
            errors["allowed_origins"] = f"{line.strip()!r} is not an origin like https://app.example.com."
            break
        if origin not in origins:
            origins.append(origin)
    programme = str(form.get("programme") or "none")
    if programme not in PROGRAMMES:
        errors["programme"] = f"Choose one of {', '.join(PROGRAMMES)}."
    recurrence_days: int | None = None
    raw_days = str(form.get("recurrence_days") or "").strip()
    if programme == "relationship":
        if not raw_days.isdigit() or not 1 <= int(raw_days) <= MAX_RECURRENCE_DAYS:
            errors["recurrence_days"] = (
                f"A relationship programme repeats every 1 to {MAX_RECURRENCE_DAYS} days."
            )
        else:
            recurrence_days = int(raw_days)
    elif raw_days and raw_days.isdigit() and 1 <= int(raw_days) <= MAX_RECURRENCE_DAYS:
        recurrence_days = int(raw_days)
    public_key = None
    if creating:
        public_key = str(form.get("public_key") or "").strip().lower()
        if not PUBLIC_KEY_RE.match(public_key):
            errors["public_key"] = (
                "3-64 lowercase letters, digits and dashes, starting with a letter or digit."
            )
    if errors:
        raise SurveyFormError(errors)
    return SurveySettings(
        name=name,
        kind=kind,
        question=question,
        product_name=product_name,
        status=status,
        anonymous=anonymous,
        languages=languages,
        channels=channels,
        translations=translations,
        allowed_origins=origins,
        programme=programme,
        recurrence_days=recurrence_days,
        public_key=public_key,
    )


def normalize_origin(value: str) -> str | None:
    """scheme://host[:port] in lower case, or None when the value is not a bare web origin."""
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
    ):
        return None
    if parts.username or parts.password:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def create_survey(session: Session, settings: SurveySettings) -> Survey:
    """Insert a survey; a taken public key is reported as a form error, not a crash."""
    assert settings.public_key is not None
    if session.scalar(select(Survey.id).where(Survey.public_key == settings.public_key)) is not None:
        raise SurveyFormError(
            {"public_key": f"The key {settings.public_key!r} is already used by another survey."}
        )
    survey = Survey(
        public_key=settings.public_key,
        name=settings.name,
        kind=settings.kind,
        question=settings.question,
        widget_secret=new_widget_secret(),
    )
    apply_settings(survey, settings)
    session.add(survey)
    session.flush()
    return survey


def apply_settings(survey: Survey, settings: SurveySettings) -> None:
    """Copy validated settings onto a survey; starting a relationship programme starts its first cycle."""
    survey.name = settings.name
    survey.kind = settings.kind
    survey.question = settings.question
    survey.product_name = settings.product_name
    survey.status = settings.status
    survey.anonymous = settings.anonymous
    survey.languages = list(settings.languages)
    survey.channels = list(settings.channels)
    survey.translations = {lang: dict(texts) for lang, texts in settings.translations.items()}
    survey.allowed_origins = list(settings.allowed_origins)
    if settings.programme == "relationship" and (
        survey.programme != "relationship" or survey.recurrence_days != settings.recurrence_days
    ):
        survey.programme_started_at = utcnow()
    survey.programme = settings.programme
    survey.recurrence_days = settings.recurrence_days
    if survey.widget_secret is None:
        survey.widget_secret = new_widget_secret()
    survey.updated_at = utcnow()


def new_widget_secret() -> str:
    """A fresh per-survey key for signing widget identities (the vendor's server keeps a copy)."""
    return secrets.token_hex(32)


def identity_signature(secret: str, email: str) -> str:
    """What the vendor's server computes: hex HMAC-SHA256 of the lower-cased email under the survey secret."""
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def verify_identity(survey: Survey, email: str, signature: str) -> bool:
    """True only for a signature made with this survey's secret, compared in constant time."""
    if not survey.widget_secret or not email or not signature:
        return False
    return hmac.compare_digest(identity_signature(survey.widget_secret, email), signature.strip().lower())


def origin_allowed(survey: Survey, origin: str | None) -> bool:
    """Whether a host page at this origin may show the survey's widget."""
    normalized = normalize_origin(origin) if origin else None
    return normalized is not None and normalized in (survey.allowed_origins or [])


def survey_languages(survey: Survey) -> list[str]:
    """The survey's languages that the UI can show, main language first (English when none is usable)."""
    langs = [lang for lang in (survey.languages or []) if lang in LANGUAGES]
    return langs or ["en"]


def custom_text(survey: Survey, locale: str, key: str) -> str | None:
    """An admin's wording for this language, if any (the main language's question is `survey.question`)."""
    entry = (survey.translations or {}).get(locale) or {}
    value = entry.get(key)
    if value:
        return str(value)
    if key == "question" and locale == survey_languages(survey)[0]:
        return survey.question
    return None


def channel_open(survey: Survey, channel: str) -> bool:
    """Whether the admin switched this channel on for the survey."""
    return channel in (survey.channels or [])


def surveys_for_admin(session: Session) -> Sequence[Survey]:
    """Every survey, newest first, for the admin list."""
    return session.scalars(select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc())).all()


def contact_for_identity(session: Session, email: str, locale: str | None = None) -> Contact:
    """The contact a verified user is; new people are added, matched to an account by email domain."""
    email = email.strip().lower()
    contact = session.scalar(select(Contact).where(Contact.email == email))
    if contact is not None:
        return contact
    domain = email.rpartition("@")[2]
    account_id = session.scalar(
        select(Account.id)
        .where(Account.domain == domain, Account.active.is_(True))
        .order_by(Account.id)
        .limit(1)
    )
    contact = Contact(email=email, account_id=account_id, locale=locale)
    try:
        with session.begin_nested():
            session.add(contact)
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(Contact).where(Contact.email == email))
        if existing is None:
            raise
        return existing
    return contact
