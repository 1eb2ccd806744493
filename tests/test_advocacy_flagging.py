"""Who the advocate hub flags, from any channel, and what it drafts and tells the CSM: once per verbatim."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from survey.models import (
    AdvocacyInvite,
    Advocate,
    AdvocateFlag,
    OutboxEmail,
    PraiseNotice,
    RecoveryTask,
    Verbatim,
)
from tests.advocacy_helpers import answer as _answer
from tests.advocacy_helpers import count as _count
from tests.advocacy_helpers import customer as _customer
from tests.advocacy_helpers import sign_in
from workers import jobs
from workers.enqueue import enqueue_analysis


def test_promoter_praise_becomes_advocate_and_drafted_invite(
    client: Any, db_session: Any, run_worker: Any
) -> None:
    """A consenting promoter who praises is flagged, becomes an advocate credited to the CSM, gets a draft."""
    csm, account, contact = _customer(db_session)
    _answer(client, contact, 10, "Fantastic product. We cut forecast prep by 40% and support is excellent.")
    run_worker()
    db_session.expire_all()
    flag = db_session.scalar(select(AdvocateFlag))
    assert flag.kind == "promoter_praise" and flag.contact_id == contact.id
    advocate = db_session.scalar(select(Advocate))
    assert (advocate.contact_id, advocate.csm_id, advocate.segment) == (contact.id, csm.id, "Enterprise")
    assert advocate.inferred_type == "validator"
    invite = db_session.scalar(select(AdvocacyInvite))
    assert invite.status == "drafted" and invite.ask_type == "reference_call"
    assert "We cut forecast prep by 40%" in invite.body and invite.advocate_type == "validator"
    assert _count(db_session, PraiseNotice) == 0  # praise in answer to the survey is not unsolicited


def test_unsolicited_praise_inside_a_complaint_is_flagged(
    client: Any, db_session: Any, run_worker: Any
) -> None:
    """A detractor's complaint that praises the CSM opens a task and an unsolicited-praise flag, no ask."""
    csm, _account, contact = _customer(db_session)
    text = (
        "The Salesforce sync breaks every week and we are losing patience. "
        "But Casey, our CSM, has been fantastic and always responds."
    )
    _answer(client, contact, 3, text)
    run_worker()
    db_session.expire_all()
    assert _count(db_session, RecoveryTask) == 1
    flag = db_session.scalar(select(AdvocateFlag))
    assert flag.kind == "unsolicited_praise" and "person" in flag.praise_targets
    assert _count(db_session, AdvocacyInvite) == 0
    notice = db_session.scalar(select(PraiseNotice))
    assert notice.user_id == csm.id and set(notice.reasons) == {"unsolicited", "named"}
    email = db_session.scalar(select(OutboxEmail).where(OutboxEmail.to_email == csm.email))
    assert email is not None and email.status == "sent" and "praised you by name" in email.subject
    assert (
        "Casey, our CSM, has been fantastic" in email.text_body and "losing patience" not in email.text_body
    )

    sign_in(client, db_session)
    page = client.get("/advocacy").get_data(as_text=True)
    assert "Unsolicited praise" in page
    assert '<mark class="praise">Casey, our CSM, has been fantastic and always responds.</mark>' in page
    assert "The Salesforce sync breaks every week" in page


def test_praise_in_a_support_ticket_is_unsolicited(
    app: Any, client: Any, db_session: Any, run_worker: Any
) -> None:
    """A support ticket ending 'Sam was brilliant' is unsolicited praise for a person; the CSM hears."""
    csm, account, contact = _customer(db_session)
    verbatim = Verbatim(
        text="Export fixed within the hour. Sam was brilliant, thank you!",
        source="support_ticket",
        external_id="ZD-1001",
        contact_id=contact.id,
        account_id=account.id,
    )
    db_session.add(verbatim)
    db_session.commit()
    with app.app_context():
        enqueue_analysis(verbatim.id)
    run_worker()
    db_session.expire_all()
    flag = db_session.scalar(select(AdvocateFlag))
    assert flag.kind == "unsolicited_praise" and "person" in flag.praise_targets
    assert db_session.scalar(select(PraiseNotice.reasons)) == ["unsolicited"]  # Sam is not the CSM
    invite = db_session.scalar(select(AdvocacyInvite))
    assert invite is not None and "Sam was brilliant" in invite.body


def test_customer_who_already_recommends_us_gets_a_referral_ask(
    client: Any, db_session: Any, run_worker: Any
) -> None:
    """'I already recommended you' is flagged as a referral signal and drafted as a referral ask."""
    _csm, _account, contact = _customer(db_session)
    _answer(client, contact, 9, "I already recommended Pipewise to two friends at other companies.")
    run_worker()
    db_session.expire_all()
    assert db_session.scalar(select(AdvocateFlag.kind)) == "referral"
    assert db_session.scalar(select(AdvocacyInvite.ask_type)) == "referral"


def test_running_the_action_job_twice_creates_nothing_twice(
    app: Any, client: Any, db_session: Any, run_worker: Any
) -> None:
    """Re-running act_on_verbatim (even after a forced reset) adds no flag, advocate, invite or notice."""
    _csm, _account, contact = _customer(db_session)
    _answer(client, contact, 6, "Too pricey for what we use. Maya in support was brilliant though.")
    run_worker()
    verbatim_id = db_session.scalar(select(Verbatim.id))
    before = {
        m: _count(db_session, m) for m in (AdvocateFlag, Advocate, AdvocacyInvite, PraiseNotice, OutboxEmail)
    }
    assert before[AdvocateFlag] == 1 and before[Advocate] == 1
    for _ in range(2):
        db_session.expire_all()
        db_session.get(Verbatim, verbatim_id).action_status = "pending"
        db_session.commit()
        with app.app_context():
            jobs.act_on_verbatim(verbatim_id)
    run_worker()
    db_session.expire_all()
    assert {m: _count(db_session, m) for m in before} == before


def test_hub_filters_by_signal_and_returns_an_htmx_fragment(
    client: Any, db_session: Any, run_worker: Any
) -> None:
    """The hub's filter asks htmx for the list fragment only, with Vary: HX-Request."""
    _csm, _account, contact = _customer(db_session)
    _answer(client, contact, 10, "Brilliant tool, the dashboards are excellent.")
    run_worker()
    sign_in(client, db_session)
    resp = client.get(
        "/advocacy?kind=unsolicited_praise", headers={"HX-Request": "true", "HX-Target": "flag-list"}
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in body and "HX-Request" in resp.headers.get("Vary", "")
    assert "No advocate signals match" in body
    full = client.get("/advocacy?kind=promoter_praise").get_data(as_text=True)
    assert "<html" in full and "Promoter praise" in full and "dashboards are excellent" in full
