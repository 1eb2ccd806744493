"""Data protection: export everything about a person, erase them so that nothing of them remains anywhere."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from survey.database import Base
from survey.models import AuditEvent, Contact, Response, Verbatim, VerbatimEmbedding
from survey.services.privacy import apply_retention, audit_erasure, erase_contact, export_contact, redact
from survey.services.webhooks import register_endpoint
from tests.factories import make_account, make_survey, make_user
from webapp.extensions import db, get_redis

NAME, EMAIL = "Zebulon Quartermaine", "zebulon.q@uniqcorp.example"
COMMENTS = [
    "Zebulon here: the sync is broken and support ignored me. Call me on +44 20 7946 0958.",
    "Honestly Jordan was brilliant, and I would recommend you. Reach me at zebulon.q@uniqcorp.example",
]
SECRETS = ["Zebulon", "Quartermaine", EMAIL, "7946 0958", "sync is broken and support ignored me"]


def _person_with_history(client: Any, db_session: Any, run_worker: Any) -> Contact:
    csm = make_user(db_session, role="csm", name="Jordan Lee")
    account = make_account(db_session, owner=csm)
    contact = Contact(account_id=account.id, name=NAME, email=EMAIL, marketing_consent=True)
    db_session.add(contact)
    make_survey(db_session, key="gdpr-nps")
    register_endpoint(db_session, "http://127.0.0.1:9/never", ["response.created", "analysis.completed"])
    db_session.commit()
    for score, comment in zip((2, 10), COMMENTS, strict=True):
        assert client.post("/s/gdpr-nps/responses", json={"score": score, "email": EMAIL,
                                                          "comment": comment}).status_code == 201
    run_worker()
    db_session.expire_all()
    return db_session.scalar(select(Contact).where(Contact.email == EMAIL))


def _everything_in_database(app: Flask) -> str:
    """Every row of every table as text (bytes columns skipped: embeddings are checked separately)."""
    chunks = []
    with db.get_engine(app).connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()).mappings():
                chunks.append(json.dumps({k: v for k, v in row.items() if not isinstance(v, bytes)}, default=str))
    return "\n".join(chunks)


def _everything_in_redis(app: Flask) -> str:
    """Every Redis value, with RQ's zlib-compressed job data unpacked."""
    conn = get_redis(app)
    parts: list[str] = []

    def add(raw: bytes) -> None:
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            pass
        parts.append(raw.decode("utf-8", "replace"))

    for key in conn.scan_iter():
        kind = conn.type(key)
        if kind == b"string":
            add(conn.get(key) or b"")
        elif kind == b"hash":
            for value in conn.hvals(key):
                add(value)
        elif kind == b"list":
            for value in conn.lrange(key, 0, -1):
                add(value)
        elif kind in (b"set", b"zset"):
            members = conn.smembers(key) if kind == b"set" else conn.zrange(key, 0, -1)
            for value in members:
                add(value)
    return "\n".join(parts)


def test_export_contains_everything_about_the_person(app: Flask, client: Any, db_session: Any,
                                                     run_worker: Any) -> None:
    """The export holds the contact, their answers, verbatims with analyses, task and invite data."""
    contact = _person_with_history(client, db_session, run_worker)
    doc = export_contact(db_session, contact)
    assert doc["contact"]["email"] == EMAIL
    assert len(doc["responses"]) == 2 and len(doc["verbatims"]) == 2
    assert all(v["analyses"] for v in doc["verbatims"])
    assert doc["recovery_tasks"] and doc["recovery_tasks"][0]["timeline"]
    json.dumps(doc)  # JSON-ready


@pytest.mark.parametrize("mode", ["delete", "anonymise"])
def test_erasure_leaves_nothing_of_the_person(app: Flask, client: Any, db_session: Any, run_worker: Any,
                                              mode: str) -> None:
    """After erasure no table, embedding, webhook payload or Redis job holds their name, email or words."""
    contact = _person_with_history(client, db_session, run_worker)
    contact_id = contact.id
    verbatim_ids = list(db_session.scalars(select(Verbatim.id).where(Verbatim.contact_id == contact_id)))
    assert db_session.scalar(select(func.count(VerbatimEmbedding.verbatim_id))) == 2
    dump_before = _everything_in_database(app)
    assert all(secret in dump_before for secret in SECRETS)  # the check below can fail

    report = erase_contact(db_session, contact, mode)
    audit_erasure(db_session, contact_id, report, None, mode)
    db_session.commit()
    if mode == "anonymise":
        from workers.enqueue import enqueue_analysis

        for vid in report.requeue_verbatim_ids:
            enqueue_analysis(vid)
        run_worker()  # re-analysis of the redacted text
    db_session.expire_all()

    dump = _everything_in_database(app) + _everything_in_redis(app)
    # Anonymising keeps what was said (without who said it); deleting removes the words too.
    for secret in SECRETS if mode == "delete" else SECRETS[:4]:
        where = dump.find(secret)
        assert where < 0, f"{secret!r} remains in: {dump[max(0, where - 300):where + 80]!r}"
    assert db_session.get(Contact, contact_id) is None
    assert db_session.scalar(select(func.count(Response.id))) == 2  # scores stay for statistics
    assert db_session.scalar(select(func.count(Response.id)).where(Response.contact_id.is_not(None))) == 0
    remaining = list(db_session.scalars(select(Verbatim).where(Verbatim.id.in_(verbatim_ids))))
    if mode == "delete":
        assert remaining == []
        assert db_session.scalar(select(func.count(VerbatimEmbedding.verbatim_id))) == 0
    else:
        assert len(remaining) == 2 and all("[redacted]" in v.text for v in remaining)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "contact_erased"))
    assert event.target_id == str(contact_id) and EMAIL not in json.dumps(event.details)


def test_redact_removes_names_emails_and_phones() -> None:
    """Free-text redaction catches the person's name parts, emails and phone numbers."""
    out = redact("Hi, zebulon here (Z. Quartermaine), zeb@x.example, +1 (415) 555-0100", ["Zebulon", "Quartermaine"])
    assert "ebulon" not in out and "Quartermaine" not in out and "zeb@x" not in out and "555-0100" not in out


def test_retention_anonymises_old_verbatims(app: Flask, db_session: Any, client: Any, run_worker: Any) -> None:
    """Verbatims older than the retention period lose their text and quotes; recent ones are untouched."""
    from datetime import timedelta

    from survey.database import utcnow

    contact = _person_with_history(client, db_session, run_worker)
    old = db_session.scalar(select(Verbatim).where(Verbatim.contact_id == contact.id).order_by(Verbatim.id))
    old.created_at = utcnow() - timedelta(days=400)
    db_session.commit()
    assert apply_retention(db_session, 12, "anonymise") == 1
    db_session.commit()
    db_session.expire_all()
    assert db_session.get(Verbatim, old.id).text == "[redacted]"
    assert apply_retention(db_session, 12, "anonymise") == 0  # idempotent
    row = db_session.execute(text("SELECT COUNT(*) FROM verbatims WHERE text != '[redacted]'")).scalar()
    assert row == 1
