"""Guardrails on every ask: consent, unsubscribe, the shared budget, the recovery hold, review-site rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from survey.database import utcnow
from survey.models import AdvocacyInvite, OutboxEmail, RecoveryTask
from survey.services.advocacy import hold_invites_for_account, release_recovered_holds
from survey.services.fatigue import claim_ask
from survey.services.invites import AskRefused, campaign_audience, claim_send, draft_invite
from tests.advocacy_helpers import answer, count, customer, sign_in
from tests.factories import make_account, make_contact, make_survey, make_user
from workers import advocacy_jobs


def _draft(db_session: Any, **contact: Any) -> AdvocacyInvite:
    owner = make_user(db_session, role="csm")
    person = make_contact(db_session, make_account(db_session, owner=owner), **contact)
    invite = draft_invite(db_session, person, None, None)
    db_session.commit()
    return invite


def test_consent_is_required_for_any_ask(client: Any, db_session: Any, run_worker: Any) -> None:
    """A promoter without marketing consent is flagged but never drafted; a draft can't be sent without it."""
    _csm, _account, contact = customer(db_session, consent=False)
    answer(client, contact, 10, "Brilliant product, the dashboards are excellent.")
    run_worker()
    assert count(db_session, AdvocacyInvite) == 0
    invite = _draft(db_session, marketing_consent=False)
    with pytest.raises(AskRefused) as refused:
        claim_send(db_session, invite, user=None, budget_days=30, link_days=21)
    assert refused.value.code == "guardrail" and "No marketing consent" in refused.value.reasons


def test_unsubscribed_contacts_are_never_asked(db_session: Any) -> None:
    """Unsubscribe wins over consent, at send time and in review campaigns."""
    invite = _draft(db_session, marketing_consent=True)
    invite.contact.unsubscribed = True
    db_session.flush()
    with pytest.raises(AskRefused) as refused:
        claim_send(db_session, invite, user=None, budget_days=30, link_days=21)
    assert "Unsubscribed from all emails" in refused.value.reasons
    assert invite.contact not in campaign_audience(db_session, 30).contacts


def test_one_ask_per_30_days_is_shared_with_surveys(db_session: Any) -> None:
    """A survey 10 days ago blocks the invite until day 30; an invite sent blocks the next survey email."""
    invite = _draft(db_session, marketing_consent=True)
    contact = invite.contact
    now = utcnow()
    contact.last_asked_at = now - timedelta(days=10)
    db_session.flush()
    with pytest.raises(AskRefused) as refused:
        claim_send(db_session, invite, user=None, budget_days=30, link_days=21, now=now)
    assert refused.value.code == "budget" and refused.value.next_at == contact.last_asked_at + timedelta(
        days=30
    )
    assert invite.status == "drafted"
    later = now + timedelta(days=21)
    claim_send(db_session, invite, user=None, budget_days=30, link_days=21, now=later)
    assert invite.status == "sent" and contact.last_asked_at == later
    assert (
        claim_ask(db_session, contact.id, 30, later + timedelta(days=5)) is False
    )  # the survey side waits too


def test_over_budget_invite_is_scheduled_and_sent_when_the_budget_opens(
    app: Any, client: Any, db_session: Any, run_worker: Any
) -> None:
    """'Send on <date>' approves the invite; once the date passes the job sends it through the outbox."""
    invite = _draft(db_session, marketing_consent=True)
    invite.contact.last_asked_at = utcnow() - timedelta(days=29, hours=23, minutes=59, seconds=58)
    db_session.commit()
    csrf = sign_in(client, db_session)
    resp = client.post(f"/advocacy/invites/{invite.id}/send", headers=csrf)
    assert resp.status_code == 303
    db_session.expire_all()
    assert db_session.get(AdvocacyInvite, invite.id).status == "drafted"  # refused: the budget is spent
    resp = client.post(
        f"/advocacy/invites/{invite.id}/schedule",
        headers={**csrf, "HX-Request": "true", "HX-Target": f"invite-{invite.id}"},
    )
    assert resp.status_code == 200 and "goes out on" in resp.get_data(as_text=True)
    db_session.expire_all()
    scheduled = db_session.get(AdvocacyInvite, invite.id)
    assert scheduled.status == "approved" and scheduled.send_after is not None
    scheduled.send_after = utcnow() - timedelta(seconds=1)  # the budget has opened by the time the job runs
    scheduled.contact.last_asked_at = utcnow() - timedelta(days=31)
    db_session.commit()
    with app.app_context():
        assert advocacy_jobs.sweep_advocacy()["due"] == 1
    run_worker()
    db_session.expire_all()
    sent = db_session.get(AdvocacyInvite, invite.id)
    assert sent.status == "sent" and sent.outbox_email.status == "sent"


def test_an_open_recovery_task_holds_waiting_invites(client: Any, db_session: Any, run_worker: Any) -> None:
    """A detractor at the account opens a task: drafted and approved invites go on hold until it closes."""
    _csm, account, contact = customer(db_session)
    colleague = make_contact(db_session, account, marketing_consent=True, name="Lee Park")
    drafted = draft_invite(db_session, contact, None, None)
    approved = draft_invite(db_session, colleague, None, None)
    approved.status = "approved"
    db_session.commit()
    answer(client, colleague, 2, "Reports are wrong every week and nobody answers our tickets.")
    run_worker()
    db_session.expire_all()
    task = db_session.scalar(select(RecoveryTask))
    assert task is not None and task.account_id == account.id
    held = {i.id: (i.status, i.held_from) for i in db_session.scalars(select(AdvocacyInvite))}
    assert held == {drafted.id: ("on_hold", "drafted"), approved.id: ("on_hold", "approved")}
    with pytest.raises(AskRefused):
        claim_send(
            db_session, db_session.get(AdvocacyInvite, drafted.id), user=None, budget_days=30, link_days=21
        )
    assert release_recovered_holds(db_session) == 0
    task.status, task.open_key = "resolved", None
    db_session.flush()
    assert release_recovered_holds(db_session) == 2
    assert db_session.get(AdvocacyInvite, approved.id).status == "approved"


def test_new_praise_during_recovery_is_drafted_on_hold(client: Any, db_session: Any, run_worker: Any) -> None:
    """No invite goes out while the account is recovered: a praising colleague's new draft is held."""
    _csm, account, contact = customer(db_session)
    happy = make_contact(db_session, account, marketing_consent=True, name="Mei Chen")
    db_session.commit()
    answer(client, contact, 1, "Sync broken again, we are evaluating other vendors.")
    run_worker()
    answer(client, happy, 10, "Brilliant product, the forecasting is excellent.")
    run_worker()
    db_session.expire_all()
    invite = db_session.scalar(select(AdvocacyInvite).where(AdvocacyInvite.contact_id == happy.id))
    assert invite.status == "on_hold" and invite.hold_reason == "Open recovery task on the account"


def test_hold_function_counts_only_waiting_invites(db_session: Any) -> None:
    """hold_invites_for_account holds drafted and approved invites, never sent or answered ones."""
    invite = _draft(db_session, marketing_consent=True)
    sent = draft_invite(
        db_session, make_contact(db_session, invite.account, marketing_consent=True), None, None
    )
    sent.status = "sent"
    db_session.flush()
    assert hold_invites_for_account(db_session, invite.account_id) == 1
    assert (invite.status, sent.status) == ("on_hold", "sent")
    assert hold_invites_for_account(db_session, None) == 0


def test_review_campaign_asks_every_eligible_customer_alike(
    client: Any, db_session: Any, run_worker: Any
) -> None:
    """A review-site campaign reaches detractors and promoters with the same words."""
    csm = make_user(db_session, role="csm")
    make_survey(db_session, key="adv-nps", product_name="Pipewise")
    happy_account, sad_account = make_account(db_session, owner=csm), make_account(db_session, owner=csm)
    promoter = make_contact(db_session, happy_account, marketing_consent=True, name="Pat Promoter")
    detractor = make_contact(db_session, sad_account, marketing_consent=True, name="Dee Detractor")
    make_contact(db_session, happy_account, marketing_consent=False, name="No Consent")
    db_session.commit()
    answer(client, promoter, 10, "No complaints.")
    answer(client, detractor, 5, "It is fine I guess.")
    run_worker()
    db_session.expire_all()
    for c in (promoter, detractor):
        db_session.merge(c).last_asked_at = utcnow() - timedelta(days=40)
    task = db_session.scalar(select(RecoveryTask))  # the detractor was called back: the account is recovered
    task.status, task.open_key = "resolved", None
    db_session.commit()
    csrf = sign_in(client, db_session)
    page = client.get("/advocacy/reviews").get_data(as_text=True)
    assert "every eligible customer alike" in page
    resp = client.post(
        "/advocacy/reviews",
        headers=csrf,
        data={
            "site": "g2",
            "confirm": "on",
            "subject": "An honest review of {product} on {site}?",
            "body": "Hi {first_name}, good or critical, would you review us on {site}?\n\n{sender}",
        },
    )
    assert resp.status_code == 303
    run_worker()
    db_session.expire_all()
    invites = list(db_session.scalars(select(AdvocacyInvite).order_by(AdvocacyInvite.contact_id)))
    assert {i.contact_id for i in invites} == {promoter.id, detractor.id}
    assert {i.status for i in invites} == {"sent"} and {i.ask_type for i in invites} == {"review_site"}
    assert {i.body.split(",", 1)[1] for i in invites} == {
        " good or critical, would you review us on G2?\n\nThe Pipewise team"
    }
    assert count(db_session, OutboxEmail) == 2
