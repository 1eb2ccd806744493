"""Verbatims from other channels (support tickets, emails, reviews, notes), idempotent by source and external id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Account, Contact, Verbatim

INGEST_SOURCES = ("support_ticket", "email", "review", "note", "import")


# Whitespace as JSON Schema's (ECMAScript) \s defines it, so the API's schema and this check agree.
BLANK = frozenset("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"
                  + "".join(chr(c) for c in range(0x2000, 0x200B)))


def is_blank(text: str) -> bool:
    """True when the text has nothing but whitespace."""
    return all(ch in BLANK for ch in text)


class IngestError(ValueError):
    """A verbatim that cannot be ingested, with the reason."""


@dataclass(frozen=True)
class VerbatimData:
    """One piece of customer text from another system."""

    source: str
    external_id: str
    text: str
    contact_email: str | None = None
    contact_external_id: str | None = None
    account_external_id: str | None = None
    created_at: datetime | None = None


@dataclass
class IngestReport:
    """Ids created, and ids that already existed (a re-sent batch creates nothing)."""

    created: list[int] = field(default_factory=list)
    existing: list[int] = field(default_factory=list)


def ingest_verbatims(session: Session, rows: Sequence[VerbatimData], max_chars: int) -> IngestReport:
    """Store new verbatims as pending analysis; the caller commits, then enqueues `created`."""
    report = IngestReport()
    for row in rows:
        if row.source not in INGEST_SOURCES:
            raise IngestError(f"{row.external_id}: source must be one of {', '.join(INGEST_SOURCES)}")
        text = row.text.replace("\x00", "")
        if is_blank(text):
            raise IngestError(f"{row.external_id}: text is empty")
        if len(text) > max_chars:
            raise IngestError(f"{row.external_id}: text is {len(text)} characters; the limit is {max_chars}")
        existing = session.scalar(
            select(Verbatim.id).where(Verbatim.source == row.source, Verbatim.external_id == row.external_id)
        )
        if existing is not None:
            report.existing.append(existing)
            continue
        contact = _find_contact(session, row)
        account_id = contact.account_id if contact else None
        if row.account_external_id:
            account_id = session.scalar(select(Account.id).where(Account.external_id == row.account_external_id))
            if account_id is None:
                raise IngestError(f"{row.external_id}: unknown account {row.account_external_id}")
        verbatim = Verbatim(
            text=text.strip(),
            source=row.source,
            external_id=row.external_id,
            contact_id=contact.id if contact else None,
            account_id=account_id,
        )
        if row.created_at is not None:
            created = row.created_at
            verbatim.created_at = created.astimezone(UTC).replace(tzinfo=None) if created.tzinfo else created
        session.add(verbatim)
        session.flush()
        report.created.append(verbatim.id)
    return report


def _find_contact(session: Session, row: VerbatimData) -> Contact | None:
    if row.contact_external_id:
        contact = session.scalar(select(Contact).where(Contact.external_id == row.contact_external_id))
        if contact is None:
            raise IngestError(f"{row.external_id}: unknown contact {row.contact_external_id}")
        return contact
    if row.contact_email:
        return session.scalar(select(Contact).where(Contact.email == row.contact_email.strip().lower()))
    return None
