"""Small builders for rows the tests need."""

from __future__ import annotations

from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from survey.models import Account, Contact, Survey, User
from survey.services.users import hash_password

_seq = count(1)
_PASSWORD_HASH: dict[str, str] = {}


def password_hash(password: str = "password123") -> str:
    """Hash once per password: scrypt is deliberately slow."""
    if password not in _PASSWORD_HASH:
        _PASSWORD_HASH[password] = hash_password(password)
    return _PASSWORD_HASH[password]


def make_user(session: Session, role: str = "csm", password: str = "password123", **kw: Any) -> User:
    n = next(_seq)
    user = User(email=kw.pop("email", f"user{n}@example.com"), name=kw.pop("name", f"Staff Member{n}"), role=role,
                password_hash=password_hash(password), **kw)
    session.add(user)
    session.flush()
    return user


def make_survey(session: Session, key: str = "test-nps", kind: str = "nps", **kw: Any) -> Survey:
    survey = Survey(public_key=key, name=kw.pop("name", "Test NPS"), kind=kind,
                    question=kw.pop("question", "How likely are you to recommend Acme?"), **kw)
    session.add(survey)
    session.flush()
    return survey


def make_account(session: Session, owner: User | None = None, **kw: Any) -> Account:
    n = next(_seq)
    account = Account(name=kw.pop("name", f"Customer {n} Ltd"), domain=kw.pop("domain", f"customer{n}.example"),
                      plan=kw.pop("plan", "Growth"), arr=kw.pop("arr", 50_000), owner_id=owner.id if owner else None, **kw)
    session.add(account)
    session.flush()
    return account


def make_contact(session: Session, account: Account | None = None, **kw: Any) -> Contact:
    n = next(_seq)
    contact = Contact(account_id=account.id if account else None, name=kw.pop("name", f"Dana Customer{n}"),
                      email=kw.pop("email", f"dana{n}@customer.example"), **kw)
    session.add(contact)
    session.flush()
    return contact
