"""Who is asked when: fatigue rule, bulk sends to segments, relationship programmes, event triggers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from survey.database import utcnow
from survey.models import Contact, OutboxEmail
from survey.services.fatigue import claim_ask, may_ask
from survey.services.programmes import Segment, period_offset, relationship_due, segment_contacts
from survey.services.users import create_api_token
from tests.factories import make_account, make_contact, make_survey, make_user
from tests.surveys_helpers import field, login


def test_claim_ask_lets_only_one_sender_win(app_ctx: Any, db_session: Any) -> None:
    """Two asks in a row: the first records it, the second is held by the rule; after N days it is allowed."""
    contact = make_contact(db_session)
    db_session.commit()
    assert claim_ask(db_session, contact.id, days=90) is True
    assert claim_ask(db_session, contact.id, days=90) is False
    db_session.refresh(contact)
    later = contact.last_asked_at + timedelta(days=91)
    assert claim_ask(db_session, contact.id, days=90, now=later) is True


def test_unsubscribed_contacts_are_never_asked(app_ctx: Any, db_session: Any) -> None:
    """Unsubscribing beats the fatigue window."""
    contact = make_contact(db_session, unsubscribed=True)
    db_session.commit()
    assert not may_ask(contact, 90) and claim_ask(db_session, contact.id, days=90) is False


def test_segments_filter_by_plan_arr_and_owner(app_ctx: Any, db_session: Any) -> None:
    """Plan, ARR band and owner narrow the contacts of active accounts."""
    owner = make_user(db_session, role="csm")
    big = make_account(db_session, owner=owner, plan="Enterprise", arr=250_000)
    small = make_account(db_session, plan="Starter", arr=5_000)
    gone = make_account(db_session, plan="Enterprise", arr=300_000, active=False)
    a, b, _c = make_contact(db_session, big), make_contact(db_session, small), make_contact(db_session, gone)
    db_session.commit()
    assert [c.id for c in segment_contacts(db_session, Segment(plan="Enterprise"))] == [a.id]
    assert [c.id for c in segment_contacts(db_session, Segment(arr_band="under-10k"))] == [b.id]
    assert [c.id for c in segment_contacts(db_session, Segment(owner_id=owner.id))] == [a.id]


def test_bulk_send_skips_recently_asked_contacts(client: Any, db_session: Any, run_worker: Any) -> None:
    """The admin's bulk send queues one email per eligible contact and skips those asked in the window."""
    make_user(db_session, role="admin", email="admin@example.com")
    survey = make_survey(db_session, key="bulk-nps")
    account = make_account(db_session, plan="Growth")
    fresh = make_contact(db_session, account)
    recent = make_contact(db_session, account, last_asked_at=utcnow() - timedelta(days=10))
    db_session.commit()
    login(client, "admin@example.com")
    page = client.get(f"/admin/surveys/{survey.id}").get_data(as_text=True)
    assert "2 contacts match; 1 may be asked now" in page
    resp = client.post(
        f"/admin/surveys/{survey.id}/send", data={"csrf_token": field(page, "csrf_token"), "plan": "Growth"}
    )
    assert resp.status_code == 303
    emails = db_session.scalars(select(OutboxEmail)).all()
    assert [e.contact_id for e in emails] == [fresh.id] and emails[0].trigger == "bulk"
    run_worker()
    db_session.expire_all()
    assert db_session.get(OutboxEmail, emails[0].id).status == "sent"
    # Sending again the same day asks nobody twice.
    client.post(
        f"/admin/surveys/{survey.id}/send", data={"csrf_token": field(page, "csrf_token"), "plan": "Growth"}
    )
    assert db_session.scalar(select(func.count(OutboxEmail.id))) == 1
    assert db_session.get(Contact, recent.id).last_asked_at < utcnow() - timedelta(days=9)


def test_segment_preview_is_an_htmx_fragment(client: Any, db_session: Any) -> None:
    """Changing the segment asks for the counts only."""
    make_user(db_session, role="admin", email="admin@example.com")
    survey = make_survey(db_session, key="seg-nps")
    make_contact(db_session, make_account(db_session, plan="Growth"))
    db_session.commit()
    login(client, "admin@example.com")
    resp = client.get(f"/admin/surveys/{survey.id}/segment?plan=Growth", headers={"HX-Request": "true"})
    assert "<html" not in resp.get_data(as_text=True) and "1 contact match" in resp.get_data(as_text=True)
    assert client.get(f"/admin/surveys/{survey.id}/segment?arr_band=huge").status_code == 400


def test_relationship_programme_spreads_contacts_over_the_period(app_ctx: Any, db_session: Any) -> None:
    """Each contact is due at a fixed offset in the period: ~a quarter after a quarter, all by the end."""
    survey = make_survey(db_session, key="rel-nps", programme="relationship", recurrence_days=100)
    account = make_account(db_session)
    for _ in range(200):
        make_contact(db_session, account)
    start = utcnow() - timedelta(days=1000)
    survey.programme_started_at = start
    db_session.commit()
    now = start + timedelta(days=1000 + 25)  # a quarter into the 11th cycle
    due = relationship_due(db_session, survey, now)
    assert 30 <= len(due) <= 70  # uniform spread: ~50 of 200
    assert len(relationship_due(db_session, survey, start + timedelta(days=1099, hours=23))) == 200
    offsets = {period_offset(survey.id, c.id, 100 * 86400) for c in due}
    assert len(offsets) == len(due)


def test_programme_run_queues_due_emails_once_per_cycle(app: Any, db_session: Any, run_worker: Any) -> None:
    """The scheduled run emails whoever is due, respecting fatigue, and not again within the cycle."""
    from workers.email_jobs import run_programmes

    survey = make_survey(db_session, key="rel2-nps", programme="relationship", recurrence_days=30)
    account = make_account(db_session)
    contacts = [make_contact(db_session, account) for _ in range(3)]
    contacts[2].last_asked_at = utcnow() - timedelta(days=5)  # asked by another survey last week
    survey.programme_started_at = utcnow() - timedelta(days=30, seconds=-60)  # the period is (almost) over
    db_session.commit()
    with app.app_context():
        first = run_programmes()
    assert first["queued"] == 2 and first["held_by_fatigue"] == 1
    run_worker()
    with app.app_context():
        second = run_programmes()
    assert second["queued"] == 0
    assert db_session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.status == "sent")) == 2


@pytest.fixture
def api_token(app_ctx: Any, db_session: Any) -> str:
    _token, plain = create_api_token(db_session, "support-desk", "csm")
    db_session.commit()
    return plain


def test_transactional_trigger_sends_once_per_event(client: Any, db_session: Any, api_token: str) -> None:
    """A ticket-closed event queues one email; the same event again is a duplicate; fatigue holds others."""
    make_survey(db_session, key="tx-csat", kind="csat", programme="transactional")
    db_session.commit()
    auth = {"Authorization": f"Bearer {api_token}"}
    body = {"email": "new.person@customer.example", "event": "ticket_closed", "event_id": "T-4711"}
    first = client.post("/api/v1/surveys/tx-csat/triggers", json=body, headers=auth)
    assert first.status_code == 202 and first.get_json()["status"] == "queued"
    again = client.post("/api/v1/surveys/tx-csat/triggers", json=body, headers=auth)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    other = client.post("/api/v1/surveys/tx-csat/triggers", json={**body, "event_id": "T-4712"}, headers=auth)
    assert other.get_json() == {**other.get_json(), "status": "suppressed", "reason": "asked_recently"}
    email = db_session.scalar(select(OutboxEmail))
    assert email.trigger == "event" and len(re.findall(r'/r/[^"]+/\d"', email.html_body)) == 5  # CSAT: 1..5


def test_trigger_rejects_bad_input_and_wrong_surveys(client: Any, db_session: Any, api_token: str) -> None:
    """Unknown survey 404, non-transactional 409, bad email 400, no token 401."""
    make_survey(db_session, key="plain-nps")
    db_session.commit()
    auth = {"Authorization": f"Bearer {api_token}"}
    body = {"email": "a@b.example", "event": "onboarding_done", "event_id": "1"}
    assert client.post("/api/v1/surveys/nope/triggers", json=body, headers=auth).status_code == 404
    assert client.post("/api/v1/surveys/plain-nps/triggers", json=body, headers=auth).status_code == 409
    bad = client.post("/api/v1/surveys/plain-nps/triggers", json={**body, "email": "x"}, headers=auth)
    assert bad.status_code == 400
    assert client.post("/api/v1/surveys/plain-nps/triggers", json=body).status_code == 401
