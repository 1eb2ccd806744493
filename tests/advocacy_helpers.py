"""Shared set-up for the advocate hub's tests: a customer and CSM, HTTP answers, a signed-in marketer."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from tests.factories import make_account, make_contact, make_survey, make_user


def customer(db_session: Any, consent: bool = True, **contact: Any) -> tuple[Any, Any, Any]:
    """Casey Morgan's Enterprise account Northwind Freight, one contact, and the adv-nps survey."""
    csm = make_user(db_session, role="csm", name="Casey Morgan", email="casey@example.com")
    account = make_account(db_session, owner=csm, name="Northwind Freight", segment="Enterprise")
    person = make_contact(db_session, account, marketing_consent=consent, **contact)
    make_survey(db_session, key="adv-nps", product_name="Pipewise")
    db_session.commit()
    return csm, account, person


def answer(client: Any, contact: Any, score: int, comment: str) -> None:
    """Answer the adv-nps survey as this contact, through the public endpoint."""
    resp = client.post(
        "/s/adv-nps/responses", json={"score": score, "email": contact.email, "comment": comment}
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)


def count(db_session: Any, model: type) -> int:
    return db_session.scalar(select(func.count()).select_from(model)) or 0


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf token in page"
    return match.group(1)


def sign_in(client: Any, db_session: Any, role: str = "marketing") -> dict[str, str]:
    """Sign a new staff user in (with the login form's CSRF token); returns headers that carry the token."""
    user = make_user(db_session, role=role, email=f"{role}-adv@example.com", name="Sam Rivera")
    db_session.commit()
    token = csrf_of(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"email": user.email, "password": "password123", "csrf_token": token})
    assert resp.status_code == 303
    return {"X-CSRFToken": token}
