"""CRM sync: upsert accounts and contacts by their external ids, idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Account, Contact, User

ACCOUNT_FIELDS = ("name", "domain", "plan", "arr", "segment", "renewal_date", "active")
CONTACT_FIELDS = ("name", "email", "title", "locale", "marketing_consent", "unsubscribed")


@dataclass
class UpsertReport:
    """What a bulk upsert did, row by row."""

    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)  # contacts whose account or email domain changed


@dataclass(frozen=True)
class AccountData:
    """One account as a CRM sends it."""

    external_id: str
    name: str
    domain: str | None = None
    plan: str | None = None
    arr: int = 0
    segment: str | None = None
    renewal_date: date | None = None
    active: bool = True
    owner_email: str | None = None


@dataclass(frozen=True)
class ContactData:
    """One contact as a CRM sends it."""

    external_id: str
    email: str
    account_external_id: str | None = None
    name: str | None = None
    title: str | None = None
    locale: str | None = None
    marketing_consent: bool = False
    unsubscribed: bool = False


class CrmError(ValueError):
    """A row that cannot be applied, with the reason."""


def upsert_accounts(session: Session, rows: Sequence[AccountData]) -> UpsertReport:
    """Create or update accounts by external id; re-sending the same data changes nothing."""
    report = UpsertReport()
    owners = _owners_by_email(session, {r.owner_email for r in rows if r.owner_email})
    for row in rows:
        if row.owner_email and row.owner_email.lower() not in owners:
            raise CrmError(f"account {row.external_id}: no staff user with email {row.owner_email}")
        account = session.scalar(select(Account).where(Account.external_id == row.external_id))
        values: dict[str, Any] = {k: getattr(row, k) for k in ACCOUNT_FIELDS}
        values["owner_id"] = owners[row.owner_email.lower()].id if row.owner_email else None
        if account is None:
            account = Account(external_id=row.external_id, **values)
            session.add(account)
            session.flush()
            report.created.append(account.id)
        elif _assign(account, values):
            report.updated.append(account.id)
        else:
            report.unchanged.append(account.id)
    session.flush()
    return report


def upsert_contacts(session: Session, rows: Sequence[ContactData], source: str = "api") -> UpsertReport:
    """Create or update contacts by external id (or email); flags contacts who moved company."""
    report = UpsertReport()
    for row in rows:
        account_id = None
        if row.account_external_id:
            account_id = session.scalar(select(Account.id).where(Account.external_id == row.account_external_id))
            if account_id is None:
                raise CrmError(f"contact {row.external_id}: unknown account {row.account_external_id}")
        email = row.email.strip().lower()
        with session.no_autoflush:
            contact = session.scalar(select(Contact).where(Contact.external_id == row.external_id))
            if contact is None:
                contact = session.scalar(select(Contact).where(Contact.email == email))
        with session.no_autoflush:
            owner = session.scalar(select(Contact.id).where(Contact.email == email))
        if contact is not None and owner is not None and owner != contact.id:
            raise CrmError(f"contact {row.external_id}: email {email} already belongs to another contact")
        values: dict[str, Any] = {k: getattr(row, k) for k in CONTACT_FIELDS}
        values["email"] = email
        values["account_id"] = account_id
        if contact is None:
            contact = Contact(external_id=row.external_id, **values)
            session.add(contact)
            session.flush()
            report.created.append(contact.id)
            continue
        old_email, old_account = contact.email, contact.account_id
        values["external_id"] = row.external_id
        if _assign(contact, values):
            report.updated.append(contact.id)
            if old_account != contact.account_id or _domain(old_email) != _domain(contact.email):
                report.moved.append(contact.id)
                from survey.services.advocacy import detect_champion_moved

                session.flush()
                detect_champion_moved(session, contact, old_email, old_account, source=source)
        else:
            report.unchanged.append(contact.id)
    session.flush()
    return report


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set changed attributes only, so an unchanged re-sync writes nothing."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _domain(email: str | None) -> str:
    return (email or "").rsplit("@", 1)[-1].lower()


def _owners_by_email(session: Session, emails: set[str]) -> dict[str, User]:
    if not emails:
        return {}
    lowered = {e.lower() for e in emails}
    return {u.email: u for u in session.scalars(select(User).where(User.email.in_(lowered)))}
