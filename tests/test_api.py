"""The /api/v1 surface: CRM upserts, verbatim ingest, reads, token scopes and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from survey.models import Account, AuditEvent, Contact, RecoveryTask, Verbatim
from survey.services.users import create_api_token
from tests.factories import make_account, make_user


def _token(db_session: Any, role: str = "admin", user: Any = None) -> dict[str, str]:
    _t, plain = create_api_token(db_session, f"{role}-token", role, user)
    db_session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_openapi_document_lists_every_operation(client: Any, db_session: Any) -> None:
    """The generated OpenAPI 3 document covers the API and declares bearer auth."""
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/accounts", "/api/v1/contacts", "/api/v1/verbatims", "/api/v1/responses/{response_id}",
                 "/api/v1/tasks", "/api/v1/invites"):
        assert path in doc["paths"], path
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_anonymous_calls_get_401_even_with_bad_bodies(client: Any, db_session: Any) -> None:
    """Authentication is checked before validation, so an anonymous caller learns nothing about the schema."""
    assert client.post("/api/v1/verbatims", json={}).status_code == 401
    assert client.get("/api/v1/tasks").status_code == 401


def test_crm_upsert_is_idempotent_and_flags_moved_contacts(client: Any, db_session: Any) -> None:
    """Upserting the same accounts twice changes nothing; a contact changing company is reported as moved."""
    make_user(db_session, role="csm", email="owner@example.com")
    headers = _token(db_session)
    accounts = {"accounts": [
        {"external_id": "A-1", "name": "Acme", "plan": "Growth", "arr": 50000, "owner_email": "owner@example.com"},
        {"external_id": "A-2", "name": "Globex", "domain": "globex.example", "arr": 90000}]}
    first = client.post("/api/v1/accounts", json=accounts, headers=headers).get_json()
    second = client.post("/api/v1/accounts", json=accounts, headers=headers).get_json()
    assert len(first["created"]) == 2 and second["created"] == [] and len(second["unchanged"]) == 2
    contact = {"external_id": "C-1", "email": "jo@acme.example", "account_external_id": "A-1", "name": "Jo"}
    client.post("/api/v1/contacts", json={"contacts": [contact]}, headers=headers)
    moved = client.post("/api/v1/contacts", headers=headers, json={"contacts": [
        {**contact, "email": "jo@globex.example", "account_external_id": "A-2"}]}).get_json()
    assert len(moved["moved"]) == 1
    assert db_session.scalar(select(func.count(Account.id))) == 2
    assert db_session.scalar(select(Contact.email)) == "jo@globex.example"


def test_crm_rejects_unknown_references(client: Any, db_session: Any) -> None:
    """A contact pointing at an unknown account is refused with its id; nothing is half-applied."""
    headers = _token(db_session)
    resp = client.post("/api/v1/contacts", headers=headers, json={"contacts": [
        {"external_id": "C-1", "email": "a@x.example"},
        {"external_id": "C-2", "email": "b@x.example", "account_external_id": "NOPE"}]})
    assert resp.status_code == 409 and "NOPE" in resp.get_json()["error"]
    assert db_session.scalar(select(func.count(Contact.id))) == 0


def test_ingest_is_idempotent_and_analysed(client: Any, db_session: Any, run_worker: Any) -> None:
    """Support tickets arrive once per (source, external id), are analysed, and a churn threat opens a task."""
    csm = make_user(db_session, role="csm")
    account = make_account(db_session, owner=csm, external_id="A-9")
    db_session.commit()
    headers = _token(db_session, "csm", csm)
    batch = {"verbatims": [
        {"source": "email", "external_id": "EM-1", "account_external_id": "A-9",
         "text": "We are not renewing. We have signed with a competitor because the sync keeps failing."},
        {"source": "support_ticket", "external_id": "ZD-1", "text": "How do I export a report to CSV?"}]}
    first = client.post("/api/v1/verbatims", json=batch, headers=headers).get_json()
    again = client.post("/api/v1/verbatims", json=batch, headers=headers).get_json()
    assert len(first["created"]) == 2 and again["created"] == [] and sorted(again["existing"]) == sorted(first["created"])
    run_worker()
    db_session.expire_all()
    assert {v.analysis_status for v in db_session.scalars(select(Verbatim))} == {"done"}
    task = db_session.scalar(select(RecoveryTask))
    assert task is not None and task.reason == "churn_risk" and task.account_id == account.id


@pytest.mark.parametrize(
    ("body", "needle"),
    [({"verbatims": []}, "verbatims"), ({"verbatims": [{"source": "fax", "external_id": "1", "text": "x"}]}, "source"),
     ({"verbatims": [{"source": "note", "external_id": "1", "text": "   "}]}, "text"),
     ({"verbatims": [{"source": "note", "external_id": "1", "text": "ok", "extra": 1}]}, "extra")],
)
def test_ingest_validation_errors_are_specific(client: Any, db_session: Any, body: dict[str, Any], needle: str) -> None:
    """Invalid bodies get 422 naming the field."""
    resp = client.post("/api/v1/verbatims", json=body, headers=_token(db_session))
    assert resp.status_code == 422 and needle in resp.get_data(as_text=True)


def test_token_scopes(client: Any, db_session: Any) -> None:
    """Tokens only reach their role's endpoints: product can read, not write; marketing sees invites only."""
    product, marketing = _token(db_session, "product"), _token(db_session, "marketing")
    body = {"verbatims": [{"source": "note", "external_id": "n1", "text": "hello"}]}
    assert client.post("/api/v1/verbatims", json=body, headers=product).status_code == 403
    assert client.get("/api/v1/verbatims", headers=product).status_code == 200
    assert client.get("/api/v1/verbatims", headers=marketing).status_code == 403
    assert client.get("/api/v1/invites", headers=marketing).status_code == 200
    assert client.get("/api/v1/tasks", headers=product).status_code == 403


def test_csm_token_sees_only_its_users_tasks(client: Any, db_session: Any) -> None:
    """Object-level: a csm token acting for one CSM cannot read another CSM's task."""
    from datetime import datetime

    mine, theirs = make_user(db_session, role="csm"), make_user(db_session, role="csm")
    for owner in (mine, theirs):
        db_session.add(RecoveryTask(owner_id=owner.id, reason="detractor", due_at=datetime(2030, 1, 1)))
    db_session.commit()
    headers = _token(db_session, "csm", mine)
    items = client.get("/api/v1/tasks", headers=headers).get_json()["items"]
    assert [t["owner_id"] for t in items] == [mine.id]
    other = db_session.scalar(select(RecoveryTask.id).where(RecoveryTask.owner_id == theirs.id))
    assert client.get(f"/api/v1/tasks/{other}", headers=headers).status_code == 404


def test_product_token_does_not_see_contact_emails(client: Any, db_session: Any) -> None:
    """Product readers get feedback without personal data."""
    account = make_account(db_session)
    contact = Contact(email="secret@cust.example", account_id=account.id, name="Secret Person")
    db_session.add(contact)
    db_session.flush()
    db_session.add(Verbatim(text="Great", source="note", contact_id=contact.id, account_id=account.id))
    db_session.commit()
    items = client.get("/api/v1/verbatims", headers=_token(db_session, "product")).get_json()["items"]
    assert items and items[0]["contact_email"] is None and items[0]["contact_id"] is None
    items = client.get("/api/v1/verbatims", headers=_token(db_session, "admin")).get_json()["items"]
    assert items[0]["contact_email"] == "secret@cust.example"


def test_token_use_is_audited(client: Any, db_session: Any) -> None:
    """Every API token use leaves an audit event."""
    client.get("/api/v1/verbatims", headers=_token(db_session))
    assert db_session.scalar(select(AuditEvent.action)) == "api_token_used"


def test_export_returns_the_filtered_set_and_is_audited(client: Any, db_session: Any) -> None:
    """The API export returns every matching verbatim in one document and leaves an audit entry."""
    for i in range(3):
        db_session.add(Verbatim(text=f"note {i}", source="note"))
    db_session.add(Verbatim(text="a ticket", source="support_ticket"))
    db_session.commit()
    body = client.get("/api/v1/verbatims/export?source=note", headers=_token(db_session, "product")).get_json()
    assert body["count"] == 3 and not body["truncated"] and {i["source"] for i in body["items"]} == {"note"}
    assert db_session.scalar(select(AuditEvent.action).where(AuditEvent.action == "feedback_exported"))
