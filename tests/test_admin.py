"""Admin pages: users and roles, audit log, webhooks, data-protection requests; admins only."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from survey.models import AuditEvent, Contact, User, WebhookEndpoint
from tests.factories import make_account, make_user
from tests.test_web import _csrf, login


@pytest.fixture
def admin_client(client: Any, db_session: Any) -> Any:
    make_user(db_session, role="admin", email="root@example.com")
    db_session.commit()
    login(client, "root@example.com")
    return client


def _token(client: Any, path: str) -> str:
    return _csrf(client.get(path).get_data(as_text=True))


@pytest.mark.parametrize("role", ["csm", "product", "marketing"])
def test_admin_pages_are_admin_only(client: Any, db_session: Any, role: str) -> None:
    """Every admin page answers 403 to other roles."""
    make_user(db_session, role=role, email=f"{role}@example.com")
    db_session.commit()
    login(client, f"{role}@example.com")
    for path in ("/admin/users", "/admin/audit", "/admin/webhooks", "/admin/contacts"):
        assert client.get(path).status_code == 403, path


def test_admin_creates_user_and_changes_role_audited(admin_client: Any, db_session: Any) -> None:
    """A new user is created; a role change and a deactivation are audited."""
    token = _token(admin_client, "/admin/users")
    resp = admin_client.post("/admin/users", data={"csrf_token": token, "email": "new@example.com", "name": "New",
                                                   "role": "csm", "password": "long-password"})
    assert resp.status_code == 303
    user = db_session.scalar(select(User).where(User.email == "new@example.com"))
    admin_client.post(f"/admin/users/{user.id}", data={"csrf_token": token, "role": "product"})
    admin_client.post(f"/admin/users/{user.id}", data={"csrf_token": token, "active": "0"})
    db_session.expire_all()
    user = db_session.get(User, user.id)
    assert user.role == "product" and user.active is False
    actions = set(db_session.scalars(select(AuditEvent.action)))
    assert {"user_created", "role_changed", "user_deactivated"} <= actions
    assert b"role changed" in admin_client.get("/admin/audit").data


def test_bad_user_input_is_refused(admin_client: Any, db_session: Any) -> None:
    """Invalid role or short password: 400 with the reason, nothing created."""
    token = _token(admin_client, "/admin/users")
    resp = admin_client.post("/admin/users", data={"csrf_token": token, "email": "x@example.com", "role": "boss",
                                                   "password": "long-password"})
    assert resp.status_code == 400 and b"role must be one of" in resp.data
    root = db_session.scalar(select(User).where(User.email == "root@example.com"))
    resp = admin_client.post(f"/admin/users/{root.id}", data={"csrf_token": token, "role": "csm"})
    assert resp.status_code == 400


def test_admin_registers_webhook(admin_client: Any, db_session: Any) -> None:
    """The webhook form registers an endpoint with a generated secret."""
    token = _token(admin_client, "/admin/webhooks")
    resp = admin_client.post("/admin/webhooks", data={"csrf_token": token, "url": "https://hooks.example/x",
                                                      "events": ["response.created"], "format": "slack"})
    assert resp.status_code == 303
    endpoint = db_session.scalar(select(WebhookEndpoint))
    assert endpoint.format == "slack" and len(endpoint.secret) >= 32


def test_export_and_erase_from_the_admin_page(admin_client: Any, db_session: Any) -> None:
    """Export downloads JSON; erasure needs the email retyped, then removes the contact."""
    account = make_account(db_session)
    contact = Contact(account_id=account.id, email="gone@cust.example", name="Gone Person")
    db_session.add(contact)
    db_session.commit()
    page = admin_client.get("/admin/contacts?q=gone")
    assert b"gone@cust.example" in page.data
    export = admin_client.get(f"/admin/contacts/{contact.id}/export.json")
    assert export.status_code == 200 and export.get_json()["contact"]["email"] == "gone@cust.example"
    token = _csrf(page.get_data(as_text=True))
    refused = admin_client.post(f"/admin/contacts/{contact.id}/erase", data={"csrf_token": token,
                                                                            "confirm_email": "wrong"})
    assert refused.status_code == 400
    done = admin_client.post(f"/admin/contacts/{contact.id}/erase", data={"csrf_token": token,
                                                                         "confirm_email": "gone@cust.example",
                                                                         "mode": "delete"})
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.get(Contact, contact.id) is None
    assert {"contact_exported", "contact_erased"} <= set(db_session.scalars(select(AuditEvent.action)))


def test_feedback_export_is_audited(client: Any, db_session: Any) -> None:
    """Exporting feedback leaves an audit entry with the filters used."""
    make_user(db_session, role="product", email="pm@example.com")
    db_session.commit()
    login(client, "pm@example.com")
    assert client.get("/insights/export.csv?sentiment=negative").status_code == 200
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "feedback_exported"))
    assert event is not None and event.details["filters"].get("sentiment") == "negative"
