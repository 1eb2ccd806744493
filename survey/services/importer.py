"""CSV import of accounts, contacts and historical responses: every row validated, a report of each rejection."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Account, Contact, Response, Survey, User, Verbatim
from survey.scoring import score_range
from survey.services.crm import AccountData, ContactData, upsert_accounts, upsert_contacts

KINDS = ("accounts", "contacts", "responses")
COLUMNS = {
    "accounts": ("external_id", "name", "domain", "plan", "arr", "segment", "owner_email", "renewal_date"),
    "contacts": ("external_id", "email", "account_external_id", "name", "title", "locale", "marketing_consent",
                 "unsubscribed"),
    "responses": ("external_id", "survey_key", "email", "score", "comment", "answered_at"),
}
REQUIRED = {"accounts": ("external_id", "name"), "contacts": ("external_id", "email"),
            "responses": ("external_id", "survey_key", "score")}
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MAX_ROWS = 200_000
MAX_COMMENT = 20_000
TRUE, FALSE = {"1", "true", "yes", "y"}, {"0", "false", "no", "n", ""}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, header): nothing is imported."""


@dataclass
class RowError:
    line: int
    message: str


@dataclass
class ImportPlan:
    """Valid rows ready to apply, and every rejected row with its reason."""

    kind: str
    rows: list[tuple[int, Any]] = field(default_factory=list)  # (line, typed row)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM); anything else is refused with the position of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFileError(f"the file is not UTF-8 text (first invalid byte on line {line}); "
                              "save it as 'CSV UTF-8' and upload it again") from None


def read_rows(kind: str, text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows as dicts keyed by the expected columns, with their line numbers; refuses unknown headers."""
    if kind not in KINDS:
        raise ImportFileError(f"kind must be one of {', '.join(KINDS)}")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise ImportFileError("the file is empty")
    missing = [c for c in REQUIRED[kind] if c not in header]
    unknown = [c for c in header if c not in COLUMNS[kind]]
    if missing or unknown:
        problems = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            [f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
        raise ImportFileError("; ".join(problems) + f". Expected columns: {', '.join(COLUMNS[kind])}")
    reader.fieldnames = header
    for index, row in enumerate(reader):
        if index >= MAX_ROWS:
            raise ImportFileError(f"the file has more than {MAX_ROWS} rows; split it")
        if None in row:
            yield reader.line_num, {"__extra__": "x"}
            continue
        yield reader.line_num, {k: (v or "").strip() for k, v in row.items()}


def plan_import(session: Session, kind: str, raw: bytes,
                progress: Callable[[int], None] | None = None) -> ImportPlan:
    """Validate every row (types, references, duplicates) without writing anything."""
    text = decode(raw)
    plan = ImportPlan(kind=kind)
    seen: dict[str, int] = {}
    context = _Context(session)
    for line, row in read_rows(kind, text):
        plan.total += 1
        try:
            if "__extra__" in row:
                raise ValueError("the row has more fields than the header")
            key = row.get("external_id", "")
            if key in seen:
                raise ValueError(f"duplicate of line {seen[key]} (external_id {key})")
            typed = _VALIDATORS[kind](row, context)
            seen[key] = line
            plan.rows.append((line, typed))
        except ValueError as exc:
            plan.errors.append(RowError(line, str(exc)))
        if progress and plan.total % 200 == 0:
            progress(plan.total)
    if plan.total == 0:
        raise ImportFileError("the file has a header but no rows")
    return plan


class _Context:
    """Lookups shared by the row validators (cached: a file may reference the same account a thousand times)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.accounts = set(session.scalars(select(Account.external_id).where(Account.external_id.is_not(None))))
        self.staff = {e.lower() for e in session.scalars(select(User.email))}
        self.surveys = {s.public_key: s for s in session.scalars(select(Survey))}
        self.pending_accounts: set[str] = set()

    def contact_id(self, email: str) -> int | None:
        return self.session.scalar(select(Contact.id).where(Contact.email == email))


def _req(row: dict[str, str], name: str) -> str:
    value = row.get(name, "")
    if not value:
        raise ValueError(f"{name} is required")
    return value


def _bool(row: dict[str, str], name: str) -> bool:
    value = row.get(name, "").lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValueError(f"{name} must be true or false (got {row[name]!r})")


def _email(value: str, name: str = "email") -> str:
    if not EMAIL_RE.match(value) or len(value) > 254:
        raise ValueError(f"{name} {value!r} is not a valid email address")
    return value.lower()


def _account_row(row: dict[str, str], ctx: _Context) -> AccountData:
    arr_text = row.get("arr", "").replace(",", "").replace("_", "")
    try:
        arr = int(float(arr_text)) if arr_text else 0
    except ValueError:
        raise ValueError(f"arr must be a number (got {row['arr']!r})") from None
    if not 0 <= arr <= 2_000_000_000:
        raise ValueError("arr must be between 0 and 2,000,000,000")
    owner = row.get("owner_email") or None
    if owner and owner.lower() not in ctx.staff:
        raise ValueError(f"owner_email {owner} is not a Feedloop user")
    renewal = None
    if row.get("renewal_date"):
        try:
            renewal = date.fromisoformat(row["renewal_date"])
        except ValueError:
            raise ValueError(f"renewal_date must be YYYY-MM-DD (got {row['renewal_date']!r})") from None
    name = _req(row, "name")
    if len(name) > 200:
        raise ValueError("name is longer than 200 characters")
    ctx.pending_accounts.add(row["external_id"])
    return AccountData(external_id=_req(row, "external_id")[:100], name=name, domain=row.get("domain") or None,
                       plan=row.get("plan") or None, arr=arr, segment=row.get("segment") or None,
                       renewal_date=renewal, owner_email=owner.lower() if owner else None)


def _contact_row(row: dict[str, str], ctx: _Context) -> ContactData:
    account = row.get("account_external_id") or None
    if account and account not in ctx.accounts:
        raise ValueError(f"unknown account {account} (import accounts first)")
    locale = row.get("locale") or None
    if locale and not re.match(r"^[a-z]{2}([-_][A-Za-z]{2})?$", locale):
        raise ValueError(f"locale {locale!r} is not a language code such as en or de-DE")
    return ContactData(external_id=_req(row, "external_id")[:100], email=_email(_req(row, "email")),
                       account_external_id=account, name=row.get("name") or None, title=row.get("title") or None,
                       locale=locale, marketing_consent=_bool(row, "marketing_consent"),
                       unsubscribed=_bool(row, "unsubscribed"))


@dataclass(frozen=True)
class HistoricalResponse:
    external_id: str
    survey_id: int
    contact_id: int | None
    score: int
    comment: str
    answered_at: datetime | None


def _response_row(row: dict[str, str], ctx: _Context) -> HistoricalResponse:
    survey = ctx.surveys.get(_req(row, "survey_key"))
    if survey is None:
        raise ValueError(f"unknown survey {row['survey_key']!r}")
    bounds = score_range(survey.kind)
    try:
        score = int(_req(row, "score"))
    except ValueError:
        raise ValueError(f"score must be a whole number (got {row['score']!r})") from None
    if bounds is None or not bounds[0] <= score <= bounds[1]:
        raise ValueError(f"score {score} is outside {survey.kind.upper()}'s range"
                         + (f" {bounds[0]}-{bounds[1]}" if bounds else ""))
    contact_id = None
    if row.get("email"):
        email = _email(row["email"])
        contact_id = ctx.contact_id(email)
        if contact_id is None:
            raise ValueError(f"unknown contact {email} (import contacts first)")
    comment = row.get("comment", "")
    if len(comment) > MAX_COMMENT:
        raise ValueError(f"comment is {len(comment)} characters; the limit is {MAX_COMMENT}")
    answered = None
    if row.get("answered_at"):
        try:
            answered = datetime.fromisoformat(row["answered_at"].replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"answered_at must be an ISO date or date-time (got {row['answered_at']!r})") from None
        if answered.tzinfo:
            answered = answered.astimezone(UTC).replace(tzinfo=None)
    return HistoricalResponse(external_id=_req(row, "external_id")[:100], survey_id=survey.id, contact_id=contact_id,
                              score=score, comment=comment, answered_at=answered)


_VALIDATORS: dict[str, Callable[[dict[str, str], _Context], Any]] = {
    "accounts": _account_row, "contacts": _contact_row, "responses": _response_row,
}


def apply_chunk(session: Session, kind: str, rows: list[Any]) -> list[int]:
    """Write one chunk of validated rows (idempotent); returns verbatim ids to analyse."""
    if kind == "accounts":
        upsert_accounts(session, rows)
        return []
    if kind == "contacts":
        upsert_contacts(session, rows, source="import")
        return []
    verbatim_ids = []
    for r in rows:
        submission_id = f"import:{r.external_id}"
        if session.scalar(select(Response.id).where(Response.submission_id == submission_id)) is not None:
            continue
        contact = session.get(Contact, r.contact_id) if r.contact_id else None
        response = Response(survey_id=r.survey_id, contact_id=r.contact_id,
                            account_id=contact.account_id if contact else None, score=r.score, channel="import",
                            submission_id=submission_id)
        if r.answered_at:
            response.answered_at = r.answered_at
        session.add(response)
        session.flush()
        if r.comment:
            verbatim = Verbatim(text=r.comment, source="survey", response_id=response.id,
                                contact_id=response.contact_id, account_id=response.account_id)
            if r.answered_at:
                verbatim.created_at = r.answered_at
            session.add(verbatim)
            session.flush()
            verbatim_ids.append(verbatim.id)
    return verbatim_ids
