"""Sign-in hardening: rate limit, password reset links, TOTP second factor."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
from flask import Flask
from sqlalchemy import select

from survey.models import AuditEvent, User
from survey.models.outbox import OutboxEmail
from survey.services.credentials import reset_token
from tests.factories import make_user
from tests.test_web import _csrf, login


def test_login_is_rate_limited(app: Flask, client: Any, db_session: Any) -> None:
    """Repeated failed logins from one address get 429 with a clear message."""
    make_user(db_session, role="csm", email="c@example.com")
    db_session.commit()
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [login(client, "c@example.com", "wrong-password").status_code for _ in range(4)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert statuses[:3] == [401, 401, 401] and statuses[3] == 429
    assert db_session.scalar(select(AuditEvent.action).where(AuditEvent.action == "login_failed")) is not None


def test_password_reset_link_works_once(app: Flask, client: Any, db_session: Any) -> None:
    """The emailed link sets a new password, then stops working; the old password no longer signs in."""
    make_user(db_session, role="csm", email="c@example.com")
    db_session.commit()
    token = _csrf(client.get("/forgot").get_data(as_text=True))
    assert b"on its way" in client.post("/forgot", data={"csrf_token": token, "email": "c@example.com"}).data
    email = db_session.scalar(select(OutboxEmail))
    link = re.search(r"http://[^\s]+/reset/[^\s]+", email.text_body).group(0)
    path = link.split("localhost", 1)[-1]
    page = client.get(path)
    assert page.status_code == 200
    resp = client.post(path, data={"csrf_token": _csrf(page.get_data(as_text=True)), "password": "brand-new-pass",
                                   "confirm": "brand-new-pass"})
    assert resp.status_code == 303
    assert client.get(path).status_code == 400  # used
    assert login(client, "c@example.com", "password123").status_code == 401
    assert login(client, "c@example.com", "brand-new-pass").status_code == 303


def test_unknown_email_gets_the_same_answer(client: Any, db_session: Any) -> None:
    """Asking for a reset does not reveal whether an email is registered, and sends nothing."""
    token = _csrf(client.get("/forgot").get_data(as_text=True))
    assert b"on its way" in client.post("/forgot", data={"csrf_token": token, "email": "nobody@example.com"}).data
    assert db_session.scalar(select(OutboxEmail.id)) is None


def test_tampered_and_expired_reset_links_are_refused(app: Flask, client: Any, db_session: Any) -> None:
    """A modified token or one past its age is refused with a reason."""
    user = make_user(db_session, role="csm")
    db_session.commit()
    token = reset_token(app.config["SECRET_KEY"], user)
    assert b"not valid" in client.get(f"/reset/{token[:-2]}xx").data
    from survey.services.credentials import CredentialError, user_for_reset

    time.sleep(1.1)
    try:
        user_for_reset(db_session, app.config["SECRET_KEY"], token, max_age=0)
    except CredentialError as exc:
        assert "expired" in str(exc)
    else:
        raise AssertionError("expired token accepted")


def test_admin_turns_on_totp_and_must_give_a_code(client: Any, db_session: Any) -> None:
    """After enrolling an authenticator app, sign-in needs a valid code as the second step."""
    make_user(db_session, role="admin", email="a@example.com")
    db_session.commit()
    login(client, "a@example.com")
    token = _csrf(client.get("/account/security").get_data(as_text=True))
    page = client.post("/account/security", data={"csrf_token": token, "action": "start"})
    assert b"data:image/svg+xml" in page.data
    user = db_session.scalar(select(User).where(User.email == "a@example.com"))
    db_session.refresh(user)
    bad = client.post("/account/security", data={"csrf_token": token, "action": "confirm", "code": "000000"})
    assert bad.status_code == 400
    code = pyotp.TOTP(user.totp_secret).now()
    client.post("/account/security", data={"csrf_token": token, "action": "confirm", "code": code})
    db_session.refresh(user)
    assert user.totp_enabled
    client.post("/logout", data={"csrf_token": token})

    first = login(client, "a@example.com")
    assert first.status_code == 303 and "/login/code" in first.headers["Location"]
    assert client.get("/recovery").status_code == 302  # not signed in yet
    code_page = client.get("/login/code")
    wrong = client.post("/login/code", data={"csrf_token": _csrf(code_page.get_data(as_text=True)), "code": "123456"})
    assert wrong.status_code == 401
    ok = client.post("/login/code", data={"csrf_token": _csrf(code_page.get_data(as_text=True)),
                                         "code": pyotp.TOTP(user.totp_secret).now()})
    assert ok.status_code == 303
    assert client.get("/recovery").status_code == 200
